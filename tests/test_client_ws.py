"""The WebSocket client (lws_client_connect_via_info) against lws_mp's own
server in the same process, and against hand-scripted servers for what a
good server never sends.  Both contexts are serviced in one loop."""

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
    lws_client_connect_info,
    lws_client_connect_via_info,
    lws_close_reason,
    lws_context_creation_info,
    lws_context_destroy,
    lws_extension,
    lws_frame_is_binary,
    lws_hdr_copy,
    lws_hdr_total_length,
    lws_is_final_fragment,
    lws_protocols,
    lws_remaining_packet_payload,
    lws_wsi_user,
    lws_write,
)
from client_support import (
    RawServer,
    Recorder,
    accept_for,
    client_context,
    closed_port,
    free_port_socket,
    hostname_unresolvable,
    parse_client_frames,
    pump,
    unmasked_frame,
    wait_ms,
)
from support import make_context, skip

CCE = LWS_CALLBACK_CLIENT_CONNECTION_ERROR


class EchoServer:
    """An lws_mp server: 'echo' sends back what it gets, fragment for
    fragment; 'closer' closes with 1000 'done' on its first message."""

    def __init__(self, **kw):
        self.events = []
        self.buf = bytearray(LWS_PRE + 70000)
        self.continuing = False
        self.seen_headers = {}
        protos = [lws_protocols("http", self.http), lws_protocols("echo", self.echo),
                  lws_protocols("closer", self.closer)]
        self.ctx, self.port = make_context(lambda p: lws_context_creation_info(
            port=p, protocols=protos, **kw))

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


def _connect(ctx, port, protocol="echo", address="127.0.0.1", path="/", **kw):
    return lws_client_connect_via_info(lws_client_connect_info(
        context=ctx, address=address, port=port, path=path, host=address,
        protocol=protocol, **kw))


def _client(on=None, name="echo", rx=0, **kw):
    rec = Recorder(on)
    ctx = client_context([lws_protocols(name, rec.cb, 0, rx)], **kw)
    return rec, ctx


def test_echo_text_binary_big_and_fragmented():
    srv = EchoServer()
    big = bytes((i * 7) & 0xFF for i in range(10000))
    sends = [(b"hello", LWS_WRITE_TEXT, True), (b"\x00\x01\x02" * 1000, LWS_WRITE_BINARY, False),
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

    rec, ctx = _client(on, rx=65536)
    wsi = _connect(ctx, srv.port)
    assert wsi is not None

    def whole():
        return b"".join(g[0] for g in got)

    want = b"".join(s[0] for s in sends)
    pump([srv.ctx, ctx], lambda: len(whole()) >= len(want))
    assert whole() == want
    assert got[0] == (b"hello", 0, 1, 0)
    assert got[1][1] == 1 and got[1][0] == b"\x00\x01\x02" * 1000
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


def _handshake(conn, protocol=b"echo", accept=None, extra=b"", after=b""):
    key = conn.header(b"sec-websocket-key")
    head = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + (accept or accept_for(key)) + b"\r\n")
    if protocol:
        head += b"Sec-WebSocket-Protocol: " + protocol + b"\r\n"
    conn.send(head + extra + b"\r\n" + after)


