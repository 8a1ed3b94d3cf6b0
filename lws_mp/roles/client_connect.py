"""Client connections: lws_client_connect_via_info and the way to a
connected socket (name, TCP connect, proxy tunnel, TLS hook).

``lws_client_connect_via_info`` returns the new wsi at once; everything
else happens inside ``lws_service``: the name is resolved (see
plat/client_sock for how long that can block), the socket is
connected without blocking, a proxy is asked to open a tunnel (HTTP
CONNECT), then the HTTP client role (http_client) sends the request and
reads the answer.  A client takes an fd slot and, once its request is
sent, a header table, waiting in the same FIFO as server connections.

Every way it can fail ends in one LWS_CALLBACK_CLIENT_CONNECTION_ERROR
with a readable reason in ``in_`` (a str, its length in ``len_``), to the
connection's protocol (protocols[0] until a WebSocket protocol is matched).

TLS: ``ssl_connection`` nonzero makes ``_start_tls`` the one place the
connected socket is wrapped (below).  Without a TLS implementation the
connection fails with "TLS not available" -- it never goes plain text.
"""

from ..core.context import bind_protocol, insert_wsi_socket_into_fds, remove_wsi_socket_from_fds
from ..core.conn import change_events, conn_read, protocol_callback, release_ah, set_timeout
from ..core.log import lwsl_err, lwsl_info, lwsl_notice
from ..core.output import issue_raw
from ..core.role_ops import ROLE_HTTP_CLIENT, ops
from ..core.structs_extra import lws_client_connect_info
from ..core.wsi import LWSS_HTTP, lws
from ..plat import _port
from ..plat._port import POLLERR, POLLHUP, POLLIN, POLLOUT, const
from . import part
from .client_conn import MAX_REDIRECTS, P_CONNECTING, P_IDLE, P_PROXY, P_RESOLVE, P_TLS, ClientConn
from .client_conn import fail, queue

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_CALLBACK_WSI_CREATE = const(29)
_PENDING_TIMEOUT_AWAITING_CONNECT_RESPONSE = const(2)
_PENDING_TIMEOUT_AWAITING_PROXY_RESPONSE = const(1)
_PENDING_TIMEOUT_SENT_CLIENT_HANDSHAKE = const(8)


_PROXY_REPLY_MAX = 1024

# ------------------------------------------------------------ public API


def lws_client_connect_via_info(i):
    """Start a client connection; the wsi, or None if ``i`` is unusable.

    Nothing is connected yet when this returns: resolution, connect and
    handshake happen inside lws_service, ending in CLIENT_ESTABLISHED /
    ESTABLISHED_CLIENT_HTTP or CLIENT_CONNECTION_ERROR.
    """
    ctx = i.context
    if ctx is None or ctx.destroyed or not i.address:
        lwsl_err("lws_client_connect_via_info: no context or no address")
        return None
    wsi = lws(ctx, None, ROLE_HTTP_CLIENT)
    wsi.state = LWSS_HTTP
    cl = ClientConn(i)
    wsi.client = cl  # pyright: ignore[reportAttributeAccessIssue]
    wsi.addr = (i.address, i.port)
    wsi.protocol = ctx.protocols[0]
    if cl.method:
        # an HTTP client's callbacks go to the protocol it names (if the
        # context has one of that name), else to protocols[0]
        for p in ctx.protocols:
            if cl.protocols and p.name == cl.protocols[0]:
                wsi.protocol = p
        if cl.userdata is None:
            bind_protocol(wsi, wsi.protocol)
    if cl.userdata is not None:
        wsi.user_space = cl.userdata
    lwsl_info("client: %s:%d%s queued", i.address, i.port, cl.path)
    queue(wsi)
    return wsi


def lws_client_connect(context, address, port, ssl_connection, path, host, origin,
                       protocol, ietf_version_or_minus_one):
    """The older form of lws_client_connect_via_info (no userdata)."""
    return lws_client_connect_extended(context, address, port, ssl_connection, path, host,
                                       origin, protocol, ietf_version_or_minus_one, None)


