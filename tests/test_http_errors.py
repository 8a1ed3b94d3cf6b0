"""Bad requests get the protocol's answer over real loopback sockets.

Every error is answered with its status line and ``Connection: close``, then
the socket is closed -- while a second, keep-alive connection on the same
context goes on working (checked after each one).

A bad client here never sends more than the server reads before it answers:
closing a socket with input still unread makes the kernel send a reset,
which can cost the client the answer it had not read yet.
"""

from lws_mp import (
    LWS_CALLBACK_CLOSED_HTTP,
    LWS_CALLBACK_FILTER_HTTP_CONNECTION,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_HTTP_BODY,
    LWS_CALLBACK_HTTP_BODY_COMPLETION,
    lws_callback_http_dummy,
    lws_context_creation_info,
    lws_add_http_header_status,
    lws_context_destroy,
    lws_http_mount,
    lws_protocols,
)
from lws_mp import _port
from lws_mp.testing import TestClient
from support import flash_root, is_littlefs, make_context, reply as _reply, write_file

HEADER_DATA = 1024  # max_http_header_data of the contexts here
BODY_MAX = 1000  # max_http_body_size
INDEX = b"<h1>served root</h1>\n"
OK_TXT = b"plain file\n"
PAGE = b"<p>sub page</p>\n"
SECRET = b"TOP-SECRET-7f3a9c-DO-NOT-SERVE"

