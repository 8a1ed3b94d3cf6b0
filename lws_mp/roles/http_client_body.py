"""An HTTP client's response body (v2.1's client-HTTP read path).

After ESTABLISHED_CLIENT_HTTP, each time body bytes wait the connection's
POLLIN goes off and RECEIVE_CLIENT_HTTP is issued; the callback (or a later
one: that is the flow control) reads them with lws_http_client_read, which
takes the chunked framing off and hands each piece of body to
RECEIVE_CLIENT_HTTP_READ, then COMPLETED_CLIENT_HTTP at the end (Content-
Length reached, the last chunk, or the server's close for a body that has
neither).  The body passes through the caller's buffer piece by piece and is
never held whole.
"""

from ..core.conn import change_events, conn_recv, release_ah, set_timeout, user_callback
from ..codec.chunked import ERROR, S_DONE
from ..plat._port import POLLIN, const
from . import client_conn as cc
from .client_conn import P_HTTP, P_IDLE

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_CALLBACK_COMPLETED_CLIENT_HTTP = const(47)
_LWS_CALLBACK_RECEIVE_CLIENT_HTTP = const(46)
_LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ = const(48)
_PENDING_TIMEOUT_HTTP_CONTENT = const(10)


def rx_waiting(wsi):
    """Body bytes wait: POLLIN goes off until lws_http_client_read."""
    ctx = wsi.context
    change_events(wsi, 0, POLLIN)
    if user_callback(wsi, _LWS_CALLBACK_RECEIVE_CLIENT_HTTP, None, 0):
        ctx.close(wsi)
    elif wsi.client.close_pending:
        ctx.close(wsi)


def lws_http_client_read(wsi, buf, len_):
    """Read what body waits into ``buf`` (a bytearray or writable
    memoryview, at most ``len_`` bytes), hand each piece of body to
    RECEIVE_CLIENT_HTTP_READ (``in_`` a memoryview into ``buf``), and at
    its end issue COMPLETED_CLIENT_HTTP.

    Python form of lws' (char **buf, int *len): the caller's buffer is
    passed with its length.  Returns 0, or -1 when the connection must
    close (a callback refused, the body ended and the connection is not
    kept alive, or it broke): return -1 from the callback then.
    """
    cl = wsi.client
    if cl is None or wsi.closed or cl.phase != P_HTTP:
        return -1 if cl is None or wsi.closed else 0
    ctx = wsi.context
    mv = memoryview(buf)
    if len_ > len(mv):
        len_ = len(mv)
    ah = wsi.ah
    if ah is not None:
        # body bytes that arrived with the response head
        pos = ah.body_pos
        n = ah.rxlen - pos
        if n > len_:
            n = len_
        mv[0:n] = ah.mv[pos:pos + n]
        ah.body_pos = pos + n
        if ah.body_pos >= ah.rxlen:
            release_ah(wsi)
            change_events(wsi, POLLIN, 0)
        else:
            cc.queue(wsi)
    else:
        if cl.chunked is None and 0 < cl.remain < len_:
            len_ = cl.remain
        try:
            n = conn_recv(wsi, mv[:len_])
        except OSError as e:
            cl.why = "receive failed: %r" % (e,)
            close_soon(wsi)
            return -1
        if n is None:
            change_events(wsi, POLLIN, 0)
            return 0
        if not n:
            if cl.remain < 0:
                return -1 if complete(wsi) < 0 else 0
            cl.why = "server closed the connection before the end of the body"
            if cl.remain > 0:
                cl.why += " (%d bytes missing)" % cl.remain
            close_soon(wsi)
            return -1
        change_events(wsi, POLLIN, 0)
    set_timeout(wsi, _PENDING_TIMEOUT_HTTP_CONTENT, ctx.timeout_secs)
    r = _body(wsi, mv, n)
    if r < 0:
        close_soon(wsi)
    return r


def _body(wsi, mv, n):
    cl = wsi.client
    dec = cl.chunked
    if dec is not None:
        pos = 0
        while pos < n:
            used, doff, dlen = dec.step(mv[pos:n])
            if used == ERROR:
                cl.why = "bad chunked framing in the response body"
                return -1
            if dlen and user_callback(wsi, _LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ,
                                      mv[pos + doff:pos + doff + dlen], dlen):
                return -1
            pos += used
            if dec.state == S_DONE:
                return complete(wsi)
        return 0
    take = n
    if 0 < cl.remain < take:
        take = cl.remain
    if user_callback(wsi, _LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ, mv[:take], take):
        return -1
    if cl.remain > 0:
        cl.remain -= take
        if not cl.remain:
            return complete(wsi)
    return 0


def complete(wsi):
    wsi.client.chunked = None
    if user_callback(wsi, _LWS_CALLBACK_COMPLETED_CLIENT_HTTP):
        return -1
    if wsi.closed:
        return -1
    return -1 if lws_http_transaction_completed_client(wsi) else 0


def lws_http_transaction_completed_client(wsi):
    """The transaction is over: 1 if the connection must close now, else 0
    and it stays open, idle, for a next request (lws_client_reset to the
    same address sends it on this socket)."""
    cl = wsi.client
    if cl is None or wsi.closed:
        return 1
    if cl.phase == P_IDLE:
        return 0
    if not cl.keepalive:
        return 1
    cl.phase = P_IDLE
    cl.remain = 0
    cl.chunked = None
    set_timeout(wsi, 0, 0)
    if wsi.ah is not None:
        release_ah(wsi)
    change_events(wsi, POLLIN, 0)  # to see the server close it
    return 0


def close_soon(wsi):
    """Close after the callback that is running returns."""
    cl = wsi.client
    if not cl.close_pending:
        cl.close_pending = True
        cc.queue(wsi)


