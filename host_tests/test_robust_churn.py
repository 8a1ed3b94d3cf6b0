"""Churn: 5000 HTTP and 1000 WebSocket connect/close cycles against the
test_server on the board interpreter at the esp32_generic heap, some of them
abandoned mid-request, mid-body and mid-frame.  Afterwards the header pool
is full, the fd table empty, the process holds the file descriptors it
started with, and the heap after a collection is within 1 KB of where it
started.

The heap is measured inside the server (robust_support: ``GET /__robust``
runs gc.collect() and reads gc.mem_alloc() from the HTTP callback, so both
readings include the same one asking connection).  "Where it started" is
after one round of every kind of cycle: what a first use creates once and
keeps (the WebSocket transmit buffer, modules the roles load on first use,
the file ops) is the firmware's working set, not a leak; the figures
printed say how large that first round's share was.

The clients are raw sockets, every cycle checked: the bytes of the file, the
form's byte count and CRC, the 404 and 400 pages, the mirrored message, the
close handshake.  Cycles run one after another, each connection closed by
the client (or by the server after a 400 or a Connection: close).
"""

import binascii
import os
import socket
import struct
import time


from robust_support import (
    BASE_FDS,
    raw_connect,
    read_all,
    read_response,
    ws_frame,
    ws_handshake,
    ws_read_frame,
)

HTTP_CYCLES = 5000
WS_CYCLES = 1000
HEAP_SLACK = 1024
TEST_HTML = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "firmware", "test_server_www", "test.html")
HOST = b"Host: 127.0.0.1\r\n"


def http_get_close(port, n):
    s = raw_connect(port)
    try:
        s.sendall(b"GET /test.html HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
        st, _h, body, rest = read_response(s)
        assert st == 200 and body == HTML, (st, len(body))
        assert rest == b"" and read_all(s) == b""  # and then the server closes
    finally:
        s.close()


def http_keepalive(port, n):
    s = raw_connect(port)
    try:
        s.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        st, h, body, rest = read_response(s)
        assert st == 200 and body == HTML, st
        s.sendall(b"GET /missing-%d HTTP/1.1\r\n" % n + HOST + b"\r\n")
        st, h, body, rest = read_response(s, rest)
        assert st == 404, st
        # pipelined, two at once
        s.sendall(b"GET /__robust/seq HTTP/1.1\r\n" + HOST + b"\r\n"
                  b"HEAD /test.html HTTP/1.1\r\n" + HOST + b"\r\n")
        st, h, body, rest = read_response(s, rest)
        assert st == 200 and body.startswith(b"seq="), (st, body)
        head = rest
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        assert head.startswith(b"HTTP/1.1 200 ") and head.endswith(b"\r\n\r\n"), head
    finally:
        s.close()  # the client ends the kept-alive connection


def form_reply(s, body):
    st, _h, reply, _rest = read_response(s)
    want = b"bytes=%d crc=%08x" % (len(body), binascii.crc32(body) & 0xFFFFFFFF)
    assert st == 200 and reply == want, (st, reply, want)


def http_post(port, n):
    body = bytes((n * 7 + i) & 0xFF for i in range(100 + n % 200))
    s = raw_connect(port)
    try:
        s.sendall(b"POST /formtest HTTP/1.1\r\n" + HOST +
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        form_reply(s, body)
    finally:
        s.close()


def http_post_chunked(port, n):
    body = b"".join(b"%05d" % i for i in range(60 + n % 40))
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 77]), body[i:i + 77])
                      for i in range(0, len(body), 77))
    s = raw_connect(port)
    try:
        s.sendall(b"POST /formtest HTTP/1.1\r\n" + HOST +
                  b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks +
                  b"0\r\n\r\n")
        form_reply(s, body)
    finally:
        s.close()


def abandon_mid_request(port, n):
    s = raw_connect(port)
    s.sendall(b"GET /test.html HTTP/1.1\r\n" + HOST + b"User-Agent: churn %d\r\nAcc" % n)
    s.close()


def abandon_mid_body(port, n):
    s = raw_connect(port)
    s.sendall(b"POST /formtest HTTP/1.1\r\n" + HOST + b"Content-Length: 5000\r\n\r\n" +
              b"x" * (100 + n % 900))
    s.close()


def reset_mid_request(port, n):
    """An abortive close (RST) with half a request sent."""
    s = raw_connect(port)
    s.sendall(b"GET /test.html HTTP/1.1\r\n" + HOST)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def bad_request(port, n):
    s = raw_connect(port)
    try:
        s.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        st, h, body, rest = read_response(s)
        assert st == 400 and h.get("connection") == "close", (st, h)
        assert read_all(s) == b""
    finally:
        s.close()


