"""Creating and destroying a context: what the creation info may ask for,
lws_create_context and lws_context_destroy."""

from .conn import protocol_callback
from ..plat import _port
from ..plat._port import const
from .context import lws_context, remove_wsi_socket_from_fds
from .log import lwsl_err, lwsl_info
from .role_ops import ROLE_HTTP, ROLE_TLS_ACCEPT, ops
from .wsi import LWSS_DEAD_SOCKET, ROLE_RAW

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_CONTEXT_PORT_NO_LISTEN = const(-1)
_LWS_CALLBACK_PROTOCOL_DESTROY = const(28)
_LWS_CALLBACK_PROTOCOL_INIT = const(27)


def unsupported_request(info):
    """What ``info`` asks for that this build cannot do, named, or None.

    TLS (docs/TLS.md) is refused only if this port has no TLS module or a
    file it names cannot be read (a certificate and key that do not parse or
    match fail in the TLS role's init_context).  There is no extension yet.
    """
    asked = None
    for name in ("ssl_cert_filepath", "ssl_private_key_filepath", "ssl_ca_filepath",
                 "ssl_cipher_list", "provided_client_ssl_ctx", "ecdh_curve"):
        if getattr(info, name):
            asked = name + " is set"
            break
    # the options that mean TLS (each carries DO_SSL_GLOBAL_INIT, 1 << 12,
    # which alone asks for none)
    for name, bit in (("REQUIRE_VALID_OPENSSL_CLIENT_CERT", 1 << 1),
                      ("ALLOW_NON_SSL_ON_SSL_PORT", 1 << 3),
                      ("SSL_ECDH", 1 << 9),
                      ("REDIRECT_HTTP_TO_HTTPS", 1 << 11)):
        if info.options & bit:
            if bit & (1 << 3 | 1 << 11):  # plain HTTP on the TLS port: not done
                return "options has LWS_SERVER_OPTION_" + name + ": not in this build"
            asked = asked or "options has LWS_SERVER_OPTION_" + name
    if asked is not None:
        try:
            ops(ROLE_TLS_ACCEPT)  # the TLS role, and the port's TLS module under it
        except ImportError as e:
            return "%s: this port has no TLS module (%s)" % (asked, e)
        for name in ("ssl_cert_filepath", "ssl_private_key_filepath", "ssl_ca_filepath"):
            path = getattr(info, name)
            try:
                if path:
                    open(path, "rb").close()
            except OSError as e:
                return "%s %r cannot be read (%s)" % (name, path, e)
    for ext in info.extensions or ():
        if ext is None or ext.callback is None:
            break  # the list's terminator, as in C
        return "extensions has %r: no extensions in this build" % (ext.name,)
    return None


def lws_create_context(info):
    """Create the context, its tables and (if serving) the listen socket.

    Returns None if the listen socket cannot be made, as lws does, or if
    ``info`` asks for what this build lacks (unsupported_request).
    """
    why = unsupported_request(info)
    if why is not None:
        lwsl_err("lws_create_context: %s", why)
        return None
    try:
        ctx = lws_context(info)
    except (ValueError, MemoryError) as e:
        lwsl_err("lws_create_context: %r", e)
        return None
    if info.ssl_cert_filepath and info.port != _CONTEXT_PORT_NO_LISTEN \
            and not ops(ROLE_TLS_ACCEPT).init_context(ctx):
        return None  # the TLS role said why
    if info.port != _CONTEXT_PORT_NO_LISTEN and not ops(ROLE_HTTP).init_context(ctx):
        return None
    if not ctx.start_sockets():
        return None
    every = _port.gc_pace()
    if every:
        lwsl_info("gc threshold set: a collection every %d bytes allocated", every)
    for p in ctx.protocols:
        ctx.dummy_wsi.protocol = p
        if protocol_callback(ctx.dummy_wsi, p, _LWS_CALLBACK_PROTOCOL_INIT):
            lwsl_err("protocol %s init failed", p.name)
            lws_context_destroy(ctx)
            return None
    ctx.dummy_wsi.protocol = None
    return ctx


def lws_context_destroy(ctx):
    """Close every connection (with its callbacks), then PROTOCOL_DESTROY."""
    if ctx is None or ctx.destroyed:
        return
    ctx.destroyed = True
    for wsi in list(ctx.slots):
        if wsi is None or wsi.role == ROLE_RAW:
            continue
        wsi.state = LWSS_DEAD_SOCKET
        wsi.trunc_len = 0
        ctx.close(wsi)
    for p in ctx.protocols:
        ctx.dummy_wsi.protocol = p
        protocol_callback(ctx.dummy_wsi, p, _LWS_CALLBACK_PROTOCOL_DESTROY)
    remove_wsi_socket_from_fds(ctx, ctx.waker_wsi)
    ctx.waker.close()
