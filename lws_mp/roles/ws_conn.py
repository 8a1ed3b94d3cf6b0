"""A WebSocket connection (RFC 6455) with lws' callbacks and write rules:
receiving, control frames, the close handshake and sending, for the
server role (ws_server) and the client role (ws_client) alike.

The sides differ only where RFC 6455 makes them: a server's frames arrive
masked and go out plain, a client's the other way round (a fresh mask per
frame, applied in place by the helper that unmasks), and a client gets the
CLIENT_ callback reasons (``WsConn`` here, ``WsClientConn`` in ws_client).

Input is unmasked and UTF-8 checked in the service buffer and handed to
RECEIVE from there; only a frame that straddles reads is gathered (in an
``rx_buffer_size`` buffer made when needed): RECEIVE gets a whole frame
when it fits ``rx_buffer_size`` (lws' rule), else pieces that size.
"""

from ..core.conn import change_events, conn_read, set_timeout, user_callback
from ..plat import _port
from ..core.log import lwsl_enabled, lwsl_info
from ..core.output import drain_stored
from ..codec.ws_frame import FrameHeader, close_payload_status
from ..core.wsi import (LWSS_AWAITING_CLOSE_ACK, LWSS_DEAD_SOCKET, LWSS_RETURNED_CLOSE_ALREADY,
                        ROLE_WS, peer_str)
from ..plat._port import POLLIN, POLLOUT, const, micropython  # @micropython.native
from .ws_send import send_frame as _send_frame
from builtins import len, memoryview  # one look-up, not two (docs/ARCHITECTURE.md)

# module-private (no RAM, no global look-up on MicroPython): lws', core/wsi's, RFC 6455's
_LLL_INFO = const(8)
_LWSS_ESTABLISHED = const(3)
_LWS_CALLBACK_CLOSED = const(4)
_LWS_CALLBACK_RECEIVE = const(6)
_LWS_CALLBACK_RECEIVE_PONG = const(7)
_LWS_CALLBACK_SERVER_WRITEABLE = const(11)
_LWS_CALLBACK_WS_PEER_INITIATED_CLOSE = const(38)
_LWS_CLOSE_STATUS_NORMAL = const(1000)
_LWS_CLOSE_STATUS_NOSTATUS_CONTEXT_DESTROY = const(9999)
_PENDING_TIMEOUT_CLOSE_ACK = const(6)
_PENDING_TIMEOUT_WS_PONG_CHECK_GET_PONG = const(17)
_OP_TEXT = const(1)
_OP_BINARY = const(2)
_OP_CLOSE = const(8)
_OP_PING = const(9)
_OP_PONG = const(10)

DEFAULT_RX_BUFFER = 4096

class WsConn:
    """Per-connection WebSocket state (defaults as class attributes, as in
    wsi.lws: the instance holds only what changed)."""

    # the server side: frames arrive masked, these callback reasons
    client = False
    RX = _LWS_CALLBACK_RECEIVE
    PONG = _LWS_CALLBACK_RECEIVE_PONG
    WRITEABLE = _LWS_CALLBACK_SERVER_WRITEABLE
    in_payload = False
    remaining = 0  # payload bytes of this frame still to come
    phase = 0  # position in the 4-byte mask
    msg_opcode = 0  # TEXT / BINARY while a message is open
    msg_len = 0
    rxbuf = None
    rxlen = 0
    ctl = None
    ctl_len = 0
    close_sent = False
    ping_pending = False
    # input read but not yet processed because rx flow control stopped it
    stash = None
    stash_pos = 0
    stash_len = 0
    # what the RECEIVE callback may ask about
    cb_remaining = 0
    cb_final = False
    binary = False

    def __init__(self, rx_size):
        self.hdr = FrameHeader()
        self.utf8 = _port.Utf8Validator()
        self.rx_size = rx_size
        self.last_rx = _port.ticks_ms()


# ------------------------------------------------------------ receiving

def readable(wsi, revents):
    ctx = wsi.context
    mv = ctx.serv_mv
    n = conn_read(wsi, mv)
    if not n:
        return
    wsi.ws.last_rx = _port.ticks_ms()
    process(wsi, mv, 0, n)


def buffered(wsi):
    """Input held back by rx flow control, now that it is allowed again."""
    ws = wsi.ws
    if ws is None or not ws.stash_len or wsi.rxflow_disabled:
        return
    pos = ws.stash_pos
    end = pos + ws.stash_len
    ws.stash_len = 0
    stash = ws.stash
    process(wsi, memoryview(stash), pos, end)
    if wsi.ws is not None and not ws.stash_len and ws.stash is stash:
        ws.stash = None  # drained: give the memory back
        if not wsi.rxflow_disabled and not wsi.closed:
            change_events(wsi, POLLIN, 0)


