"""The listen role (accepting, lws_adopt_socket) and the raw role (the
cancel waker): the two sockets of a context that carry no protocol."""

from ..core.conn import protocol_callback
from ..core.context import bind_protocol, close_free_wsi, insert_wsi_socket_into_fds, new_wsi
from ..core.log import lwsl_err, lwsl_exception, lwsl_notice, lwsl_warn
from ..core.service import drop
from ..core.role_ops import lws_role_ops, ops
from ..plat import _port
from ..plat._port import POLLIN, const
from ..plat._port import micropython  # @micropython.native

# lws_mp's own state and role numbers (core/wsi, core/role_ops), module-private
# consts: an imported name would be a global, looked up at each use
_LWSS_DEAD_SOCKET = const(7)
_ROLE_HTTP = const(1)
_ROLE_TLS_ACCEPT = const(6)

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_CALLBACK_FILTER_NETWORK_CONNECTION = const(17)
_LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED = const(19)
_LWS_CALLBACK_WSI_CREATE = const(29)

# what _filter found
_TAKEN = const(0)
_REFUSED = const(1)
_NO_HEAP = const(2)


@micropython.native
def _accept(lwsi, revents):
    """Accept one pending connection, while the fd table has room: past
    that, the listen socket's POLLIN goes off and new clients wait in the
    kernel's backlog until a slot frees.  One a wake-up: another pending
    one wakes the next poll at once, where trying again here would mostly
    raise EAGAIN (an exception, a heap object, on MicroPython); lws v2.1
    polls the listen socket for the same reason."""
    ctx = lwsi.context
    if ctx.fd_count >= ctx.fd_limit:
        ctx.listen_pause()
        return
    try:
        r = _port.accept(lwsi.sock)
    except OSError as e:
        lwsl_err("accept failed: %r", e)
        return
    if r is None:
        return
    sock, addr = r
    if not ctx.protocol0_dummy:
        # (the dummy callback lets every connection in)
        if _filter(ctx, lwsi, sock, addr) != _TAKEN:
            return  # refused, or no heap: the next poll goes on
    adopt(ctx, sock, addr, None)  # (not taken on: out of heap, TLS refused)
    if ctx.fd_count >= ctx.fd_limit:
        ctx.listen_pause()  # full now: the next clients wait in the backlog


@micropython.native  # a try and four arguments: a bytecode frame would be a heap block
def _filter(ctx, lwsi, sock, addr):
    """FILTER_NETWORK_CONNECTION: _TAKEN, or _REFUSED / _NO_HEAP (no heap
    to ask) with the new socket closed."""
    try:
        # lws_get_peer_addresses(wsi, fd) from the filter finds the address here
        ctx.accepting = (sock, addr)
        refused = protocol_callback(lwsi, ctx.protocols[0],
                                    _LWS_CALLBACK_FILTER_NETWORK_CONNECTION,
                                    _port.sock_fd(sock), 0)
    except MemoryError:
        # no heap to take it on: closed at once (its client sees the end
        # instead of waiting), and the next poll tries the next one
        ctx.accepting = None
        sock.close()
        ctx.stats_refused += 1
        lwsl_err("out of memory accepting a connection: closed")
        return _NO_HEAP
    ctx.accepting = None
    if refused:
        lwsl_notice("connection from %s refused by filter", _port.addr_tuple(addr)[0])
        sock.close()
        return _REFUSED
    return _TAKEN


@micropython.native
def adopt(ctx, sock, addr, readbuf):
    """Make an accepted socket an HTTP connection (lws_adopt_socket); on a
    TLS server, a TLS connection whose handshake comes first (roles.tls)."""
    if ctx.fd_count >= ctx.fd_limit:
        ctx.stats_refused += 1
        lwsl_warn("fd table full: adopted socket refused")
        sock.close()
        return None
    ka = ctx.tcp_keepalive
    if ka is not None:
        _port.set_keepalive(sock, ka[0], ka[1], ka[2])
    _port.set_nodelay(sock)
    role = _ROLE_HTTP
    tls = None
    wsi = None
    created = False
    try:
        if ctx.tls is not None:
            tls = ctx.tls.wrap(sock)
            if tls is None:
                return None
            sock = tls.sock
            role = _ROLE_TLS_ACCEPT
        wsi = new_wsi(ctx, sock, role, addr)
        if tls is not None:  # (a field left to its default costs a new connection nothing)
            wsi.tls = tls
        bind_protocol(wsi, ctx.protocols[0])
        ctx.stats_accepted += 1
        if not insert_wsi_socket_into_fds(ctx, wsi, POLLIN):
            (sock if tls is None else tls).close()
            return None
        if tls is not None and wsi.fd < 0:
            wsi.fd = tls.fd  # MicroPython: poll watches the TLS socket, which has no fd
        created = True
        if not ctx.protocol0_dummy:
            protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_WSI_CREATE)
            protocol_callback(wsi, ctx.protocols[0], _LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED)
        ops(role).adopt(wsi, readbuf)
    except MemoryError:
        _adopt_failed(ctx, sock if tls is None else tls, wsi, created)
        return None
    return wsi


def _adopt_failed(ctx, sock, wsi, created):
    """The heap ran out while a new connection was set up: it is closed
    (with its close callbacks, once WSI_CREATE was issued) and nothing of it
    stays in the fd table."""
    ctx.stats_refused += 1
    lwsl_err("out of memory adopting a connection: closed")
    if wsi is not None and created and not wsi.closed:
        try:
            # (inside: a wsi keeps its defaults in its class, so this first
            # assignment of its own may need heap)
            wsi.state = _LWSS_DEAD_SOCKET
            close_free_wsi(ctx, wsi)
            return
        except MemoryError as e:
            lwsl_exception(e)
    if wsi is not None:
        drop(ctx, wsi)
        return
    try:
        sock.close()
    except OSError:
        pass


def lws_adopt_socket(ctx, accept_fd):
    """Adopt an already-accepted socket object as an HTTP connection."""
    return lws_adopt_socket_readbuf(ctx, accept_fd, None, 0)


def lws_adopt_socket_readbuf(ctx, accept_fd, readbuf, len_):
    """Adopt a socket, treating ``readbuf[:len_]`` as its first input."""
    try:
        accept_fd.setblocking(False)
    except (AttributeError, OSError):
        lwsl_err("lws_adopt_socket: not a socket")
        return None
    addr = _port.peer_addr(accept_fd)
    if readbuf is not None:
        readbuf = memoryview(readbuf)[:len_]
    return adopt(ctx, accept_fd, addr, readbuf)


def _drain_waker(wsi, revents):
    wsi.context.waker.drain()


OPS = lws_role_ops("listen", readable=_accept)
RAW_OPS = lws_role_ops("raw", readable=_drain_waker)
