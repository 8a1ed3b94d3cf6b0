"""The WebSocket server role: the RFC 6455 opening handshake on an HTTP
connection that asked to upgrade; the connection then runs in ws_conn."""

from ..core.context import bind_protocol
from ..core.conn import change_events, release_ah, set_timeout, user_callback
from ..codec.ws_handshake import accept_key, choose_protocol, key_is_valid, response
from ..core.log import lwsl_enabled, lwsl_info, lwsl_notice
from ..core.output import issue_raw
from ..core.role_ops import lws_role_ops
from ..core.wsi import LWSS_ESTABLISHED, ROLE_WS, peer, peer_str
from ..plat._port import POLLIN, const
from . import ws_conn
from .http_response import protocol_error
from .ws_conn import DEFAULT_RX_BUFFER, WsConn
from .ws_send import write

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LLL_INFO = const(8)
_LWS_CALLBACK_ESTABLISHED = const(0)
_LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION = const(20)
_WSI_TOKEN_KEY = const(32)
_WSI_TOKEN_PROTOCOL = const(12)
_WSI_TOKEN_VERSION = const(33)


def upgrade(wsi, data):
    """Turn an HTTP request asking for a WebSocket into one (or refuse)."""
    ctx = wsi.context
    ah = wsi.ah
    ver = ah.value(_WSI_TOKEN_VERSION)
    if ver is None or bytes(ver).strip() != b"13":
        protocol_error(wsi, 426, b"Sec-WebSocket-Version: 13\r\n")
        return
    key = ah.value(_WSI_TOKEN_KEY)
    if key is None or not key_is_valid(key):
        protocol_error(wsi, 400)
        return
    offered = ah.value(_WSI_TOKEN_PROTOCOL)
    proto, name = choose_protocol(ctx.protocols, offered)
    if proto is None:
        lwsl_notice("%s: no protocol of %r is served", peer(wsi)[0], bytes(offered))
        protocol_error(wsi, 400)
        return
    bind_protocol(wsi, proto)
    if user_callback(wsi, _LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION,
                     proto.name, len(proto.name)):
        lwsl_notice("%s: %s refused by filter", peer(wsi)[0], proto.name)
        protocol_error(wsi, 403)
        return
    if ctx.ws_tx is None:
        ctx.ws_tx = bytearray(len(ctx.serv_buf))
        ctx.ws_tx_mv = memoryview(ctx.ws_tx)
    head = response(accept_key(key), name)
    if issue_raw(wsi, memoryview(head)) < 0:
        return
    wsi.role = ROLE_WS
    wsi.state = LWSS_ESTABLISHED
    wsi.ws = WsConn(proto.rx_buffer_size or DEFAULT_RX_BUFFER)
    set_timeout(wsi, 0, 0)
    if not wsi.rxflow_disabled:
        change_events(wsi, POLLIN, 0)
    if lwsl_enabled(_LLL_INFO):
        lwsl_info("%s: websocket %s established", peer_str(wsi), proto.name)
    if user_callback(wsi, _LWS_CALLBACK_ESTABLISHED):
        ctx.close(wsi)
        return
    if wsi.closed:
        return
    # frames the client sent right behind its handshake
    if ah.rxlen > ah.hdr_end:
        ws_conn.process(wsi, ah.mv, ah.hdr_end, ah.rxlen)
    if wsi.ah is not None:
        release_ah(wsi)


OPS = lws_role_ops("ws", adopt=upgrade, readable=ws_conn.readable, writable=ws_conn.writable,
                   buffered=ws_conn.buffered, write=write, periodic=ws_conn.periodic,
                   before_close=ws_conn.before_close, closed=ws_conn.closed,
                   rx_resume=ws_conn.rx_resume)
