"""TLS, server and client, in one process over loopback: lws_mp's TLS server
against the TLS client of lws_mp.plat.tls (client_wrap + handshake_step),
on CPython (ssl) and MicroPython (tls / mbedTLS).

The certificates are the tests' own CA's, made by tools/tls/make_certs.sh
into build/tls/ (MicroPython cannot make them: `make tls-certs` first; on
CPython the test makes them if they are missing).
"""

import socket
import sys

from lws_mp import (
    LWS_CALLBACK_ESTABLISHED,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_HTTP_BODY,
    LWS_CALLBACK_HTTP_BODY_COMPLETION,
    LWS_CALLBACK_OPENSSL_CONTEXT_REQUIRES_PRIVATE_KEY,
    LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS,
    LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION,
    LWS_CALLBACK_RECEIVE,
    LWS_CALLBACK_WSI_DESTROY,
    LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT,
    LWS_WRITE_TEXT,
    LLL_ERR,
    LLL_WARN,
    lws_context_creation_info,
    lws_context_destroy,
    lws_create_context,
    lws_is_final_fragment,
    lws_is_ssl,
    lws_protocols,
    lws_remaining_packet_payload,
    lws_service,
    lws_set_log_level,
    lws_write,
    lwsl_emit_stderr,
)
from lws_mp.plat import _port, tls, tls_data
from support import IS_MICROPYTHON, make_context, reply, skip

_here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."


def _certs_dir():
    for d in [_here + "/.."] + [p + "/.." for p in sys.path if p.endswith("tests")] + ["."]:
        try:
            open(d + "/build/tls/ca.pem", "rb").close()
            return d + "/build/tls/"
        except OSError:
            pass
    return None


CERTS = _certs_dir()
_fits = []


