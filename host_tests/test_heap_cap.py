"""The test-server app under a capped MicroPython heap, with many clients.

MicroPython only: ``-X heapsize`` is an option of the MicroPython interpreter
(it sizes the one GC heap everything lives in, as a board's RAM does).
CPython has no fixed heap to cap, so it has nothing to show here; the same
mirror and dumb-increment traffic under CPython is covered by the other host
tests (test_lws_test_client, test_chromium).

Eight clients on lws-mirror-protocol each send 20 distinct 1 KB messages
while client 0 also sends one 4 KB message in the middle of its own; every
client must receive all 161 messages, intact, in the same order as every
other client (the order of the server's ring) and in each sender's own
order.  At the same time eight dumb-increment-protocol clients count.  Then
everything closes cleanly, lws-status sees only itself left, and the server
log shows no MemoryError, Traceback or dropped piece.
"""

import json
import os
import re
import threading
import time

from websockets.sync.client import connect

# The heap the scenario runs in: what the server holds once it is listening
# (the code, the context's tables, the app's ring; learnt from a first run,
# whose log says "heap in use"), plus RUNTIME_BUDGET for everything the
# clients make.  The unix port keeps every module's bytecode and qstrs in
# the heap (~105 KB here; a board can freeze them into flash) and its
# objects are twice a 32-bit board's size, so a 64k cap cannot even hold the
# import here; what it can show is that 8 + 8 clients need no more than
# 64 KB beyond what the listening server holds.  LWS_MP_TEST_HEAP gives a
# fixed -X heapsize instead (e.g. 192k, the smallest that holds today).
RUNTIME_BUDGET = 64 * 1024
HEAP = os.environ.get("LWS_MP_TEST_HEAP")
# lws_mp and the app as precompiled .mpy (`make mpy-host`), as a board holds
# them, and a board's table sizes
MPY_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "build", "mpy", "host")
SIZES = ["--pool", "2", "--header-data", "1024", "--serv-buf", "2048"]
CLIENTS = 8
MESSAGES = 20  # per client
SIZE = 1024
BIG_SIZE = 4096
BIG_AFTER = 10  # client 0 sends the 4 KB message after this many of its own
RECV_TIMEOUT = 30  # seconds any one recv may wait
# listen + waker + 8 mirror + 8 dumb-increment + 1 status, with room to spare
FD_LIMIT = "24"


def message(client, i):
    head = "client %d message %02d " % (client, i)
    fill = chr(ord("a") + (client * 7 + i) % 26)
    return head + fill * (SIZE - len(head))


BIG = "".join("big %04d|" % i for i in range(BIG_SIZE // 9)).ljust(BIG_SIZE, "#")


def ws_connect(srv, protocol):
    ws = connect("ws://127.0.0.1:%d/" % srv.port, subprotocols=[protocol],
                 open_timeout=RECV_TIMEOUT, close_timeout=RECV_TIMEOUT, max_size=None)
    assert ws.subprotocol == protocol
    return ws


class Worker(threading.Thread):
    """Runs ``fn``; keeps its exception for the main thread."""

    def __init__(self, fn, *args):
        threading.Thread.__init__(self, daemon=True)
        self.fn, self.args, self.error = fn, args, None

    def run(self):
        try:
            self.fn(*self.args)
        except Exception as e:  # reported by join_all
            self.error = e


def join_all(workers, srv):
    for w in workers:
        w.join(RECV_TIMEOUT * 3)
        assert not w.is_alive(), "a client thread is stuck%s" % server_log(srv)
        assert w.error is None, "%r%s" % (w.error, server_log(srv))


def server_log(srv):
    return "\n--- server log ---\n%s" % srv.output()[-6000:]


def check_log(srv):
    assert srv.alive(), "server exited%s" % server_log(srv)
    out = srv.output()
    for bad in ("MemoryError", "Traceback", "dropped"):
        assert bad not in out, "server log has %r%s" % (bad, server_log(srv))


def start(server, heap):
    return server("test_server", "micropython", heap=heap, args=[
        "--fd-limit", FD_LIMIT, "--lib", MPY_LIB] + SIZES)


def listening_heap(server):
    """Bytes in use once the test_server is listening, from its log."""
    srv = start(server, "1024k")
    for _ in range(100):
        m = re.search(r"heap in use: (\d+) bytes", srv.output())
        if m:
            srv.stop()
            return int(m.group(1))
        time.sleep(0.05)
    raise AssertionError("no heap figure in the log%s" % server_log(srv))


def test_mirror_fan_out_under_heap_cap(server):
    heap = HEAP
    if heap is None:
        listening = listening_heap(server)
        heap = "%dk" % ((listening + RUNTIME_BUDGET + 1023) // 1024)
        print("listening: %d bytes; -X heapsize=%s (%d KB beyond it)"
              % (listening, heap, RUNTIME_BUDGET // 1024))
    srv = start(server, heap)
    total = CLIENTS * MESSAGES + 1

    dumb = [ws_connect(srv, "dumb-increment-protocol") for _ in range(CLIENTS)]
    mirror = [ws_connect(srv, "lws-mirror-protocol") for _ in range(CLIENTS)]
    received = [[] for _ in range(CLIENTS)]
    numbers = [[] for _ in range(CLIENTS)]
    mirror_done = threading.Event()

    def read_mirror(i):
        while len(received[i]) < total:
            received[i].append(mirror[i].recv(timeout=RECV_TIMEOUT))

    def read_dumb(i):
        # numbers while the mirror traffic runs, and at least five in all
        while not mirror_done.is_set() or len(numbers[i]) < 5:
            numbers[i].append(int(dumb[i].recv(timeout=RECV_TIMEOUT)))

    def send(i):
        for k in range(MESSAGES):
            mirror[i].send(message(i, k))
            if i == 0 and k + 1 == BIG_AFTER:
                mirror[i].send(BIG)

    readers = [Worker(read_mirror, i) for i in range(CLIENTS)]
    counters = [Worker(read_dumb, i) for i in range(CLIENTS)]
    senders = [Worker(send, i) for i in range(CLIENTS)]
    for w in readers + counters + senders:
        w.start()
    join_all(senders + readers, srv)
    mirror_done.set()
    join_all(counters, srv)

    expected = sorted([message(c, k) for c in range(CLIENTS) for k in range(MESSAGES)] + [BIG])
    for i in range(CLIENTS):
        got = received[i]
        assert len(got) == total
        assert sorted(got) == expected, "client %d: messages lost, changed or doubled" % i
        assert got == received[0], "client %d saw another order than client 0" % i
    for c in range(CLIENTS):
        own = [m for m in received[0] if m.startswith("client %d " % c)]
        assert own == [message(c, k) for k in range(MESSAGES)], "client %d out of order" % c
    big_at = received[0].index(BIG)
    assert received[0].index(message(0, BIG_AFTER - 1)) < big_at < \
        received[0].index(message(0, BIG_AFTER))

    for i, seq in enumerate(numbers):
        assert seq == list(range(seq[0], seq[0] + len(seq))), "dumb client %d: %r" % (
            i, seq[:40])

    for ws in mirror + dumb:
        ws.close()
        assert ws.close_code == 1000, (ws.close_code, ws.close_reason)

    # every connection is gone from the server's table: lws-status counts only itself
    status = ws_connect(srv, "lws-status")
    try:
        for _ in range(4 * CLIENTS):
            counts = json.loads(status.recv(timeout=RECV_TIMEOUT))
            if counts == {"lws-status": 1}:
                break
        assert counts == {"lws-status": 1}, counts
    finally:
        status.close()
    check_log(srv)
