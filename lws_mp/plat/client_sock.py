"""Client sockets: name resolution and the non-blocking connect.

Part of the platform layer (loaded with the first client connection), so
that the differences stay here: MicroPython's getaddrinfo gives a raw
``struct sockaddr`` and takes no keywords, its sockets have no getsockopt
(a connect's outcome is asked with a second connect()), and the errors
carry different texts.

Name resolution blocks: neither MicroPython nor CPython has a non-blocking
getaddrinfo (and lws_mp runs no threads).  It is bounded by the resolver
itself -- glibc: ``timeout`` x ``attempts`` of /etc/resolv.conf (5 s x 2 by
default) per server; lwIP on a board: its DNS retries (about 5 s) -- and
lws_mp keeps it out of the way: getaddrinfo answers a numeric address
itself (no DNS query), and a client resolves its name inside lws_service,
once per connection (again only for a redirect to another name), never in
lws_client_connect_via_info.  A service call that starts N connections to
names can block for N resolver timeouts at worst.
"""

import errno
import socket

from ._port import set_nodelay

_EINPROGRESS = errno.EINPROGRESS
_EALREADY = getattr(errno, "EALREADY", 114)
_EISCONN = getattr(errno, "EISCONN", 106)
_EAGAIN = errno.EAGAIN
_EWOULDBLOCK = getattr(errno, "EWOULDBLOCK", _EAGAIN)
_ECONNREFUSED = getattr(errno, "ECONNREFUSED", 111)

_STREAM = socket.SOCK_STREAM
_AF_INET = socket.AF_INET
_AF_INET6 = getattr(socket, "AF_INET6", None)
_SO_ERROR = getattr(socket, "SO_ERROR", None)


def _numeric_v4(host):
    parts = host.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or int(p) > 255:
            return False
    return True


def resolve(host, port):
    """(family, sockaddr) for ``host``:``port``, IPv4 preferred.

    Raises OSError with a readable text when the name does not resolve.
    getaddrinfo answers a numeric address itself, without a DNS query.
    """
    try:
        infos = socket.getaddrinfo(host, port)
    except OSError as e:
        raise OSError(_gai_text(e))
    v6 = None
    for ai in infos:
        if ai[1] != _STREAM and ai[1] != 0:
            continue
        if ai[0] == _AF_INET:
            return ai[0], ai[-1]
        if v6 is None and ai[0] == _AF_INET6:
            v6 = ai
    if v6 is not None:
        return v6[0], v6[-1]
    if _numeric_v4(host):
        raise OSError("no usable address")
    raise OSError("no IPv4 or IPv6 address")


def _gai_text(e):
    a = e.args
    if len(a) >= 2 and isinstance(a[1], str):
        return "%s (%s)" % (a[1], a[0])  # CPython: (code, text)
    if a:
        return str(a[0])  # MicroPython: '[addrinfo error -2]'
    return "getaddrinfo failed"


def open_socket(family):
    s = socket.socket(family, _STREAM)
    s.setblocking(False)
    set_nodelay(s)
    return s


def _code(e):
    return e.args[0] if e.args and isinstance(e.args[0], int) else -1


def connect_start(sock, sockaddr):
    """Begin a non-blocking connect: 0 connected at once, 1 under way,
    else the errno it failed with."""
    try:
        sock.connect(sockaddr)
    except OSError as e:
        c = _code(e)
        if c in (_EINPROGRESS, _EALREADY, _EAGAIN, _EWOULDBLOCK):
            return 1
        if c == _EISCONN:
            return 0
        return c
    return 0


def connect_result(sock, sockaddr):
    """After poll reported the socket: 0 connected, 1 still under way, else
    the errno the connect failed with.  (Asked with getsockopt(SO_ERROR)
    where the port has it, then with a second connect(): EISCONN once
    connected, the failure otherwise.)"""
    gso = getattr(sock, "getsockopt", None)
    if gso is not None and _SO_ERROR is not None:
        try:
            err = gso(socket.SOL_SOCKET, _SO_ERROR)
        except OSError:
            err = 0
        if err > 0:
            return err
    try:
        sock.connect(sockaddr)
    except OSError as e:
        c = _code(e)
        if c == _EISCONN:
            return 0
        if c in (_EALREADY, _EINPROGRESS, _EAGAIN, _EWOULDBLOCK):
            return 1
        return c if c > 0 else _ECONNREFUSED
    return 0


def errno_text(code):
    """A short name for a connect errno."""
    for name in ("ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET",
                 "EADDRNOTAVAIL", "EACCES"):
        if getattr(errno, name, None) == code:
            return name
    return "errno %d" % code
