"""The differences from libwebsockets v2.1 that docs/API.md section 7 keeps
on purpose, each pinned here over real sockets: if one changes, this file
says so (and the table there has to change with it)."""

from lws_mp import (
    LWS_CALLBACK_CLOSED,
    LWS_CALLBACK_ESTABLISHED,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_WS_PEER_INITIATED_CLOSE,
    lws_context_creation_info,
    lws_context_destroy,
    lws_protocols,
)
from lws_mp.testing import TestClient
from support import make_context, reply

_HTTP_BIND_PROTOCOL = 49
_HTTP_DROP_PROTOCOL = 50


class App:
    """protocols[0] answers every request with its path and what its user
    area held; "echo" is a WebSocket protocol that only records."""

    def __init__(self):
        self.reasons = []
        self.paths = []

    def http(self, wsi, reason, user, in_, len_):
        self.reasons.append(reason)
        if reason == LWS_CALLBACK_HTTP:
            self.paths.append(in_)
            before = user[0]
            user[0] = before + 1  # what a fresh area per request would lose
            return reply(wsi, b"%s %d" % (in_.encode(), before))
        return 0

    def ws(self, wsi, reason, user, in_, len_):
        if reason in (LWS_CALLBACK_ESTABLISHED, LWS_CALLBACK_CLOSED,
                      LWS_CALLBACK_WS_PEER_INITIATED_CLOSE):
            self.reasons.append(reason)
        return 0


def _server(app, **kw):
    # a board's sizes (what is pinned here does not depend on them), so the
    # tests fit a board's heap with room to spare
    return make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", app.http, 4), lws_protocols("echo", app.ws)],
        max_http_header_pool=2, max_http_header_data=1024, pt_serv_buf_size=2048, **kw))


def test_only_a_get_with_connection_upgrade_is_an_upgrade_the_rest_is_plain_http():
    # v2.1 takes "Upgrade: websocket" alone as an upgrade whatever the method
    # and Connection, and closes on any other Upgrade:; here such requests
    # are answered as plain HTTP (RFC 7230 6.7)
    app = App()
    ctx, port = _server(app)
    ws_headers = {"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                  "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": "echo"}
    c = TestClient(ctx, port)
    cases = (
        ("GET", "/no-connection", {"Upgrade": "websocket"}),
        ("POST", "/post", {"Upgrade": "websocket", "Connection": "Upgrade",
                           "Content-Length": "0"}),
        ("GET", "/h2c", {"Upgrade": "h2c", "Connection": "Upgrade"}),
    )
    for method, path, extra in cases:
        h = dict(ws_headers)
        h.update(extra)
        r = c.request(method, path, headers=h)
        assert r.status == 200 and r.body.startswith(path.encode()), (path, r.status, r.body)
    assert app.paths == ["/no-connection", "/post", "/h2c"]
    assert LWS_CALLBACK_ESTABLISHED not in app.reasons
    # and the real one still upgrades
    ws = TestClient(ctx, port).ws_connect("/", "echo")
    assert ws.protocol == "echo"
    lws_context_destroy(ctx)


def test_a_peer_close_is_echoed_with_its_status_only():
    # v2.1 sends the peer's close payload back whole; here the status alone
    # (the reason was the peer's), and an empty close for one without status
    app = App()
    ctx, port = _server(app)
    ws = TestClient(ctx, port).ws_connect("/", "echo")
    ws.send_frame(0x8, b"\x0f\xa0bye")
    fin, op, payload = ws.recv_frame()
    assert (fin, op, payload) == (True, 0x8, b"\x0f\xa0")
    ws.c.wait_closed()
    ws = TestClient(ctx, port).ws_connect("/", "echo")
    ws.send_frame(0x8, b"")
    fin, op, payload = ws.recv_frame()
    assert (op, payload) == (0x8, b"")
    ws.c.wait_closed()
    lws_context_destroy(ctx)


def test_the_http_user_area_lives_for_the_connection_and_no_bind_or_drop_is_issued():
    # v2.1 frees protocols[0]'s area and makes a fresh one per request with
    # HTTP_DROP_PROTOCOL / HTTP_BIND_PROTOCOL; here one area per connection
    app = App()
    ctx, port = _server(app)
    c = TestClient(ctx, port)
    bodies = [c.request("GET", "/r%d" % i).body for i in range(3)]
    assert bodies == [b"/r0 0", b"/r1 1", b"/r2 2"]
    c2 = TestClient(ctx, port)  # another connection: its own area, from zero
    assert c2.request("GET", "/other").body == b"/other 0"
    assert _HTTP_BIND_PROTOCOL not in app.reasons and _HTTP_DROP_PROTOCOL not in app.reasons
    lws_context_destroy(ctx)


def test_iface_is_an_address_or_a_host_name_not_an_interface_name():
    # v2.1 looks an interface name up with getifaddrs; here iface is resolved
    # as an address or host name, so "localhost" listens on the loopback
    app = App()
    ctx, port = _server(app, iface="localhost")
    assert TestClient(ctx, port, host="127.0.0.1").request("GET", "/lo").body == b"/lo 0"
    lws_context_destroy(ctx)
