"""WebSocket server role over real loopback sockets."""

from lws_mp import (
    LWS_CALLBACK_CLOSED,
    LWS_CALLBACK_ESTABLISHED,
    LWS_CALLBACK_RECEIVE,
    LWS_CALLBACK_SERVER_WRITEABLE,
    LWS_CALLBACK_WS_PEER_INITIATED_CLOSE,
    LWS_PRE,
    LWS_WRITE_BINARY,
    LWS_WRITE_CONTINUATION,
    LWS_WRITE_NO_FIN,
    LWS_WRITE_TEXT,
    lws_callback_on_writable,
    lws_close_reason,
    lws_context_creation_info,
    lws_context_destroy,
    lws_frame_is_binary,
    lws_is_final_fragment,
    lws_protocols,
    lws_remaining_packet_payload,
    lws_write,
)
from lws_mp.testing import TestClient
from support import make_context


class Echo:
    def __init__(self, pre=True):
        self.events = []
        self.pieces = []
        self.pre = pre
        self.continuing = False
        self.buf = bytearray(LWS_PRE + 70000) if pre else None  # headroom for echoes to 70 KB

    def http(self, wsi, reason, user, in_, len_):
        return 0

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_ESTABLISHED:
            self.events.append("est")
        elif reason == LWS_CALLBACK_RECEIVE:
            self.pieces.append((len_, lws_remaining_packet_payload(wsi),
                                lws_is_final_fragment(wsi), lws_frame_is_binary(wsi)))
            data = bytes(in_)
            if data == b"close-me":
                lws_close_reason(wsi, 1001, b"seeya")
                return -1
            # echo with the same fragmentation lws delivered it in
            if self.continuing:
                wp = LWS_WRITE_CONTINUATION
            else:
                wp = LWS_WRITE_BINARY if lws_frame_is_binary(wsi) else LWS_WRITE_TEXT
            final = lws_is_final_fragment(wsi)
            if not final:
                wp |= LWS_WRITE_NO_FIN
            self.continuing = not final
            if self.pre:
                self.buf[LWS_PRE:LWS_PRE + len_] = in_
                lws_write(wsi, self.buf, len_, wp, LWS_PRE)
            else:
                lws_write(wsi, in_, len_, wp)
        elif reason == LWS_CALLBACK_SERVER_WRITEABLE:
            lws_write(wsi, b"tick", 4, LWS_WRITE_TEXT)
        elif reason == LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            self.events.append(("peer-close", bytes(in_)))
        elif reason == LWS_CALLBACK_CLOSED:
            self.events.append("closed")
        return 0


def _server(app, rx=0, **kw):
    return make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", app.http),
                           lws_protocols("echo", app.cb, 0, rx)], **kw))


def test_echo_text_and_binary_with_and_without_headroom():
    for pre in (True, False):
        app = Echo(pre)
        ctx, port = _server(app)
        ws = TestClient(ctx, port).ws_connect("/", "echo")
        assert ws.protocol == "echo"
        for msg in ("hello", "", "κόσμε" * 50, "x" * 70000):
            ws.send_text(msg)
            m = ws.recv()
            assert m.opcode == 1 and m.text == msg
        ws.send_binary(bytes(range(256)) * 3)
        m = ws.recv()
        assert m.opcode == 2 and m.data == bytes(range(256)) * 3
        assert ws.close(1000) == 1000
        lws_context_destroy(ctx)
        assert app.events[0] == "est" and app.events[-1] == "closed"
        assert app.events.count("closed") == 1


def test_receive_in_rx_buffer_sized_pieces():
    app = Echo()
    ctx, port = _server(app, rx=100)
    ws = TestClient(ctx, port).ws_connect("/", "echo")
    data = bytes(range(250))
    ws.send_binary(data)
    got = b""
    while len(got) < 250:
        got += ws.recv().data
    assert app.pieces == [(100, 150, 0, 1), (100, 50, 0, 1), (50, 0, 1, 1)]
    assert got == data  # unmasked, in order, each piece once
    lws_context_destroy(ctx)


