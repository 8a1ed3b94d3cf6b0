"""The HTTP parser's two byte loops in plain Python: a header name
lowercased and looked up, and the search for a control byte.

These are the contracts; plat/_viper has them in machine code, which the
server passes the parser on MicroPython (_port.parse_scan).  This module is
loaded only where the parser is given none (CPython, and a parser called on
its own): a board does not keep these functions in RAM.
"""

from .header_names import LOWER_TCHAR, NAMES


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