def _contexts_fit():
    """Do a server's and two clients' SSL contexts fit this heap?  Debian's
    mbedTLS (the board interpreter links it) makes each 38.9 KB of GC heap,
    which a 105 KB heap cannot hold three of beside the test; the boards'
    own mbedTLS builds make them about 3 KB (docs/TLS.md)."""
    if not _fits:
        import gc

        if not hasattr(gc, "mem_alloc"):
            _fits.append(True)
        else:
            gc.collect()
            before = gc.mem_alloc()
            try:
                c = tls.client_context(True, True)
                size = gc.mem_alloc() - before
                del c
            except MemoryError:  # not even one
                size = gc.mem_free() + gc.mem_alloc()
            gc.collect()
            _fits.append(3 * size < (gc.mem_free() + gc.mem_alloc()) // 2)
    return _fits[0]


def cert(name):
    global CERTS
    if not _contexts_fit():
        skip("this interpreter's mbedTLS makes each SSL context too big for its heap "
             "(docs/TLS.md); host_tests/test_tls_interop.py serves from it")
    if CERTS is None:
        if IS_MICROPYTHON:
            skip("no test certificates: run tools/tls/make_certs.sh (make tls-certs)")
        import subprocess

        CERTS = _here + "/../build/tls/"
        subprocess.run([_here + "/../tools/tls/make_certs.sh", CERTS], check=True)
    return CERTS + name


def _ticks():
    return _port.ticks_ms()


# ---------------------------------------------------------------- server side

class App:
    def __init__(self):
        self.body = bytearray()
        self.reasons = []
        self.verify_user = []
        self.extra_user = None
        self.refuse_client_cert = False
        self.msg = bytearray()

    def http(self, wsi, reason, user, in_, len_):
        self.reasons.append(reason)
        if reason == LWS_CALLBACK_HTTP:
            if in_.startswith("/post"):
                self.body = bytearray()
                return 0
            size = int(in_[6:]) if in_.startswith("/size/") else 0
            return reply(wsi, b"ssl=%d " % lws_is_ssl(wsi) + b"x" * size)
        if reason == LWS_CALLBACK_HTTP_BODY:
            self.body.extend(in_)
        elif reason == LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return reply(wsi, b"got %d" % len(self.body))
        elif reason == LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
            self.extra_user = user
        elif reason == LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
            self.verify_user.append(bytes(user))
            return 1 if self.refuse_client_cert else 0
        elif reason == LWS_CALLBACK_OPENSSL_CONTEXT_REQUIRES_PRIVATE_KEY:
            # the Python rule: user is the SSL context; load what is missing
            tls.load_cert_chain(user, cert("server.pem"), cert("server.key"))
        return 0

    def echo(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_ESTABLISHED:
            self.reasons.append(("ws", lws_is_ssl(wsi)))
        elif reason == LWS_CALLBACK_RECEIVE:
            self.msg.extend(in_)  # the message may come in pieces (the service buffer's size)
            if lws_is_final_fragment(wsi) and not lws_remaining_packet_payload(wsi):
                lws_write(wsi, self.msg, len(self.msg), LWS_WRITE_TEXT)
                self.msg = bytearray()
        return 0


def _server(app, certfile="server.pem", keyfile="server.key", **kw):
    def info(port):
        i = lws_context_creation_info(
            port=port, protocols=[lws_protocols("http", app.http),
                                  lws_protocols("echo", app.echo, 0, 0)],
            ssl_cert_filepath=cert(certfile), **kw)
        if keyfile:
            i.ssl_private_key_filepath = cert(keyfile)
        return i
    return make_context(info)


# ---------------------------------------------------------------- client side

class Client:
    """A TLS client of lws_mp's server, stepped between lws_service calls."""

    def __init__(self, ctx, port, host="localhost", flags=tls.LCCSCF_USE_SSL, ca="ca.pem",
                 mine=None):
        self.ctx = ctx
        verify, check = tls.client_checks(flags)
        c = tls.client_context(verify, check)
        if verify:
            tls.load_ca(c, cert(ca))
        if mine:
            tls.load_cert_chain(c, cert(mine + ".pem"), cert(mine + ".key"))
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect(_port.sockaddr("127.0.0.1", port))  # loopback: the backlog takes it
        s.setblocking(False)
        self.t = tls.client_wrap(s, host, flags, sslctx=c)
        self.buf = bytearray(4096)
        self.rx = bytearray()

    def _until(self, step, what, ms=8000):
        t0 = _ticks()
        while _port.ticks_diff(_ticks(), t0) < ms:
            lws_service(self.ctx, 0)
            r = step()
            if r is not None:
                return r
        raise AssertionError("timed out: " + what)

    def handshake(self):
        mv = memoryview(self.buf)

        def step():
            r = tls.handshake_step(self.t, mv)
            if r >= 0:
                self.rx.extend(mv[:r])
                return r
            return None
        return self._until(step, "handshake")

    def send(self, data):
        mv = memoryview(data)

        def step():
            nonlocal mv
            mv = mv[self.t.send(mv):]
            return True if not len(mv) else None
        return self._until(step, "send")

    def recv_until(self, done):
        mv = memoryview(self.buf)

        def step():
            n = self.t.recv_into(mv)
            if n:
                self.rx.extend(mv[:n])
            if done(self.rx) or n == 0:
                return bytes(self.rx)
            return None
        return self._until(step, "response")

    def get(self, path):
        self.send(b"GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path.encode())
        return self.response()

    def response(self):
        def done(rx):
            e = rx.find(b"\r\n\r\n")
            if e < 0:
                return False
            head = bytes(rx[:e]).lower()
            i = head.find(b"content-length:")
            n = int(head[i + 15:].split(b"\r\n")[0]) if i >= 0 else 0
            return len(rx) >= e + 4 + n
        data = self.recv_until(done)
        e = data.find(b"\r\n\r\n")
        self.rx = bytearray()
        if e < 0:
            raise OSError("closed without a response")
        return data[:e], data[e + 4:]

    def close(self):
        self.t.close()
        for _ in range(3):
            lws_service(self.ctx, 0)


def _refused(ctx, port, **kw):
    """The TlsError a client gets (handshake, or its first write and read
    where the port completes the handshake there), or None."""
    c = Client(ctx, port, **kw)
    try:
        c.handshake()
        c.get("/")
    except OSError as e:
        c.close()
        return e
    c.close()
    return None


def _reason(e):
    assert isinstance(e, tls.TlsError), repr(e)
    return e.reason


# ---------------------------------------------------------------- tests

def test_verified_https_request_and_is_ssl():
    app = App()
    ctx, port = _server(app)
    c = Client(ctx, port)
    c.handshake()
    head, body = c.get("/size/10")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert body == b"ssl=1 " + b"x" * 10
    assert c.t.use_ssl == 1
    # keep-alive: a second request on the same TLS connection
    head, body = c.get("/size/0")
    assert body == b"ssl=1 "
    c.close()
    assert app.extra_user is not None  # LOAD_EXTRA_SERVER_VERIFY_CERTS had the SSL context
    lws_context_destroy(ctx)


def test_big_response_and_request_body_over_tls():
    app = App()
    ctx, port = _server(app)
    c = Client(ctx, port)
    c.handshake()
    head, body = c.get("/size/100000")
    assert len(body) == 100006 and body.endswith(b"x" * 100)
    data = b"y" * 50000
    c.send(b"POST /post HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(data))
    c.send(data)
    head, body = c.response()
    assert body == b"got 50000", (head, body)
    c.close()
    lws_context_destroy(ctx)


def _frame(payload):
    key = b"\x01\x02\x03\x04"
    n = len(payload)
    hdr = bytes((0x81, 0x80 | n)) if n < 126 else bytes((0x81, 0xFE, n >> 8, n & 255))
    return hdr + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def test_websocket_echo_over_tls():
    app = App()
    ctx, port = _server(app)
    c = Client(ctx, port)
    c.handshake()
    c.send(b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           b"Sec-WebSocket-Protocol: echo\r\n\r\n")
    data = c.recv_until(lambda rx: b"\r\n\r\n" in rx)
    assert data.startswith(b"HTTP/1.1 101"), data
    c.rx = bytearray()
    msg = b"hello over tls " * 300  # 4500 bytes: more than one read's worth
    c.send(_frame(msg))
    data = c.recv_until(lambda rx: len(rx) >= 4 + len(msg))
    assert data[:2] == b"\x81\x7e" and data[4:] == msg
    assert ("ws", 1) in app.reasons
    c.close()
    lws_context_destroy(ctx)


def test_wrong_name_is_refused_with_the_reason():
    ctx, port = _server(App())
    e = _refused(ctx, port, host="wrong.test")
    assert _reason(e) == tls.HOSTNAME_MISMATCH, e
    assert tls.HOSTNAME_MISMATCH in e.args[0]
    lws_context_destroy(ctx)


def test_wrong_ca_is_refused_with_the_reason():
    ctx, port = _server(App())
    e = _refused(ctx, port, ca="other-ca.pem")
    assert _reason(e) == tls.UNKNOWN_CA, e
    lws_context_destroy(ctx)


def test_expired_certificate_is_refused_with_the_reason():
    ctx, port = _server(App(), "expired.pem", "expired.key")
    e = _refused(ctx, port)
    assert _reason(e) == tls.EXPIRED, e
    lws_context_destroy(ctx)


def test_self_signed_refused_unless_allowed():
    ctx, port = _server(App(), "selfsigned.pem", "selfsigned.key")
    e = _refused(ctx, port)
    assert _reason(e) == tls.UNKNOWN_CA, e
    c = Client(ctx, port, flags=tls.LCCSCF_USE_SSL | tls.LCCSCF_ALLOW_SELFSIGNED)
    c.handshake()
    head, body = c.get("/")
    assert body == b"ssl=1 " and c.t.use_ssl == 2
    c.close()
    # lws' ssl_connection 2 alone means the same
    c = Client(ctx, port, flags=2)
    c.handshake()
    assert c.get("/")[1] == b"ssl=1 "
    c.close()
    lws_context_destroy(ctx)


def test_skip_hostname_check_still_verifies_the_chain():
    ctx, port = _server(App())
    skip_name = tls.LCCSCF_USE_SSL | tls.LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK
    assert _refused(ctx, port, host="wrong.test", flags=skip_name) is None
    e = _refused(ctx, port, host="wrong.test", flags=skip_name, ca="other-ca.pem")
    if tls.VERIFIES_WITHOUT_NAME:
        assert _reason(e) == tls.UNKNOWN_CA, e
    else:
        # mbedTLS >= 3.6.3 verifies no chain without a name (docs/TLS.md)
        assert e is None
        assert tls.client_checks(skip_name) == (False, False)
    lws_context_destroy(ctx)


class _Log:
    def __init__(self):
        self.lines = []

    def __call__(self, level, line):
        self.lines.append(line)

    def has(self, text):
        return any(text in x for x in self.lines)


def test_failed_handshake_closes_only_that_connection():
    app = App()
    ctx, port = _server(app)
    good = Client(ctx, port)
    good.handshake()
    log = _Log()
    lws_set_log_level(LLL_ERR | LLL_WARN, log)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect(_port.sockaddr("127.0.0.1", port))
        s.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # plain HTTP to the TLS port
        t0 = _ticks()
        while not log.has("TLS accept from") and _port.ticks_diff(_ticks(), t0) < 5000:
            lws_service(ctx, 10)
        s.close()
    finally:
        lws_set_log_level(LLL_ERR, lwsl_emit_stderr)
    assert log.has("TLS accept from 127.0.0.1 failed"), log.lines
    assert LWS_CALLBACK_WSI_DESTROY in app.reasons
    assert good.get("/")[1] == b"ssl=1 "  # the other connection goes on
    good.close()
    lws_context_destroy(ctx)


def test_a_silent_client_is_closed_at_the_ssl_accept_timeout():
    ctx, port = _server(App(), timeout_secs=1)
    before = ctx.fd_count
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(_port.sockaddr("127.0.0.1", port))
    s.setblocking(False)
    t0 = _ticks()
    while ctx.fd_count == before and _port.ticks_diff(_ticks(), t0) < 2000:
        lws_service(ctx, 10)
    assert ctx.fd_count == before + 1
    while ctx.fd_count > before and _port.ticks_diff(_ticks(), t0) < 6000:
        lws_service(ctx, 50)
    assert ctx.fd_count == before, "never timed out"
    assert ctx.stats_timeouts >= 1
    s.close()
    lws_context_destroy(ctx)


def test_client_certificates_required_checked_and_vetoed():
    app = App()
    ctx, port = _server(app, ssl_ca_filepath=cert("ca.pem"),
                        options=LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT)
    assert _refused(ctx, port) is not None  # no certificate: refused
    assert _refused(ctx, port, mine="selfsigned") is not None  # not the CA's
    c = Client(ctx, port, mine="client")
    c.handshake()
    assert c.get("/")[1] == b"ssl=1 "
    c.close()
    assert app.verify_user, "PERFORM_CLIENT_CERT_VERIFICATION not issued"
    app.refuse_client_cert = True  # the callback's nonzero refuses it
    assert _refused(ctx, port, mine="client") is not None
    lws_context_destroy(ctx)


def test_private_key_from_the_callback():
    app = App()
    ctx, port = _server(app, keyfile=None)
    assert LWS_CALLBACK_OPENSSL_CONTEXT_REQUIRES_PRIVATE_KEY in app.reasons
    assert _refused(ctx, port) is None
    lws_context_destroy(ctx)


def test_cipher_list():
    ctx, port = _server(App(), ssl_cipher_list="ECDHE-ECDSA-AES128-GCM-SHA256")
    assert _refused(ctx, port) is None
    lws_context_destroy(ctx)
    # nothing usable: a warning, the module's defaults, still served
    ctx, port = _server(App(), ssl_cipher_list="NO-SUCH-CIPHER")
    assert _refused(ctx, port) is None
    lws_context_destroy(ctx)


def _create_error(**kw):
    log = _Log()
    lws_set_log_level(LLL_ERR, log)
    try:
        info = lws_context_creation_info(port=0, iface="127.0.0.1",
                                         protocols=[lws_protocols("http", App().http)], **kw)
        ctx = lws_create_context(info)
    finally:
        lws_set_log_level(LLL_ERR, lwsl_emit_stderr)
    assert ctx is None
    return " ".join(log.lines)


def test_context_creation_fails_naming_the_field():
    line = _create_error(ssl_cert_filepath="/nonexistent/cert.pem",
                         ssl_private_key_filepath=cert("server.key"))
    assert "ssl_cert_filepath" in line and "/nonexistent/cert.pem" in line, line
    line = _create_error(ssl_cert_filepath=cert("server.pem"),
                         ssl_private_key_filepath="/nonexistent/key.pem")
    assert "ssl_private_key_filepath" in line, line
    line = _create_error(ssl_cert_filepath=cert("server.pem"),
                         ssl_private_key_filepath=cert("server.key"),
                         ssl_ca_filepath="/nonexistent/ca.pem")
    assert "ssl_ca_filepath" in line, line
    # readable, but not a key for this certificate
    line = _create_error(ssl_cert_filepath=cert("server.pem"),
                         ssl_private_key_filepath=cert("client.key"))
    assert "TLS" in line and "ssl_private_key_filepath" in line, line


def test_plain_connection_is_not_ssl():
    seen = []

    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            seen.append(lws_is_ssl(wsi))
            return reply(wsi, b"plain")
        return 0
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", cb)], max_http_header_pool=1,
        max_http_header_data=1024, pt_serv_buf_size=1024))
    from lws_mp.testing import TestClient

    TestClient(ctx).request("GET", "/")
    assert seen == [0]
    lws_context_destroy(ctx)


def test_pem_key_match_and_cipher_names():
    der = tls_data.pem_blocks(b"-----BEGIN X-----\naGVs\nbG8=\n-----END X-----\n"
                              b"-----BEGIN Y-----\nd29y\nbGQ=\n-----END Y-----\n")
    assert der == [b"hello", b"world"]
    assert tls_data.pem_blocks(b"\x30\x82") == [b"\x30\x82"]

    def blocks(name):
        return tls_data.pem_blocks(tls.read_file(cert(name)))
    chain = blocks("server-chain.pem")
    assert len(chain) == 2 and chain[0] == blocks("server.pem")[0]
    key = blocks("server.key")[0]
    assert tls_data.key_matches(chain[0], key)
    assert not tls_data.key_matches(chain[0], blocks("client.key")[0])
    assert tls_data.version_number("Mbed TLS 3.6.6") == 30606
    assert tls_data.version_number("mbed TLS 2.28.3") == 22803
    for openssl, mbedtls in (
            ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"),
            ("ECDHE-RSA-AES256-SHA", "TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA"),
            ("AES128-SHA256", "TLS-RSA-WITH-AES-128-CBC-SHA256"),
            ("TLS-PSK-WITH-AES-128-GCM-SHA256", "TLS-PSK-WITH-AES-128-GCM-SHA256")):
        assert tls_data.mbedtls_cipher_name(openssl) == mbedtls
