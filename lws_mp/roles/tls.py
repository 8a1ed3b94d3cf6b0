"""TLS in the service loop: the server's set-up from the creation info
(with the OPENSSL_* callbacks), the accept role (the handshake steps on
POLLIN / POLLOUT before the HTTP role sees a byte), and a client's start.

lws v2.1 does the same in ssl-server.c / ssl.c (LWSCM_SSL_ACK_PENDING) and
ssl-client.c.  Loaded only by a context or a client that asks for TLS; the
TLS modules themselves are behind lws_mp.plat.tls.
"""

from ..core.context import insert_wsi_socket_into_fds, remove_wsi_socket_from_fds
from ..core.conn import change_events, set_timeout
from ..core.log import lwsl_err, lwsl_info, lwsl_notice, lwsl_warn
from ..core.role_ops import ROLE_HTTP, lws_role_ops, ops
from ..core.wsi import peer
from ..plat import _port, tls
from ..plat._port import POLLIN, POLLOUT, const

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_CONTEXT_PORT_NO_LISTEN = const(-1)
_LWS_CALLBACK_OPENSSL_CONTEXT_REQUIRES_PRIVATE_KEY = const(37)
_LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS = const(21)
_LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS = const(22)
_LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION = const(23)
_LWS_SERVER_OPTION_PEER_CERT_NOT_REQUIRED = const(128)
_REQUIRE_CLIENT_CERT_BIT = const(2)  # REQUIRE_VALID_OPENSSL_CLIENT_CERT less DO_SSL_GLOBAL_INIT
_PENDING_TIMEOUT_SSL_ACCEPT = const(9)


def _callback(ctx, reason, user, in_=None, len_=0):
    """protocols[0]'s callback as lws issues the OPENSSL_* reasons: on a
    wsi that only has the context, ``user`` the SSL context (Python rule)."""
    p = ctx.protocols[0]
    w = ctx.dummy_wsi
    w.protocol = p
    try:
        r = p.callback(w, reason, user, in_, len_)
    except Exception as e:
        lwsl_err("callback %s reason %d raised %r", p.name, reason, e)
        _port.print_exception(e)
        r = -1
    w.protocol = None
    return r or 0


def _verify_callback(ctx):
    def verify(der):
        # MicroPython, during verification, per certificate: mbedTLS does
        # not say whether it verified (len_ -1); nonzero fails it
        return _callback(ctx, _LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION,
                         der, None, -1)
    return verify


# ---------------------------------------------------------------- server set-up

def server_init(ctx):
    """The server's SSL context from the creation info, kept as ctx.tls.
    False (after an error line naming the field) if it cannot be made."""
    info = ctx.info
    hook = None
    sslctx = tls.server_context()
    field = "ssl_cert_filepath"
    try:
        if info.ssl_private_key_filepath:
            field = "ssl_private_key_filepath"
            note = tls.load_cert_chain(sslctx, info.ssl_cert_filepath,
                                       info.ssl_private_key_filepath)
            if note:
                lwsl_warn("ssl_cert_filepath %s: %s", info.ssl_cert_filepath, note)
        elif _callback(ctx, _LWS_CALLBACK_OPENSSL_CONTEXT_REQUIRES_PRIVATE_KEY, sslctx):
            lwsl_err("TLS: ssl private key not set (ssl_private_key_filepath is None and "
                     "OPENSSL_CONTEXT_REQUIRES_PRIVATE_KEY failed)")
            return False
        if info.ssl_cipher_list:
            field = "ssl_cipher_list"
            why = tls.set_ciphers(sslctx, info.ssl_cipher_list)
            if why:
                lwsl_warn("TLS: ssl_cipher_list: %s", why)
        if info.ecdh_curve and not tls.set_ecdh_curve(sslctx, info.ecdh_curve):
            lwsl_notice("TLS: ecdh_curve %s: the curve is the TLS module's choice here",
                        info.ecdh_curve)
        if info.options & _REQUIRE_CLIENT_CERT_BIT:
            field = "options"
            hook = tls.require_peer_cert(
                sslctx, info.options & _LWS_SERVER_OPTION_PEER_CERT_NOT_REQUIRED,
                _verify_callback(ctx))
        if info.ssl_ca_filepath:
            field = "ssl_ca_filepath"
            tls.load_ca(sslctx, info.ssl_ca_filepath)
    except (OSError, ValueError) as e:
        lwsl_err("TLS: %s %r: %s", field, getattr(info, field), e)
        return False
    _callback(ctx, _LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS, sslctx)
    ctx.tls = TlsServer(sslctx, hook)
    lwsl_notice("TLS: serving with %s", tls.MODULE_NAME)
    return True


