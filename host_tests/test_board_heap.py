"""The firmware on the board interpreter, at a board's heap.

The board interpreter (``make board-interpreter BOARD=NAME``,
tools/board/build.sh) is a 32-bit MicroPython unix port with the board's
manifest frozen in: lws_mp, the runner and the apps are in its "flash", so
the heap holds what a board's heap holds.  Every server here runs
``firmware/main.py --frozen`` on it (the frozen modules come first on
sys.path, never the sources), with the board's sizes (``--board``), serving
from a LittleFS image as the board does from its flash, at ``-X heapsize=``
the board's real heap (boards/NAME/board.py) or below it on purpose.

- esp32_generic at 64k (below its real heap): the echo app holds 8
  concurrent WebSocket clients, each 40 x 1 KB messages and one 4 KB
  message, in 10 of 10 fresh runs, with no MemoryError, and serves HTTP
  after it.
- esp32_generic at its real heap: the test_server fans 8 mirror clients'
  messages out to all 8 while 8 dumb-increment clients count.
- esp32_generic at 64k: the fileserver passes the HTTP error and limit tests
  of test_http_clients.py (the same test functions, against this server).
- every board at its real heap: each app starts and serves 4 concurrent
  HTTP keep-alive clients and 2 WebSocket clients.

The clients are the test process's own: the ``websockets`` library and raw
sockets / http.client, never lws_mp.  Where the board interpreter cannot be
built (no i386 packages), every test here fails with build.sh's one line.
"""

import http.client
import json
import os
import runpy
import subprocess
import threading
import time

import pytest
from websockets.sync.client import connect as ws_connect

import test_http_clients as http_tests
from conftest import ROOT
from server_process import ServerProcess, free_port

BUILD_SH = os.path.join(ROOT, "tools", "board", "build.sh")
MAIN_PY = os.path.join(ROOT, "firmware", "main.py")
BOARDS = ("esp32_generic", "esp32_s3", "rp2_pico_w", "unix")
TIMEOUT = 10.0  # seconds any one connect / recv may wait
BAD_LOG = ("MemoryError", "Traceback", "dropped")


def board_heap(board):
    """The board's real heap ("105k"), or None (the unix board has none:
    the interpreter's own default)."""
    return runpy.run_path(os.path.join(ROOT, "boards", board, "board.py"))["BOARD"]["heap"]


_built = {}


def board_interpreter(board):
    """build/board/BOARD/micropython, built (or found up to date) once per
    session; the test fails with build.sh's message if it cannot be."""
    if board not in _built:
        r = subprocess.run([BUILD_SH, board], cwd=ROOT, capture_output=True, text=True,
                           timeout=900)
        path = os.path.join(ROOT, "build", "board", board, "micropython")
        if r.returncode or not os.access(path, os.X_OK):
            lines = (r.stderr.strip() or r.stdout.strip() or "build.sh failed").splitlines()
            _built[board] = (None, lines[-1])
        else:
            _built[board] = (path, None)
    path, error = _built[board]
    if error:
        pytest.fail(error, pytrace=False)
    return path


class BoardServer(ServerProcess):
    """``firmware/main.py --frozen`` on a board interpreter, on a free
    loopback port, its flash a LittleFS image in ``tmp``."""

    def __init__(self, app, board, heap, tmp, args=()):
        self.app = app
        port = free_port()
        cmd = [board_interpreter(board)]
        if heap:
            cmd += ["-X", "heapsize=%s" % heap]
        cmd += [MAIN_PY, "--frozen", "--app", app, "--board", board, "--port", str(port),
                "--iface", "127.0.0.1",
                "--flash", os.path.join(tmp, "flash-%s-%d.img" % (app, port))]
        cmd += list(args)
        log = os.path.join(tmp, "server-%s-%s-%d.log" % (app, board, port))
        super().__init__(cmd, port, log, ROOT)


@pytest.fixture
def board_server(tmp_path, processes):
    def start(app, board="esp32_generic", heap=None, args=()):
        processes.append(BoardServer(app, board, heap, str(tmp_path), args))
        return processes[-1]

    return start


