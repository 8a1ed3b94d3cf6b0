"""lws_write: the one way to send, for HTTP and WebSocket alike.

Python rule for LWS_PRE: C passes ``&buf[LWS_PRE]`` so lws can build the
frame header in the bytes before the payload.  Here pass the whole buffer and
the payload's offset as ``pre``: ``lws_write(wsi, buf, n, LWS_WRITE_TEXT,
LWS_PRE)`` sends ``buf[LWS_PRE:LWS_PRE + n]`` with the header written into
the headroom -- no copy.  Without headroom (``pre`` 0) the payload is copied
once into the service buffer (or sent in two writes when it is larger).
"""

from .log import lwsl_err
from .role_ops import ops_of
from ..plat._port import micropython  # @micropython.native
from builtins import isinstance, len  # one look-up, not two (docs/ARCHITECTURE.md)

_LWS_WRITE_HTTP = 3


@micropython.native
def lws_write(wsi, buf, len_=None, wp=_LWS_WRITE_HTTP, pre=0):
    """Send ``len_`` bytes of ``buf`` (from offset ``pre``) as ``wp``.

    Returns the number of bytes taken (a partial send is kept and sent on
    writable: see lws_partial_buffered), or -1: on a fatal error, when
    ``pre + len_`` passes the end of ``buf``, and (as in lws v2.1) when the
    last write is still partly buffered -- write again only from the next
    WRITEABLE callback.  (What a service pass held and could not send all
    of at its end is not the writer's: one write is queued behind it.)
    """
    if wsi.closed:
        return -1
    if isinstance(buf, str):
        buf = buf.encode()
    if len_ is None:
        len_ = len(buf) - pre
    if len_ < 0 or pre < 0 or pre + len_ > len(buf):
        lwsl_err("lws_write: %d bytes from offset %d passes the end of a %d byte buffer",
                 len_, pre, len(buf))
        return -1
    if wsi.trunc_len:
        if not wsi.trunc_held:
            lwsl_err("lws_write: connection %d: a write while %d bytes of the last are "
                     "still pending; write from the WRITEABLE callback", wsi.fd, wsi.trunc_len)
            return -1
        r = ops_of(wsi).write(wsi, buf, len_, wp, pre)  # queued behind them
        wsi.trunc_held = False  # the writer is told now: lws_partial_buffered is 1
        return r
    return ops_of(wsi).write(wsi, buf, len_, wp, pre)


def write_queued(wsi, buf, len_, wp):
    """The library's own writes (status pages, headers it makes): the same
    as lws_write, but queued behind a pending partial send."""
    if wsi.closed:
        return -1
    return ops_of(wsi).write(wsi, buf, len_, wp, 0)
