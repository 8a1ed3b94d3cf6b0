"""The service loop: one poll, accept, dispatch to roles, 1 Hz timeouts."""

from .context import remove_wsi_socket_from_fds
from ..plat import _port
from .log import lwsl_err, lwsl_exception
from . import output
from .output import flush_held, pass_begin, pass_end
from .role_ops import ROLE_OPS, ops_of
from ..plat._port import POLLERR, POLLHUP, POLLIN, POLLOUT, const
from ..plat._port import micropython  # @micropython.native

# lws_mp's own state and role numbers (core/wsi, core/role_ops), module-private
# consts: an imported name would be a global, looked up at each use
_ROLE_LISTEN = const(0)
_ROLE_RAW = const(3)


def _service_wsi(ctx, wsi, revents):
    """A connection's poll events to its role, for the TLS-pending list and
    an outside poll loop; _ready_guarded has the same lines inline (as a
    call, some 1,500 instructions more for every event)."""
    if wsi.closed:
        return
    r = ops_of(wsi)
    if revents & POLLOUT and not wsi.closed:
        r.writable(wsi)
    if revents & (POLLIN | POLLHUP | POLLERR) and not wsi.closed:
        if wsi.events & POLLIN or revents & (POLLHUP | POLLERR):
            r.readable(wsi, revents)


# What a connection's service raises (even MemoryError) closes that one
# connection and never leaves lws_service.  The guard is one try around all
# the connections of a poll (or of the pending list), not one each: a frame
# with a try is a heap allocation at every call.  After a raise, the
# service goes on with the next connection under a new guard.


def _run_pending(ctx):
    """Input already buffered (pipelined requests, a table just freed)."""
    n = len(ctx.pending)
    while n and ctx.pending:
        n = _pending_guarded(ctx, n)


@micropython.native
def _pending_guarded(ctx, n):
    """Up to ``n`` connections of the pending list: how many are left to
    take after one raised, else 0."""
    pending = ctx.pending
    wsi = None
    try:
        while n and pending:
            n -= 1
            wsi = pending.pop(0)
            wsi.pending_rx = False
            if not wsi.closed:
                pass_begin()
                ops_of(wsi).buffered(wsi)
                pass_end()  # a response head still waiting for its body goes out
        return 0
    except Exception as e:  # MemoryError included: a bug must not take the server down
        _raised(ctx, wsi, e)
    return n


@micropython.native
def _ready_guarded(ctx, i, n):
    """The ready sockets i..n-1 of this poll: the index after one that
    raised, else n.  One service pass for them all: what one connection's
    pass held (a head waiting for its body) goes out before the next one's
    turn, without a pass ended and begun again for each."""
    keys = ctx.ready_keys
    revs = ctx.ready_revents
    lookup = ctx.lookup
    wsi = None
    pass_begin()
    try:
        while i < n:
            wsi = lookup.get(keys[i])
            keys[i] = None  # no socket kept alive by this table
            rev = revs[i]
            i += 1
            if wsi is None or wsi.closed:
                continue
            # _service_wsi, inline: the one dispatch every event takes
            r = ROLE_OPS[wsi.role]
            if r is None:
                r = ops_of(wsi)
            if rev & POLLOUT:
                r.writable(wsi)
            if rev & (POLLIN | POLLHUP | POLLERR) and not wsi.closed and \
                    (wsi.events & POLLIN or rev & (POLLHUP | POLLERR)):
                r.readable(wsi, rev)
            if output._held_wsi is not None:
                flush_held()
        pass_end()
        return n
    except Exception as e:
        _raised(ctx, wsi, e)  # which ends the pass
    return i


def _guarded(ctx, wsi, fn, arg):
    """Run ``fn(ctx, wsi, arg)`` under the guard, for one connection."""
    pass_begin()
    try:
        fn(ctx, wsi, arg)
        pass_end()
    except Exception as e:
        _raised(ctx, wsi, e)


