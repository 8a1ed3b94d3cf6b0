"""The test_client app (firmware/apps/test_client.py) against real peers.

- libwebsockets' own C test server (Debian libwebsockets-test-server, lws
  4.1.6): ``test_client ws://127.0.0.1:PORT --seconds 6`` exits 0, having
  printed at least 10 rising ``dumb-increment: N`` lines and ``mirror:
  echoed``, on CPython and on the 64-bit MicroPython.
- tinyproxy (Debian), started here on 127.0.0.1 with Basic credentials:
  the same run through ``--proxy user:secret@...`` (HTTP CONNECT) to the
  lws_mp test_server app, an http:// GET through it, and the wrong
  password refused with the proxy's answer as the connection error; then
  https:// and wss:// through it to lws_mp's TLS server (the tests' own CA,
  tools/tls/make_certs.sh), verified by the client.
"""

import os
import re
import subprocess
import time

import pytest

from conftest import INTERPRETERS, ROOT, free_port, interpreter_cmd
from server_process import LoggedProcess

C_SERVER = "/usr/bin/libwebsockets-test-server"
TINYPROXY = "/usr/bin/tinyproxy"
MAIN = os.path.join(ROOT, "firmware", "main.py")
BOARD = "esp32_generic"
# The C test server's bundled certificate has a 1024-bit key, which OpenSSL 3
# refuses at its default security level 2 ("ee key too small": the server
# does not start).  Level 1 for that process alone lets it serve its own
# certificate, as the -s mode intends.
_C_SERVER_OPENSSL_CONF = """openssl_conf = lws_test_server
[lws_test_server]
ssl_conf = ssl_section
[ssl_section]
system_default = system_default_section
[system_default_section]
CipherString = DEFAULT@SECLEVEL=1
"""
NUMBER = re.compile(r"^dumb-increment: (\d+)$", re.M)


def wait_port(port, proc, secs=10.0):
    import socket

    end = time.monotonic() + secs
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def client_cmd(interp):
    if interp == "board":
        # the board interpreter at the board's heap, lws_mp and the app frozen in
        from test_board_heap import board_heap, board_interpreter

        return [board_interpreter(BOARD), "-X", "heapsize=%s" % board_heap(BOARD), MAIN,
                "--frozen", "--board", BOARD]
    return interpreter_cmd(interp) + [MAIN]


