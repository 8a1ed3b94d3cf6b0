"""lws_write: the one way to send, for HTTP and WebSocket alike.

Python rule for LWS_PRE: C passes ``&buf[LWS_PRE]`` so lws can build the
frame header in the bytes before the payload.  Here pass the whole buffer and
the payload's offset as ``pre``: ``lws_write(wsi, buf, n, LWS_WRITE_TEXT,
LWS_PRE)`` sends ``buf[LWS_PRE:LWS_PRE + n]`` with the header written into
the headroom -- no copy.  Without headroom (``pre`` 0) the payload is copied
once into the service buffer (or sent in two writes when it is larger).
"""

from .context import role
from .output import issue_raw
from .wsi import ROLE_HTTP, ROLE_WS
from ._port import const

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_PENDING_TIMEOUT_HTTP_CONTENT = const(10)
_LWS_WRITE_HTTP = const(3)
_LWS_WRITE_HTTP_FINAL = const(7)
_LWS_WRITE_HTTP_HEADERS = const(8)


def lws_write(wsi, buf, len_=None, wp=_LWS_WRITE_HTTP, pre=0):
    """Send ``len_`` bytes of ``buf`` (from offset ``pre``) as ``wp``.

    Returns the number of bytes taken (a partial send is kept and sent on
    writable: see lws_partial_buffered), or -1 on a fatal error.
    """
    if wsi.closed:
        return -1
    if isinstance(buf, str):
        buf = buf.encode()
    if len_ is None:
        len_ = len(buf) - pre
    base = wp & 0x3F
    if wsi.role == ROLE_WS:
        return role(ROLE_WS).write(wsi, buf, len_, wp, pre)
    if wsi.role != ROLE_HTTP:
        return -1
    mv = memoryview(buf)[pre:pre + len_]
    if wsi.pending_timeout == _PENDING_TIMEOUT_HTTP_CONTENT:
        # an answer in progress: renew its timeout
        wsi.context.set_timeout(wsi, _PENDING_TIMEOUT_HTTP_CONTENT, wsi.context.timeout_secs)
    if base == _LWS_WRITE_HTTP_HEADERS:
        wsi.headers_sent = True
        return issue_raw(wsi, mv)
    if base in (_LWS_WRITE_HTTP, _LWS_WRITE_HTTP_FINAL):
        wsi.headers_sent = True  # the answer has begun, whatever wrote its head
        if wsi.head:
            return len_  # HEAD: the body is not sent
        return issue_raw(wsi, mv)
    return -1