def _raised(ctx, wsi, e):
    if wsi is None:  # before any connection was taken
        lwsl_err("service raised %r", e)
        lwsl_exception(e)
        return
    if isinstance(e, MemoryError):
        lwsl_err("out of memory servicing connection %d", wsi.fd)
        why = "out of memory"
    else:
        lwsl_err("servicing connection %d raised %r", wsi.fd, e)
        why = "internal error"
    lwsl_exception(e)
    _close_after(ctx, wsi, why)
    pass_end()  # it raised and is closed: anyone else's held head goes out


def _close_after(ctx, wsi, why):
    if wsi.role in (_ROLE_LISTEN, _ROLE_RAW):
        return
    try:
        ctx.fatal(wsi, why)
    except MemoryError:
        # the close path ran out of heap too: take it out without callbacks
        lwsl_err("out of memory closing connection %d: dropped", wsi.fd)
        drop(ctx, wsi)


def drop(ctx, wsi):
    """The last resort when closing failed (the heap ran out in the close
    path too): out of the header pool, the pending list and the fd table,
    and the socket closed, without the close callbacks."""
    try:
        ctx.header_pool.detach(wsi)  # a waiter it cannot go to gets one later
    except MemoryError:
        pass
    if wsi in ctx.pending:
        ctx.pending.remove(wsi)
    try:
        remove_wsi_socket_from_fds(ctx, wsi)
    finally:
        try:
            (wsi.sock if wsi.tls is None else wsi.tls).close()
        except OSError:
            pass


def _run_tls_pending(ctx):
    """Input TLS has decrypted and holds, which poll cannot see (lws'
    pending_read_list): serviced as POLLIN, while the connection reads."""
    lst = ctx.tls_pending
    n = len(lst)
    while n and lst:
        n -= 1
        wsi = lst.pop(0)
        if not wsi.closed and wsi.events & POLLIN:
            _guarded(ctx, wsi, _service_wsi, POLLIN)


def _after_events(ctx):
    """Buffered input, then (once a second) timeouts and pings."""
    if ctx.tls_pending:
        _run_tls_pending(ctx)
    if ctx.pending:
        _run_pending(ctx)
    now = _port.ticks_ms()
    if _port.ticks_diff(now, ctx.last_sweep) >= 1000:
        ctx.last_sweep = now
        _once_a_second(ctx, now)


def _once_a_second(ctx, now):
    ctx.sweep_timeouts(now)
    for o in ROLE_OPS:
        if o is not None and o.periodic is not None:
            try:
                o.periodic(ctx, now)
            except Exception as e:  # MemoryError included
                lwsl_err("periodic service raised %r", e)


@micropython.native
def lws_service(ctx, timeout_ms):
    """Wait up to ``timeout_ms`` for activity, service it, return 0.

    0 polls without blocking.  A negative ``timeout_ms`` does not poll: as
    v2.1's "forced service", it runs only input already buffered (and the
    1 Hz sweep if one is due, when there was some).  Returns -1 once the
    context is destroyed.
    """
    if ctx.destroyed:
        return -1
    if timeout_ms < 0:
        if ctx.pending or ctx.tls_pending:
            _after_events(ctx)
        return 0
    if ctx.pending or ctx.tls_pending:
        timeout_ms = 0
    else:
        # never sleep past the next timeout sweep
        due = 1000 - _port.ticks_diff(_port.ticks_ms(), ctx.last_sweep)
        if due < 0:
            due = 0
        if timeout_ms > due:
            timeout_ms = due
    keys = ctx.ready_keys
    revents = ctx.ready_revents
    try:
        n = _port.poll_into(ctx.poll, timeout_ms, keys, revents)
    except OSError as e:
        if e.args and e.args[0] == 4:  # EINTR
            n = 0
        else:
            raise e
    i = 0
    while i < n:
        i = _ready_guarded(ctx, i, n)
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
    return 0 if ctx.pending or ctx.tls_pending else timeout_ms


def lws_cancel_service(ctx):
    """Make a blocked lws_service return now."""
    if ctx.waker is not None:
        ctx.waker.wake()


def lws_cancel_service_pt(wsi):
    lws_cancel_service(wsi.context)
