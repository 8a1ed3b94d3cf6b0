"""libwebsockets' own C test client (Debian libwebsockets-test-server, lws
4.1.6) against the ported test-server app.

``libwebsockets-test-client ADDR --port P -O -d 15`` opens a
dumb-increment-protocol and an lws-mirror-protocol connection, prints every
number it receives, sends a random number (16384..81919) of mirror messages
and, because of ``-O``, exits when the mirror connection closes.  Its exit
status is always 0, so the log is what tells success from failure:

- ``lws_http_client_http_response 101``: printed by the client's
  protocols[0] (dumb-increment) only; the mirror connection's upgrade shows as
  ``mirror: LWS_CALLBACK_CLIENT_ESTABLISHED`` instead.
- ``mirror: LWS_CALLBACK_CLOSED mirror_lifetime=0``: the client closed the
  connection itself after its last message.  A nonzero lifetime means the
  server dropped it early.
- ``rx N 'K'`` (info level): the dumb-increment numbers, one per frame,
  0, 1, 2, ... on a connection that was never dropped (a dropped one is
  reconnected: a second ``dumb: connecting``).

(The client's ``-e`` echo mode cannot be used here: it sends random bytes as
text frames, which a server checking UTF-8 rightly closes with 1007.)
"""

import os
import re
import subprocess

import pytest

from conftest import INTERPRETERS

CLIENT = "/usr/bin/libwebsockets-test-client"

RX_RE = re.compile(r"\] I: rx \d+ '(\d+)'")
LIFETIME_RE = re.compile(r"mirror: LWS_CALLBACK_CLOSED mirror_lifetime=(-?\d+)")


def excerpt(log, limit=60):
    """The client log without its per-write noise, for assertion messages."""
    keep = [ln for ln in log.splitlines()
            if "ssl_capable_write" not in ln and "] I: rx " not in ln]
    return "\n".join(keep[-limit:])


@pytest.mark.skipif(not os.path.exists(CLIENT),
                    reason="libwebsockets-test-client is not installed (make deps)")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("interp", INTERPRETERS)
def test_lws_test_client(server, interp):
    srv = server("test_server", interp)
    r = subprocess.run([CLIENT, "127.0.0.1", "--port", str(srv.port), "-O", "-d", "15"],
                       capture_output=True, timeout=60)
    log = (r.stdout + r.stderr).decode("utf-8", "replace")
    where = "\n--- client log (excerpt) ---\n%s\n--- server log ---\n%s" % (
        excerpt(log), srv.output())

    assert r.returncode == 0, "client exit status %d%s" % (r.returncode, where)
    assert log.count("lws_http_client_http_response 101") == 1, where
    assert "dumb: LWS_CALLBACK_CLIENT_ESTABLISHED" in log, where
    assert "mirror: LWS_CALLBACK_CLIENT_ESTABLISHED" in log, where
    assert "closing mirror session" in log, where
    lifetimes = LIFETIME_RE.findall(log)
    assert lifetimes == ["0"], "mirror closed with lifetime %r%s" % (lifetimes, where)
    # the client reconnects a dropped dumb-increment connection
    assert log.count("dumb: connecting") == 1, where

    numbers = [int(n) for n in RX_RE.findall(log)]
    assert len(numbers) >= 3, "dumb-increment numbers: %r%s" % (numbers, where)
    steps = [b - a for a, b in zip(numbers, numbers[1:])]
    assert numbers[0] == 0, "first number %d%s" % (numbers[0], where)
    assert all(s == 1 for s in steps), "numbers not rising by one: %r%s" % (
        numbers[:50], where)

    assert srv.alive(), "server exited%s" % where
    out = srv.output()
    for bad in ("Traceback", "MemoryError", "dropped"):
        assert bad not in out, "server log has %r:\n%s" % (bad, out)