# The reason phrases of RFC 9110 section 15 (431: RFC 6585 section 5),
# written out here: the library's own table is what is under test.
RFC_REASON = {
    100: "Continue",
    101: "Switching Protocols",
    200: "OK",
    201: "Created",
    204: "No Content",
    206: "Partial Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Timeout",
    409: "Conflict",
    411: "Length Required",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    426: "Upgrade Required",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


class App:
    def __init__(self):
        self.seen = []
        self.body = bytearray()
        self.bodies = []
        self.closed = 0
        self.filtered = []

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_FILTER_HTTP_CONNECTION:
            self.filtered.append(in_)
            return 1 if in_.startswith("/forbidden") else 0
        if reason == LWS_CALLBACK_HTTP:
            self.seen.append(in_)
            if in_ == "/raise":
                raise ValueError("callback failure on purpose")
            if in_.startswith("/upload"):
                self.body = bytearray()
                return 0
            return _reply(wsi, ("ok %s" % in_).encode())
        if reason == LWS_CALLBACK_HTTP_BODY:
            if bytes(in_).startswith(b"RAISE"):
                raise ValueError("body callback failure on purpose")
            self.body.extend(in_)
            return 0
        if reason == LWS_CALLBACK_HTTP_BODY_COMPLETION:
            self.bodies.append(bytes(self.body))
            return _reply(wsi, b"got %d" % len(self.body))
        if reason == LWS_CALLBACK_CLOSED_HTTP:
            self.closed += 1
        return 0


_site = {}


def _served_root():
    """A directory to serve, with a 'secret' file beside it (outside the
    root).  Returns (root, secret_path)."""
    if "root" in _site:
        return _site["root"], _site["secret"]
    import os

    base = flash_root("http_errors")
    if is_littlefs(base):
        root = base  # '<mount>/www'
        parent = base.rsplit("/", 1)[0]
    else:
        parent = base
        root = base + "/www"
        os.mkdir(root)
    write_file(root + "/index.html", INDEX)
    write_file(root + "/ok.txt", OK_TXT)
    os.mkdir(root + "/sub")
    write_file(root + "/sub/page.html", PAGE)
    secret = parent + "/secret"
    write_file(secret, SECRET)
    _site["root"] = root
    _site["secret"] = secret
    _site["parent"] = parent
    return root, secret


class Rig:
    """A context, its app, and one keep-alive connection that must survive."""

    def __init__(self, mounts=None, callback=None, alive_path=None, **kw):
        self.app = App()
        self.alive_path = alive_path
        cb = callback or self.app.cb

        def info(port):
            return lws_context_creation_info(
                port=port,
                protocols=[lws_protocols("http", cb)],
                max_http_header_data=HEADER_DATA,
                max_http_body_size=BODY_MAX,
                mounts=mounts,
                **kw)

        self.ctx, self.port = make_context(info)
        self.ka = TestClient(self.ctx, self.port)
        self.alive_checks = 0
        self.check_alive()

    def client(self):
        return TestClient(self.ctx, self.port)

    def check_alive(self, path=None):
        """The keep-alive connection still answers, on the same socket."""
        self.alive_checks += 1
        if path is None:
            path = self.alive_path or "/alive%d" % self.alive_checks
        r = self.ka.request("GET", path)
        assert r.status == 200, (path, r)
        assert r.header("connection") is None, r.headers
        assert not self.ka.closed_by_peer
        return r

    def expect_error(self, raw, code, what=""):
        """Send ``raw`` on a fresh connection; it must get ``code`` with
        Connection: close, then be closed; the keep-alive one lives on."""
        c = self.client()
        c.send(raw)
        r = c.read_response()
        assert r.status == code, (what, raw, r)
        assert r.version == "HTTP/1.1", (what, r.version)
        assert r.reason == RFC_REASON[code], (what, r.reason)
        assert r.header("connection") == "close", (what, r.headers)
        assert int(r.header("content-length")) == len(r.body)
        rest = c.wait_closed()
        assert rest == b"", (what, rest)
        c.close()
        self.check_alive()
        return r

    def destroy(self):
        self.ka.close()
        lws_context_destroy(self.ctx)


REQUEST_ERRORS = (
    ("malformed request line", b"GARBAGE\r\n\r\n", 400),
    ("no version", b"GET /\r\nHost: x\r\n\r\n", 400),
    ("two spaces", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("relative target", b"GET index.html HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("missing Host on HTTP/1.1", b"GET / HTTP/1.1\r\n\r\n", 400),
    ("two Host headers", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("unknown method", b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    ("lower-case method", b"get / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ("space before colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", 400),
    ("NUL in a header", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    ("bad %-escape", b"GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("path not UTF-8", b"GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("traversal", b"GET /../x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("both Content-Length and Transfer-Encoding",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n", 400),
    ("Transfer-Encoding gzip",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ("Transfer-Encoding gzip, chunked",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ("Content-Length not a number",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
    ("Content-Length negative",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    ("Content-Length hex",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400),
    ("Content-Length list",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n", 400),
    ("Content-Length empty",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400),
    ("differing duplicate Content-Length",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
     400),
    ("bad chunk size",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ("chunk without its CRLF",
     b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"3\r\nabcX", 400),
)


def test_status_lines_carry_the_rfc_reason_phrases():
    lines = {}

    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            for code in RFC_REASON:
                buf = bytearray()
                lws_add_http_header_status(wsi, code, buf)
                lines[code] = bytes(buf).split(b"\r\n")[0]
            return _reply(wsi, b"ok")
        return 0

    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", cb)]))
    r = TestClient(ctx, port).request("GET", "/")
    assert r.status == 200 and r.reason == "OK"
    wrong = [(code, lines.get(code)) for code in sorted(RFC_REASON)
             if lines.get(code) != b"HTTP/1.1 %d %s" % (code, RFC_REASON[code].encode())]
    assert wrong == [], wrong
    lws_context_destroy(ctx)


def test_request_errors_answered_and_closed():
    rig = Rig()
    for what, raw, code in REQUEST_ERRORS:
        rig.expect_error(raw, code, what)
    # none reached the application as a request, but for the two bad bodies
    alive = ["/alive%d" % i for i in range(1, rig.alive_checks + 1)]
    assert [u for u in rig.app.seen if u not in alive] == ["/upload", "/upload"]
    assert rig.app.bodies == []
    rig.destroy()


def test_uri_too_long_414_and_headers_too_large_431():
    rig = Rig()
    # exactly a table's worth, so the server has read all there is
    line = b"GET /" + b"a" * (HEADER_DATA - 5)
    rig.expect_error(line, 414, "request line fills the header table")
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "
    rig.expect_error(head + b"b" * (HEADER_DATA - len(head)), 431, "headers fill the table")
    many = b"GET / HTTP/1.1\r\nHost: x\r\n"
    while len(many) + 11 <= HEADER_DATA:
        many += b"X-Many: 1\r\n"
    rig.expect_error(many + b"X" * (HEADER_DATA - len(many)), 431, "many headers")
    # just inside the limit (HEADER_DATA bytes, the blank line's last byte
    # in the table's last byte) is served
    head = b"GET /fits HTTP/1.1\r\nHost: x\r\nX-Big: "
    raw = head + b"b" * (HEADER_DATA - len(head) - 4) + b"\r\n\r\n"
    c = rig.client()
    c.send(raw)
    r = c.read_response()
    assert r.status == 200 and r.body == b"ok /fits"
    c.close()
    rig.destroy()


def test_body_too_large_413():
    rig = Rig()
    # declared up front: refused before any of it is read
    rig.expect_error(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                     % (BODY_MAX + 1), 413, "Content-Length past the limit")
    assert "/upload" not in rig.app.seen
    # exactly the limit is fine, on the keep-alive connection
    r = rig.ka.request("POST", "/upload", body=b"x" * BODY_MAX)
    assert r.status == 200 and r.body == b"got %d" % BODY_MAX
    chunk = b"y" * 600
    chunked = b"258\r\n" + chunk + b"\r\n"
    # a chunked body that grows past it, a chunk at a time
    c = rig.client()
    c.send(b"POST /upload-chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    c.send(chunked)
    c.pump(lambda: len(rig.app.body) == 600)  # the first chunk went through
    assert not c.rx and not c.closed_by_peer
    c.send(chunked)
    r = c.read_response()
    assert r.status == 413 and r.header("connection") == "close"
    assert c.wait_closed() == b""
    c.close()
    rig.check_alive()
    # a chunked body of exactly the limit is fine
    c = rig.client()
    body = b"3e8\r\n" + b"z" * 1000 + b"\r\n" + b"0\r\n\r\n"
    c.send(b"POST /upload-exact HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           + body)
    r = c.read_response()
    assert r.status == 200 and r.body == b"got 1000"
    c.close()
    # identical duplicate Content-Length values are one length
    c = rig.client()
    c.send(b"POST /upload-dup HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
           b"Content-Length: 5\r\n\r\nhello")
    r = c.read_response()
    assert r.status == 200 and r.body == b"got 5"
    c.close()
    assert rig.app.bodies == [b"x" * BODY_MAX, b"z" * 1000, b"hello"]
    rig.destroy()


def test_error_to_a_head_request_has_no_body():
    rig = Rig()
    for raw, code in ((b"HEAD / HTTP/1.1\r\n\r\n", 400),
                      (b"HEAD / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501)):
        c = rig.client()
        c.send(raw)
        r = c.read_response(head=True)
        assert r.status == code and r.header("connection") == "close"
        assert int(r.header("content-length")) > 0  # what a GET would get
        assert c.wait_closed() == b""  # but no body follows
        c.close()
        rig.check_alive()
    rig.destroy()


def test_pipelined_error_after_a_good_request():
    rig = Rig()
    c = rig.client()
    c.send(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n")
    r = c.read_response()
    assert r.status == 200 and r.body == b"ok /first"
    r = c.read_response()
    assert r.status == 400 and r.header("connection") == "close"
    assert c.wait_closed() == b""
    c.close()
    rig.check_alive()
    rig.destroy()


def test_http10_without_host_is_fine():
    rig = Rig()
    c = rig.client()
    c.send(b"GET /old HTTP/1.0\r\n\r\n")
    r = c.read_response()
    assert r.status == 200 and r.body == b"ok /old"
    assert r.header("connection") == "close"
    assert c.wait_closed() == b""
    c.close()
    rig.destroy()


def test_absolute_form_target_served():
    rig = Rig()
    c = rig.client()
    c.send(b"GET http://device.local/abs?x=1 HTTP/1.1\r\nHost: device.local\r\n\r\n")
    r = c.read_response()
    assert r.status == 200 and r.body == b"ok /abs"
    assert not c.closed_by_peer
    c.close()
    rig.destroy()


def test_method_not_allowed_on_mount_405():
    root, _ = _served_root()
    rig = Rig(mounts=[lws_http_mount(mountpoint="/static", origin=root)])
    r = rig.ka.request("GET", "/static/ok.txt")
    assert r.status == 200 and r.body == OK_TXT
    for method, body in (("PUT", b"new content"), ("POST", b"a=1"), ("DELETE", None),
                         ("PATCH", b"x"), ("POST", None)):
        raw = "%s /static/ok.txt HTTP/1.1\r\nHost: x\r\n" % method
        if body is not None:
            raw += "Content-Length: %d\r\n" % len(body)
        raw = raw.encode() + b"\r\n" + (body or b"")
        r = rig.expect_error(raw, 405, method)
        allow = [m.strip() for m in r.header("allow").split(",")]
        assert "GET" in allow and "HEAD" in allow, r.headers
        for m in ("PUT", "POST", "DELETE"):
            assert m not in allow
    # the file is unchanged and nothing reached the application
    r = rig.ka.request("GET", "/static/ok.txt")
    assert r.status == 200 and r.body == OK_TXT
    assert not [u for u in rig.app.seen if u.startswith("/static")]
    rig.destroy()


def test_missing_file_on_mount_goes_to_protocols0():
    # as in lws: what a mount has no file for is the callback's to answer
    # (dynamic routes under a mount); this app answers every URL
    root, _ = _served_root()
    rig = Rig(mounts=[lws_http_mount(mountpoint="/static", origin=root)])
    r = rig.ka.request("GET", "/static/api/status")
    assert r.status == 200 and r.body == b"ok /static/api/status", r
    assert rig.app.seen[-1] == "/static/api/status"
    rig.destroy()


def test_missing_file_on_mount_404_keeps_the_connection():
    root, _ = _served_root()
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", lws_callback_http_dummy)],
        mounts=[lws_http_mount(mountpoint="/static", origin=root)]))

    class _Rig:
        pass

    rig = _Rig()
    rig.ctx = ctx
    rig.ka = TestClient(ctx, port)
    rig.destroy = lambda: lws_context_destroy(ctx)
    for path in ("/static/nope.html", "/static/sub/nope", "/static/nodir/x.txt"):
        r = rig.ka.request("GET", path)
        assert r.status == 404, (path, r)
        assert r.header("connection") is None
        assert not rig.ka.closed_by_peer
        r = rig.ka.request("GET", "/static/sub/page.html")
        assert r.status == 200 and r.body == PAGE
    # HEAD: the same status, no body, still keep-alive
    r = rig.ka.request("HEAD", "/static/nope.html")
    assert r.status == 404 and r.body == b"" and int(r.header("content-length")) > 0
    r = rig.ka.request("GET", "/static/ok.txt")
    assert r.status == 200 and r.body == OK_TXT
    assert rig.ctx.stats_accepted == 1  # all of it on the one connection
    rig.destroy()


TRAVERSALS = (
    b"/../secret",
    b"/%2e%2e/secret",
    b"/%2E%2E/secret",
    b"/.%2e/secret",
    b"/%2e./secret",
    b"/..%2fsecret",
    b"/%2e%2e%2fsecret",
    b"/a/..%5c..%5csecret",
    b"/..%5csecret",
    b"/..\\secret",  # a raw backslash
    b"/sub/..\\..\\secret",
    b"/%00",
    b"/%00/../secret",
    b"/sub%00/../../secret",
    b"/\x00/../secret",  # a raw NUL
    b"//../secret",
    b"/./../secret",
    b"/sub/../../secret",
    b"/sub/%2e%2e/%2e%2e/secret",
    b"/sub/../secret",  # stays inside: the root has no 'secret'
    b"/secret",
    b"/static/../secret",
    b"/static/%2e%2e/%2e%2e/secret",
    b"http://x/../secret",
    b"http://x/%2e%2e/secret",
    b"http://x/sub/../secret",
)


def _probe(rig, target):
    """GET ``target`` raw; returns (status, every byte received)."""
    c = rig.client()
    c.send(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.read_response()
    got = r.body
    if r.header("connection") == "close":
        got += c.wait_closed()
    c.close()
    return r, got


def test_traversal_never_escapes_the_served_root():
    root, secret = _served_root()
    with open(secret, "rb") as f:
        assert f.read() == SECRET  # it is there to be found
    outside = _site["parent"]
    rig = Rig(mounts=[
        lws_http_mount(mountpoint="/", origin=root),
        lws_http_mount(mountpoint="/static", origin=root + "/sub"),
        # a mount that does serve the secret's directory, to show the
        # probe would see it if anything let it out
        lws_http_mount(mountpoint="/outside-on-purpose", origin=outside),
    ], callback=lws_callback_http_dummy, alive_path="/ok.txt")
    r, got = _probe(rig, b"/outside-on-purpose/secret")
    assert r.status == 200 and SECRET in got
    r, got = _probe(rig, b"/index.html")
    assert r.status == 200 and got == INDEX
    for target in TRAVERSALS:
        r, got = _probe(rig, target)
        assert r.status in (400, 404), (target, r)
        assert SECRET not in got, target
        if r.status == 400:
            assert r.header("connection") == "close"
        rig.check_alive()
    rig.destroy()


def test_filter_http_connection_403_closes():
    rig = Rig()
    r = rig.expect_error(b"GET /forbidden/thing HTTP/1.1\r\nHost: x\r\n\r\n", 403, "filter")
    assert "/forbidden/thing" in rig.app.filtered
    assert "/forbidden/thing" not in rig.app.seen  # never got to LWS_CALLBACK_HTTP
    # also when it comes second on a keep-alive connection
    c = rig.client()
    assert c.request("GET", "/allowed").status == 200
    r = c.request("GET", "/forbidden")
    assert r.status == 403 and r.header("connection") == "close"
    assert c.wait_closed() == b""
    c.close()
    rig.check_alive()
    rig.destroy()


def test_callback_that_raises_closes_only_its_connection():
    rig = Rig()
    closed_before = rig.app.closed
    c = rig.client()
    c.send(b"GET /raise HTTP/1.1\r\nHost: x\r\n\r\n")
    assert c.wait_closed() == b""
    c.close()
    rig.check_alive()
    # raising while taking a body
    c = rig.client()
    c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nRAISE-NOW")
    assert c.wait_closed() == b""
    c.close()
    rig.check_alive()
    assert rig.app.closed == closed_before + 2
    # the context is still fine for new connections
    c = rig.client()
    assert c.request("GET", "/after").status == 200
    c.close()
    rig.destroy()


def test_expect_100_continue():
    rig = Rig()
    c = rig.client()
    c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
           b"Expect: 100-continue\r\n\r\n")
    c.pump(lambda: c.rx.find(b"\r\n\r\n") >= 0)
    # the interim answer comes before any of the body was sent
    assert bytes(c.rx) == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert rig.app.body == b""
    c.rx = bytearray()
    c.send(b"0123456789")
    r = c.read_response()
    assert r.status == 200 and r.body == b"got 10"
    assert rig.app.bodies[-1] == b"0123456789"
    # without Expect there is no interim answer
    c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    c.pump(lambda: c.rx.find(b"\r\n\r\n") >= 0)
    assert c.rx.startswith(b"HTTP/1.1 200 ")
    r = c.read_response()
    assert r.status == 200 and r.body == b"got 3"
    c.close()
    # a body that is too large is refused instead of invited
    c = rig.client()
    c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
           b"Expect: 100-continue\r\n\r\n")
    data = c.wait_closed()
    assert data.startswith(b"HTTP/1.1 413 "), data
    assert b" 100 " not in data
    c.close()
    rig.check_alive()
    rig.destroy()


def _receive(c):
    """Take what has arrived for ``c``, without waiting."""
    c.pump(lambda: c.closed_by_peer, 0)


def test_timeouts_408_for_half_a_request_and_idle_closed_silently():
    # The clock is driven: sweep_timeouts (what the 1 Hz sweep runs) is
    # called with a time the test chooses, as in test_serve_file.
    rig = Rig(timeout_secs=30, max_http_header_pool=8)
    ctx = rig.ctx
    armed = _port.ticks_ms()  # no timeout below is armed before this
    half = rig.client()
    half.send(b"GET /never-finished HTTP/1.1\r\nHost: x\r\n")
    idle = rig.client()
    r = idle.request("GET", "/once")
    assert r.status == 200 and r.header("connection") is None
    silent = rig.client()  # connects and never says a word
    half_body = rig.client()
    half_body.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    waiting = [half, idle, silent, half_body]
    # every one accepted and read: their timeouts are armed from here on
    rig.ka.pump(lambda: ctx.fd_count == 2 + 1 + len(waiting) and rig.app.body == b"abc")
    quiet = _port.ticks_ms()  # ... and not after this
    # the keep-alive connection goes on talking a little longer, so its
    # idle timeout is re-armed later than the others'
    requests = 0
    while _port.ticks_diff(_port.ticks_ms(), quiet) < 200:
        rig.check_alive("/still%d" % requests)
        requests += 1
    # short of timeout_secs nothing is timed out
    ctx.sweep_timeouts(_port.ticks_add(armed, 29 * 1000))
    for c in waiting:
        _receive(c)
        assert not c.closed_by_peer and not c.rx, c.rx
    # past it every waiting connection is, and the talking one is not
    ctx.sweep_timeouts(_port.ticks_add(quiet, 30 * 1000 + 100))
    for c in waiting:
        c.pump(lambda c=c: c.closed_by_peer)
    got = bytes(half.rx)
    assert got.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), got
    assert b"\r\nConnection: close\r\n" in got
    assert bytes(idle.rx) == b""  # idle keep-alive: closed, no 408
    assert bytes(silent.rx) == b""
    assert not half_body.rx or half_body.rx.startswith(b"HTTP/1.1 408 ")
    assert ctx.stats_timeouts == len(waiting)
    for c in waiting:
        c.close()
    assert not rig.ka.closed_by_peer
    rig.check_alive()
    rig.destroy()


def test_transfer_encoding_split_over_two_fields_501():
    rig = Rig()
    rig.expect_error(b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Transfer-Encoding: gzip\r\n\r\n", 501, "two TE fields")
    rig.destroy()


def test_refused_upload_is_not_invited_with_100_continue():
    root, _ = _served_root()
    rig = Rig(mounts=[lws_http_mount(mountpoint="/static", origin=root)])
    c = rig.client()
    c.send(b"PUT /static/ok.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
           b"Expect: 100-continue\r\n\r\n")
    data = c.wait_closed()
    assert data.startswith(b"HTTP/1.1 405 "), data
    c.close()
    rig.check_alive()
    rig.destroy()


def test_error_answer_survives_unread_input():
    rig = Rig()
    for i in range(5):
        c = rig.client()
        c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n"
               + b"u" * 20000)
        data = c.wait_closed()
        assert data.startswith(b"HTTP/1.1 413 "), (i, data)
        c.close()
        rig.check_alive()
    rig.destroy()
