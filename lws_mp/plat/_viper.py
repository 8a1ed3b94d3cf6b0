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


@micropython.viper
def request_line(data, eol: int, out, methods, table) -> int:
    """The request line data[0:eol] checked: its version (10, 11), or -400,
    -505, -501, with out[0..4] its spaces, method token, query start and
    whether its path is plain (codec/plain_scan.request_line is the
    contract and the plain version)."""
    if eol < 0 or eol > int(len(data)):
        return -400
    d = ptr8(data)  # noqa: F821
    o = ptr16(out)  # noqa: F821
    t = ptr8(table)  # noqa: F821
    sp1 = 0
    while sp1 < eol and d[sp1] != 32:
        sp1 += 1
    if sp1 == 0 or sp1 == eol:
        return -400
    sp2 = sp1 + 1
    while sp2 < eol and d[sp2] != 32:
        sp2 += 1
    if sp2 == eol or sp2 == sp1 + 1:
        return -400
    v = sp2 + 1
    if eol - v != 8:  # "HTTP/x.y", so no third space either
        return -400
    if d[v] != 72 or d[v + 1] != 84 or d[v + 2] != 84 or d[v + 3] != 80 or d[v + 4] != 47 \
            or d[v + 6] != 46:
        return -400
    major = d[v + 5] - 48
    minor = d[v + 7] - 48
    if major < 0 or major > 9 or minor < 0 or minor > 9:
        return -400
    if major != 1:
        return -505
    i = 0
    while i < sp1:
        if t[d[i]] == 0:
            return -400
        i += 1
    if sp1 == 3 and d[0] == 71 and d[1] == 69 and d[2] == 84:
        token = 0  # GET, the most of them, without the walk
    elif sp1 == 4 and d[0] == 80 and d[1] == 79 and d[2] == 83 and d[3] == 84:
        token = 1  # POST
    else:
        token = int(method_token(data, sp1, methods))
    if token < 0:
        return -501
    if int(request_target(data, sp1 + 1, sp2, out, token)) < 0:
        return -400
    o[0] = sp1
    o[1] = sp2
    if sp1 == 4 and d[0] == 72:
        token += 256  # HEAD
    o[2] = token
    if minor == 0:
        return 10
    return 11


@micropython.viper
def header_block(data, pos: int, end: int, frags, fidx, names, table, limits,
                 host_from_target: int) -> int:
    """The header lines data[pos:end] into the fragment index: the number
    of Host lines, or -400 / -431 (codec/plain_scan.header_block is the
    contract and the plain version)."""
    if pos < 0 or end > int(len(data)):
        return -400
    d = ptr8(data)  # noqa: F821
    f = ptr16(frags)  # noqa: F821
    fx = ptr8(fidx)  # noqa: F821
    nm = ptr8(names)  # noqa: F821
    t = ptr8(table)  # noqa: F821
    lim = ptr16(limits)  # noqa: F821
    nlim = int(len(limits))
    hosts = 0
    while pos < end:
        # the line: its end, colon and value without the whitespace around it
        c = d[pos]
        if c == 32 or c == 9:
            return -400  # obsolete line folding
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
            return -400  # a CR or LF that does not end the line
        if colon <= pos:
            return -400
        le = i
        vs = colon + 1
        ve = le
        while vs < ve and (d[vs] == 32 or d[vs] == 9):
            vs += 1
        while ve > vs and (d[ve - 1] == 32 or d[ve - 1] == 9):
            ve -= 1
        # the name, lowercased in place, and its token
        n = colon - pos
        i = pos
        while i < colon:
            c = t[d[i]]
            if c == 0:
                return -400
            d[i] = c
            i += 1
        token = -1
        p = 0
        ln = nm[0]
        while ln:
            if ln == n:
                k = 0
                while k < n and nm[p + 1 + k] == d[pos + k]:
                    k += 1
                if k == n:
                    token = nm[p + 2 + n] - 0x80
                    break
            p += ln + 3
            ln = nm[p]
        if token == 3:  # WSI_TOKEN_HOST
            hosts += 1
            if hosts > 1:
                return -400
            if host_from_target:
                token = -1
        if token >= 0:
            if token < nlim and ve - vs > lim[token]:
                return -431
            # the fragment, at the end of the token's chain
            fr = f[0]
            if fr >= f[1]:
                return -431
            f[3 * fr] = vs
            f[3 * fr + 1] = ve - vs
            f[3 * fr + 2] = 0
            first = fx[token]
            if first == 0:
                fx[token] = fr
            else:
                while f[3 * first + 2]:
                    first = f[3 * first + 2]
                f[3 * first + 2] = fr
            f[0] = fr + 1
        pos = le + 2
    return hosts


