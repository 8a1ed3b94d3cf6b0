"""Drive a context from a test: an HTTP and WebSocket client that services
the server in the same process, with no threads and no sleeps.

    ctx = lws_create_context(info)
    c = TestClient(ctx, port)
    r = c.request("GET", "/")
    assert r.status == 200

Every wait pumps ``lws_service(ctx, 0)`` and the client socket in turn until
the expected bytes arrive or ``timeout_ms`` passes (then TimeoutError).
The client runs on CPython and MicroPython alike.
"""

import socket

from . import _port
from .service import lws_service


class Response:
    def __init__(self):
        self.version = ""
        self.status = 0
        self.reason = ""
        self.headers = {}  # lowercase name -> str (repeats joined by ', ')
        self.body = b""

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def __repr__(self):
        return "<Response %d %r %d bytes>" % (self.status, self.reason, len(self.body))


class ClientTimeout(Exception):
    pass


class TestClient:
    __test__ = False  # not a pytest test class

    def __init__(self, ctx, port, host="127.0.0.1", timeout_ms=5000, connect=True):
        self.ctx = ctx
        self.port = port
        self.host = host
        self.timeout_ms = timeout_ms
        self.sock = None
        self.rx = bytearray()
        self.closed_by_peer = False
        self._buf = bytearray(4096)
        if connect:
            self.connect()

    # ----------------------------------------------------------- plumbing

    def connect(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(_port.sockaddr(self.host, self.port))
        except OSError as e:
            if not _port.in_progress(e):
                s.close()
                raise
        self.sock = s
        self.rx = bytearray()
        self.closed_by_peer = False
        self.pump(lambda: False, 0)
        return self

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.service(2)

    def service(self, rounds=1):
        """Run the server a little without waiting on the client."""
        for _ in range(rounds):
            lws_service(self.ctx, 0)

    def _recv_some(self):
        if self.sock is None or self.closed_by_peer:
            return False
        mv = memoryview(self._buf)
        try:
            n = _port.recv_into(self.sock, mv)
        except OSError:
            self.closed_by_peer = True
            return True
        if n is None:
            return False
        if n == 0:
            self.closed_by_peer = True
            return True
        self.rx.extend(mv[:n])
        return True

    def pump(self, done, timeout_ms=None):
        """Service server and client until ``done()`` or the timeout."""
        if timeout_ms is None:
            timeout_ms = self.timeout_ms
        start = _port.ticks_ms()
        while True:
            lws_service(self.ctx, 0)
            self._recv_some()
            if done():
                return True
            if _port.ticks_diff(_port.ticks_ms(), start) >= timeout_ms:
                if timeout_ms == 0:
                    return False
                raise ClientTimeout("no answer in %d ms" % timeout_ms)

    def send(self, data):
        """Send all of ``data``, servicing the server while it drains."""
        if isinstance(data, str):
            data = data.encode()
        mv = memoryview(data)
        while len(mv):
            n = _port.send(self.sock, mv)
            mv = mv[n:]
            if len(mv):
                lws_service(self.ctx, 0)
                self._recv_some()
        lws_service(self.ctx, 0)

    def wait_closed(self, timeout_ms=None):
        """Wait until the server closes the connection; returns what came."""
        self.pump(lambda: self.closed_by_peer, timeout_ms)
        data = bytes(self.rx)
        self.rx = bytearray()
        return data

    # ----------------------------------------------------------- HTTP

    def request(self, method, path, headers=None, body=None, read=True):
        if body is not None and isinstance(body, str):
            body = body.encode()
        lines = ["%s %s HTTP/1.1" % (method, path)]
        have = {}
        for k, v in (headers or {}).items():
            have[k.lower()] = 1
            lines.append("%s: %s" % (k, v))
        if "host" not in have:
            lines.append("Host: %s:%d" % (self.host, self.port))
        if body is not None and "content-length" not in have and \
                "transfer-encoding" not in have:
            lines.append("Content-Length: %d" % len(body))
        req = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.send(req + body if body is not None else req)
        if not read:
            return None
        return self.read_response(head=(method == "HEAD"))

    def _take_head(self):
        end = self.rx.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.rx[:end])
        self.rx = self.rx[end + 4:]
        return head

    def read_response(self, head=False, timeout_ms=None):
        """Read one response (1xx interim ones are skipped)."""
        while True:
            self.pump(lambda: self.rx.find(b"\r\n\r\n") >= 0 or self.closed_by_peer,
                      timeout_ms)
            raw = self._take_head()
            if raw is None:
                raise ClientTimeout("connection closed before a response")
            r = Response()
            lines = raw.split(b"\r\n")
            first = lines[0].decode().split(" ", 2)
            r.version = first[0]
            r.status = int(first[1])
            r.reason = first[2] if len(first) > 2 else ""
            for ln in lines[1:]:
                c = ln.find(b":")
                k = ln[:c].decode().strip().lower()
                v = ln[c + 1:].decode().strip()
                r.headers[k] = r.headers[k] + ", " + v if k in r.headers else v
            if 100 <= r.status < 200 and r.status != 101:
                continue
            break
        if head or r.status in (204, 304) or r.status == 101:
            return r
        te = r.header("transfer-encoding")
        if te is not None and "chunked" in te.lower():
            r.body = self._read_chunked(timeout_ms)
        elif r.header("content-length") is not None:
            n = int(r.header("content-length"))
            self.pump(lambda: len(self.rx) >= n or self.closed_by_peer, timeout_ms)
            r.body = bytes(self.rx[:n])
            self.rx = self.rx[n:]
        else:
            self.pump(lambda: self.closed_by_peer, timeout_ms)
            r.body = bytes(self.rx)
            self.rx = bytearray()
        return r

    def _read_chunked(self, timeout_ms):
        out = bytearray()
        while True:
            self.pump(lambda: self.rx.find(b"\r\n") >= 0 or self.closed_by_peer, timeout_ms)
            e = self.rx.find(b"\r\n")
            size = int(bytes(self.rx[:e]).split(b";")[0], 16)
            self.rx = self.rx[e + 2:]
            if size == 0:
                self.pump(lambda: self.rx.find(b"\r\n") >= 0 or self.closed_by_peer,
                          timeout_ms)
                self.rx = self.rx[self.rx.find(b"\r\n") + 2:]
                return bytes(out)
            self.pump(lambda: len(self.rx) >= size + 2 or self.closed_by_peer, timeout_ms)
            out.extend(self.rx[:size])
            self.rx = self.rx[size + 2:]
