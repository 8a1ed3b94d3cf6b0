"""HTTP as real clients see it: curl, http.client and raw sockets against the
firmware apps running as server processes, under MicroPython (serving from a
LittleFS image, as a board does from its flash) and under CPython.

Covered: keep-alive reuse, pipelining, streamed uploads (chunked and
Content-Length), every error status on the wire, path traversal, Range,
ETag / 304, HEAD, .gz variants -- and that the server is still serving, with
no traceback in its log, after all of it.
"""

import binascii
import gzip
import http.client
import os
import socket
import subprocess

import pytest

from conftest import INTERPRETERS, ROOT, FirmwareServer

WWW = os.path.join(ROOT, "firmware", "www")
MAIN_PY = os.path.join(ROOT, "firmware", "main.py")

MAX_READS = 10000  # bound on recv calls for one exchange
SOCK_TIMEOUT = 10.0  # a hang fails the test instead of stalling the run


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def secret_markers():
    """Texts that must never come back: firmware/main.py (the served root's
    sibling) and the host's /etc/passwd."""
    marks = [read_file(MAIN_PY)[:200]]
    if os.path.exists("/etc/passwd"):
        marks.append(b"root:x:0:0")
    return marks


# ------------------------------------------------------------------ clients


def connect(srv):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=SOCK_TIMEOUT)
    return s


def recv_until_close(s):
    """Everything the server sends until it closes the connection."""
    out = bytearray()
    for _ in range(MAX_READS):
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        out += b
    else:
        raise AssertionError("server did not close the connection")
    return bytes(out)


def exchange(srv, data):
    """Send raw bytes, return all the server answers until it closes."""
    s = connect(srv)
    try:
        s.sendall(data)
        return recv_until_close(s)
    finally:
        s.close()


class Response:
    def __init__(self, status, reason, headers, body, raw):
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case name -> value (str)
        self.body = body
        self.raw = raw  # the exact bytes of this response

    def header(self, name):
        return self.headers.get(name.lower())


def parse_response(buf, pos=0, head=False):
    """One response from buf[pos:]: (Response, next pos); None if the bytes
    there do not hold a whole one yet."""
    end = buf.find(b"\r\n\r\n", pos)
    if end < 0:
        return None
    lines = buf[pos:end].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    assert parts[0].startswith("HTTP/1."), lines[0]
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        assert k.lower() not in headers, "header %s sent twice" % k
        headers[k.lower()] = v.strip()
    body_start = end + 4
    n = 0 if head or status in (204, 304) else int(headers.get("content-length", "0"))
    if len(buf) < body_start + n:
        return None
    r = Response(status, reason, headers, buf[body_start:body_start + n],
                 buf[pos:body_start + n])
    return r, body_start + n


def parse_all(buf, heads=()):
    """All responses in buf; ``heads``: indexes of answers to HEAD."""
    out = []
    pos = 0
    while pos < len(buf):
        got = parse_response(buf, pos, len(out) in heads)
        assert got is not None, "truncated response at %d: %r" % (pos, buf[pos:pos + 200])
        r, pos = got
        out.append(r)
    return out


def read_responses(s, count, heads=()):
    """Read exactly ``count`` responses from an open connection."""
    buf = bytearray()
    out = []
    pos = 0
    for _ in range(MAX_READS):
        while len(out) < count:
            got = parse_response(bytes(buf), pos, len(out) in heads)
            if got is None:
                break
            out.append(got[0])
            pos = got[1]
        if len(out) == count:
            return out, bytes(buf[pos:])
        b = s.recv(65536)
        assert b, "connection closed after %d of %d responses" % (len(out), count)
        buf += b
    raise AssertionError("too many reads")


def one(srv, data):
    """Raw request(s) on a fresh connection: the single response, after the
    server closed the connection."""
    rs = parse_all(exchange(srv, data))
    assert len(rs) == 1, [r.raw[:80] for r in rs]
    return rs[0]


