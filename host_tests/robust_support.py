"""What the robustness tests (test_robust_*.py) share: the test_server with
its test hooks (apps/robust_server.py) on the board interpreter at a
board's heap, and the ways to look into it from outside.

The server is ``firmware/main.py --frozen`` as test_board_heap.py runs it --
lws_mp, the runner and the app frozen into the 32-bit board interpreter,
its flash a LittleFS image -- started through apps/robust_server.py from a
working directory that holds no lws_mp sources.  What the hooks add is
described there: ``GET /__robust`` (the server's own view of its fd table,
header pool and heap), a sequence number, armed allocation failures, and a
once-a-second "robust:" log line.
"""

import http.client
import json
import os
import re
import socket
import time

from conftest import ROOT
from server_process import ServerProcess, free_port
from test_board_heap import board_heap, board_interpreter

ROBUST_SERVER = os.path.join(ROOT, "host_tests", "apps", "robust_server.py")
BOARD = "esp32_generic"
TIMEOUT = 10.0
# the listen socket and the cancel waker: what the fd table holds when idle
BASE_FDS = 2
BAD_LOG = ("Traceback", "dropped")


def board_lws(board=BOARD):
    """The board's creation-info sizes (boards/NAME/board.py "lws")."""
    import runpy

    return runpy.run_path(os.path.join(ROOT, "boards", board, "board.py"))["BOARD"]["lws"]


class RobustServer(ServerProcess):
    """apps/robust_server.py on the board interpreter, on a free loopback
    port; ``heap`` None means the board's real heap."""

    def __init__(self, tmp, app="test_server", board=BOARD, heap=None, args=()):
        port = free_port()
        self.heap = heap or board_heap(board)
        cmd = [board_interpreter(board), "-X", "heapsize=%s" % self.heap, ROBUST_SERVER,
               "--app", app, "--board", board, "--port", str(port),
               "--iface", "127.0.0.1",
               "--flash", os.path.join(tmp, "flash-%s-%d.img" % (app, port))]
        cmd += list(args)
        # a working directory without lws_mp sources: only frozen code can load
        cwd = os.path.join(tmp, "cwd")
        os.makedirs(cwd, exist_ok=True)
        super().__init__(cmd, port, os.path.join(tmp, "robust-%s-%d.log" % (app, port)), cwd)

    def tail(self, n=4000):
        return "\n--- server log ---\n%s" % self.output()[-n:]

    def open_fds(self):
        """The server process' open file descriptors (sockets included), as
        the kernel counts them."""
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def settled_fds(self, expect=None, timeout=3.0):
        """open_fds() once the last connection the tests made is gone (the
        server closes it just after answering, or on reading its EOF): the
        count once it equals ``expect``, or the last count at the timeout."""
        end = time.monotonic() + timeout
        last = None
        while time.monotonic() < end:
            n = self.open_fds()
            if n == expect or (expect is None and n == last):
                return n
            last = n
            time.sleep(0.1)
        return self.open_fds()

    def get(self, path, timeout=TIMEOUT):
        """One request on a fresh connection: (status, body bytes)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request("GET", path, headers={"Connection": "close"})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def status(self):
        """The server's own view (GET /__robust) as a dict."""
        st, body = self.get("/__robust")
        assert st == 200, (st, body)
        return json.loads(body)

    def wait_idle(self, timeout=10.0, extra_fds=0):
        """Poll /__robust until the fd table holds only the listen socket,
        the waker, the asking connection (and ``extra_fds``) and every header
        table but the asker's is free; the last status either way."""
        end = time.monotonic() + timeout
        while True:
            s = self.status()
            if is_idle(s, extra_fds) or time.monotonic() > end:
                return s
            time.sleep(0.1)

    def robust_lines(self):
        """The hooks' once-a-second lines: [(fds, pool_free, pool, waiting,
        timeouts, accepted, full)]."""
        out = []
        for m in re.finditer(r"robust: fds (\d+) pool (\d+)/(\d+) waiting (\d+) timeouts (\d+) "
                             r"accepted (\d+) full (\d+)", self.output()):
            out.append(tuple(int(g) for g in m.groups()))
        return out

    def check_log(self, allow=()):
        assert self.alive(), "server exited%s" % self.tail()
        out = self.output()
        for bad in BAD_LOG:
            if bad in allow:
                continue
            assert bad not in out, "server log has %r%s" % (bad, self.tail())


def is_idle(s, extra_fds=0):
    """``s`` (a /__robust status, asked on its own connection) says idle."""
    return (s["fds"] == BASE_FDS + 1 + extra_fds and s["pool_free"] == s["pool"] - 1
            and s["waiting"] == 0 and not s["listen_paused"] and s["pending"] == 0)


def raw_connect(port, timeout=TIMEOUT):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_all(s, limit=1 << 20):
    """Everything until the peer closes."""
    out = bytearray()
    while len(out) < limit:
        b = s.recv(65536)
        if not b:
            break
        out += b
    return bytes(out)


def read_response(s, buf=b""):
    """One HTTP/1.1 response with a Content-Length from socket ``s``:
    (status, headers dict, body, bytes after it)."""
    while b"\r\n\r\n" not in buf:
        b = s.recv(65536)
        if not b:
            raise ConnectionError("closed before the response head: %r" % buf[:200])
        buf += b
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        b = s.recv(65536)
        if not b:
            raise ConnectionError("closed inside the body (%d of %d)" % (len(rest), n))
        rest += b
    return status, headers, rest[:n], rest[n:]


# ------------------------------------------------------------ WebSocket, raw

WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's sample key


def ws_handshake(port, protocol, timeout=TIMEOUT):
    """A WebSocket on a raw socket: (socket, bytes read past the 101)."""
    s = raw_connect(port, timeout)
    s.sendall(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n"
               % (WS_KEY, protocol)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(4096)
        if not b:
            raise ConnectionError("closed during the handshake: %r" % buf)
        buf += b
    head, rest = buf.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101 "), head
    return s, rest


def ws_frame(opcode, payload, fin=True, mask=b"\x11\x22\x33\x44"):
    """A masked client frame."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        head = bytes([b0, 0x80 | n])
    elif n < 65536:
        head = bytes([b0, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, 0x80 | 127]) + n.to_bytes(8, "big")
    masked = bytes(c ^ mask[i & 3] for i, c in enumerate(payload))
    return head + mask + masked


def ws_read_frame(s, buf=b""):
    """One unmasked server frame: (opcode, fin, payload, bytes after)."""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            b = s.recv(65536)
            if not b:
                raise ConnectionError("closed inside a frame")
            buf += b

    need(2)
    op = buf[0] & 0x0F
    fin = buf[0] >> 7
    n = buf[1] & 0x7F
    p = 2
    if n == 126:
        need(4)
        n = int.from_bytes(buf[2:4], "big")
        p = 4
    elif n == 127:
        need(10)
        n = int.from_bytes(buf[2:10], "big")
        p = 10
    need(p + n)
    return op, fin, buf[p:p + n], buf[p + n:]
