"""Per-connection lws functions that belong to no single role."""

from .conn import change_events
from ..plat import _port
from .log import lwsl_err
from .role_ops import ROLE_WS_CLIENT, ops_of
from .wsi import ROLE_HTTP, ROLE_LISTEN, ROLE_RAW, ROLE_WS, peer
from ..plat._port import POLLIN, POLLOUT


def lws_get_context(wsi):
    return wsi.context


def lws_wsi_user(wsi):
    return wsi.user_space


def lws_get_protocol(wsi):
    return wsi.protocol


def lws_get_socket_fd(wsi):
    return wsi.fd


def lws_is_ssl(wsi):
    """0 plain; 1 TLS (a server connection, or a client that verified the
    server's certificate); 2 TLS without that check (a client told to allow
    a self-signed certificate)."""
    t = wsi.tls
    return 0 if t is None else t.use_ssl


def lws_get_peer_addresses(wsi, fd=None, name=None, name_len=0, rip=None, rip_len=0):
    """Peer name and IP.  Python rule: returns (name, rip) as str; with
    bytearrays given they are also filled NUL-terminated, truncated to fit.
    There is no reverse DNS on a device: the name is the IP."""
    ip = peer(wsi)[0]
    acc = wsi.context.accepting
    if acc is not None and (fd is None or fd == acc[0] or fd == _port.sock_fd(acc[0])):
        ip = _port.addr_tuple(acc[1])[0]  # asked from FILTER_NETWORK_CONNECTION: the new peer
    for buf, ln in ((name, name_len), (rip, rip_len)):
        if buf is not None and ln > 0:
            b = ip.encode()[:ln - 1]
            buf[0:len(b)] = b
            buf[len(b)] = 0
    return ip, ip


def lws_callback_on_writable(wsi):
    """Ask for one WRITEABLE callback when the socket can take more.

    Returns 1 if POLLOUT was asked for, 0 for a closed connection.
    """
    role = wsi.role  # compared one by one: a tuple would be made per call
    if wsi.closed or role == ROLE_LISTEN or role == ROLE_RAW:
        return 0
    wsi.want_writable = True
    change_events(wsi, POLLOUT, 0)
    return 1


def _is_conn_of(w, protocol):
    # (the walks below are plain loops: a generator is an allocation per call)
    return w is not None and not w.closed and w.protocol is protocol and (
        w.role == ROLE_WS or w.role == ROLE_WS_CLIENT)


def lws_callback_on_writable_all_protocol(ctx, protocol):
    """lws_callback_on_writable on each WebSocket connection, server or
    client, of the context's protocol with ``protocol``'s callback and name
    (as v2.1 matches it: a copy of the struct will do)."""
    for p in ctx.protocols:
        if p.callback == protocol.callback and p.name == protocol.name:
            for w in ctx.slots:
                if w is not None and not w.closed and w.protocol is p and (
                        w.role == ROLE_WS or w.role == ROLE_WS_CLIENT):
                    lws_callback_on_writable(w)
            break
    return 0


def lws_callback_all_protocol(ctx, protocol, reason):
    """Call ``protocol``'s callback with ``reason`` on every connection in
    the fd table whose protocol is ``protocol`` itself (HTTP and WebSocket
    connections, and the listen socket for protocols[0]), as v2.1 does.
    Return values are ignored; a callback that raises closes that
    connection."""
    for w in ctx.slots:
        if w is None or w.protocol is not protocol or w is ctx.waker_wsi:
            continue
        try:
            protocol.callback(w, reason, w.user_space, None, 0)
        except Exception as e:  # contained to that connection
            lwsl_err("callback %s reason %d raised %r", protocol.name, reason, e)
            _port.print_exception(e)
            if w.role != ROLE_LISTEN and not w.closed:
                ctx.fatal(w, "internal error")
    return 0


def lws_rx_flow_control(wsi, enable):
    """0 stops reading this connection, 1 resumes."""
    wsi.rxflow_disabled = not enable
    role = wsi.role
    if (role == ROLE_HTTP or role == ROLE_WS or role == ROLE_WS_CLIENT) and not wsi.closed:
        if not enable:
            change_events(wsi, 0, POLLIN)
        elif ops_of(wsi).rx_resume(wsi):
            pass  # what was held back goes first; reading resumes after it
        elif role != ROLE_HTTP or wsi.ah is not None:
            change_events(wsi, POLLIN, 0)
    return 0


def lws_rx_flow_allow_all_protocol(ctx, protocol):
    for w in ctx.slots:
        if _is_conn_of(w, protocol):
            lws_rx_flow_control(w, 1)


def lws_cgi(wsi, exec_array, timeout_secs):
    """No processes to spawn on a microcontroller: always -1."""
    return -1


def lws_cgi_kill(wsi):
    return -1


def lws_close_reason(wsi, status, buf=None, len_=None):
    """Status and the first ``len_`` bytes of ``buf`` (at most 123) for the
    close frame.  As in C, ``len_`` 0 sends no reason bytes; Python rule:
    ``len_`` left out means all of ``buf``."""
    wsi.close_status = status
    if isinstance(buf, str):
        buf = buf.encode()
    if len_ is None:
        len_ = 0 if buf is None else len(buf)
    if buf is not None and len_ > 0:
        wsi.close_reason = bytes(buf[:min(len_, 123)])
    else:
        wsi.close_reason = None

