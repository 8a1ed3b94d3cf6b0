"""MemoryError at chosen points, on the board interpreter at the esp32_generic
heap: the affected connection closes with its callbacks, the server keeps
serving the others, nothing leaks.

The test_server with its test hooks (robust_support, apps/robust_server.py)
fills the heap at the point under test -- bytearrays down to 16-byte pieces,
every free block taken but one hole of LEAVE bytes -- so that an allocation
there fails as it does on a board whose heap has run out:

- accept: the next connection's accept (the fill runs in the listen role's
  FILTER_NETWORK_CONNECTION, before lws_mp makes the connection's wsi);
- headers: the next connection's request head (filled when it is adopted; a
  600-byte path must be copied to be decoded and normalised);
- callback: the HTTP callback of ``/__robust/callback/LEAVE`` allocates 4 KB;
- write: the HTTP callback of ``/__robust/write/LEAVE`` writes 16 KB pieces
  to a client that reads nothing, until one must be stored (lws' truncated
  send), which needs 16 KB;
- frame: the next WebSocket (filled at ESTABLISHED) sends a 3000-byte frame
  in two reads, which must be gathered into a buffer of that size.

Each at LEAVE 0 (nothing at all: even the error's log line may be lost) and
at a hole too small for the point's allocation but big enough for the small
ones after it.  The filler goes when the victim's close callbacks begin (the
hooks note which callbacks it got, without allocating), or at the next tick
for accept, where no wsi was made; the test waits for the hooks' line saying
so, since until then whatever the server does finds the heap full.  Two
connections made before -- a kept-alive HTTP one and an lws-mirror-protocol WebSocket
-- are served after it, and so is a new one; afterwards the fd table is
empty, the pool full, the process holds the file descriptors it started
with, and the heap (after a collection) is within 1 KB of what it was
before the point.
"""

import socket
import time

import pytest

from robust_support import (
    raw_connect,
    read_response,
    ws_frame,
    ws_handshake,
    ws_read_frame,
)

HEAP_SLACK = 1024
CLOSED = 4
CLOSED_HTTP = 5
WSI_DESTROY = 30
HOST = b"Host: 127.0.0.1\r\n"
# the point, the hole left, what the victim's connection must get
CASES = [
    ("accept", 0), ("accept", 64),
    ("headers", 0), ("headers", 256),
    ("callback", 0), ("callback", 1024),
    ("write", 0), ("write", 1024),
    ("frame", 0), ("frame", 1024),
]


def until_closed(s, timeout=5.0):
    """Read until the server ends the connection (EOF or reset): the bytes
    read, and how it ended."""
    s.settimeout(timeout)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return got, "eof"
            got += b
    except ConnectionResetError:
        return got, "reset"
    except socket.timeout:
        return got, "still open"


def keepalive_get(s, path, rest=b""):
    s.sendall(b"GET " + path + b" HTTP/1.1\r\n" + HOST + b"\r\n")
    st, h, body, rest = read_response(s, rest)
    return st, body, rest


def mirror_echo(s, rest, msg):
    s.sendall(ws_frame(0x1, msg))
    op, fin, payload, rest = ws_read_frame(s, rest)
    assert (op, payload) == (0x1, msg), (op, payload[:60])
    return rest


def warm_up(srv):
    """One of each kind of work, so that what a first use makes once (the
    WebSocket transmit buffer, modules loaded on first use) is in the
    baseline."""
    st, body = srv.get("/test.html")
    assert st == 200
    s, rest = ws_handshake(srv.port, "lws-mirror-protocol")
    mirror_echo(s, rest, b"warm")
    s.close()


def victim(srv, point, leave):
    """Trigger ``point``; the victim's (bytes, how it ended)."""
    if point in ("accept", "headers", "frame"):
        st, body = srv.get("/__robust/arm/%s/%d" % (point, leave))
        assert (st, body) == (200, b"armed"), (st, body)
    if point == "accept":
        s = raw_connect(srv.port)
        s.sendall(b"GET /test.html HTTP/1.1\r\n" + HOST + b"\r\n")
    elif point == "headers":
        s = raw_connect(srv.port)
        s.sendall(b"GET /" + b"p" * 600 + b" HTTP/1.1\r\n" + HOST + b"\r\n")
    elif point == "callback":
        s = raw_connect(srv.port)
        s.sendall(b"GET /__robust/callback/%d HTTP/1.1\r\n" % leave + HOST + b"\r\n")
    elif point == "write":
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        s.connect(("127.0.0.1", srv.port))
        s.sendall(b"GET /__robust/write/%d HTTP/1.1\r\n" % leave + HOST +
                  b"Connection: close\r\n\r\n")
        time.sleep(0.5)  # read nothing while the server writes
    else:  # frame
        s, rest = ws_handshake(srv.port, "lws-mirror-protocol")
        frame = ws_frame(0x2, bytes(range(250)) * 12)  # 3000 bytes
        s.sendall(frame[:8 + 1000])  # the header and a third of the payload
        time.sleep(0.2)
        try:
            s.sendall(frame[8 + 1000:])
        except OSError:
            pass  # already closed by the server
    try:
        return until_closed(s)
    finally:
        s.close()


