"""The dashboard's WebSocket (``/ws``, subprotocol ``lws-device``): stats
pushed once a second, and the live lwsl log.

The session cookie authenticates the upgrade (FILTER_PROTOCOL_CONNECTION:
401 without a session, 404 for another path); a socket whose session ends
(logout, password change, expiry) is closed with 1008.  Messages are JSON
text, one per SERVER_WRITEABLE:

    {"type": "hello", "stats": {...}, "history": [heap_used, ...],
     "history_step_s": 5, "log": [["NOTICE", "line"], ...]}   first
    {"type": "stats", ...the GET /api/stats object...}      every second
    {"type": "log", "lines": [["WARN", "line"], ...]}       as lines come

The log is lws_mp's own: ``lws_set_log_level(mask, hook)`` sends each line
to ``LogRing.emit``, which still writes it to the console and keeps the
last LOG_LINES for the page (the page filters by level).
"""

import json

from lws_mp import (
    LWS_CALLBACK_CLOSED,
    LWS_CALLBACK_ESTABLISHED,
    LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION,
    LWS_CALLBACK_SERVER_WRITEABLE,
    LWS_CLOSE_STATUS_POLICY_VIOLATION,
    LWS_WRITE_TEXT,
    WSI_TOKEN_GET_URI,
    lws_callback_on_writable,
    lws_close_reason,
    lws_context_user,
    lws_get_context,
    lws_hdr_str,
    lws_set_log_level,
    lws_write,
    lwsl_emit_stderr,
)

from . import http
from .auth import cookie_value

PROTOCOL = "lws-device"
LOG_LINES = 40
_LEVELS = ("ERR", "WARN", "NOTICE", "INFO", "DEBUG", "PARSER", "HEADER", "EXT",
           "CLIENT", "LATENCY")


_console = []  # one entry once known


def _firmware_emit():
    """Where lines went before the app hooked the log (the runner's emit,
    or stderr): lws_set_log_level sets it but has no way to read it back,
    so it is taken from the log module, once per process."""
    if not _console:
        from lws_mp.core import log

        _console.append(getattr(log, "_emit", lwsl_emit_stderr))
    return _console[0]


class LogRing:
    def __init__(self):
        self.lines = []  # [seq, level name, text]
        self.seq = 0
        self.console = _firmware_emit()

    def install(self, mask):
        lws_set_log_level(mask, self.emit)

    def emit(self, level, line):
        self.console(level, line)
        name = "LOG"
        for i in range(len(_LEVELS)):
            if level == 1 << i:
                name = _LEVELS[i]
                break
        self.seq += 1
        self.lines.append((self.seq, name, line.rstrip("\n")))
        if len(self.lines) > LOG_LINES:
            self.lines.pop(0)

    def since(self, seq, limit=LOG_LINES):
        return [[n, t] for s, n, t in self.lines if s > seq][:limit]


class WsSession:
    def __init__(self):
        self.token = None
        self.wsi = None
        self.hello = False
        self.stats_due = False
        self.log_seq = 0


def refuse(wsi, code, message, **more):
    """Answer an upgrade with a JSON error instead of the 101 (the library
    closes after it when the filter returns nonzero)."""
    obj = {"error": message}
    for k, v in more.items():
        obj[k] = v
    http.send(wsi, code, json.dumps(obj), http.JSON, "Connection: close\r\n", complete=False)
    return -1


def _send(wsi, obj):
    data = json.dumps(obj).encode()
    return lws_write(wsi, data, len(data), LWS_WRITE_TEXT) >= 0


def callback_ws(wsi, reason, pss, in_, len_):
    if reason == LWS_CALLBACK_SERVER_WRITEABLE:
        dev = lws_context_user(lws_get_context(wsi))
        if not dev.auth.session_valid(pss.token, False):
            lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, b"session ended")
            return -1
        if not pss.hello:
            pss.hello = True
            pss.stats_due = False
            pss.log_seq = dev.log.seq
            ok = _send(wsi, {"type": "hello", "stats": dev.stats.snapshot(lws_get_context(wsi)),
                             "history": dev.stats.heap_history(), "history_step_s": 5,
                             "log": dev.log.since(0)})
        elif pss.stats_due:
            pss.stats_due = False
            st = dev.stats.snapshot(lws_get_context(wsi))
            st["type"] = "stats"
            ok = _send(wsi, st)
        elif pss.log_seq < dev.log.seq:
            lines = dev.log.since(pss.log_seq, 16)
            pss.log_seq = min(dev.log.seq, pss.log_seq + len(lines)) if lines else dev.log.seq
            ok = _send(wsi, {"type": "log", "lines": lines}) if lines else True
        else:
            return 0
        if not ok:
            return -1
        if pss.stats_due or pss.log_seq < dev.log.seq:
            lws_callback_on_writable(wsi)
        return 0
    if reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return filter_upgrade(wsi, pss)
    if reason == LWS_CALLBACK_ESTABLISHED:
        dev = lws_context_user(lws_get_context(wsi))
        pss.wsi = wsi
        dev.ws_clients.append(pss)
        lws_callback_on_writable(wsi)
        return 0
    if reason == LWS_CALLBACK_CLOSED:
        dev = lws_context_user(lws_get_context(wsi))
        if pss in dev.ws_clients:
            dev.ws_clients.remove(pss)
        pss.wsi = None
        return 0
    return 0


def filter_upgrade(wsi, pss):
    """Only /ws, only with a session; also used by protocols[0] for upgrades
    that name no subprotocol (they are refused after the same checks)."""
    dev = lws_context_user(lws_get_context(wsi))
    token = cookie_value(http.cookie_header(wsi))
    if not dev.auth.session_valid(token):
        return refuse(wsi, 401, "log in first", password_set=dev.auth.password_set())
    if lws_hdr_str(wsi, WSI_TOKEN_GET_URI) != "/ws":
        return refuse(wsi, 404, "the WebSocket is at /ws")
    if pss is None:
        return refuse(wsi, 400, "ask for the %s subprotocol" % PROTOCOL)
    pss.token = token
    return 0


def tick(dev, ctx, second):
    """From the app's tick: stats due every second, log lines as they come."""
    for pss in dev.ws_clients:
        if second:
            pss.stats_due = True
        if second or pss.log_seq < dev.log.seq:
            lws_callback_on_writable(pss.wsi)
