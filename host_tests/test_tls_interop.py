"""lws_mp's TLS server as a real process (firmware/main.py --app test_server
--cert --key) against independent clients: curl --cacert, Python's ssl
(HTTPS and wss:// with the websockets library) and Debian's headless
Chromium, on CPython, the 64-bit MicroPython and (when it is built) the
board interpreter.

Every client verifies the server against the tests' own CA
(tools/tls/make_certs.sh) except Chromium, which is given the server key's
SPKI hash to trust (--ignore-certificate-errors-spki-list pins that one
key; Chromium has no CA option and no system store is touched): that the pin
is exact is checked too, with a self-signed server it must refuse.
"""

import asyncio
import http.client
import os
import socket
import ssl
import subprocess
import sys
import time

import pytest

from conftest import MICROPYTHON, ROOT, free_port
from server_process import LoggedProcess

CERTS = os.path.join(ROOT, "build", "tls")
BOARD_MPY = os.path.join(ROOT, "build", "board", "esp32_generic", "micropython")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
WAIT_MS = 20000

INTERPS = ["cpython", "micropython"] + (["board"] if os.path.exists(BOARD_MPY) else [])


@pytest.fixture(scope="module", autouse=True)
def certs():
    subprocess.run([os.path.join(ROOT, "tools", "tls", "make_certs.sh"), CERTS], check=True)


def cert(name):
    return os.path.join(CERTS, name)


class TlsServer(LoggedProcess):
    """firmware/main.py serving test_server over TLS on a free port."""

    def __init__(self, interp, tmp, pair=("server.pem", "server.key")):
        exe = {"cpython": sys.executable, "micropython": MICROPYTHON, "board": BOARD_MPY}[interp]
        self.port = free_port()
        super().__init__(
            [exe, os.path.join(ROOT, "firmware", "main.py"), "--app", "test_server",
             "--port", str(self.port), "--iface", "127.0.0.1",
             "--cert", cert(pair[0]), "--key", cert(pair[1])],
            os.path.join(tmp, "tls-%s-%d.log" % (interp, self.port)), ROOT)
        # ready once it says so: a plain connect would be a failed handshake
        end = time.monotonic() + 15
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.output()
            if "serving on" in self.output():
                return
            time.sleep(0.05)
        raise AssertionError("server did not start: " + self.output())

    @property
    def url(self):
        return "https://localhost:%d" % self.port


@pytest.fixture
def tls_server(tmp_path, processes):
    def start(interp, **kw):
        processes.append(TlsServer(interp, str(tmp_path), **kw))
        return processes[-1]

    return start


def _curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "20"] + list(args),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("interp", INTERPS)
def test_curl_with_the_ca(tls_server, interp):
    srv = tls_server(interp)
    r = _curl("--cacert", cert("ca.pem"), "-o", "/dev/null",
              "-w", "%{http_code} %{ssl_verify_result} %{size_download}", srv.url + "/")
    code, verify, size = r.stdout.split()
    assert (code, verify) == ("200", "0") and int(size) > 1000, (r.stdout, r.stderr)
    # keep-alive over TLS: two requests, one connection
    r = _curl("--cacert", cert("ca.pem"), "-o", "/dev/null", "-o", "/dev/null",
              "-w", "%{http_code} %{num_connects}\n", srv.url + "/", srv.url + "/")
    assert r.stdout.split() == ["200", "1", "200", "0"], (r.stdout, r.stderr)
    # another CA: curl refuses the server (60: peer certificate cannot be authenticated)
    r = _curl("--cacert", cert("other-ca.pem"), srv.url + "/")
    assert r.returncode == 60, (r.returncode, r.stderr)
    # the refused handshakes cost the server nothing: it still serves
    r = _curl("--cacert", cert("ca.pem"), "-o", "/dev/null", "-w", "%{http_code}", srv.url + "/")
    assert r.stdout == "200" and srv.proc.poll() is None
    assert "TLS accept from 127.0.0.1 failed" in srv.output()


@pytest.mark.parametrize("interp", INTERPS)
def test_python_ssl_https_and_wss(tls_server, interp):
    srv = tls_server(interp)
    ctx = ssl.create_default_context(cafile=cert("ca.pem"))
    conn = http.client.HTTPSConnection("localhost", srv.port, context=ctx, timeout=20)
    conn.request("GET", "/")
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 200 and b"lws_mp test server" in body
    assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
    conn.close()
    # a wrong name is refused by the client's own check
    bad = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
    with pytest.raises(ssl.SSLCertVerificationError):
        ctx.wrap_socket(bad, server_hostname="wrong.test")
    bad.close()

    import websockets.asyncio.client as wsc

    async def dumb_increment():
        async with wsc.connect("wss://localhost:%d/" % srv.port, ssl=ctx,
                               subprotocols=["dumb-increment-protocol"], open_timeout=20) as ws:
            got = [int(await asyncio.wait_for(ws.recv(), 20)) for _ in range(4)]
            assert got == sorted(got) and got[-1] > got[0], got
        async with wsc.connect("wss://localhost:%d/" % srv.port, ssl=ctx,
                               subprotocols=["lws-mirror-protocol"], open_timeout=20) as ws:
            msg = "over wss " * 500  # more than one TLS record's worth of reads
            await ws.send(msg)
            assert await asyncio.wait_for(ws.recv(), 20) == msg
    asyncio.run(dumb_increment())


def _spki():
    with open(cert("server.spki")) as f:
        return f.read().strip()


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason="%s is absent (Debian package chromium; make deps)" % CHROMIUM)
@pytest.mark.timeout(180)
@pytest.mark.parametrize("interp", INTERPS)
def test_chromium_pinned_to_the_server_key(tls_server, interp):
    from playwright.sync_api import Error, sync_playwright

    srv = tls_server(interp)
    other = tls_server(interp, pair=("selfsigned.pem", "selfsigned.key"))
    args = CHROMIUM_ARGS + ["--ignore-certificate-errors-spki-list=" + _spki()]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            resp = page.goto(srv.url + "/", timeout=WAIT_MS)
            assert resp is not None and resp.status == 200
            assert page.evaluate("() => location.protocol") == "https:"
            for state in ("#dumb-state", "#mirror-state", "#status-state"):  # wss:// from https:
                page.wait_for_function("(s) => document.querySelector(s).textContent === 'open'",
                                       arg=state, timeout=WAIT_MS)
            page.wait_for_function(
                "() => Number(document.getElementById('number').textContent) >= 3",
                timeout=WAIT_MS)
            assert not errors, errors
            # a key that is not the pinned one is refused
            with pytest.raises(Error) as e:
                browser.new_page().goto(other.url + "/", timeout=WAIT_MS)
            assert "ERR_CERT" in str(e.value), e.value
        finally:
            browser.close()
