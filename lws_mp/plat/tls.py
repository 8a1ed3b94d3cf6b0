"""TLS on CPython's ``ssl`` (OpenSSL) and MicroPython's ``tls`` (mbedTLS).

One interface for the roles: SSL contexts made from files, a socket wrapped
for a server or a client (``TlsConn``), a handshake that steps without
blocking (``handshake_step``), and reads and writes with _port's
conventions (None or 0 when they would block).  Every difference between
the two modules is here.  Loaded only when a context or a client asks for
TLS (``roles.part("plat.tls")``).

What the two modules allow, in short (docs/TLS.md has the whole of it):

- CPython: the handshake is explicit (``do_handshake``) and says whether
  it waits to read or to write; OpenSSL keeps decrypted input the kernel
  no longer shows (``pending()``), which the service loop must drain.
- MicroPython: the handshake runs inside ``readinto``/``write`` on the
  wrapped socket, and the wrapped socket itself is what poll watches: its
  ioctl answers for what mbedTLS waits on and for input it holds, so
  "would block" is always "wait for POLLIN" (or the POLLOUT a write
  asked for).  There is no "handshake done" signal: a server's handshake is
  done when the first application bytes arrive; a client's when the peer's
  certificate is known (``getpeercert``, where the port has it) or, where
  not, with its first write.  Keys and certificates are given as data: PEM
  where mbedTLS parses it, else decoded here to DER (then only the first
  certificate of a chain file is sent).
"""

from . import _port
from .tls_data import (  # noqa: F401  (the reasons are part of this interface)
    BAD_CERT,
    EXPIRED,
    HANDSHAKE_FAILED,
    HOSTNAME_MISMATCH,
    NO_PEER_CERT,
    NOT_YET_VALID,
    PEER_CLOSED,
    UNKNOWN_CA,
    key_matches,
    mbedtls_cipher_name,
    mbedtls_reason,
    pem_blocks,
    version_number,
)

IS_MICROPYTHON = _port.IS_MICROPYTHON
if IS_MICROPYTHON:
    import tls as _ssl
else:
    from . import _tls_cpython as _cp

# handshake_step while it waits; a value >= 0 means done
WANT_READ = -1
WANT_WRITE = -2

# lws' ssl_connection flags (enum lws_client_connect_ssl_connection_flags)
LCCSCF_USE_SSL = 1
LCCSCF_ALLOW_SELFSIGNED = 2
LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK = 4

MODULE_NAME = "tls (%s)" % getattr(_ssl, "MBEDTLS_VERSION", "mbedTLS") if IS_MICROPYTHON \
    else _cp.NAME


class TlsError(OSError):
    """A TLS failure.  ``reason`` is one of the names above; ``args[0]``
    is the whole text (the reason, then what the module said)."""

    reason = HANDSHAKE_FAILED


def error(reason, detail=None):
    e = TlsError(reason if not detail else reason + ": " + detail)
    e.reason = reason
    return e


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------- contexts
# Each function has its CPython form in _tls_cpython; the MicroPython one
# is here.

if not IS_MICROPYTHON:
    from ._tls_cpython import (  # noqa: F401
        client_context,
        load_ca,
        load_cert_chain,
        load_default_cas,
        require_peer_cert,
        server_context,
        set_ciphers,
        set_ecdh_curve,
    )
    VERIFIES_WITHOUT_NAME = True
    _reason = _cp.reason
    _WOULD_BLOCK = _cp.WOULD_BLOCK
    _recv = _cp.recv
    _send = _cp.send
    _is_tls_error = _cp.is_tls_error

