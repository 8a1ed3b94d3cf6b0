"""The HTTP/1.1 server role: requests, bodies, keep-alive, mounts."""

from ..core.context import close_free_wsi
from ..core.conn import (attach_ah, change_events, conn_read, release_ah, set_timeout,
                         user_callback)
from ..codec.header_names import token_list_has as _plain_token_list_has
from ..codec.http_parser import COMPLETE, NEED_MORE, content_length, parse_request
from ..core import log
from ..core.log import lwsl_info, lwsl_notice
from ..core.output import drain_stored, issue_raw
from ..core.role_ops import lws_role_ops, ops
from ..core.wsi import peer, peer_str
from ..plat import _port
from . import part
from .http_response import lws_return_http_status, protocol_error, write
from ..plat._port import POLLIN, POLLOUT, const, micropython, utf8_valid  # @micropython.native
from builtins import bytes, len, str  # one look-up, not two (docs/ARCHITECTURE.md)

token_list_has = _port.parse_scan.token_in_list if _port.parse_scan else _plain_token_list_has

# lws_mp's own state and role numbers (core/wsi, core/role_ops), module-private
# consts: an imported name would be a global, looked up at each use
_LWSS_HTTP = const(0)
_LWSS_HTTP_BODY = const(1)
_LWSS_HTTP_SERVING = const(2)
_ROLE_HTTP = const(1)
_ROLE_WS = const(2)

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LLL_INFO = const(8)
_LWS_CALLBACK_CLOSED_HTTP = const(5)
_LWS_CALLBACK_FILTER_HTTP_CONNECTION = const(18)
_LWS_CALLBACK_HTTP = const(12)
_LWS_CALLBACK_HTTP_BODY = const(13)
_LWS_CALLBACK_HTTP_BODY_COMPLETION = const(14)
_LWS_CALLBACK_HTTP_WRITEABLE = const(16)
_PENDING_TIMEOUT_HTTP_CONTENT = const(10)
_PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE = const(15)
_WSI_TOKEN_CONNECTION = const(4)
_WSI_TOKEN_GET_URI = const(0)
_WSI_TOKEN_HOST = const(3)
_WSI_TOKEN_HTTP_CONTENT_LENGTH = const(27)
_WSI_TOKEN_HTTP_EXPECT = const(51)
_WSI_TOKEN_HTTP_TRANSFER_ENCODING = const(68)
_WSI_TOKEN_UPGRADE = const(5)


_mount_part = None  # roles.http_mount, once a request has needed it (a global: no call)


def _load_mounts():
    global _mount_part
    _mount_part = part("roles.http_mount")
    return _mount_part


def adopt(wsi, readbuf):
    """A new connection: get a header table (or queue) and start the clock."""
    ctx = wsi.context
    wsi.state = _LWSS_HTTP
    if readbuf is not None and len(readbuf):
        wsi.preload = bytes(readbuf)
    if attach_ah(wsi):
        set_timeout(wsi, _PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, ctx.timeout_secs)
        if wsi.preload:
            _take_preload(wsi)
            _queue(wsi)


def _take_preload(wsi):
    """Adopted input goes into the header table before anything read later."""
    pre = wsi.preload
    if pre:
        ah = wsi.ah
        n = min(len(pre), ah.size - ah.rxlen)
        ah.mv[ah.rxlen:ah.rxlen + n] = pre[:n]
        ah.rxlen += n
        wsi.preload = pre[n:] if n < len(pre) else None


def _queue(wsi):
    if not wsi.pending_rx:
        wsi.pending_rx = True
        wsi.context.pending.append(wsi)


def readable(wsi, revents):
    st = wsi.state
    if st == _LWSS_HTTP:
        if wsi.ah is None and revents & (_port.POLLHUP | _port.POLLERR):
            # gone while waiting for a header table (or between requests)
            wsi.context.fatal(wsi, "peer hung up")
            return
        _read_headers(wsi)
    elif st == _LWSS_HTTP_BODY:
        _read_body(wsi)
    else:
        # not reading now: only notice a peer that went away
        if revents & (_port.POLLHUP | _port.POLLERR):
            wsi.context.fatal(wsi, "peer hung up")
        else:
            change_events(wsi, 0, POLLIN)


