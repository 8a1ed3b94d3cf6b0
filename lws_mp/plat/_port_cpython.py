"""The CPython half of the platform layer (see _port).

Only imported when running on CPython; it is left out of the static check
against the boards' stubs, since none of it runs there.
"""

import array
import codecs
import time
import traceback

_t0 = time.monotonic()


class micropython:
    """The decorator MicroPython's compiler takes (see _port): a no-op."""

    @staticmethod
    def native(fn):
        return fn


def ticks_ms():
    return int((time.monotonic() - _t0) * 1000)


def ticks_diff(a, b):
    return a - b


def ticks_add(a, b):
    return a + b


def u16_array(n):
    a = array.array("H")
    a.frombytes(bytes(2 * n))
    return a


def print_exception(exc):
    traceback.print_exception(type(exc), exc, exc.__traceback__)


class IOWatch:
    def __init__(self, sock, write, fn, arg):
        self.fd = sock.fileno()
        self.write = write
        self.fn = fn
        self.arg = arg
        self.loop = None

    def on(self):
        if self.loop is None:
            import asyncio

            # only called from the running loop: this is that loop
            self.loop = asyncio.get_event_loop()
            add = self.loop.add_writer if self.write else self.loop.add_reader
            add(self.fd, self.fn, self.arg)

    def off(self):
        loop = self.loop
        if loop is not None:
            self.loop = None
            (loop.remove_writer if self.write else loop.remove_reader)(self.fd)

    close = off


def copy_into(dst, at, src, off, n):
    """src[off:off + n] into dst at ``at``: at + n, or -1 (nothing copied)
    when either side is too short (MicroPython's is viper, making no slice)."""
    if at < 0 or off < 0 or n < 0 or at + n > len(dst) or off + n > len(src):
        return -1
    dst[at:at + n] = src if not off and n == len(src) else memoryview(src)[off:off + n]
    return at + n


# (n, the one-per-word int, the n-byte mask) of the last length: one tuple,
# swapped whole, so that threads with contexts of their own share it safely
_repunit = (0, 1, 0xFF)


def unmask(mv, n, m0, m1, m2, m3):
    """The first n bytes XOR'd with the mask, as one big int: the key is the
    mask's word times 0x...0000000100000001 (one 1 per word), cut to n
    bytes, so no n-byte key is built for it."""
    global _repunit
    if not n:
        return
    rep = _repunit
    if rep[0] != n:
        w = (n + 3) >> 2
        rep = _repunit = (n, ((1 << (32 * w)) - 1) // 0xFFFFFFFF, (1 << (8 * n)) - 1)
    key = ((m0 | m1 << 8 | m2 << 16 | m3 << 24) * rep[1]) & rep[2]
    mv[:n] = (int.from_bytes(mv[:n], "little") ^ key).to_bytes(n, "little")


_utf8_decode = codecs.utf_8_decode

def _utf8_prefix_ok(b):
    """Can the bytes ``b`` (one unfinished sequence) still become valid?"""
    c = b[0]
    lo, hi = 0x80, 0xBF
    if c == 0xE0:
        lo = 0xA0
    elif c == 0xED:
        hi = 0x9F
    elif c == 0xF0:
        lo = 0x90
    elif c == 0xF4:
        hi = 0x8F
    elif c < 0xC2 or c > 0xF4:
        return False
    if len(b) > 1 and not lo <= b[1] <= hi:
        return False
    for x in b[2:]:
        if not 0x80 <= x <= 0xBF:
            return False
    return True

def utf8_valid(buf):
    """Whether ``buf`` is whole, valid UTF-8."""
    try:
        str(buf, "utf-8")
    except UnicodeError:
        return False
    return True


class Utf8Validator:
    """Incremental UTF-8 check that fails at the first bad byte.  The C
    decoder is called on the piece itself (no copy of it, no Python-level
    incremental decoder): only the unfinished sequence at a piece's end,
    three bytes at most, is kept and put in front of the next piece."""

    def __init__(self):
        self.ok = True
        self.tail = b""

    def reset(self):
        self.ok = True
        self.tail = b""

    def feed(self, mv, n):
        if not self.ok:
            return False
        data = mv if n == len(mv) else mv[:n]
        if self.tail:
            data = self.tail + bytes(data)
        try:
            _, used = _utf8_decode(data, "strict", False)
        except UnicodeDecodeError:
            self.ok = False
            return False
        # the codec holds back an unfinished sequence without judging it;
        # judge its first bytes now so bad input fails at once
        self.tail = bytes(data[used:]) if used < len(data) else b""
        if self.tail and not _utf8_prefix_ok(self.tail):
            self.ok = False
        return self.ok

    def complete(self):
        if self.tail:
            self.ok = False  # a sequence left unfinished at the end
        return self.ok
