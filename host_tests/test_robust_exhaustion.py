"""Exhaustion: more clients at once than the header pool and the fd table
hold, on the board interpreter at the esp32_generic heap.

The test_server (with its test hooks, robust_support) at the board's own
sizes -- fd table 10 (8 connections beside the listen socket and the cancel
waker), 4 header tables.  Clients connect one after the other, 5 ms apart,
without sending anything, until the server is saturated (seen from outside
in its once-a-second "robust:" line: fd table full or the header pool empty
with connections waiting); then each sends one request (``GET
/__robust/seq``, ``Connection: close``) in the order they connected.

- three times the header pool (12 clients) with the fd table raised to 16:
  4 hold the tables, 8 wait in the pool's FIFO;
- twice the fd table (20 clients) at the board's sizes: 8 in the table, the
  rest in the kernel's listen backlog (10, accept queue 11: the last one's
  SYN is dropped and retried by its kernel, never refused).

Every client gets its 200 and its sequence number, and the numbers follow
the order of connecting: each connection is served as a slot or a table
frees, first come first served (the accept queue and the pool's FIFO keep
the order; the few that hold a table at the same moment are served in the
order poll reports them, so no client is overtaken by one a pool's worth of
places or more behind it); none is reset or refused.  Afterwards the
server is idle (fd table, pool, FIFO, listen socket) in its own view and the
process holds the file descriptors it started with.
"""

import errno
import os
import selectors
import socket
import time

import pytest

from robust_support import BASE_FDS, board_lws

SPACING = 0.005  # seconds between connects: their order is unambiguous
SATURATE_WAIT = 15.0  # until the server's log shows it saturated
REQUEST = b"GET /__robust/seq HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

LWS = board_lws()
CASES = {
    # (clients, fd table, what saturates)
    "3x-header-pool": (3 * LWS["max_http_header_pool"], 16, "pool"),
    "2x-fd-table": (2 * LWS["fd_limit_per_thread"], LWS["fd_limit_per_thread"], "fds"),
}


class Client:
    def __init__(self, i, port):
        self.i = i
        self.sock = socket.socket()
        self.sock.setblocking(False)
        self.connected = False
        self.sent = False
        self.reply = b""
        self.done = False
        self.error = None
        self.connect_at = None
        r = self.sock.connect_ex(("127.0.0.1", port))
        assert r in (0, errno.EINPROGRESS), os.strerror(r)


def saturated(srv, what, pool, fd_limit):
    """The server's last once-a-second line shows it saturated."""
    lines = srv.robust_lines()
    if not lines:
        return False
    fds, free, _pool, waiting, _t, _a, full = lines[-1]
    if what == "fds":
        return fds == fd_limit and free == 0 and waiting == fd_limit - BASE_FDS - pool
    return free == 0 and waiting == fds - BASE_FDS - pool


@pytest.mark.parametrize("case", sorted(CASES))
def test_everyone_served_in_order_then_idle(robust_server, case):
    n, fd_limit, what = CASES[case]
    pool = LWS["max_http_header_pool"]
    srv = robust_server(args=["--fd-limit", str(fd_limit)])
    assert srv.wait_idle()["fds"] == BASE_FDS + 1
    fds_before = srv.settled_fds()
    sel = selectors.DefaultSelector()
    clients = []
    start = time.monotonic()
    for i in range(n):
        c = Client(i, srv.port)
        clients.append(c)
        sel.register(c.sock, selectors.EVENT_WRITE, c)
        time.sleep(SPACING)

    # phase 1: connect only, until the server says it is full
    def pump(timeout):
        for key, ev in sel.select(timeout):
            c = key.data
            if not c.connected and ev & selectors.EVENT_WRITE:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    c.error = "connect: %s" % os.strerror(err)
                    c.done = True
                    sel.unregister(c.sock)
                    continue
                c.connected = True
                c.connect_at = time.monotonic() - start
                sel.modify(c.sock, selectors.EVENT_READ, c)
                if sending:
                    send(c)
            elif ev & selectors.EVENT_READ:
                try:
                    b = c.sock.recv(65536)
                except ConnectionError as e:
                    c.error = "reset: %r" % e
                    b = b""
                if b:
                    c.reply += b
                else:
                    c.done = True
                    sel.unregister(c.sock)

    def send(c):
        c.sock.sendall(REQUEST)  # a few dozen bytes: the socket takes them
        c.sent = True

    sending = False
    end = time.monotonic() + SATURATE_WAIT
    while not saturated(srv, what, pool, fd_limit):
        assert time.monotonic() < end, "the server never saturated%s" % srv.tail()
        pump(0.05)
        for c in clients:
            # a connection the server has not yet read from cannot be "done"
            assert not c.done, "client %d: closed before sending: %r%s" % (
                c.i, c.error or c.reply, srv.tail())
    saturation = srv.robust_lines()[-1]
    # phase 2: every connected client sends, in the order they connected;
    # the rest send as their connect completes
    sending = True
    for c in clients:
        if c.connected:
            send(c)
    end = time.monotonic() + 60
    while not all(c.done for c in clients):
        assert time.monotonic() < end, "clients stuck: %r%s" % (
            [c.i for c in clients if not c.done], srv.tail())
        pump(0.1)
    elapsed = time.monotonic() - start
    seqs = []
    for c in clients:
        c.sock.close()
        assert c.error is None, "client %d: %s%s" % (c.i, c.error, srv.tail())
        head, _, body = c.reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), "client %d: %r%s" % (c.i, c.reply[:200],
                                                                        srv.tail())
        assert body.startswith(b"seq="), (c.i, body)
        seqs.append(int(body[4:]))
    # first come, first served: slots (the kernel's accept queue) and header
    # tables (the pool's FIFO) go out in the order of connecting; those that
    # hold one at the same time are served in the poll's order, so a client
    # is overtaken only by one less than a pool's worth of places behind it
    assert len(set(seqs)) == n, seqs
    overtaken = [(i, j) for i in range(n) for j in range(i + pool, n) if seqs[j] < seqs[i]]
    assert not overtaken, "served out of order: %r (seq by client %r)" % (overtaken, seqs)
    late = [c.i for c in clients if c.connect_at > 0.5]
    s = srv.wait_idle()
    assert s["fds"] == BASE_FDS + 1 and s["pool_free"] == pool - 1, s
    assert s["waiting"] == 0 and not s["listen_paused"], s
    assert s["refused"] == 0, s
    if what == "fds":
        assert s["full"] >= 1, s  # the table did fill, and accepting paused
    # at least those in the fd table beyond the pool waited for a table
    assert s["table_waits"] >= min(n, fd_limit - BASE_FDS) - pool, s
    assert srv.settled_fds(fds_before) == fds_before, "file descriptors leaked"
    srv.check_log()
    print("%s: %d clients, saturated at %r, connected late (backlog full): %r, "
          "all served in order in %.2f s; after: %r" % (case, n, saturation, late, elapsed, s))