def curl(*args, check=True):
    r = subprocess.run(["curl", "-sS", "--max-time", "20"] + list(args),
                       capture_output=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr.decode("utf-8", "replace")
    return r


def curl_get(url, *args):
    """(status, headers, body) of one curl transfer."""
    r = curl("-D", "-", "-o", "/dev/stderr", url, *args, check=False)
    # headers on stdout, body on stderr: -sS keeps curl's own messages off
    # stderr unless it fails, and then returncode says so
    assert r.returncode == 0, r.stderr[-500:]
    head = r.stdout.decode("latin-1")
    blocks = [b for b in head.split("\r\n\r\n") if b.strip()]
    lines = blocks[-1].split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return status, headers, r.stderr


def still_serving(srv):
    """The process lives, answers a plain GET with 200 and logged no
    traceback."""
    assert srv.alive(), srv.output()
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=SOCK_TIMEOUT)
    try:
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        assert r.status == 200
    finally:
        c.close()
    assert srv.alive(), srv.output()
    log = srv.output()
    assert "Traceback" not in log, log


# ------------------------------------------------------------------ servers


@pytest.fixture(scope="module")
def www_server(tmp_path_factory):
    """One fileserver per interpreter on the default root (firmware/www; on
    MicroPython a LittleFS image of it), shared by the tests below so that
    the last one sees a server that has been through all of them."""
    started = {}

    def get(interp):
        if interp not in started:
            tmp = tmp_path_factory.mktemp("www-" + interp)
            started[interp] = FirmwareServer("fileserver", interp, flash=True, tmp=str(tmp))
        return started[interp]

    yield get
    for p in started.values():
        p.stop()


DATA_SIZE = 10000


def _data_bytes():
    # incompressible-looking but reproducible
    out = bytearray()
    x = 12345
    for _ in range(DATA_SIZE):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((x >> 16) & 0xFF)
    return bytes(out)


TEXT = b"".join(b"line %05d of a text file served gzipped\n" % i for i in range(600))


