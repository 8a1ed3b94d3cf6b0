"""MicroPython-only byte loops compiled to machine code (viper).

Imported by _port on MicroPython only; CPython uses its own fallbacks there.
"""

import micropython
from builtins import len  # one look-up, not two (docs/ARCHITECTURE.md)


@micropython.viper
def unmask(buf: ptr8, n: int, m0: int, m1: int, m2: int, m3: int):  # noqa: F821
    """XOR ``n`` bytes of ``buf`` in place with the 4-byte mask m0..m3."""
    i = 0
    n4 = n - 3
    while i < n4:
        buf[i] ^= m0
        buf[i + 1] ^= m1
        buf[i + 2] ^= m2
        buf[i + 3] ^= m3
        i += 4
    if i < n:
        buf[i] ^= m0
    if i + 1 < n:
        buf[i + 1] ^= m1
    if i + 2 < n:
        buf[i + 2] ^= m2


@micropython.viper
def utf8_check(buf: ptr8, n: int, state: int) -> int:  # noqa: F821
    """Validate UTF-8 across calls: returns the new state, -1 if invalid.

    state = (continuation bytes still needed << 16) | (lo << 8) | hi, where
    lo..hi is the range the next continuation byte must fall in.  0 means
    "between characters".
    """
    need = state >> 16
    lo = (state >> 8) & 0xFF
    hi = state & 0xFF
    i = 0
    while i < n:
        c = buf[i]
        i += 1
        if need:
            if c < lo or c > hi:
                return -1
            need -= 1
            lo = 0x80
            hi = 0xBF
        elif c < 0x80:
            continue
        elif c < 0xC2:
            return -1
        elif c < 0xE0:
            need = 1
            lo = 0x80
            hi = 0xBF
        elif c == 0xE0:
            need = 2
            lo = 0xA0
            hi = 0xBF
        elif c == 0xED:
            need = 2
            lo = 0x80
            hi = 0x9F
        elif c < 0xF0:
            need = 2
            lo = 0x80
            hi = 0xBF
        elif c == 0xF0:
            need = 3
            lo = 0x90
            hi = 0xBF
        elif c < 0xF4:
            need = 3
            lo = 0x80
            hi = 0xBF
        elif c == 0xF4:
            need = 3
            lo = 0x80
            hi = 0x8F
        else:
            return -1
    if not need:
        return 0
    return (need << 16) | (lo << 8) | hi


@micropython.viper
def copy_into(dst, at: int, src, off: int, n: int) -> int:
    """src[off:off + n] into dst at ``at``: at + n, or -1 (nothing copied)
    when either side is too short.  A slice in a copy is a heap object on
    MicroPython; this makes none."""
    if at < 0 or off < 0 or n < 0 or at + n > int(len(dst)) or off + n > int(len(src)):
        return -1
    d = int(ptr8(dst)) + at  # noqa: F821
    s = int(ptr8(src)) + off  # noqa: F821
    end = d + n
    if (d ^ s) & 3 == 0 and n >= 8:
        # the same alignment: bytes up to a word boundary, then words (an
        # unaligned word access faults on Xtensa and Cortex-M0)
        while d & 3:
            ptr8(d)[0] = ptr8(s)[0]  # noqa: F821
            d += 1
            s += 1
        dw = ptr32(d)  # noqa: F821
        sw = ptr32(s)  # noqa: F821
        w = (end - d) >> 2
        i = 0
        while i < w:
            dw[i] = sw[i]
            i += 1
        d += w << 2
        s += w << 2
    db = ptr8(d)  # noqa: F821
    sb = ptr8(s)  # noqa: F821
    i = 0
    left = end - d
    while i < left:
        db[i] = sb[i]
        i += 1
    return at + n


@micropython.viper
def header_token(data, pos: int, end: int, names, table) -> int:
    """The HTTP parser's header-name look-up (codec/header_names.header_token
    is the contract and the plain version): data[pos:end] lowercased in
    place through ``table`` (0: not a token byte), then found in ``names``
    (entries of a length byte, the name, ':' and the token + 0x80, ended by
    a 0 length).  The token, -1 if the name is not a token, -2 if lws does
    not know it."""
    n = end - pos
    if pos < 0 or n <= 0 or end > int(len(data)):
        return -1
    d = ptr8(data)  # noqa: F821
    t = ptr8(table)  # noqa: F821
    nm = ptr8(names)  # noqa: F821
    i = pos
    while i < end:
        c = t[d[i]]
        if c == 0:
            return -1
        d[i] = c
        i += 1
    p = 0
    ln = nm[0]
    while ln:
        if ln == n:
            k = 0
            while k < n and nm[p + 1 + k] == d[pos + k]:
                k += 1
            if k == n:
                return nm[p + 2 + n] - 0x80
        p += ln + 3
        ln = nm[p]
    return -2


@micropython.viper
def head_end(data, start: int, n: int) -> int:
    """Where the CRLF CRLF that ends a request head lies in data[start:n],
    -1 if it is not in yet, -2 if a NUL comes first
    (codec/plain_scan.head_end is the contract and the plain version)."""
    if n > int(len(data)):
        n = int(len(data))
    d = ptr8(data)  # noqa: F821
    i = start if start > 0 else 0
    while i < n:
        c = d[i]
        if c == 0:
            return -2
        if c == 13 and i + 3 < n and d[i + 1] == 10 and d[i + 2] == 13 and d[i + 3] == 10:
            return i
        i += 1
    return -1


@micropython.viper
def header_line(data, pos: int, end: int, out) -> int:
    """One header line from data[pos] within data[pos:end]: the index of
    its CRLF (or end), with out[0] its colon and out[1]:out[2] its value
    without the whitespace around it; -1 if it is bad: folded, no name, a
    bare CR or LF (codec/plain_scan.header_line is the contract and the
    plain version).  ``out``: three unsigned 16-bit words."""
    if pos < 0 or pos >= end or end > int(len(data)):
        return -1
    d = ptr8(data)  # noqa: F821
    o = ptr16(out)  # noqa: F821
    c = d[pos]
    if c == 32 or c == 9:
        return -1  # obsolete line folding
    colon = -1
    i = pos
    while i < end:
        c = d[i]
        if c == 13 or c == 10:
            break
        if c == 58 and colon < 0:
            colon = i
        i += 1
    if i < end and (d[i] != 13 or i + 1 >= end or d[i + 1] != 10):
        return -1  # a CR or LF that does not end the line
    if colon <= pos:
        return -1
    vs = colon + 1
    ve = i
    while vs < ve and (d[vs] == 32 or d[vs] == 9):
        vs += 1
    while ve > vs and (d[ve - 1] == 32 or d[ve - 1] == 9):
        ve -= 1
    o[0] = colon
    o[1] = vs
    o[2] = ve
    return i


@micropython.viper
def ctl_at(buf, start: int, end: int) -> int:
    """The first index in buf[start:end] of a control byte or DEL, or -1
    (codec/uri.ctl_at is the contract and the plain version)."""
    n = int(len(buf))
    if end > n:
        end = n  # as find does: nothing lies past the end
    b = ptr8(buf)  # noqa: F821
    i = start if start > 0 else 0
    while i < end:
        c = b[i]
        if c < 32 or c == 127:
            return i
        i += 1
    return -1