def run_client(interp, args, timeout=60):
    r = subprocess.run(client_cmd(interp) + ["--app", "test_client"] + args,
                       cwd=ROOT, capture_output=True, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


def check_ws_run(rc, out, where=""):
    numbers = [int(n) for n in NUMBER.findall(out)]
    assert rc == 0, "exit %d%s\n%s" % (rc, where, out[-3000:])
    assert len(numbers) >= 10, out[-3000:]
    rising = max(i for i in range(1, len(numbers) + 1)
                 if numbers[:i] == list(range(numbers[0], numbers[0] + i)))
    assert rising >= 10, numbers[:40]
    assert "mirror: echoed" in out, out[-3000:]
    assert "Traceback" not in out and "CLIENT_CONNECTION_ERROR" not in out, out[-3000:]


@pytest.mark.skipif(not os.path.exists(C_SERVER),
                    reason="libwebsockets-test-server is not installed (make deps)")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("tls", (False, True), ids=("ws", "wss"))
@pytest.mark.parametrize("interp", INTERPRETERS + ("board",))
def test_client_against_the_c_test_server(processes, tmp_path, interp, tls):
    port = free_port()
    cmd = [C_SERVER, "-p", str(port)]
    env = None
    if tls:
        # -s: TLS with the server's own (self-signed) certificate
        conf = tmp_path / "openssl-seclevel1.cnf"
        conf.write_text(_C_SERVER_OPENSSL_CONF)
        cmd.append("-s")
        env = dict(os.environ, OPENSSL_CONF=str(conf))
    srv = LoggedProcess(cmd, str(tmp_path / "c-server.log"), cwd=str(tmp_path), env=env)
    processes.append(srv)
    assert wait_port(port, srv.proc), srv.output()
    args = ["ws://127.0.0.1:%d" % port, "--seconds", "6"]
    if tls:
        args += ["--ssl", "--allow-self-signed"]
    rc, out = run_client(interp, args)
    check_ws_run(rc, out, "\n--- C server log ---\n" + srv.output()[-2000:])
    assert srv.proc.poll() is None


def _tinyproxy(processes, tmp_path):
    port = free_port()
    conf = tmp_path / "tinyproxy.conf"
    conf.write_text("Port %d\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\n"
                    "BasicAuth user secret\nLogFile \"%s\"\nLogLevel Info\n"
                    % (port, tmp_path / "tinyproxy.log"))
    p = LoggedProcess([TINYPROXY, "-d", "-c", str(conf)], str(tmp_path / "tinyproxy.out"))
    processes.append(p)
    assert wait_port(port, p.proc), p.output()
    return port


@pytest.mark.skipif(not os.path.exists(TINYPROXY), reason="tinyproxy is not installed (make deps)")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("interp", INTERPRETERS)
def test_client_through_tinyproxy(processes, server, tmp_path, interp):
    pport = _tinyproxy(processes, tmp_path)
    srv = server("test_server", "cpython")
    proxy = "user:secret@127.0.0.1:%d" % pport
    rc, out = run_client(interp, ["--proxy", proxy, "ws://127.0.0.1:%d" % srv.port,
                                  "--seconds", "5"])
    check_ws_run(rc, out)
    log = (tmp_path / "tinyproxy.log").read_text()
    assert "CONNECT 127.0.0.1:%d HTTP/1.0" % srv.port in log, log[-2000:]
    # plain HTTP goes through the same tunnel
    rc, out = run_client(interp, ["--proxy", proxy, "http://127.0.0.1:%d/" % srv.port,
                                  "--seconds", "10"])
    assert rc == 0 and "<html" in out.lower(), out[-2000:]
    # the wrong password: the proxy's answer is the reason
    rc, out = run_client(interp, ["--proxy", "user:wrong@127.0.0.1:%d" % pport,
                                  "http://127.0.0.1:%d/" % srv.port, "--seconds", "10"])
    assert rc == 1 and "CLIENT_CONNECTION_ERROR: http: proxy refused CONNECT: HTTP/1.0 401" \
        in out, out[-2000:]


@pytest.mark.skipif(not os.path.exists(TINYPROXY), reason="tinyproxy is not installed (make deps)")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("interp", INTERPRETERS)
def test_tls_through_tinyproxy(processes, tmp_path, interp):
    certs = tmp_path / "certs"
    subprocess.run([os.path.join(ROOT, "tools", "tls", "make_certs.sh"), str(certs)],
                   check=True, capture_output=True)
    pport = _tinyproxy(processes, tmp_path)
    port = free_port()
    cmd = interpreter_cmd("cpython") + [MAIN, "--app", "test_server", "--port", str(port),
                                        "--iface", "127.0.0.1",
                                        "--cert", str(certs / "server.pem"),
                                        "--key", str(certs / "server.key")]
    srv = LoggedProcess(cmd, str(tmp_path / "tls-server.log"), cwd=ROOT)
    processes.append(srv)
    assert wait_port(port, srv.proc), srv.output()
    via = ["--proxy", "user:secret@127.0.0.1:%d" % pport, "--ca", str(certs / "ca.pem")]
    rc, out = run_client(interp, via + ["https://localhost:%d/" % port, "--seconds", "15"])
    assert rc == 0 and "<html" in out.lower(), out[-2000:]
    rc, out = run_client(interp, via + ["wss://localhost:%d" % port, "--seconds", "6"])
    check_ws_run(rc, out, "\n--- server log ---\n" + srv.output()[-2000:])
    log = (tmp_path / "tinyproxy.log").read_text()
    assert log.count("CONNECT localhost:%d HTTP/1.0" % port) >= 3, log[-2000:]
