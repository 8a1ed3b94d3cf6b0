"""The WebSocket client role: the client side of the RFC 6455 opening
handshake, then the connection runs in ws_conn (masking its frames).

http_client sends the request with ``request_headers`` and parses the
answer; a 101 comes here (``upgrade``), is checked the way lws v2.1 checks
it (Upgrade, Connection, the protocol against the ones offered, no
extension, the Sec-WebSocket-Accept for our key), then
CLIENT_FILTER_PRE_ESTABLISH (the response headers readable with
lws_hdr_copy) and CLIENT_ESTABLISHED.
"""

from ..core.context import bind_protocol
from ..core.conn import change_events, protocol_callback, release_ah, set_timeout, user_callback
from ..codec.header_names import token_list_has
from ..codec.ws_handshake import accept_key
from ..core.log import lwsl_info
from ..core.role_ops import lws_role_ops
from ..core.role_ops import ROLE_WS_CLIENT
from ..core.wsi import LWSS_ESTABLISHED
from ..plat import _port
from ..plat._port import POLLIN, POLLOUT, const
from . import client_conn as cc
from . import ws_conn
from .http_client import status_text
from .ws_conn import DEFAULT_RX_BUFFER, WsConn
from .ws_send import write

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED = const(26)
_LWS_CALLBACK_CLIENT_RECEIVE = const(8)
_LWS_CALLBACK_CLIENT_RECEIVE_PONG = const(9)
_LWS_CALLBACK_CLIENT_WRITEABLE = const(10)
_LWS_CALLBACK_CLIENT_ESTABLISHED = const(3)
_LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH = const(2)
_WSI_TOKEN_ACCEPT = const(13)
_WSI_TOKEN_CONNECTION = const(4)
_WSI_TOKEN_EXTENSIONS = const(9)
_WSI_TOKEN_PROTOCOL = const(12)
_WSI_TOKEN_UPGRADE = const(5)


class WsClientConn(WsConn):
    """The client side of ws_conn: frames arrive plain and go out masked,
    and the callback reasons are the CLIENT_ ones."""

    client = True
    RX = _LWS_CALLBACK_CLIENT_RECEIVE
    PONG = _LWS_CALLBACK_CLIENT_RECEIVE_PONG
    WRITEABLE = _LWS_CALLBACK_CLIENT_WRITEABLE


def request_headers(wsi):
    """The upgrade's own request headers; remembers the accept to expect."""
    ctx = wsi.context
    cl = wsi.client
    key = _port.b64encode(_port.urandom(16))
    cl.accept = accept_key(key)
    h = b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\n"
    if cl.protocols:
        h += b"Sec-WebSocket-Protocol: " + ", ".join(cl.protocols).encode() + b"\r\n"
    # protocols[0] is asked about each extension, as lws does; lws_mp runs
    # no extension, so none is offered whatever the answer
    for ext in cl.client_exts or ():
        if ext is None or ext.callback is None:
            break
        protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED,
                          ext.name, 0)
    return h + b"Sec-WebSocket-Version: %d\r\n" % cl.version


def _check(wsi):
    """None if the 101 is the answer to our request, else why not."""
    ctx = wsi.context
    cl = wsi.client
    ah = wsi.ah
    if wsi.http_status != 101:
        return "HS: ws upgrade response not 101: " + status_text(wsi)
    if ah.value(_WSI_TOKEN_ACCEPT) is None:
        return "HS: ACCEPT missing"
    up = ah.value(_WSI_TOKEN_UPGRADE)
    if up is None:
        return "HS: UPGRADE missing"
    if not token_list_has(up, b"websocket"):
        return "HS: Upgrade to something other than websocket"
    conn = ah.value(_WSI_TOKEN_CONNECTION)
    if conn is None:
        return "HS: CONNECTION missing"
    if not token_list_has(conn, b"upgrade"):
        return "HS: UPGRADE malformed"
    granted = ah.value(_WSI_TOKEN_PROTOCOL)
    if granted is None:
        if cl.protocols:
            return "HS: protocol not granted: the server chose none of %s" % ", ".join(
                cl.protocols)
        wsi.protocol = ctx.protocols[0]
    else:
        try:
            name = bytes(granted).strip().decode()
        except UnicodeError:
            return "HS: PROTOCOL malformed"
        if name not in cl.protocols:
            return "HS: PROTOCOL malformed: the server chose %r, which was not offered" % name
        for p in ctx.protocols:
            if p.name == name:
                wsi.protocol = p
                break
        else:
            return "HS: Cannot match protocol %r" % name
    if ah.value(_WSI_TOKEN_EXTENSIONS) is not None:
        return "HS: EXT: the server named an extension, none was offered"
    if bytes(ah.value(_WSI_TOKEN_ACCEPT)).strip() != cl.accept:
        return "HS: Accept hash wrong"
    return None


def upgrade(wsi, unused=None):
    """The server answered the upgrade: check it, then become a WebSocket."""
    ctx = wsi.context
    cl = wsi.client
    why = _check(wsi)
    if why is not None:
        cc.fail(wsi, why)
        return
    proto = wsi.protocol
    if cl.userdata is not None:
        wsi.user_space = cl.userdata
    else:
        bind_protocol(wsi, proto)
    if user_callback(wsi, _LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH):
        cc.fail(wsi, "HS: Rejected by filter cb")
        return
    set_timeout(wsi, 0, 0)
    if ctx.ws_tx is None:
        ctx.ws_tx = bytearray(len(ctx.serv_buf))
        ctx.ws_tx_mv = memoryview(ctx.ws_tx)
    wsi.role = ROLE_WS_CLIENT
    wsi.state = LWSS_ESTABLISHED
    wsi.ws = WsClientConn(proto.rx_buffer_size or DEFAULT_RX_BUFFER)
    cl.established = True
    ah = wsi.ah
    if not wsi.rxflow_disabled:
        change_events(wsi, POLLIN, 0)
    lwsl_info("client %s:%d%s: websocket %s established", cl.address, cl.port, cl.path,
              proto.name)
    if user_callback(wsi, _LWS_CALLBACK_CLIENT_ESTABLISHED):
        ctx.close(wsi)
        return
    if wsi.closed:
        return
    if wsi.want_writable:
        change_events(wsi, POLLOUT, 0)
    # frames the server sent right behind its answer
    if ah.rxlen > ah.hdr_end:
        ws_conn.process(wsi, ah.mv, ah.hdr_end, ah.rxlen)
    if wsi.ah is not None:
        release_ah(wsi)


def periodic(ctx, now):
    """Ping idle client connections when ws_ping_pong_interval is set."""
    ws_conn.ping_idle(ctx, now, ROLE_WS_CLIENT)


OPS = lws_role_ops("ws-client", adopt=upgrade, readable=ws_conn.readable,
                   writable=ws_conn.writable, buffered=ws_conn.buffered, write=write,
                   periodic=periodic, before_close=ws_conn.before_close,
                   closed=ws_conn.closed, rx_resume=ws_conn.rx_resume)
