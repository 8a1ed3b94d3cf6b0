"""Instructions per request and per message on the board interpreter,
lws_mp against the plain loop, counted by valgrind's callgrind.

    .venv/bin/python benchmarks/bench_instr.py [--rows static,post,ws]

bench.py's ratios to the loop are in requests per second: they move with
the host, since the kernel's part of a request (a connect, a send) is the
loop's largest and costs more or less from one machine to the next.  This
counts what the interpreter itself executes, in user space, which does not
depend on the host's load or its kernel.  Each server runs twice under
callgrind (fewer events, then more; the same client), and the difference of
the two totals over the difference of the events is one event's cost, its
start-up and warm-up taken out.  Events: requests from 8 client
connections (keep-alive, and a new connection per request), WebSocket 16 B
echoes from build/bench/wsload (one connection, 16 in flight).  On the
new-connection rows microdot (frozen into the same interpreter, at the same
heap: build/board/microdot) is counted too, so that "3x microdot" can be
read without the host's kernel in it; it closes every connection, so it
has no keep-alive row.

Prints a table and writes build/bench/instr.json.  A benchmark: nothing
passes or fails.  A few minutes (each run is an interpreter under
valgrind, some 50 times slower).
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import bench
import benchlib

COUNTS = (200, 1000)  # requests in the two runs of each HTTP row
WS_SECONDS = (2, 8)  # wsload's seconds in the two runs of the WebSocket row
CONNS = 8


def _serve_under_callgrind(argv, out):
    """argv (bench.py's board servers) under callgrind; (process, port)."""
    port = benchlib.free_port()
    a = [x.replace("{port}", str(port)) for x in argv]
    a = [os.path.join(bench.ROOT, x) if x.startswith(("firmware/", "benchmarks/")) else x
         for x in a]
    log = open(out + ".log", "wb")
    p = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + a,
                         cwd=bench.OUT, stdout=log, stderr=subprocess.STDOUT)
    if not benchlib.wait_listening(p, port, 120.0):
        p.kill()
        raise RuntimeError("did not start under valgrind: %s" % out)
    return p, port


