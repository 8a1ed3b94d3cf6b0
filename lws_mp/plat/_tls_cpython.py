"""The CPython half of plat.tls: OpenSSL through the ``ssl`` module.

Only imported on CPython (plat.tls picks it), so it is left out of the
static check against the boards' stubs.
"""
# stubcheck: skip-file

import ssl

from . import tls_data as failure  # the failure reasons plat.tls reports

NAME = "ssl (%s)" % ssl.OPENSSL_VERSION
WOULD_BLOCK = (ssl.SSLWantReadError, ssl.SSLWantWriteError)
_NO_RENEGOTIATION = getattr(ssl, "OP_NO_RENEGOTIATION", 0)


def server_context():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.options |= _NO_RENEGOTIATION | ssl.OP_CIPHER_SERVER_PREFERENCE
    return c


def client_context(verify, check_name):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.options |= _NO_RENEGOTIATION
    if not check_name:
        c.check_hostname = False
    if not verify:
        c.verify_mode = ssl.CERT_NONE
    return c


def load_cert_chain(sslctx, cert_path, key_path):
    try:
        sslctx.load_cert_chain(cert_path, key_path)
    except ssl.SSLError as e:  # OpenSSL also checks that they match
        raise ValueError(str(e))
    return None


def load_ca(sslctx, ca_path):
    try:
        sslctx.load_verify_locations(ca_path)
    except ssl.SSLError as e:
        raise ValueError(str(e))


def load_default_cas(sslctx):
    sslctx.load_default_certs()
    return True


def require_peer_cert(sslctx, optional, verify_cb):
    # OpenSSL verifies; the ssl module offers no callback during it
    sslctx.verify_mode = ssl.CERT_OPTIONAL if optional else ssl.CERT_REQUIRED
    return False


def set_ciphers(sslctx, cipher_list):
    try:
        sslctx.set_ciphers(cipher_list)
    except ssl.SSLError as e:
        return "no cipher of %r: %s" % (cipher_list, e)
    return None


def set_ecdh_curve(sslctx, name):
    sslctx.set_ecdh_curve(name)
    return True


def wrap(sslctx, sock, server_side, server_hostname):
    return sslctx.wrap_socket(sock, server_side=server_side, do_handshake_on_connect=False,
                              server_hostname=server_hostname if not server_side else None)


def handshake(conn, buf):
    """do_handshake: 0 done, or -1 / -2 waiting to read / write."""
    try:
        conn.sock.do_handshake()
    except ssl.SSLWantReadError:
        return -1
    except ssl.SSLWantWriteError:
        return -2
    except (OSError, ValueError) as e:
        raise conn.fail(e)
    conn.done = True
    return 0


def recv(sock, mv):
    return sock.recv_into(mv)


def send(sock, mv):
    return sock.send(mv)


def is_tls_error(e):
    return isinstance(e, ssl.SSLError)


def pending(sock):
    return sock.pending() > 0


def close(conn):
    if conn.done:
        try:
            conn.sock.unwrap()  # sends close_notify; does not wait for the peer's
        except (OSError, ValueError):
            pass
    conn.sock.close()


# OpenSSL's X509_V_ERR_* codes (SSLCertVerificationError.verify_code)
_X509_REASONS = (
    (62, failure.HOSTNAME_MISMATCH), (64, failure.HOSTNAME_MISMATCH),
    (10, failure.EXPIRED), (9, failure.NOT_YET_VALID),
    (18, failure.UNKNOWN_CA), (19, failure.UNKNOWN_CA), (20, failure.UNKNOWN_CA),
    (2, failure.UNKNOWN_CA), (21, failure.UNKNOWN_CA),
)
_ALERTS = (("NO_CERTIFICATE", failure.NO_PEER_CERT),
           ("DID_NOT_RETURN_A_CERT", failure.NO_PEER_CERT),
           ("UNKNOWN_CA", failure.UNKNOWN_CA), ("CERTIFICATE_EXPIRED", failure.EXPIRED))


def reason(e):
    """(reason, detail) of what the ssl module raised."""
    if isinstance(e, ssl.SSLCertVerificationError):
        code = getattr(e, "verify_code", 0)
        msg = getattr(e, "verify_message", "") or str(e)
        for c, why in _X509_REASONS:
            if c == code:
                return why, msg
        return failure.BAD_CERT, msg
    if isinstance(e, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionError)):
        return failure.PEER_CLOSED, None
    text = getattr(e, "reason", None) or str(e)
    for frag, why in _ALERTS:
        if frag in text:
            return why, str(e)
    return failure.HANDSHAKE_FAILED, str(e)
