"""The lws_mp pytest plugin (CPython side).

``pytest --lws-interpreter=cpython|micropython|board[:NAME]`` runs the same
test functions on the chosen interpreter.  pytest collects on CPython as
always; for a MicroPython interpreter each collected test function is
replaced by an item that runs it in a MicroPython process (one process per
test module, reused by its tests; see mp_main.py for the other end), with
the plugin's fixtures made there (fixtures.py).  Results, the MicroPython
traceback of a failure, the test's output and its peak heap come back
over the process's stdout.
"""

import ast
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading

import pytest

from . import fixtures as _fx

HERE = os.path.dirname(os.path.abspath(__file__))
MP_MAIN = os.path.join(HERE, "mp_main.py")
SHIM = os.path.join(HERE, "shim", "pytest.py")
MARK = "\x02lws:"
DEFAULT_BOARD = "esp32_generic"
FIXTURES = _fx.NAMES

_KEY = pytest.StashKey()
_SESSION = []  # the configured LwsSession (for the hooks that get no config)
_PYTEST_DIR = os.sep + "_pytest" + os.sep


# ---------------------------------------------------------------- options


def pytest_addoption(parser):
    g = parser.getgroup("lws_mp", "lws_mp: run the tests on MicroPython")
    g.addoption("--lws-interpreter", default=None, metavar="NAME",
                help="cpython (default), micropython (the 64-bit unix port) or "
                     "board[:NAME] (the 32-bit board interpreter of boards/NAME, at "
                     "that board's heap; NAME defaults to %s)" % DEFAULT_BOARD)
    g.addoption("--lws-heap", default=None, metavar="SIZE",
                help="cap the MicroPython heap (-X heapsize=SIZE: 105k, 2m, ...); "
                     "board: the board's heap unless given")
    g.addoption("--lws-micropython", default=None, metavar="PATH",
                help="the MicroPython unix port for --lws-interpreter=micropython "
                     "(default: micropython next to this Python, else on PATH)")
    g.addoption("--lws-board-root", default=None, metavar="DIR",
                help="the lws_mp checkout holding boards/NAME/board.py and "
                     "build/board/NAME/micropython (default: the rootdir)")
    g.addoption("--lws-timeout", default=None, type=float, metavar="SECONDS",
                help="fail a test that runs longer than this on MicroPython (300)")
    g.addoption("--lws-process", default=None, choices=("module", "test"),
                help="one MicroPython process per test module, reused by its tests "
                     "(micropython's default), or a fresh one per test (board's default: "
                     "a test's heap does not depend on the tests before it)")
    g.addoption("--lws-mpy", default="auto", choices=("auto", "yes", "no"),
                help="import the test modules precompiled with mpy-cross (auto: on a "
                     "board interpreter, when an mpy-cross of its .mpy version is found)")
    g.addoption("--lws-heap-probe", action="store_true",
                help="when a test fails at a capped heap, run it again in fresh processes "
                     "to find the smallest heap it passes with (in 4k steps, up to "
                     "--lws-heap-probe-max) and say so in the failure")
    g.addoption("--lws-heap-probe-max", default="2m", metavar="SIZE",
                help="the largest heap --lws-heap-probe tries (2m)")
    parser.addini("lws_interpreter", "default for --lws-interpreter", default="cpython")
    parser.addini("lws_heap", "default for --lws-heap", default="")
    parser.addini("lws_micropython", "default for --lws-micropython", default="")
    parser.addini("lws_board_root", "default for --lws-board-root (relative to the rootdir)",
                  default="")
    parser.addini("lws_heap_needs", "files of 'nodeid size [reason]' lines: the heap a test "
                  "needs on a 32-bit interpreter (as an lws_heap mark)", type="linelist",
                  default=[])


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
    import re

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


# ---------------------------------------------------------------- session


