"""What the core does for one connection, as module functions: its
protocol callbacks, poll events, header table, timeout and reads.

They are functions, not methods of the context: a method is first looked
for among the context's own fields (a MicroPython instance table is kept at
least ~80 % full, so a miss probes far) before its class is searched, some
1,300 instructions a call more, and every request and message makes several.
"""

from ..plat import _port
from .log import lwsl_err, lwsl_exception, lwsl_info
from ..plat._port import const
from ..plat._port import micropython  # @micropython.native
from builtins import len  # one look-up, not two (docs/ARCHITECTURE.md)

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_CALLBACK_CHANGE_MODE_POLL_FD = const(34)
_LWS_CALLBACK_LOCK_POLL = const(35)
_LWS_CALLBACK_UNLOCK_POLL = const(36)
_PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE = const(15)


@micropython.native
def protocol_callback(wsi, protocol, reason, in_=None, len_=0):
    """Call a protocol's callback; a raise is logged and becomes -1 (close)."""
    # (``is not None``, here and in the hot paths: an instance's truth is a
    # search of its class for __bool__ and __len__, ~850 instructions on
    # MicroPython, against ~0)
    try:
        return protocol.callback(wsi, reason, wsi.user_space if wsi is not None else None,
                                 in_, len_) or 0
    except Exception as e:  # contain it to this connection
        lwsl_err("callback %s reason %d raised %r", protocol.name, reason, e)
        lwsl_exception(e)
        return -1


@micropython.native
def user_callback(wsi, reason, in_=None, len_=0):
    """protocol_callback() for the connection's protocol, in one call:
    every received message and HTTP event comes through here, and each
    Python call with a try costs a heap-allocated frame."""
    p = wsi.protocol
    if p is None:
        p = wsi.context.protocols[0]
    try:
        return p.callback(wsi, reason, wsi.user_space, in_, len_) or 0
    except Exception as e:  # contain it to this connection
        lwsl_err("callback %s reason %d raised %r", p.name, reason, e)
        lwsl_exception(e)
        return -1


def change_events(wsi, set_bits, clear_bits):
    ev = (wsi.events | set_bits) & ~clear_bits
    if ev != wsi.events and wsi.slot >= 0:
        _events_changed(wsi.context, wsi, ev)


@micropython.native
def _events_changed(ctx, wsi, ev):
    quiet = ctx.protocol0_dummy
    prev = wsi.events
    if not quiet:
        protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_LOCK_POLL, None, 0)
    wsi.events = ev
    ctx.poll.modify(wsi.sock, ev)
    if not quiet:
        ctx._poll_callback(wsi, _LWS_CALLBACK_CHANGE_MODE_POLL_FD, prev)
        protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_UNLOCK_POLL, None, 0)
    if ev & _port.POLLIN and wsi.tls is not None and wsi.tls.pending():
        ctx.tls_rx_pending(wsi)


def release_ah(wsi):
    """Give the header table back; the next waiter (if any) gets it."""
    ctx = wsi.context
    nxt = ctx.header_pool.detach(wsi)
    if nxt is not None and not nxt.closed:
        lwsl_info("header table handed to waiting connection %d", nxt.fd)
        if not nxt.rxflow_disabled:
            change_events(nxt, _port.POLLIN, 0)
        set_timeout(nxt, _PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, ctx.timeout_secs)


def attach_ah(wsi):
    """Get a header table, or wait for one with POLLIN off."""
    if wsi.context.header_pool.attach(wsi):
        return True
    lwsl_info("no free header table: connection %d waits", wsi.fd)
    change_events(wsi, 0, _port.POLLIN)
    set_timeout(wsi, 0, 0)
    return False


def set_timeout(wsi, reason, secs):
    # as v2.1: reason 0 clears; a reason with secs 0 is due at once
    # (the next 1 Hz sweep)
    wsi.pending_timeout = reason
    if reason:
        wsi.timeout_at = _port.ticks_add(_port.ticks_ms(), secs * 1000)


def conn_recv(wsi, mv):
    """recv_into on the connection, through its TLS if it has one: the byte
    count, None when nothing is there yet, 0 at its end; OSError on an
    error."""
    t = wsi.tls
    if t is None:
        return _port.recv_into(wsi.sock, mv)
    n = t.recv_into(mv)
    if n and n == len(mv) and t.pending():
        wsi.context.tls_rx_pending(wsi)
    return n


@micropython.native
def conn_read(wsi, mv):
    """Read what the socket has into ``mv``: the byte count, or 0 when
    nothing is there yet or the connection just ended (then closed)."""
    try:
        # a TCP connection's read without conn_recv's call: every request's
        n = _port.recv_into(wsi.sock, mv) if wsi.tls is None else conn_recv(wsi, mv)
    except OSError as e:
        wsi.context.fatal(wsi, "recv failed %r" % (e,))
        return 0
    if n is None:
        return 0
    if n == 0:
        wsi.context.fatal(wsi, "peer closed")
    return n


def read_ah(wsi):
    """Read into the free rest of ``wsi``'s header table: the bytes it
    gained, 0 as conn_read() (nothing yet, or the connection ended)."""
    ah = wsi.ah
    # into the whole table when it is empty (the usual case): no view
    n = conn_read(wsi, ah.mv[ah.rxlen:ah.size] if ah.rxlen else ah.mv)
    if n:
        ah.rxlen += n
    return n
