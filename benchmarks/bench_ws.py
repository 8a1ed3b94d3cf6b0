"""WebSocket echo round trips per second: lws_mp against microdot on the
MicroPython unix port.

One client, one connection per run: send a masked text message, wait for
the whole echo, check it, repeat.  2000 messages of 64 B, then 200 of
4 KB.  lws_mp: the echo app (firmware/apps/echo.py, path /); microdot: the
/echo route of benchmarks/peers/microdot_app.py.  Both from .mpy.  Each
figure is the median of ROUNDS runs (a new connection each), rounds
alternating between the two servers, after a short warm-up.

    .venv/bin/python benchmarks/bench_ws.py [ROUNDS]
"""

import os
import statistics
import sys
import time

import benchlib

CASES = [(64, 2000), (4096, 200)]
WARMUP = 20
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def payload(size, i):
    head = b"%06d " % i
    return head + bytes(0x61 + (i + k) % 26 for k in range(size - len(head)))


def run(port, path, size, count):
    messages = [payload(size, i) for i in range(count)]
    ws = benchlib.WsClient(port, path)
    start = time.perf_counter()
    try:
        for m in messages:
            ws.echo(m)
        elapsed = time.perf_counter() - start
    finally:
        ws.close()
    return count / elapsed, count * size * 2 / elapsed


def main():
    benchlib.check_built()
    started = time.perf_counter()
    lws = benchlib.lws_server("echo")
    microdot = benchlib.microdot_server()
    peers = [(lws, "/"), (microdot, "/echo")]
    rows = []
    try:
        for server, _ in peers:
            if not server.ready:
                sys.exit("%s did not start:\n%s" % (server.name, server.output()))
        for size, count in CASES:
            rates = [[] for _ in peers]
            for server, path in peers:
                run(server.port, path, size, WARMUP)
            for _ in range(ROUNDS):
                for i, (server, path) in enumerate(peers):
                    rates[i].append(run(server.port, path, size, count))
            for server, _ in peers:
                if not server.alive():
                    sys.exit("%s exited:\n%s" % (server.name, server.output()[-2000:]))
            (lws_rt, lws_bps), (md_rt, md_bps) = [
                (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs))
                for rs in rates]
            rows.append(["%d B x %d" % (size, count), "%.0f" % lws_rt, "%.0f" % md_rt,
                         benchlib.ratio(lws_rt, md_rt),
                         "%.0f / %.0f" % (lws_bps / 1024, md_bps / 1024)])
    finally:
        lws.stop()
        microdot.stop()
    benchlib.print_table(
        "WebSocket echo round trips/s, one client, text messages, median of %d rounds" % ROUNDS,
        ["messages", "lws_mp", "microdot", "lws_mp/microdot", "KB/s both ways (lws_mp / microdot)"],
        rows,
        [benchlib.interpreter_line(),
         "lws_mp: firmware/apps/echo.py; microdot %s: /echo in "
         "benchmarks/peers/microdot_app.py; both from .mpy" % benchlib.MICRODOT_VERSION,
         "cpus: %d; %.0f s" % (os.cpu_count() or 0, time.perf_counter() - started)])


if __name__ == "__main__":
    main()