def _hold(wsi, ws, mv, pos, end):
    """Keep mv[pos:end] until rx flow control allows reading again."""
    n = end - pos
    if ws.stash is None or len(ws.stash) < n:
        nb = bytearray(n)
        nb[0:n] = mv[pos:end]
        ws.stash = nb
    else:
        memoryview(ws.stash)[0:n] = mv[pos:end]
    ws.stash_pos = 0
    ws.stash_len = n


@micropython.native
def process(wsi, mv, pos, end):
    ws = wsi.ws
    hdr = ws.hdr
    while pos < end and not wsi.closed:
        if wsi.rxflow_disabled and wsi.state == _LWSS_ESTABLISHED:
            _hold(wsi, ws, mv, pos, end)
            return
        if not ws.in_payload:
            if not hdr.have and end - pos > 5:
                at = _small_message(wsi, ws, mv, pos, end)
                if at:
                    pos = at
                    continue
            pos = hdr.feed(mv, pos, end)
            if not hdr.done():
                return
            if not _frame_start(wsi, ws, hdr):
                return
            if not ws.remaining:
                _payload(wsi, ws, mv[pos:pos], 0)
            continue
        take = ws.remaining if ws.remaining < end - pos else end - pos
        if take > ws.rx_size - ws.rxlen and not hdr.opcode & 8:
            # at most one RECEIVE per pass, so rx flow control turned off
            # by that callback holds back the rest at once, as lws does
            take = ws.rx_size - ws.rxlen
        chunk = mv[pos:pos + take]
        if hdr.masked:
            m, p = hdr.mask, ws.phase
            _port.unmask(chunk, take, m[p], m[(p + 1) & 3], m[(p + 2) & 3], m[(p + 3) & 3])
            ws.phase = (ws.phase + take) & 3
        ws.remaining -= take
        pos += take
        _payload(wsi, ws, chunk, take)


@micropython.native
def _small_message(wsi, ws, mv, pos, end):
    """A whole masked message under 126 bytes at mv[pos:], to a server (ws.utf8
    is between messages): to RECEIVE without the general path's steps, which
    leave the same state.  The position after it, or 0: the general path."""
    n = mv[pos + 1] ^ 0x80  # the mask bit set, the length under 126
    if n > 125 or pos + 6 + n > end or ws.client or ws.msg_opcode or ws.rxlen \
            or wsi.state != _LWSS_ESTABLISHED or n > ws.rx_size:
        return 0
    op = mv[pos] ^ 0x80  # FIN set, no RSV bits: TEXT 1 or BINARY 2
    if op != _OP_TEXT and op != _OP_BINARY:
        return 0
    if n > wsi.context.max_ws_message_size > 0:  # the general path refuses it
        return 0
    chunk = mv[pos + 6:pos + 6 + n]
    _port.unmask(chunk, n, mv[pos + 2], mv[pos + 3], mv[pos + 4], mv[pos + 5])
    pos += 6 + n
    if op == _OP_TEXT and not (ws.utf8.feed(chunk, n) and ws.utf8.complete()):
        _fail(wsi, 1007, "invalid UTF-8")
        return pos
    ws.cb_remaining = 0
    ws.cb_final = True
    ws.binary = op == _OP_BINARY
    if user_callback(wsi, ws.RX, chunk, n):
        wsi.context.close(wsi)
    return pos


def _frame_start(wsi, ws, hdr):
    err = hdr.check(not ws.client)
    if err:  # not ws_frame.OK
        if hdr.opcode == _OP_CLOSE and not ws.close_sent:
            _answer_bad_close(wsi, err)
        else:
            _fail(wsi, err, "bad frame header")
        return False
    op = hdr.opcode
    if op < 8:
        if op == 0:
            if not ws.msg_opcode:
                _fail(wsi, 1002, "continuation without a message")
                return False
        else:
            if ws.msg_opcode:
                _fail(wsi, 1002, "new message inside a fragmented one")
                return False
            ws.msg_opcode = op
            ws.msg_len = 0
            ws.utf8.reset()
        ws.msg_len += hdr.length
        limit = wsi.context.max_ws_message_size
        if limit and ws.msg_len > limit:
            _fail(wsi, 1009, "message too big")
            return False
    ws.remaining = hdr.length
    ws.phase = 0
    ws.in_payload = True
    ws.ctl_len = 0
    return True


def _payload(wsi, ws, chunk, n):
    hdr = ws.hdr
    if hdr.opcode & 8:
        _control(wsi, ws, chunk, n)
    elif wsi.state == _LWSS_ESTABLISHED:
        _data(wsi, ws, chunk, n)
    if not ws.remaining:
        ws.in_payload = False
        if hdr.fin and not hdr.opcode & 8:
            ws.msg_opcode = 0
        hdr.reset()


