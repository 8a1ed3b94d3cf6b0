"""WebSocket frame codec (RFC 6455 section 5), sans-IO.

``FrameHeader.feed`` collects a frame header from any split of the input;
``build_header`` writes a header for an outgoing frame into a buffer.  The
payload itself never passes through here: the role unmasks and validates it
in place where it was received.
"""

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

# header problems, as the close status they earn
OK = 0
ERR_PROTOCOL = 1002
ERR_TOO_BIG = 1009


class FrameHeader:
    """The header of the frame being received, filled byte run by byte run."""

    def __init__(self):
        self.buf = bytearray(14)
        self.mask = bytearray(4)
        self.reset()

    def reset(self):
        self.have = 0
        self.need = 2
        self.fin = 0
        self.rsv = 0
        self.opcode = 0
        self.masked = 0
        self.length = 0

    def done(self):
        """The header is complete (and decoded): every byte it needs is in.
        (A method: a property on the class would make every attribute store
        on its instances look in the class first, on MicroPython.)"""
        return self.have == self.need

    def feed(self, mv, pos, end):
        """Take header bytes from mv[pos:end]; returns the new pos, and
        ``done()`` says whether the header is complete (and decoded).

        Byte by byte: a header is 2 to 14 bytes, and a slice of mv would be
        an allocation per frame.  (This and _decode run for every frame:
        their frames are kept within the 11 words MicroPython keeps off the
        heap.)"""
        buf = self.buf
        have = self.have
        while have < self.need:
            if pos >= end:
                self.have = have
                return pos
            buf[have] = mv[pos]
            have += 1
            pos += 1
            if have == 2:
                self.need = _header_need(buf[1])
        self.have = have
        self._decode()
        return pos

    def _decode(self):
        buf = self.buf
        self.fin = buf[0] >> 7
        self.rsv = (buf[0] >> 4) & 7
        self.opcode = buf[0] & 0x0F
        self.masked = buf[1] >> 7
        ln = buf[1] & 0x7F
        p = 2
        if ln == 126:
            ln = (buf[2] << 8) | buf[3]
            p = 4
        elif ln == 127:
            ln = 0
            for i in range(2, 10):
                ln = (ln << 8) | buf[i]
            p = 10
        self.length = ln
        if self.masked:
            m = self.mask
            m[0] = buf[p]
            m[1] = buf[p + 1]
            m[2] = buf[p + 2]
            m[3] = buf[p + 3]

    def check(self, masked=True):
        """Protocol rules a header alone can break: OK or a close status.

        ``masked``: whether frames must come masked (a server's view of a
        client) or must not (a client's view of a server, RFC 6455 5.1)."""
        op = self.opcode
        if self.rsv:
            return ERR_PROTOCOL  # no extension negotiated
        if op & 0x08:
            if op > OP_PONG:
                return ERR_PROTOCOL
            if not self.fin or self.length > 125:
                return ERR_PROTOCOL
        elif op > OP_BINARY:
            return ERR_PROTOCOL
        if (1 if masked else 0) != self.masked:
            return ERR_PROTOCOL
        if self.length >> 63:
            return ERR_PROTOCOL
        return OK


def _header_need(b1):
    """A header's length from its second byte (mask bit, length code)."""
    ln = b1 & 0x7F
    return 2 + (4 if b1 & 0x80 else 0) + (2 if ln == 126 else 8 if ln == 127 else 0)


def header_len(length, masked=False):
    n = 2 if length < 126 else 4 if length < 65536 else 10
    return n + 4 if masked else n


def build_header(buf, pos, opcode, fin, length, mask=None):
    """Write a frame header into buf[pos:]; returns the header length."""
    buf[pos] = (0x80 if fin else 0) | opcode
    mbit = 0x80 if mask is not None else 0
    if length < 126:
        buf[pos + 1] = mbit | length
        n = 2
    elif length < 65536:
        buf[pos + 1] = mbit | 126
        buf[pos + 2] = length >> 8
        buf[pos + 3] = length & 0xFF
        n = 4
    else:
        buf[pos + 1] = mbit | 127
        for i in range(8):
            buf[pos + 9 - i] = (length >> (8 * i)) & 0xFF
        n = 10
    if mask is not None:
        buf[pos + n:pos + n + 4] = mask
        n += 4
    return n


def close_payload_status(mv, n):
    """Check a received close payload: (status, close status to answer).

    The first is the peer's code (1005 if none); the second is 0 when the
    payload is valid, else 1002 (bad code or length) -- UTF-8 of the
    reason is checked by the caller.
    """
    if n == 0:
        return 1005, 0
    if n == 1:
        return 1005, 1002
    code = (mv[0] << 8) | mv[1]
    if 3000 <= code <= 4999 or code in _VALID_CLOSE_CODES:
        return code, 0
    return code, 1002


# codes a peer may send (RFC 6455 7.4.1 and the IANA registry)
_VALID_CLOSE_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014)