@micropython.viper
def method_token(data, sp1: int, methods) -> int:
    """The URI token of the method data[0:sp1] among ``methods`` (each name
    between spaces, its token + 0x80 after it), or -1.  (Apart from
    request_line: on armv6m a function's branches reach 2 KB at most.)"""
    d = ptr8(data)  # noqa: F821
    m = ptr8(methods)  # noqa: F821
    mn = int(len(methods))
    i = 0  # at the space before a name
    while i < mn:
        j = i + 1
        while j < mn and m[j] != 32:
            j += 1
        if j - i - 1 == sp1:
            k = 0
            while k < sp1 and m[i + 1 + k] == d[k]:
                k += 1
            if k == sp1:
                return m[j + 1] - 0x80
        i = j + 2
    return -1


@micropython.viper
def request_target(data, us: int, ue: int, out, token: int) -> int:
    """request_line's request-target data[us:ue]: 0, with out[3] where its
    query starts and out[4] whether its path is plain, or -1 if it is not
    a target of method ``token``.  (Apart from request_line: on armv6m a
    function's branches reach 2 KB at most.)"""
    d = ptr8(data)  # noqa: F821
    o = ptr16(out)  # noqa: F821
    c = d[us]
    plain = 0
    i = us
    if c == 42:  # '*': OPTIONS only
        if ue != us + 1 or token != 2:
            return -1
        i = ue
    elif c == 47:
        plain = 1
        prev = 0
        while i < ue:
            c = d[i]
            if c == 63:  # '?'
                break
            if c < 32 or c == 127 or c == 37 or c == 92 or \
                    (prev == 47 and (c == 47 or c == 46)):
                plain = 0
            prev = c
            i += 1
    else:
        # absolute-form: a "://" in it
        while i + 2 < ue and not (d[i] == 58 and d[i + 1] == 47 and d[i + 2] == 47):
            i += 1
        if i + 2 >= ue:
            return -1
        i = us
        while i < ue and d[i] != 63:
            i += 1
    o[3] = i
    o[4] = plain
    return 0


@micropython.viper
def ext_index(path, exts) -> int:
    """1 + the index in ``exts`` of the extension of ``path``, or 0
    (plat/mime.ext_index_plain is the contract and the plain version)."""
    n = int(len(path))
    d = ptr8(path)  # noqa: F821
    e = ptr8(exts)  # noqa: F821
    dot = n - 1
    while dot >= 0 and d[dot] != 46:  # '.'
        if d[dot] == 47:  # a '/' after the last '.': no extension
            return 0
        dot -= 1
    if dot < 0:
        return 0
    s = dot + 1
    k = n - s
    p = 0
    i = 1
    ln = e[0]
    while ln:
        if ln == k:
            j = 0
            while j < k:
                c = d[s + j]
                if c >= 65 and c <= 90:  # ASCII upper case
                    c += 32
                if c != e[p + 1 + j]:
                    break
                j += 1
            if j == k:
                return i
        p += ln + 1
        i += 1
        ln = e[p]
    return 0


@micropython.viper
def token_in_list(value, word) -> int:
    """1 if the comma-separated header value holds ``word`` (lowercase),
    whatever the case of its letters, else 0 (codec/header_names
    .token_list_has is the contract and the plain version)."""
    n = int(len(value))
    k = int(len(word))
    d = ptr8(value)  # noqa: F821
    w = ptr8(word)  # noqa: F821
    i = 0
    while i <= n:
        e = i
        while e < n and d[e] != 44:  # ','
            e += 1
        s = i
        i = e + 1
        # without the whitespace around it (bytes.strip's: SP, HT..CR)
        while s < e and (d[s] == 32 or (d[s] >= 9 and d[s] <= 13)):
            s += 1
        while e > s and (d[e - 1] == 32 or (d[e - 1] >= 9 and d[e - 1] <= 13)):
            e -= 1
        if e - s == k:
            j = 0
            while j < k:
                c = d[s + j]
                if c >= 65 and c <= 90:
                    c += 32
                if c != w[j]:
                    break
                j += 1
            if j == k:
                return 1
    return 0