def lws_client_connect_extended(context, address, port, ssl_connection, path, host, origin,
                                protocol, ietf_version_or_minus_one, userdata):
    """The older form of lws_client_connect_via_info."""
    return lws_client_connect_via_info(lws_client_connect_info(
        context=context, address=address, port=port, ssl_connection=ssl_connection,
        path=path, host=host, origin=origin, protocol=protocol,
        ietf_version_or_minus_one=ietf_version_or_minus_one, userdata=userdata))


def lws_client_reset(wsi, ssl, address, port, path, host):
    """Point a client connection that is still HTTP at a new target.

    As in lws, the socket is closed and a new connection made (inside
    lws_service); at most 3 times per connection.  On a connection idle
    after a keep-alive transaction (see lws_http_transaction_completed_client)
    to the same address, port and ssl, the new request goes out on the same
    socket instead, and starts a new count.  Returns ``wsi``, or None if it
    cannot (then nothing changed).
    """
    why = reset(wsi, ssl, address, port, path, host)
    if why is not None:
        lwsl_err("lws_client_reset: %s", why)
        return None
    return wsi


def reset(wsi, ssl, address, port, path, host):
    """lws_client_reset's work: None, or why it cannot."""
    cl = wsi.client
    if cl is None or wsi.closed or cl.ws and cl.established:
        return "not an HTTP client connection"
    path = path or "/"
    if path[0] != "/":
        path = "/" + path
    idle_same = (cl.phase == P_IDLE and address == cl.address and port == cl.port
                 and bool(ssl) == bool(cl.ssl))
    if idle_same:
        cl.redirects = 0
    elif cl.redirects >= MAX_REDIRECTS:
        return "too many redirects (more than %d)" % MAX_REDIRECTS
    else:
        cl.redirects += 1
    lwsl_notice("client: to %s:%d%s", address, port, path)
    cl.address = address
    cl.port = port
    cl.path = path
    cl.host = host or address
    cl.ssl = ssl
    cl.established = False
    cl.chunked = None
    cl.remain = 0
    cl.body_pending = False
    ctx = wsi.context
    if wsi.ah is not None:
        release_ah(wsi)
    set_timeout(wsi, 0, 0)
    wsi.addr = (address, port)
    if idle_same:
        cl.reuse = True
    else:
        _drop_socket(wsi)
        if cl.ws:
            wsi.protocol = ctx.protocols[0]
    cl.phase = P_RESOLVE
    queue(wsi)
    return None


def _drop_socket(wsi):
    ctx = wsi.context
    remove_wsi_socket_from_fds(ctx, wsi)
    if wsi in ctx.header_pool.waiting:
        ctx.header_pool.forget(wsi)
    try:
        wsi.sock.close()
    except (OSError, AttributeError):
        pass
    wsi.sock = None
    wsi.fd = -1
    wsi.trunc = None
    wsi.trunc_len = 0
    wsi.trunc_off = 0
    wsi.events = 0


def lws_set_proxy(ctx, proxy):
    """Send client connections through an HTTP proxy (HTTP CONNECT).

    ``proxy`` is "address:port", optionally "user:password@address:port"
    (sent as Proxy-Authorization: Basic) and optionally after "http://".
    Returns 0, or -1 if ``proxy`` is None or not in that form.  The
    creation info's http_proxy_address / http_proxy_port do the same.
    """
    p = _parse_proxy(proxy, 0)
    if p is None:
        lwsl_err("lws_set_proxy: %r is not [user:password@]address:port", proxy)
        return -1
    ctx.client_proxy = p
    lwsl_info("client: proxy %s:%d", p[0], p[1])
    return 0


