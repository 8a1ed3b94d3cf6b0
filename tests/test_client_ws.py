"""The WebSocket client (lws_client_connect_via_info) against lws_mp's own
server in the same process: both contexts serviced in one loop.
(test_client_ws_raw.py: against hand-scripted servers, and every way a
connection can fail.)"""

import binascii

from lws_mp import (
    LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER,
    LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED,
    LWS_CALLBACK_CLIENT_CONNECTION_ERROR,
    LWS_CALLBACK_CLIENT_ESTABLISHED,
    LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH,
    LWS_CALLBACK_CLIENT_RECEIVE,
    LWS_CALLBACK_CLIENT_RECEIVE_PONG,
    LWS_CALLBACK_CLIENT_WRITEABLE,
    LWS_CALLBACK_CLOSED,
    LWS_CALLBACK_ESTABLISHED,
    LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION,
    LWS_CALLBACK_RECEIVE,
    LWS_CALLBACK_RECEIVE_PONG,
    LWS_CALLBACK_WS_PEER_INITIATED_CLOSE,
    LWS_PRE,
    LWS_WRITE_BINARY,
    LWS_WRITE_CONTINUATION,
    LWS_WRITE_NO_FIN,
    LWS_WRITE_PING,
    LWS_WRITE_TEXT,
    WSI_TOKEN_EXTENSIONS,
    WSI_TOKEN_HTTP,
    WSI_TOKEN_HTTP_COOKIE,
    WSI_TOKEN_ORIGIN,
    WSI_TOKEN_PROTOCOL,
    WSI_TOKEN_UPGRADE,
    lws_add_http_header_by_name,
    lws_callback_on_writable,
    lws_client_connect,
    lws_client_connect_extended,
    lws_close_reason,
    lws_context_destroy,
    lws_extension,
    lws_frame_is_binary,
    lws_hdr_copy,
    lws_hdr_total_length,
    lws_is_final_fragment,
    lws_protocols,
    lws_remaining_packet_payload,
    lws_write,
    lws_wsi_user,
)
from client_support import (
    expect_error as _expect_error,
    pump,
    RawServer,
    server_context,
    ws_client as _client,
    ws_connect as _connect,
)

CCE = LWS_CALLBACK_CLIENT_CONNECTION_ERROR


