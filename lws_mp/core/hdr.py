"""Reading request headers: lws_hdr_total_length, lws_hdr_copy, ...

Python rule: ``dst`` is a bytearray (or writable memoryview); the value is
written NUL-terminated as in C.  ``lws_hdr_str`` is the Pythonic shortcut.

As in lws v2.1, a header's value is its fragments one after another.  A
repeated header has a fragment per line, and v2.1's parser starts each
one after the first with a space ("a" and "b" read as "a b"); URI
arguments have a fragment each, with nothing between them.  Here the
space is not stored in the table: the functions below count and copy it.
"""
from ..plat import _port
from ..plat._port import const, micropython  # @micropython.native

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_WSI_TOKEN_COUNT = const(86)
_WSI_TOKEN_HTTP_URI_ARGS = const(76)


def _lead(h):
    """The bytes (0 or 1) before each fragment of ``h`` after the first."""
    return 0 if h == _WSI_TOKEN_HTTP_URI_ARGS else 1


@micropython.native
def lws_hdr_total_length(wsi, h):
    """Length of header ``h`` as lws_hdr_copy gives it, 0 if absent."""
    ah = wsi.ah
    if ah is None or h < 0 or h >= _WSI_TOKEN_COUNT:
        return 0
    n = ah.frag_index[h]
    if not n:
        return 0
    f = ah.frags
    if not f[3 * n + 2]:
        return f[3 * n + 1]  # one fragment, the most of them
    total = 0
    count = 0
    while n:
        total += f[3 * n + 1]
        count += 1
        n = f[3 * n + 2]
    return total + (count - 1) * _lead(h) if count else 0


def lws_hdr_fragment_length(wsi, h, frag_idx):
    ah = wsi.ah
    if ah is None or h < 0 or h >= _WSI_TOKEN_COUNT:
        return 0
    fr = ah.frag(h, frag_idx)
    if fr is None:
        return 0
    return fr[1] + (_lead(h) if frag_idx else 0)


@micropython.native
def lws_hdr_copy(wsi, dst, len_, h):
    """Copy header ``h`` (all its fragments) into ``dst``, NUL-terminated.

    Returns its length, -1 if it (plus the NUL) does not fit in ``len_``.
    A header that is not there gives 0 and leaves ``dst`` as it was.
    """
    toklen = lws_hdr_total_length(wsi, h)
    if toklen >= len_ or toklen + 1 > len(dst):
        return -1
    ah = wsi.ah
    if ah is None or h < 0 or h >= _WSI_TOKEN_COUNT or not ah.frag_index[h]:
        return 0
    n = ah.frag_index[h]
    f = ah.frags
    mv = ah.mv
    pos = 0
    lead = _lead(h)
    while n:
        if pos and lead:
            dst[pos] = 0x20
            pos += 1
        off = f[3 * n]
        ln = f[3 * n + 1]
        _port.copy_into(dst, pos, mv, off, ln)
        pos += ln
        n = f[3 * n + 2]
    dst[pos] = 0
    return toklen


def lws_hdr_copy_fragment(wsi, dst, len_, h, frag_idx):
    """Copy fragment ``frag_idx`` of ``h``; -1 if absent or too long."""
    ah = wsi.ah
    if ah is None or h < 0 or h >= _WSI_TOKEN_COUNT:
        return -1
    fr = ah.frag(h, frag_idx)
    if fr is None:
        return -1
    off, ln = fr
    lead = _lead(h) if frag_idx else 0
    if ln + lead >= len_ or ln + lead + 1 > len(dst):
        return -1
    if lead:
        dst[0] = 0x20
    dst[lead:lead + ln] = ah.mv[off:off + ln]
    dst[lead + ln] = 0
    return lead + ln


def lws_hdr_str(wsi, h, frag_idx=-1):
    """Header ``h`` as a str, or None: all of it as lws_hdr_copy gives it,
    or with ``frag_idx`` that one line's value (without the space)."""
    ah = wsi.ah
    if ah is None or h < 0 or h >= _WSI_TOKEN_COUNT or not ah.frag_index[h]:
        return None
    if frag_idx >= 0:
        fr = ah.frag(h, frag_idx)
        if fr is None:
            return None
        return bytes(ah.mv[fr[0]:fr[0] + fr[1]]).decode()
    buf = bytearray(lws_hdr_total_length(wsi, h) + 1)
    n = lws_hdr_copy(wsi, buf, len(buf), h)
    return bytes(buf[:n]).decode()


def lws_get_urlarg_by_name(wsi, name, buf=None, len_=0):
    """The value of URI argument ``name``, or None.

    As in lws v2.1, ``name`` is given with its '=' (``"x="``); ``"x"`` is
    taken to mean the same.  With ``buf`` (a bytearray) and ``len_``, the
    whole argument (``x=value``) is also copied into ``buf``, NUL-terminated,
    as C's lws does; None if it does not fit."""
    ah = wsi.ah
    if ah is None:
        return None
    if isinstance(name, str):
        name = name.encode()
    key = name if name.endswith(b"=") else name + b"="
    i = 0
    while True:
        fr = ah.frag(_WSI_TOKEN_HTTP_URI_ARGS, i)
        if fr is None:
            return None
        off, ln = fr
        if ln >= len(key) and bytes(ah.mv[off:off + len(key)]) == key:
            if buf is not None:
                if ln + 1 > min(len_, len(buf)):
                    return None
                buf[0:ln] = ah.mv[off:off + ln]
                buf[ln] = 0
            return bytes(ah.mv[off + len(key):off + ln]).decode()
        i += 1
