"""The HTTP client (``method`` given) against lws_mp's own server in the
same process, and against hand-scripted servers and a scripted proxy."""

import binascii

from lws_mp import (
    LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER,
    LWS_CALLBACK_CLIENT_CONNECTION_ERROR,
    LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH,
    LWS_CALLBACK_CLIENT_HTTP_WRITEABLE,
    LWS_CALLBACK_CLOSED_CLIENT_HTTP,
    LWS_CALLBACK_COMPLETED_CLIENT_HTTP,
    LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_HTTP_BODY,
    LWS_CALLBACK_HTTP_BODY_COMPLETION,
    LWS_CALLBACK_HTTP_WRITEABLE,
    LWS_CALLBACK_RECEIVE_CLIENT_HTTP,
    LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ,
    LWS_WRITE_HTTP,
    LWS_WRITE_HTTP_HEADERS,
    WSI_TOKEN_HTTP_CONTENT_LENGTH,
    WSI_TOKEN_HTTP_CONTENT_TYPE,
    lws_add_http_header_by_name,
    lws_add_http_header_by_token,
    lws_add_http_header_content_length,
    lws_add_http_header_status,
    lws_callback_on_writable,
    lws_client_connect_info,
    lws_client_connect_via_info,
    lws_client_http_body_pending,
    lws_client_reset,
    lws_context_destroy,
    lws_finalize_http_header,
    lws_hdr_copy,
    lws_hdr_total_length,
    lws_http_client_http_response,
    lws_http_client_read,
    lws_http_transaction_completed,
    lws_protocols,
    lws_set_proxy,
    lws_write,
)
from lws_mp.plat import _port
from client_support import (
    RawServer,
    Recorder,
    client_context,
    closed_port,
    pump,
    server_context,
    wait_ms,
)
from support import reply

CCE = LWS_CALLBACK_CLIENT_CONNECTION_ERROR
BIG = 100000


def _big_byte(i):
    return (i * 31 + 7) & 0xFF


class WebServer:
    """lws_mp serving the routes the client tests fetch."""

    def __init__(self):
        self.requests = []
        self.posted = bytearray()
        self.big_sent = {}
        self.ctx, self.port = server_context([lws_protocols("http", self.cb)])

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            self.requests.append(in_)
            if in_ == "/plain" or in_ == "/plain2":
                return reply(wsi, b"hello world")
            if in_ == "/404":
                return reply(wsi, b"nothing here", 404)
            if in_.startswith("/hop"):
                n = int(in_[4:])
                to = "/hop%d" % (n - 1) if n > 1 else "/plain"
                if n == 9:
                    to = "http://127.0.0.1:%d/plain" % self.port
                return self._redirect(wsi, to)
            if in_ == "/chunked":
                head = bytearray()
                lws_add_http_header_status(wsi, 200, head)
                lws_add_http_header_by_name(wsi, "Transfer-Encoding:", "chunked", head)
                lws_finalize_http_header(wsi, head)
                lws_write(wsi, head, len(head), LWS_WRITE_HTTP_HEADERS)
                body = b"5;ext=1\r\nhello\r\n1\r\n \r\n6\r\nchunks\r\n0\r\nTrailer: x\r\n\r\n"
                lws_write(wsi, body, len(body), LWS_WRITE_HTTP)
                return -1 if lws_http_transaction_completed(wsi) else 0
            if in_ == "/big":
                head = bytearray()
                lws_add_http_header_status(wsi, 200, head)
                lws_add_http_header_content_length(wsi, BIG, head)
                lws_finalize_http_header(wsi, head)
                lws_write(wsi, head, len(head), LWS_WRITE_HTTP_HEADERS)
                self.big_sent[wsi] = 0
                lws_callback_on_writable(wsi)
                return 0
            if in_ == "/post":
                self.posted = bytearray()
                return 0
            return reply(wsi, b"?", 404)
        if reason == LWS_CALLBACK_HTTP_WRITEABLE and wsi in self.big_sent:
            sent = self.big_sent[wsi]
            n = min(4096, BIG - sent)
            lws_write(wsi, bytes(_big_byte(i) for i in range(sent, sent + n)), n, LWS_WRITE_HTTP)
            self.big_sent[wsi] = sent + n
            if sent + n < BIG:
                lws_callback_on_writable(wsi)
                return 0
            del self.big_sent[wsi]
            return -1 if lws_http_transaction_completed(wsi) else 0
        if reason == LWS_CALLBACK_HTTP_BODY:
            self.posted += in_
        if reason == LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return reply(wsi, b"got %d" % len(self.posted))
        return 0

    def _redirect(self, wsi, to):
        head = bytearray()
        lws_add_http_header_status(wsi, 302, head)
        lws_add_http_header_by_name(wsi, "Location:", to, head)
        lws_add_http_header_content_length(wsi, 0, head)
        lws_finalize_http_header(wsi, head)
        lws_write(wsi, head, len(head), LWS_WRITE_HTTP_HEADERS)
        return -1 if lws_http_transaction_completed(wsi) else 0