def buffered(wsi):
    if wsi.state == _LWSS_HTTP:
        if wsi.ah is None and not attach_ah(wsi):
            return
        _take_preload(wsi)
        _process_headers(wsi)
    elif wsi.file is not None:
        # a file sent whole with its head (serve_file): complete it in this
        # same lws_service, after the callback that served it has returned
        writable(wsi)


def _read_headers(wsi):
    ctx = wsi.context
    if wsi.ah is None:
        if not attach_ah(wsi):
            return
        set_timeout(wsi, _PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, ctx.timeout_secs)
    if wsi.preload:
        _take_preload(wsi)
    ah = wsi.ah
    if ah.rxlen < ah.size:
        # (read_ah, inline: a call less at every request) into the whole
        # table when it is empty, the usual case: no view made
        n = conn_read(wsi, ah.mv[ah.rxlen:ah.size] if ah.rxlen else ah.mv)
        if not n:
            return
        ah.rxlen += n
    _process_headers(wsi)


@micropython.native
def _process_headers(wsi):
    """Parse what the header table holds; answer a complete request."""
    ctx = wsi.context
    ah = wsi.ah
    st = parse_request(ah, ctx.token_limits, _port.parse_scan)
    if st != COMPLETE:
        if st != NEED_MORE:
            protocol_error(wsi, st)
        return
    ah.body_pos = ah.hdr_end
    # fields the last request left at their defaults are not written again
    # (a new wsi's field table grows at each first write)
    if ah.head:
        wsi.head = True
    wsi.transaction_done = False
    wsi.http_status = 0
    fi = ah.frag_index
    conn = ah.value(_WSI_TOKEN_CONNECTION) if fi[_WSI_TOKEN_CONNECTION] else None
    if ah.http_version == 11:
        wsi.http_keepalive = conn is None or not token_list_has(conn, b"close")
        if not fi[_WSI_TOKEN_HOST]:
            protocol_error(wsi, 400)
            return
    else:
        wsi.http_keepalive = conn is not None and token_list_has(conn, b"keep-alive")
    # request body framing (what is there is asked of the fragment index:
    # a value's view is made only when it is read)
    has_body = False
    if fi[_WSI_TOKEN_HTTP_TRANSFER_ENCODING]:
        if fi[_WSI_TOKEN_HTTP_CONTENT_LENGTH]:
            protocol_error(wsi, 400)  # both: a smuggling attempt
            return
        if ah.count(_WSI_TOKEN_HTTP_TRANSFER_ENCODING) != 1 or \
                bytes(ah.value(_WSI_TOKEN_HTTP_TRANSFER_ENCODING)).strip().lower() != b"chunked":
            # RFC 7230 3.3.1: repeated fields make one list, and only a lone
            # "chunked" is understood here
            protocol_error(wsi, 501)
            return
        # (loaded with the first chunked body: most devices never see one)
        wsi.chunked = part("codec.chunked").ChunkedDecoder()
        has_body = True
    elif fi[_WSI_TOKEN_HTTP_CONTENT_LENGTH]:
        length = content_length(ah)
        if length < 0:
            protocol_error(wsi, 400)
            return
        if ctx.max_http_body_size and length > ctx.max_http_body_size:
            protocol_error(wsi, 413)
            return
        wsi.body_remaining = length
        has_body = length > 0
    # websocket upgrade
    if conn is not None and fi[_WSI_TOKEN_UPGRADE] and token_list_has(conn, b"upgrade"):
        up = bytes(ah.value(_WSI_TOKEN_UPGRADE)).strip().lower()
        if up == b"websocket" and ah.method == _WSI_TOKEN_GET_URI:
            ops(_ROLE_WS).adopt(wsi, None)
            return
    _route(wsi, ctx, ah, has_body)