def _data(wsi, ws, chunk, n):
    if ws.msg_opcode == _OP_TEXT:
        if n and not ws.utf8.feed(chunk, n):
            _fail(wsi, 1007, "invalid UTF-8")
            return
        if not ws.remaining and ws.hdr.fin and not ws.utf8.complete():
            _fail(wsi, 1007, "UTF-8 cut short")
            return
    if not ws.rxlen and n <= ws.rx_size and (n == ws.rx_size or not ws.remaining):
        # the usual case, a frame (or an rx_buffer_size piece of one) whole
        # in what was read: RECEIVE gets it where it lies.  A small frame
        # for this function keeps it off the heap on MicroPython.
        _deliver(wsi, ws, chunk, n, ws.remaining)
        return
    _pieces(wsi, ws, chunk, n)


def _pieces(wsi, ws, chunk, n):
    """RECEIVE in rx_buffer_size pieces, gathering what straddles reads."""
    rx = ws.rx_size
    pos = 0
    while not wsi.closed and wsi.state == _LWSS_ESTABLISHED:
        if ws.rxlen:
            t = rx - ws.rxlen
            if t > n - pos:
                t = n - pos
            ws.rxbuf[ws.rxlen:ws.rxlen + t] = chunk[pos:pos + t]
            ws.rxlen += t
            pos += t
            if ws.rxlen == rx or (pos == n and not ws.remaining):
                left = ws.remaining + n - pos
                m = ws.rxlen
                ws.rxlen = 0
                if not _deliver(wsi, ws, memoryview(ws.rxbuf)[:m], m, left):
                    return
            if pos == n:
                return
            continue
        avail = n - pos
        if avail >= rx or not ws.remaining:
            t = avail if avail < rx else rx
            piece = chunk if not pos and t == n else chunk[pos:pos + t]  # no slice if whole
            if not _deliver(wsi, ws, piece, t, ws.remaining + avail - t):
                return
            pos += t
            if pos == n:
                return
            continue
        # the start of a frame that goes on in the next read: gather it, in
        # a buffer no bigger than this frame needs (at most rx_buffer_size)
        need = avail + ws.remaining
        if need > rx:
            need = rx
        if ws.rxbuf is None or len(ws.rxbuf) < need:
            ws.rxbuf = bytearray(need)
        ws.rxbuf[0:avail] = chunk[pos:n]
        ws.rxlen = avail
        return


def _deliver(wsi, ws, mv, n, left):
    ws.cb_remaining = left
    ws.cb_final = not left and ws.hdr.fin
    ws.binary = ws.msg_opcode == _OP_BINARY
    if user_callback(wsi, ws.RX, mv, n):
        wsi.context.close(wsi)
        return False
    return not wsi.closed


def _control(wsi, ws, chunk, n):
    if ws.remaining or ws.ctl_len:
        if ws.ctl is None:
            ws.ctl = bytearray(125)
        ws.ctl[ws.ctl_len:ws.ctl_len + n] = chunk
        ws.ctl_len += n
        if ws.remaining:
            return
        payload = memoryview(ws.ctl)[:ws.ctl_len]
        n = ws.ctl_len
        ws.ctl_len = 0
    else:
        payload = chunk
    op = ws.hdr.opcode
    ctx = wsi.context
    if op == _OP_PING:
        if not ws.close_sent:
            _send_frame(wsi, _OP_PING + 1, True, payload, n)
    elif op == _OP_PONG:
        if ws.ping_pending:
            ws.ping_pending = False
            if wsi.pending_timeout == _PENDING_TIMEOUT_WS_PONG_CHECK_GET_PONG:
                set_timeout(wsi, 0, 0)
        if user_callback(wsi, ws.PONG, payload, n):
            ctx.close(wsi)
    elif op == _OP_CLOSE:
        _peer_close(wsi, ws, payload, n)


def _peer_close(wsi, ws, payload, n):
    code, err = close_payload_status(payload, n)
    if not err and n > 2:
        ws.utf8.reset()
        if not ws.utf8.feed(payload[2:], n - 2) or not ws.utf8.complete():
            err = 1007
    if ws.close_sent:
        # the answer to our close: the handshake is complete
        _close_now(wsi)
        return
    if err:
        _answer_bad_close(wsi, err)
        return
    if user_callback(wsi, _LWS_CALLBACK_WS_PEER_INITIATED_CLOSE, payload, n):
        _close_now(wsi)
        return
    # echo the peer's close, then close the connection once it is sent
    if code == 1005:
        _send_frame(wsi, _OP_CLOSE, True, b"", 0)
    else:
        _send_frame(wsi, _OP_CLOSE, True, payload[:2], 2)
    ws.close_sent = True
    wsi.state = LWSS_RETURNED_CLOSE_ALREADY
    _close_now(wsi)


