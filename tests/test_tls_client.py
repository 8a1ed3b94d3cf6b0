"""wss:// and https:// with lws_mp's own client (lws_client_connect_via_info,
ssl_connection) against lws_mp's TLS server in the same process, with the
tests' own CA (tools/tls/make_certs.sh): verified; refused when the name,
the CA or the dates are wrong, with the reason in CLIENT_CONNECTION_ERROR;
accepted with self-signed allowed.  CPython and MicroPython alike."""

from lws_mp import (
    LWS_CALLBACK_CLIENT_CONNECTION_ERROR,
    LWS_CALLBACK_CLIENT_ESTABLISHED,
    LWS_CALLBACK_CLIENT_RECEIVE,
    LWS_CALLBACK_COMPLETED_CLIENT_HTTP,
    LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP,
    LWS_CALLBACK_RECEIVE_CLIENT_HTTP,
    LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ,
    LWS_WRITE_TEXT,
    lws_client_connect_info,
    lws_client_connect_via_info,
    lws_context_destroy,
    lws_http_client_read,
    lws_is_ssl,
    lws_protocols,
    lws_write,
)
from lws_mp.plat import tls
from client_support import Recorder, client_context, pump
from test_tls import App, _server, cert

CCE = LWS_CALLBACK_CLIENT_CONNECTION_ERROR
SELF_SIGNED_OK = tls.LCCSCF_USE_SSL | tls.LCCSCF_ALLOW_SELFSIGNED


class Peer:
    """A client callback: send "hello" once established, keep what comes."""

    def __init__(self):
        self.ssl = None
        self.body = bytearray()
        self.buf = bytearray(2048)
        self.rec = Recorder(self.on)

    def on(self, wsi, reason, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_ESTABLISHED:
            self.ssl = lws_is_ssl(wsi)
            lws_write(wsi, b"hello", 5, LWS_WRITE_TEXT)
        elif reason == LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
            self.ssl = lws_is_ssl(wsi)
        elif reason == LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
            self.body.extend(in_)
        elif reason == LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
            return -1 if lws_http_client_read(wsi, self.buf, len(self.buf)) < 0 else 0
        return 0


def _run(server_files=("server.pem", "server.key"), host="localhost", ssl=tls.LCCSCF_USE_SSL,
         ca="ca.pem", method=None, path="/", done=None):
    ca = cert(ca)  # first: it skips where TLS contexts do not fit the heap
    srv_ctx, port = _server(App(), *server_files)
    peer = Peer()
    ctx = client_context([lws_protocols("echo", peer.rec.cb)], ssl_ca_filepath=ca)
    wsi = lws_client_connect_via_info(lws_client_connect_info(
        context=ctx, address="127.0.0.1", port=port, path=path, host=host, method=method,
        protocol=None if method else "echo", ssl_connection=ssl))
    assert wsi is not None
    pump([srv_ctx, ctx], lambda: peer.rec.has(CCE) or (done or (lambda p: False))(peer), 10000)
    lws_context_destroy(ctx)
    lws_context_destroy(srv_ctx)
    return peer


def _received(peer):
    return peer.rec.data(LWS_CALLBACK_CLIENT_RECEIVE) == [b"hello"]


def _error(peer):
    errs = peer.rec.data(CCE)
    assert len(errs) == 1, peer.rec.events
    return errs[0]


def test_wss_verified_echo():
    peer = _run(done=_received)
    assert _received(peer), peer.rec.events
    assert peer.ssl == 1


def test_https_verified_get():
    peer = _run(method="GET", path="/size/3000",
                done=lambda p: p.rec.has(LWS_CALLBACK_COMPLETED_CLIENT_HTTP))
    assert not peer.rec.has(CCE), peer.rec.events
    assert bytes(peer.body) == b"ssl=1 " + b"x" * 3000
    assert peer.ssl == 1


def test_wrong_name_refused_with_the_reason():
    why = _error(_run(host="wrong.test"))
    assert b"TLS" in why and tls.HOSTNAME_MISMATCH.encode() in why, why


def test_wrong_ca_refused_with_the_reason():
    why = _error(_run(ca="other-ca.pem"))
    assert tls.UNKNOWN_CA.encode() in why, why


def test_expired_refused_with_the_reason():
    why = _error(_run(server_files=("expired.pem", "expired.key")))
    assert tls.EXPIRED.encode() in why, why


def test_self_signed_refused_then_allowed():
    files = ("selfsigned.pem", "selfsigned.key")
    why = _error(_run(server_files=files))
    assert tls.UNKNOWN_CA.encode() in why, why
    for flags in (SELF_SIGNED_OK, 2):  # 2: the seed's "wss:// allow self signed"
        peer = _run(server_files=files, ssl=flags, done=_received)
        assert _received(peer), peer.rec.events
        assert peer.ssl == 2  # lws_is_ssl: the certificate was not checked
