"""The service loop: one poll, accept, dispatch to roles, 1 Hz timeouts."""

from . import _port
from .context import ROLES, role, role_of
from .log import lwsl_err, lwsl_notice, lwsl_warn
from .wsi import ROLE_HTTP, ROLE_LISTEN, ROLE_RAW
from ._port import const

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_CALLBACK_FILTER_NETWORK_CONNECTION = const(17)
_LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED = const(19)
_LWS_CALLBACK_WSI_CREATE = const(29)

POLLIN = _port.POLLIN
POLLOUT = _port.POLLOUT
POLLERR = _port.POLLERR
POLLHUP = _port.POLLHUP


def _accept(ctx, lwsi):
    """Accept what is pending on the listen socket."""
    while True:
        try:
            r = _port.accept(lwsi.sock)
        except OSError as e:
            lwsl_err("accept failed: %r", e)
            return
        if r is None:
            return
        sock, addr = r
        if ctx.fd_count >= ctx.fd_limit:
            ctx.stats_refused += 1
            lwsl_warn("fd table full (%d): refusing %s:%d", ctx.fd_limit, addr[0], addr[1])
            try:
                sock.close()
            except OSError:
                pass
            continue
        # lws_get_peer_addresses(wsi, fd) from the filter finds the address here
        ctx.accepting = (sock, addr)
        refused = ctx.callback(lwsi, ctx.protocols[0], _LWS_CALLBACK_FILTER_NETWORK_CONNECTION,
                               _port.sock_fd(sock), 0)
        ctx.accepting = None
        if refused:
            lwsl_notice("connection from %s refused by filter", addr[0])
            sock.close()
            continue
        adopt(ctx, sock, addr, None)


def adopt(ctx, sock, addr, readbuf):
    """Make an accepted socket an HTTP connection (lws_adopt_socket)."""
    if ctx.fd_count >= ctx.fd_limit:
        ctx.stats_refused += 1
        lwsl_warn("fd table full: adopted socket refused")
        sock.close()
        return None
    wsi = ctx.new_wsi(sock, ROLE_HTTP, addr)
    ctx.bind_protocol(wsi, ctx.protocols[0])
    info = ctx.info
    if info.ka_time:
        _port.set_keepalive(sock, info.ka_time, info.ka_probes, info.ka_interval)
    _port.set_nodelay(sock)
    ctx.stats_accepted += 1
    if not ctx.insert_wsi(wsi, POLLIN):
        sock.close()
        return None
    ctx.callback(wsi, ctx.protocols[0], _LWS_CALLBACK_WSI_CREATE)
    ctx.callback(wsi, ctx.protocols[0], _LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED)
    role(ROLE_HTTP).adopted(wsi, readbuf)
    return wsi


def _service_wsi(ctx, wsi, revents):
    if wsi.closed:
        return
    if wsi.role == ROLE_LISTEN:
        _accept(ctx, wsi)
        return
    if wsi.role == ROLE_RAW:
        ctx.waker.drain()
        return
    r = role_of(wsi)
    if revents & POLLOUT and not wsi.closed:
        r.writable(wsi)
    if revents & (POLLIN | POLLHUP | POLLERR) and not wsi.closed:
        if wsi.events & POLLIN or revents & (POLLHUP | POLLERR):
            r.readable(wsi, revents)


def _run_pending(ctx):
    """Input already buffered (pipelined requests, a table just freed)."""
    n = len(ctx.pending)
    while n and ctx.pending:
        n -= 1
        wsi = ctx.pending.pop(0)
        wsi.pending_rx = False
        if not wsi.closed:
            _guarded(ctx, wsi, _process_buffered, 0)


def _process_buffered(ctx, wsi, unused):
    role_of(wsi).process_buffered(wsi)


def _guarded(ctx, wsi, fn, arg):
    """Run ``fn(ctx, wsi, arg)``; what it raises (even MemoryError) closes
    that one connection and never leaves lws_service."""
    try:
        fn(ctx, wsi, arg)
    except MemoryError as e:
        lwsl_err("out of memory servicing connection %d", wsi.fd)
        _port.print_exception(e)
        if wsi.role not in (ROLE_LISTEN, ROLE_RAW):
            ctx.fatal(wsi, "out of memory")
    except Exception as e:  # a bug must not take the server down
        lwsl_err("servicing connection %d raised %r", wsi.fd, e)
        _port.print_exception(e)
        if wsi.role not in (ROLE_LISTEN, ROLE_RAW):
            ctx.fatal(wsi, "internal error")