# in two halves: each is small enough to be machine code on every board
@micropython.native
def _route(wsi, ctx, ah, has_body):
    """The request's answer: the filter, a mount, or protocols[0]."""
    raw = ah.value(ah.method)  # the table's bytes of the path: mounts match them
    # the path as a string, for a callback that is given it: made only then
    # (a new string is a look-up among the interned ones on MicroPython)
    uri = None
    if user_answers(wsi):
        try:
            uri = str(raw, "utf-8")
        except (UnicodeError, TypeError):
            protocol_error(wsi, 400)
            return
        if user_callback(wsi, _LWS_CALLBACK_FILTER_HTTP_CONNECTION, uri, len(uri)):
            lwsl_notice("%s: request for %s refused by filter", peer(wsi)[0], uri)
            protocol_error(wsi, 403)
            return
    elif not utf8_valid(raw):
        protocol_error(wsi, 400)
        return
    target = mount = None
    if ctx.mounts:
        hm = _mount_part if _mount_part is not None else _load_mounts()
        mount = hm.match(ctx, raw)
    if mount is not None:
        # as in lws, a mount answers for what it has; a URL it has nothing
        # for goes on to protocols[0] (dynamic routes, POST handlers)
        target = hm.lookup(wsi, mount, raw)
        if target is not None and ah.method != _WSI_TOKEN_GET_URI:
            # (a look-up that found nothing hinted no stat; this one did, and
            # its stat is for serving now only)
            hm.hint_stat(None, None)
            # refused before a 100 Continue could invite the body
            protocol_error(wsi, 405, b"Allow: GET, HEAD\r\n")
            return
    if has_body:
        if ah.frag_index[_WSI_TOKEN_HTTP_EXPECT] and \
                bytes(ah.value(_WSI_TOKEN_HTTP_EXPECT)).lower() == b"100-continue":
            issue_raw(wsi, memoryview(b"HTTP/1.1 100 Continue\r\n\r\n"))
        wsi.state = _LWSS_HTTP_BODY
        set_timeout(wsi, _PENDING_TIMEOUT_HTTP_CONTENT, ctx.timeout_secs)
    else:
        # POLLIN stays on while the answer is made: most answers are done
        # before anything more arrives, and readable() turns it off if
        # something does (pipelined input waits in the kernel meanwhile)
        wsi.state = _LWSS_HTTP_SERVING
        wsi.pending_timeout = 0  # set_timeout(wsi, 0, 0) without the call
    if target is not None:
        if has_body:
            wsi.http_keepalive = False
        wsi.state = _LWSS_HTTP_SERVING
        hm.serve(wsi, mount, target)
        return
    # (lws_callback_http_dummy, the one callback given no string, reads
    # neither in nor len)
    if user_callback(wsi, _LWS_CALLBACK_HTTP, raw if uri is None else uri,
                     len(raw) if uri is None else len(uri)):
        close_free_wsi(ctx, wsi)
        return
    if wsi.closed:
        return
    if mount is not None and not wsi.transaction_done and wsi.state == _LWSS_HTTP_SERVING \
            and not (wsi.headers_sent or wsi.trunc_len or wsi.want_writable
                     or wsi.file is not None):
        # a URL under a mount that neither the mount nor protocols[0] answered
        lws_return_http_status(wsi, 404, None)
        if lws_http_transaction_completed(wsi):
            close_free_wsi(ctx, wsi)
        return
    if wsi.state == _LWSS_HTTP_SERVING and not wsi.transaction_done and not wsi.pending_timeout:
        # the answer is still to come: bounded like every other wait (each
        # write renews it; lws_set_timeout can give more)
        set_timeout(wsi, _PENDING_TIMEOUT_HTTP_CONTENT, ctx.timeout_secs)
    if wsi.state == _LWSS_HTTP_BODY and ah.pending():
        _body_from(wsi, ah.mv, ah.body_pos, ah.rxlen)


