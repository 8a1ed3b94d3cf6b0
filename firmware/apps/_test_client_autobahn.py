"""test_client --autobahn URL: every case of an Autobahn|Testsuite
fuzzingserver against the lws_mp WebSocket client.

``/getCaseCount`` says how many cases there are; each runs as
``/runCase?case=N&agent=NAME``, where the client echoes every message back
as it receives it (same opcode, same fragmentation, piece by piece: no
message is ever held whole); ``/updateReports?agent=NAME`` then has the
server write its reports.  A write the socket does not take at once stops
reading (rx flow control) until CLIENT_WRITEABLE, so memory stays bounded.
"""

from lws_mp import (
    CONTEXT_PORT_NO_LISTEN,
    LWS_CALLBACK_CLIENT_CONNECTION_ERROR,
    LWS_CALLBACK_CLIENT_ESTABLISHED,
    LWS_CALLBACK_CLIENT_RECEIVE,
    LWS_CALLBACK_CLIENT_WRITEABLE,
    LWS_CALLBACK_CLOSED,
    LWS_PRE,
    LWS_WRITE_BINARY,
    LWS_WRITE_CONTINUATION,
    LWS_WRITE_NO_FIN,
    LWS_WRITE_TEXT,
    lws_callback_on_writable,
    lws_client_connect_info,
    lws_client_connect_via_info,
    lws_context_creation_info,
    lws_context_destroy,
    lws_create_context,
    lws_frame_is_binary,
    lws_is_final_fragment,
    lws_parse_uri,
    lws_partial_buffered,
    lws_protocols,
    lws_rx_flow_control,
    lws_service,
    lws_write,
)
from lws_mp.plat._port import ticks_diff, ticks_ms

RX = 4096
CASE_LIMIT_MS = 300000  # the suite's own limits end a case long before this


class Echo:
    def __init__(self):
        self.buf = bytearray(LWS_PRE + RX)
        self.reset("echo")

    def reset(self, mode):
        self.mode = mode
        self.continuing = False
        self.text = None
        self.done = False
        self.error = None

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_RECEIVE:
            if self.mode != "echo":
                self.text = bytes(in_)
                return 0
            if self.continuing:
                wp = LWS_WRITE_CONTINUATION
            else:
                wp = LWS_WRITE_BINARY if lws_frame_is_binary(wsi) else LWS_WRITE_TEXT
            final = lws_is_final_fragment(wsi)
            if not final:
                wp |= LWS_WRITE_NO_FIN
            self.continuing = not final
            self.buf[LWS_PRE:LWS_PRE + len_] = in_
            if lws_write(wsi, self.buf, len_, wp, LWS_PRE) < 0:
                return -1
            if lws_partial_buffered(wsi):
                lws_rx_flow_control(wsi, 0)
                lws_callback_on_writable(wsi)
        elif reason == LWS_CALLBACK_CLIENT_WRITEABLE:
            lws_rx_flow_control(wsi, 1)
        elif reason == LWS_CALLBACK_CLIENT_ESTABLISHED:
            pass
        elif reason == LWS_CALLBACK_CLOSED:
            self.done = True
        elif reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            self.error = in_
            self.done = True
        return 0


def _one(ctx, echo, address, port, path, mode, limit_ms):
    echo.reset(mode)
    wsi = lws_client_connect_via_info(lws_client_connect_info(
        context=ctx, address=address, port=port, path=path, host="%s:%d" % (address, port),
        origin=address, ietf_version_or_minus_one=-1))
    if wsi is None:
        return False
    start = ticks_ms()
    while not echo.done:
        if ticks_diff(ticks_ms(), start) > limit_ms:
            print("autobahn: %s took longer than %d s" % (path, limit_ms // 1000))
            return False
        lws_service(ctx, 100)
    if echo.error is not None:
        print("autobahn: %s: %s" % (path, echo.error))
        return False
    return True


def run(url, agent, seconds, sizes):
    err, prot, address, port, path = lws_parse_uri(url)
    if err or prot != "ws":
        raise SystemExit("test_client --autobahn: %r is not ws://HOST:PORT" % url)
    echo = Echo()
    ctx = lws_create_context(lws_context_creation_info(
        port=CONTEXT_PORT_NO_LISTEN, protocols=[lws_protocols("echo", echo.cb, 0, RX)], **sizes))
    if ctx is None:
        raise SystemExit("test_client: could not create the context")
    try:
        if not _one(ctx, echo, address, port, "/getCaseCount", "count", 30000) or \
                echo.text is None:
            print("autobahn: no case count from %s" % url)
            return 1
        count = int(echo.text)
        print("autobahn: %d cases" % count)
        start = ticks_ms()
        for case in range(1, count + 1):
            if seconds and ticks_diff(ticks_ms(), start) > seconds * 1000:
                print("autobahn: out of time after %d cases" % (case - 1))
                return 1
            print("autobahn: case %d/%d" % (case, count))
            _one(ctx, echo, address, port, "/runCase?case=%d&agent=%s" % (case, agent),
                 "echo", CASE_LIMIT_MS)
        ok = _one(ctx, echo, address, port, "/updateReports?agent=%s" % agent, "report", 60000)
        print("autobahn: reports %s" % ("written" if ok else "NOT written"))
        return 0 if ok else 1
    finally:
        lws_context_destroy(ctx)
