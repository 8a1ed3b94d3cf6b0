"""lwsl_* logging with lws' level bits, timestamps and emit hook."""

import sys

from ..plat import _port
from ..plat._port import const, micropython  # @micropython.native

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LLL_COUNT = const(10)
_LLL_ERR = const(1)
_LLL_INFO = const(8)
_LLL_NOTICE = const(4)
_LLL_WARN = const(2)


_NAMES = ("ERR", "WARN", "NOTICE", "INFO", "DEBUG", "PARSER", "HEADER", "EXT",
          "CLIENT", "LATENCY")

_level = _LLL_ERR | _LLL_WARN | _LLL_NOTICE


def lwsl_emit_stderr(level, line):
    sys.stderr.write(line)


_emit = lwsl_emit_stderr


def lws_set_log_level(level, func=None):
    """Choose which LLL_ bits are logged and, optionally, where lines go.

    ``func(level, line)`` receives each formatted line (ending in a newline).
    """
    global _level, _emit
    _level = level
    if func is not None:
        _emit = func


def lwsl_timestamp(level, p=None, len_=0):
    """Format '[YYYY/MM/DD HH:MM:SS:mmmm] LEVEL: ' for ``level``.

    With a bytearray ``p`` the text is written there (as lws does) and the
    length is returned; without one the text itself is returned.
    """
    name = "?"
    for n in range(_LLL_COUNT):
        if level == 1 << n:
            name = _NAMES[n]
            break
    t = _port.wall_time()
    ms = _port.ticks_ms() % 10000
    tm = _port.gmtime(t)
    s = "[%04d/%02d/%02d %02d:%02d:%02d:%04d] %s: " % (
        tm[0], tm[1], tm[2], tm[3], tm[4], tm[5], ms, name)
    if p is None:
        return s
    b = s.encode()
    n = min(len(b), len_ - 1 if len_ else len(p) - 1)
    if n < 0:
        return 0
    p[:n] = b[:n]
    p[n] = 0
    return n


def _log(level, fmt, args):
    if not _level & level:
        return
    try:
        try:
            msg = fmt % args if args else fmt
        except (TypeError, ValueError):
            msg = fmt + " " + repr(args)
        _emit(level, lwsl_timestamp(level) + msg + "\n")
    except MemoryError:
        # no heap for the line: it is lost, and what was being handled (often
        # a MemoryError itself) goes on; a log call never raises
        pass


def lwsl_enabled(level):
    """Is ``level`` logged?  A line made on every request is asked for only
    when it is: a disabled logger's call still costs a heap-allocated frame
    on MicroPython."""
    return _level & level


_NO = object()  # an argument not given


def _logger(level):
    # Up to eight arguments are parameters, not a *args tuple, so that a call
    # makes no allocation before the level is checked: a disabled level costs
    # nothing, and a handler for a MemoryError can log without raising one
    # (the tuple is made inside _log's guard).
    @micropython.native  # a disabled level's call: no heap frame
    def lwsl(fmt, a=_NO, b=_NO, c=_NO, d=_NO, e=_NO, f=_NO, g=_NO, h=_NO, *more):
        if not _level & level:
            return
        try:
            args = tuple(v for v in (a, b, c, d, e, f, g, h) if v is not _NO) + more
        except MemoryError:
            return
        _log(level, fmt, args)

    return lwsl


# the levels lws_mp itself logs at; lwsl_debug, lwsl_parser, lwsl_header,
# lwsl_ext, lwsl_client and lwsl_latency are made on first use (each logger
# is a closure on the heap: a firmware pays for the ones it names)
lwsl_err = _logger(_LLL_ERR)
lwsl_warn = _logger(_LLL_WARN)
lwsl_notice = _logger(_LLL_NOTICE)
lwsl_info = _logger(_LLL_INFO)


def __getattr__(name):
    level = name[5:].upper() if name.startswith("lwsl_") else ""
    if level not in _NAMES:
        raise AttributeError(name)
    f = _logger(1 << _NAMES.index(level))
    globals()[name] = f
    return f


def lwsl_exception(e):
    """The traceback of ``e`` on stderr, if there is heap to print it."""
    try:
        _port.print_exception(e)
    except MemoryError:
        pass


def log_enabled(level):
    return bool(_level & level)