def _read_body(wsi):
    ctx = wsi.context
    buf = ctx.serv_mv
    want = len(buf)
    if wsi.chunked is None and wsi.body_remaining < want:
        want = wsi.body_remaining
    n = conn_read(wsi, buf[:want])
    if not n:
        return
    set_timeout(wsi, _PENDING_TIMEOUT_HTTP_CONTENT, ctx.timeout_secs)
    _body_from(wsi, buf, 0, n)


def _in_ah(wsi, mv):
    """Whether mv is the header table's buffer (the body's first bytes
    came with the head) rather than the service buffer."""
    ah = wsi.ah
    return ah is not None and mv is ah.mv


def _body_from(wsi, mv, pos, end):
    """Hand body bytes mv[pos:end] to HTTP_BODY; finish when complete.
    (Small frames, here and below: past 11 words a frame is a heap
    allocation at every call on MicroPython.)"""
    if wsi.chunked is not None:
        _chunked_from(wsi, mv, pos, end)
        return
    in_ah = _in_ah(wsi, mv)
    while pos < end and wsi.state == _LWSS_HTTP_BODY and not wsi.closed:
        # ``stop``: where this piece of the body ends
        stop = end if end - pos <= wsi.body_remaining else pos + wsi.body_remaining
        if not _deliver(wsi, mv[pos:stop]):
            return
        wsi.body_remaining -= stop - pos
        pos = stop
        if in_ah:
            wsi.ah.body_pos = pos
        if not wsi.body_remaining:
            # what is past the body stays for the next request (if it was
            # read here, not in the header table already)
            _body_complete(wsi, mv, pos, pos if in_ah else end)
            return


def _chunked_from(wsi, mv, pos, end):
    dec = wsi.chunked
    ck = part("codec.chunked")
    in_ah = _in_ah(wsi, mv)
    while pos < end and wsi.state == _LWSS_HTTP_BODY and not wsi.closed:
        used, doff, dlen = dec.step(mv[pos:end])
        if used == ck.ERROR:
            protocol_error(wsi, 400)
            return
        if dlen:
            if not _deliver(wsi, mv[pos + doff:pos + doff + dlen]):
                return
        pos += used
        if in_ah:
            wsi.ah.body_pos = pos
        if dec.state == ck.S_DONE:
            _body_complete(wsi, mv, pos, pos if in_ah else end)
            return


def _deliver(wsi, chunk):
    ctx = wsi.context
    if ctx.max_http_body_size:
        wsi.body_seen += len(chunk)
        if wsi.body_seen > ctx.max_http_body_size:
            protocol_error(wsi, 413)
            return False
    if user_callback(wsi, _LWS_CALLBACK_HTTP_BODY, chunk, len(chunk)):
        close_free_wsi(ctx, wsi)
        return False
    return not wsi.closed


def _body_complete(wsi, mv, pos, end):
    """The body is in; mv[pos:end] is input read past it."""
    if wsi.context.max_http_body_size:
        wsi.body_seen = 0  # (counted only under a limit: _deliver)
    if wsi.chunked is not None:
        wsi.chunked = None  # the next request's starts at its default
    if pos < end:
        _keep_pipelined(wsi, mv, pos, end)
    wsi.state = _LWSS_HTTP_SERVING  # POLLIN stays on: see _route
    wsi.pending_timeout = 0  # set_timeout(wsi, 0, 0) without the call
    if user_callback(wsi, _LWS_CALLBACK_HTTP_BODY_COMPLETION):
        close_free_wsi(wsi.context, wsi)
        return
    if not wsi.closed and not wsi.transaction_done and not wsi.pending_timeout:
        # the answer is still to come: bounded as after LWS_CALLBACK_HTTP
        set_timeout(wsi, _PENDING_TIMEOUT_HTTP_CONTENT, wsi.context.timeout_secs)


def _keep_pipelined(wsi, mv, pos, end):
    # pipelined input read past the body: kept in the header table
    ah = wsi.ah
    n = end - pos
    if ah.hdr_end + n > ah.size:
        wsi.http_keepalive = False
    else:
        ah.mv[ah.hdr_end:ah.hdr_end + n] = mv[pos:end]
        ah.rxlen = ah.hdr_end + n
        ah.body_pos = ah.hdr_end