def _parse_proxy(proxy, default_port):
    if not proxy:
        return None
    if proxy.startswith("http://"):
        proxy = proxy[7:]
    proxy = proxy.rstrip("/")
    auth = None
    at = proxy.rfind("@")
    if at >= 0:
        auth = _port.b64encode(proxy[:at].encode())
        proxy = proxy[at + 1:]
    port = default_port
    colon = proxy.rfind(":")
    if colon >= 0:
        try:
            port = int(proxy[colon + 1:])
        except ValueError:
            return None
        proxy = proxy[:colon]
    if not proxy or not 0 < port < 65536:
        return None
    return (proxy, port, auth)


def _proxy_of(ctx):
    """The proxy clients of ``ctx`` go through, or None."""
    p = getattr(ctx, "client_proxy", 0)
    if p == 0:
        info = ctx.info
        p = _parse_proxy(info.http_proxy_address, info.http_proxy_port)
        ctx.client_proxy = p
    return p


# ------------------------------------------------------------ internals


def start(wsi):
    """Resolve the name, make the socket, begin the connect."""
    try:
        _start(wsi)
    except Exception as e:  # MemoryError included: this connection only
        _port.print_exception(e)
        fail(wsi, "internal error starting the connection: %r" % (e,))


def _start(wsi):
    ctx = wsi.context
    cl = wsi.client
    if cl.ssl and _tls() is None:
        fail(wsi, "TLS not available")
        return
    if cl.reuse:
        cl.reuse = False
        ops(ROLE_HTTP_CLIENT).adopt(wsi, None)
        return
    net = part("plat.client_sock")
    cl.proxy = _proxy_of(ctx)
    host, port = (cl.proxy[0], cl.proxy[1]) if cl.proxy else (cl.address, cl.port)
    try:
        family, sa = net.resolve(host, port)
    except OSError as e:
        fail(wsi, "name not resolved: %s (%s)" % (host, e.args[0] if e.args else e))
        return
    cl.sockaddr = sa
    wsi.addr = _port.addr_tuple(sa)
    if ctx.fd_count >= ctx.fd_limit:
        fail(wsi, "fd table full (%d)" % ctx.fd_limit)
        return
    wsi.sock = net.open_socket(family)
    if not insert_wsi_socket_into_fds(ctx, wsi, 0):
        wsi.sock.close()
        wsi.sock = None
        fail(wsi, "fd table full (%d)" % ctx.fd_limit)
        return
    if not cl.created:
        cl.created = True
        protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_WSI_CREATE)
    cl.phase = P_CONNECTING
    set_timeout(wsi, _PENDING_TIMEOUT_AWAITING_CONNECT_RESPONSE, ctx.timeout_secs)
    r = net.connect_start(wsi.sock, sa)
    if r == 1:
        change_events(wsi, POLLOUT, 0)
    elif r == 0:
        _connected(wsi)
    else:
        _connect_failed(wsi, r)


def connect_ready(wsi, revents):
    """The socket of a connect under way was reported: done, or failed?"""
    cl = wsi.client
    r = part("plat.client_sock").connect_result(wsi.sock, cl.sockaddr)
    if r == 1:
        if revents & (POLLERR | POLLHUP):
            _connect_failed(wsi, -1)
        return
    if r:
        _connect_failed(wsi, r)
        return
    _connected(wsi)


def _connect_failed(wsi, code):
    text = part("plat.client_sock").errno_text(code) if code > 0 else "error"
    a = wsi.addr
    if text == "ECONNREFUSED":
        fail(wsi, "connection refused by %s:%d" % (a[0], a[1]))
    else:
        fail(wsi, "connect to %s:%d failed (%s)" % (a[0], a[1], text))


def _connected(wsi):
    ctx = wsi.context
    cl = wsi.client
    lwsl_info("client: connected to %s:%d", wsi.addr[0], wsi.addr[1])
    change_events(wsi, POLLIN, POLLOUT)
    if cl.proxy is None:
        _tunnel_up(wsi)
        return
    target = cl.address if ":" not in cl.address else "[" + cl.address + "]"
    req = b"CONNECT %s:%d HTTP/1.0\r\nUser-agent: lws_mp\r\n" % (target.encode(), cl.port)
    if cl.proxy[2]:
        req += b"Proxy-authorization: basic " + cl.proxy[2] + b"\r\n"
    req += b"\r\n"
    cl.phase = P_PROXY
    cl.proxy_buf = bytearray()
    set_timeout(wsi, _PENDING_TIMEOUT_AWAITING_PROXY_RESPONSE, ctx.timeout_secs)
    issue_raw(wsi, memoryview(req))