def _after_events(ctx):
    """Buffered input, then (once a second) timeouts and pings."""
    if ctx.pending:
        _run_pending(ctx)
    now = _port.ticks_ms()
    if _port.ticks_diff(now, ctx.last_sweep) >= 1000:
        ctx.last_sweep = now
        _once_a_second(ctx, now)


def _once_a_second(ctx, now):
    ctx.sweep_timeouts(now)
    for m in ROLES:
        if m is not None and hasattr(m, "periodic"):
            try:
                m.periodic(ctx, now)
            except Exception as e:  # MemoryError included
                lwsl_err("periodic service raised %r", e)


def lws_service(ctx, timeout_ms):
    """Wait up to ``timeout_ms`` for activity, service it, return 0.

    0 polls without blocking.  Returns -1 once the context is destroyed.
    """
    if ctx.destroyed:
        return -1
    if ctx.pending:
        timeout_ms = 0
    else:
        # never sleep past the next timeout sweep
        due = 1000 - _port.ticks_diff(_port.ticks_ms(), ctx.last_sweep)
        if due < 0:
            due = 0
        if timeout_ms < 0 or timeout_ms > due:
            timeout_ms = due
    keys = ctx.ready_keys
    revents = ctx.ready_revents
    try:
        n = _port.poll_into(ctx.poll, timeout_ms, keys, revents)
    except OSError as e:
        if e.args and e.args[0] == 4:  # EINTR
            n = 0
        else:
            raise
    lookup = ctx.lookup
    for i in range(n):
        wsi = lookup.get(keys[i])
        keys[i] = None  # no socket kept alive by this table
        if wsi is not None:
            _guarded(ctx, wsi, _service_wsi, revents[i])
    _after_events(ctx)
    return 0


def lws_service_fd(ctx, pollfd):
    """Service one fd an outside poll loop saw ready (lws_service_fd).

    For an lws socket, revents is zeroed and 1 is returned; a foreign fd
    is left alone and 0 returned.  ``pollfd`` None just runs the timeout
    sweep and buffered work.
    """
    if ctx.destroyed:
        return -1
    r = 0
    if pollfd is not None:
        wsi = ctx.find_wsi(pollfd.fd)
        if wsi is not None:
            revents = pollfd.revents
            pollfd.revents = 0
            r = 1
            _guarded(ctx, wsi, _service_wsi, revents)
    _after_events(ctx)
    return r


def lws_service_fd_tsi(ctx, pollfd, tsi=0):
    return lws_service_fd(ctx, pollfd)


def lws_service_adjust_timeout(ctx, timeout_ms, tsi=0):
    """For an outside poll loop: 0 if buffered input waits to be serviced
    (call lws_service_fd(ctx, None) without polling), else ``timeout_ms``."""
    return 0 if ctx.pending else timeout_ms


def lws_cancel_service(ctx):
    """Make a blocked lws_service return now."""
    if ctx.waker is not None:
        ctx.waker.wake()


def lws_cancel_service_pt(wsi):
    lws_cancel_service(wsi.context)


def lws_adopt_socket(ctx, accept_fd):
    """Adopt an already-accepted socket object as an HTTP connection."""
    return lws_adopt_socket_readbuf(ctx, accept_fd, None, 0)


def lws_adopt_socket_readbuf(ctx, accept_fd, readbuf, len_):
    """Adopt a socket, treating ``readbuf[:len_]`` as its first input."""
    try:
        accept_fd.setblocking(False)
    except (AttributeError, OSError):
        lwsl_err("lws_adopt_socket: not a socket")
        return None
    addr = _port.peer_addr(accept_fd)
    if readbuf is not None:
        readbuf = memoryview(readbuf)[:len_]
    return adopt(ctx, accept_fd, addr, readbuf)