@pytest.fixture
def files_root(tmp_path):
    """A served root with a binary file, a text file beside its .gz variant
    and a file that exists only as .gz."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "index.html").write_bytes(b"<html>files</html>\n")
    (root / "data.bin").write_bytes(_data_bytes())
    (root / "text.txt").write_bytes(TEXT)
    (root / "text.txt.gz").write_bytes(gzip.compress(TEXT))
    (root / "only.js.gz").write_bytes(gzip.compress(b"console.log('only gz');\n" * 50))
    return str(root)


# ------------------------------------------------------------------ keep-alive


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_curl_reuses_the_connection(www_server, interp):
    srv = www_server(interp)
    r = curl("-v", "-o", "/dev/null", "-o", "/dev/null",
             srv.url + "/index.html", srv.url + "/style.css")
    err = r.stderr.decode("utf-8", "replace")
    assert "Re-using existing connection" in err, err
    assert err.count("Connected to 127.0.0.1") == 1, err
    assert err.count("< HTTP/1.1 200") == 2, err


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_http_client_three_requests_one_socket(www_server, interp):
    srv = www_server(interp)
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=SOCK_TIMEOUT)
    try:
        c.connect()
        sock = c.sock
        local = sock.getsockname()
        want = [("/index.html", read_file(os.path.join(WWW, "index.html"))),
                ("/style.css", read_file(os.path.join(WWW, "style.css"))),
                ("/", read_file(os.path.join(WWW, "index.html")))]
        for path, body in want:
            c.request("GET", path)
            r = c.getresponse()
            assert r.status == 200
            assert r.read() == body
            assert not r.will_close
            # http.client reconnects silently when the server closed: the
            # socket object would change
            assert c.sock is sock
            assert c.sock.getsockname() == local
    finally:
        c.close()


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_pipelined_requests_answered_in_order_byte_exact(www_server, interp):
    srv = www_server(interp)
    index = read_file(os.path.join(WWW, "index.html"))
    css = read_file(os.path.join(WWW, "style.css"))
    reqs = [
        b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /missing.txt HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HEAD /style.css HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /index.html HTTP/1.1\r\nHost: x\r\nRange: bytes=3-9\r\n"
        b"Connection: close\r\n\r\n",
    ]
    got = exchange(srv, b"".join(reqs))
    rs = parse_all(got, heads=(3,))
    assert [r.status for r in rs] == [200, 200, 404, 200, 206]
    assert rs[0].body == index
    assert rs[1].body == css
    assert rs[3].body == b"" and rs[3].header("content-length") == str(len(css))
    assert rs[4].body == index[3:10]
    assert rs[4].header("content-range") == "bytes 3-9/%d" % len(index)
    assert rs[4].header("connection") == "close"
    # the same requests one connection each give exactly the same bytes
    alone = b""
    for i, req in enumerate(reqs):
        req1 = req if i == len(reqs) - 1 else req.replace(
            b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        r = parse_all(exchange(srv, req1), heads=(0,) if i == 3 else ())[0]
        alone += r.raw if i == len(reqs) - 1 else r.raw.replace(
            b"\r\nConnection: close\r\n", b"\r\n")
    assert got == alone


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("interp", INTERPRETERS)
@pytest.mark.parametrize("request_bytes", [
    b"GET /index.html\r\n\r\n",  # HTTP/0.9 style: no version
    b"GET  /index.html HTTP/1.1\r\nHost: x\r\n\r\n",  # two spaces
    b"GET index.html HTTP/1.1\r\nHost: x\r\n\r\n",  # not origin-form
    b"GET /index.html HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  # two Hosts
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",  # obs-fold
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # TLS hello on plain HTTP
    b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
], ids=["no-version", "double-space", "relative", "no-host", "two-hosts", "obs-fold",
        "tls", "two-lengths"])
def test_400_bad_request(www_server, interp, request_bytes):
    r = one(www_server(interp), request_bytes)
    assert r.status == 400
    assert r.header("connection") == "close"


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_404_keeps_the_connection(www_server, interp):
    s = connect(www_server(interp))
    try:
        s.sendall(b"GET /no-such-file.html HTTP/1.1\r\nHost: x\r\n\r\n")
        (r,), rest = read_responses(s, 1)
        assert r.status == 404 and rest == b""
        assert r.header("connection") is None
        s.sendall(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        (r,), rest = read_responses(s, 1)
        assert r.status == 200
        assert r.body == read_file(os.path.join(WWW, "style.css"))
    finally:
        s.close()


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_405_post_to_a_mounted_file(www_server, interp):
    srv = www_server(interp)
    s = connect(srv)
    try:
        # refused with Connection: close, as every protocol error is
        s.sendall(b"POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        (r,), _ = read_responses(s, 1)
        assert r.status == 405
        assert r.header("allow") == "GET, HEAD"
        assert r.header("connection") == "close"
    finally:
        s.close()
    # with a body nobody will read: answered, then closed
    r = one(srv, b"POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    assert r.status == 405 and r.header("allow") == "GET, HEAD"
    r = one(srv, b"DELETE /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert r.status == 405 and r.header("allow") == "GET, HEAD"
    r = curl_get(srv.url + "/index.html", "-X", "PUT", "--data-binary", "x")
    assert r[0] == 405 and r[1]["allow"] == "GET, HEAD"


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_408_half_a_request_then_silence(server, interp):
    srv = server("fileserver", interp, flash=True, args=["--timeout", "1"])
    s = connect(srv)
    try:
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")  # no blank line
        got = recv_until_close(s)
    finally:
        s.close()
    r = parse_all(got)
    assert [x.status for x in r] == [408]
    still_serving(srv)


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_414_and_431_past_the_header_table(server, interp):
    srv = server("fileserver", interp, flash=True, args=["--header-data", "1024"])
    # a request line that does not fit the 1024-byte table
    line = b"GET /" + b"a" * 1100 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert one(srv, line).status == 414
    r = curl_get(srv.url + "/" + "b" * 1500)
    assert r[0] == 414
    # a request line that fits, headers that do not
    many = b"".join(b"X-Filler-%02d: %s\r\n" % (i, b"v" * 60) for i in range(20))
    r = one(srv, b"GET /index.html HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert r.status == 431
    r = curl_get(srv.url + "/index.html", "-H", "X-Big: " + "c" * 1500)
    assert r[0] == 431
    # the limit is the table, not the server: a normal request still works
    r = curl_get(srv.url + "/style.css")
    assert r[0] == 200 and r[2] == read_file(os.path.join(WWW, "style.css"))
    still_serving(srv)


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_501_unknown_method_and_transfer_coding(www_server, interp):
    srv = www_server(interp)
    assert one(srv, b"BREW /index.html HTTP/1.1\r\nHost: x\r\n\r\n").status == 501
    r = curl_get(srv.url + "/index.html", "-X", "PROPFIND")
    assert r[0] == 501
    r = one(srv, b"POST /index.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
                 b"\x1f\x8b\x08\x00")
    assert r.status == 501 and r.header("connection") == "close"


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_505_http_2_request_line(www_server, interp):
    srv = www_server(interp)
    r = one(srv, b"GET /index.html HTTP/2.0\r\nHost: x\r\n\r\n")
    assert r.status == 505 and r.header("connection") == "close"
    r = one(srv, b"GET /index.html HTTP/3.1\r\nHost: x\r\n\r\n")
    assert r.status == 505


# ------------------------------------------------------------------ traversal


def _climb_to(path):
    # enough '..' to reach '/' from any served root, then the absolute path
    return "/" + "../" * 12 + path.lstrip("/")


TRAVERSAL_PATHS = [
    "/../main.py",
    "/../../etc/passwd",
    "/./../main.py",
    "//../main.py",
    "/css/../../main.py",
    "/%2e%2e/main.py",
    "/%2E%2E/%2e%2e/etc/passwd",
    "/..%2fmain.py",
    "/%2e%2e%2fmain.py",
    "/..%5cmain.py",
    "/%5c..%5cmain.py",
    "/index.html%00.css",
    "/%00../main.py",
    "/%252e%252e/main.py",  # double-encoded: '%2e' is just a name
    _climb_to(MAIN_PY),
    _climb_to("/etc/passwd"),
]


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_traversal_with_curl_path_as_is(www_server, interp):
    srv = www_server(interp)
    marks = secret_markers()
    for path in TRAVERSAL_PATHS:
        status, _, body = curl_get(srv.url + path, "--path-as-is")
        assert status in (400, 404), (path, status)
        for m in marks:
            assert m not in body, path


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_traversal_with_raw_sockets(www_server, interp):
    srv = www_server(interp)
    marks = secret_markers()
    targets = [p.encode() for p in TRAVERSAL_PATHS] + [
        b"/\x00/../main.py",
        b"/index.html\x00",
        b"/..\\main.py",
        b"\\..\\main.py",
        b"http://x/../../etc/passwd",
        b"http://x/../main.py",
        b"http://x/%2e%2e/main.py",
        b"http://x" + _climb_to(MAIN_PY).encode(),
        b"../main.py",
        b"*",
    ]
    for t in targets:
        got = exchange(srv, b"GET " + t + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        rs = parse_all(got)
        assert len(rs) == 1 and rs[0].status in (400, 404), (t, got[:100])
        for m in marks:
            assert m not in got, t
    # an absolute-form target inside the root is served (and proves the form
    # is understood, so the refusals above are not just "unsupported")
    r = one(srv, b"GET http://x/style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert r.status == 200 and r.body == read_file(os.path.join(WWW, "style.css"))


# ------------------------------------------------------------------ files


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_range_requests(server, files_root, interp):
    srv = server("fileserver", interp, flash=True, args=["--root", files_root])
    data = _data_bytes()
    cases = [("bytes=100-199", 100, 199), ("bytes=0-0", 0, 0), ("bytes=-50", DATA_SIZE - 50,
             DATA_SIZE - 1), ("bytes=9990-", 9990, DATA_SIZE - 1),
             ("bytes=5000-999999", 5000, DATA_SIZE - 1)]
    for spec, a, b in cases:
        status, h, body = curl_get(srv.url + "/data.bin", "-H", "Range: " + spec)
        assert status == 206, spec
        assert body == data[a:b + 1], spec
        assert h["content-range"] == "bytes %d-%d/%d" % (a, b, DATA_SIZE)
        assert h["content-length"] == str(b - a + 1)
    # curl's own --range too
    status, h, body = curl_get(srv.url + "/data.bin", "-r", "1234-5677")
    assert status == 206 and body == data[1234:5678]
    for spec in ("bytes=10000-", "bytes=20000-20010"):
        status, h, body = curl_get(srv.url + "/data.bin", "-H", "Range: " + spec)
        assert status == 416, spec
        assert h["content-range"] == "bytes */%d" % DATA_SIZE
        assert body == b""
    # not a byte range at all: the whole file
    status, h, body = curl_get(srv.url + "/data.bin", "-H", "Range: lines=1-2")
    assert status == 200 and body == data
    still_serving(srv)


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_if_none_match_gives_304(server, files_root, interp):
    srv = server("fileserver", interp, flash=True, args=["--root", files_root])
    status, h, body = curl_get(srv.url + "/data.bin")
    assert status == 200 and body == _data_bytes()
    etag = h["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    # 304 on a kept-alive connection: no body, so the next answer follows at once
    s = connect(srv)
    try:
        s.sendall(b"GET /data.bin HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag.encode()
                  + b"\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\n"
                  b"If-None-Match: \"nope\", W/" + etag.encode() + b"\r\n\r\n"
                  b"GET /data.bin HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"other\"\r\n"
                  b"Connection: close\r\n\r\n")
        got = recv_until_close(s)
    finally:
        s.close()
    rs = parse_all(got)
    assert [r.status for r in rs] == [304, 200, 200]
    assert rs[0].body == b"" and rs[0].header("etag") == etag
    assert rs[1].body == b"<html>files</html>\n"
    assert rs[2].body == _data_bytes()
    status, _, body = curl_get(srv.url + "/data.bin", "-H", "If-None-Match: " + etag)
    assert status == 304 and body == b""
    still_serving(srv)


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_head_has_the_length_and_no_body(server, files_root, interp):
    srv = server("fileserver", interp, flash=True, args=["--root", files_root])
    got = exchange(srv, b"HEAD /data.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                        b"HEAD /text.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                        b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    rs = parse_all(got, heads=(0, 1))
    assert [r.status for r in rs] == [200, 200, 200]
    assert rs[0].header("content-length") == str(DATA_SIZE) and rs[0].body == b""
    assert rs[1].header("content-length") == str(len(TEXT)) and rs[1].body == b""
    assert rs[2].body == b"<html>files</html>\n"
    # what http.client makes of it
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=SOCK_TIMEOUT)
    try:
        c.request("HEAD", "/data.bin")
        r = c.getresponse()
        assert r.status == 200 and r.read() == b""
        assert r.getheader("Content-Length") == str(DATA_SIZE)
        c.request("GET", "/data.bin")
        r = c.getresponse()
        assert r.read() == _data_bytes()
    finally:
        c.close()
    still_serving(srv)


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_gz_variant(server, files_root, interp):
    srv = server("fileserver", interp, flash=True, args=["--root", files_root])
    gz = read_file(os.path.join(files_root, "text.txt.gz"))
    status, h, body = curl_get(srv.url + "/text.txt", "--compressed")
    assert status == 200 and body == TEXT
    assert h["content-encoding"] == "gzip"
    assert h["content-length"] == str(len(gz))  # the stored .gz, as is
    assert "accept-encoding" in h["vary"].lower()
    status, h, body = curl_get(srv.url + "/text.txt")
    assert status == 200 and body == TEXT
    assert "content-encoding" not in h
    assert h["content-length"] == str(len(TEXT))
    # gzip refused explicitly
    status, h, body = curl_get(srv.url + "/text.txt", "-H", "Accept-Encoding: gzip;q=0")
    assert status == 200 and body == TEXT and "content-encoding" not in h
    # a file that exists only compressed
    status, h, body = curl_get(srv.url + "/only.js", "--compressed")
    assert status == 200 and body == b"console.log('only gz');\n" * 50
    status, _, _ = curl_get(srv.url + "/only.js")
    assert status == 404
    still_serving(srv)


# ------------------------------------------------------------------ uploads

UPLOAD_SIZE = 200 * 1024
HEAP = "384k"


@pytest.fixture
def upload_file(tmp_path):
    data = os.urandom(UPLOAD_SIZE)
    p = tmp_path / "upload.bin"
    p.write_bytes(data)
    return str(p), "bytes=%d crc=%08x" % (len(data), binascii.crc32(data) & 0xFFFFFFFF)


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_uploads_stream_through_formtest(server, upload_file, interp):
    # the library compiled from source needs ~300 KiB of heap: with 384 KiB
    # there is no room left for a 200 KiB body, it has to stream
    srv = server("test_server", interp, heap=HEAP if interp == "micropython" else None)
    path, want = upload_file
    url = srv.url + "/formtest"
    status, h, body = curl_get(url, "-H", "Transfer-Encoding: chunked",
                               "--data-binary", "@" + path)
    assert status == 200 and body.decode() == want
    assert h["content-type"] == "text/plain"
    status, h, body = curl_get(url, "--data-binary", "@" + path)
    assert status == 200 and body.decode() == want
    # both kinds on one kept-alive connection, with http.client
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=SOCK_TIMEOUT)
    try:
        with open(path, "rb") as f:
            data = f.read()
        c.connect()
        sock = c.sock
        c.request("POST", "/formtest", body=data)
        r = c.getresponse()
        assert r.status == 200 and r.read().decode() == want
        assert not r.will_close and c.sock is sock

        def pieces():
            for i in range(0, len(data), 7000):
                yield data[i:i + 7000]

        c.request("POST", "/formtest", body=pieces(), encode_chunked=True,
                  headers={"Transfer-Encoding": "chunked"})
        r = c.getresponse()
        assert r.status == 200 and r.read().decode() == want
        assert not r.will_close and c.sock is sock
        c.request("POST", "/formtest", body=b"")
        r = c.getresponse()
        assert r.status == 200 and r.read() == b"bytes=0 crc=00000000"
        assert c.sock is sock
    finally:
        c.close()
    # a POST elsewhere is still refused by the mount
    status, h, _ = curl_get(srv.url + "/test.html", "--data-binary", "x")
    assert status == 405
    still_serving(srv)


# ------------------------------------------------------------------ survival

HOSTILE = [
    b"GET / HTTP/1.1\r\n\r\n",
    b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
    b"GET /../main.py HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"\xff\xfe\xfd\r\n\r\n",
]

# sent, then the client goes away without waiting
ABANDONED = [
    b"",
    b"\r\n\r\n\r\n\r\n",  # empty lines before a request: the server waits
    b"GET /index.html HTTP/1.1\r\nHo",
    b"POST /formtest HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc",
    b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n" * 20,
]


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_www_server_still_serving_after_all_of_it(www_server, interp):
    """Last in the file: the shared server has had every test above."""
    srv = www_server(interp)
    for req in HOSTILE:
        s = connect(srv)
        try:
            s.sendall(req)
            rs = parse_all(recv_until_close(s))
        finally:
            s.close()
        assert len(rs) == 1 and rs[0].status >= 400, req
    for data in ABANDONED:
        s = connect(srv)
        if data:
            s.sendall(data)
        s.close()
    still_serving(srv)


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_413_body_over_the_limit(server, interp):
    srv = server("test_server", interp, args=["--body-limit", "1000"])
    r = one(srv, b"POST /formtest HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
    assert r.status == 413 and r.header("connection") == "close"
    chunk = b"%x\r\n%s\r\n" % (600, b"z" * 600)
    r = one(srv, b"POST /formtest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunk * 2)
    assert r.status == 413
    status, _, body = curl_get(srv.url + "/formtest", "--data-binary", "a" * 1000)
    assert status == 200 and body.startswith(b"bytes=1000 ")
    still_serving(srv)
