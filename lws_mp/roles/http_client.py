"""The HTTP client role: the request, the response head, redirects, and an
HTTP client's body (v2.1's client-HTTP callbacks).

A client connection is this role from lws_client_connect_via_info until it
is established: client_connect brings it to a connected socket, then
``issue`` sends the request (a WebSocket upgrade, or ``method``) and the
response head is parsed into a header table.  A 101 goes on to ws_client;
a redirect (301/302/303/307/308) is followed through lws_client_reset; an
HTTP answer stays here: ESTABLISHED_CLIENT_HTTP, then RECEIVE_CLIENT_HTTP
each time body bytes wait, which the callback reads with
lws_http_client_read (RECEIVE_CLIENT_HTTP_READ for each piece, the chunked
framing taken off), then COMPLETED_CLIENT_HTTP.  The body is never held
whole: it passes through the caller's buffer piece by piece.
"""

from ..core.conn import (attach_ah, change_events, conn_read, protocol_callback, read_ah,
                         release_ah, set_timeout, user_callback)
from ..codec.chunked import ChunkedDecoder
from ..codec.header_names import token_list_has
from ..codec.http_response_parser import COMPLETE, NEED_MORE, parse_response, response_status
from ..core.hdr import lws_hdr_str
from ..core.log import lwsl_info
from ..core.output import drain_stored, issue_raw
from ..core.role_ops import ROLE_WS_CLIENT, lws_role_ops, ops
from ..plat._port import POLLERR, POLLHUP, POLLIN, POLLOUT, const
from . import client_conn as cc
from . import client_connect as connect
from . import part
from .client_conn import P_BODY, P_CONNECTING, P_HTTP, P_IDLE, P_PROXY, P_REPLY, P_RESOLVE, P_TLS
from .http_client_body import close_soon, complete, rx_waiting

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER = const(24)
_LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH = const(2)
_LWS_CALLBACK_CLIENT_HTTP_WRITEABLE = const(57)
_LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP = const(44)
_LWS_CALLBACK_HTTP_WRITEABLE = const(16)
_LWS_WRITE_HTTP = const(3)
_LWS_WRITE_HTTP_FINAL = const(7)
_PENDING_TIMEOUT_AWAITING_SERVER_RESPONSE = const(4)
_PENDING_TIMEOUT_CLIENT_ISSUE_PAYLOAD = const(18)
_PENDING_TIMEOUT_HTTP_CONTENT = const(10)
_WSI_TOKEN_CONNECTION = const(4)
_WSI_TOKEN_HTTP_CONTENT_LENGTH = const(27)
_WSI_TOKEN_HTTP_LOCATION = const(59)
_WSI_TOKEN_HTTP_TRANSFER_ENCODING = const(68)


_REDIRECTS = (301, 302, 303, 307, 308)


# ------------------------------------------------------------ the request


def issue(wsi, unused=None):
    """The connection (or tunnel) is up: send the request, then wait for
    the answer in a header table (queueing for one if none is free)."""
    ctx = wsi.context
    cl = wsi.client
    method = cl.method or "GET"
    head = b"%s %s HTTP/1.1\r\nPragma: no-cache\r\nCache-Control: no-cache\r\nHost: %s\r\n" % (
        method.encode(), cl.path.encode(), cl.host.encode())
    if cl.origin:
        o = cl.origin if "://" in cl.origin else "http://" + cl.origin
        head += b"Origin: " + o.encode() + b"\r\n"
    if cl.ws:
        head += part("roles.ws_client").request_headers(wsi)
    # CLIENT_APPEND_HANDSHAKE_HEADER, Python form: ``in_`` is an empty
    # bytearray the callback appends whole header lines to (each ending in
    # CRLF; lws_add_http_header_by_name(wsi, name, value, in_, len_) does
    # it), ``len_`` the room left; more than that fails the connection
    room = len(ctx.serv_buf) - len(head) - 12
    extra = bytearray()
    protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER,
                      extra, room if room > 0 else 0)
    if wsi.closed:
        return
    if len(extra) > room:
        cc.fail(wsi, "HS: appended headers (%d bytes) pass the room left (%d)"
                % (len(extra), room))
        return
    if extra and extra[-2:] != b"\r\n":
        cc.fail(wsi, "HS: appended headers must end in CRLF")
        return
    req = head + extra + b"\r\n"
    if issue_raw(wsi, memoryview(req)) < 0:
        return
    lwsl_info("client %s:%d: %s %s sent", cl.address, cl.port, method, cl.path)
    if wsi.ah is None and not attach_ah(wsi):
        cl.phase = P_BODY if cl.body_pending else P_REPLY
        return  # queued for a header table: POLLIN comes back with it
    change_events(wsi, POLLIN, 0)
    if cl.body_pending:
        cl.phase = P_BODY
        set_timeout(wsi, _PENDING_TIMEOUT_CLIENT_ISSUE_PAYLOAD, ctx.timeout_secs)
        if wsi.want_writable:
            change_events(wsi, POLLOUT, 0)
    else:
        _await_reply(wsi)


