"""The MicroPython side of the lws_mp pytest plugin: runs one test module.

pytest (plugin.py) starts ``micropython [-X heapsize=N] mp_main.py`` and
talks to it over stdin / stdout in lines:

    pytest -> here   one line of settings (a Python literal dict: sys.path,
                     the module, board or not), then one line per test to
                     run; an empty line or the end of stdin ends the process
    here -> pytest   MARK + "ready {...}" once the module is imported, or
                     MARK + "import {...}" if it could not be;
                     MARK + "result {...}" after each test.

Anything else on stdout (the test's prints, lws_mp's log) is the test's
output.  The values after a MARK are Python literals (repr).

A test's peak heap: ``gc.mem_alloc()`` after ``gc.collect()``, sampled
before the test, after every service step of every context (lws_service,
lws_service_fd: each ends in the service module's ``_after_events``) and
after the test.  A sample collects only when ``gc.mem_alloc()`` exceeds
the peak so far (live bytes are never more than allocated ones), so the
peak is exact at those points without a collection per step.
"""

import gc
import sys

MARK = "\x02lws:"
_SKIPS = ("SkipTest", "Skipped", "SkipException")
_XFAILS = ("XFailed",)


def emit(kind, value):
    # one write per line: the test's own output cannot split it
    sys.stdout.write(MARK + kind + " " + repr(value) + "\n")


def traceback_text(e):
    import io

    buf = io.StringIO()
    sys.print_exception(e, buf)
    return buf.getvalue()


def _reason(e):
    return str(e.args[0]) if e.args else ""


# ---------------------------------------------------------------- heap


class Heap:
    def __init__(self):
        self.base = self.peak = 0

    def reset(self):
        gc.collect()
        self.base = self.peak = gc.mem_alloc()

    def sample(self):
        a = gc.mem_alloc()
        if a > self.peak:
            gc.collect()
            a = gc.mem_alloc()
            if a > self.peak:
                self.peak = a


heap = Heap()


def hook_service():
    """Sample the heap after every service step: ``_after_events`` ends
    both lws_service and lws_service_fd.  False if there is no such step
    (the peak is then sampled before and after the test only)."""
    try:
        from lws_mp.core import service
    except ImportError:
        return False
    inner = getattr(service, "_after_events", None)
    if inner is None:
        return False

    def after_events(ctx):
        inner(ctx)
        heap.sample()

    service._after_events = after_events
    return True


# ---------------------------------------------------------------- board


def board_imports(src, load_dir, not_frozen):
    """A board interpreter holds lws_mp frozen, less the modules its
    manifest leaves out (``not_frozen``: testing, aio, io_watch, the
    CPython halves): those load from ``load_dir`` (precompiled) or ``src``
    (the package's sources), each into its frozen package, while every
    other lws_mp module stays the frozen one."""
    import lws_mp

    if lws_mp.__path__ == src:
        return  # not frozen at all
    import os

    def found(path):
        try:
            os.stat(path)
            return True
        except OSError:
            return False

    # the subpackages, frozen: a module loaded from src finds them in
    # sys.modules, and their own modules come from their (frozen) __path__
    packages = [("", lws_mp)]
    for name in sorted(os.listdir(src)):
        if found(src + "/" + name + "/__init__.py"):
            packages.append((name, __import__("lws_mp." + name, None, None, ["_"])))

    def loader(rel, pkg):
        frozen = pkg.__path__

        def load(name):
            if name not in not_frozen:
                return None
            for d in (load_dir, src):
                where = d + "/" + rel if rel else d
                if found(where + "/" + name + ".mpy") or found(where + "/" + name + ".py"):
                    pkg.__path__ = where
                    try:
                        return __import__(pkg.__name__ + "." + name, None, None, [name])
                    finally:
                        pkg.__path__ = frozen
            return None

        return load

    for rel, pkg in packages:
        load = loader(rel, pkg)
        prior = pkg.__dict__.get("__getattr__")

        def getattr_(name, prior=prior, load=load, pkg=pkg):
            if prior is not None:
                try:
                    return prior(name)
                except AttributeError:
                    pass
            m = load(name)
            if m is None:
                # what MicroPython does for a package with no __getattr__:
                # the submodule of that name, if there is one
                try:
                    m = __import__(pkg.__name__ + "." + name, None, None, [name])
                except ImportError:
                    raise AttributeError(name)
            return m

        # ``from lws_mp import aio``, ``from .plat import io_watch``: the
        # package's attribute, then its module from src
        pkg.__getattr__ = getattr_
        if rel == "":
            try:
                import lws_mp.testing  # noqa: F401
            except ImportError:
                load("testing")