class LwsSession:
    def __init__(self, config):
        self.config = config
        self.interp = Interpreter(config)
        self.timeout = config.getoption("--lws-timeout") or 300.0
        mode = config.getoption("--lws-process") or (
            "test" if self.interp.kind == "board" else "module")
        self.per_test = mode == "test"
        self.probe = config.getoption("--lws-heap-probe")
        self.probe_max = parse_size(config.getoption("--lws-heap-probe-max"))
        self.procs = {}
        self.imports = {}  # module file -> import failure that holds for every test
        self.heaps = []  # (nodeid, heap dict) in run order
        self.sampled = None
        self._mp_path = None
        self.needs = {}  # nodeid -> (need, where it is declared)
        for f in config.getini("lws_heap_needs"):
            self.needs.update(read_needs(os.path.join(str(config.rootpath), f)))
        self.probed = []  # (nodeid, smallest heap or None)
        self.mpy = Precompiler(config, self.interp, self)

    def mp_path(self):
        """A directory of links for MicroPython's path: the shim pytest,
        lws_mp and this package (and nothing else of site-packages)."""
        if self._mp_path is None:
            import lws_mp

            d = tempfile.mkdtemp(prefix="lws_mp_pytest-")
            os.symlink(os.path.dirname(os.path.abspath(lws_mp.__file__)),
                       os.path.join(d, "lws_mp"))
            os.symlink(HERE, os.path.join(d, "lws_mp_pytest"))
            os.symlink(SHIM, os.path.join(d, "pytest.py"))
            self._mp_path = d
        return self._mp_path

    def settings(self, item):
        name, base = module_place(item.function.module)
        path = []
        if self.interp.kind == "board":
            path.append(".frozen")  # what the board holds frozen comes first
        path.append(self.mp_path())
        src = os.path.join(self.mp_path(), "lws_mp")
        load = src
        if self.mpy.enabled:
            if "." not in name:
                path.append(self.mpy.compile_dir(base))
            load = self.mpy.compile_dir(src, key="lws_mp",
                                        names=[n + ".py" for n in self.interp.not_frozen])
        path.append(base)
        for p in sys.path:
            p = os.path.abspath(p or ".")
            if p not in path and _own_dir(p, self.config) and os.path.isdir(p):
                path.append(p)
        return {"path": path, "module": name, "board": self.interp.kind == "board",
                "lws_mp": src, "lws_mp_load": load, "flash": self.interp.flash,
                "board_lws": self.interp.board_lws, "not_frozen": self.interp.not_frozen}

    def process(self, item):
        key = item.module_key
        p = self.procs.get(key)
        if p is not None and p.alive():
            return p
        p = MpProcess(self.interp.argv(), self.settings(item),
                      str(self.config.invocation_params.dir), self.timeout)
        self.procs[key] = p
        return p

    def readable(self, text):
        """MicroPython's text with real paths (not this session's links)
        and the source line of each traceback frame."""
        if self._mp_path:
            import lws_mp

            real = os.path.dirname(os.path.abspath(lws_mp.__file__))
            for link, to in (("lws_mp", real), ("lws_mp_pytest", HERE)):
                text = text.replace(os.path.join(self._mp_path, link) + os.sep, to + os.sep)
        return with_source(text, hide=(MP_MAIN,))

    def passes_with(self, item, spec, heap):
        """Whether the test passes in a fresh process with ``heap`` bytes."""
        argv = [self.interp.binary, "-X", "heapsize=%d" % heap]
        p = MpProcess(argv, self.settings(item), str(self.config.invocation_params.dir),
                      self.timeout)
        try:
            if p.kind != "ready":
                return False
            kind, value, _ = p.run(spec)
            return kind == "result" and value["outcome"] in ("passed", "skipped")
        finally:
            p.close()

    def smallest_heap(self, item, spec):
        """The smallest heap (4k steps) above the cap the test passes with,
        or None if it fails even at --lws-heap-probe-max."""
        step = 4096
        lo, hi = self.interp.heap, self.probe_max
        if hi <= lo or not self.passes_with(item, spec, hi):
            return None
        while hi - lo > step:
            mid = (lo + hi) // 2 // step * step
            if mid <= lo:
                break
            if self.passes_with(item, spec, mid):
                hi = mid
            else:
                lo = mid
        return hi

    def close(self, key):
        p = self.procs.pop(key, None)
        if p is not None:
            p.close()

    def close_all(self):
        for k in list(self.procs):
            self.close(k)
        if self._mp_path:
            shutil.rmtree(self._mp_path, ignore_errors=True)
            self._mp_path = None


def _own_dir(p, config):
    """A sys.path entry of the project (not of an installed package)."""
    if "site-packages" in p or "dist-packages" in p:
        return False
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix):
        if p == prefix or p.startswith(prefix + os.sep):
            return False
    for top in (str(config.rootpath), str(config.invocation_params.dir)):
        if p == top or p.startswith(top + os.sep):
            return True
    return False