class Getter(Recorder):
    """An HTTP client callback: reads the body in pieces of ``bufsize``
    (kept whole in .body, or with ``keep`` False only counted: .size, .crc,
    the largest piece .biggest)."""

    def __init__(self, bufsize=1024, on=None, keep=True):
        Recorder.__init__(self, on)
        self.buf = bytearray(bufsize)
        self.body = bytearray()
        self.keep = keep
        self.size = 0
        self.crc = 0
        self.biggest = 0
        self.pieces = 0
        self.status = 0
        self.length = None

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
            self.status = lws_http_client_http_response(wsi)
            n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH)
            if n:
                b = bytearray(n + 1)
                lws_hdr_copy(wsi, b, n + 1, WSI_TOKEN_HTTP_CONTENT_LENGTH)
                self.length = int(bytes(b[:n]))
        if reason == LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
            if self.keep:
                self.body += in_
            self.size += len_
            self.crc = binascii.crc32(in_, self.crc)
            self.biggest = max(self.biggest, len_)
            self.pieces += 1
            if reason < 27 or reason > 37:
                self.events.append((reason, None))  # (the data is in .body)
            return self.on(wsi, reason, in_, len_) if self.on else 0
        r = Recorder.cb(self, wsi, reason, user, in_, len_)
        if reason == LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
            return -1 if lws_http_client_read(wsi, self.buf, len(self.buf)) < 0 else r
        return r

    def done(self):
        return self.has(LWS_CALLBACK_COMPLETED_CLIENT_HTTP) or \
            self.has(LWS_CALLBACK_CLOSED_CLIENT_HTTP) or self.has(CCE)

    def closed(self):
        return self.has(LWS_CALLBACK_CLOSED_CLIENT_HTTP) or self.has(CCE)


def _get(ctx, port, path, method="GET", address="127.0.0.1", **kw):
    return lws_client_connect_via_info(lws_client_connect_info(
        context=ctx, address=address, port=port, path=path, host=address, method=method, **kw))


def _client(getter=None, **kw):
    g = getter or Getter()
    ctx = client_context([lws_protocols("http-client", g.cb)], **kw)
    return g, ctx


def test_get_content_length_body_and_callbacks():
    srv = WebServer()
    g, ctx = _client()
    assert _get(ctx, srv.port, "/plain") is not None
    pump([srv.ctx, ctx], g.done)
    assert bytes(g.body) == b"hello world" and g.status == 200 and g.length == 11
    r = g.reasons()
    assert r[0] == LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER
    assert r.index(LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH) < r.index(
        LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP) < r.index(LWS_CALLBACK_RECEIVE_CLIENT_HTTP) < r.index(
        LWS_CALLBACK_COMPLETED_CLIENT_HTTP)
    assert not g.has(CCE) and not g.has(LWS_CALLBACK_CLOSED_CLIENT_HTTP)  # kept alive
    lws_context_destroy(ctx)
    assert g.data(LWS_CALLBACK_CLOSED_CLIENT_HTTP) == [None]  # a normal end
    lws_context_destroy(srv.ctx)