def connect_only(port, n):
    raw_connect(port).close()


# ten HTTP cycles: 5 served, 1 bad, 4 abandoned
HTTP_MIX = [http_get_close, http_keepalive, http_post, abandon_mid_request, http_get_close,
            http_post_chunked, abandon_mid_body, reset_mid_request, bad_request, connect_only]


def ws_mirror_echo(port, n):
    s, rest = ws_handshake(port, "lws-mirror-protocol")
    try:
        msg = ("churn %d " % n).encode() * (1 + n % 30)
        s.sendall(ws_frame(0x1, msg))
        op, fin, payload, rest = ws_read_frame(s, rest)
        assert (op, fin, payload) == (0x1, 1, msg), (op, fin, payload[:40])
        s.sendall(ws_frame(0x8, struct.pack("!H", 1000) + b"bye"))
        op, fin, payload, rest = ws_read_frame(s, rest)
        assert op == 0x8 and payload[:2] == struct.pack("!H", 1000), (op, payload)
        assert read_all(s) == b""  # the server closes after the close handshake
    finally:
        s.close()


def ws_dumb_drop(port, n):
    """A dumb-increment client that takes one number and drops the TCP
    connection without a close frame."""
    s, rest = ws_handshake(port, "dumb-increment-protocol")
    try:
        op, fin, payload, rest = ws_read_frame(s, rest)
        assert op == 0x1 and payload.isdigit(), (op, payload)
    finally:
        s.close()


def ws_abandon_mid_frame(port, n):
    s, rest = ws_handshake(port, "lws-mirror-protocol")
    frame = ws_frame(0x2, bytes(range(256)) * 4)
    s.sendall(frame[:2 + 4 + 100 + n % 600])  # the header and part of the payload
    s.close()


def ws_abandon_mid_header(port, n):
    s, rest = ws_handshake(port, "lws-mirror-protocol")
    s.sendall(ws_frame(0x1, b"x" * 300)[:3])  # two of the four length bytes
    s.close()


WS_MIX = [ws_mirror_echo, ws_mirror_echo, ws_dumb_drop, ws_abandon_mid_frame, ws_mirror_echo,
          ws_mirror_echo, ws_abandon_mid_header, ws_mirror_echo, ws_abandon_mid_frame,
          ws_mirror_echo]

with open(TEST_HTML, "rb") as _f:
    HTML = _f.read()


def run_cycles(srv, start, count):
    """Cycles start..start+count-1: HTTP and WebSocket interleaved, one WS
    cycle after every five HTTP ones."""
    done = {"http": 0, "ws": 0}
    for k in range(start, start + count):
        if k % 6 == 5:
            fn = WS_MIX[(k // 6) % len(WS_MIX)]
            done["ws"] += 1
        else:
            fn = HTTP_MIX[(k - k // 6) % len(HTTP_MIX)]
            done["http"] += 1
        try:
            fn(srv.port, k)
        except Exception as e:
            raise AssertionError("cycle %d (%s): %r%s" % (k, fn.__name__, e, srv.tail()))
    return done


def test_churn_leaves_nothing_behind(robust_server):
    srv = robust_server()
    start_status = srv.wait_idle()
    warm = run_cycles(srv, 0, 6 * len(WS_MIX))  # every kind at least once
    s0 = srv.wait_idle()
    assert s0["fds"] == BASE_FDS + 1, s0
    fds0 = srv.settled_fds()
    t0 = time.monotonic()
    total = 6 * (HTTP_CYCLES // 5)
    done = run_cycles(srv, len(WS_MIX) * 6, total)
    elapsed = time.monotonic() - t0
    assert done["http"] + warm["http"] >= HTTP_CYCLES and done["ws"] + warm["ws"] >= WS_CYCLES
    s1 = srv.wait_idle()
    assert s1["fds"] == BASE_FDS + 1 and s1["pool_free"] == s1["pool"] - 1, s1
    assert s1["waiting"] == 0 and s1["refused"] == 0 and not s1["listen_paused"], s1
    assert s1["accepted"] - s0["accepted"] >= total, (s0, s1)
    assert srv.settled_fds(fds0) == fds0, "file descriptors leaked"
    growth = s1["heap"] - s0["heap"]
    print("churn: %d HTTP + %d WebSocket cycles (and %d + %d to warm up) in %.1f s; "
          "heap at start %d, after the warm-up %d, after the churn %d (%+d bytes)" % (
              done["http"], done["ws"], warm["http"], warm["ws"], elapsed,
              start_status["heap"], s0["heap"], s1["heap"], growth))
    assert abs(growth) <= HEAP_SLACK, "heap grew by %d bytes over the churn (%r -> %r)" % (
        growth, s0, s1)
    srv.check_log()