@pytest.mark.parametrize("point,leave", CASES, ids=["%s-%d" % c for c in CASES])
def test_memory_error_closes_only_the_victim(robust_server, point, leave):
    srv = robust_server()
    warm_up(srv)
    s0 = srv.wait_idle()
    fds0 = srv.settled_fds()
    # the others: a kept-alive HTTP connection and a mirror WebSocket
    ka = raw_connect(srv.port)
    st, body, ka_rest = keepalive_get(ka, b"/test.html")
    assert st == 200
    ws, ws_rest = ws_handshake(srv.port, "lws-mirror-protocol")
    ws_rest = mirror_echo(ws, ws_rest, b"before")

    released = srv.output().count("robust: filler released")
    got, how = victim(srv, point, leave)
    assert how in ("eof", "reset"), "the victim was not closed (%r)%s" % (got[:200], srv.tail())
    # the heap is the server's again once the hooks say so (until then,
    # anything it serves finds the heap full, and fails as the victim did)
    end = time.monotonic() + 5
    while srv.output().count("robust: filler released") == released:
        assert time.monotonic() < end, "the filler was never released%s" % srv.tail()
        time.sleep(0.02)
    why = srv.output().rsplit("robust: filler released", 1)[1].split("\n", 1)[0]
    assert "still open" not in why, "the point did not fail%s" % srv.tail()
    if point == "write":
        # the answer may have begun (a head, part of the body) or not (with no
        # heap at all even the held head cannot go out); it never ends whole
        head, _, body = got.partition(b"\r\n\r\n")
        assert not got or (head.startswith(b"HTTP/1.1 200 ") and len(body) < 4 * 16384), (
            head[:80], len(body))
    else:
        assert not got.startswith(b"HTTP/1.1 200"), got[:200]

    # the others are served, and so is a new connection
    st, body, ka_rest = keepalive_get(ka, b"/__robust/seq", ka_rest)
    assert st == 200 and body.startswith(b"seq="), (st, body)
    ws_rest = mirror_echo(ws, ws_rest, b"after")
    st, body = srv.get("/test.html")
    assert st == 200
    s = srv.status()
    assert not s["filled"], "the filler is still held: the point never failed? %r%s" % (
        s, srv.tail())
    if point == "accept":
        # no wsi was made: the socket was closed, counted as refused
        assert s["refused"] == s0["refused"] + 1, s
    else:
        want = [CLOSED, WSI_DESTROY] if point == "frame" else [CLOSED_HTTP, WSI_DESTROY]
        assert s["victim_closes"] == want, "the victim's close callbacks: %r%s" % (
            s, srv.tail())
    if leave >= 256:  # with a little heap the error is said
        assert "out of memory" in srv.output() or "MemoryError" in srv.output(), srv.tail()

    # nothing leaks
    ws.sendall(ws_frame(0x8, b"\x03\xe8"))
    ws_read_frame(ws, ws_rest)
    ws.close()
    ka.close()
    srv.get("/__robust/arm/none/0")  # forgets the victim
    s1 = srv.wait_idle()
    assert s1["fds"] == s0["fds"] and s1["pool_free"] == s0["pool_free"], (s0, s1)
    assert s1["waiting"] == 0 and not s1["listen_paused"] and s1["pending"] == 0, s1
    assert srv.settled_fds(fds0) == fds0, "file descriptors leaked%s" % srv.tail()
    growth = s1["heap"] - s0["heap"]
    print("%s at %d: victim %s after %d bytes; closes %r; heap %d -> %d (%+d)" % (
        point, leave, how, len(got), s["victim_closes"], s0["heap"], s1["heap"], growth))
    assert abs(growth) <= HEAP_SLACK, (s0, s1)
    srv.check_log(allow=("Traceback",))  # the point's traceback is expected