def test_big_body_streams_in_pieces_no_bigger_than_the_buffer():
    srv = WebServer()
    g, ctx = _client(Getter(bufsize=1500, keep=False))
    _get(ctx, srv.port, "/big")
    pump([srv.ctx, ctx], g.done, 20000)
    assert g.size == BIG and g.has(LWS_CALLBACK_COMPLETED_CLIENT_HTTP)
    crc = 0
    for off in range(0, BIG, 4096):
        crc = binascii.crc32(bytes(_big_byte(i) for i in range(off, min(BIG, off + 4096))), crc)
    assert g.crc == crc
    assert g.biggest <= 1500 and g.pieces >= BIG // 1500
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_chunked_response():
    srv = WebServer()
    g, ctx = _client(Getter(bufsize=7))  # the framing split at every which place
    _get(ctx, srv.port, "/chunked")
    pump([srv.ctx, ctx], g.done)
    assert bytes(g.body) == b"hello chunks"
    assert g.has(LWS_CALLBACK_COMPLETED_CLIENT_HTTP) and not g.has(CCE)
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_redirect_chains_of_1_and_3_hops_and_4_fails():
    srv = WebServer()
    for path, n in (("/hop1", 1), ("/hop3", 3), ("/hop9", 1)):
        g, ctx = _client()
        srv.requests = []
        _get(ctx, srv.port, path)
        pump([srv.ctx, ctx], g.done)
        assert bytes(g.body) == b"hello world", (path, g.events)
        assert srv.requests[-1] == "/plain" and len(srv.requests) == n + 1
        lws_context_destroy(ctx)
    g, ctx = _client()
    _get(ctx, srv.port, "/hop4")
    pump([srv.ctx, ctx], g.done)
    errs = g.data(CCE)
    assert len(errs) == 1 and b"Redirect failed: too many redirects" in errs[0], g.events
    assert not g.has(LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP)
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_non_200_status_is_a_connection_error():
    srv = WebServer()
    g, ctx = _client()
    _get(ctx, srv.port, "/404")
    pump([srv.ctx, ctx], g.done)
    errs = g.data(CCE)
    assert len(errs) == 1 and b"did not return 200: 404 Not Found" in errs[0]
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_post_body_from_client_http_writeable():
    srv = WebServer()
    body = b"text=hello&send=Send+the+form"

    def on(wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            if lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                            b"%d" % len(body), in_, len_) or \
                    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                                 "application/x-www-form-urlencoded", in_, len_):
                return -1
            lws_client_http_body_pending(wsi, 1)
            lws_callback_on_writable(wsi)
        elif reason == LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
            if lws_write(wsi, body, len(body), LWS_WRITE_HTTP) < 0:
                return -1
            lws_client_http_body_pending(wsi, 0)

    g, ctx = _client(Getter(on=on))
    _get(ctx, srv.port, "/post", method="POST")
    pump([srv.ctx, ctx], g.done)
    assert bytes(srv.posted) == body
    assert bytes(g.body) == b"got %d" % len(body)
    assert g.has(LWS_CALLBACK_CLIENT_HTTP_WRITEABLE)
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)


def test_keep_alive_reuse_through_lws_client_reset():
    srv = WebServer()
    g, ctx = _client()
    wsi = _get(ctx, srv.port, "/plain")
    pump([srv.ctx, ctx], lambda: g.has(LWS_CALLBACK_COMPLETED_CLIENT_HTTP))
    wait_ms([srv.ctx, ctx], 50)
    assert not g.has(LWS_CALLBACK_CLOSED_CLIENT_HTTP)  # kept alive, idle
    assert ctx.header_pool.available() == len(ctx.header_pool.tables)
    g.body = bytearray()
    assert lws_client_reset(wsi, 0, "127.0.0.1", srv.port, "/plain2", "127.0.0.1") is wsi
    pump([srv.ctx, ctx], lambda: g.reasons().count(LWS_CALLBACK_COMPLETED_CLIENT_HTTP) == 2)
    assert bytes(g.body) == b"hello world" and srv.requests == ["/plain", "/plain2"]
    assert srv.ctx.stats_accepted == 1  # both on one connection
    lws_context_destroy(ctx)
    pump([srv.ctx], lambda: True)
    assert g.data(LWS_CALLBACK_CLOSED_CLIENT_HTTP) == [None]
    lws_context_destroy(srv.ctx)