def test_fragmented_message_with_ping_between():
    app = Echo()
    ctx, port = _server(app)
    ws = TestClient(ctx, port).ws_connect("/", "echo")
    ws.send_frame(1, "frag", fin=False)
    ws.ping(b"p1")
    ws.send_frame(0, "ment", fin=True)
    # the echo keeps the fragmentation; the pong goes out between
    assert ws.recv_frame() == (0, 1, b"frag")
    assert ws.recv_frame() == (1, 10, b"p1")
    assert ws.recv_frame() == (1, 0, b"ment")
    assert app.pieces[0][2] == 0 and app.pieces[1][2] == 1
    lws_context_destroy(ctx)


def test_protocol_errors_close_with_status():
    cases = [
        (lambda ws: ws.send_frame(1, "x", rsv=1), 1002),
        (lambda ws: ws.send_frame(3, "x"), 1002),
        (lambda ws: ws.send_frame(9, "x" * 126), 1002),
        (lambda ws: ws.send_frame(9, "x", fin=False), 1002),
        (lambda ws: ws.send_frame(0, "x"), 1002),
        (lambda ws: ws.send_frame(1, "x", mask=False), 1002),
        (lambda ws: ws.send_frame(1, b"\xce\xba\xff"), 1007),
        (lambda ws: ws.send_frame(8, b"\x03\xe8\xff"), 1007),
        (lambda ws: ws.send_frame(8, b"\x03\xed"), 1002),
        (lambda ws: ws.send_frame(8, b"\x03"), 1002),
    ]
    app = Echo()
    ctx, port = _server(app)
    for act, code in cases:
        ws = TestClient(ctx, port).ws_connect("/", "echo")
        act(ws)
        m = ws.recv()
        assert m.opcode == 8 and ws.close_code == code, (code, ws.close_code)
    lws_context_destroy(ctx)


# a board's sizes, which these tests do not test
_BOARD = {"pt_serv_buf_size": 1024, "max_http_header_pool": 1, "max_http_header_data": 1024}


def _frame_b0(b0, payload, key=b"\x5a\xa5\x0f\xf0"):
    """A masked frame of under 126 bytes, first byte ``b0`` (_xor below)."""
    assert len(payload) < 126
    return bytes((b0, 0x80 | len(payload))) + key + _xor(payload, key)


def test_small_whole_messages_in_one_read():
    # the whole small messages of one read are each delivered once, whole,
    # with the right kind, finality and remaining count, sizes 0 to 125
    # around the 126 B header change, text and binary mixed, one inside a
    # fragmented message's continuation (it takes the general path)
    app = Echo(pre=False)  # no 70 KB buffer: it runs at a board's heap
    ctx, port = _server(app, **_BOARD)
    ws = TestClient(ctx, port).ws_connect("/", "echo")
    sizes = (0, 1, 16, 124, 125)
    raw = b"".join(_frame_b0(0x81 if i % 2 else 0x82, bytes([65 + i]) * n)
                   for i, n in enumerate(sizes))
    raw += _frame_b0(0x01, b"ab") + _frame_b0(0x80, b"cd")  # "ab" + "cd"
    raw += _frame_b0(0x81, "\u00e9t\u00e9".encode())
    ws.c.send(raw)
    for i, n in enumerate(sizes):
        assert ws.recv_frame() == (1, 1 if i % 2 else 2, bytes([65 + i]) * n)
    assert ws.recv_frame() == (0, 1, b"ab")
    assert ws.recv_frame() == (1, 0, b"cd")
    assert ws.recv_frame() == (1, 1, "\u00e9t\u00e9".encode())
    assert app.pieces[:len(sizes)] == [(n, 0, 1, 0 if i % 2 else 1) for i, n in enumerate(sizes)]
    lws_context_destroy(ctx)


def test_small_message_errors():
    # the small-message path refuses what the general path does, with the
    # same status: bad UTF-8 (whole, or cut short), a new message inside a
    # fragmented one, a message over max_ws_message_size
    app = Echo(pre=False)  # no 70 KB buffer: it runs at a board's heap
    ctx, port = _server(app, max_ws_message_size=8, **_BOARD)
    cases = [
        (_frame_b0(0x81, b"ok\xc3"), 1007),  # a sequence cut short
        (_frame_b0(0x81, b"\xed\xa0\x80"), 1007),  # a surrogate
        (_frame_b0(0x01, b"ab") + _frame_b0(0x81, b"cd"), 1002),
        (_frame_b0(0x82, b"x" * 9), 1009),
    ]
    for raw, code in cases:
        ws = TestClient(ctx, port).ws_connect("/", "echo")
        ws.c.send(raw)
        m = ws.recv()
        while m.opcode != 8:
            m = ws.recv()
        assert ws.close_code == code, (raw, ws.close_code)
    lws_context_destroy(ctx)