def _await_reply(wsi):
    ctx = wsi.context
    wsi.client.phase = P_REPLY
    if wsi.ah is not None:
        set_timeout(wsi, _PENDING_TIMEOUT_AWAITING_SERVER_RESPONSE, ctx.timeout_secs)
        if wsi.ah.rxlen:
            cc.queue(wsi)  # the server answered while the body went out


def lws_client_http_body_pending(wsi, something_left_to_send):
    """From CLIENT_APPEND_HANDSHAKE_HEADER: 1 says a request body follows
    (sent from CLIENT_HTTP_WRITEABLE, asked for with
    lws_callback_on_writable); 0, once all of it is written, lets the
    connection go on to wait for the response."""
    cl = wsi.client
    if cl is None:
        return
    cl.body_pending = bool(something_left_to_send)
    if not cl.body_pending and cl.phase == P_BODY:
        _await_reply(wsi)


def write(wsi, buf, len_, wp, pre):
    """lws_write on an HTTP client: the request body (LWS_WRITE_HTTP)."""
    base = wp & 0x3F
    cl = wsi.client
    if cl.phase != P_BODY or (base != _LWS_WRITE_HTTP and base != _LWS_WRITE_HTTP_FINAL):
        return -1
    r = issue_raw(wsi, memoryview(buf)[pre:pre + len_])
    return -1 if r < 0 else len_


# ------------------------------------------------------------ the response


def _read_reply(wsi, revents):
    ctx = wsi.context
    ah = wsi.ah
    if ah is None:
        if revents & (POLLHUP | POLLERR):
            ctx.fatal(wsi, "peer hung up")
        return
    if ah.rxlen >= ah.size:
        cc.fail(wsi, "HS: response headers larger than the header table (%d bytes)" % ah.size)
        return
    if read_ah(wsi):
        _process_reply(wsi)


def _process_reply(wsi):
    ctx = wsi.context
    cl = wsi.client
    ah = wsi.ah
    while True:
        st = parse_response(ah, ctx.token_limits)
        if st == NEED_MORE:
            return
        if st != COMPLETE:
            cc.fail(wsi, "HS: " + st)
            return
        status = response_status(ah)
        if status < 100 or status > 199 or status == 101:
            break
        ah.reset(ah.hdr_end)  # an interim answer: the real one follows
    wsi.http_status = status
    if status in _REDIRECTS:
        _redirect(wsi, status)
    elif cl.ws:
        ops(ROLE_WS_CLIENT).adopt(wsi, None)  # ws_client checks the upgrade
    elif status == 101:
        cc.fail(wsi, "HS: 101 answer to a request that asked no upgrade")
    else:
        _established(wsi, status)


def status_text(wsi):
    """'404 Not Found': the status line after the version, for reasons."""
    return lws_hdr_str(wsi, 15) or lws_hdr_str(wsi, 79) or "?"


def _redirect(wsi, status):
    cl = wsi.client
    loc = wsi.ah.value(_WSI_TOKEN_HTTP_LOCATION)
    if loc is None:
        cc.fail(wsi, "HS: Redirect code but no Location (%s)" % status_text(wsi))
        return
    try:
        loc = bytes(loc).decode()
    except UnicodeError:
        cc.fail(wsi, "HS: Redirect Location is not UTF-8")
        return
    t = cc.parse_location(wsi, loc)
    if isinstance(t, str):
        cc.fail(wsi, t)
        return
    ssl, address, port, path = t
    if status == 303 or (status < 303 and cl.method == "POST"):
        cl.method = cl.method and "GET"
    default = 443 if ssl else 80
    host = address if port == default else "%s:%d" % (address, port)
    why = connect.reset(wsi, ssl, address, port, path, host)
    if why is not None:
        cc.fail(wsi, "HS: Redirect failed: " + why)