def _raw_get(script, getter=None, **kw):
    raw = RawServer(script)
    g, ctx = _client(getter, **kw)
    _get(ctx, raw.port, "/x")
    pump([ctx], g.done, 6000, servers=[raw])
    wait_ms([ctx], 50, servers=[raw])
    raw.close()
    lws_context_destroy(ctx)
    return g


def test_close_delimited_body_and_head_with_body_in_one_piece():
    g = _raw_get(lambda c: c.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                                  b"until the close") or c.close())
    assert bytes(g.body) == b"until the close"
    assert g.has(LWS_CALLBACK_COMPLETED_CLIENT_HTTP)
    assert g.data(LWS_CALLBACK_CLOSED_CLIENT_HTTP) == [None]
    # HTTP/1.0 with a length: complete, then closed (not kept alive)
    g = _raw_get(lambda c: c.send(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc"))
    assert bytes(g.body) == b"abc" and g.has(LWS_CALLBACK_CLOSED_CLIENT_HTTP)


def test_server_closes_mid_body():
    g = _raw_get(lambda c: c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 40)
                 or c.close())
    assert bytes(g.body) == b"x" * 40
    assert not g.has(LWS_CALLBACK_COMPLETED_CLIENT_HTTP) and not g.has(CCE)
    why = g.data(LWS_CALLBACK_CLOSED_CLIENT_HTTP)
    assert len(why) == 1 and b"before the end of the body (60 bytes missing)" in why[0], why
    # chunked, cut inside a chunk
    g = _raw_get(lambda c: c.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  b"10\r\n12345") or c.close())
    assert bytes(g.body) == b"12345" and not g.has(LWS_CALLBACK_COMPLETED_CLIENT_HTTP)
    assert b"before the end of the body" in g.data(LWS_CALLBACK_CLOSED_CLIENT_HTTP)[0]