def log_tail(srv):
    return "\n--- server log ---\n%s" % srv.output()[-4000:]


def check_log(srv):
    assert srv.alive(), "server exited%s" % log_tail(srv)
    out = srv.output()
    for bad in BAD_LOG:
        assert bad not in out, "server log has %r%s" % (bad, log_tail(srv))


class Worker(threading.Thread):
    """Runs ``fn(*args)``; keeps its exception for the main thread."""

    def __init__(self, fn, *args):
        threading.Thread.__init__(self, daemon=True)
        self.fn, self.args, self.error = fn, args, None

    def run(self):
        try:
            self.fn(*self.args)
        except BaseException as e:  # reported by join_all
            self.error = e


def join_all(workers, srv, timeout=60):
    end = time.monotonic() + timeout
    for w in workers:
        w.join(max(0.1, end - time.monotonic()))
    for w in workers:
        assert not w.is_alive(), "a client is stuck%s" % log_tail(srv)
    # the first client's own failure, not the others' broken barrier
    errors = sorted((isinstance(w.error, threading.BrokenBarrierError), i, w.error)
                    for i, w in enumerate(workers) if w.error is not None)
    assert not errors, "client %d: %r%s" % (errors[0][1], errors[0][2], log_tail(srv))


def ws(srv, protocol=None):
    c = ws_connect("ws://127.0.0.1:%d/" % srv.port,
                   subprotocols=[protocol] if protocol else None,
                   open_timeout=TIMEOUT, close_timeout=TIMEOUT, max_size=None)
    if protocol:
        assert c.subprotocol == protocol
    return c


def close_cleanly(c):
    c.close()
    assert c.close_code == 1000, (c.close_code, c.close_reason)


def text_message(client, i, size=1024):
    head = "client %d message %02d " % (client, i)
    return head + chr(ord("a") + (client * 7 + i) % 26) * (size - len(head))


# ------------------------------------------------- echo: 8 clients in 64k

ECHO_CLIENTS = 8
ECHO_SMALL = 40  # 1 KB text messages per client, then one 4 KB binary one
ECHO_RUNS = 10


def echo_client(srv, n, barrier):
    c = ws(srv)
    try:
        barrier.wait(TIMEOUT)  # all connected: then all exchange at once
        for i in range(ECHO_SMALL):
            m = text_message(n, i)
            c.send(m)
            assert c.recv(timeout=TIMEOUT) == m, "client %d: echo %d differs" % (n, i)
        big = bytes((n * 31 + i) & 0xFF for i in range(4096))
        c.send(big)
        assert c.recv(timeout=TIMEOUT) == big, "client %d: the 4 KB echo differs" % n
        close_cleanly(c)
    except BaseException:
        barrier.abort()
        c.close()
        raise


@pytest.mark.parametrize("run", range(ECHO_RUNS))
def test_echo_holds_8_clients_in_64k(board_server, run):
    srv = board_server("echo", heap="64k")
    barrier = threading.Barrier(ECHO_CLIENTS)
    clients = [Worker(echo_client, srv, n, barrier) for n in range(ECHO_CLIENTS)]
    for w in clients:
        w.start()
    join_all(clients, srv)
    # and then it serves HTTP (the echo app has no files: a well-formed 404)
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=TIMEOUT)
    try:
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        assert r.status == 404 and r.getheader("Server") == "lws_mp"
    finally:
        c.close()
    check_log(srv)


# ----------------------------- test_server: 8 mirror + 8 dumb-increment clients

