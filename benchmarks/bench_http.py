"""HTTP requests per second: lws_mp against microdot on the MicroPython unix port.

Two requests, each over one keep-alive connection (1000 requests) and over
a new connection per request (300 requests):

- static: GET /index.html, firmware/www/index.html.  lws_mp: the fileserver
  app (a mount on firmware/www); microdot: send_file of the same file.
- dynamic: POST /formtest with a 15-byte form body, answered
  "bytes=15 crc=XXXXXXXX".  lws_mp: the test_server app's form test (the
  body streams through LWS_CALLBACK_HTTP_BODY); microdot: the same route in
  benchmarks/peers/microdot_app.py.

The same CPython client (benchlib.HttpClient) talks to both and checks every
response.  A server that closes the connection after a response (microdot
2.x answers HTTP/1.0 and closes) gets a new connection for the next
request: the "connections" column shows how many were used.  Each figure is
the median of ROUNDS timed runs after a short warm-up, the rounds
alternating between the two servers.

    .venv/bin/python benchmarks/bench_http.py [ROUNDS]
"""

import binascii
import os
import statistics
import sys
import time

import benchlib

KEEPALIVE_REQUESTS = 1000
NEW_CONN_REQUESTS = 300
WARMUP = 20
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5

FORM = b"hello=world&n=1"
with open(benchlib.STATIC_FILE, "rb") as _f:
    STATIC_BODY = _f.read()
DYNAMIC_BODY = b"bytes=%d crc=%08x" % (len(FORM), binascii.crc32(FORM) & 0xFFFFFFFF)


def static_request(close):
    return (b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + (b"Connection: close\r\n" if close else b"") + b"\r\n")


def dynamic_request(close):
    return (b"POST /formtest HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n" % len(FORM)
            + (b"Connection: close\r\n" if close else b"") + b"\r\n" + FORM)


def run(port, raw, expect, count, new_connections):
    """``count`` requests; returns (requests per second, connections)."""
    client = benchlib.HttpClient(port)
    start = time.perf_counter()
    try:
        for _ in range(count):
            status, body = client.request(raw, close=new_connections)
            if status != 200 or body != expect:
                raise RuntimeError("unexpected answer: %d %r" % (status, body[:60]))
    finally:
        client.close()
    return count / (time.perf_counter() - start), client.connections


def measure(servers, raw_for, expect, count, new_connections):
    """Rounds alternate between the servers, so a change in the machine's
    load during the run touches both alike."""
    raw = raw_for(new_connections)
    rates = [[] for _ in servers]
    conns = [0 for _ in servers]
    for server in servers:
        run(server.port, raw, expect, WARMUP, new_connections)
    for _ in range(ROUNDS):
        for i, server in enumerate(servers):
            rate, conns[i] = run(server.port, raw, expect, count, new_connections)
            rates[i].append(rate)
    for server in servers:
        if not server.alive():
            raise RuntimeError("%s exited:\n%s" % (server.name, server.output()[-2000:]))
    return [(statistics.median(r), c) for r, c in zip(rates, conns)]


CASES = [
    # (label, lws_mp app, request, expected body)
    ("static %d B" % len(STATIC_BODY), "fileserver", static_request, STATIC_BODY),
    ("dynamic %d B" % len(DYNAMIC_BODY), "test_server", dynamic_request, DYNAMIC_BODY),
]
MODES = [("keep-alive", KEEPALIVE_REQUESTS, False), ("new conn", NEW_CONN_REQUESTS, True)]


def main():
    benchlib.check_built()
    started = time.perf_counter()
    results = {}
    microdot = benchlib.microdot_server()
    servers = [microdot]
    try:
        for label, app, raw_for, expect in CASES:
            lws = benchlib.lws_server(app)
            servers.append(lws)
            for server in (lws, microdot):
                if not server.ready:
                    sys.exit("%s did not start:\n%s" % (server.name, server.output()))
            for mode, count, new_conn in MODES:
                results[(label, mode)] = measure([lws, microdot], raw_for, expect, count,
                                                 new_conn)
            lws.stop()
    finally:
        for server in servers:
            server.stop()
    rows = []
    for label, _, _, _ in CASES:
        for mode, count, _ in MODES:
            (lws_rate, lws_conns), (md_rate, md_conns) = results[(label, mode)]
            rows.append(["%s, %s (%d req)" % (label, mode, count), "%.0f" % lws_rate,
                         "%.0f" % md_rate, benchlib.ratio(lws_rate, md_rate),
                         "%d / %d" % (lws_conns, md_conns)])
    benchlib.print_table(
        "HTTP requests/s, one CPython client, median of %d rounds" % ROUNDS,
        ["request", "lws_mp", "microdot", "lws_mp/microdot", "connections (lws_mp / microdot)"],
        rows,
        [benchlib.interpreter_line(),
         "lws_mp apps: fileserver (static), test_server (dynamic); microdot %s: "
         "benchmarks/peers/microdot_app.py; both from .mpy" % benchlib.MICRODOT_VERSION,
         "microdot closes after every response (HTTP/1.0): its keep-alive rows use a new "
         "connection per request",
         "cpus: %d; %.0f s" % (os.cpu_count() or 0, time.perf_counter() - started)])


if __name__ == "__main__":
    main()
