"""Incremental HTTP/1.x response-head parser (sans-IO), for the clients.

Bytes arrive in a HeaderTable's buffer in any split; ``parse_response``
finds the end of the head and fills the table's fragment index the way lws
does for a client: the status line's code and reason ("101 Switching
Protocols") as WSI_TOKEN_HTTP (HTTP/1.1) or WSI_TOKEN_HTTP1_0 (HTTP/1.0),
then each known header by name; unknown headers are dropped.  Whatever
follows the head (WebSocket frames, the start of a body) stays in the
buffer from ``ah.hdr_end`` on.

Errors are a short reason (str) for CLIENT_CONNECTION_ERROR.
"""

from .header_names import token_of, value_bounds
from . import const

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_WSI_TOKEN_HTTP = const(15)
_WSI_TOKEN_HTTP1_0 = const(79)

NEED_MORE = 0
COMPLETE = 1

# bytes allowed in a header name (RFC 7230 tchar)
_TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def parse_response(ah, token_limits=None):
    """Parse what ``ah`` holds: NEED_MORE, COMPLETE or a reason (str)."""
    data = ah.data
    n = ah.rxlen
    if n >= 5 and data.find(b"HTTP/", 0, 5) != 0:
        return "not an HTTP response"
    end = data.find(b"\r\n\r\n", ah.scan, n)
    if end < 0:
        if n >= ah.size:
            return "response headers larger than the header table (%d bytes)" % ah.size
        ah.scan = n - 3 if n > 3 else 0
        return NEED_MORE
    ah.hdr_end = end + 4
    ah.body_pos = end + 4
    if data.find(b"\x00", 0, end) >= 0:
        return "NUL in the response headers"
    eol = data.find(b"\r\n", 0, end + 2)
    err = _status_line(ah, eol)
    if err:
        return err
    return _headers(ah, eol + 2, end + 2, token_limits)


def _status_line(ah, eol):
    # HTTP-version SP 3DIGIT SP reason-phrase (the reason may be empty, and
    # a bare "HTTP/1.1 200" is taken too)
    data = ah.data
    if eol < 12 or data[5] != 49 or data[6] != 46 or data[8] != 32:  # "1", ".", " "
        return "bad status line"
    minor = data[7] - 48
    if minor < 0 or minor > 9:
        return "bad status line"
    for i in range(9, 12):
        if data[i] < 48 or data[i] > 57:
            return "bad status code"
    if eol > 12 and data[12] != 32:
        return "bad status line"
    ah.http_version = 10 if minor == 0 else 11
    ah.add_frag(_WSI_TOKEN_HTTP1_0 if minor == 0 else _WSI_TOKEN_HTTP, 9, eol - 9)
    return None


def response_status(ah):
    """The status code of the parsed response (0 if there is none)."""
    fr = ah.frag(_WSI_TOKEN_HTTP, 0) or ah.frag(_WSI_TOKEN_HTTP1_0, 0)
    if fr is None:
        return 0
    d = ah.data
    o = fr[0]
    return (d[o] - 48) * 100 + (d[o + 1] - 48) * 10 + d[o + 2] - 48


def _limit(token_limits, token):
    if token_limits is None or token_limits.token_len is None:
        return -1
    limits = token_limits.token_len
    return limits[token] if token < len(limits) else -1


def _headers(ah, pos, end, token_limits):
    data = ah.data
    while pos < end:
        le = data.find(b"\r\n", pos, end)
        if le < 0:
            le = end
        c0 = data[pos]
        if c0 == 32 or c0 == 9:
            return "obsolete line folding in the response headers"
        colon = data.find(b":", pos, le)
        if colon <= pos:
            return "malformed response header line"
        for i in range(pos, colon):
            if data[i] not in _TCHAR:
                return "malformed response header name"
        vs, ve = value_bounds(data, colon + 1, le)
        if data.find(b"\r", vs, ve) >= 0 or data.find(b"\n", vs, ve) >= 0:
            return "bare CR or LF in a response header"
        token = token_of(bytes(ah.mv[pos:colon]).lower())
        if token is not None:
            lim = _limit(token_limits, token)
            if lim >= 0 and ve - vs > lim:
                return "response header longer than its token limit"
            if not ah.add_frag(token, vs, ve - vs):
                return "too many response headers for the header table"
        pos = le + 2
    return COMPLETE
