"""Helpers for the client tests (CPython and MicroPython alike).

- ``client_context(protocols, **info)``: a context that listens nowhere.
- ``pump(ctxs, done, ms)``: service every context in one loop (and any
  RawServer) until ``done()`` is true; AssertionError after ``ms``.
- ``RawServer``: a listening socket on 127.0.0.1 the test scripts by hand
  (what a real server would not send: a bad accept key, masked frames, a
  redirect, a close mid-body ...).
- ``Recorder``: a client callback that records (reason, data).
"""

import socket

from lws_mp import (
    CONTEXT_PORT_NO_LISTEN,
    LLL_ERR,
    lws_context_creation_info,
    lws_create_context,
    lws_service,
    lws_set_log_level,
)
from lws_mp.plat import _port

from support import _port_base

_next = [0]


def client_context(protocols, **kw):
    lws_set_log_level(LLL_ERR)
    info = lws_context_creation_info(port=CONTEXT_PORT_NO_LISTEN, protocols=protocols, **kw)
    ctx = lws_create_context(info)
    assert ctx is not None
    return ctx


def pump(ctxs, done, ms=5000, servers=()):
    start = _port.ticks_ms()
    while not done():
        if _port.ticks_diff(_port.ticks_ms(), start) > ms:
            raise AssertionError("timed out after %d ms" % ms)
        for s in servers:
            s.pump()
        for c in ctxs[:-1]:
            lws_service(c, 0)
        lws_service(ctxs[-1], 2)
    for s in servers:
        s.pump()


def wait_ms(ctxs, ms, servers=()):
    """Service for ``ms`` whatever happens."""
    start = _port.ticks_ms()
    pump(ctxs, lambda: _port.ticks_diff(_port.ticks_ms(), start) >= ms, ms + 1000, servers)


def free_port_socket(backlog=8):
    """A listening socket on a free loopback port: (sock, port)."""
    if not _next[0]:
        _next[0] = _port_base() + 6000
    for _ in range(60):
        port = _next[0]
        _next[0] += 1
        if _next[0] > 64000:
            _next[0] = 20000
        try:
            s, _ = _port.listen_socket("127.0.0.1", port, backlog)
        except OSError:
            continue
        return s, port
    raise OSError("no free port")


def closed_port():
    """A loopback port nothing listens on."""
    s, port = free_port_socket()
    s.close()
    return port


def as_bytes(x):
    if x is None:
        return None
    if isinstance(x, str):
        return x.encode()
    return bytes(x)


class Recorder:
    """Records every client callback as (reason, bytes or None)."""

    def __init__(self, on=None):
        self.events = []
        self.on = on  # on(wsi, reason, in_, len_) -> return value

    def cb(self, wsi, reason, user, in_, len_):
        if reason < 27 or 37 < reason < 60:  # not the poll / lifecycle noise
            self.events.append((reason, as_bytes(in_) if in_ is not None else None))
        if self.on is not None:
            return self.on(wsi, reason, in_, len_) or 0
        return 0

    def reasons(self):
        return [e[0] for e in self.events]

    def has(self, reason):
        for e in self.events:
            if e[0] == reason:
                return True
        return False

    def data(self, reason):
        return [e[1] for e in self.events if e[0] == reason]


class RawServer:
    """A hand-scripted server.  ``script(conn)`` is called for each
    accepted connection once its request head is in ``conn.request``; it
    uses conn.send(bytes) and conn.close().  ``silent``: never accept."""

    def __init__(self, script=None, silent=False, backlog=8):
        self.sock, self.port = free_port_socket(backlog)
        self.script = script
        self.silent = silent
        self.conns = []

    def pump(self):
        if not self.silent:
            while True:
                r = _port.accept(self.sock)
                if r is None:
                    break
                self.conns.append(RawConn(r[0]))
        for c in self.conns:
            c.pump(self.script)

    def close(self):
        for c in self.conns:
            c.close()
        self.sock.close()


class RawConn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray(65536)
        self.got = b""
        self.request = None
        self.done = False
        self.closed = False
        self.after = None  # called on every pump once the script ran

    def pump(self, script):
        if self.closed:
            return
        try:
            n = _port.recv_into(self.sock, memoryview(self.buf))
        except OSError:
            n = 0
        if n:
            self.got += bytes(self.buf[:n])
        if self.request is None:
            end = self.got.find(b"\r\n\r\n")
            if end >= 0:
                self.request = self.got[:end + 4]
                self.got = self.got[end + 4:]
                if script is not None:
                    script(self)
        elif self.after is not None:
            self.after(self)

    def header(self, name):
        for line in self.request.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == name.lower():
                return v.strip()
        return None

    def send(self, data):
        mv = memoryview(data)
        sent = 0
        for _ in range(1000):
            if sent >= len(data):
                return
            sent += _port.send(self.sock, mv[sent:])
        raise AssertionError("raw server could not send")

    def close(self):
        if not self.closed:
            self.closed = True
            self.sock.close()


def accept_for(key):
    import binascii
    import hashlib

    return binascii.b2a_base64(hashlib.sha1(
        key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())[:-1]


def unmasked_frame(opcode, payload, fin=True, mask=None):
    """A frame as a server sends it (or masked with ``mask``)."""
    n = len(payload)
    b = bytearray()
    b.append((0x80 if fin else 0) | opcode)
    mbit = 0x80 if mask else 0
    if n < 126:
        b.append(mbit | n)
    elif n < 65536:
        b.append(mbit | 126)
        b.append(n >> 8)
        b.append(n & 0xFF)
    else:
        b.append(mbit | 127)
        for i in range(7, -1, -1):
            b.append((n >> (8 * i)) & 0xFF)
    if mask:
        b.extend(mask)
        payload = bytes(c ^ mask[i & 3] for i, c in enumerate(payload))
    b.extend(payload)
    return bytes(b)


def parse_client_frames(data):
    """[(fin, opcode, mask, payload)] of the complete masked frames in data,
    and the bytes left over."""
    out = []
    pos = 0
    while len(data) - pos >= 2:
        b0 = data[pos]
        b1 = data[pos + 1]
        n = b1 & 0x7F
        p = pos + 2
        if n == 126:
            if len(data) - p < 2:
                break
            n = (data[p] << 8) | data[p + 1]
            p += 2
        elif n == 127:
            if len(data) - p < 8:
                break
            n = 0
            for i in range(8):
                n = (n << 8) | data[p + i]
            p += 8
        mask = None
        if b1 & 0x80:
            if len(data) - p < 4:
                break
            mask = bytes(data[p:p + 4])
            p += 4
        if len(data) - p < n:
            break
        payload = bytes(data[p:p + n])
        if mask:
            payload = bytes(c ^ mask[i & 3] for i, c in enumerate(payload))
        out.append((b0 >> 7, b0 & 0x0F, mask, payload))
        pos = p + n
    return out, data[pos:]


def hostname_unresolvable():
    return "lws-mp-test.invalid"


def sock_connect_blocking(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
    return s
