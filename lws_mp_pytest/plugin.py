"""The lws_mp pytest plugin (CPython side).

``pytest --lws-interpreter=cpython|micropython|board[:NAME]`` runs the same
test functions on the chosen interpreter.  pytest collects on CPython as
always; for a MicroPython interpreter each collected test function is
replaced by an item that runs it in a MicroPython process (one process per
test module, reused by its tests; see mp_main.py for the other end), with
the plugin's fixtures made there (fixtures.py).  Results, the MicroPython
traceback of a failure, the test's output and its peak heap come back
over the process's stdout.

Here: the options, the session and the hooks.  interpreter.py is what
--lws-interpreter names (and the precompiler), process.py the MicroPython
process, items.py the item that runs a test in it.
"""

import os
import shutil
import sys
import tempfile

import pytest

from . import fixtures as _fx
from .interpreter import DEFAULT_BOARD, Interpreter, Precompiler, fmt_size, parse_size
from .items import _KEY, MicroPythonItem, module_place, with_source
from .process import HERE, MP_MAIN, MpProcess

SHIM = os.path.join(HERE, "shim", "pytest.py")
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


# ---------------------------------------------------------------- process


# ---------------------------------------------------------------- items


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