def proxy_reply(wsi):
    """Read the proxy's answer to CONNECT, byte runs up to its blank line
    (nothing of the tunnelled connection can follow it yet)."""
    ctx = wsi.context
    cl = wsi.client
    buf = cl.proxy_buf
    mv = ctx.serv_mv
    want = _PROXY_REPLY_MAX - len(buf)
    n = conn_read(wsi, mv[:want if want < len(mv) else len(mv)])
    if not n:
        return
    buf.extend(mv[:n])
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) >= _PROXY_REPLY_MAX:
            fail(wsi, "proxy answer to CONNECT too long")
        return
    line = bytes(buf[:buf.find(b"\r\n")])
    extra = len(buf) - end - 4
    cl.proxy_buf = None
    if not (line.startswith(b"HTTP/1.1 200") or line.startswith(b"HTTP/1.0 200")):
        fail(wsi, "proxy refused CONNECT: %s" % line.decode("utf-8", "replace")[:80])
        return
    if extra:
        fail(wsi, "proxy sent data before the tunnel was used")
        return
    lwsl_info("client: proxy tunnel to %s:%d open", cl.address, cl.port)
    set_timeout(wsi, 0, 0)
    _tunnel_up(wsi)


def _tunnel_up(wsi):
    if wsi.client.ssl:
        _start_tls(wsi)
        return
    ops(ROLE_HTTP_CLIENT).adopt(wsi, None)  # http_client: send the request


# ------------------------------------------------------------ TLS hook
#
# The TCP connection (through the proxy, if any) is up and ssl_connection is
# set.  The TLS implementation is roles/tls.py (over plat/tls.py), offering:
#
#   client_start(wsi, server_name, ssl_connection) -> None or a reason (str)
#       wrap wsi.sock (swap_socket below puts the wrapped socket in the fd
#       table); ssl_connection 2 allows a self-signed certificate
#   client_handshake(wsi) -> 0 when done, POLLIN or POLLOUT for what it
#       waits on, or a reason (str) when it failed (name, CA, expiry, ...)
#
# Without it (or without those two), the connection fails "TLS not
# available": it never goes on in plain text.


def _tls():
    try:
        t = part("roles.tls")
    except ImportError:  # no TLS module on this port
        return None
    if not hasattr(t, "client_start") or not hasattr(t, "client_handshake"):
        return None
    return t


def _start_tls(wsi):
    t = _tls()
    if t is None:
        fail(wsi, "TLS not available")
        return
    cl = wsi.client
    cl.phase = P_TLS
    set_timeout(wsi, _PENDING_TIMEOUT_SENT_CLIENT_HANDSHAKE, wsi.context.timeout_secs)
    why = t.client_start(wsi, cl.host.split(":")[0], cl.ssl)
    if why is not None:
        fail(wsi, "TLS: %s" % why)
        return
    tls_step(wsi)


def tls_step(wsi):
    r = _tls().client_handshake(wsi)
    if isinstance(r, str):
        fail(wsi, "TLS: %s" % r)
    elif r:
        change_events(wsi, r, (POLLIN | POLLOUT) & ~r)
    else:
        change_events(wsi, POLLIN, POLLOUT)
        ops(ROLE_HTTP_CLIENT).adopt(wsi, None)


def swap_socket(wsi, sock):
    """Put ``sock`` (a wrapped socket) in the fd table in place of wsi's."""
    ctx = wsi.context
    events = wsi.events
    remove_wsi_socket_from_fds(ctx, wsi)
    wsi.sock = sock
    return insert_wsi_socket_into_fds(ctx, wsi, events)