def writable(wsi):
    ctx = wsi.context
    if not drain_stored(wsi):
        return
    if wsi.complete_after_flush:
        wsi.complete_after_flush = False
        if lws_http_transaction_completed(wsi):
            close_free_wsi(ctx, wsi)
        return
    if wsi.file is not None:
        sf = part("roles.serve_file")
        if sf.stream_some(wsi) and not wsi.closed:
            if not wsi.want_writable:
                change_events(wsi, 0, POLLOUT)
            sf.finish(wsi)
        return
    if wsi.want_writable:
        wsi.want_writable = False
        change_events(wsi, 0, POLLOUT)
        if user_callback(wsi, _LWS_CALLBACK_HTTP_WRITEABLE):
            close_free_wsi(ctx, wsi)
        return
    change_events(wsi, 0, POLLOUT)


def lws_http_transaction_completed(wsi):
    """The response is done: 1 if the connection must close now, else 0 and
    the connection waits (keep-alive) for the next request."""
    if wsi.closed:
        return 1
    if wsi.role != _ROLE_HTTP:
        return 0
    if wsi.transaction_done:
        return 0
    ctx = wsi.context
    if wsi.trunc_len:
        wsi.complete_after_flush = True
        return 0
    if wsi.state == _LWSS_HTTP_BODY:
        wsi.http_keepalive = False  # the rest of the body is still unread
    wsi.transaction_done = True
    if log._level & _LLL_INFO:  # lwsl_enabled, without a call at every request
        lwsl_info("%s: HTTP %d", peer_str(wsi), wsi.http_status)
    if not wsi.http_keepalive:
        return 1
    wsi.state = _LWSS_HTTP
    wsi.head = False
    wsi.headers_sent = False
    ah = wsi.ah
    if ah is not None and ah.rxlen > ah.body_pos:  # ah.pending(), without the call
        ah.reset(ah.body_pos)
        _queue(wsi)  # pipelined: parse it without waiting for poll
    elif ah is not None:
        release_ah(wsi)
    if not wsi.events & POLLIN and not wsi.rxflow_disabled:  # (usually on still: no call)
        change_events(wsi, POLLIN, 0)
    set_timeout(wsi, _PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, ctx.timeout_secs)
    return 0


def closed(wsi):
    if wsi.file is not None:
        wsi.file.fops.close(wsi, wsi.file.fd)
        wsi.file = None
    if user_answers(wsi):
        user_callback(wsi, _LWS_CALLBACK_CLOSED_HTTP)


def timeout(wsi, reason):
    """A pending timeout fired; True: just close."""
    if wsi.state == _LWSS_HTTP and wsi.ah is not None and wsi.ah.rxlen:
        lwsl_info("%s: request incomplete at timeout", peer_str(wsi))
        protocol_error(wsi, 408)
        return False
    return True


def lws_callback_http_dummy(wsi, reason, user, in_, len_):
    """A protocols[0] callback that answers 404 to what no mount serves."""
    if reason == _LWS_CALLBACK_HTTP:
        if lws_return_http_status(wsi, 404, None):
            return -1
        if lws_http_transaction_completed(wsi):
            return -1
    return 0


def user_answers(wsi):
    """False when the connection's callback is lws_callback_http_dummy
    itself: it answers 0 to every reason but HTTP, so the request path
    does not call it for them (FILTER_HTTP_CONNECTION, FILE_COMPLETION)."""
    p = wsi.protocol
    if p is None:
        p = wsi.context.protocols[0]
    return p.callback is not lws_callback_http_dummy


def init_context(ctx):
    """A serving context: with this dummy as protocols[0] the poll reasons
    and a connection's coming and going would go to a callback that ignores
    them, so the core skips them."""
    ctx.protocol0_dummy = ctx.protocols[0].callback is lws_callback_http_dummy
    return True


OPS = lws_role_ops("http", adopt=adopt, readable=readable, writable=writable,
                   buffered=buffered, write=write, timeout=timeout, closed=closed,
                   init_context=init_context)