def _total(p, out):
    """Stop the server; the instructions callgrind counted."""
    p.terminate()
    p.wait(60)  # callgrind writes its file at the exit
    with open(out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("no total in " + out)


# A connection refused by the server under valgrind is tried again, for
# a few seconds: seen right after it was listening (at the warm-up, and at
# wsload's start), in a few runs in ten.  Only answered requests and echoed
# messages are counted, so a retry changes no figure.
_REFUSED_TRIES = 40
_REFUSED_WAIT = 0.15


def _connect(port):
    for _ in range(_REFUSED_TRIES):
        try:
            return socket.create_connection((bench.HOST, port), timeout=60)
        except ConnectionRefusedError:
            time.sleep(_REFUSED_WAIT)
    return socket.create_connection((bench.HOST, port), timeout=60)


def _requests(port, raw, n, close):
    """n requests from CONNS connections, each answer read whole."""
    errors = []

    def one_client(k):
        s = None
        try:
            for _ in range(k):
                if s is None:
                    s = _connect(port)
                s.sendall(raw)
                buf = b""
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    buf += d
                    head, sep, body = buf.partition(b"\r\n\r\n")
                    m = re.search(rb"(?i)content-length: *(\d+)", head)
                    if sep and m and len(body) >= int(m.group(1)):
                        break
                if not buf.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):  # microdot: 1.0
                    raise RuntimeError("answered %r" % buf[:40])
                if close:
                    s.close()
                    s = None
        except (OSError, RuntimeError) as e:
            errors.append(e)
        finally:
            if s is not None:
                s.close()

    ts = [threading.Thread(target=one_client, args=(n // CONNS,)) for _ in range(CONNS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise RuntimeError("client: %r" % errors[0])
    return n // CONNS * CONNS


def _cost(argv, tag, sizes, drive):
    """One event's instructions: the server run once per size (drive(port,
    size) makes the events and says how many), the difference of the
    totals over the difference of the events."""
    totals = []
    events = []
    for size in sizes:
        out = os.path.join(bench.OUT, "callgrind", "%s.%d" % (tag, size))
        p, port = _serve_under_callgrind(argv, out)
        try:
            events.append(drive(port, size))
        finally:
            totals.append(_total(p, out))
    return (totals[1] - totals[0]) / (events[1] - events[0])


def _http_cost(argv, raw, close, tag):
    def drive(port, n):
        _requests(port, raw, 2 * CONNS, close)  # warm-up: modules, buffers
        return _requests(port, raw, n, close)

    return _cost(argv, tag, COUNTS, drive)


def _ws_cost(argv, tag):
    def drive(port, secs):
        for _ in range(_REFUSED_TRIES):
            r = subprocess.run([bench.WSLOAD, str(port), "/", "1", "16", str(secs), "16"],
                               capture_output=True, text=True, timeout=secs + 120)
            if "Connection refused" not in r.stdout + r.stderr:
                break
            time.sleep(_REFUSED_WAIT)
        m = re.search(r"msgs=(\d+)", r.stdout)
        if r.returncode or not m:
            raise RuntimeError("wsload: %s" % (r.stdout + r.stderr)[-200:])
        return int(m.group(1))

    return _cost(argv, tag, WS_SECONDS, drive)


def main(argv):
    want = ["static", "post", "ws"]
    if "--rows" in argv:
        want = argv[argv.index("--rows") + 1].split(",")
    it = bench.interpreters()["board"]
    os.makedirs(os.path.join(bench.OUT, "callgrind"), exist_ok=True)
    bench.prepare()
    rows = []
    print("board interpreter at %s, the board's sizes; instructions per event (callgrind)"
          % bench.BOARD_HEAP)
    print("%-60s %10s %10s %8s %10s %8s" % ("row", "lws_mp", "loop", "loop/lws", "microdot",
                                            "md/lws"))

    def show(name, lws, loop, md=None):
        r = {"row": name, "lws_mp": round(lws), "loop": round(loop) if loop else None,
             "loop_over_lws": round(loop / lws, 3) if loop else None,
             "microdot": round(md) if md else None,
             "microdot_over_lws": round(md / lws, 3) if md else None}
        rows.append(r)
        print("%-60s %10.0f %10s %8s %10s %8s" % (
            name, lws, "%.0f" % loop if loop else "-",
            "%.0f %%" % (100 * loop / lws) if loop else "-",
            "%.0f" % md if md else "-", "%.2fx" % (md / lws) if md else "-"))
        sys.stdout.flush()

    cases = []
    if "static" in want:
        cases.append(("static 301 B file", "fileserver", bench.WWW, bench.STATIC, False, "file"))
    if "post" in want:
        cases.append(("callback POST /formtest", "test_server", None, "/formtest", True, "http"))
    for label, app, root, path, post, mode in cases:
        # the loop answers with lws_mp's own bytes, fetched from a server
        # that is not under valgrind
        fs = bench.start("instr-fetch", bench.lws_argv(it, app, root), "board")
        if fs is None:
            raise SystemExit("bench_instr: lws_mp %s did not start" % app)
        try:
            plain = bench.plain_for(it, "instr-" + app, mode, fs.port,
                                    bench.request(path, False, post),
                                    bench.request(path, True, post),
                                    os.path.join(bench.WWW, "index.html") if mode == "file"
                                    else None)
        finally:
            fs.stop()
        for close in (False, True):
            raw = bench.request(path, close, post)
            kind = "new connection per request" if close else "keep-alive"
            tag = "%s-%s" % (app, "close" if close else "ka")
            lws = _http_cost(bench.lws_argv(it, app, root), raw, close, "lws-" + tag)
            loop = _http_cost(plain, raw, close, "loop-" + tag)
            md = None
            if close:
                md = _http_cost(it["microdot"] + ["--port", "{port}", "--iface", bench.HOST,
                                                  "--root", bench.WWW],
                                raw, close, "microdot-" + tag)
            show("%s, %s, %d conn" % (label, kind, CONNS), lws, loop, md)
    if "ws" in want:
        lws = _ws_cost(bench.lws_argv(it, "echo") + it["echo_args"], "lws-ws16")
        loop = _ws_cost(it["plain"] + ["ws", "--port", "{port}", "--buf", str(it["buf"])],
                        "loop-ws16")
        show("WebSocket echo 16 B, 1 conn (16 in flight)", lws, loop)
    with open(os.path.join(bench.OUT, "instr.json"), "w") as f:
        json.dump({"started": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": rows}, f, indent=1)
    print("loop/lws: the loop's instructions as a share of lws_mp's, for the same event; "
          "md/lws: microdot's over lws_mp's (the 3x microdot target asks for 3x)")


if __name__ == "__main__":
    main(sys.argv[1:])