def module_place(module):
    """(name to import, directory to put on the path) of a test module."""
    f = os.path.abspath(module.__file__)
    parts = module.__name__.split(".")
    base = os.path.dirname(f)
    if os.path.splitext(os.path.basename(f))[0] == parts[-1]:
        d = base
        for pkg in reversed(parts[:-1]):
            if os.path.basename(d) != pkg or not os.path.isfile(
                    os.path.join(d, "__init__.py")):
                break
            d = os.path.dirname(d)
        else:
            return module.__name__, d
    return os.path.splitext(os.path.basename(f))[0], base


def read_needs(path):
    """A heap-needs file: ``nodeid size [reason]`` a line, # comments."""
    needs = {}
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        raise pytest.UsageError("lws_heap_needs: cannot read %s" % path)
    for n, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise pytest.UsageError("%s:%d: 'nodeid size [reason]' expected" % (path, n))
        needs[parts[0]] = (parse_size(parts[1]), parts[2] if len(parts) > 2 else
                           "%s:%d" % (os.path.basename(path), n))
    return needs


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
    import re

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


# ---------------------------------------------------------------- process


class MpProcess:
    """One MicroPython process running one test module's tests."""

    def __init__(self, argv, settings, cwd, timeout):
        self.timeout = timeout
        self.eof = False
        self.lines = queue.Queue()
        self.proc = subprocess.Popen(argv + [MP_MAIN], cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()
        self._send(settings)
        self.kind, self.info, self.output = self.wait(("ready", "import"), timeout)

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.put(raw.decode("utf-8", "replace"))
        self.lines.put(None)

    def _send(self, value):
        try:
            self.proc.stdin.write((repr(value) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            pass  # it has gone: wait() says how

    def alive(self):
        return self.proc.poll() is None and self.kind == "ready"

    def wait(self, kinds, timeout):
        """(kind, value, output): a message of one of ``kinds``, or
        ("exit", status, output) / ("timeout", None, output)."""
        import time

        out = []
        end = time.monotonic() + timeout
        while True:
            line = None
            if not self.eof:
                left = end - time.monotonic()
                if left <= 0:
                    self.kill()
                    return "timeout", None, "".join(out)
                try:
                    line = self.lines.get(timeout=left)
                except queue.Empty:
                    continue
                self.eof = line is None
            if self.eof:
                try:
                    status = self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.kill()
                    status = None
                return "exit", status, "".join(out)
            i = line.find(MARK)
            if i < 0:
                out.append(line)
                continue
            out.append(line[:i])
            kind, _, payload = line[i + len(MARK):].rstrip("\n").partition(" ")
            if kind in kinds:
                return kind, ast.literal_eval(payload), "".join(out)

    def run(self, spec):
        self._send(spec)
        return self.wait(("result",), self.timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


# ---------------------------------------------------------------- items


class MicroPythonFailure(Exception):
    """A test's failure on MicroPython: the report shows ``text`` as is."""


class _Globals:
    """A test function's module globals, and nothing else of it."""

    def __init__(self, fn):
        import inspect

        fn = inspect.unwrap(fn)
        self.__globals__ = getattr(fn, "__globals__", {})
        self.__name__ = getattr(fn, "__name__", "?")


class MicroPythonItem(pytest.Item):
    """A collected test function, run on a MicroPython interpreter."""

    def __init__(self, *, function, **kw):
        super().__init__(**kw)
        self.function = function
        # for skipif string conditions (pytest reads obj.__globals__); not the
        # function itself, which other plugins would take for one to call here
        self.obj = _Globals(function.obj)
        self.own_markers.extend(function.own_markers)
        self.keywords.update(function.keywords)
        self.module_key = function.module.__file__
        callspec = getattr(function, "callspec", None)
        self.params = dict(callspec.params) if callspec is not None else {}
        self.args = list(function._fixtureinfo.argnames)
        self.lws_heap = None

    def reportinfo(self):
        return self.function.reportinfo()

    def _spec(self):
        spec = {"name": self.function.originalname, "cls": None, "args": self.args,
                "params": self.params}
        if self.function.cls is not None:
            spec["cls"] = self.function.cls.__name__
        if [a for a in self.args if a in FIXTURES]:
            tmp = self.config._tmp_path_factory.mktemp("lws_" + self.function.originalname[:30])
            spec["tmp"] = str(tmp)
            spec["port"] = _free_port()
        return spec

    def _not_runnable(self):
        """Why this test cannot cross to MicroPython, or None."""
        if self.function.cls is not None and hasattr(self.function.cls, "setUp"):
            return "unittest.TestCase tests run on CPython only"
        if self.function.cls is not None and getattr(self.function.cls, "__init__",
                                                     object.__init__) is not object.__init__:
            return "a test class with an __init__ is not made on MicroPython"
        other = [a for a in self.args if a not in FIXTURES and a not in self.params]
        if other:
            return ("fixture %s has no MicroPython side (there: %s)"
                    % (", ".join(repr(a) for a in other), ", ".join(FIXTURES)))
        for k, v in self.params.items():
            try:
                same = ast.literal_eval(repr(v)) == v
            except (ValueError, SyntaxError):
                same = False
            if not same:
                return "parameter %s=%r is not a literal MicroPython can read" % (k, v)
        return None

    def runtest(self):
        lws = self.config.stash[_KEY]
        interp = lws.interp
        if interp.missing:
            raise MicroPythonFailure(interp.missing)
        why = self._not_runnable()
        if why:
            pytest.skip(why)
        self._check_heap_need(interp.facts())
        spec = self._spec()
        try:
            self._run(lws, interp, spec)
        except MicroPythonFailure as e:
            if not (lws.probe and interp.heap):
                raise
            lws.close(self.module_key)
            need = lws.smallest_heap(self, spec)
            if need is None:
                note = "it fails with a heap of %s too" % fmt_size(lws.probe_max)
            else:
                note = ("it passes with a heap of %s (-X heapsize=%dk), the smallest in 4k "
                        "steps; %s has %s" % (fmt_size(need), need // 1024, interp.label,
                                              fmt_size(interp.heap)))
            self.user_properties.append(("lws_heap_need", need))
            lws.probed.append((self.nodeid, need))
            raise MicroPythonFailure("%s\n\n--lws-heap-probe: %s" % (e, note))

    def _run(self, lws, interp, spec):
        failed_import = lws.imports.get(self.module_key)
        if failed_import is None:
            proc = lws.process(self)
            if proc.kind != "ready":
                failed_import = self._import_failure(proc)
                lws.imports[self.module_key] = failed_import
                lws.close(self.module_key)
        if failed_import is not None:
            outcome, text = failed_import
            if outcome == "skipped":
                pytest.skip(text)
            raise MicroPythonFailure(text)
        if lws.sampled is None:
            lws.sampled = proc.info.get("sampled")
        kind, value, out = proc.run(spec)
        if out.strip():
            self.add_report_section("call", "stdout (%s)" % interp.label, lws.readable(out))
        if kind == "result":
            self._result(value, interp, out)
            return
        lws.close(self.module_key)
        if kind == "timeout":
            raise MicroPythonFailure("no result from %s within %gs (process killed)"
                                     % (interp.label, lws.timeout))
        raise MicroPythonFailure("%s exited with status %s during this test\n%s"
                                 % (interp.label, value, lws.readable(_tail(out))))

    def _import_failure(self, proc):
        name = module_place(self.function.module)[0]
        if proc.kind == "import":
            if proc.info["outcome"] == "skipped":
                return "skipped", proc.info["text"]
            return "failed", ("importing %s on %s failed:\n%s"
                              % (name, self.config.stash[_KEY].interp.label,
                                 self.config.stash[_KEY].readable(proc.info["text"])))
        if proc.kind == "timeout":
            return "failed", "importing %s timed out" % name
        lws = self.config.stash[_KEY]
        return "failed", ("%s exited with status %s importing %s\n%s"
                          % (lws.interp.label, proc.info, name, lws.readable(_tail(proc.output))))

    def _check_heap_need(self, facts):
        """Skip if the lws_heap mark (or an lws_heap_needs line for the
        test or its module) asks for more heap than a 32-bit interpreter
        has."""
        if facts.get("word") != 4:
            return
        m = self.get_closest_marker("lws_heap")
        needs = self.config.stash[_KEY].needs
        if m is not None:
            need = parse_size(m.args[0] if m.args else m.kwargs["need"])
            reason = m.kwargs.get("reason") or (m.args[1] if len(m.args) > 1 else "")
        else:
            for key in (self.nodeid, self.nodeid.split("[")[0], self.nodeid.split("::")[0]):
                if key in needs:
                    need, reason = needs[key]
                    break
            else:
                return
        # needs are -X heapsize figures (what --lws-heap-probe finds), so the cap
        # is compared, not the collector's total (a little less: its tables)
        have = self.config.stash[_KEY].interp.heap or facts["heap"]
        if have < need:
            pytest.skip("needs %s of heap on a 32-bit interpreter%s; %s has %s"
                        % (fmt_size(need), " (%s)" % reason if reason else "",
                           self.config.stash[_KEY].interp.label, fmt_size(have)))

    def _result(self, r, interp, out=""):
        heap = r.get("heap")
        if heap:
            self.lws_heap = heap
            self.user_properties.append(("lws_heap_peak", heap["peak"]))
            self.user_properties.append(("lws_heap_base", heap["base"]))
            self.user_properties.append(("lws_heap_total", heap["total"]))
        outcome = r["outcome"]
        if outcome == "passed":
            return
        if outcome == "skipped":
            pytest.skip(r["text"])
        if outcome == "xfailed":
            pytest.xfail(r["text"])
        text = "%s traceback:\n%s" % (interp.label, self.config.stash[_KEY].readable(r["text"]))
        if interp.heap and "MemoryError" in r["text"] + out:
            text += ("\n\n(out of memory at %s's %s heap: a test that cannot fit says what it "
                     "needs with @pytest.mark.lws_heap(SIZE, reason=...) or a line of an "
                     "lws_heap_needs file; --lws-heap-probe finds SIZE)"
                     % (interp.label, interp.heap_text))
        raise MicroPythonFailure(text)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, MicroPythonFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def _tail(text, lines=60):
    t = text.rstrip().splitlines()
    return "\n".join(t[-lines:])


def with_source(tb, hide=()):
    """A MicroPython traceback with each frame's source line under it, as
    CPython prints them (MicroPython prints file and line only); frames in
    the files of ``hide`` (the runner's own) are left out."""
    import linecache
    import re

    out = []
    for line in tb.rstrip("\n").splitlines():
        m = re.match(r'\s*File "([^"]+)", line (\d+)', line)
        if m and m.group(1) in hide:
            continue
        out.append(line)
        if m and os.path.isabs(m.group(1)):  # not a frozen module's
            src = linecache.getline(m.group(1), int(m.group(2))).strip()
            if src:
                out.append("    " + src)
    return "\n".join(out)


def _free_port():
    import socket

    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


# ---------------------------------------------------------------- hooks


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "lws_host: runs on the host's CPython whatever --lws-interpreter "
        "says (a test that drives interpreters or processes itself)")
    config.addinivalue_line(
        "markers", "lws_heap(need, reason): skipped on a 32-bit MicroPython "
        "interpreter whose heap is smaller than need (e.g. '160k')")
    config.stash[_KEY] = LwsSession(config)
    _SESSION[:] = [config.stash[_KEY]]


def pytest_unconfigure(config):
    lws = config.stash.get(_KEY, None)
    if lws is not None:
        lws.close_all()


def pytest_report_header(config):
    lws = config.stash[_KEY]
    lines = ["lws_mp: %s" % lws.interp.describe()]
    if lws.interp.stale:
        lines.append("lws_mp: WARNING: " + lws.interp.stale)
    if lws.interp.micropython and not lws.interp.missing:
        lines.append("lws_mp: %s, one process per %s" % (
            lws.mpy.describe(), "test" if lws.per_test else "module"))
    return lines


def pytest_markeval_namespace(config):
    i = config.stash[_KEY].interp
    return {"lws_interpreter": i.kind, "lws_board": i.board, "lws_heap": i.heap}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    lws = config.stash[_KEY]
    if not lws.interp.micropython:
        return
    for n, item in enumerate(items):
        if type(item) is not pytest.Function or item.get_closest_marker("lws_host"):
            continue
        items[n] = MicroPythonItem.from_parent(item.parent, name=item.name, function=item)


def pytest_runtest_teardown(item, nextitem):
    if not isinstance(item, MicroPythonItem):
        return
    lws = item.config.stash[_KEY]
    if lws.per_test or not isinstance(nextitem, MicroPythonItem) or \
            nextitem.module_key != item.module_key:
        lws.close(item.module_key)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when != "call":
        return
    rep = outcome.get_result()
    if rep.skipped and isinstance(rep.longrepr, tuple) and (
            isinstance(item, MicroPythonItem) or _PYTEST_DIR in str(rep.longrepr[0])):
        # the test's place, not the line (this plugin's, or pytest's own for
        # a unittest.SkipTest) that reported the skip
        fn = item.function if isinstance(item, MicroPythonItem) else item
        path, lineno, _ = fn.location
        rep.longrepr = (path, (lineno or 0) + 1, rep.longrepr[2])


def _heap_of(report):
    """The test's heap figures from its report (its user_properties, which
    pytest-xdist carries from a worker too), or None."""
    if report.when != "call":
        return None
    props = dict(p for p in report.user_properties if isinstance(p, tuple) and len(p) == 2)
    if "lws_heap_peak" not in props:
        return None
    return {"peak": props["lws_heap_peak"], "base": props.get("lws_heap_base", 0)}


def pytest_runtest_logreport(report):
    heap = _heap_of(report)
    if heap is not None:
        _SESSION[0].heaps.append((report.nodeid, heap, report.outcome))


def pytest_report_teststatus(report, config):
    heap = _heap_of(report)
    if heap is None or hasattr(report, "wasxfail"):
        return None
    note = " [heap %s]" % fmt_size(heap["peak"])
    if report.passed:
        return "passed", ".", ("PASSED" + note, {"green": True})
    if report.failed:
        return "failed", "F", ("FAILED" + note, {"red": True})
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lws = config.stash[_KEY]
    tr = terminalreporter
    if lws.probed:
        tr.write_sep("=", "lws_mp heap probe: the smallest heap each failing test passed with")
        tr.write_line("# lws_heap_needs lines (nodeid size); 'none' if it fails at %s too"
                      % fmt_size(lws.probe_max))
        for nodeid, need in lws.probed:
            tr.write_line("%s %s" % (nodeid, "%dk" % (need // 1024) if need else "none"))
    if lws.interp.stale:
        tr.write_sep("=", "lws_mp: WARNING", yellow=True)
        tr.write_line(lws.interp.stale)
    if not lws.heaps:
        return
    tr.write_sep("=", "lws_mp heap on %s" % lws.interp.describe())
    where = "" if lws.sampled is False else "after every service step"
    tr.write_line("peak: gc.mem_alloc() after gc.collect(), the most seen before the test, "
                  "%s%sand after it; base: before the test (runner, module, lws_mp)"
                  % (where, ", " if where else "", ))
    tr.write_line("%9s %9s  %s" % ("peak", "base", "test"))
    for nodeid, h, outcome in sorted(lws.heaps, key=lambda x: -x[1]["peak"]):
        tr.write_line("%9s %9s  %s%s" % (fmt_size(h["peak"]), fmt_size(h["base"]), nodeid,
                                         "" if outcome == "passed" else " (%s)" % outcome))


# ---------------------------------------------------------------- fixtures


def _env_get(env, name):
    try:
        return env.get(name)
    except _fx.UsageError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def _lws_env(request, tmp_path):
    lws = request.config.stash[_KEY]
    env = _fx.Env(request.module, str(tmp_path), lws.interp.flash, 0, lws.interp.board_lws)
    yield env
    env.close()


@pytest.fixture
def lws_flash(_lws_env):
    """The test's flash (fixtures.Flash): a directory here, a mounted
    LittleFS image on MicroPython; ``root``, write(), read(), exists()."""
    return _env_get(_lws_env, "lws_flash")


@pytest.fixture
def lws_clock(_lws_env):
    """lws_mp's clock (fixtures.Clock): advance(seconds) brings timeouts due
    without sleeping."""
    return _env_get(_lws_env, "lws_clock")


@pytest.fixture
def lws_context(_lws_env):
    """The context of the module's lws_app / lws_info on a free loopback port
    (ctx.port), serviced by the clients, destroyed after the test."""
    return _env_get(_lws_env, "lws_context")


@pytest.fixture
def lws_client(_lws_env):
    """A TestClient connected to lws_context (another() opens one more)."""
    return _env_get(_lws_env, "lws_client")
