"""The context: fixed tables allocated once, the fd table, closing, timeouts
(what it does for one connection on every event is in core/conn)."""

from ..plat import _port
from .conn import change_events, protocol_callback, release_ah, set_timeout
from .header_table import HeaderPool
from .log import lwsl_err, lwsl_info, lwsl_notice, lwsl_warn
from .output import flush_held, held_by
from .role_ops import ops_of
from .structs import lws_pollargs
from .wsi import lws
from ..plat._port import const
from ..plat._port import micropython  # @micropython.native

# lws_mp's own state and role numbers (core/wsi, core/role_ops), module-private
# consts: an imported name would be a global, looked up at each use
_LWSS_DEAD_SOCKET = const(7)
_LWSS_FLUSHING_STORED_SEND_BEFORE_CLOSE = const(6)
_ROLE_LISTEN = const(0)
_ROLE_RAW = const(3)

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_CONTEXT_PORT_NO_LISTEN = const(-1)
_LWS_CALLBACK_ADD_POLL_FD = const(32)
_LWS_CALLBACK_DEL_POLL_FD = const(33)
_LWS_CALLBACK_LOCK_POLL = const(35)
_LWS_CALLBACK_UNLOCK_POLL = const(36)
_LWS_CALLBACK_WSI_DESTROY = const(30)
_PENDING_FLUSH_STORED_SEND_BEFORE_CLOSE = const(12)

LWS_LIBRARY_VERSION = "2.1.0 lws_mp-0.1.0"

# lws defaults where the creation info leaves a field 0
_DEFAULT_HEADER_DATA = const(4096)
_DEFAULT_HEADER_POOL = const(4)
_DEFAULT_SERV_BUF = const(4096)
_DEFAULT_TIMEOUT_SECS = const(20)
DEFAULT_FD_LIMIT = 16 if _port.IS_MICROPYTHON else 256