def test_client_frames_masked_with_fresh_masks():
    raw = RawServer(lambda c: _handshake(c))
    n = {"sent": 0}

    def on(wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_ESTABLISHED:
            lws_callback_on_writable(wsi)
        elif reason == LWS_CALLBACK_CLIENT_WRITEABLE and n["sent"] < 20:
            n["sent"] += 1
            msg = b"message %d" % n["sent"]
            if n["sent"] & 1:
                buf = bytearray(LWS_PRE + len(msg))
                buf[LWS_PRE:] = msg
                lws_write(wsi, buf, len(msg), LWS_WRITE_TEXT, LWS_PRE)
            else:
                lws_write(wsi, msg, len(msg), LWS_WRITE_TEXT)
            lws_callback_on_writable(wsi)

    rec, ctx = _client(on)
    _connect(ctx, raw.port)

    def frames():
        if not raw.conns:
            return []
        return parse_client_frames(raw.conns[0].got)[0]

    pump([ctx], lambda: len(frames()) >= 20, servers=[raw])
    fr = frames()
    assert [f[3] for f in fr] == [b"message %d" % i for i in range(1, 21)]
    masks = [f[2] for f in fr]
    assert all(m is not None for m in masks)
    assert len(set(masks)) == 20  # a fresh mask for every frame
    assert all(f[0] == 1 and f[1] == 1 for f in fr)
    raw.close()
    lws_context_destroy(ctx)


def test_masked_frame_from_the_server_fails_the_connection_1002():
    def script(c):
        _handshake(c)
        c.send(unmasked_frame(1, b"hi", mask=b"\x01\x02\x03\x04"))
    raw = RawServer(script)
    rec, ctx = _client()
    _connect(ctx, raw.port)
    pump([ctx], lambda: rec.has(LWS_CALLBACK_CLOSED) or (
        raw.conns and parse_client_frames(raw.conns[0].got)[0]), servers=[raw])
    fr = parse_client_frames(raw.conns[0].got)[0]
    assert fr[0][1] == 8 and fr[0][3][:2] == b"\x03\xea"  # close 1002
    assert not rec.has(LWS_CALLBACK_CLIENT_RECEIVE)
    raw.close()
    lws_context_destroy(ctx)


def test_frames_right_behind_the_101_are_received():
    raw = RawServer(lambda c: _handshake(
        c, after=unmasked_frame(1, b"early") + unmasked_frame(2, b"\x00bin")))
    rec, ctx = _client()
    _connect(ctx, raw.port)
    pump([ctx], lambda: len(rec.data(LWS_CALLBACK_CLIENT_RECEIVE)) >= 2, servers=[raw])
    assert rec.data(LWS_CALLBACK_CLIENT_RECEIVE) == [b"early", b"\x00bin"]
    raw.close()
    lws_context_destroy(ctx)


def _expect_error(ctx, rec, text, ms=5000, servers=(), others=()):
    pump(list(others) + [ctx], lambda: rec.has(CCE), ms, servers)
    wait_ms(list(others) + [ctx], 50, servers)
    errs = rec.data(CCE)
    assert len(errs) == 1, rec.events
    assert text in errs[0], errs[0]
    assert not rec.has(LWS_CALLBACK_CLIENT_ESTABLISHED) and not rec.has(LWS_CALLBACK_CLOSED)
    return errs[0]


def test_error_refused_port():
    rec, ctx = _client()
    port = closed_port()
    assert _connect(ctx, port) is not None
    assert not rec.events  # nothing happens before lws_service
    why = _expect_error(ctx, rec, b"refused")
    assert b"127.0.0.1:%d" % port in why
    assert ctx.fd_count == 1  # only the waker is left in the fd table
    lws_context_destroy(ctx)


def test_error_name_not_resolved():
    rec, ctx = _client()
    _connect(ctx, 80, address=hostname_unresolvable())
    _expect_error(ctx, rec, b"name not resolved: " + hostname_unresolvable().encode())
    lws_context_destroy(ctx)


def test_error_status_not_101():
    srv = EchoServer()
    rec, ctx = _client(name="unknown-to-the-server")
    _connect(ctx, srv.port, protocol="unknown-to-the-server")
    _expect_error(ctx, rec, b"not 101: 400", others=[srv.ctx])
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_error_bad_accept_key():
    raw = RawServer(lambda c: _handshake(c, accept=b"dGhpcyBpcyBub3QgaXQ9PT0="))
    rec, ctx = _client()
    _connect(ctx, raw.port)
    _expect_error(ctx, rec, b"Accept hash wrong", servers=[raw])
    raw.close()
    lws_context_destroy(ctx)


def test_error_protocol_not_granted_or_not_offered():
    for proto, text in ((None, b"protocol not granted"), (b"other", b"not offered")):
        raw = RawServer(lambda c, proto=proto: _handshake(c, protocol=proto))
        rec, ctx = _client()
        _connect(ctx, raw.port)
        _expect_error(ctx, rec, text, servers=[raw])
        raw.close()
        lws_context_destroy(ctx)


def test_no_protocol_asked_binds_protocols_0():
    raw = RawServer(lambda c: _handshake(c, protocol=None))
    rec, ctx = _client()
    _connect(ctx, raw.port, protocol=None)
    pump([ctx], lambda: rec.has(LWS_CALLBACK_CLIENT_ESTABLISHED), servers=[raw])
    raw.close()
    lws_context_destroy(ctx)


def test_error_closed_during_handshake():
    raw = RawServer(lambda c: c.close())
    rec, ctx = _client()
    _connect(ctx, raw.port)
    _expect_error(ctx, rec, b"closed the connection during the handshake", servers=[raw])
    raw.close()
    # a partial answer, then the close
    raw = RawServer(lambda c: c.send(b"HTTP/1.1 101 Switching") or c.close())
    rec, ctx2 = _client()
    _connect(ctx2, raw.port)
    _expect_error(ctx2, rec, b"during the handshake", servers=[raw])
    raw.close()
    lws_context_destroy(ctx)
    lws_context_destroy(ctx2)


def test_error_silent_server_times_out():
    raw = RawServer(silent=True)  # the kernel accepts into the backlog; nobody answers
    rec, ctx = _client(timeout_secs=1)
    _connect(ctx, raw.port)
    _expect_error(ctx, rec, b"timeout waiting for the server's response", 4000, [raw])
    raw.close()
    lws_context_destroy(ctx)


def test_error_connect_timeout():
    # a listening socket whose backlog is full: the kernel drops further
    # SYNs, so a connect stays under way until the client's timeout
    import socket as _socket

    lsock, port = free_port_socket(backlog=1)
    fillers = []
    try:
        for _ in range(8):
            s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(_socket.getaddrinfo("127.0.0.1", port)[0][-1])
            except OSError:
                pass
            fillers.append(s)
        rec, ctx = _client(timeout_secs=1)
        _connect(ctx, port)
        pump([ctx], lambda: rec.has(CCE), 5000)
        why = rec.data(CCE)[0]
        if b"timeout" not in why:
            skip("this kernel completed the connect into a full backlog: %r" % why)
        assert b"connect timeout" in why and b"127.0.0.1:%d" % port in why, why
        lws_context_destroy(ctx)
    finally:
        for s in fillers:
            s.close()
        lsock.close()


def test_error_tls_not_available():
    from lws_mp.roles import client_connect

    if client_connect._tls() is not None:
        skip("this build has TLS")
    rec, ctx = _client()
    _connect(ctx, closed_port(), ssl_connection=1)
    _expect_error(ctx, rec, b"TLS not available")
    lws_context_destroy(ctx)


def test_error_fd_table_full():
    rec, ctx = _client(fd_limit_per_thread=1)  # the cancel waker takes the one slot
    _connect(ctx, closed_port())
    _expect_error(ctx, rec, b"fd table full")
    lws_context_destroy(ctx)


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


def test_rx_buffer_size_gives_pieces():
    raw = RawServer(lambda c: _handshake(c) or c.send(unmasked_frame(2, b"z" * 1000)))
    pieces = []

    def on(wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_RECEIVE:
            pieces.append((len_, lws_remaining_packet_payload(wsi), lws_is_final_fragment(wsi)))

    rec, ctx = _client(on, rx=100)
    _connect(ctx, raw.port)
    pump([ctx], lambda: sum(p[0] for p in pieces) >= 1000, servers=[raw])
    assert [p[0] for p in pieces] == [100] * 10
    assert pieces[0][1] == 900 and pieces[-1] == (100, 0, 1)
    raw.close()
    lws_context_destroy(ctx)


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
