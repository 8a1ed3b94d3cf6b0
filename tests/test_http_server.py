"""HTTP/1.1 server over real loopback sockets, driven in-process."""

from lws_mp import (
    LWS_CALLBACK_CLOSED_HTTP,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_HTTP_BODY,
    LWS_CALLBACK_HTTP_BODY_COMPLETION,
    LWS_CALLBACK_HTTP_WRITEABLE,
    WSI_TOKEN_HOST,
    WSI_TOKEN_HTTP_URI_ARGS,
    lws_callback_on_writable,
    lws_context_creation_info,
    lws_context_destroy,
    lws_hdr_copy,
    lws_hdr_copy_fragment,
    lws_hdr_fragment_length,
    lws_hdr_total_length,
    lws_protocols,
)
from lws_mp.testing import TestClient
from support import make_context, reply as _reply


class App:
    """A small protocols[0] that records what it saw."""

    def __init__(self):
        self.seen = []
        self.bodies = []
        self.closed = 0
        self.body = bytearray()

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            self.seen.append(in_)
            if in_.startswith("/upload"):
                self.body = bytearray()
                return 0
            if in_ == "/later":
                lws_callback_on_writable(wsi)
                return 0
            if in_ == "/raise":
                raise ValueError("boom")
            return _reply(wsi, ("you asked for %s" % in_).encode())
        if reason == LWS_CALLBACK_HTTP_BODY:
            self.body.extend(in_)
            return 0
        if reason == LWS_CALLBACK_HTTP_BODY_COMPLETION:
            self.bodies.append(bytes(self.body))
            return _reply(wsi, b"got %d" % len(self.body))
        if reason == LWS_CALLBACK_HTTP_WRITEABLE:
            return _reply(wsi, b"written later")
        if reason == LWS_CALLBACK_CLOSED_HTTP:
            self.closed += 1
        return 0


def _server(app, **kw):
    def info(port):
        return lws_context_creation_info(
            port=port, protocols=[lws_protocols("http", app.cb)], **kw)

    return make_context(info)


def test_get_and_keepalive_reuse():
    app = App()
    ctx, port = _server(app)
    c = TestClient(ctx, port)
    for i in range(5):
        r = c.request("GET", "/n%d" % i)
        assert r.status == 200, r
        assert r.body == b"you asked for /n%d" % i
    assert not c.closed_by_peer
    assert ctx.stats_accepted == 1  # one connection carried all five
    c.close()
    lws_context_destroy(ctx)
    assert app.closed == 1


def test_pipelined_requests_answered_in_order():
    app = App()
    ctx, port = _server(app)
    c = TestClient(ctx, port)
    reqs = b"".join(b"GET /p%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(6))
    c.send(reqs)
    for i in range(6):
        r = c.read_response()
        assert r.status == 200
        assert r.body == b"you asked for /p%d" % i
    assert app.seen == ["/p%d" % i for i in range(6)]
    lws_context_destroy(ctx)


def test_body_content_length_and_chunked():
    app = App()
    ctx, port = _server(app)
    c = TestClient(ctx, port)
    payload = bytes(range(256)) * 40
    r = c.request("POST", "/upload", body=payload)
    assert r.status == 200 and r.body == b"got %d" % len(payload)
    chunked = b"".join(b"%x\r\n" % len(payload[i:i + 1000]) + payload[i:i + 1000] + b"\r\n"
                       for i in range(0, len(payload), 1000)) + b"0\r\n\r\n"
    c.send(b"POST /upload2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    for i in range(0, len(chunked), 7):  # dribble it in small pieces
        c.send(chunked[i:i + 7])
    r = c.read_response()
    assert r.status == 200 and r.body == b"got %d" % len(payload)
    assert app.bodies == [payload, payload]
    # and the connection is still good for another request
    assert c.request("GET", "/after").status == 200
    lws_context_destroy(ctx)


def test_headers_and_uri_args():
    got = {}

    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            buf = bytearray(64)
            got["host"] = bytes(buf[:lws_hdr_copy(wsi, buf, 64, WSI_TOKEN_HOST)])
            got["small"] = lws_hdr_copy(wsi, bytearray(4), 4, WSI_TOKEN_HOST)
            got["args_len"] = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS)
            frags = []
            i = 0
            while True:
                n = lws_hdr_copy_fragment(wsi, buf, 64, WSI_TOKEN_HTTP_URI_ARGS, i)
                if n < 0:
                    break
                assert n == lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i)
                assert buf[n] == 0
                frags.append(bytes(buf[:n]))
                i += 1
            got["frags"] = frags
            got["uri"] = in_
            return _reply(wsi, b"ok")
        return 0

    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", cb)]))
    c = TestClient(ctx, port)
    r = c.request("GET", "/a%20b/./c/../d?x=1&name=J%C3%B6rg+K&&flag",
                  headers={"Host": "device.local"})
    assert r.status == 200
    assert got["host"] == b"device.local"
    assert got["small"] == -1
    assert got["uri"] == "/a b/d"
    assert got["frags"] == [b"x=1", "name=Jörg K".encode(), b"flag"]
    # v2.1 concatenates the arguments: the '&'s are not part of the value
    assert got["args_len"] == len(b"x=1") + len("name=Jörg K".encode()) + len(b"flag")
    lws_context_destroy(ctx)


def test_writeable_callback_and_callback_exception_contained():
    app = App()
    ctx, port = _server(app)
    c = TestClient(ctx, port)
    r = c.request("GET", "/later")
    assert r.status == 200 and r.body == b"written later"
    bad = TestClient(ctx, port)
    bad.request("GET", "/raise", read=False)
    assert bad.wait_closed() == b""
    # the other connection is untouched
    assert c.request("GET", "/still").status == 200
    lws_context_destroy(ctx)