class TlsServer:
    """ctx.tls: the server's SSL context, and how accepted sockets get it."""

    def __init__(self, sslctx, verify_hook):
        self.sslctx = sslctx
        # True: PERFORM_CLIENT_CERT_VERIFICATION is issued during
        # verification (MicroPython); False: after the handshake (CPython);
        # None: no client certificates asked for
        self.verify_hook = verify_hook

    def wrap(self, sock):
        """The TlsConn for an accepted socket (the listen role's way in), or
        None, logged, with the socket closed."""
        try:
            return tls.server_wrap(self.sslctx, sock)
        except (OSError, MemoryError, ValueError) as e:
            lwsl_err("TLS: cannot wrap an accepted socket: %r", e)
            try:
                sock.close()
            except OSError:
                pass
            return None


# ---------------------------------------------------------------- accept role

def _adopt(wsi, readbuf):
    ctx = wsi.context
    if readbuf is not None and len(readbuf):
        wsi.preload = bytes(readbuf)  # plain text for the HTTP role, once accepted
    set_timeout(wsi, _PENDING_TIMEOUT_SSL_ACCEPT, ctx.timeout_secs)


def _readable(wsi, revents):
    _step(wsi)


def _step(wsi):
    ctx = wsi.context
    t = wsi.tls
    try:
        r = tls.handshake_step(t, ctx.serv_mv)
    except OSError as e:
        lwsl_err("TLS accept from %s failed: %s", peer(wsi)[0], e)
        ctx.fatal(wsi, "TLS accept failed")
        return
    if r == tls.WANT_READ:
        change_events(wsi, POLLIN, POLLOUT)
        return
    if r == tls.WANT_WRITE:
        change_events(wsi, POLLOUT, POLLIN)
        return
    if ctx.tls.verify_hook is False and not _client_cert_ok(ctx, t):
        lwsl_err("TLS accept from %s: client certificate refused by the callback",
                 peer(wsi)[0])
        ctx.fatal(wsi, "client certificate refused")
        return
    lwsl_info("TLS accepted from %s", peer(wsi)[0])
    data = None
    if r:
        data = ctx.serv_mv[:r]
    if wsi.preload:
        data = wsi.preload + bytes(data or b"")
        wsi.preload = None
    set_timeout(wsi, 0, 0)
    change_events(wsi, POLLIN, POLLOUT)
    wsi.role = ROLE_HTTP
    ops(ROLE_HTTP).adopt(wsi, data)
    if t.pending() and not wsi.closed:
        ctx.tls_rx_pending(wsi)


def _client_cert_ok(ctx, t):
    """CPython: OpenSSL has verified the client's certificate (or it sent
    none, with PEER_CERT_NOT_REQUIRED); PERFORM_CLIENT_CERT_VERIFICATION is
    issued once, after the handshake, with the certificate (DER) as
    ``user``, the TLS socket as ``in`` and preverify_ok 1."""
    der = t.peer_cert()
    if der is None:
        return True
    return not _callback(ctx, _LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION,
                         der, t.sock, 1)


def _timeout(wsi, reason):
    if reason == _PENDING_TIMEOUT_SSL_ACCEPT:
        lwsl_notice("TLS accept from %s: nothing after %d s", peer(wsi)[0],
                    wsi.context.timeout_secs)
    return True


OPS = lws_role_ops("tls-accept", adopt=_adopt, readable=_readable, writable=_step,
                   timeout=_timeout, init_context=server_init)


# ---------------------------------------------------------------- client