class lws_context:
    # True when protocols[0]'s callback is lws_callback_http_dummy (the HTTP
    # role says so), which answers 0 to every reason but HTTP: what only
    # protocols[0] is told is then not called, eleven calls per connection
    # nobody sees (the poll reasons LOCK_POLL, ADD_POLL_FD and the rest;
    # FILTER_NETWORK_CONNECTION, WSI_CREATE, SERVER_NEW_CLIENT_INSTANTIATED,
    # WSI_DESTROY)
    protocol0_dummy = False

    def __init__(self, info):
        self.info = info
        # read here once: an unset field of the info is a text search
        # (structs._TextStruct), too slow for every accepted connection
        self.tcp_keepalive = (info.ka_time, info.ka_probes, info.ka_interval) \
            if info.ka_time else None
        self.user = info.user
        self.options = info.options
        protocols = []
        for p in info.protocols or ():
            if p is None or p.callback is None:
                break
            protocols.append(p)
        if not protocols:
            raise ValueError("protocols: at least one with a callback")
        self.protocols = protocols
        self.token_limits = info.token_limits
        self.timeout_secs = info.timeout_secs or _DEFAULT_TIMEOUT_SECS
        self.max_http_body_size = info.max_http_body_size
        self.server_string = info.server_string or "lws_mp"
        self.mounts = list(info.mounts or ())
        self.fops = info.fops  # None: the platform's, made by the first file served
        if info.count_threads > 1:
            lwsl_warn("count_threads %d: lws_mp services one thread", info.count_threads)
        # every table is allocated here, once
        self.fd_limit = info.fd_limit_per_thread or DEFAULT_FD_LIMIT
        self.slots = [None] * self.fd_limit
        self.fd_count = 0
        self.lookup = {}  # poll key -> wsi, never more than fd_limit entries
        self.header_pool = HeaderPool(
            info.max_http_header_pool or _DEFAULT_HEADER_POOL,
            info.max_http_header_data or _DEFAULT_HEADER_DATA,
        )
        self.serv_buf = bytearray(info.pt_serv_buf_size or _DEFAULT_SERV_BUF)
        self.serv_mv = memoryview(self.serv_buf)
        # serv_mv[serv_tail_at:], where a file's first piece is read after
        # its head: kept, a file asked for again has a head as long
        self.serv_tail_at = -1
        self.serv_tail = None
        # what a pass holds to go out in one send (core/output.hold_room):
        # a response head and its body, small WebSocket frames (a desktop's
        # big service buffer holds big frames too)
        self.head_buf = bytearray(min(1024 if _port.IS_MICROPYTHON else 65536, len(self.serv_buf)))
        self.poll = _port.new_poll()
        # what one poll found ready, filled in place by _port.poll_into
        self.ready_keys = [None] * self.fd_limit
        self.ready_revents = _port.u16_array(self.fd_limit)
        self.pending = []  # wsis with buffered input to process without poll
        self.tls = None  # the server's TLS set-up (roles.tls.TlsServer), if it serves TLS
        self.tls_pending = []  # TLS wsis holding input poll cannot see (lws' pending_read_list)
        self.pollargs = lws_pollargs()
        self.last_sweep = _port.ticks_ms()
        self.destroyed = False
        self.stats_refused = 0
        self.stats_accepted = 0
        self.stats_timeouts = 0
        # fd table full: the listen socket stops accepting (clients wait in
        # the kernel's backlog) until a slot frees
        self.listen_paused = False
        self.full_since = 0
        self.full_noted = 0  # when a pause was last logged
        self.full_logged = False  # the pause under way was (so its end is)
        self.stats_full = 0  # times the table filled
        self.stats_full_ms = 0  # time spent full, in total
        self.listen_wsi = None
        self.accepting = None  # (socket, address) while FILTER_NETWORK_CONNECTION runs
        self.port = info.port
        self.waker = None
        self.waker_wsi = None
        self.hostname = None
        self.ws_tx = None  # frame assembly buffer, made with the first websocket
        self.ws_tx_mv = None
        self.max_ws_message_size = info.max_ws_message_size
        # one wsi the protocol-wide callbacks are issued on, as lws does
        self.dummy_wsi = lws(self, None, _ROLE_RAW)

    def start_sockets(self):
        """The cancel waker and (unless CONTEXT_PORT_NO_LISTEN) the listen
        socket, both in the fd table.  False if they cannot be made."""
        info = self.info
        self.waker = _port.Waker()
        wk = lws(self, self.waker.sock, _ROLE_RAW)
        wk.protocol = self.protocols[0]
        self.waker_wsi = wk
        if not insert_wsi_socket_into_fds(self, wk, _port.POLLIN):
            lwsl_err("fd_limit_per_thread too small")
            self.waker.close()
            return False
        if info.port == _CONTEXT_PORT_NO_LISTEN:
            return True
        backlog = info.listen_backlog or max(8, self.fd_limit)
        try:
            sock, bound = _port.listen_socket(info.iface, info.port, backlog)
        except OSError as e:
            lwsl_err("listen on port %d failed: %r", info.port, e)
            remove_wsi_socket_from_fds(self, wk)
            self.waker.close()
            return False
        lw = lws(self, sock, _ROLE_LISTEN)
        lw.protocol = self.protocols[0]
        self.listen_wsi = lw
        self.port = bound
        if not insert_wsi_socket_into_fds(self, lw, _port.POLLIN):
            lwsl_err("fd_limit_per_thread too small")
            sock.close()
            remove_wsi_socket_from_fds(self, wk)
            self.waker.close()
            return False
        lwsl_notice("listening on port %d", bound)
        return True

    # ---------------------------------------------------------- callbacks

    def _poll_callback(self, wsi, reason, prev):
        pa = self.pollargs
        pa.fd = wsi.fd
        pa.sock = wsi.sock
        pa.events = wsi.events
        pa.prev_events = prev
        protocol_callback(wsi, self.protocols[0], reason, pa, 0)

    # ---------------------------------------------------------- fd table

    # (the fd table, a new wsi and closing are module functions, below: a
    # method is first missed among the context's own ~50 fields, ~1,300
    # instructions on MicroPython, before its class is searched; close()
    # stays for the modules the context itself imports)

    def listen_pause(self):
        """The fd table is full: stop accepting; the kernel's backlog holds
        new clients until a slot frees."""
        if self.listen_paused or self.listen_wsi is None:
            return
        self.listen_paused = True
        now = self.full_since = _port.ticks_ms()
        self.stats_full += 1
        # under load a table at its limit fills and frees many times a
        # second: the first pause is logged, then one a minute, with totals
        if self.stats_full == 1 or _port.ticks_diff(now, self.full_noted) >= 60000:
            self.full_noted = now
            self.full_logged = True
            lwsl_notice("fd table full (%d): accepting paused (%d times, %d ms in all)",
                        self.fd_limit, self.stats_full, self.stats_full_ms)
        change_events(self.listen_wsi, 0, _port.POLLIN)

    def listen_resume(self):
        self.listen_paused = False
        ms = _port.ticks_diff(_port.ticks_ms(), self.full_since)
        self.stats_full_ms += ms
        if self.full_logged:
            self.full_logged = False
            lwsl_notice("fd table has room again after %d ms: accepting", ms)
        lw = self.listen_wsi
        if lw is not None and not lw.closed:
            change_events(lw, _port.POLLIN, 0)

    def tls_rx_pending(self, wsi):  # TLS holds input poll cannot see: served as POLLIN
        if wsi not in self.tls_pending:
            self.tls_pending.append(wsi)

    def find_wsi(self, fd):
        """The wsi for a fd number or socket object, or None (foreign)."""
        w = self.lookup.get(fd)
        if w is not None:
            return w
        for w in self.slots:
            if w is not None and (w.fd == fd or w.sock is fd):
                return w
        return None

    # ---------------------------------------------------------- lifecycle

    def close(self, wsi):
        """Close a connection (close_free_wsi)."""
        return close_free_wsi(self, wsi)

    # ---------------------------------------------------------- timeouts

    def sweep_timeouts(self, now):
        for wsi in self.slots:
            try:
                self._timeout_one(wsi, now)
            except Exception as e:  # MemoryError included: never out of lws_service
                lwsl_err("timeout handling raised %r", e)
                if wsi is not None and not wsi.closed:
                    wsi.state = _LWSS_DEAD_SOCKET
                    wsi.trunc_len = 0
                    self.close(wsi)

    def _timeout_one(self, wsi, now):
        if wsi is None or not wsi.pending_timeout:
            return
        if _port.ticks_diff(now, wsi.timeout_at) < 0:
            return
        reason = wsi.pending_timeout
        wsi.pending_timeout = 0
        self.stats_timeouts += 1
        lwsl_info("connection %d: timeout reason %d", wsi.fd, reason)
        if reason == _PENDING_FLUSH_STORED_SEND_BEFORE_CLOSE or \
                ops_of(wsi).timeout(wsi, reason):
            wsi.state = _LWSS_DEAD_SOCKET
            wsi.trunc_len = 0
            close_free_wsi(self, wsi)

    def fatal(self, wsi, why):
        """A socket error: close at once, nothing more can be sent."""
        lwsl_info("connection %d: %s", wsi.fd, why)
        wsi.state = _LWSS_DEAD_SOCKET
        if wsi.trunc_len:
            wsi.trunc_len = 0
        close_free_wsi(self, wsi)


