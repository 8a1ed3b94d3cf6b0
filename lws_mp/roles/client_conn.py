"""A client connection's own state (``wsi.client``) and its endings.

Shared by the client roles (client_connect, http_client, ws_client): the
phases a client goes through, ``fail`` (every way it can end before it is
established), and the callbacks that say how it ended:
LWS_CALLBACK_CLIENT_CONNECTION_ERROR with a readable reason in ``in_`` (a
str, its length in ``len_``), or CLOSED_CLIENT_HTTP once established.
"""

from ..core.conn import protocol_callback, user_callback
from ..codec.uri import lws_parse_uri
from ..core.log import lwsl_info
from ..core.wsi import LWSS_DEAD_SOCKET
from ..plat._port import const

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_CALLBACK_CLIENT_CONNECTION_ERROR = const(1)
_LWS_CALLBACK_CLOSED_CLIENT_HTTP = const(45)
_LWS_CALLBACK_WSI_DESTROY = const(30)

# where a client connection is (ClientConn.phase)
P_RESOLVE = 0  # queued: name resolution and connect next time round
P_CONNECTING = 1  # non-blocking connect under way
P_PROXY = 2  # CONNECT sent to the proxy, waiting for its answer
P_TLS = 3  # TLS handshake under way
P_BODY = 4  # request sent; CLIENT_HTTP_WRITEABLE sends its body
P_REPLY = 5  # waiting for (and parsing) the response head
P_HTTP = 6  # HTTP client established: the body is being read
P_IDLE = 7  # transaction complete, connection kept alive

MAX_REDIRECTS = 3

_PHASE_FAILURE = (
    "connection closed before it was made",
    "connect failed",
    "proxy closed the connection before answering CONNECT",
    "TLS handshake failed",
    "HS: server closed the connection while the request body was sent",
    "HS: server closed the connection during the handshake",
)
_PHASE_TIMEOUT = (
    "timeout before connecting",
    "connect timeout",
    "timeout waiting for the proxy's answer to CONNECT",
    "TLS handshake timeout",
    "timeout waiting for the request body (lws_client_http_body_pending)",
    "HS: timeout waiting for the server's response",
)


class ClientConn:
    """What a client connection needs besides the wsi (wsi.client)."""

    phase = P_RESOLVE
    why = None  # the reason for CLIENT_CONNECTION_ERROR (or CLOSED_CLIENT_HTTP)
    cce_done = False
    established = False
    created = False  # WSI_CREATE issued
    redirects = 0
    reuse = False  # lws_client_reset on an idle keep-alive connection
    sockaddr = None
    proxy = None  # (address, port, basic auth token) while tunnelling
    proxy_buf = None
    accept = None  # the Sec-WebSocket-Accept the server must send
    body_pending = False
    keepalive = False
    chunked = None
    remain = 0  # body bytes still to come (-1: until the server closes)
    close_pending = False

    def __init__(self, i):
        self.address = i.address
        self.port = i.port
        self.ssl = i.ssl_connection
        path = i.path or "/"
        self.path = path if path[0] == "/" else "/" + path
        self.host = i.host or i.address
        self.origin = i.origin
        self.method = i.method
        self.ws = not i.method
        self.protocols = _names(i.protocol)
        self.version = i.ietf_version_or_minus_one
        if self.version <= 0:
            self.version = 13
        self.userdata = i.userdata
        self.client_exts = i.client_exts


def _names(protocol):
    if not protocol:
        return ()
    return tuple(n.strip() for n in protocol.split(",") if n.strip())


# ------------------------------------------------------------ endings


def queue(wsi):
    """Run this connection's next step from lws_service's buffered work."""
    if not wsi.pending_rx:
        wsi.pending_rx = True
        wsi.context.pending.append(wsi)


def fail(wsi, why):
    """End a client connection that has not (or no longer) got anywhere:
    CLIENT_CONNECTION_ERROR (or CLOSED_CLIENT_HTTP) with ``why``."""
    cl = wsi.client
    if cl.why is None:
        cl.why = why
    lwsl_info("client %s:%d: %s", cl.address, cl.port, why)
    if wsi.closed:
        return
    if wsi.sock is None:
        # no socket (yet, or again after a redirect): nothing in the fd
        # table to take down
        wsi.closed = True
        ctx = wsi.context
        if wsi in ctx.pending:
            ctx.pending.remove(wsi)
        closed(wsi)
        if cl.created:
            protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_WSI_DESTROY)
        wsi.user_space = None
        return
    wsi.state = LWSS_DEAD_SOCKET
    wsi.trunc_len = 0
    wsi.context.close(wsi)


def timeout(wsi, reason):
    """A pending timeout fired on a client: say which, then close."""
    cl = wsi.client
    if cl is not None and cl.why is None:
        if cl.phase < len(_PHASE_TIMEOUT):
            why = _PHASE_TIMEOUT[cl.phase]
            if cl.phase == P_CONNECTING:
                why += ": no answer from %s:%d" % (wsi.addr[0], wsi.addr[1])
            cl.why = "%s (%d s)" % (why, wsi.context.timeout_secs)
        elif cl.phase == P_HTTP:
            cl.why = "timeout: the body is incomplete (%d s)" % wsi.context.timeout_secs
    return True


def closed(wsi):
    """The connection is going: CLIENT_CONNECTION_ERROR if it never got
    established, else CLOSED_CLIENT_HTTP (``in_`` says why when the body
    was cut short, None after a normal end)."""
    cl = wsi.client
    ctx = wsi.context
    if cl.established:
        why = cl.why
        user_callback(wsi, _LWS_CALLBACK_CLOSED_CLIENT_HTTP, why, len(why) if why else 0)
        return
    if cl.cce_done:
        return
    cl.cce_done = True
    why = cl.why
    if why is None:
        if ctx.destroyed:
            why = "context destroyed before the connection was made"
        else:
            why = _PHASE_FAILURE[cl.phase] if cl.phase < len(_PHASE_FAILURE) else "closed"
        cl.why = why
    lwsl_info("client %s:%d%s: %s", cl.address, cl.port, cl.path, why)
    user_callback(wsi, _LWS_CALLBACK_CLIENT_CONNECTION_ERROR, why, len(why))


def parse_location(wsi, loc):
    """(ssl, address, port, path) of a redirect's Location, or a reason."""
    cl = wsi.client
    if loc.startswith("/"):
        return (cl.ssl, cl.address, cl.port, loc)
    err, prot, ads, port, path = lws_parse_uri(loc)
    if err:
        return "HS: URI did not parse: %r" % loc[:80]
    ssl = 1 if prot in ("https", "wss") else 0
    if ssl and cl.ssl:
        ssl = cl.ssl  # keep "allow self-signed"
    return (ssl, ads, port, "/" + path.lstrip("/"))