def test_message_too_big_1009():
    app = Echo()
    ctx, port = _server(app, max_ws_message_size=1000)
    ws = TestClient(ctx, port).ws_connect("/", "echo")
    ws.send_frame(2, b"x" * 600, fin=False)
    ws.send_frame(0, b"x" * 600, fin=True)
    assert ws.recv_frame() == (0, 2, b"x" * 600)  # the first fragment was fine
    m = ws.recv()
    assert m.opcode == 8 and ws.close_code == 1009
    lws_context_destroy(ctx)


def test_server_close_reason_and_peer_close():
    app = Echo()
    ctx, port = _server(app)
    ws = TestClient(ctx, port).ws_connect("/", "echo")
    ws.send_text("close-me")
    m = ws.recv()
    assert m.opcode == 8 and ws.close_code == 1001 and ws.close_reason == b"seeya"
    ws2 = TestClient(ctx, port).ws_connect("/", "echo")
    assert ws2.close(4000, b"bye") == 4000
    assert ("peer-close", b"\x0f\xa0bye") in app.events
    lws_context_destroy(ctx)


def test_handshake_refusals():
    app = Echo()
    ctx, port = _server(app)
    r = TestClient(ctx, port).ws_connect("/", "echo", headers={"Sec-WebSocket-Version": "8"},
                                         expect=426)
    assert r.header("sec-websocket-version") == "13"
    TestClient(ctx, port).ws_connect("/", "nope", expect=400)
    TestClient(ctx, port).ws_connect("/", "echo", headers={"Sec-WebSocket-Key": "short"},
                                     expect=400)
    # no protocol named: protocols[0] gets it
    ws = TestClient(ctx, port).ws_connect("/")
    assert ws.protocol is None
    lws_context_destroy(ctx)


def test_writeable_and_pool_released_after_upgrade():
    app = Echo()
    ctx, port = _server(app, max_http_header_pool=1)
    clients = []
    for _ in range(3):  # with one table, upgrades must hand it back
        clients.append(TestClient(ctx, port).ws_connect("/", "echo"))
    assert ctx.header_pool.available() == 1
    for s in ctx.slots:
        if s is not None and s.ws is not None:
            lws_callback_on_writable(s)
    for ws in clients:
        assert ws.recv().text == "tick"
    lws_context_destroy(ctx)


def test_rx_flow_control_holds_back_the_rest_of_a_read():
    from lws_mp import lws_rx_flow_allow_all_protocol, lws_rx_flow_control

    got = []

    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_RECEIVE:
            got.append(bytes(in_[:1]))
            if len(got) == 1:
                lws_rx_flow_control(wsi, 0)  # nothing more until allowed
        return 0

    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", cb), lws_protocols("slow", cb, 0, 1024)]))
    client = TestClient(ctx, port)
    ws = client.ws_connect("/", "slow")
    # one frame of three rx_buffer_size pieces, in one write (one read)
    client.send(_client_frame(b"a" * 1024 + b"b" * 1024 + b"c" * 1024))
    client.service(20)
    assert got == [b"a"]
    lws_rx_flow_allow_all_protocol(ctx, ctx.protocols[1])
    client.pump(lambda: len(got) == 3, 3000)
    assert got == [b"a", b"b", b"c"]  # held back, not lost, in order
    assert ws.protocol == "slow"
    lws_context_destroy(ctx)


def _xor(payload, mask):
    """RFC 6455 5.3 masking, written out here (not the library's unmask)."""
    return bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


def _client_frame(payload, mask=b"\x01\x02\x03\x04"):
    """A masked binary frame of 126..65535 bytes (16-bit length form)."""
    n = len(payload)
    assert 126 <= n < 65536
    head = bytes((0x82, 0x80 | 126, n >> 8, n & 0xFF)) + mask
    return head + _xor(payload, mask)


