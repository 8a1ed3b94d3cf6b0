"""What the benchmarks share: starting the two servers, a raw-socket HTTP
client, a raw-socket WebSocket client and the printed tables.

Both servers run on the MicroPython unix port from precompiled .mpy
(benchmarks/run.sh builds them): lws_mp from build/mpy/host through
firmware/main.py --lib, microdot from build/bench/mpy through
benchmarks/peers/microdot_main.py --lib.  The clients run in CPython, one
piece of code for both servers, on 127.0.0.1 only.
"""

import base64
import hashlib
import os
import socket
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.path.join(ROOT, ".venv", "bin", "micropython")
LWS_LIB = os.path.join(ROOT, "build", "mpy", "host")
MICRODOT_LIB = os.path.join(ROOT, "build", "bench", "mpy")

if ROOT not in sys.path:
    sys.path.append(ROOT)  # lws_mp_pytest, from the checkout
from lws_mp_pytest.ports import free_port as block_port  # noqa: E402


def _microdot_version():
    with open(os.path.join(ROOT, "benchmarks", "requirements.txt")) as f:
        for line in f:
            if line.startswith("microdot=="):
                return line.strip().split("==", 1)[1]
    return "?"


MICRODOT_VERSION = _microdot_version()
# the board interpreters (tools/board/build.sh): lws_mp and the firmware
# frozen into a 32-bit unix port; microdot and its peer app frozen the same way
BOARD = "esp32_generic"
BOARD_MICROPYTHON = os.path.join(ROOT, "build", "board", BOARD, "micropython")
MICRODOT_MICROPYTHON = os.path.join(ROOT, "build", "board", "microdot", "micropython")
LOG_DIR = os.path.join(ROOT, "build", "bench", "logs")
STATIC_FILE = os.path.join(ROOT, "firmware", "www", "index.html")
HOST = "127.0.0.1"
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def check_built():
    missing = [p for p in (os.path.join(LWS_LIB, "lws_mp", "__init__.mpy"),
                           os.path.join(MICRODOT_LIB, "microdot", "microdot.mpy"),
                           os.path.join(MICRODOT_LIB, "microdot_app.mpy"))
               if not os.path.exists(p)]
    if missing:
        sys.exit("not built: %s (run benchmarks/run.sh)" % ", ".join(missing))


# The benchmarks' servers take their ports from a block of the tests' port
# allocator (lws_mp_pytest/ports.py) that no test worker uses, below the
# kernel's ephemeral range: a port from a bind to port 0 can be handed to
# another process (a test run beside the benchmark, a client's connect)
# before a server slow to start (one under valgrind takes seconds) binds it,
# and then wait_listening is answered by that other process.
_PORT_BLOCK = 40


def free_port():
    return block_port(worker=_PORT_BLOCK)


def mp_cmd(heap=None):
    cmd = [MICROPYTHON]
    if heap:
        cmd += ["-X", "heapsize=%dk" % heap]
    return cmd


def lws_cmd(app, port, heap=None, args=()):
    return mp_cmd(heap) + [os.path.join(ROOT, "firmware", "main.py"), "--app", app,
                           "--port", str(port), "--iface", HOST, "--lib", LWS_LIB] + list(args)


def microdot_cmd(port, heap=None, args=()):
    return mp_cmd(heap) + [os.path.join(ROOT, "benchmarks", "peers", "microdot_main.py"),
                           "--lib", MICRODOT_LIB, "--port", str(port), "--iface", HOST,
                           "--root", os.path.dirname(STATIC_FILE)] + list(args)


def board_lws_cmd(app, port, heap=None, args=()):
    """lws_mp's firmware, frozen, on the board interpreter (heap in KB)."""
    cmd = [BOARD_MICROPYTHON] + (["-X", "heapsize=%dk" % heap] if heap else [])
    return cmd + [os.path.join(ROOT, "firmware", "main.py"), "--frozen", "--app", app,
                  "--port", str(port), "--iface", HOST] + list(args)


def board_microdot_cmd(port, heap=None, args=()):
    """The microdot peer, frozen, on its board interpreter (heap in KB)."""
    cmd = [MICRODOT_MICROPYTHON] + (["-X", "heapsize=%dk" % heap] if heap else [])
    return cmd + ["-m", "microdot_main", "--port", str(port), "--iface", HOST,
                  "--root", os.path.dirname(STATIC_FILE)] + list(args)


