"""The WebSocket client against hand-scripted servers (client_support's
RawServer) for what a good server never sends -- masked frames, a wrong
accept key, a protocol not asked for, a close mid-handshake, silence -- and
every way a connection can fail, each ending in one
CLIENT_CONNECTION_ERROR with its reason."""

from lws_mp import (
    LWS_CALLBACK_CLIENT_CONNECTION_ERROR,
    LWS_CALLBACK_CLIENT_ESTABLISHED,
    LWS_CALLBACK_CLIENT_RECEIVE,
    LWS_CALLBACK_CLIENT_WRITEABLE,
    LWS_CALLBACK_CLOSED,
    LWS_CALLBACK_WSI_CREATE,
    LWS_CALLBACK_WSI_DESTROY,
    LWS_PRE,
    LWS_WRITE_TEXT,
    lws_callback_on_writable,
    lws_context_destroy,
    lws_is_final_fragment,
    lws_remaining_packet_payload,
    lws_write,
)
from client_support import (
    accept_for,
    closed_port,
    expect_error as _expect_error,
    free_port_socket,
    hostname_unresolvable,
    parse_client_frames,
    pump,
    RawServer,
    unmasked_frame,
    ws_client as _client,
    ws_connect as _connect,
)
from support import skip

CCE = LWS_CALLBACK_CLIENT_CONNECTION_ERROR


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
    assert [f[3] for f in fr] == [b"message %d" % i for i in range(1, 21)], fr
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
    # a build without TLS: the TLS part is made to look absent here
    from lws_mp import roles

    saved = roles._parts.get("roles.tls", None)
    roles._parts["roles.tls"] = object()  # no client_start / client_handshake
    try:
        rec, ctx = _client()
        _connect(ctx, closed_port(), ssl_connection=1)
        _expect_error(ctx, rec, b"TLS not available")  # never plain text
        lws_context_destroy(ctx)
    finally:
        if saved is None:
            del roles._parts["roles.tls"]
        else:
            roles._parts["roles.tls"] = saved


def test_error_fd_table_full():
    rec, ctx = _client(fd_limit_per_thread=1)  # the cancel waker takes the one slot
    _connect(ctx, closed_port())
    _expect_error(ctx, rec, b"fd table full")
    lws_context_destroy(ctx)


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




def test_context_destroyed_mid_handshake_and_a_redirect_to_nowhere():
    raw = RawServer(silent=True)
    rec, ctx = _client()
    _connect(ctx, raw.port)
    pump([ctx], lambda: ctx.fd_count == 2, servers=[raw])  # connected, waiting
    lws_context_destroy(ctx)
    errs = rec.data(CCE)
    assert len(errs) == 1 and b"context destroyed" in errs[0], rec.events
    raw.close()
    # a redirect to a name that does not resolve: one error, and the
    # connection's WSI_CREATE has its WSI_DESTROY
    lifecycle = []

    def on(wsi, reason, in_, len_):
        if reason in (LWS_CALLBACK_WSI_CREATE, LWS_CALLBACK_WSI_DESTROY):
            lifecycle.append(reason)

    loc = b"ws://" + hostname_unresolvable().encode() + b"/"
    raw = RawServer(lambda c: c.send(b"HTTP/1.1 302 Found\r\nLocation: " + loc +
                                     b"\r\nContent-Length: 0\r\n\r\n"))
    rec, ctx = _client(on)
    _connect(ctx, raw.port)
    _expect_error(ctx, rec, b"name not resolved: " + hostname_unresolvable().encode(),
                  servers=[raw])
    assert lifecycle == [LWS_CALLBACK_WSI_CREATE, LWS_CALLBACK_WSI_DESTROY]
    raw.close()
    lws_context_destroy(ctx)
