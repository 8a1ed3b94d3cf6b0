"""Drive a context from a test: an HTTP and WebSocket client that services
the server in the same process, with no threads and no sleeps.

    ctx = lws_create_context(info)
    c = TestClient(ctx)        # the port the context listens on
    r = c.request("GET", "/")
    assert r.status == 200

Every wait pumps ``lws_service(ctx, 0)`` and the client socket in turn until
the expected bytes arrive or ``timeout_ms`` passes (then TimeoutError).
The client runs on CPython and MicroPython alike.

Without a port (or with port 0) the client connects to the port the
context listens on, ``ctx.port``: a context created with port 0 listens on
a free port chosen for it, on either interpreter.

``service=`` replaces that one step of the server (a callable taking no
arguments), for a context driven by an outside poll loop instead of
``lws_service``.
"""

import binascii
import hashlib
import select
import socket

from .core.service import lws_service
from .plat import _port

# The client's own WebSocket arithmetic (masking, the accept key), written
# apart from the library's so that a test of the library cannot pass by
# sharing its bug.
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# what one recv() asks for: MicroPython allocates all of it before the read
# (and shrinks it after), so on a board's heap a smaller ask needs a
# smaller free block
_RECV_SIZE = 1024 if _port.IS_MICROPYTHON else 4096


def _expected_accept(key):
    return binascii.b2a_base64(hashlib.sha1(key + _WS_GUID).digest())[:-1]


def _masked(payload, key):
    return bytes(b ^ key[i & 3] for i, b in enumerate(payload))


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

    def __init__(self, ctx, port=None, host="127.0.0.1", timeout_ms=5000, connect=True,
                 service=None):
        self.ctx = ctx
        self._step = service or self._lws_step
        self.port = port or ctx.port
        self.host = host
        self.timeout_ms = timeout_ms
        self.sock = None
        self.rx = bytearray()
        self.closed_by_peer = False
        # recv() is asked only once poll says there is something: on
        # MicroPython each recv(n) allocates n bytes even when it then
        # raises EAGAIN, and a test pumps thousands of idle steps
        self._poll = None
        self._keys = [None]
        self._revents = [0]
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
        self._poll = _port.new_poll()
        self._poll.register(s, select.POLLIN)
        self.rx = bytearray()
        self.closed_by_peer = False
        self.pump(lambda: False, 0)
        return self

    def close(self):
        if self.sock is not None:
            self._poll.unregister(self.sock)
            self.sock.close()
            self.sock = None
        self.service(2)

    def _lws_step(self):
        lws_service(self.ctx, 0)

    def service(self, rounds=1):
        """Run the server a little without waiting on the client."""
        for _ in range(rounds):
            self._step()

    def _recv_some(self):
        if self.sock is None or self.closed_by_peer:
            return False
        # one recv() per call: MicroPython's readinto() loops to fill the
        # buffer and drops what it has read when a reset follows the data
        if not _port.poll_into(self._poll, 0, self._keys, self._revents):
            return False
        try:
            data = self.sock.recv(_RECV_SIZE)
        except OSError as e:
            if _port.would_block(e):
                return False
            self.closed_by_peer = True
            return True
        if not data:
            self.closed_by_peer = True
            return True
        self.rx.extend(data)
        return True

    def pump(self, done, timeout_ms=None):
        """Service server and client until ``done()`` or the timeout."""
        if timeout_ms is None:
            timeout_ms = self.timeout_ms
        start = _port.ticks_ms()
        while True:
            self._step()
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
                self._step()
                self._recv_some()
        self._step()

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
            want = size + 2
            self.pump(lambda want=want: len(self.rx) >= want or self.closed_by_peer,
                      timeout_ms)
            out.extend(self.rx[:size])
            self.rx = self.rx[size + 2:]

    # ----------------------------------------------------------- WebSocket

    def ws_connect(self, path="/", protocol=None, headers=None, expect=101):
        """Open a WebSocket on this connection; returns a WsClient.

        With ``expect`` other than 101 the refusal Response is returned.
        """
        key = binascii.b2a_base64(_port.urandom(16))[:-1]
        h = {"Upgrade": "websocket", "Connection": "Upgrade",
             "Sec-WebSocket-Key": key.decode(), "Sec-WebSocket-Version": "13"}
        if protocol:
            h["Sec-WebSocket-Protocol"] = protocol
        for k, v in (headers or {}).items():
            h[k] = v
        r = self.request("GET", path, headers=h)
        if r.status != expect:
            raise AssertionError("handshake answered %d, not %d" % (r.status, expect))
        if r.status != 101:
            return r
        if r.header("sec-websocket-accept", "").encode() != _expected_accept(key):
            raise AssertionError("bad Sec-WebSocket-Accept")
        return WsClient(self, r)