def wait_listening(proc, port, timeout):
    """True once ``port`` accepts a connection; False if ``proc`` ends first
    or ``timeout`` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Server:
    """One server process on a free loopback port; stop() ends it."""

    def __init__(self, name, make_cmd, heap=None, ready_timeout=15.0, cwd=None):
        self.name = name
        self.port = free_port()
        os.makedirs(LOG_DIR, exist_ok=True)
        self.log_path = os.path.join(LOG_DIR, "%s-%d.log" % (name, self.port))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(make_cmd(self.port, heap), cwd=cwd or ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.ready = self._wait_ready(ready_timeout)

    def _wait_ready(self, timeout):
        return wait_listening(self.proc, self.port, timeout)

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def last_error(self):
        """The last line of the log naming an error, if any."""
        for line in reversed(self.output().splitlines()):
            if "Error" in line or "error" in line:
                return line.strip()
        return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def lws_server(app, heap=None, args=()):
    return Server("lws_mp-" + app, lambda port, h: lws_cmd(app, port, h, args), heap)


def microdot_server(heap=None, args=()):
    return Server("microdot", lambda port, h: microdot_cmd(port, h, args), heap)


def connect(port, timeout):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


# ------------------------------------------------------------------ HTTP


class HttpClient:
    """HTTP/1.1 over one socket while the server keeps it open.

    A response that ends the connection (HTTP/1.0 without keep-alive,
    ``Connection: close``, or a body delimited by the close) makes the next
    request open a new one; ``connections`` counts them.
    """

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.sock = None
        self.buf = b""
        self.connections = 0

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def request(self, raw, close=False):
        """Send ``raw`` (a whole request); return (status, body)."""
        reused = self.sock is not None
        if not reused:
            self.sock = connect(self.port, self.timeout)
            self.buf = b""
            self.connections += 1
        try:
            self.sock.sendall(raw)
            return self._response(close)
        except (EOFError, ConnectionError):
            self.close()
            if not reused:
                raise
            return self.request(raw, close)  # the server had closed the idle connection

    def _response(self, close):
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        version, status = lines[0].split(b" ", 2)[:2]
        headers = {}
        for line in lines[1:]:
            k, v = line.split(b":", 1)
            headers[k.strip().lower()] = v.strip().lower()
        conn = headers.get(b"connection", b"")
        keep = (conn != b"close") if version == b"HTTP/1.1" else (conn == b"keep-alive")
        if b"content-length" in headers:
            n = int(headers[b"content-length"])
            while len(self.buf) < n:
                self._recv()
            body, self.buf = self.buf[:n], self.buf[n:]
        elif headers.get(b"transfer-encoding") == b"chunked":
            body = self._chunked()
        else:
            try:
                while True:
                    self._recv()
            except EOFError:
                pass
            body, self.buf, keep = self.buf, b"", False
        if close or not keep:
            self.close()
        return int(status), body

    def _chunked(self):
        body = b""
        while True:
            while b"\r\n" not in self.buf:
                self._recv()
            size, self.buf = self.buf.split(b"\r\n", 1)
            n = int(size.split(b";")[0], 16)
            while len(self.buf) < n + 2:
                self._recv()
            body += self.buf[:n]
            self.buf = self.buf[n + 2:]
            if n == 0:
                return body


# ------------------------------------------------------------- WebSocket


def _mask(data, key):
    n = len(data)
    if not n:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


class WsError(Exception):
    pass


class WsClient:
    """A minimal RFC 6455 client: masked frames out, whole messages in."""

    TEXT = 1
    BINARY = 2

    def __init__(self, port, path="/", timeout=10.0):
        self.sock = connect(port, timeout)
        self.buf = bytearray()
        key = base64.b64encode(os.urandom(16))
        self.sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Key: " + key + b"\r\n"
                          b"Sec-WebSocket-Version: 13\r\n\r\n")
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        end = self.buf.index(b"\r\n\r\n")
        head = bytes(self.buf[:end])
        del self.buf[:end + 4]
        if not head.startswith(b"HTTP/1.1 101"):
            raise WsError("handshake: %r" % head[:40])
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        if accept not in head:
            raise WsError("handshake: bad Sec-WebSocket-Accept")

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise WsError("connection closed")
        self.buf += data

    def _take(self, n):
        while len(self.buf) < n:
            self._recv()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def send_frame(self, opcode, payload, fin=True):
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        key = os.urandom(4)
        self.sock.sendall(head + key + _mask(payload, key))

    def send(self, payload, opcode=TEXT):
        self.send_frame(opcode, payload)

    def recv_frame(self):
        b0, b1 = self._take(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._take(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._take(8))[0]
        if b1 & 0x80:
            raise WsError("masked frame from the server")
        return b0 & 0x80, b0 & 0x0F, self._take(n)

    def recv(self):
        """The next whole message as (opcode, payload); continuation
        frames are joined, pings answered."""
        opcode, parts = None, []
        while True:
            fin, op, payload = self.recv_frame()
            if op == 8:
                raise WsError("closed by the server: %r" % payload[:20])
            if op == 9:
                self.send_frame(10, payload)
                continue
            if op == 10:
                continue
            if opcode is None:
                opcode = op
            parts.append(payload)
            if fin:
                return opcode, b"".join(parts)

    def echo(self, payload, opcode=TEXT):
        """One round trip; raises unless the same message comes back."""
        self.send(payload, opcode)
        op, got = self.recv()
        if op != opcode or got != payload:
            raise WsError("echo differs (%d bytes back for %d)" % (len(got), len(payload)))

    def close(self, wait=2.0):
        """Close handshake, best effort: True if the server's close came."""
        try:
            self.send_frame(8, struct.pack("!H", 1000))
            self.sock.settimeout(wait)
            while True:
                _, op, _ = self.recv_frame()
                if op == 8:
                    return True
        except (OSError, WsError):
            return False
        finally:
            self.sock.close()


# ----------------------------------------------------------------- tables


def ratio(a, b):
    if not a or not b:
        return "-"
    return "%.2fx" % (a / b)


def print_table(title, header, rows, notes=()):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = "  ".join("%-*s" if i == 0 else "%*s" for i in range(len(header)))

    def fmt(r):
        cells = []
        for i, c in enumerate(r):
            cells.append(widths[i])
            cells.append(str(c))
        return line % tuple(cells)

    print(title)
    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))
    for n in notes:
        print(n)
    sys.stdout.flush()


def board_interpreter_line():
    out = subprocess.run([BOARD_MICROPYTHON, "-c", "import sys; print(sys.version)"],
                         capture_output=True, text=True).stdout.strip()
    return ("interpreters: build/board/%s/micropython and build/board/microdot/micropython "
            "(32-bit unix port, %s)" % (BOARD, out))


def interpreter_line():
    out = subprocess.run([MICROPYTHON, "-c", "import sys; print(sys.version)"],
                         capture_output=True, text=True).stdout.strip()
    return "interpreter: %s (MicroPython unix port, %s)" % (MICROPYTHON, out)