MIRROR_CLIENTS = 8
MIRROR_MESSAGES = 20  # 1 KB each, per client
BIG = "".join("big %04d|" % i for i in range(4096 // 9)).ljust(4096, "#")
BIG_AFTER = 10  # client 0 sends the 4 KB message after this many of its own
# The board's fd table is 10 (lwIP's default socket count on the ESP32,
# CONFIG_LWIP_MAX_SOCKETS); listen + waker + 8 + 8 + status need 19, so
# this one runs with the table (and, on a board, lwIP's count) raised.
MIRROR_FD_LIMIT = "24"


def test_server_mirror_fan_out_at_the_esp32_heap(board_server):
    heap = board_heap("esp32_generic")
    srv = board_server("test_server", heap=heap, args=["--fd-limit", MIRROR_FD_LIMIT])
    total = MIRROR_CLIENTS * MIRROR_MESSAGES + 1
    dumb = [ws(srv, "dumb-increment-protocol") for _ in range(MIRROR_CLIENTS)]
    mirror = [ws(srv, "lws-mirror-protocol") for _ in range(MIRROR_CLIENTS)]
    received = [[] for _ in range(MIRROR_CLIENTS)]
    numbers = [[] for _ in range(MIRROR_CLIENTS)]
    mirror_done = threading.Event()

    def read_mirror(i):
        while len(received[i]) < total:
            received[i].append(mirror[i].recv(timeout=TIMEOUT * 3))

    def read_dumb(i):
        # numbers while the mirror traffic runs, and at least five in all
        while not mirror_done.is_set() or len(numbers[i]) < 5:
            numbers[i].append(int(dumb[i].recv(timeout=TIMEOUT)))

    def send(i):
        for k in range(MIRROR_MESSAGES):
            mirror[i].send(text_message(i, k))
            if i == 0 and k + 1 == BIG_AFTER:
                mirror[i].send(BIG)

    readers = [Worker(read_mirror, i) for i in range(MIRROR_CLIENTS)]
    counters = [Worker(read_dumb, i) for i in range(MIRROR_CLIENTS)]
    senders = [Worker(send, i) for i in range(MIRROR_CLIENTS)]
    for w in readers + counters + senders:
        w.start()
    join_all(senders + readers, srv, 120)
    mirror_done.set()
    join_all(counters, srv)

    expected = sorted([text_message(c, k) for c in range(MIRROR_CLIENTS)
                       for k in range(MIRROR_MESSAGES)] + [BIG])
    for i in range(MIRROR_CLIENTS):
        got = received[i]
        assert sorted(got) == expected, "client %d: messages lost, changed or doubled" % i
        assert got == received[0], "client %d saw another order than client 0" % i
    for c in range(MIRROR_CLIENTS):
        own = [m for m in received[0] if m.startswith("client %d " % c)]
        assert own == [text_message(c, k) for k in range(MIRROR_MESSAGES)], c
    big_at = received[0].index(BIG)
    assert received[0].index(text_message(0, BIG_AFTER - 1)) < big_at < \
        received[0].index(text_message(0, BIG_AFTER))
    for i, seq in enumerate(numbers):
        assert seq == list(range(seq[0], seq[0] + len(seq))), "dumb client %d: %r" % (
            i, seq[:40])
    for c in mirror + dumb:
        close_cleanly(c)
    # every connection is gone from the server's table: lws-status counts only itself
    status = ws(srv, "lws-status")
    try:
        for _ in range(4 * MIRROR_CLIENTS):
            counts = json.loads(status.recv(timeout=TIMEOUT))
            if counts == {"lws-status": 1}:
                break
        assert counts == {"lws-status": 1}, counts
    finally:
        status.close()
    check_log(srv)


# ------------------------------- fileserver: HTTP errors and limits at 64k

HTTP_HEAP = "64k"


@pytest.fixture(scope="module")
def board_www(tmp_path_factory):
    """One fileserver at 64k for the shared-server cases, in order, so the
    last sees a server that has been through all of them."""
    srv = BoardServer("fileserver", "esp32_generic", HTTP_HEAP,
                      str(tmp_path_factory.mktemp("board-www")))
    yield srv
    srv.stop()


# test_http_clients' tests that take the shared server (www_server) ...
SHARED_CASES = [("test_400_bad_request", {"request_bytes": b}) for b in [
    b"GET /index.html\r\n\r\n",
    b"GET  /index.html HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET index.html HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /index.html HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
]] + [(name, {}) for name in (
    "test_404_keeps_the_connection",
    "test_405_post_to_a_mounted_file",
    "test_501_unknown_method_and_transfer_coding",
    "test_505_http_2_request_line",
    "test_traversal_with_curl_path_as_is",
    "test_traversal_with_raw_sockets",
    "test_pipelined_requests_answered_in_order_byte_exact",
    "test_www_server_still_serving_after_all_of_it",  # last: after all of the above
)]
# ... and those that start their own (server): a short timeout, the header
# table, the body limit (the test_server app)
OWN_CASES = ["test_408_half_a_request_then_silence", "test_414_and_431_past_the_header_table",
             "test_413_body_over_the_limit"]


@pytest.mark.parametrize("name,kw", SHARED_CASES,
                         ids=["%s-%d" % (c[0][5:], i) for i, c in enumerate(SHARED_CASES)])
def test_fileserver_http_at_64k(board_www, name, kw):
    getattr(http_tests, name)(www_server=lambda interp: board_www, interp="board", **kw)
    check_log(board_www)


@pytest.mark.parametrize("name", OWN_CASES, ids=[c[5:] for c in OWN_CASES])
def test_http_limits_at_64k(board_server, name):
    started = []

    def server(app, interp, flash=False, args=(), heap=None):
        started.append(board_server(app, heap=HTTP_HEAP, args=args))
        return started[-1]

    getattr(http_tests, name)(server=server, interp="board")
    for srv in started:
        check_log(srv)


# ------------------------- every board: its apps at its real heap, 4 + 2 clients

HTTP_CLIENTS = 4
HTTP_REQUESTS = 5  # per keep-alive connection
# the requests each app answers (the echo app serves no files: a 404, kept alive)
APP_GETS = {
    "fileserver": [("/", 200), ("/style.css", 200), ("/index.html", 200)],
    "test_server": [("/", 200), ("/test.html", 200), ("/missing", 404)],
    "echo": [("/", 404), ("/x", 404)],
}
# the WebSocket clients each app serves (the fileserver has no ws protocol)
APP_WS = {
    "fileserver": [],
    "test_server": ["dumb-increment-protocol", "lws-mirror-protocol"],
    "echo": [None, None],
}


def http_keepalive_client(srv, n, barrier, gets):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=TIMEOUT)
    try:
        sock = None
        for i in range(HTTP_REQUESTS):
            path, status = gets[(n + i) % len(gets)]
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            assert r.status == status, (path, r.status)
            assert not r.will_close and c.sock is (sock or c.sock), "connection not kept alive"
            if i == 0:
                # every client connected and answered once: then all at once
                # (a connection that has sent nothing yet holds a header
                # table, as in lws, so waiting before the first request
                # could starve the WebSocket handshakes of one)
                sock = c.sock
                barrier.wait(TIMEOUT)
    finally:
        c.close()


def ws_client(srv, protocol, barrier):
    c = ws(srv, protocol)
    try:
        barrier.wait(TIMEOUT)
        if protocol == "dumb-increment-protocol":
            seq = [int(c.recv(timeout=TIMEOUT)) for _ in range(5)]
            assert seq == list(range(seq[0], seq[0] + 5)), seq
        else:  # echo, and the mirror with this client alone on it
            for i in range(10):
                m = text_message(9, i, 512)
                c.send(m)
                assert c.recv(timeout=TIMEOUT) == m
        close_cleanly(c)
    finally:
        c.close()


@pytest.mark.parametrize("app", ["fileserver", "echo", "test_server"])
@pytest.mark.parametrize("board", BOARDS)
def test_board_serves_its_apps_at_its_heap(board_server, board, app):
    srv = board_server(app, board=board, heap=board_heap(board))
    protocols = APP_WS[app]
    barrier = threading.Barrier(HTTP_CLIENTS + len(protocols))
    clients = [Worker(http_keepalive_client, srv, n, barrier, APP_GETS[app])
               for n in range(HTTP_CLIENTS)]
    clients += [Worker(ws_client, srv, p, barrier) for p in protocols]
    for w in clients:
        w.start()
    join_all(clients, srv)
    check_log(srv)
