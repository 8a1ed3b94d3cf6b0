"""The smaller lws functions, each over a real context and real sockets."""

import socket

import support
from lws_mp import (
    LLL_ERR,
    LLL_NOTICE,
    LLL_WARN,
    LWS_CALLBACK_ESTABLISHED,
    LWS_CALLBACK_FILTER_NETWORK_CONNECTION,
    LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_RECEIVE,
    LWS_CALLBACK_RECEIVE_PONG,
    LWS_CALLBACK_USER,
    LWS_WRITE_PING,
    lws_adopt_socket,
    lws_adopt_socket_readbuf,
    lws_callback_all_protocol,
    lws_callback_http_dummy,
    lws_cancel_service_pt,
    lws_canonical_hostname,
    lws_context_creation_info,
    lws_context_destroy,
    lws_context_user,
    lws_create_context,
    lws_get_library_version,
    lws_get_peer_addresses,
    lws_get_protocol,
    lws_get_socket_fd,
    lws_http_transaction_completed,
    lws_protocols,
    lws_pollfd,
    lws_return_http_status,
    lws_service_fd_tsi,
    lws_set_log_level,
    lwsl_emit_stderr,
    lwsl_notice,
    lwsl_timestamp,
    lwsl_warn,
    lws_write,
)
from lws_mp import _port
from lws_mp.testing import TestClient
from support import make_context


def test_version_user_hostname():
    assert lws_get_library_version().startswith("2.1.0")
    marker = object()
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, user=marker, protocols=[lws_protocols("http", lws_callback_http_dummy)],
        pt_serv_buf_size=1024, max_http_header_pool=1, max_http_header_data=1024))  # a board's
    assert lws_context_user(ctx) is marker
    name = lws_canonical_hostname(ctx)
    assert isinstance(name, str) and name
    lws_context_destroy(ctx)


def test_log_levels_hook_and_timestamp():
    lines = []
    lws_set_log_level(LLL_ERR | LLL_WARN, lambda level, line: lines.append((level, line)))
    lwsl_warn("disk %d%% full", 93)
    lwsl_notice("not shown")
    lws_set_log_level(LLL_ERR, lwsl_emit_stderr)  # back to the default output
    assert len(lines) == 1
    level, line = lines[0]
    assert level == LLL_WARN and line.endswith("WARN: disk 93% full\n"), line
    assert line.startswith("[") and "] " in line
    ts = lwsl_timestamp(LLL_NOTICE)
    assert ts.startswith("[") and ts.endswith("NOTICE: ")
    buf = bytearray(64)
    n = lwsl_timestamp(LLL_NOTICE, buf, len(buf))
    # the same format (the clock may have moved on between the two calls)
    got = bytes(buf[:n]).decode()
    assert n == len(ts) and buf[n] == 0
    assert got[0] == "[" and got[11] == " " and got.endswith("] NOTICE: ")
    small = bytearray(8)
    n = lwsl_timestamp(LLL_NOTICE, small, len(small))
    assert n == 7 and small[7] == 0


def test_peer_address_socket_fd_and_filter_by_ip():
    seen = {}

    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
            name_buf = bytearray(32)
            rip_buf = bytearray(32)
            seen["filter"] = lws_get_peer_addresses(wsi, in_, name_buf, 32, rip_buf, 32)
            seen["rip_buf"] = bytes(rip_buf[:rip_buf.find(b"\0")])
            return 0
        if reason == LWS_CALLBACK_HTTP:
            seen["http"] = lws_get_peer_addresses(wsi)
            seen["fd"] = lws_get_socket_fd(wsi)
            seen["protocol"] = lws_get_protocol(wsi).name
            return lws_callback_http_dummy(wsi, reason, user, in_, len_)
        return 0

    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", cb)]))
    r = TestClient(ctx, port).request("GET", "/x")
    assert r.status == 404
    assert seen["filter"] == ("127.0.0.1", "127.0.0.1")
    assert seen["rip_buf"] == b"127.0.0.1"
    assert seen["http"][1] == "127.0.0.1"
    assert seen["protocol"] == "http"
    fds = [w.sock.fileno() for w in ctx.slots if w is not None and w.ws is None
           and w.role == 1]
    assert seen["fd"] in fds
    lws_context_destroy(ctx)


def _listener():
    """A listening socket of the test's own (not lws'): (sock, port)."""
    for _ in range(40):
        port = support._next_port[0] or support._port_base()
        support._next_port[0] = port + 1
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(_port.sockaddr("127.0.0.1", port))
            s.listen(4)
            return s, port
        except OSError:
            s.close()
    raise OSError("no port")


def _accept(ls):
    s, _ = ls.accept()
    return s


def test_adopt_socket_and_readbuf():
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", _hello)]))
    ls, lport = _listener()
    # a connection accepted by someone else, handed over whole
    c = TestClient(ctx, lport)
    s = _accept(ls)
    wsi = lws_adopt_socket(ctx, s)
    assert wsi is not None and wsi.sock is s and ctx.find_wsi(s) is wsi
    r = c.request("GET", "/adopted")
    assert r.status == 200 and r.body == b"hello /adopted"
    # and one whose first bytes were already read by the outside code
    c2 = TestClient(ctx, lport)
    s = _accept(ls)
    c2.send(b"GET /readbuf HTTP/1.1\r\nHost: x\r\n\r\n")
    s.setblocking(True)
    first = s.recv(10)
    assert first == b"GET /readb"
    wsi = lws_adopt_socket_readbuf(ctx, s, first, len(first))
    assert wsi is not None and wsi.sock is s and ctx.find_wsi(s) is wsi
    r = c2.read_response()
    assert r.status == 200 and r.body == b"hello /readbuf"
    ls.close()
    lws_context_destroy(ctx)


