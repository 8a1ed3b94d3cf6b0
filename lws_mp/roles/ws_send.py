"""Sending WebSocket frames (lws_write on a WebSocket), server and client.

A server's frames go out plain; a client's get a fresh mask each (RFC 6455
5.3), applied in place in the transmit buffer by the same helper that
unmasks received frames (XOR is its own inverse).  The masks come 4 bytes
at a time from a pool of os.urandom bytes drawn 64 at a time into one
reusable array, so masking allocates nothing per frame.
"""

from ..codec.ws_frame import build_header, header_len
from ..core.output import hold_room, issue
from ..plat import _port
from ..plat._port import const
from ..plat._port import micropython  # @micropython.native
from builtins import isinstance, len, memoryview  # one look-up, not two (docs/ARCHITECTURE.md)

# lws_mp's own state and role numbers (core/wsi, core/role_ops), module-private
# consts: an imported name would be a global, looked up at each use
_LWSS_ESTABLISHED = const(3)

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_WRITE_CLIENT_IGNORE_XOR_MASK = const(128)
_LWS_WRITE_NO_FIN = const(64)

# opcode by lws_write protocol (LWS_WRITE_TEXT 0, BINARY 1, CONTINUATION 2,
# PING 5, PONG 6); 0xFF where a WebSocket sends nothing (HTTP 3, CLOSE 4).
# Seven bytes, where a dict would hold a table of entries.
# (ws_frame's OP_TEXT 1, OP_BINARY 2, OP_CONTINUATION 0, OP_PING 9, OP_PONG
# 10, written out: five imported names would be five more module globals)
_OPCODES = b"\x01\x02\x00\xff\xff\x09\x0a"

_rand = b""
_rand_pos = 64
_mask = bytearray(4)


def _new_mask():
    global _rand, _rand_pos
    p = _rand_pos
    if p >= 64:
        _rand = _port.urandom(64)
        p = 0
    r = _rand
    m = _mask
    m[0] = r[p]
    m[1] = r[p + 1]
    m[2] = r[p + 2]
    m[3] = r[p + 3]
    _rand_pos = p + 4
    return m


def _put_mask(buf, pos, hpos):
    """A fresh mask at buf[pos:pos + 4], flagged in the header at hpos."""
    m = _new_mask()
    buf[hpos + 1] |= 0x80
    buf[pos] = m[0]
    buf[pos + 1] = m[1]
    buf[pos + 2] = m[2]
    buf[pos + 3] = m[3]
    return m


def send_frame(wsi, opcode, fin, payload, n):
    """One frame of payload[:n]: masked on a client, plain on a server."""
    ws = wsi.ws
    if ws is not None and ws.client:
        return _send_masked(wsi, opcode, fin, payload, n)
    return _send_plain(wsi, opcode, fin, payload, n)


def _send_plain(wsi, opcode, fin, payload, n):
    ctx = wsi.context
    at = hold_room(wsi, header_len(n) + n)
    if at >= 0:
        # to leave with what else this pass writes to the connection
        tx = ctx.head_buf
        _port.copy_into(tx, at + build_header(tx, at, opcode, fin, n), payload, 0, n)
        return n
    tx = ctx.ws_tx
    h = build_header(tx, 0, opcode, fin, n)
    if h + n <= len(tx):
        # the payload as it is when it is all of it: no slice made
        tx[h:h + n] = payload if len(payload) == n else payload[:n]
        return issue(wsi, tx, 0, h + n)
    if issue(wsi, tx, 0, h) < 0:
        return -1
    return issue(wsi, payload, 0, n)


