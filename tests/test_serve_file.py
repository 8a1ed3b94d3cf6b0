"""Serving files from flash over real loopback sockets, driven in-process.

The served root comes from support.flash_root(): a LittleFS v2 image
mounted like a board's flash under MicroPython, a scratch directory under
CPython.
"""

import pytest
from lws_mp import (
    LWS_CALLBACK_CLOSED_HTTP,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_HTTP_FILE_COMPLETION,
    lws_context_creation_info,
    lws_context_destroy,
    lws_get_protocol,
    lws_http_mount,
    lws_http_transaction_completed,
    lws_plat_file_ops,
    lws_protocols,
    lws_serve_http_file,
    lws_service,
)
from lws_mp.plat.mime import mime_type
from lws_mp.testing import TestClient
from support import IS_MICROPYTHON, flash_root, is_littlefs, make_context, write_file

INDEX = b"<!doctype html><h1>device home</h1>\n"
SUB_INDEX = b"<h1>settings</h1>\n"
CSS = b"body { color: #123; }\n"
JSON = b'{"led": true, "temp": 21.5}\n'
DIGITS = b"0123456789abcdefghij"  # 20 bytes, for ranges
APP_JS = b'console.log("hello from app.js");\n'
# gzip of APP_JS and of ONLY_JS (mtime 0)
APP_JS_GZ = (b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03K\xce\xcf+\xce\xcfI\xd5\xcb\xc9O\xd7P'
             b'\xcaH\xcd\xc9\xc9WH+\xca\xcfUH,(\xd0\xcb*V\xd2\xb4\xe6\x02\x00>\xa9\x9d~"\x00'
             b'\x00\x00')