def _hello(wsi, reason, user, in_, len_):
    if reason == LWS_CALLBACK_HTTP:
        body = ("hello " + in_).encode()
        head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
        lws_write(wsi, head + body, len(head) + len(body))
        return -1 if lws_http_transaction_completed(wsi) else 0
    return 0


def test_return_http_status_with_a_body_and_foreign_fd():
    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            if lws_return_http_status(wsi, 403, "<p>no entry</p>"):
                return -1
            return -1 if lws_http_transaction_completed(wsi) else 0
        return 0

    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", cb)]))
    c = TestClient(ctx, port)
    r = c.request("GET", "/")
    # v2.1 puts html_body into its status page
    assert r.status == 403 and r.body == b"<html><body><h1>403</h1><p>no entry</p></body></html>"
    assert r.header("content-type").startswith("text/html")
    assert c.request("GET", "/again").status == 403  # still keep-alive
    # a fd lws does not own is left alone
    pfd = lws_pollfd(99999, 1, 1)
    assert lws_service_fd_tsi(ctx, pfd, 0) == 0 and pfd.revents == 1
    lws_cancel_service_pt(ctx.listen_wsi)
    lws_context_destroy(ctx)


def test_create_context_fails_cleanly_on_a_used_port():
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", lws_callback_http_dummy)]))
    lws_set_log_level(0)
    again = lws_create_context(lws_context_creation_info(
        port=port, iface="127.0.0.1",
        protocols=[lws_protocols("http", lws_callback_http_dummy)]))
    lws_set_log_level(LLL_ERR)
    assert again is None
    assert lws_create_context(lws_context_creation_info(port=port, protocols=[])) is None
    lws_context_destroy(ctx)


class Ws:
    def __init__(self):
        self.events = []

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
            return 1 if in_ == "closed-door" else 0
        if reason == LWS_CALLBACK_ESTABLISHED:
            if user is not None:
                self.events.append(("user", type(user).__name__, len(user)))
        elif reason == LWS_CALLBACK_RECEIVE:
            if bytes(in_) == b"ping me":
                lws_write(wsi, b"hi", 2, LWS_WRITE_PING)
        elif reason == LWS_CALLBACK_RECEIVE_PONG:
            self.events.append(("pong", bytes(in_)))
        elif reason == LWS_CALLBACK_USER:
            self.events.append("user-reason")
        return 0


def test_ws_pings_pongs_filter_all_protocol_and_user_area():
    app = Ws()
    proto = lws_protocols("chat", app.cb, 24)  # an int: a zeroed bytearray each
    door = lws_protocols("closed-door", app.cb)
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", lws_callback_http_dummy), proto, door]))
    ws = TestClient(ctx, port).ws_connect("/", "chat")
    assert ("user", "bytearray", 24) in app.events
    ws.send_text("ping me")
    assert ws.recv_frame() == (1, 9, b"hi")  # the server's ping
    ws.send_frame(10, b"hi")  # our pong
    ws.ping(b"are you there")
    assert ws.recv_frame() == (1, 10, b"are you there")  # answered automatically
    assert ("pong", b"hi") in app.events
    lws_callback_all_protocol(ctx, proto, LWS_CALLBACK_USER)
    assert app.events.count("user-reason") == 1
    TestClient(ctx, port).ws_connect("/", "closed-door", expect=403)
    lws_context_destroy(ctx)


def test_ping_interval_closes_a_silent_peer():
    # The clock is driven: the 1 Hz sweep (timeouts and the roles' periodic
    # work, pings among it) is run at a time the test chooses, as
    # test_serve_file drives sweep_timeouts; nothing waits on the wall clock.
    from lws_mp.core.service import _once_a_second
    from lws_mp.plat._port import ticks_add, ticks_ms

    app = Ws()
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, timeout_secs=20, ws_ping_pong_interval=10,
        protocols=[lws_protocols("http", lws_callback_http_dummy),
                   lws_protocols("chat", app.cb)]))
    silent = TestClient(ctx, port).ws_connect("/", "chat")
    answers = TestClient(ctx, port).ws_connect("/", "chat")
    # halfway through the interval nobody is pinged
    _once_a_second(ctx, ticks_add(ticks_ms(), 5 * 1000))
    silent.c.pump(lambda: False, 0)
    answers.c.pump(lambda: False, 0)
    assert not silent.c.rx and not answers.c.rx
    # past it, each idle connection gets a ping
    pinged = ticks_ms()
    _once_a_second(ctx, ticks_add(pinged, 11 * 1000))
    assert silent.recv_frame() == (1, 9, b"")
    assert answers.recv_frame() == (1, 9, b"")
    answers.send_frame(10, b"")  # one answers with its pong
    answers.c.pump(lambda: ("pong", b"") in app.events)
    # the pong wait is timeout_secs from the ping: a second short, both are open
    ctx.sweep_timeouts(ticks_add(pinged, 19 * 1000))
    silent.c.pump(lambda: False, 0)
    assert not silent.c.closed_by_peer and not answers.c.closed_by_peer
    # past it the silent peer is closed; the one that answered stays
    ctx.sweep_timeouts(ticks_add(ticks_ms(), 21 * 1000))
    silent.c.wait_closed()
    assert silent.c.closed_by_peer
    answers.ping(b"still there?")
    assert answers.recv_frame() == (1, 10, b"still there?")
    assert not answers.c.closed_by_peer
    lws_context_destroy(ctx)
