"""The HTTP parser's byte loops in plain Python: the end of the head, a
header line's bounds, a header name lowercased and looked up, and the
search for a control byte.

These are the contracts; plat/_viper has them in machine code, which the
server passes the parser on MicroPython (_port.parse_scan).  This module is
loaded only where the parser is given none (CPython, and a parser called on
its own): a board does not keep these functions in RAM.
"""

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
    table keeps values only), then looked up in ``names``.
    plat/_viper.header_token is this in machine code, for MicroPython,
    without the key this makes (the parser takes either)."""
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