ONLY_JS = b'export const only = "gz";\n'
ONLY_JS_GZ = (b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03K\xad(\xc8/*QH\xce\xcf+.Q\xc8\xcf\xcb'
              b'\xa9T\xb0UPJ\xafR\xb2\xe6\x02\x00\xcd\xb2lP\x1a\x00\x00\x00')
FIRMWARE = b"\x7fFW" + bytes(range(61))


def _pattern(n):
    """n bytes with no short period, so a misplaced piece cannot go unseen."""
    b = bytearray(n)
    x = 12345
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        b[i] = x >> 16 & 0xFF
    return bytes(b)


BIG = _pattern(20000)

_roots = {}


def _site(name):
    """Write the test site into a fresh flash root; returns its path."""
    if name in _roots:
        return _roots[name]
    root = flash_root(name)
    import os

    write_file(root + "/index.html", INDEX)
    write_file(root + "/style.css", CSS)
    write_file(root + "/data.json", JSON)
    write_file(root + "/digits.txt", DIGITS)
    write_file(root + "/app.js", APP_JS)
    write_file(root + "/app.js.gz", APP_JS_GZ)
    write_file(root + "/only.js.gz", ONLY_JS_GZ)
    write_file(root + "/big.bin", BIG)
    write_file(root + "/update.fw", FIRMWARE)
    write_file(root + "/noext", b"no extension")
    os.mkdir(root + "/settings")
    write_file(root + "/settings/index.html", SUB_INDEX)
    os.mkdir(root + "/empty")
    _roots[name] = root
    return root


def _gunzip(data):
    try:
        import gzip
    except ImportError:  # MicroPython
        import deflate
        import io

        return deflate.DeflateIO(io.BytesIO(data), deflate.GZIP).read()
    return gzip.decompress(data)


class CountingFops(lws_plat_file_ops):
    """The default file ops, counting what the server does with them."""

    def __init__(self):
        self.opens = 0
        self.closes = 0
        self.read_sizes = []
        self.opened = []

    def open(self, wsi, filename, flags=0):
        fd, flen = lws_plat_file_ops.open(self, wsi, filename, flags)
        if fd is not None:
            self.opens += 1
            self.opened.append(filename)
        return fd, flen

    def close(self, wsi, fd):
        self.closes += 1
        return lws_plat_file_ops.close(self, wsi, fd)

    def read(self, wsi, fd, buf, len_):
        self.read_sizes.append(len_)
        return lws_plat_file_ops.read(self, wsi, fd, buf, len_)


class App:
    """protocols[0]: records file completions and closes."""

    def __init__(self, close_on_completion=False):
        self.completions = []
        self.closed = 0
        self.close_on_completion = close_on_completion
        self.protocol = lws_protocols("http", self.cb)

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP_FILE_COMPLETION:
            self.completions.append(lws_get_protocol(wsi))
            return -1 if self.close_on_completion else 0
        if reason == LWS_CALLBACK_CLOSED_HTTP:
            self.closed += 1
        return 0


class Other:
    """A second protocol: must never see the file completion."""

    def __init__(self):
        self.reasons = []
        self.protocol = lws_protocols("other", self.cb)

    def cb(self, wsi, reason, user, in_, len_):
        self.reasons.append(reason)
        return 0


def _server(root, app=None, fops=None, mounts=None, **kw):
    if app is None:
        app = App()
    if mounts is None:
        mounts = [lws_http_mount(mountpoint="/", origin=root)]

    def info(port):
        return lws_context_creation_info(
            port=port, protocols=[app.protocol], mounts=mounts, fops=fops, **kw)

    ctx, port = make_context(info)
    return ctx, port, app


def _get(c, path, headers=None):
    return c.request("GET", path, headers=headers)


def test_flash_root_is_littlefs_on_micropython():
    root = _site("serve")
    if IS_MICROPYTHON:
        assert is_littlefs(root), root
        import os

        # the mount is a LittleFS image, not the host filesystem
        st = os.statvfs(root)
        assert st[0] == 4096 and st[2] == 128, st
    else:
        assert root.startswith("/tmp/")


def test_content_types_lengths_keepalive_and_completion():
    root = _site("serve")
    app = App()
    other = Other()
    fops = CountingFops()
    mounts = [lws_http_mount(mountpoint="/", origin=root,
                             extra_mimetypes={"fw": "application/x-firmware"},
                             cache_max_age=600)]

    def info(port):
        return lws_context_creation_info(
            port=port, protocols=[app.protocol, other.protocol], mounts=mounts, fops=fops)

    ctx, port = make_context(info)
    want = [
        ("/index.html", INDEX, "text/html; charset=utf-8"),
        ("/style.css", CSS, "text/css"),
        ("/data.json", JSON, "application/json"),
        ("/digits.txt", DIGITS, "text/plain; charset=utf-8"),
        ("/app.js", APP_JS, "application/javascript"),
        ("/update.fw", FIRMWARE, "application/x-firmware"),
        ("/noext", b"no extension", "application/octet-stream"),
        ("/big.bin", BIG, "application/octet-stream"),
        ("/settings/index.html", SUB_INDEX, "text/html; charset=utf-8"),
    ]
    c = TestClient(ctx, port)
    for path, body, ctype in want:
        r = _get(c, path)
        assert r.status == 200, (path, r)
        assert r.header("content-type") == ctype, (path, r.headers)
        assert r.header("content-length") == str(len(body)), (path, r.headers)
        assert r.header("accept-ranges") == "bytes"
        assert r.header("cache-control") == "max-age=600"
        assert r.header("connection") is None  # HTTP/1.1 keep-alive is implicit
        assert r.body == body, path
    assert not c.closed_by_peer
    assert ctx.stats_accepted == 1  # one connection carried every file
    # FILE_COMPLETION once per file, on protocols[0], never on the other
    assert len(app.completions) == len(want), app.completions
    for p in app.completions:
        assert p is app.protocol
    assert LWS_CALLBACK_HTTP_FILE_COMPLETION not in other.reasons
    assert fops.opens == fops.closes == len(want)

    # two requests in one segment: both files, in order
    c.send(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\nGET /data.json HTTP/1.1\r\nHost: x\r\n\r\n")
    r1 = c.read_response()
    r2 = c.read_response()
    assert (r1.status, r1.body, r2.status, r2.body) == (200, CSS, 200, JSON)
    assert fops.opens == fops.closes == len(want) + 2
    c.close()
    lws_context_destroy(ctx)


def test_completion_callback_nonzero_closes_after_the_file():
    root = _site("serve")
    app = App(close_on_completion=True)
    ctx, port, _ = _server(root, app)
    c = TestClient(ctx, port)
    c.request("GET", "/big.bin", read=False)
    data = c.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body == BIG  # all of it went out before the close
    assert len(app.completions) == 1
    lws_context_destroy(ctx)


def test_big_file_streams_through_small_service_buffer():
    root = _site("serve")
    fops = CountingFops()
    ctx, port, app = _server(root, fops=fops, pt_serv_buf_size=512)
    c = TestClient(ctx, port)
    for _ in range(2):
        r = _get(c, "/big.bin")
        assert r.status == 200
        assert r.header("content-length") == "20000"
        assert r.body == BIG
    # it went through the 512-byte buffer piece by piece, never as a whole
    assert max(fops.read_sizes) <= 512, max(fops.read_sizes)
    assert len(fops.read_sizes) >= 2 * (20000 // 512), len(fops.read_sizes)
    assert fops.opens == fops.closes == 2
    assert ctx.stats_accepted == 1
    lws_context_destroy(ctx)


@pytest.mark.parametrize("own_fops", [True, False], ids=["user-fops", "platform-fops"])
def test_slow_reader_holds_the_file_back(own_fops):
    # small socket buffers on both ends (Linux option numbers where the
    # MicroPython socket module does not name them).  The platform's file
    # ops go another way (the platform streams the file, and gives back by
    # a seek what the socket did not take): both must lose no byte.
    import socket

    root = _site("serve")
    huge = bytes((i * 7 + (i >> 9)) & 0xFF for i in range(100000))
    write_file(root + "/huge.bin", huge)
    fops = CountingFops() if own_fops else None
    ctx, port, app = _server(root, fops=fops, pt_serv_buf_size=512)
    c = TestClient(ctx, port)
    c.sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUF", 8), 4096)
    c.service(3)  # accepted: its socket's buffer made small before the request
    conns = [w for w in ctx.slots if w is not None and w.addr[0] and w.sock is not None]
    assert len(conns) == 1
    conns[0].sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_SNDBUF", 7), 4096)
    c.request("GET", "/huge.bin", read=False)
    c.service(300)  # the client reads nothing meanwhile
    # the file is read only as fast as the socket takes it
    assert conns[0].file is not None
    left = conns[0].file.remaining
    assert len(huge) // 2 < left < len(huge), left
    if own_fops:
        stalled_at = sum(fops.read_sizes)
        assert 0 < stalled_at < len(huge) // 2, stalled_at
        assert fops.opens - fops.closes == 1
    r = c.read_response()
    assert r.status == 200 and len(r.body) == len(huge)
    assert r.body == huge
    assert conns[0].file is None
    if own_fops:
        assert fops.opens == fops.closes
    assert _get(c, "/digits.txt").body == DIGITS
    lws_context_destroy(ctx)


def test_stalled_reader_is_timed_out():
    import socket

    from lws_mp import PENDING_TIMEOUT_HTTP_CONTENT
    from lws_mp.plat._port import ticks_add, ticks_ms

    root = _site("serve")
    huge = BIG * 5
    write_file(root + "/huge.bin", huge)
    fops = CountingFops()
    ctx, port, app = _server(root, fops=fops, pt_serv_buf_size=512, timeout_secs=30)
    c = TestClient(ctx, port)
    c.sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUF", 8), 4096)
    c.request("GET", "/huge.bin", read=False)
    c.service(3)
    w = [w for w in ctx.slots if w is not None and w.addr[0] and w.sock is not None][0]
    w.sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_SNDBUF", 7), 4096)
    c.service(300)  # the client has stopped reading
    assert fops.opens - fops.closes == 1 and sum(fops.read_sizes) < len(huge)
    # the transfer is under a timeout: halfway there nothing happens ...
    assert w.pending_timeout == PENDING_TIMEOUT_HTTP_CONTENT
    ctx.sweep_timeouts(ticks_add(ticks_ms(), 15 * 1000))
    assert not w.closed
    # ... past it the connection goes, and the file, slot and header table with it
    ctx.sweep_timeouts(ticks_add(ticks_ms(), 31 * 1000))
    assert w.closed
    assert fops.opens == fops.closes
    assert ctx.fd_count == 2
    assert len(ctx.header_pool.free) == len(ctx.header_pool.tables)
    assert app.completions == [] and app.closed == 1
    lws_context_destroy(ctx)


def test_http10_and_connection_close():
    root = _site("serve")
    ctx, port, app = _server(root)
    # HTTP/1.0 without keep-alive: the file, then the server closes
    c = TestClient(ctx, port)
    c.send(b"GET /digits.txt HTTP/1.0\r\n\r\n")
    data = c.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"\r\nConnection: close" in head
    assert body == DIGITS
    # HTTP/1.0 asking for keep-alive gets it said back, and the connection stays
    keep = TestClient(ctx, port)
    for _ in range(2):
        keep.send(b"GET /style.css HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = keep.read_response()
        assert r.status == 200 and r.body == CSS
        assert r.header("connection") == "keep-alive"
    assert not keep.closed_by_peer
    # HTTP/1.1 with Connection: close
    c = TestClient(ctx, port)
    c.request("GET", "/big.bin", {"Connection": "close"}, read=False)
    data = c.wait_closed()
    assert data.partition(b"\r\n\r\n")[2] == BIG
    assert len(app.completions) == 4
    c.close()
    assert ctx.fd_count == 2 + 1  # only the kept-alive HTTP/1.0 connection is left
    keep.close()
    assert ctx.fd_count == 2
    lws_context_destroy(ctx)


def test_index_redirect_and_not_found():
    root = _site("serve")
    ctx, port, app = _server(root)
    c = TestClient(ctx, port)
    r = _get(c, "/")
    assert r.status == 200 and r.body == INDEX
    assert r.header("content-type") == "text/html; charset=utf-8"
    # a directory without its slash: 301 to the slashed form, no body
    r = _get(c, "/settings")
    assert r.status == 301, r
    assert r.header("location") == "/settings/"
    assert r.header("content-length") == "0" and r.body == b""
    r = _get(c, "/settings/")
    assert r.status == 200 and r.body == SUB_INDEX
    # a directory with no index and a missing file: 404, connection kept
    for path in ("/empty/", "/empty", "/missing.txt", "/settings/nope.html"):
        r = _get(c, path)
        assert r.status == 404, (path, r)
    assert not c.closed_by_peer
    r = _get(c, "/digits.txt")
    assert r.status == 200 and r.body == DIGITS
    assert ctx.stats_accepted == 1
    lws_context_destroy(ctx)


def test_head_sends_headers_only_and_keeps_connection():
    root = _site("serve")
    fops = CountingFops()
    ctx, port, app = _server(root, fops=fops, pt_serv_buf_size=512)
    c = TestClient(ctx, port)
    for path, size, ctype in (("/big.bin", len(BIG), "application/octet-stream"),
                              ("/", len(INDEX), "text/html; charset=utf-8")):
        done = len(app.completions)
        r = c.request("HEAD", path)
        assert r.status == 200, r
        assert r.header("content-length") == str(size)
        assert r.header("content-type") == ctype
        # the server finishes the (empty) transfer; nothing follows the head
        c.pump(lambda n=done: len(app.completions) > n)
        c.pump(lambda: False, 0)
        assert bytes(c.rx) == b"", bytes(c.rx[:40])
    assert fops.read_sizes == []  # no body was read for HEAD
    r = _get(c, "/digits.txt")
    assert r.status == 200 and r.body == DIGITS
    assert fops.opens == fops.closes == 3
    lws_context_destroy(ctx)


def test_gzip_variant_by_accept_encoding():
    root = _site("serve")
    ctx, port, app = _server(root)
    c = TestClient(ctx, port)
    for ae in ("gzip", "gzip, deflate, br", "deflate, GZIP;q=0.8", "x-gzip"):
        r = _get(c, "/app.js", {"Accept-Encoding": ae})
        assert r.status == 200, r
        assert r.header("content-encoding") == "gzip", (ae, r.headers)
        assert "accept-encoding" in r.header("vary", "").lower(), r.headers
        assert r.header("content-type") == "application/javascript"
        assert r.header("content-length") == str(len(APP_JS_GZ))
        assert r.body == APP_JS_GZ
        assert _gunzip(r.body) == APP_JS
    # no gzip accepted: the original file, no Content-Encoding
    for hdrs in (None, {"Accept-Encoding": "deflate, br"}, {"Accept-Encoding": "identity"},
                 {"Accept-Encoding": "gzip;q=0, deflate"}, {"Accept-Encoding": "gzip; q=0.0"}):
        r = _get(c, "/app.js", hdrs)
        assert r.status == 200, r
        assert r.header("content-encoding") is None, (hdrs, r.headers)
        assert r.header("content-length") == str(len(APP_JS))
        assert r.body == APP_JS, hdrs
    # only the .gz is on flash: served compressed, typed by the name asked for
    r = _get(c, "/only.js", {"Accept-Encoding": "gzip"})
    assert r.status == 200
    assert r.header("content-encoding") == "gzip"
    assert r.header("content-type") == "application/javascript"
    assert _gunzip(r.body) == ONLY_JS
    # the .gz asked for by its own name is just a gzip file
    r = _get(c, "/app.js.gz")
    assert r.status == 200 and r.body == APP_JS_GZ
    assert r.header("content-encoding") is None
    assert r.header("content-type") == "application/gzip"
    assert ctx.stats_accepted == 1
    # a client that cannot take gzip gets no compressed bytes
    r = _get(c, "/only.js")
    assert r.status == 404, r
    assert r.header("content-encoding") is None
    lws_context_destroy(ctx)


def test_ranges():
    root = _site("serve")
    ctx, port, app = _server(root, pt_serv_buf_size=512)
    c = TestClient(ctx, port)
    cases = (
        ("bytes=0-9", 206, DIGITS[0:10], "bytes 0-9/20"),
        ("bytes=10-", 206, DIGITS[10:], "bytes 10-19/20"),
        ("bytes=-5", 206, DIGITS[15:], "bytes 15-19/20"),
        ("bytes=5-5", 206, DIGITS[5:6], "bytes 5-5/20"),
        ("bytes=15-100", 206, DIGITS[15:], "bytes 15-19/20"),
        ("bytes=-50", 206, DIGITS, "bytes 0-19/20"),
        ("bytes=0-1,5-6", 200, DIGITS, None),  # several ranges: all of it
        ("bytes=9-3", 200, DIGITS, None),  # invalid: ignored
        ("pages=1-2", 200, DIGITS, None),  # unknown unit: ignored
    )
    for spec, code, body, crange in cases:
        r = _get(c, "/digits.txt", {"Range": spec})
        assert r.status == code, (spec, r)
        assert r.body == body, (spec, r.body)
        assert r.header("content-length") == str(len(body)), (spec, r.headers)
        assert r.header("content-range") == crange, (spec, r.headers)
    # beyond the end: 416 with the size, and the connection goes on
    for spec in ("bytes=20-", "bytes=100-200", "bytes=-0"):
        r = _get(c, "/digits.txt", {"Range": spec})
        assert r.status == 416, (spec, r)
        assert r.header("content-range") == "bytes */20", r.headers
        assert r.header("content-length") == "0" and r.body == b""
    # a range of a file bigger than the service buffer: seek, then stream
    r = _get(c, "/big.bin", {"Range": "bytes=1000-9999"})
    assert r.status == 206
    assert r.header("content-range") == "bytes 1000-9999/20000"
    assert r.body == BIG[1000:10000]
    r = _get(c, "/big.bin", {"Range": "bytes=-700"})
    assert r.status == 206 and r.body == BIG[-700:]
    # If-Range: the range only when the validator still matches
    etag = _get(c, "/digits.txt").header("etag")
    assert etag
    r = _get(c, "/digits.txt", {"Range": "bytes=0-3", "If-Range": etag})
    assert r.status == 206 and r.body == b"0123"
    r = _get(c, "/digits.txt", {"Range": "bytes=0-3", "If-Range": '"stale-etag"'})
    assert r.status == 200 and r.body == DIGITS
    r = _get(c, "/digits.txt", {"Range": "bytes=0-3",
                                "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert r.status == 200 and r.body == DIGITS
    assert not c.closed_by_peer
    assert ctx.stats_accepted == 1
    lws_context_destroy(ctx)


def test_etag_and_if_none_match():
    root = _site("serve")
    fops = CountingFops()
    ctx, port, app = _server(root, fops=fops)
    c = TestClient(ctx, port)
    r = _get(c, "/digits.txt")
    etag = r.header("etag")
    assert etag and etag[0] == '"' and etag[-1] == '"', r.headers
    assert _get(c, "/digits.txt").header("etag") == etag  # stable
    assert _get(c, "/style.css").header("etag") != etag  # per file
    gz_etag = _get(c, "/app.js", {"Accept-Encoding": "gzip"}).header("etag")
    plain_etag = _get(c, "/app.js").header("etag")
    assert gz_etag and plain_etag and gz_etag != plain_etag  # per representation
    done = len(app.completions)
    for inm in (etag, "*", "W/" + etag, '"nope", ' + etag, '"a",W/' + etag + ', "b"'):
        r = _get(c, "/digits.txt", {"If-None-Match": inm})
        assert r.status == 304, (inm, r)
        assert r.header("etag") == etag
        assert r.header("content-length") in (None, "0")
        assert bytes(c.rx) == b"", (inm, bytes(c.rx))  # no body followed
    # the gzip representation revalidates against its own tag
    r = _get(c, "/app.js", {"Accept-Encoding": "gzip", "If-None-Match": gz_etag})
    assert r.status == 304 and r.header("content-encoding") == "gzip"
    r = _get(c, "/app.js", {"If-None-Match": gz_etag})
    assert r.status == 200 and r.body == APP_JS
    # a tag that does not match: the full file
    r = _get(c, "/digits.txt", {"If-None-Match": '"other"'})
    assert r.status == 200 and r.body == DIGITS
    # If-None-Match wins over Range
    r = _get(c, "/digits.txt", {"If-None-Match": etag, "Range": "bytes=0-1"})
    assert r.status == 304
    # a 304 streams nothing: only the full responses completed a file
    assert len(app.completions) == done + 2
    assert fops.opens == fops.closes
    assert not c.closed_by_peer and ctx.stats_accepted == 1
    lws_context_destroy(ctx)


def test_etag_changes_when_the_file_changes():
    root = _site("serve_change")
    ctx, port, app = _server(root)
    c = TestClient(ctx, port)
    write_file(root + "/v.txt", b"version one")
    etag1 = _get(c, "/v.txt").header("etag")
    write_file(root + "/v.txt", b"version two, longer")
    r = _get(c, "/v.txt", {"If-None-Match": etag1})
    assert r.status == 200 and r.body == b"version two, longer"
    assert r.header("etag") != etag1
    lws_context_destroy(ctx)


def test_serve_http_file_from_user_callback():
    root = _site("serve")
    fops = CountingFops()
    results = []
    completions = []
    extra = b"X-Device: lws-test\r\nX-Cut: must-not-appear\r\n"
    keep = len(b"X-Device: lws-test\r\n")

    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            if in_ == "/str":
                n = lws_serve_http_file(wsi, root + "/data.json", "application/json",
                                        "X-Str: 1\r\n")
            else:
                n = lws_serve_http_file(wsi, root + in_, "text/plain", extra, keep)
            results.append(n)
            # the libwebsockets test-server idiom
            if n < 0 or (n > 0 and lws_http_transaction_completed(wsi)):
                return -1
            return 0
        if reason == LWS_CALLBACK_HTTP_FILE_COMPLETION:
            completions.append(in_)
        return 0

    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", cb)], fops=fops))
    idle = ctx.fd_count
    c = TestClient(ctx, port)
    r = _get(c, "/digits.txt")
    assert results == [0]  # started
    assert r.status == 200 and r.body == DIGITS
    assert r.header("content-type") == "text/plain"
    assert r.header("x-device") == "lws-test"
    assert r.header("x-cut") is None  # other_headers_len cut it off
    assert len(completions) == 1
    r = _get(c, "/str")
    assert results[-1] == 0 and r.header("x-str") == "1" and r.body == JSON
    # complete at once (304): > 0, and the connection is still usable
    etag = r.header("etag")
    r = _get(c, "/str", {"If-None-Match": etag})
    assert r.status == 304 and results[-1] > 0
    r = _get(c, "/big.bin")
    assert results[-1] == 0 and r.body == BIG
    assert not c.closed_by_peer
    # a missing file: < 0 and nothing sent (lws v2.1); the callback's -1 closes
    c.request("GET", "/missing.txt", read=False)
    data = c.wait_closed()
    assert results[-1] < 0
    assert data == b"", data[:40]
    assert fops.opens == fops.closes == 4
    c.close()
    assert ctx.fd_count == idle
    lws_context_destroy(ctx)


class DictFops:
    """File ops over an in-memory dict, as a firmware might serve assets
    baked into its image.  fd is a [name, position] list."""

    def __init__(self, files):
        self.files = files
        self.opened = []
        self.closes = 0

    def open(self, wsi, filename, flags=0):
        data = self.files.get(filename)
        if data is None:
            return None, 0
        self.opened.append(filename)
        return [filename, 0], len(data)

    def close(self, wsi, fd):
        self.closes += 1
        return 0

    def seek_cur(self, wsi, fd, offset_from_cur_pos):
        pos = fd[1] + offset_from_cur_pos
        if pos < 0:
            return -1
        fd[1] = pos
        return pos

    def read(self, wsi, fd, buf, len_):
        data = self.files[fd[0]]
        piece = data[fd[1]:fd[1] + len_]
        buf[0:len(piece)] = piece
        fd[1] += len(piece)
        return len(piece)

    def write(self, wsi, fd, buf, len_):
        return -1  # read-only image

    def stat(self, wsi, filename):
        data = self.files.get(filename)
        return None if data is None else (len(data), 1700000000)


def test_replaced_file_ops_are_used():
    files = {
        "/rom/index.html": b"<h1>from rom</h1>",
        "/rom/app.js": APP_JS,
        "/rom/app.js.gz": APP_JS_GZ,
        "/rom/big.bin": BIG,
        "/rom/cfg/index.html": b"cfg",
    }
    fops = DictFops(files)
    ctx, port, app = _server(None, fops=fops, pt_serv_buf_size=512,
                             mounts=[lws_http_mount(mountpoint="/", origin="/rom")])
    c = TestClient(ctx, port)
    r = _get(c, "/")
    assert r.status == 200 and r.body == b"<h1>from rom</h1>"
    r = _get(c, "/big.bin")
    assert r.status == 200 and r.body == BIG
    r = _get(c, "/big.bin", {"Range": "bytes=19990-"})
    assert r.status == 206 and r.body == BIG[19990:]
    r = _get(c, "/app.js", {"Accept-Encoding": "gzip"})
    assert r.header("content-encoding") == "gzip" and r.body == APP_JS_GZ
    assert ("%x" % 1700000000) in r.header("etag")  # the replaced stat feeds the ETag
    r = _get(c, "/cfg")
    assert r.status == 301 and r.header("location") == "/cfg/"
    assert _get(c, "/nothing.txt").status == 404
    assert fops.opened == ["/rom/index.html", "/rom/big.bin", "/rom/big.bin",
                           "/rom/app.js.gz"]
    assert fops.closes == len(fops.opened)
    assert len(app.completions) == 4
    lws_context_destroy(ctx)


def test_client_gone_mid_file_leaves_nothing_open():
    root = _site("serve")
    fops = CountingFops()
    ctx, port, app = _server(root, fops=fops, pt_serv_buf_size=512)
    idle = ctx.fd_count
    assert idle == 2  # the waker and the listen socket
    for _ in range(3):
        c = TestClient(ctx, port)
        c.request("GET", "/big.bin", read=False)
        c.pump(lambda c=c: c.rx.find(b"\r\n\r\n") >= 0)
        assert ctx.fd_count == idle + 1
        assert fops.opens - fops.closes == 1  # it really is mid-file
        assert len(c.rx) < len(BIG)
        c.sock.close()  # unread data in its buffer: the peer resets
        c.sock = None
        for _ in range(2000):
            lws_service(ctx, 0)
            if ctx.fd_count == idle:
                break
        assert ctx.fd_count == idle, ctx.fd_count
        assert fops.opens == fops.closes
    assert app.completions == []  # no file completed
    assert app.closed == 3
    assert ctx.header_pool.free and len(ctx.header_pool.free) == len(ctx.header_pool.tables)
    # and the server still serves
    c = TestClient(ctx, port)
    assert _get(c, "/big.bin").body == BIG
    lws_context_destroy(ctx)


def test_paths_cannot_leave_the_served_root():
    root = _site("serve_root")
    import os

    try:
        os.mkdir(root + "/site")
    except OSError:
        pass
    write_file(root + "/secret.txt", b"wifi-password")
    write_file(root + "/site/index.html", INDEX)
    ctx, port, app = _server(root, mounts=[lws_http_mount(mountpoint="/",
                                                          origin=root + "/site")])
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
                 "/site/../../secret.txt", "/%2E%2E%2Fsecret.txt", "/x/%2e%2e/%2e%2e/secret.txt"):
        c = TestClient(ctx, port)
        r = _get(c, path)
        assert r.status == 400, (path, r)
        assert b"wifi" not in r.body
        c.close()
    # inside the root, normalisation leads to files that are there or not
    c = TestClient(ctx, port)
    r = _get(c, "/a/../index.html")
    assert r.status == 200 and r.body == INDEX
    r = _get(c, "/a/../secret.txt")
    assert r.status == 404 and b"wifi" not in r.body
    lws_context_destroy(ctx)


def test_mountpoint_prefix_and_methods():
    root = _site("serve")
    mounts = [lws_http_mount(mountpoint="/static", origin=root),
              lws_http_mount(mountpoint="/static/js", origin=root + "/settings")]
    seen = []

    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            seen.append(in_)
            return -1
        return 0

    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", cb)], mounts=mounts))
    c = TestClient(ctx, port)
    assert _get(c, "/static/digits.txt").body == DIGITS
    assert _get(c, "/static/js/index.html").body == SUB_INDEX  # longest mountpoint wins
    r = c.request("POST", "/static/digits.txt", body=b"x=1")
    assert r.status == 405 and "GET" in r.header("allow", "")
    # a path that only shares a prefix with the mountpoint is not on it
    c = TestClient(ctx, port)
    c.request("GET", "/staticky.txt", read=False)
    c.wait_closed()
    assert seen == ["/staticky.txt"]
    lws_context_destroy(ctx)


def test_mime_table():
    cases = (
        ("/a/index.html", "text/html; charset=utf-8"),
        ("/a/INDEX.HTM", "text/html; charset=utf-8"),
        ("/s.css", "text/css"),
        ("/app.min.js", "application/javascript"),
        ("/logo.svg", "image/svg+xml"),
        ("/i.png", "image/png"),
        ("/p.JPG", "image/jpeg"),
        ("/favicon.ico", "image/x-icon"),
        ("/m.wasm", "application/wasm"),
        ("/f.woff2", "font/woff2"),
        ("/x.json", "application/json"),
        ("/x.gz", "application/gzip"),
        ("/README", "application/octet-stream"),
        ("/dir.d/file", "application/octet-stream"),
        ("/weird.xyz", "application/octet-stream"),
    )
    for path, t in cases:
        assert mime_type(path) == t, (path, mime_type(path))
    extra = {"fw": "application/x-firmware", "css": "text/x-override"}
    assert mime_type("/u.fw", extra) == "application/x-firmware"
    assert mime_type("/u.css", extra) == "text/x-override"
    assert mime_type("/u.FW", extra) == "application/x-firmware"
    assert mime_type("/u.html", extra) == "text/html; charset=utf-8"
