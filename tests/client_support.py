"""Helpers for the client tests (CPython and MicroPython alike).

- ``client_context(protocols, **info)``: a context that listens nowhere.
- ``pump(ctxs, done, ms)``: service every context in one loop (and any
  RawServer) until ``done()`` is true; AssertionError after ``ms``.
- ``RawServer``: a listening socket on 127.0.0.1 the test scripts by hand
  (what a real server would not send: a bad accept key, masked frames, a
  redirect, a close mid-body ...).
- ``Recorder``: a client callback that records (reason, data).
- ``ws_client`` / ``ws_connect`` / ``expect_error``: a WebSocket client
  context, a connection from it, and waiting for its one
  CLIENT_CONNECTION_ERROR.
"""

import socket

from lws_mp import (
    CONTEXT_PORT_NO_LISTEN,
    LLL_ERR,
    LWS_CALLBACK_CLIENT_CONNECTION_ERROR,
    LWS_CALLBACK_CLIENT_ESTABLISHED,
    LWS_CALLBACK_CLOSED,
    lws_client_connect_info,
    lws_client_connect_via_info,
    lws_context_creation_info,
    lws_create_context,
    lws_protocols,
    lws_service,
    lws_set_log_level,
)
from lws_mp.plat import _port

# board-sized tables (esp32_generic's), so that a server and a client context
# side by side fit the board interpreter's heap
SMALL = {"max_http_header_pool": 2, "max_http_header_data": 1024, "pt_serv_buf_size": 2048,
         "fd_limit_per_thread": 12}


def small(kw):
    """``kw`` with SMALL's sizes where it sets none."""
    out = dict(SMALL)
    out.update(kw)
    return out


def server_context(protocols, **kw):
    """A context listening on a free loopback port: (ctx, port)."""
    lws_set_log_level(LLL_ERR)
    ctx = lws_create_context(lws_context_creation_info(port=0, iface="127.0.0.1",
                                                       protocols=protocols, **small(kw)))
    assert ctx is not None
    return ctx, ctx.port


def client_context(protocols, **kw):
    lws_set_log_level(LLL_ERR)
    info = lws_context_creation_info(port=CONTEXT_PORT_NO_LISTEN, protocols=protocols,
                                     **small(kw))
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
    return _port.listen_socket("127.0.0.1", 0, backlog)


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
    """Records every client callback as (reason, bytes or None: at most the
    first 256 bytes of a payload)."""

    def __init__(self, on=None):
        self.events = []
        self.on = on  # on(wsi, reason, in_, len_) -> return value

    def cb(self, wsi, reason, user, in_, len_):
        if reason < 27 or 37 < reason < 60:  # not the poll / lifecycle noise
            # (the first 256 bytes: a test's own copy of big payloads would
            # not fit a board's heap)
            v = in_
            if isinstance(v, (bytes, bytearray, memoryview)):
                v = bytes(v[:256])
            self.events.append((reason, as_bytes(v) if v is not None else None))
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
        self.buf = bytearray(4096)
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


def ws_connect(ctx, port, protocol="echo", address="127.0.0.1", path="/", **kw):
    return lws_client_connect_via_info(lws_client_connect_info(
        context=ctx, address=address, port=port, path=path, host=address,
        protocol=protocol, **kw))


def ws_client(on=None, name="echo", rx=0, **kw):
    """(Recorder, context) of a client whose one protocol is ``name``."""
    rec = Recorder(on)
    ctx = client_context([lws_protocols(name, rec.cb, 0, rx)], **kw)
    return rec, ctx


def expect_error(ctx, rec, text, ms=5000, servers=(), others=()):
    """Service until the one CLIENT_CONNECTION_ERROR; its reason has ``text``."""
    cce = LWS_CALLBACK_CLIENT_CONNECTION_ERROR
    pump(list(others) + [ctx], lambda: rec.has(cce), ms, servers)
    wait_ms(list(others) + [ctx], 50, servers)
    errs = rec.data(cce)
    assert len(errs) == 1, rec.events
    assert text in errs[0], errs[0]
    assert not rec.has(LWS_CALLBACK_CLIENT_ESTABLISHED) and not rec.has(LWS_CALLBACK_CLOSED)
    return errs[0]