def _send_masked(wsi, opcode, fin, payload, n):
    ctx = wsi.context
    tx = ctx.ws_tx
    mv = ctx.ws_tx_mv
    h = build_header(tx, 0, opcode, fin, n)
    m = _put_mask(tx, h, 0)
    h += 4
    if h + n <= len(tx):
        mv[h:h + n] = payload[:n]
        _port.unmask(mv[h:h + n], n, m[0], m[1], m[2], m[3])
        return issue(wsi, tx, 0, h + n)
    # bigger than the transmit buffer and no headroom given: one buffer
    # made for this frame (lws_write with LWS_PRE headroom never gets here)
    frame = bytearray(h + n)
    fm = memoryview(frame)
    fm[0:h] = mv[0:h]
    fm[h:h + n] = payload[:n]
    _port.unmask(fm[h:h + n], n, m[0], m[1], m[2], m[3])
    return issue(wsi, fm, 0, len(fm))


@micropython.native
def write(wsi, buf, len_, wp, pre):
    """lws_write on a WebSocket: one frame of ``len_`` payload bytes.

    A client's frame is masked.  With LWS_PRE headroom the header and mask
    go into the headroom and, as in lws, the payload is masked in place:
    the caller's buffer holds the masked bytes afterwards.  Without
    headroom the payload is copied into the transmit buffer and masked
    there.  LWS_WRITE_CLIENT_IGNORE_XOR_MASK sends a client frame unmasked
    (only to test a server's rules).
    """
    ws = wsi.ws
    if ws.close_sent or wsi.state != _LWSS_ESTABLISHED:
        return -1
    op = wp & 0x3F
    if op >= len(_OPCODES):
        return -1
    op = _OPCODES[op]
    if op == 0xFF:
        return -1
    fin = not wp & _LWS_WRITE_NO_FIN
    if op & 8 and (len_ > 125 or not fin):
        return -1
    if ws.client and not wp & _LWS_WRITE_CLIENT_IGNORE_XOR_MASK:
        return _write(wsi, buf, len_, op | (0x80 if fin else 0), pre, True)
    tx = wsi.context.ws_tx
    if len_ < 126 and not pre and len_ + 2 <= len(tx):
        # a small server frame without headroom (an echo, a reading): its
        # header and a copy of it, in this one call (a Python call whose
        # frame passes 11 words costs a heap allocation on MicroPython),
        # held to leave with the others this pass writes (one send for the
        # echoes of one read), else in the transmit buffer and sent now
        at = hold_room(wsi, 2 + len_)
        h = at if at >= 0 else 0
        if at >= 0:
            tx = wsi.context.head_buf
        tx[h] = op | 0x80 if fin else op
        tx[h + 1] = len_
        _port.copy_into(tx, h + 2, buf, 0, len_)
        if at >= 0:
            return len_
        return -1 if issue(wsi, tx, 0, 2 + len_) < 0 else len_
    return _write(wsi, buf, len_, op | (0x80 if fin else 0), pre, False)


def _write(wsi, buf, len_, op_fin, pre, masked):
    """write() for the rest: a client's frames, headroom, big frames."""
    op = op_fin & 0x0F
    fin = op_fin >> 7
    hlen = header_len(len_, masked)
    if pre >= hlen and not isinstance(buf, bytes):
        # the caller left LWS_PRE headroom: the header goes there, no copy
        try:
            build_header(buf, pre - hlen, op, fin, len_)
            room = True
        except TypeError:  # a read-only buffer after all: copy instead
            room = False
        if room:
            if masked:
                m = _put_mask(buf, pre - 4, pre - hlen)
                _port.unmask(memoryview(buf)[pre:pre + len_], len_, m[0], m[1], m[2], m[3])
            r = issue(wsi, buf, pre - hlen, hlen + len_)
            return -1 if r < 0 else len_
    if not pre and len_ == len(buf):
        payload = buf  # all of it (RECEIVE's own view, echoed): no new view
    else:
        payload = memoryview(buf)[pre:pre + len_]
    if masked:
        r = _send_masked(wsi, op, fin, payload, len_)
    else:
        r = _send_plain(wsi, op, fin, payload, len_)
    return -1 if r < 0 else len_