def _small_frame(op, payload, mask=b"\x05\x06\x07\x08"):
    """A masked frame of under 126 bytes."""
    return bytes((0x80 | op, 0x80 | len(payload))) + mask + _xor(payload, mask)


def test_the_echoes_of_one_read_leave_in_one_send_and_in_order():
    """Small frames written in one service pass are held and go out in one
    send at its end; a frame too big to hold, and the close, keep their
    place after what was held before them."""
    from lws_mp.plat import _port

    app = Echo(pre=False)
    ctx, port = _server(app, rx=1024, pt_serv_buf_size=2048)  # a board's sizes
    client = TestClient(ctx, port)
    client.ws_connect("/", "echo")
    sends = []
    real = _port.send_part

    def counting(sock, buf, off, n):  # the real send, counted
        sends.append(n)
        return real(sock, buf, off, n)

    _port.send_part = counting
    try:
        msgs = [b"msg%02d" % i for i in range(10)]
        client.send(b"".join(_small_frame(1, m) for m in msgs))
        client.pump(lambda: len(_server_frames(client.rx)) == 10)
        assert _server_frames(client.rx) == [(1, m) for m in msgs]
        assert sends == [10 * (2 + 5)]  # ten echoes, one send
        del sends[:]
        client.rx = bytearray()
        big = bytes(range(250)) * 6  # 1500 B: a 1 KB piece and the rest, past a held 1 KB
        client.send(_small_frame(1, b"first") + _client_frame(big) + _small_frame(2, b"last")
                    + _small_frame(1, b"close-me"))
        client.pump(lambda: any(op == 8 for op, _ in _server_frames(client.rx)))
        frames = _server_frames(client.rx)
        assert frames[0] == (1, b"first")
        assert b"".join(d for op, d in frames[1:-2]) == big
        assert frames[-2] == (2, b"last")
        assert frames[-1] == (8, b"\x03\xe9seeya")  # 1001, after everything echoed
    finally:
        _port.send_part = real
    lws_context_destroy(ctx)


def test_echoes_held_at_the_end_of_a_pass_that_the_socket_cannot_take_lose_nothing():
    """A full socket at the end of a pass leaves held echoes pending: the
    writer was told nothing, so its next write is queued behind them (not
    refused), lws_partial_buffered says so, and the firmware's flow control
    (apps/echo's) takes over.  Every echo arrives, in order."""
    from lws_mp import (LLL_ERR, LLL_WARN, lws_partial_buffered, lws_rx_flow_control,
                        lws_set_log_level, lwsl_emit_stderr)

    lines = []
    lws_set_log_level(LLL_ERR | LLL_WARN, lambda level, line: lines.append(line))
    seen = {"held": 0}

    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_ESTABLISHED:
            wsi.sock.setsockopt(1, 7, 2048)  # SOL_SOCKET, SO_SNDBUF: full soon
        elif reason == LWS_CALLBACK_RECEIVE:
            if wsi.trunc_held:
                seen["held"] += 1
            lws_write(wsi, in_, len_, LWS_WRITE_TEXT)
            if lws_partial_buffered(wsi):
                lws_rx_flow_control(wsi, 0)
                lws_callback_on_writable(wsi)
        elif reason == LWS_CALLBACK_SERVER_WRITEABLE:
            lws_rx_flow_control(wsi, 1)
        return 0

    try:
        ctx, port = make_context(lambda p: lws_context_creation_info(
            port=p, pt_serv_buf_size=2048,
            protocols=[lws_protocols("http", cb), lws_protocols("echo", cb, 0, 1024)]))
        client = TestClient(ctx, port)
        client.ws_connect("/", "echo")
        client.sock.setsockopt(1, 8, 2048)  # SO_RCVBUF: the peer reads late
        msgs = [b"m%05d" % i + b"." * 34 for i in range(1500)]
        for k in range(0, len(msgs), 50):
            client.send(b"".join(_small_frame(1, m) for m in msgs[k:k + 50]))
            client.service(3)  # the server echoes while this client does not read
        client.pump(lambda: len(_server_frames(client.rx)) >= len(msgs), 10000)
        assert _server_frames(client.rx) == [(1, m) for m in msgs]
        assert seen["held"], "no pass ended with held echoes pending: the case was not reached"
        assert not [ln for ln in lines if "pending" in ln], lines
        lws_context_destroy(ctx)
    finally:
        lws_set_log_level(LLL_ERR, lwsl_emit_stderr)


