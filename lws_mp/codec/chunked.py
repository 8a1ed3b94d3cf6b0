"""Chunked transfer-coding decoder (sans-IO).

RFC 9112 7.1: chunk-size [ BWS ";" chunk-ext ] CRLF data CRLF ... then
"0" CRLF, trailer field lines (name ":" value), CRLF.  Size lines, extensions and trailers are
bounded (MAX_SIZE_DIGITS, MAX_EXT, MAX_TRAILER) so a peer cannot make the
decoder wait on them forever; extensions and trailers are skipped.
"""

from . import const

# the decoder's states (module-private: folded away on MicroPython); S_DONE
# is the one its users test
_S_SIZE = const(0)
_S_EXT = const(1)
_S_SIZE_LF = const(2)
_S_DATA = const(3)
_S_DATA_CR = const(4)
_S_DATA_LF = const(5)
_S_TRAILER = const(6)
S_DONE = const(7)
_S_SIZE_WS = const(8)  # whitespace after the size: only ';' or CR may follow
_S_TRAILER_LF = const(9)

MAX_SIZE_DIGITS = const(15)
MAX_EXT = const(256)
MAX_TRAILER = const(2048)

ERROR = const(-1)

# bytes allowed in a trailer field's name (RFC 9110 5.6.2 tchar)
_TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class ChunkedDecoder:
    def __init__(self):
        self.state = _S_SIZE
        self.size = 0
        self.digits = 0
        self.remaining = 0
        self.count = 0  # bytes of extensions / trailers seen
        self.line_len = 0  # length of the current trailer line
        self.colon = False  # the current trailer line's name has ended

    def step(self, mv):
        """Consume from ``mv``: returns (used, data_off, data_len).

        At most one run of body data is reported per call, at
        ``mv[data_off:data_off + data_len]``.  ``used`` is ERROR on bad
        framing; ``self.state == S_DONE`` once the last chunk and trailers
        are through.
        """
        n = len(mv)
        i = 0
        while i < n:
            st = self.state
            if st == _S_DATA:
                take = self.remaining if self.remaining < n - i else n - i
                self.remaining -= take
                if not self.remaining:
                    self.state = _S_DATA_CR
                return i + take, i, take
            c = mv[i]
            i += 1
            if st == _S_SIZE:
                if 48 <= c <= 57 or 97 <= c <= 102 or 65 <= c <= 70:
                    self.digits += 1
                    if self.digits > MAX_SIZE_DIGITS:
                        return ERROR, 0, 0
                    self.size = (self.size << 4) | (c - 48 if c <= 57 else (c | 32) - 87)
                elif not self.digits:
                    return ERROR, 0, 0
                elif c == 13:
                    self.state = _S_SIZE_LF
                elif c == 59:  # ';' starts an extension
                    self.state = _S_EXT
                elif c == 32 or c == 9:  # BWS
                    self.state = _S_SIZE_WS
                else:
                    return ERROR, 0, 0
            elif st == _S_EXT or st == _S_SIZE_WS:
                self.count += 1
                if self.count > MAX_EXT:
                    return ERROR, 0, 0
                if c == 13:
                    self.state = _S_SIZE_LF
                elif c == 59:
                    self.state = _S_EXT
                elif st == _S_SIZE_WS:
                    if c != 32 and c != 9:
                        return ERROR, 0, 0
                elif (c < 32 and c != 9) or c == 127:  # no CTL in an extension
                    return ERROR, 0, 0
            elif st == _S_SIZE_LF:
                if c != 10:
                    return ERROR, 0, 0
                if self.size:
                    self.remaining = self.size
                    self.state = _S_DATA
                else:
                    self.state = _S_TRAILER
                    self.count = 0
                    self.line_len = 0
                self.size = 0
                self.digits = 0
            elif st == _S_DATA_CR:
                if c != 13:
                    return ERROR, 0, 0
                self.state = _S_DATA_LF
            elif st == _S_DATA_LF:
                if c != 10:
                    return ERROR, 0, 0
                self.state = _S_SIZE
                self.count = 0
            elif st == _S_TRAILER or st == _S_TRAILER_LF:
                self.count += 1
                if self.count > MAX_TRAILER:
                    return ERROR, 0, 0
                if st == _S_TRAILER_LF:
                    if c != 10:
                        return ERROR, 0, 0
                    if self.line_len == 0:
                        self.state = S_DONE
                        return i, 0, 0
                    self.line_len = 0
                    self.colon = False
                    self.state = _S_TRAILER
                elif c == 13:
                    if self.line_len and not self.colon:
                        return ERROR, 0, 0  # a field line is name ":" value
                    self.state = _S_TRAILER_LF
                elif (c < 32 and c != 9) or c == 127:
                    return ERROR, 0, 0
                else:
                    if not self.colon:
                        if c == 58 and self.line_len:
                            self.colon = True
                        elif c not in _TCHAR:
                            return ERROR, 0, 0  # the name is a token (RFC 9112 5.1)
                    self.line_len += 1
            else:  # S_DONE
                return i - 1, 0, 0
        return i, 0, 0
