"""The HTTP parser's byte loops in plain Python: the end of the head, the
request line, the header lines into the fragment index (a line's bounds,
its name lowercased and looked up), and the search for a control byte.

These are the contracts; plat/_viper has them in machine code, which the
server passes the parser on MicroPython (_port.parse_scan).  This module is
loaded only where the parser is given none (CPython, and a parser called on
its own): a board does not keep these functions in RAM.
"""

from .frag_index import add_frag
from .header_names import LOWER_TCHAR, NAMES


def head_end(data, start, n):
    """Where the CRLF CRLF that ends a request head lies in data[start:n],
    -1 if it is not in yet, -2 if a NUL comes first."""
    start = max(start, 0)
    end = data.find(b"\r\n\r\n", start, n)
    nul = data.find(b"\x00", start, n if end < 0 else end)
    return -2 if nul >= 0 else end


def header_line(data, pos, end, out):
    """One header line from data[pos] within data[pos:end]: the index of
    its CRLF (or end), with out[0] its colon and out[1]:out[2] its value
    without the whitespace around it; -1 if it is bad: folded (it starts
    with SP or HT), no name before a colon, a CR or LF that does not end
    the line."""
    if pos < 0 or pos >= end or end > len(data):
        return -1
    c = data[pos]
    if c == 32 or c == 9:
        return -1
    le = data.find(b"\r\n", pos, end)
    if le < 0:
        le = end
    if data.find(b"\r", pos, le) >= 0 or data.find(b"\n", pos, le) >= 0:
        return -1
    colon = data.find(b":", pos, le)
    if colon <= pos:
        return -1
    vs = colon + 1
    ve = le
    while vs < ve and data[vs] in b" \t":
        vs += 1
    while ve > vs and data[ve - 1] in b" \t":
        ve -= 1
    out[0] = colon
    out[1] = vs
    out[2] = ve
    return le


def header_token(data, pos, end, names=NAMES, table=LOWER_TCHAR):
    """WSI_TOKEN_* of the header name data[pos:end] (a bytearray), -1 if it
    is not a token, -2 for a name lws does not know.

    The name is lowercased in place (names are case-insensitive and the
    table keeps values only), then looked up in ``names``: a part of
    header_block's contract (plat/_viper.header_block has it inline)."""
    n = end - pos
    if n <= 0:
        return -1
    for i in range(pos, end):
        c = table[data[i]]
        if not c:
            return -1
        data[i] = c
    if n > 31:
        return -2  # longer than any name lws knows
    i = names.find(bytes((n,)) + data[pos:end] + b":")
    return -2 if i < 0 else names[i + n + 2] - 0x80


def ctl_at(buf, start, end):
    """The first index in buf[start:end] of a control byte or DEL, or -1.
    plat/_viper.ctl_at is this in machine code."""
    for i in range(start, end):
        c = buf[i]
        if c < 32 or c == 127:
            return i
    return -1


# request_line's out[4]: the path is stored as it is
PATH_PLAIN = 1


def request_line(data, eol, out, methods, table):
    """The request line data[0:eol], 'METHOD SP request-target SP
    HTTP/x.y', checked without changing it: the version (10, or 11 for any
    other 1.x), or -400 (malformed), -505 (not HTTP/1), -501 (a method
    token ``methods`` does not have).

    ``methods``: each name between spaces, its URI token + 0x80 after it
    (http_parser._METHODS); ``table``: nonzero for a token byte
    (header_names.LOWER_TCHAR).  ``out`` (five unsigned 16-bit words):
    out[0] and out[1] the two spaces, out[2] the method's URI token (+ 256
    for HEAD), out[3] where the target's query starts (its '?', or out[1]),
    out[4] PATH_PLAIN when the target's path is origin-form and is stored
    as it is: no '%', no control byte or DEL, no '\\', no "/." or "//"."""
    sp1 = data.find(b" ", 0, eol)
    if sp1 <= 0:
        return -400
    sp2 = data.find(b" ", sp1 + 1, eol)
    if sp2 < 0 or sp2 == sp1 + 1 or data.find(b" ", sp2 + 1, eol) >= 0:
        return -400
    # HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 7230 2.6)
    v = sp2 + 1
    if eol - v != 8 or data[v:v + 5] != b"HTTP/" or data[v + 6] != 46:
        return -400
    major = data[v + 5] - 48
    minor = data[v + 7] - 48
    if not (0 <= major <= 9 and 0 <= minor <= 9):
        return -400
    if major != 1:
        return -505
    for c in data[0:sp1]:
        if not table[c]:
            return -400
    i = methods.find(b" " + data[0:sp1] + b" ")
    if i < 0:
        return -501
    token = methods[i + sp1 + 2] - 0x80
    us = sp1 + 1
    c = data[us]
    if c == 42:  # '*': OPTIONS only
        if sp2 != us + 1 or token != 2:
            return -400
    elif c != 47 and data.find(b"://", us, sp2) < 0:
        return -400
    q = data.find(b"?", us, sp2)
    pe = sp2 if q < 0 else q
    out[0] = sp1
    out[1] = sp2
    out[2] = token + (256 if sp1 == 4 and data[0] == 72 else 0)
    out[3] = pe
    out[4] = PATH_PLAIN if c == 47 and _plain(data, us, pe) else 0
    return 10 if minor == 0 else 11


def _plain(data, s, e):
    for i in range(s, e):
        c = data[i]
        if c < 32 or c == 127 or c == 37 or c == 92:  # CTL, DEL, '%', '\\'
            return False
    return data.find(b"/.", s, e) < 0 and data.find(b"//", s, e) < 0


def header_block(data, pos, end, frags, fidx, names, table, limits, host_from_target):
    """The header lines data[pos:end] (each ending with its CRLF) into the
    fragment index: the number of Host lines (0 or 1), or -400 (a bad line:
    header_line's and header_token's refusals, a second Host) or -431 (a
    value past its limit, or no fragment left).

    ``frags`` and ``fidx``: the table's fragment index (codec/frag_index).
    ``limits``: each token's longest value as unsigned 16-bit words
    (0xFFFF: none), or empty for no limits.  Names lws does not know are
    dropped; so is Host when ``host_from_target`` (the target's
    authority stands)."""
    line = [0, 0, 0]
    hosts = 0
    nlim = len(limits)
    while pos < end:
        le = header_line(data, pos, end, line)
        if le < 0:
            return -400
        token = header_token(data, pos, line[0], names, table)
        if token == -1:
            return -400
        if token == 3:  # WSI_TOKEN_HOST
            hosts += 1
            if hosts > 1:
                return -400  # RFC 7230 5.4: more than one Host
            if host_from_target:
                token = -2
        if token >= 0:
            vs = line[1]
            n = line[2] - vs
            if token < nlim and n > limits[token]:
                return -431
            if not add_frag(frags, fidx, token, vs, n):
                return -431
        pos = le + 2
    return hosts

