"""Header tables ("ah") and their fixed pool with a FIFO of waiters.

A table holds one request's raw header bytes plus a fragment index by
WSI_TOKEN_*; values are (offset, length) pairs into the raw bytes, so a
parsed header costs no copy.  The pool is allocated once, at context
creation; a connection that finds no free table waits in arrival order.
"""

from ..codec.frag_index import add_frag
from ..plat import _port
from ..plat._port import const

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_WSI_TOKEN_COUNT = const(86)

_NO_FRAGS = bytes(_WSI_TOKEN_COUNT)  # what reset copies over the fragment index



class HeaderTable:
    def __init__(self, size):
        self.data = bytearray(size)
        self.mv = memoryview(self.data)
        self.size = size
        # the fragment index (codec/frag_index)
        self.frag_cap = max(16, min(_WSI_TOKEN_COUNT * 2, size // 16))
        self.frags = _port.u16_array(3 * self.frag_cap)
        self.frags[1] = self.frag_cap
        self.frag_index = bytearray(_WSI_TOKEN_COUNT)
        # the parser's scratch: what request_line found of the request line
        # (filled by machine code, read with no tuple made)
        self.line = _port.u16_array(5)
        self.wsi = None
        self.reset(0)

    def reset(self, keep_from):
        """Forget the parsed request; keep raw bytes from ``keep_from`` on
        (pipelined input) at the start of the buffer."""
        keep = 0
        if keep_from:
            keep = self.rxlen - keep_from
            if keep > 0:
                self.mv[0:keep] = self.mv[keep_from:self.rxlen]
            else:
                keep = 0
        self.rxlen = keep
        self.scan = 0  # where the search for the end of headers resumes
        self.hdr_end = 0  # offset just past the blank line, once seen
        self.body_pos = 0  # first byte not yet consumed by the request
        self.frags[0] = 1  # fragments in use
        _port.copy_into(self.frag_index, 0, _NO_FRAGS, 0, _WSI_TOKEN_COUNT)
        self.method = -1
        self.http_version = 11
        self.head = False

    def pending(self):
        """Bytes received beyond what the request consumed."""
        return self.rxlen - self.body_pos

    def add_frag(self, token, off, length):
        return add_frag(self.frags, self.frag_index, token, off, length)

    def frag(self, token, idx):
        """(offset, length) of fragment ``idx`` of ``token``, or None."""
        n = self.frag_index[token]
        f = self.frags
        while n and idx:
            n = f[3 * n + 2]
            idx -= 1
        if not n:
            return None
        return f[3 * n], f[3 * n + 1]

    def count(self, token):
        n = self.frag_index[token]
        c = 0
        while n:
            c += 1
            n = self.frags[3 * n + 2]
        return c

    def value(self, token):
        """The first fragment of ``token`` as a memoryview, or None."""
        n = self.frag_index[token]
        if not n:
            return None
        off = self.frags[3 * n]  # no (offset, length) tuple made
        return self.mv[off:off + self.frags[3 * n + 1]]


class HeaderPool:
    """Exactly ``count`` tables of ``size`` bytes, and a FIFO of waiters."""

    def __init__(self, count, size):
        self.tables = [HeaderTable(size) for _ in range(count)]
        self.free = list(self.tables)
        self.waiting = []  # wsis waiting for a table, oldest first
        self.waits = 0  # how many times a connection had to queue

    def attach(self, wsi):
        """Give ``wsi`` a table now (True) or queue it (False)."""
        if wsi.ah is not None:
            return True
        if self.free and not self.waiting:
            ah = self.free.pop()
            ah.wsi = wsi
            ah.reset(0)
            wsi.ah = ah
            return True
        if wsi not in self.waiting:
            self.waiting.append(wsi)
            self.waits += 1
        return False

    def detach(self, wsi):
        """Take ``wsi``'s table back; returns the waiter it now goes to."""
        if self.waiting:
            self.forget(wsi)
        ah = wsi.ah
        if ah is None:
            return None
        wsi.ah = None
        ah.wsi = None
        if self.waiting:
            return self._hand_on(ah)
        self.free.append(ah)  # never grows the list: it had room for every table
        return None

    def _hand_on(self, ah):
        # apart from detach: its try would put detach's frame on the heap
        # at every request
        nxt = self.waiting[0]
        try:
            # first: a wsi's first table is a new attribute, which can
            # need heap; if there is none the waiter keeps its place
            nxt.ah = ah
        except MemoryError:
            self.free.append(ah)
            raise
        self.waiting.pop(0)
        ah.reset(0)
        ah.wsi = nxt
        return nxt

    def forget(self, wsi):
        if wsi in self.waiting:
            self.waiting.remove(wsi)

    def available(self):
        return len(self.free)