# close codes a server may send (RFC 6455 7.4.1, 7.4.2)
_CLOSE_CODES_ON_THE_WIRE = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011)


def _server_frames(rx):
    """The whole frames at the start of ``rx``: [(opcode, payload)].
    Server frames are never masked."""
    out = []
    p = 0
    while p + 2 <= len(rx):
        assert not rx[p + 1] & 0x80, "a server frame was masked"
        n = rx[p + 1] & 0x7F
        h = 2
        if n >= 126:
            h = 4 if n == 126 else 10
            if p + h > len(rx):
                break
            n = 0
            for i in range(p + 2, p + h):
                n = (n << 8) | rx[i]
        if p + h + n > len(rx):
            break
        out.append((rx[p] & 0x0F, bytes(rx[p + h:p + h + n])))
        p += h + n
    return out


def test_garbage_after_the_handshake_never_breaks_the_server():
    """Bounded fuzz (fixed seed): mutated and random frames get a protocol
    answer or nothing, never an internal error, and the server goes on."""
    import random

    from lws_mp import LLL_ERR, lws_set_log_level

    errors = []
    lws_set_log_level(LLL_ERR, lambda level, line: errors.append(line))
    try:
        app = Echo()
        ctx, port = _server(app, rx=64, max_ws_message_size=4096)
        rnd = random.Random(1234) if hasattr(random, "Random") else None
        seed = [7]

        def rand(n):
            if rnd is not None:
                return rnd.randrange(n)
            seed[0] = (seed[0] * 1103515245 + 12345) & 0x7FFFFFFF
            return seed[0] % n

        idle = ctx.fd_count
        payload = bytes(range(65, 105))  # 40 bytes: the 7-bit length form
        mask = b"\x01\x02\x03\x04"
        good = bytes((0x82, 0x80 | len(payload))) + mask + _xor(payload, mask)
        answered = closed = 0
        for i in range(60):
            c = TestClient(ctx, port)
            ws = c.ws_connect("/", "echo")
            # the frame the mutations start from is valid: it is echoed
            c.send(good)
            m = ws.recv()
            assert (m.opcode, m.data) == (2, payload), (i, m)
            if i % 2:
                blob = bytearray(good * (1 + rand(3)))
                for _ in range(1 + rand(6)):
                    blob[rand(len(blob))] = rand(256)
            else:
                blob = bytes(rand(256) for _ in range(1 + rand(200)))
            c.send(bytes(blob))
            c.service(10)
            c.pump(lambda: False, 0)
            frames = _server_frames(c.rx)
            # a protocol answer: echoes, pongs, and at most one close, last,
            # with a code a server may send
            for k, (op, data) in enumerate(frames):
                assert op in (1, 2, 8, 10), (i, op)
                if op == 8:
                    assert k == len(frames) - 1, (i, frames)
                    assert len(data) >= 2, (i, data)
                    code = (data[0] << 8) | data[1]
                    assert code in _CLOSE_CODES_ON_THE_WIRE or 3000 <= code < 5000, (i, code)
                    closed += 1
            answered += len(frames) > 0
            c.close()
            # and nothing is left behind: the connection's slot is free again
            c.pump(lambda: ctx.fd_count == idle)
        # the fuzz reached the frame checks, not only the parser's waits
        assert answered > 10 and closed > 5, (answered, closed)
        # still serving as before
        ws = TestClient(ctx, port).ws_connect("/", "echo")
        ws.send_text("after")
        assert ws.recv().text == "after"
        lws_context_destroy(ctx)
    finally:
        from lws_mp import lwsl_emit_stderr

        lws_set_log_level(LLL_ERR, lwsl_emit_stderr)
    assert not [e for e in errors if "raised" in e or "out of memory" in e], errors[:3]
