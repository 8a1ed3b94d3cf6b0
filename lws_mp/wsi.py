"""struct lws: one connection (or the listen socket) and its state."""

# roles
ROLE_LISTEN = 0
ROLE_HTTP = 1
ROLE_WS = 2
ROLE_RAW = 3

# connection states (lws' LWSS_* in spirit)
LWSS_HTTP = 0  # waiting for / reading request headers
LWSS_HTTP_BODY = 1  # reading a request body
LWSS_HTTP_SERVING = 2  # response under way
LWSS_ESTABLISHED = 3  # websocket
LWSS_RETURNED_CLOSE_ALREADY = 4  # ws close sent, waiting for the peer's
LWSS_AWAITING_CLOSE_ACK = 5
LWSS_FLUSHING_STORED_SEND_BEFORE_CLOSE = 6
LWSS_DEAD_SOCKET = 7


class lws:
    """A connection.  Firmware code treats it as opaque and uses the lws_*
    functions; the attributes are the library's."""

    def __init__(self, context, sock, role):
        self.context = context
        self.sock = sock
        self.fd = -1
        self.key = None  # what the internal poll reports for this socket
        self.role = role
        self.state = LWSS_HTTP
        self.protocol = None
        self.user_space = None
        self.ah = None
        self.addr = ("", 0)
        self.events = 0  # current poll mask
        self.slot = -1
        self.pending_timeout = 0
        self.timeout_at = 0
        self.rxflow_disabled = False
        self.want_writable = False
        self.pending_rx = False  # input buffered in the ah still to parse
        # a write the socket did not take at once (lws' "truncated send")
        self.trunc = None
        self.trunc_off = 0
        self.trunc_len = 0
        # http
        self.http_keepalive = True
        self.body_remaining = 0
        self.chunked = None  # ChunkedDecoder while reading a chunked body
        self.transaction_done = True
        self.head = False
        self.headers_sent = False
        self.file = None  # FileStream while serving a file
        self.close_after_flush = False
        self.complete_after_flush = False
        self.http_status = 0
        self.body_seen = 0
        self.preload = None  # adopted input not yet in a header table
        # websocket (see ws_server)
        self.ws = None
        self.close_status = 0
        self.close_reason = None
        self.closed = False
