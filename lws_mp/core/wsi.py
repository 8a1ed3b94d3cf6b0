"""struct lws: one connection (or the listen socket) and its state."""

from ..plat._port import addr_tuple, const
from .role_ops import ROLE_HTTP, ROLE_LISTEN, ROLE_RAW, ROLE_WS  # noqa: F401

# connection states (lws' LWSS_* in spirit)
LWSS_HTTP = const(0)  # waiting for / reading request headers
LWSS_HTTP_BODY = const(1)  # reading a request body
LWSS_HTTP_SERVING = const(2)  # response under way
LWSS_ESTABLISHED = const(3)  # websocket
LWSS_RETURNED_CLOSE_ALREADY = const(4)  # ws close sent, waiting for the peer's
LWSS_AWAITING_CLOSE_ACK = const(5)
LWSS_FLUSHING_STORED_SEND_BEFORE_CLOSE = const(6)
LWSS_DEAD_SOCKET = const(7)


class lws:
    """A connection.  Firmware code treats it as opaque and uses the lws_*
    functions; the attributes are the library's."""

    # Defaults are class attributes: an instance's dict holds only what was
    # set on it (a WebSocket never touches most HTTP fields), so it stays
    # small, and setting up a connection makes less garbage.
    fd = -1
    key = None  # what the internal poll reports for this socket
    state = LWSS_HTTP
    protocol = None
    user_space = None
    ah = None
    addr = ("", 0)
    events = 0  # current poll mask
    slot = -1
    pending_timeout = 0
    timeout_at = 0
    rxflow_disabled = False
    want_writable = False
    pending_rx = False  # input buffered in the ah still to parse
    # a write the socket did not take at once (lws' "truncated send")
    trunc = None
    trunc_off = 0
    trunc_len = 0
    # the pending send is what a pass held (its writer was told nothing):
    # the next lws_write is queued behind it, and that writer is told
    trunc_held = False
    # http
    http_keepalive = True
    body_remaining = 0
    chunked = None  # ChunkedDecoder while reading a chunked body
    transaction_done = True
    head = False
    headers_sent = False
    file = None  # FileStream while serving a file
    close_after_flush = False
    complete_after_flush = False
    http_status = 0
    body_seen = 0
    preload = None  # adopted input not yet in a header table
    client = None  # the client's state (roles/client_connect.ClientConn)
    # websocket (see ws_server)
    ws = None
    close_status = 0
    close_reason = None
    closed = False
    tls = None  # plat.tls.TlsConn on a TLS connection (sock is then its TLS socket)

    def __init__(self, context, sock, role):
        self.context = context
        self.sock = sock
        self.role = role
        # set now, though it is the class default: closing sets it, and a new
        # instance attribute can need heap, which may be what ran out
        self.closed = False
        self.state = self.state  # the same, for a close under a full heap
        # and the defaults read at every message and request: a field left
        # to the class is first missed in the instance's own table, which
        # MicroPython keeps nearly full (it grows only when full), so a miss
        # probes most of it: ~450-1,100 instructions a read more
        self.trunc_len = 0
        self.rxflow_disabled = False
        self.tls = None


def peer(wsi):
    """The peer's ('a.b.c.d', port).  ``wsi.addr`` is kept as the socket
    layer gave it (plat._port.accept) and read only here, when a log line
    or lws_get_peer_addresses asks, not at every accepted connection."""
    return addr_tuple(wsi.addr)


def peer_str(wsi):
    """'a.b.c.d:port' of the peer, for log lines."""
    return "%s:%d" % addr_tuple(wsi.addr)