def lws_context_user(ctx):
    return ctx.user


def lws_get_library_version():
    return LWS_LIBRARY_VERSION


def lws_canonical_hostname(ctx):
    if ctx.hostname is None:
        ctx.hostname = _port.hostname()
    return ctx.hostname


def lws_set_timeout(wsi, reason, secs):
    """Close ``wsi`` (or let its role answer) ``secs`` from now.  Reason 0
    (NO_PENDING_TIMEOUT) clears it; a reason with ``secs`` 0 is due at the
    next 1 Hz sweep, as in v2.1."""
    set_timeout(wsi, reason, secs)


# ---------------------------------------------------------- fd table, closing
# (lws' names; lws_context.close() calls close_free_wsi)


def new_wsi(ctx, sock, role, addr):
    wsi = lws(ctx, sock, role)
    wsi.addr = addr
    return wsi


def bind_protocol(wsi, protocol):
    """Give ``wsi`` its protocol and a fresh per-session user area."""
    wsi.protocol = protocol
    size = protocol.per_session_data_size
    if not size:
        if wsi.user_space is not None:  # (a new wsi's is its class default)
            wsi.user_space = None
    elif isinstance(size, int):
        wsi.user_space = bytearray(size)
    else:
        wsi.user_space = size()


@micropython.native
def insert_wsi_socket_into_fds(ctx, wsi, events):
    """Put ``wsi`` in a free slot of the fd table; False if it is full."""
    if ctx.fd_count >= ctx.fd_limit:
        return False
    for i in range(ctx.fd_limit):
        if ctx.slots[i] is None:
            break
    quiet = ctx.protocol0_dummy
    if not quiet:
        protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_LOCK_POLL, None, 1)
    wsi.slot = i  # first: a MemoryError part-way leaves what remove_wsi undoes
    ctx.slots[i] = wsi
    ctx.fd_count += 1
    wsi.fd = _port.sock_fd(wsi.sock)
    wsi.key = _port.poll_key(wsi.sock)
    wsi.events = events
    ctx.lookup[wsi.key] = wsi
    ctx.poll.register(wsi.sock, events)
    if not quiet:
        ctx._poll_callback(wsi, _LWS_CALLBACK_ADD_POLL_FD, 0)
        protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_UNLOCK_POLL, None, 1)
    return True


