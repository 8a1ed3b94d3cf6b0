"""The role-ops table: how the core reaches a role (lws' ``struct lws_role_ops``).

Every role fills one ``lws_role_ops`` with the same operations; the core
calls a connection's role only through ``ops_of(wsi)`` and never imports a
role.  The table is filled on first use by the loader the roles layer
installs (``lws_mp.roles.load``), so an HTTP-only firmware never loads the
WebSocket role.
"""

from ..plat._port import const

# role numbers (the index into the table)
ROLE_LISTEN = const(0)
ROLE_HTTP = const(1)
ROLE_WS = const(2)
ROLE_RAW = const(3)
ROLE_HTTP_CLIENT = const(4)
ROLE_WS_CLIENT = const(5)
ROLE_TLS_ACCEPT = const(6)  # a TLS server connection until its handshake is done
ROLE_COUNT = const(7)


def _nothing(*args):
    return None


def _none(wsi):
    # for the operations of one argument: a call of _nothing makes a tuple
    # of its arguments, a heap object
    return None


def _ok(*args):
    return True


class lws_role_ops:
    """One role's operations.  An operation a role does not need is a no-op.

    - ``adopt(wsi, data)``: ``wsi`` becomes this role's (a new connection,
      or one upgraded from another role); ``data`` is input already read
    - ``readable(wsi, revents)``: the socket has input (or hung up)
    - ``writable(wsi)``: the socket can take more
    - ``buffered(wsi)``: input already held (pipelined, a freed table)
    - ``write(wsi, buf, len_, wp, pre)``: lws_write for this role
    - ``periodic(ctx, now)``: once a second, for the whole role
    - ``timeout(wsi, reason)``: a pending timeout fired; true to just close
    - ``before_close(wsi)``: true if the role closes it itself (a close
      handshake first)
    - ``closed(wsi)``: the connection is going: the role's callbacks
    - ``rx_resume(wsi)``: rx flow allowed again: true if the role queued
      held input itself
    - ``init_context(ctx)``: a context that needs this role is being made
      (lws' role op of that name): false fails its creation
    """

    def __init__(self, name, adopt=_nothing, readable=_nothing, writable=_nothing,
                 buffered=_nothing, write=None, periodic=None, timeout=None,
                 before_close=_none, closed=_none, rx_resume=_none,
                 init_context=_ok):
        self.name = name
        self.adopt = adopt
        self.readable = readable
        self.writable = writable
        self.buffered = buffered
        self.write = write or _refuse_write
        self.periodic = periodic
        self.timeout = timeout or _close_at_timeout
        self.before_close = before_close
        self.closed = closed
        self.rx_resume = rx_resume
        self.init_context = init_context


def _refuse_write(wsi, buf, len_, wp, pre):
    return -1


def _close_at_timeout(wsi, reason):
    return True


# filled on first use through ``loader`` (set by lws_mp.roles)
ROLE_OPS = [None] * ROLE_COUNT
loader = None


def ops(n):
    """The ops of role ``n``, loading the role the first time."""
    o = ROLE_OPS[n]
    if o is None:
        o = ROLE_OPS[n] = loader(n)
    return o


def ops_of(wsi):
    o = ROLE_OPS[wsi.role]
    if o is None:
        o = ROLE_OPS[wsi.role] = loader(wsi.role)
    return o