def test_bad_chunked_framing_and_bad_heads():
    g = _raw_get(lambda c: c.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
    assert b"bad chunked framing" in g.data(LWS_CALLBACK_CLOSED_CLIENT_HTTP)[0]
    for head, text in ((b"SSH-2.0-OpenSSH\r\n\r\n", b"not an HTTP response"),
                       (b"HTTP/1.1 2x0 OK\r\n\r\n", b"bad status code"),
                       (b"HTTP/1.1 200 OK\r\n folded\r\n\r\n", b"folding"),
                       (b"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", b"bad Content-Length"),
                       (b"HTTP/1.1 302 Found\r\n\r\n", b"no Location")):
        g = _raw_get(lambda c, head=head: c.send(head))
        errs = g.data(CCE)
        assert len(errs) == 1 and text in errs[0], (head, errs)


def test_interim_100_and_no_body_statuses():
    g = _raw_get(lambda c: c.send(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                                  b"Content-Length: 2\r\n\r\nok"))
    assert bytes(g.body) == b"ok"
    g = _raw_get(lambda c: c.send(b"HTTP/1.1 204 No Content\r\n\r\n") or c.close())
    assert g.has(LWS_CALLBACK_COMPLETED_CLIENT_HTTP) and not g.body


def test_response_timeout_mid_body():
    g = _raw_get(lambda c: c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12"),
                 timeout_secs=1)
    assert bytes(g.body) == b"12"
    assert b"timeout" in g.data(LWS_CALLBACK_CLOSED_CLIENT_HTTP)[0]


def test_connection_errors():
    g, ctx = _client()
    _get(ctx, closed_port(), "/")
    pump([ctx], g.done)
    assert b"refused" in g.data(CCE)[0]
    lws_context_destroy(ctx)


class Proxy(RawServer):
    """A scripted HTTP CONNECT proxy that relays to 127.0.0.1."""

    def __init__(self, answer=None, need_auth=None):
        RawServer.__init__(self, self._connect)
        self.answer = answer
        self.need_auth = need_auth
        self.lines = []

    def _connect(self, c):
        line = c.request.split(b"\r\n")[0]
        self.lines.append(line)
        if self.answer:
            c.send(self.answer)
            c.close()
            return
        if self.need_auth is not None and c.header(b"proxy-authorization") != self.need_auth:
            c.send(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
            c.close()
            return
        port = int(line.split(b" ")[1].split(b":")[1])
        import socket

        up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        up.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        up.setblocking(False)
        c.up = up
        c.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
        c.after = self._relay

    def _relay(self, c):
        if c.got:
            c.send_to = c.got
            mv = memoryview(c.got)
            sent = 0
            while sent < len(c.got):
                sent += _port.send(c.up, mv[sent:])
            c.got = b""
        try:
            n = _port.recv_into(c.up, memoryview(c.buf))
        except OSError:
            n = 0
        if n:
            c.send(bytes(c.buf[:n]))
        elif n == 0:
            c.close()


def test_through_a_proxy_with_credentials():
    srv = WebServer()
    proxy = Proxy(need_auth=b"basic " + _port.b64encode(b"user:secret"))
    g, ctx = _client()
    assert lws_set_proxy(ctx, None) == -1 and lws_set_proxy(ctx, "noport") == -1
    assert lws_set_proxy(ctx, "user:secret@127.0.0.1:%d" % proxy.port) == 0
    _get(ctx, srv.port, "/plain")
    pump([srv.ctx, ctx], g.done, servers=[proxy])
    assert bytes(g.body) == b"hello world", g.events
    assert proxy.lines == [b"CONNECT 127.0.0.1:%d HTTP/1.0" % srv.port]
    lws_context_destroy(ctx)
    # the creation info's proxy fields, and a proxy that says no
    bad = Proxy(need_auth=b"basic " + _port.b64encode(b"user:secret"))
    g, ctx = _client(http_proxy_address="127.0.0.1", http_proxy_port=bad.port)
    _get(ctx, srv.port, "/plain")
    pump([srv.ctx, ctx], g.done, servers=[bad])
    errs = g.data(CCE)
    assert len(errs) == 1 and b"proxy refused CONNECT: HTTP/1.1 407" in errs[0], errs
    lws_context_destroy(ctx)
    proxy.close()
    bad.close()
    lws_context_destroy(srv.ctx)


def test_http_client_bound_to_the_protocol_it_names_and_append_room():
    srv = WebServer()
    first = Recorder()
    g = Getter()
    ctx = client_context([lws_protocols("first", first.cb), lws_protocols("fetcher", g.cb)])
    _get(ctx, srv.port, "/plain", protocol="fetcher")
    pump([srv.ctx, ctx], g.done)
    assert bytes(g.body) == b"hello world"
    # protocols[0] still hears what v2.1 sends it (the request being made)
    assert first.reasons() == [LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER]
    assert not g.has(LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER)
    lws_context_destroy(ctx)

    def too_much(wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            in_.extend(b"X-Big: " + b"y" * len_ + b"\r\n")

    g = Getter(on=too_much)
    ctx = client_context([lws_protocols("http-client", g.cb)])
    _get(ctx, srv.port, "/plain")
    pump([srv.ctx, ctx], g.done)
    errs = g.data(CCE)
    assert len(errs) == 1 and b"pass the room left" in errs[0], errs
    lws_context_destroy(ctx)
    lws_context_destroy(srv.ctx)