def _established(wsi, status):
    ctx = wsi.context
    cl = wsi.client
    ah = wsi.ah
    if status < 200 or status > 299:
        cc.fail(wsi, "HS: Server did not return 200: %s" % status_text(wsi))
        return
    te = ah.value(_WSI_TOKEN_HTTP_TRANSFER_ENCODING)
    clen = ah.value(_WSI_TOKEN_HTTP_CONTENT_LENGTH)
    cl.chunked = None
    if cl.method == "HEAD" or status == 204 or status == 304:
        cl.remain = 0
    elif te is not None and token_list_has(te, b"chunked"):
        cl.chunked = ChunkedDecoder()
        cl.remain = 0
    elif clen is not None:
        v = bytes(clen).strip()
        if not v or len(v) > 15 or not v.isdigit():
            cc.fail(wsi, "HS: bad Content-Length")
            return
        cl.remain = int(v)
    else:
        cl.remain = -1  # the body ends when the server closes
    conn = ah.value(_WSI_TOKEN_CONNECTION)
    if ah.http_version == 11:
        cl.keepalive = not token_list_has(conn, b"close")
    else:
        cl.keepalive = token_list_has(conn, b"keep-alive")
    if cl.remain < 0:
        cl.keepalive = False
    if user_callback(wsi, _LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH):
        cc.fail(wsi, "HS: disallowed by client filter")
        return
    set_timeout(wsi, 0, 0)
    if user_callback(wsi, _LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP):
        cc.fail(wsi, "HS: disallowed at ESTABLISHED")
        return
    if wsi.closed:
        return
    cl.phase = P_HTTP
    cl.established = True
    if wsi.want_writable:
        change_events(wsi, POLLOUT, 0)
    lwsl_info("client %s:%d%s: HTTP %d", cl.address, cl.port, cl.path, status)
    if not cl.remain and cl.chunked is None:
        if complete(wsi) < 0:
            close_soon(wsi)
        return
    set_timeout(wsi, _PENDING_TIMEOUT_HTTP_CONTENT, ctx.timeout_secs)
    if ah.rxlen > ah.body_pos:
        cc.queue(wsi)  # body bytes came with the head: RECEIVE_CLIENT_HTTP next
    else:
        release_ah(wsi)
        change_events(wsi, POLLIN, 0)


def lws_http_client_http_response(wsi):
    """The status code of the response (later lws API; 0 before one)."""
    return wsi.http_status


# ------------------------------------------------------------ role ops


def readable(wsi, revents):
    cl = wsi.client
    ph = cl.phase
    if ph == P_CONNECTING:
        connect.connect_ready(wsi, revents)
    elif ph == P_PROXY:
        connect.proxy_reply(wsi)
    elif ph == P_TLS:
        connect.tls_step(wsi)
    elif ph == P_REPLY or ph == P_BODY:
        _read_reply(wsi, revents)
    elif ph == P_HTTP:
        if revents & (POLLHUP | POLLERR) and not revents & POLLIN and wsi.ah is None:
            cl.why = "connection lost before the end of the body"
            wsi.context.fatal(wsi, "peer hung up")
            return
        rx_waiting(wsi)
    elif ph == P_IDLE:
        # nothing may come now: a close (the usual end) or a protocol error
        ctx = wsi.context
        if conn_read(wsi, ctx.serv_mv) and not wsi.closed:
            ctx.fatal(wsi, "data on an idle client connection")
    else:
        change_events(wsi, 0, POLLIN)


def writable(wsi):
    cl = wsi.client
    ctx = wsi.context
    ph = cl.phase
    if ph == P_CONNECTING:
        connect.connect_ready(wsi, POLLOUT)
        return
    if ph == P_TLS:
        connect.tls_step(wsi)
        return
    if not drain_stored(wsi):
        return
    if wsi.want_writable and (ph == P_BODY or ph == P_HTTP or ph == P_IDLE):
        wsi.want_writable = False
        change_events(wsi, 0, POLLOUT)
        if ph == P_BODY:
            set_timeout(wsi, _PENDING_TIMEOUT_CLIENT_ISSUE_PAYLOAD, ctx.timeout_secs)
            reason = _LWS_CALLBACK_CLIENT_HTTP_WRITEABLE
        else:
            reason = _LWS_CALLBACK_HTTP_WRITEABLE
        if user_callback(wsi, reason):
            ctx.close(wsi)
        elif cl.close_pending:
            ctx.close(wsi)
        return
    change_events(wsi, 0, POLLOUT)


def buffered(wsi):
    cl = wsi.client
    if cl.close_pending:
        wsi.context.close(wsi)
        return
    ph = cl.phase
    if ph == P_RESOLVE:
        connect.start(wsi)
    elif (ph == P_REPLY or ph == P_BODY) and wsi.ah is not None:
        _process_reply(wsi)
    elif ph == P_HTTP and wsi.ah is not None:
        rx_waiting(wsi)


OPS = lws_role_ops("http-client", adopt=issue, readable=readable, writable=writable,
                   buffered=buffered, write=write, timeout=cc.timeout, closed=cc.closed)
