"""Port 0 means "any free port", on both interpreters.

The MicroPython unix port has no getsockname, so a socket bound to port 0
cannot say which port the system chose: the platform layer picks a free
port itself there, and the context's ``port`` is the one it listens on.
``TestClient(ctx)`` without a port connects to that port."""

import socket

from lws_mp import (
    LWS_CALLBACK_HTTP,
    lws_context_creation_info,
    lws_context_destroy,
    lws_create_context,
    lws_protocols,
    lws_service,
    lws_set_log_level,
    LLL_ERR,
)
from lws_mp.plat import _port
from lws_mp.testing import TestClient
from support import reply


def _cb(wsi, reason, user, in_, len_):
    if reason == LWS_CALLBACK_HTTP:
        return reply(wsi, b"port zero")
    return 0


def _context(port=0):
    lws_set_log_level(LLL_ERR)
    info = lws_context_creation_info(
        port=port, iface="127.0.0.1", protocols=[lws_protocols("http", _cb)])
    ctx = lws_create_context(info)
    assert ctx is not None
    return ctx


def test_port_zero_listens_on_a_real_port():
    ctx = _context()
    try:
        assert 0 < ctx.port < 65536, ctx.port
        # a plain socket, not the test client: the port really listens
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.connect(_port.sockaddr("127.0.0.1", ctx.port))
            s.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            s.setblocking(False)
            got = b""
            for _ in range(2000):
                lws_service(ctx, 5)
                try:
                    data = s.recv(512)
                except OSError:
                    continue
                if not data:
                    break
                got += data
            assert got.startswith(b"HTTP/1.1 200"), got
            assert got.endswith(b"port zero"), got
        finally:
            s.close()
    finally:
        lws_context_destroy(ctx)


def test_test_client_without_port_uses_the_context_port():
    ctx = _context()
    try:
        c = TestClient(ctx)
        assert c.port == ctx.port
        r = c.request("GET", "/")
        assert r.status == 200 and r.body == b"port zero", r
        c.close()
    finally:
        lws_context_destroy(ctx)


def test_test_client_port_zero_is_the_context_port():
    ctx = _context()
    try:
        c = TestClient(ctx, 0)
        assert c.port == ctx.port
        assert c.request("GET", "/").status == 200
        c.close()
    finally:
        lws_context_destroy(ctx)


def test_two_contexts_on_port_zero_get_two_ports():
    a = _context()
    try:
        b = _context()
        try:
            assert a.port != b.port
            assert TestClient(a).request("GET", "/").status == 200
            assert TestClient(b).request("GET", "/").status == 200
        finally:
            lws_context_destroy(b)
    finally:
        lws_context_destroy(a)


def test_listen_socket_port_zero_returns_the_bound_port():
    s, port = _port.listen_socket("127.0.0.1", 0, 4)
    try:
        assert 0 < port < 65536
        # the port is taken: a second bind to it fails
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            try:
                t.bind(_port.sockaddr("127.0.0.1", port))
                t.listen(1)
                taken = False
            except OSError:
                taken = True
            assert taken, port
        finally:
            t.close()
    finally:
        s.close()