def _frame_bounds(rx):
    """(header length, payload length) of the frame starting rx, once it is
    all there; None before."""
    if len(rx) < 2:
        return None
    n = rx[1] & 0x7F
    p = 2
    if n == 126:
        p = 4
    elif n == 127:
        p = 10
    if len(rx) < p:
        return None
    if p > 2:
        n = 0
        for i in range(2, p):
            n = (n << 8) | rx[i]
    return (p, n) if len(rx) >= p + n else None


class WsMessage:
    def __init__(self, opcode, data):
        self.opcode = opcode
        self.data = data

    @property
    def text(self):
        return self.data.decode()

    def __repr__(self):
        return "<WsMessage op=%d %d bytes>" % (self.opcode, len(self.data))


class WsClient:
    """The client end of a WebSocket on a TestClient connection.

    Frames it sends are masked, as a client's must be; ``send_frame`` sends
    any frame at all (including broken ones) for conformance tests.
    """

    def __init__(self, client, response):
        self.c = client
        self.response = response
        self.protocol = response.header("sec-websocket-protocol")
        self.close_code = None
        self.close_reason = b""

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, mask=True, length=None):
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload) if length is None else length
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        if n < 126:
            head = bytes((b0, (0x80 if mask else 0) | n))
        elif n < 65536:
            head = bytes((b0, (0x80 if mask else 0) | 126, n >> 8, n & 0xFF))
        else:
            head = bytes((b0, (0x80 if mask else 0) | 127)) + bytes(
                (n >> (8 * i)) & 0xFF for i in range(7, -1, -1))
        if mask:
            key = _port.urandom(4)
            data = head + key + _masked(payload, key)
        else:
            data = head + payload
        self.c.send(data)

    def send_text(self, text):
        self.send_frame(0x1, text)

    def send_binary(self, data):
        self.send_frame(0x2, data)

    def ping(self, payload=b""):
        self.send_frame(0x9, payload)

    def recv_frame(self, timeout_ms=None):
        """(fin, opcode, payload) of the next frame from the server."""
        c = self.c
        c.pump(lambda: _frame_bounds(c.rx) is not None or c.closed_by_peer, timeout_ms)
        bounds = _frame_bounds(c.rx)
        if bounds is None:
            raise ClientTimeout("connection closed before a frame")
        rx = c.rx
        if rx[1] & 0x80:
            raise AssertionError("server frames must not be masked")
        p, n = bounds
        payload = bytes(rx[p:p + n])
        c.rx = rx[p + n:]
        return rx[0] >> 7, rx[0] & 0x0F, payload

    def recv(self, timeout_ms=None):
        """The next whole message (pings answered, pongs skipped).

        A close frame from the server comes back as a WsMessage with
        opcode 8; its code is in ``close_code``.
        """
        parts = []
        opcode = None
        while True:
            fin, op, payload = self.recv_frame(timeout_ms)
            if op == 0x9:
                self.send_frame(0xA, payload)
                continue
            if op == 0xA:
                continue
            if op == 0x8:
                if len(payload) >= 2:
                    self.close_code = (payload[0] << 8) | payload[1]
                    self.close_reason = payload[2:]
                else:
                    self.close_code = 1005
                return WsMessage(0x8, payload)
            if opcode is None:
                opcode = op
            parts.append(payload)
            if fin:
                return WsMessage(opcode, b"".join(parts))

    def close(self, code=1000, reason=b""):
        """Send a close and wait for the server's; returns its code."""
        payload = bytes((code >> 8, code & 0xFF)) + reason if code else b""
        self.send_frame(0x8, payload)
        while True:
            m = self.recv()
            if m.opcode == 0x8:
                self.c.wait_closed()
                return self.close_code
