"""MicroPython-only byte loops compiled to machine code (viper).

Imported by _port on MicroPython only; CPython uses its own fallbacks there.
"""

import micropython


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
    d = ptr8(dst)  # noqa: F821
    s = ptr8(src)  # noqa: F821
    i = 0
    while i < n:
        d[at + i] = s[off + i]
        i += 1
    return at + n
