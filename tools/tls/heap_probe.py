# What one TLS connection costs, measured inside a MicroPython process (run
# by tools/tls/heap_cost.py on the board interpreter, with malloc_count.so
# preloaded so mbedTLS's own allocations can be read back too).
#
#   micropython heap_probe.py ROOT PEER_TLS_PORT PEER_TCP_PORT PORT1 PORT2 [N]
#
# Prints "name gc_bytes c_bytes c_peak" lines:
#   tls_setup        the server's SSL context (certificate and key loaded;
#                    the TLS modules are imported before, so not counted)
#   server_pair_tls  one lws_mp TLS server connection + this process's TLS
#                    client of it, established and idle after a keep-alive GET
#   server_pair_tcp  the same in plain TCP
#   client_tls       one TLS client connection to an outside peer (handshake done)
#   client_tcp       one plain TCP client connection to an outside peer
# Per connection: the mean over connections 2..N (the first also pays for
# what is made once), c_peak the most the C heap held above its idle level
# during one handshake.

import gc
import os
import socket
import sys

ROOT = sys.argv[1]
sys.path.insert(0, ROOT)
sys.path.insert(1, ROOT + "/tests")

from lws_mp import (  # noqa: E402
    LLL_ERR,
    LWS_CALLBACK_HTTP,
    lws_context_creation_info,
    lws_context_destroy,
    lws_create_context,
    lws_protocols,
    lws_service,
    lws_set_log_level,
)
from lws_mp.plat import _port, tls  # noqa: E402
from support import reply  # noqa: E402

TLS_PORT = int(sys.argv[2])
TCP_PORT = int(sys.argv[3])
PORT1 = int(sys.argv[4])  # for lws_mp's own servers
PORT2 = int(sys.argv[5])
N = int(sys.argv[6]) if len(sys.argv) > 6 else 4
CERTS = ROOT + "/build/tls/"


def c_heap(which="INUSE"):
    v = os.getenv("LWS_MALLOC_" + which)
    return int(v) if v else -1


def gc_heap():
    gc.collect()
    gc.collect()
    return gc.mem_alloc()


def cb(wsi, reason, user, in_, len_):
    if reason == LWS_CALLBACK_HTTP:
        return reply(wsi, b"ok")
    return 0


def server(port, use_tls):
    info = lws_context_creation_info(port=port, iface="127.0.0.1",
                                     protocols=[lws_protocols("http", cb)])
    if use_tls:
        info.ssl_cert_filepath = CERTS + "server.pem"
        info.ssl_private_key_filepath = CERTS + "server.key"
    return lws_create_context(info)


def client_ctx():
    c = tls.client_context(True, True)
    tls.load_ca(c, CERTS + "ca.pem")
    return c


def pump(ctx, step, ms=10000):
    t0 = _port.ticks_ms()
    while _port.ticks_diff(_port.ticks_ms(), t0) < ms:
        if ctx is not None:
            lws_service(ctx, 0)
        r = step()
        if r is not None:
            return r
    raise OSError("timed out")


def connect(port, sslctx, ctx):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(_port.sockaddr("127.0.0.1", port))
    s.setblocking(False)
    if sslctx is None:
        return s, None
    t = tls.client_wrap(s, "localhost", tls.LCCSCF_USE_SSL, sslctx=sslctx)
    mv = memoryview(bytearray(64))
    pump(ctx, lambda: 0 if tls.handshake_step(t, mv) >= 0 else None)
    return s, t


def get(ctx, s, t):
    """A keep-alive GET over the connection, its answer read."""
    req = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    buf = bytearray(256)
    got = bytearray()
    sent = [0]

    def step():
        if sent[0] < len(req):
            sent[0] += t.send(req[sent[0]:]) if t else _port.send(s, req[sent[0]:])
            return None
        n = t.recv_into(memoryview(buf)) if t else _port.recv_into(s, memoryview(buf))
        if n:
            got.extend(buf[:n])
        return True if got.endswith(b"ok") else None
    pump(ctx, step)


def measure(name, make):
    """make() opens one more connection (kept in a list); per connection."""
    keep = []
    pairs = []
    for _ in range(N):
        g0, c0 = gc_heap(), c_heap()
        c_heap("RESET")
        keep.append(make())
        g1, c1 = gc_heap(), c_heap()
        pairs.append((g1 - g0, c1 - c0, c_heap("PEAK") - c0))
    rest = pairs[1:]
    g = sum(p[0] for p in rest) // len(rest)
    c = sum(p[1] for p in rest) // len(rest)
    pk = max(p[2] for p in rest)
    print(name, g, c, pk, "first", pairs[0][0], pairs[0][1])
    return keep


def main():
    lws_set_log_level(LLL_ERR)
    print("interpreter", sys.implementation._machine.replace(" ", "_"),
          tls.MODULE_NAME.replace(" ", "_"))
    # the server's TLS set-up: the same context with and without TLS, after
    # one made and destroyed (what is imported or made once is not counted)
    __import__("lws_mp.roles.tls")
    lws_context_destroy(server(PORT1, False))
    base_g, base_c = gc_heap(), c_heap()
    ctx = server(PORT1, False)
    plain_g, plain_c = gc_heap(), c_heap()
    lws_context_destroy(ctx)
    del ctx
    base2_g, base2_c = gc_heap(), c_heap()
    ctx = server(PORT2, True)
    tls_g, tls_c = gc_heap(), c_heap()
    print("tls_setup", (tls_g - base2_g) - (plain_g - base_g),
          (tls_c - base2_c) - (plain_c - base_c), 0, "first", 0, 0)
    sslctx = client_ctx()
    plain = server(PORT1, False)

    def pair_tcp():
        s, t = connect(PORT1, None, plain)
        get(plain, s, None)
        return s
    keep = measure("server_pair_tcp", pair_tcp)
    for s in keep:
        s.close()
    for _ in range(5):
        lws_service(plain, 10)
    lws_context_destroy(plain)
    del keep

    def pair_tls():
        s, t = connect(PORT2, sslctx, ctx)
        get(ctx, s, t)
        return (s, t)
    keep = measure("server_pair_tls", pair_tls)
    for _s, t in keep:
        t.close()
    for _ in range(5):
        lws_service(ctx, 10)
    lws_context_destroy(ctx)
    del keep

    keep = measure("client_tls", lambda: connect(TLS_PORT, sslctx, None))
    for _s, t in keep:
        t.close()
    del keep
    keep = measure("client_tcp", lambda: connect(TCP_PORT, None, None))
    for s, _t in keep:
        s.close()
    print("done")


main()
