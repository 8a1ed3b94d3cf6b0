"""The pytest item that runs one collected test function in a MicroPython
process, and how its failure is reported (the MicroPython traceback with
the test's source lines)."""

import ast
import os

import pytest

from . import fixtures as _fx
from .interpreter import fmt_size, parse_size
from .ports import free_port

FIXTURES = _fx.NAMES
_KEY = pytest.StashKey()  # the run's LwsSession, in config.stash


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
            spec["port"] = free_port()
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