def _answer_bad_close(wsi, err):
    """The peer started closing, badly: answer with the error and close
    the connection ourselves, without waiting for anything more."""
    lwsl_info("%s: bad close frame: closing with %d", peer_str(wsi), err)
    p = bytearray((err >> 8, err & 0xFF))
    _send_frame(wsi, _OP_CLOSE, True, p, 2)
    wsi.state = LWSS_RETURNED_CLOSE_ALREADY
    _close_now(wsi)


def _close_now(wsi):
    # the close frame just sent may have found the peer gone (closed already)
    if wsi.ws is not None:
        wsi.ws.close_sent = True
    wsi.context.close(wsi)


def _fail(wsi, status, why):
    """Fail the connection: send a close with ``status``, await the ack."""
    if lwsl_enabled(_LLL_INFO):
        lwsl_info("%s: websocket %s: closing with %d", peer_str(wsi), why, status)
    ws = wsi.ws
    if ws.close_sent:
        _close_now(wsi)
        return
    wsi.close_status = status
    wsi.close_reason = None
    _start_close(wsi)


def _start_close(wsi):
    ws = wsi.ws
    status = wsi.close_status
    reason = wsi.close_reason or b""
    if status and status != _LWS_CLOSE_STATUS_NOSTATUS_CONTEXT_DESTROY:
        p = bytearray(2 + len(reason))
        p[0] = status >> 8
        p[1] = status & 0xFF
        p[2:] = reason
        _send_frame(wsi, _OP_CLOSE, True, p, len(p))
    else:
        _send_frame(wsi, _OP_CLOSE, True, b"", 0)
    ws.close_sent = True
    if wsi.closed:
        return  # the peer was gone already
    wsi.state = LWSS_AWAITING_CLOSE_ACK
    set_timeout(wsi, _PENDING_TIMEOUT_CLOSE_ACK, 5)  # seconds, as lws
    change_events(wsi, POLLIN, 0)


def before_close(wsi):
    """Closing an open WebSocket starts the close handshake first.

    True: the close is deferred until the peer answers (or the timeout).
    """
    ws = wsi.ws
    if ws is None or ws.close_sent or wsi.state != _LWSS_ESTABLISHED:
        return False
    if wsi.close_status == _LWS_CLOSE_STATUS_NOSTATUS_CONTEXT_DESTROY:
        return False
    if not wsi.close_status:
        wsi.close_status = _LWS_CLOSE_STATUS_NORMAL
    _start_close(wsi)
    return not wsi.closed


# ------------------------------------------------------------ sending

def writable(wsi):
    ctx = wsi.context
    if not drain_stored(wsi):
        return
    if wsi.want_writable and wsi.state == _LWSS_ESTABLISHED:
        wsi.want_writable = False
        change_events(wsi, 0, POLLOUT)
        if user_callback(wsi, wsi.ws.WRITEABLE):
            ctx.close(wsi)
        return
    change_events(wsi, 0, POLLOUT)


# ------------------------------------------------------------ lifecycle

def closed(wsi):
    ws = wsi.ws
    wsi.ws = None
    if ws is not None:
        user_callback(wsi, _LWS_CALLBACK_CLOSED)


def periodic(ctx, now):
    """Ping idle server connections when ws_ping_pong_interval is set."""
    ping_idle(ctx, now, ROLE_WS)


def ping_idle(ctx, now, role):
    interval = ctx.info.ws_ping_pong_interval
    if not interval:
        return
    for wsi in ctx.slots:
        if wsi is None or wsi.role != role or wsi.state != _LWSS_ESTABLISHED:
            continue
        ws = wsi.ws
        if ws.ping_pending or _port.ticks_diff(now, ws.last_rx) < interval * 1000:
            continue
        ws.ping_pending = True
        try:
            _send_frame(wsi, _OP_PING, True, b"", 0)
        except Exception as e:  # MemoryError included: this connection only
            lwsl_info("ping failed %r", e)
            wsi.state = LWSS_DEAD_SOCKET
            ctx.close(wsi)
            continue
        set_timeout(wsi, _PENDING_TIMEOUT_WS_PONG_CHECK_GET_PONG, ctx.timeout_secs)


# ------------------------------------------------------------ queries

def lws_remaining_packet_payload(wsi):
    """Bytes of the current frame still to come after this RECEIVE."""
    return wsi.ws.cb_remaining if wsi.ws is not None else 0


def lws_is_final_fragment(wsi):
    return 1 if wsi.ws is not None and wsi.ws.cb_final else 0


def lws_frame_is_binary(wsi):
    return 1 if wsi.ws is not None and wsi.ws.binary else 0


def rx_resume(wsi):
    """rx flow allowed again: input held back goes first (True), reading
    resumes after it."""
    ws = wsi.ws
    if ws is None or not ws.stash_len:
        return False
    if not wsi.pending_rx:
        wsi.pending_rx = True
        wsi.context.pending.append(wsi)
    return True
