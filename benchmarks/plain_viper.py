"""The plain loop's unmask on MicroPython: the same viper loop as lws_mp's
(lws_mp/plat/_viper.py), so the limit does the same byte work."""

import micropython


@micropython.viper
def _xor(buf: ptr8, n: int, m0: int, m1: int, m2: int, m3: int):  # noqa: F821
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


def unmask(mv, n, m):
    _xor(mv, n, m[0], m[1], m[2], m[3])
