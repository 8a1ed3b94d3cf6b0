"""Sending: what the socket does not take now is kept and sent on POLLOUT.

lws calls this the truncated send: lws_write still reports the whole length,
lws_partial_buffered() says a write is pending, and the connection asks for
POLLOUT until it drains.
"""

from .conn import change_events
from ..plat import _port
from .log import lwsl_warn
from ..plat._port import POLLOUT, const
from ..plat._port import micropython  # @micropython.native
from builtins import len, memoryview  # one look-up, not two (docs/ARCHITECTURE.md)

# lws_mp's own state and role numbers (core/wsi, core/role_ops), module-private
# consts: an imported name would be a global, looked up at each use
_LWSS_DEAD_SOCKET = const(7)


def sock_send_part(wsi, buf, off, n):
    """The one send to a connection (TCP, or TLS above it) of
    buf[off:off + n]: what it took, 0 if it would block.  Raises OSError.
    No view of the part is made for a TCP connection."""
    t = wsi.tls
    if t is None:
        return _port.send_part(wsi.sock, buf, off, n)
    return t.send(part(buf, off, n))


def part(buf, off, n):
    """buf[off:off + n] as a buffer: ``buf`` itself when that is all of it
    (a view is an allocation)."""
    return buf if not off and n == len(buf) else memoryview(buf)[off:off + n]


# Bytes held to go out with the connection's next send (hold, hold_room): a
# response head waiting for its body, WebSocket frames; the connection, their
# length, and the buffer (the context's head_buf, made with the context, as
# big as the service buffer up to 1 KB, 64 KB on CPython).  One pass of one
# context at a time holds one.
_held_wsi = None
_held_len = 0
_held_buf = None
_in_pass = False


def pass_begin():
    global _in_pass
    _in_pass = True


def pass_end():
    """The end of a service pass: a head still held goes out now."""
    global _in_pass
    _in_pass = False
    if _held_wsi is not None:
        flush_held()


def hold(wsi, mv):
    """Take ``mv`` (an HTTP response head, any buffer) to go out with the connection's
    next send (its body) or, at the latest, at the end of this service pass:
    one send for a small response instead of two.  Outside a service pass
    (a write from the firmware's own loop) it is sent at once.  Returns
    len(mv), or -1 on a socket error."""
    n = len(mv)
    at = hold_room(wsi, n)
    if at < 0:
        return issue_raw(wsi, mv)
    _port.copy_into(_held_buf, at, mv, 0, n)
    return n


def hold_room(wsi, n):
    """Room for ``n`` bytes in the context's head_buf that go out with the
    connection's next send or at the end of this service pass (small
    WebSocket frames written in one pass leave in one send): the offset to
    write them at, or -1 when they must be sent now (outside a pass, a send
    pending, bigger than the buffer)."""
    global _held_wsi, _held_len, _held_buf
    if not _in_pass or wsi.trunc_len:
        return -1
    buf = wsi.context.head_buf
    if n > len(buf):
        return -1
    if _held_wsi is not None and (_held_wsi is not wsi or _held_len + n > len(_held_buf)):
        flush_held()
        if wsi.closed or wsi.trunc_len:
            return -1  # what went out first did not all go: this waits behind it
    at = _held_len
    _held_buf = buf
    _held_len = at + n
    _held_wsi = wsi
    return at


def held_by(wsi):
    return _held_wsi is wsi


def flush_held():
    """Send what hold() took (the end of a service pass, another
    connection's write, a close)."""
    global _held_wsi, _held_len
    wsi = _held_wsi
    if wsi is None:
        return
    n = _held_len
    _held_wsi = None
    _held_len = 0
    if not wsi.closed and issue(wsi, _held_buf, 0, n) > 0 and wsi.trunc_len:
        wsi.trunc_held = True


def issue_raw(wsi, mv):
    """Send ``mv`` (any buffer) on ``wsi``; returns len(mv), or -1 on a
    socket error."""
    return issue(wsi, mv, 0, len(mv))


@micropython.native
def issue(wsi, buf, off, n):
    """Send buf[off:off + n] on ``wsi``; returns n, or -1 on a socket error."""
    if not n:
        return 0
    if _held_wsi is not None:
        if _held_wsi is wsi and _held_len + n <= len(_held_buf):
            return _with_held(wsi, buf, off, n)
        flush_held()
        if wsi.closed:
            return -1
    if wsi.trunc_len:
        # a write while the last one is still pending: keep order, queue it
        if not wsi.trunc_held:  # (behind held bytes: nobody was told of those)
            lwsl_warn("connection %d: write while a partial send is pending", wsi.fd)
        _store(wsi, buf, off, n)
        return n
    try:
        # (sock_send_part's TCP case without its call: every send comes here)
        sent = _port.send_part(wsi.sock, buf, off, n) if wsi.tls is None \
            else sock_send_part(wsi, buf, off, n)
    except OSError as e:
        wsi.context.fatal(wsi, "send failed %r" % (e,))
        return -1
    if sent < n:
        _store(wsi, buf, off + sent, n - sent)
    return n


@micropython.native
def _with_held(wsi, buf, off, n):
    """The body after its held head: both in one send."""
    global _held_wsi, _held_len
    have = _held_len
    _held_wsi = None
    _held_len = 0
    _port.copy_into(_held_buf, have, buf, off, n)
    return -1 if issue(wsi, _held_buf, 0, have + n) < 0 else n


def _store(wsi, src, off, n):
    have = wsi.trunc_len
    buf = wsi.trunc
    if have and wsi.trunc_off:
        # compact before growing
        bmv = memoryview(buf)
        bmv[0:have] = bmv[wsi.trunc_off:wsi.trunc_off + have]
        wsi.trunc_off = 0
    need = have + n
    if buf is None or len(buf) < need:
        nb = bytearray(need)
        if have:
            memoryview(nb)[0:have] = memoryview(buf)[wsi.trunc_off:wsi.trunc_off + have]
        wsi.trunc = buf = nb
        wsi.trunc_off = 0
    _port.copy_into(buf, have, src, off, n)
    wsi.trunc_len = need
    change_events(wsi, POLLOUT, 0)


def flush(wsi):
    """Send what is kept; True once nothing is left."""
    if not wsi.trunc_len:
        return True
    off = wsi.trunc_off
    try:
        sent = sock_send_part(wsi, wsi.trunc, off, wsi.trunc_len)
    except OSError as e:
        wsi.context.fatal(wsi, "send failed %r" % (e,))
        return False
    wsi.trunc_len -= sent
    wsi.trunc_off = 0 if not wsi.trunc_len else off + sent
    if wsi.trunc_len:
        return False
    if wsi.trunc_held:
        wsi.trunc_held = False  # (assigned only when set: no attribute made per connection)
    # a big one-off buffer is not kept for the life of the connection
    if len(wsi.trunc) > 4096:
        wsi.trunc = None
    return True


def drain_stored(wsi):
    """On writable, before anything new: send what is kept, and close if a
    close was waiting for it.  True when the caller may write more."""
    if wsi.trunc_len and (not flush(wsi) or wsi.closed):
        return False
    if wsi.close_after_flush:
        wsi.state = _LWSS_DEAD_SOCKET
        wsi.context.close(wsi)
        return False
    return True


def lws_partial_buffered(wsi):
    """1 if the last write is still (partly) buffered, else 0."""
    return 1 if wsi.trunc_len else 0