else:
    # mbedTLS 3.6.3 and later refuse to verify a server's chain without a
    # name to check (the module offers no way to say "no name"): there, a
    # client told to skip the name check cannot verify the chain either
    VERIFIES_WITHOUT_NAME = version_number(getattr(_ssl, "MBEDTLS_VERSION", "")) < 30603
    _reason = mbedtls_reason
    _pem_parses = []  # [True] once this port's mbedTLS is found to read PEM, [False] if not

    def _pem_ok(data):
        if not _pem_parses:
            e = data.find(b"-----END")
            first = data[:data.find(b"\n", e) + 1] if e >= 0 else data
            try:
                _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(first)
                _pem_parses.append(True)
            except (ValueError, OSError):
                _pem_parses.append(False)
        return _pem_parses[0]

    def server_context():
        """A new server SSLContext."""
        return _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER)

    def client_context(verify, check_name):
        """A new client SSLContext: the chain verified or not (the name is
        checked when client_wrap is given one)."""
        c = _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
        c.verify_mode = _ssl.CERT_REQUIRED if verify else _ssl.CERT_NONE  # pyright: ignore[reportAttributeAccessIssue]
        return c

    def load_cert_chain(sslctx, cert_path, key_path):
        """Our certificate (chain) and key.  A note for the log, or None;
        raises OSError (unreadable) or ValueError (not a key or certificate,
        or the key is not the certificate's)."""
        cert = read_file(cert_path)
        key = read_file(key_path)
        note = None
        certs = pem_blocks(cert)
        key_der = pem_blocks(key)[0]
        if not key_matches(certs[0], key_der):
            raise ValueError("the private key is not the certificate's")
        if b"-----BEGIN" in cert and not _pem_ok(cert):
            if len(certs) > 1:
                note = "this port's mbedTLS reads no PEM: only the first of %d " \
                    "certificates is sent" % len(certs)
            cert = certs[0]
            key = key_der
        sslctx.load_cert_chain(cert, key)
        return note

    def load_ca(sslctx, ca_path):
        """Trust the CA certificate(s) of ``ca_path`` (PEM or DER)."""
        data = read_file(ca_path)
        if b"-----BEGIN" in data and _pem_ok(data):
            sslctx.load_verify_locations(data)
            return
        for der in pem_blocks(data):  # each call adds to the CA chain
            sslctx.load_verify_locations(der)

    def load_default_cas(sslctx):
        """No system CA store on a board."""
        return False

    def require_peer_cert(sslctx, optional, verify_cb):
        """Ask clients for a certificate (required, or checked if sent);
        ``verify_cb(der)`` is called for each of the client's chain during
        verification, nonzero fails the handshake.  True: it will be."""
        sslctx.verify_mode = _ssl.CERT_OPTIONAL if optional else _ssl.CERT_REQUIRED  # pyright: ignore[reportAttributeAccessIssue]
        if verify_cb is not None:
            sslctx.verify_callback = lambda der, depth: verify_cb(der)  # pyright: ignore[reportAttributeAccessIssue]
            return True
        return False

    def set_ciphers(sslctx, cipher_list):
        """Restrict the suites (OpenSSL's ``a:b:c``, OpenSSL or mbedTLS
        names).  What could not be used, as text, or None; the defaults
        stay when nothing matches."""
        known = sslctx.get_ciphers()
        use = []
        unknown = []
        for n in cipher_list.replace(",", ":").split(":"):
            n = n.strip()
            if n:
                m = mbedtls_cipher_name(n)
                (use if m in known else unknown).append(m if m in known else n)
        if use:
            sslctx.set_ciphers(use)
        if unknown:
            return "not in this port's mbedTLS: %s%s" % (
                " ".join(unknown), "" if use else " (the defaults are kept)")
        return None

    def set_ecdh_curve(sslctx, name):
        """mbedTLS chooses the curve."""
        return False

    class _NeverRaised(Exception):
        pass

    _WOULD_BLOCK = _NeverRaised  # the stream methods return None instead

    def _recv(sock, mv):
        return sock.readinto(mv)

    def _send(sock, mv):
        return sock.write(mv)

    def _is_tls_error(e):
        a = e.args[0] if e.args else 0
        return isinstance(a, int) and a < -255  # an mbedTLS code, not an errno


# ---------------------------------------------------------------- connections

class TlsConn:
    """One TLS connection: ``sock`` is what poll watches and what is read
    and written; ``raw`` the TCP socket under it.  ``use_ssl`` is what
    lws_is_ssl says (1, or 2 for a client that did not check the
    certificate); ``error`` the TlsError once it failed."""

    fd = -1
    done = False  # handshake complete
    error = None
    use_ssl = 1
    lazy = False  # a MicroPython client whose handshake completes on its first write
    on_error = None  # called with the TlsError when the connection fails

    def __init__(self, sock, raw, server):
        self.sock = sock
        self.raw = raw
        self.server = server
        self.fd = _port.sock_fd(raw) if IS_MICROPYTHON else _port.sock_fd(sock)

    def fail(self, e):
        """Turn what the module raised into the TlsError to raise."""
        err = e if isinstance(e, TlsError) else error(*_reason(e))
        if self.error is None and self.on_error is not None:
            self.on_error(err)
        self.error = err
        return err

    def recv_into(self, mv):
        """Bytes read into ``mv``, 0 at the end, None while nothing is there
        (or the handshake still runs).  Raises OSError."""
        try:
            n = _recv(self.sock, mv)
        except _WOULD_BLOCK:
            return None
        except (OSError, ValueError) as e:
            if self.done and not isinstance(e, ValueError) and not _is_tls_error(e):
                raise  # a socket error after the handshake: as for plain TCP
            raise self.fail(e)
        if n:
            self.done = True
        return n

    def send(self, mv):
        """Bytes the connection took (0 if it would block).  A write the
        module did not take must be offered again, the same bytes."""
        try:
            n = _send(self.sock, mv)
        except _WOULD_BLOCK:
            return 0
        except (OSError, ValueError) as e:
            if self.done and not isinstance(e, ValueError) and not _is_tls_error(e):
                raise
            raise self.fail(e)
        if n is None:
            return 0
        if n:
            self.done = True
        return n

    def pending(self):
        """Decrypted input held above the kernel, which poll cannot see
        (CPython; MicroPython's poll sees it through the wrapped socket)."""
        return False if IS_MICROPYTHON else _cp.pending(self.sock)

    def peer_cert(self):
        """The peer's certificate (DER) where the module tells it, or None."""
        gp = getattr(self.sock, "getpeercert", None)
        if gp is None:
            return None
        try:
            return gp(True)
        except (OSError, ValueError, NotImplementedError):
            return None

    def close(self):
        """Close, with a close_notify where the module sends one (CPython).
        MicroPython: the TCP socket too (after a failed handshake the TLS
        socket no longer closes it)."""
        try:
            if IS_MICROPYTHON:
                self.sock.close()
                self.raw.close()
            else:
                _cp.close(self)
        except OSError:
            pass