# ---------------------------------------------------------------- tests


def _function(mod, spec):
    cls = spec.get("cls")
    if cls:
        return getattr(getattr(mod, cls)(), spec["name"])
    return getattr(mod, spec["name"])


def run(mod, spec, settings, threshold):
    env = None
    outcome, text = "passed", ""
    if threshold is not None:
        gc.threshold(threshold)
    try:
        fn = _function(mod, spec)
        kw = dict(spec.get("params") or {})
        names = [a for a in spec.get("args", ()) if a not in kw]
        if names:
            from lws_mp_pytest.fixtures import Env

            env = Env(mod, spec["tmp"], settings.get("flash"), spec.get("port", 0),
                      settings.get("board_lws"))
        heap.reset()
        for a in names:
            kw[a] = env.get(a)
        fn(**kw)
    except BaseException as e:  # noqa: B036  (a test may raise anything)
        outcome, text = _classify(e)
    if env is not None:
        try:
            env.close()
        except BaseException as e:  # noqa: B036
            if outcome == "passed":
                outcome = "failed"
                text = "error closing the fixtures:\n" + traceback_text(e)
    heap.sample()
    return {"outcome": outcome, "text": text,
            "heap": {"base": heap.base, "peak": heap.peak,
                     "total": gc.mem_alloc() + gc.mem_free()}}


def _classify(e):
    name = type(e).__name__
    if name in _SKIPS:
        return "skipped", _reason(e)
    if name in _XFAILS:
        return "xfailed", _reason(e)
    return "failed", traceback_text(e)


def main():
    settings = eval(sys.stdin.readline())
    path = settings["path"]
    rest = [p for p in sys.path if p not in path and p != sys.path[0]]
    sys.path.clear()
    sys.path.extend(path)
    sys.path.extend(rest)
    sys.argv[:] = [settings["module"]]
    try:
        if settings.get("board"):
            board_imports(settings["lws_mp"], settings.get("lws_mp_load") or settings["lws_mp"],
                          settings.get("not_frozen") or ("testing", "aio"))
        sampled = hook_service()
    except Exception as e:  # lws_mp itself does not import
        emit("import", {"outcome": "failed", "text": "importing lws_mp:\n" + traceback_text(e)})
        return
    try:
        threshold = gc.threshold()
    except AttributeError:
        threshold = None
    try:
        mod = __import__(settings["module"], None, None, ["_"])
    except BaseException as e:  # noqa: B036
        outcome, text = _classify(e)
        emit("import", {"outcome": outcome, "text": text})
        return
    gc.collect()
    emit("ready", {"total": gc.mem_alloc() + gc.mem_free(), "used": gc.mem_alloc(),
                   "word": 8 if sys.maxsize > 2**32 else 4, "sampled": sampled,
                   "version": sys.version})
    while True:
        line = sys.stdin.readline()
        if not line or not line.strip():
            return
        spec = eval(line)
        try:
            result = run(mod, spec, settings, threshold)
        except MemoryError:  # even the report did not fit: a short one
            result = None
        if result is None:
            gc.collect()
            result = {"outcome": "failed", "heap": None,
                      "text": "MemoryError (the heap had no room left for the traceback)\n"}
        emit("result", result)


main()