@micropython.native
def remove_wsi_socket_from_fds(ctx, wsi):
    if wsi.slot < 0:
        return
    quiet = ctx.protocol0_dummy
    if not quiet:
        protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_LOCK_POLL, None, 1)
    try:
        ctx.poll.unregister(wsi.sock)
    except (OSError, KeyError, ValueError):
        pass
    if not quiet:
        ctx._poll_callback(wsi, _LWS_CALLBACK_DEL_POLL_FD, wsi.events)
    ctx.slots[wsi.slot] = None
    ctx.fd_count -= 1
    wsi.slot = -1
    if ctx.lookup.get(wsi.key) is wsi:
        del ctx.lookup[wsi.key]
    if not quiet:
        protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_UNLOCK_POLL, None, 1)
    if ctx.listen_paused:
        ctx.listen_resume()


@micropython.native
def close_free_wsi(ctx, wsi):
    """Close a connection: role callbacks, table, socket, WSI_DESTROY.

    With a stored send pending and no error, the close waits (bounded by
    a timeout) until the data is flushed, as lws does.
    """
    if wsi.closed:
        return
    role = ops_of(wsi)
    if wsi.state != _LWSS_DEAD_SOCKET:
        if held_by(wsi):
            # what this pass held for it (a head, small frames) goes first
            flush_held()
            if wsi.closed:
                return
        if role.before_close(wsi):
            return
    if (
        wsi.trunc_len
        and wsi.state != _LWSS_DEAD_SOCKET
        and wsi.state != _LWSS_FLUSHING_STORED_SEND_BEFORE_CLOSE
    ):
        wsi.state = _LWSS_FLUSHING_STORED_SEND_BEFORE_CLOSE
        wsi.close_after_flush = True
        set_timeout(wsi, _PENDING_FLUSH_STORED_SEND_BEFORE_CLOSE, 5)
        change_events(wsi, _port.POLLOUT, _port.POLLIN)
        return
    wsi.closed = True
    try:
        role.closed(wsi)
    except Exception as e:
        lwsl_err("close handler raised %r", e)
    if wsi.ah is not None or wsi in ctx.header_pool.waiting:
        release_ah(wsi)
    if wsi in ctx.pending:
        ctx.pending.remove(wsi)
    remove_wsi_socket_from_fds(ctx, wsi)
    try:
        (wsi.sock if wsi.tls is None else wsi.tls).close()
    except OSError:
        pass
    if wsi.role != _ROLE_LISTEN and not ctx.protocol0_dummy:
        protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_WSI_DESTROY)
    if wsi.user_space is not None:  # a new attribute could need heap
        wsi.user_space = None
    if wsi.trunc is not None:
        wsi.trunc = None
