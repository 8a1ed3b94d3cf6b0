"""What a test module may use of pytest when it runs on MicroPython.

The lws_mp plugin puts this module first on MicroPython's path, so a test
module that does ``import pytest`` imports there too.  pytest itself
(on CPython) has already collected the tests, chosen the parameters and
evaluated the marks; here marks are accepted and ignored, and skip, xfail,
fail, raises and importorskip do what pytest's do.
"""


class Skipped(Exception):
    pass


class XFailed(Exception):
    pass


class Failed(AssertionError):
    pass


def skip(reason="", allow_module_level=False):
    raise Skipped(reason)


def xfail(reason=""):
    raise XFailed(reason)


def fail(reason="", pytrace=True):
    raise Failed(reason)


def importorskip(modname, minversion=None, reason=None):
    try:
        return __import__(modname, None, None, ["_"])
    except ImportError:
        skip(reason or "could not import %r" % modname)


class ExceptionInfo:
    def __init__(self):
        self.type = None
        self.value = None

    def match(self, regexp):
        import re

        if re.search(regexp, str(self.value)) is None:
            raise Failed("pattern %r not found in %r" % (regexp, str(self.value)))
        return True


class RaisesContext:
    def __init__(self, expected, match):
        self.expected = expected
        self.match = match
        self.info = ExceptionInfo()

    def __enter__(self):
        return self.info

    def __exit__(self, etype, value, tb):
        if etype is None:
            raise Failed("DID NOT RAISE %r" % (self.expected,))
        if not issubclass(etype, self.expected):
            return False
        self.info.type = etype
        self.info.value = value
        if self.match is not None:
            self.info.match(self.match)
        return True


def raises(expected, *args, match=None, **kwargs):
    """``with raises(E, match=...)``, or ``raises(E, func, *args)``."""
    ctx = RaisesContext(expected, match)
    if not args:
        return ctx
    with ctx:
        args[0](*args[1:], **kwargs)
    return ctx.info


class approx:
    def __init__(self, expected, rel=None, abs=None):
        self.expected = expected
        self.rel = 1e-6 if rel is None else rel
        self.abs = 1e-12 if abs is None else abs

    def __eq__(self, other):
        tol = max(self.rel * abs_(self.expected), self.abs)
        return abs_(other - self.expected) <= tol

    def __repr__(self):
        return "approx(%r)" % (self.expected,)


abs_ = abs


def param(*values, marks=(), id=None):
    return values


class MarkDecorator:
    def __init__(self, name):
        self.name = name

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and not kwargs and callable(args[0]):
            return args[0]
        return lambda f: f


class MarkGenerator:
    def __getattr__(self, name):
        return MarkDecorator(name)


mark = MarkGenerator()


def fixture(*args, **kwargs):
    """Accepted so that a module defining fixtures imports; only the
    plugin's own fixtures (lws_flash, lws_clock, lws_context, lws_client)
    run on MicroPython."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda f: f