class EchoServer:
    """An lws_mp server: 'echo' sends back what it gets, fragment for
    fragment; 'closer' closes with 1000 'done' on its first message."""

    def __init__(self, **kw):
        self.events = []
        self.buf = bytearray(LWS_PRE + 4096)
        self.continuing = False
        self.seen_headers = {}
        protos = [lws_protocols("http", self.http), lws_protocols("echo", self.echo),
                  lws_protocols("closer", self.closer)]
        self.ctx, self.port = server_context(protos, **kw)

    def http(self, wsi, reason, user, in_, len_):
        return 0

    def _header(self, wsi, tok):
        n = lws_hdr_total_length(wsi, tok)
        b = bytearray(n + 1)
        lws_hdr_copy(wsi, b, n + 1, tok)
        return bytes(b[:n])

    def echo(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
            for tok in (WSI_TOKEN_HTTP_COOKIE, WSI_TOKEN_ORIGIN, WSI_TOKEN_EXTENSIONS):
                self.seen_headers[tok] = self._header(wsi, tok)
        elif reason == LWS_CALLBACK_ESTABLISHED:
            self.events.append("est")
        elif reason == LWS_CALLBACK_RECEIVE:
            wp = LWS_WRITE_BINARY if lws_frame_is_binary(wsi) else LWS_WRITE_TEXT
            if self.continuing:
                wp = LWS_WRITE_CONTINUATION
            final = lws_is_final_fragment(wsi)
            if not final:
                wp |= LWS_WRITE_NO_FIN
            self.continuing = not final
            self.buf[LWS_PRE:LWS_PRE + len_] = in_
            lws_write(wsi, self.buf, len_, wp, LWS_PRE)
        elif reason == LWS_CALLBACK_RECEIVE_PONG:
            self.events.append(("pong", bytes(in_)))
        elif reason == LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            self.events.append(("peer-close", bytes(in_)))
        elif reason == LWS_CALLBACK_CLOSED:
            self.events.append("closed")
        return 0

    def closer(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_RECEIVE:
            lws_close_reason(wsi, 1000, b"done")
            return -1
        return 0


def _same_stream(pieces, chunks):
    """Do ``pieces`` make the same bytes as ``chunks``?  (Length and CRC-32
    of each stream, from memoryviews: no copy of a big message.)"""
    def digest(parts):
        n = crc = 0
        for p in parts:
            n += len(p)
            crc = binascii.crc32(memoryview(p), crc)
        return n, crc

    return digest(pieces) == digest(chunks)


def test_echo_text_binary_big_and_fragmented():
    srv = EchoServer()
    big = bytes((i * 7) & 0xFF for i in range(3000))  # more than the transmit buffer
    sends = [(b"hello", LWS_WRITE_TEXT, True), (b"\x00\x01\x02" * 300, LWS_WRITE_BINARY, False),
             (big, LWS_WRITE_BINARY, True), (big, LWS_WRITE_BINARY, False),
             (b"frag-", LWS_WRITE_TEXT | LWS_WRITE_NO_FIN, True),
             (b"ment", LWS_WRITE_CONTINUATION, False)]
    state = {"i": 0, "masked_in_place": None}
    got = []

    def on(wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_ESTABLISHED:
            lws_callback_on_writable(wsi)
        elif reason == LWS_CALLBACK_CLIENT_WRITEABLE:
            data, wp, pre = sends[state["i"]]
            state["i"] += 1
            if pre:
                buf = bytearray(LWS_PRE + len(data))
                buf[LWS_PRE:] = data
                assert lws_write(wsi, buf, len(data), wp, LWS_PRE) == len(data)
                if len(data) > 4:
                    # as in lws, a client's payload is masked in place
                    state["masked_in_place"] = bytes(buf[LWS_PRE:]) != data
            else:
                assert lws_write(wsi, data, len(data), wp) == len(data)
            if state["i"] < len(sends):
                lws_callback_on_writable(wsi)
        elif reason == LWS_CALLBACK_CLIENT_RECEIVE:
            got.append((bytes(in_), lws_frame_is_binary(wsi), lws_is_final_fragment(wsi),
                        lws_remaining_packet_payload(wsi)))
            state["n"] += len_

    state["n"] = 0
    rec, ctx = _client(on, rx=4096)
    wsi = _connect(ctx, srv.port)
    assert wsi is not None
    want = 0
    for data, _, _ in sends:
        want += len(data)
    pump([srv.ctx, ctx], lambda: state["n"] >= want)
    assert _same_stream([g[0] for g in got], [d[0] for d in sends])
    assert got[0] == (b"hello", 0, 1, 0)
    assert got[1][1] == 1 and got[1][0] == b"\x00\x01\x02" * 300
    assert (got[-2][0], got[-2][2]) == (b"frag-", 0) and (got[-1][0], got[-1][2]) == (b"ment", 1)
    assert state["masked_in_place"] is True
    assert rec.reasons()[:3] == [LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER,
                                 LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH,
                                 LWS_CALLBACK_CLIENT_ESTABLISHED]
    assert not rec.has(CCE)
    lws_context_destroy(ctx)
    pump([srv.ctx], lambda: "closed" in srv.events)
    assert rec.has(LWS_CALLBACK_CLOSED)
    lws_context_destroy(srv.ctx)


def test_handshake_headers_both_ways_and_extensions_not_offered():
    srv = EchoServer()
    seen = {}

    def copy(wsi, tok):
        n = lws_hdr_total_length(wsi, tok)
        b = bytearray(n + 1)
        assert lws_hdr_copy(wsi, b, n + 1, tok) == n
        return bytes(b[:n])

    def on(wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            assert len_ > 100 and len(in_) == 0
            lws_add_http_header_by_name(wsi, "Cookie:", "a=b", in_, len_)
        elif reason == LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED:
            seen["ext"] = in_
        elif reason == LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
            for tok in (WSI_TOKEN_PROTOCOL, WSI_TOKEN_UPGRADE, WSI_TOKEN_HTTP):
                seen[tok] = copy(wsi, tok)

    rec, ctx = _client(on)
    ext = lws_extension("permessage-deflate", lambda *a: 0, "permessage-deflate")
    _connect(ctx, srv.port, protocol="nope, echo", origin="origin.example", client_exts=[ext])
    pump([srv.ctx, ctx], lambda: rec.has(LWS_CALLBACK_CLIENT_ESTABLISHED))
    assert seen["ext"] == "permessage-deflate"
    assert seen[WSI_TOKEN_PROTOCOL] == b"echo"
    assert seen[WSI_TOKEN_UPGRADE].lower() == b"websocket"
    assert seen[WSI_TOKEN_HTTP].startswith(b"101 ")
    assert srv.seen_headers[WSI_TOKEN_HTTP_COOKIE] == b"a=b"
    assert srv.seen_headers[WSI_TOKEN_ORIGIN] == b"http://origin.example"
    assert srv.seen_headers[WSI_TOKEN_EXTENSIONS] == b""  # lws_mp offers none
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_ping_pong_both_ways():
    srv = EchoServer(ws_ping_pong_interval=1)

    def on(wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_ESTABLISHED:
            lws_callback_on_writable(wsi)
        elif reason == LWS_CALLBACK_CLIENT_WRITEABLE:
            buf = bytearray(LWS_PRE + 2)
            buf[LWS_PRE:] = b"p1"
            lws_write(wsi, buf, 2, LWS_WRITE_PING, LWS_PRE)

    rec, ctx = _client(on)
    _connect(ctx, srv.port)
    pump([srv.ctx, ctx], lambda: rec.has(LWS_CALLBACK_CLIENT_RECEIVE_PONG))
    assert rec.data(LWS_CALLBACK_CLIENT_RECEIVE_PONG) == [b"p1"]
    # the server pings the idle client; the client's pong (masked) comes back
    pump([srv.ctx, ctx], lambda: ("pong", b"") in srv.events, 4000)
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_close_from_the_client_and_from_the_server():
    srv = EchoServer()

    def on(wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_ESTABLISHED:
            lws_close_reason(wsi, 1001, b"bye")
            return -1

    rec, ctx = _client(on)
    _connect(ctx, srv.port)
    pump([srv.ctx, ctx], lambda: "closed" in srv.events and rec.has(LWS_CALLBACK_CLOSED))
    assert ("peer-close", b"\x03\xe9bye") in srv.events
    assert not rec.has(CCE)

    def on2(wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_ESTABLISHED:
            lws_write(wsi, b"x", 1, LWS_WRITE_TEXT)

    rec2, ctx2 = _client(on2, name="closer")
    _connect(ctx2, srv.port, protocol="closer")
    pump([srv.ctx, ctx2], lambda: rec2.has(LWS_CALLBACK_CLOSED))
    assert rec2.data(LWS_CALLBACK_WS_PEER_INITIATED_CLOSE) == [b"\x03\xe8done"]
    lws_context_destroy(ctx)
    lws_context_destroy(ctx2)
    lws_context_destroy(srv.ctx)


def test_error_status_not_101():
    srv = EchoServer()
    rec, ctx = _client(name="unknown-to-the-server")
    _connect(ctx, srv.port, protocol="unknown-to-the-server")
    _expect_error(ctx, rec, b"not 101: 400", others=[srv.ctx])
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_clients_wait_in_the_header_table_fifo():
    srv = EchoServer()
    rec, ctx = _client(max_http_header_pool=1)
    for _ in range(3):
        _connect(ctx, srv.port)
    pump([srv.ctx, ctx], lambda: rec.reasons().count(LWS_CALLBACK_CLIENT_ESTABLISHED) == 3)
    assert ctx.header_pool.waits >= 1
    assert ctx.header_pool.available() == 1
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_thin_forms_and_userdata():
    srv = EchoServer()
    mine = {"tag": 1}
    users = []

    def on(wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_ESTABLISHED:
            users.append(lws_wsi_user(wsi))

    rec, ctx = _client(on)
    assert lws_client_connect(ctx, "127.0.0.1", srv.port, 0, "/", "127.0.0.1", None,
                              "echo", -1) is not None
    assert lws_client_connect_extended(ctx, "127.0.0.1", srv.port, 0, "/", "127.0.0.1", None,
                                       "echo", -1, mine) is not None
    pump([srv.ctx, ctx], lambda: len(users) == 2)
    assert users.count(mine) == 1
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_ws_redirect_is_followed():
    srv = EchoServer()
    loc = b"ws://127.0.0.1:%d/" % srv.port
    raw = RawServer(lambda c: c.send(b"HTTP/1.1 302 Found\r\nLocation: " + loc +
                                     b"\r\nContent-Length: 0\r\n\r\n"))
    rec, ctx = _client()
    _connect(ctx, raw.port)
    pump([srv.ctx, ctx], lambda: rec.has(LWS_CALLBACK_CLIENT_ESTABLISHED), servers=[raw])
    assert "est" in srv.events
    raw.close()
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)