def _wrap(sslctx, sock, server_side, server_hostname=None):
    if not IS_MICROPYTHON:
        return _cp.wrap(sslctx, sock, server_side, server_hostname)
    return sslctx.wrap_socket(sock, server_side=server_side, do_handshake_on_connect=False,
                              server_hostname=server_hostname)


def server_wrap(sslctx, raw):
    """Wrap an accepted (non-blocking) socket; the handshake is left to
    handshake_step.  Raises OSError / MemoryError."""
    return TlsConn(_wrap(sslctx, raw, True), raw, True)


def client_checks(flags):
    """(verify the chain, check the name) for lws ssl_connection flags."""
    verify = not flags & LCCSCF_ALLOW_SELFSIGNED
    check_name = verify and not flags & LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK
    if verify and not check_name and not VERIFIES_WITHOUT_NAME:
        verify = False
    return verify, check_name


def client_wrap(sock, server_hostname, flags, ca_file=None, sslctx=None):
    """Wrap a connected (non-blocking) client socket for ``server_hostname``
    with the lws ``ssl_connection`` flags (LCCSCF_*; lws' 2 alone is "TLS,
    self-signed allowed").  ``sslctx`` (from client_context, made once and
    reused) or one made here with ``ca_file`` as the CA.

    ALLOW_SELFSIGNED: the certificate is not verified (use_ssl 2).
    SKIP_SERVER_CERT_HOSTNAME_CHECK: the chain is, the name is not (on
    MicroPython no SNI is sent then: mbedTLS checks any name it is given;
    with mbedTLS 3.6.3 and later, not VERIFIES_WITHOUT_NAME, the chain
    cannot be verified without the name either: nothing is, use_ssl 2).
    Raises OSError / ValueError (a CA file that cannot be read)."""
    verify, check_name = client_checks(flags)
    if sslctx is None:
        sslctx = client_context(verify, check_name)
        if verify:
            if ca_file:
                load_ca(sslctx, ca_file)
            else:
                load_default_cas(sslctx)
    name = server_hostname or None
    if IS_MICROPYTHON and verify and not check_name:
        # mbedTLS checks the name whenever it is given one, and the module
        # refuses CERT_REQUIRED without one: wrap as CERT_OPTIONAL, then
        # require (the context's mode is read during the handshake)
        sslctx.verify_mode = _ssl.CERT_OPTIONAL  # pyright: ignore[reportAttributeAccessIssue]
        s = _wrap(sslctx, sock, False)
        sslctx.verify_mode = _ssl.CERT_REQUIRED  # pyright: ignore[reportAttributeAccessIssue]
    else:
        s = _wrap(sslctx, sock, False, name)
    t = TlsConn(s, sock, False)
    t.use_ssl = 1 if verify else 2
    return t


def handshake_step(conn, buf):
    """Move ``conn``'s handshake on without blocking.

    Returns WANT_READ or WANT_WRITE while it waits (poll for POLLIN or
    POLLOUT), or n >= 0 once it is done: n bytes of application data that
    came with it are in ``buf`` (a memoryview; MicroPython servers only).
    Raises TlsError with the reason (the connection is then unusable)."""
    if conn.done:
        return 0
    if conn.error is not None:
        raise conn.error
    if not IS_MICROPYTHON:
        return _cp.handshake(conn, buf)
    s = conn.sock
    try:
        n = s.readinto(buf)
    except (OSError, ValueError) as e:
        raise conn.fail(e)
    if n == 0:
        raise conn.fail(error(PEER_CLOSED))
    if n:
        conn.done = True
        return n
    if conn.server:
        return WANT_READ
    gp = getattr(s, "getpeercert", None)
    if gp is None:
        # no way to see the end of a client handshake on this port: it
        # completes with the first write (errors surface there, as TlsError)
        conn.lazy = True
        return 0
    if gp(True) is None:
        return WANT_READ
    conn.done = True
    return 0