def client_context(ctx, flags):
    """The client SSL context for these ssl_connection flags, made once per
    kind and kept on the lws context: the CA is the creation info's
    ssl_ca_filepath (else the system's, where there is one), our own
    certificate its ssl_cert_filepath on a context that does not listen,
    as v2.1 does; then LOAD_EXTRA_CLIENT_VERIFY_CERTS.  provided_client_ssl_ctx
    replaces all of it.  Raises OSError / ValueError."""
    info = ctx.info
    if info.provided_client_ssl_ctx is not None:
        return info.provided_client_ssl_ctx
    verify, check_name = tls.client_checks(flags)
    if not verify and not flags & tls.LCCSCF_ALLOW_SELFSIGNED:
        lwsl_warn("TLS client: %s cannot verify a chain without the name: "
                  "SKIP_SERVER_CERT_HOSTNAME_CHECK verifies nothing here", tls.MODULE_NAME)
    kind = (1 if verify else 0) + (2 if check_name else 0)
    cache = getattr(ctx, "tls_clients", None)
    if cache is None:
        cache = ctx.tls_clients = {}
    c = cache.get(kind)
    if c is not None:
        return c
    c = tls.client_context(verify, check_name)
    if verify:
        if info.ssl_ca_filepath:
            tls.load_ca(c, info.ssl_ca_filepath)
        elif not tls.load_default_cas(c):
            lwsl_warn("TLS client: no ssl_ca_filepath and no system CA store: "
                      "no server certificate can be verified")
    if info.port == _CONTEXT_PORT_NO_LISTEN and info.ssl_cert_filepath \
            and info.ssl_private_key_filepath:
        tls.load_cert_chain(c, info.ssl_cert_filepath, info.ssl_private_key_filepath)
    if info.ssl_cipher_list:
        why = tls.set_ciphers(c, info.ssl_cipher_list)
        if why:
            lwsl_warn("TLS client: ssl_cipher_list: %s", why)
    _callback(ctx, _LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS, c)
    cache[kind] = c
    return c


def client_start(wsi, server_name, flags):
    """Wrap a connected client's socket for TLS to ``server_name`` with
    the ssl_connection ``flags`` (wsi.sock becomes the TLS socket, in the fd
    table in place of the TCP one; wsi.tls its TlsConn).  None, or the
    reason it could not (for CLIENT_CONNECTION_ERROR)."""
    ctx = wsi.context
    try:
        t = tls.client_wrap(wsi.sock, server_name, flags, None, client_context(ctx, flags))
    except (OSError, ValueError, MemoryError) as e:
        return "setup failed: %s" % (e,)
    if ctx.info.provided_client_ssl_ctx is not None:
        t.use_ssl = 2 if flags & tls.LCCSCF_ALLOW_SELFSIGNED else 1
    t.on_error = _client_error(wsi)  # pyright: ignore[reportAttributeAccessIssue]
    wsi.tls = t
    if wsi.slot < 0 or _port.poll_key(t.sock) == wsi.key:
        wsi.sock = t.sock  # not in the table yet, or poll knows it by its fd
    else:
        # MicroPython: poll must watch the TLS socket itself (see plat.tls)
        events = wsi.events
        remove_wsi_socket_from_fds(ctx, wsi)
        wsi.sock = t.sock
        if not insert_wsi_socket_into_fds(ctx, wsi, events):
            return "setup failed: no fd table slot"
    if wsi.fd < 0:
        wsi.fd = t.fd
    return None


def _client_error(wsi):
    # where the handshake ends inside the first write or read (MicroPython
    # without getpeercert), a failed check surfaces there: it still becomes
    # the reason CLIENT_CONNECTION_ERROR gives
    def failed(err):
        cl = wsi.client
        if cl is not None and cl.why is None:
            cl.why = "TLS: %s" % (err.args[0],)
    return failed


def client_handshake(wsi):
    """Step a client's handshake: 0 once done (the request may be written),
    POLLIN or POLLOUT for what it waits on, or the reason it failed (which
    check: hostname mismatch, unknown CA, certificate expired, ...)."""
    ctx = wsi.context
    try:
        r = tls.handshake_step(wsi.tls, ctx.serv_mv)
    except OSError as e:
        return e.args[0] if e.args and isinstance(e.args[0], str) else repr(e)
    if r == tls.WANT_READ:
        return POLLIN
    if r == tls.WANT_WRITE:
        return POLLOUT
    if r > 0:
        lwsl_info("TLS client: %d bytes from the server before the request: dropped", r)
    return 0
