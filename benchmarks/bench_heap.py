"""Heap: lws_mp against microdot on the MicroPython unix port, both from .mpy.

(a) Heap taken by importing the library and its app (gc.mem_alloc after a
    collection, less the figure before; benchmarks/heap_probe.py runs inside
    MicroPython), then with the modules the first requests load, then with
    the server listening.
(b) The smallest ``-X heapsize`` (64k to 1024k in 16k steps, bisected) at
    which the server carries 8 concurrent WebSocket echo clients, each
    exchanging 20 x 1 KB text messages and then one 4 KB message, with none
    failing.  lws_mp: the echo app with its default sizes, and with the
    esp32_generic board's sizes (--board esp32_generic); microdot: the /echo
    route of benchmarks/peers/microdot_app.py.
(c) How many of those 8 clients succeed at -X heapsize=64k.

A client fails if it cannot connect, an echo differs or does not come back
within WS_TIMEOUT seconds.  The 64-bit unix port needs about twice the heap
of a 32-bit board for the same objects and code.

    .venv/bin/python benchmarks/bench_heap.py
"""

import os
import re
import subprocess
import threading
import time

import benchlib

HEAP_MIN, HEAP_MAX, HEAP_STEP = 64, 1024, 16  # KB
CLIENTS = 8
SMALL, SMALL_COUNT, BIG = 1024, 20, 4096
WS_TIMEOUT = 5.0
# a heap holds only if this many fresh servers in a row all carry every client
# (near the limit the outcome varies from run to run with the GC's timing)
REPEATS = 10

# lws_mp modules the first requests import on top of the app's imports (the
# ones in sys.modules after one HTTP request and one WebSocket echo)
FIRST_USE = {
    "echo": ["lws_mp.plat.file_ops"],
    "test_server": ["lws_mp.plat.file_ops", "lws_mp.roles.serve_file", "lws_mp.codec.ws_frame",
                    "lws_mp.codec.ws_handshake", "lws_mp.roles.ws_server", "lws_mp.roles.ws_conn"],
}

# ------------------------------------------------------------------ (a)


def probe(lib, *args):
    out = subprocess.run([benchlib.MICROPYTHON, os.path.join(benchlib.ROOT, "benchmarks",
                                                             "heap_probe.py"), lib] + list(args),
                         cwd=benchlib.ROOT, capture_output=True, text=True, timeout=60)
    figures = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            figures[parts[0]] = int(parts[1])
    if "imported" not in figures:
        raise RuntimeError("heap_probe %s: %s%s" % (args, out.stdout, out.stderr))
    return figures


def kb(n):
    return "%.1f KB" % (n / 1024)


def import_rows():
    lws, md = benchlib.LWS_LIB, benchlib.MICRODOT_LIB
    rows = [["package only (lws_mp loads its modules on first use)",
             kb(probe(lws, "lws_mp")["imported"]), kb(probe(md, "microdot")["imported"])]]
    md_app = probe(md, "--listen", "microdot")
    for app, label in (("echo", "echo app"), ("test_server", "test_server app")):
        plain = probe(lws, "--listen", "lws", app)
        used = probe(lws, "--listen", "lws", app, *FIRST_USE[app])
        rows.append(["library + %s, imported" % label, kb(plain["imported"]),
                     kb(md_app["imported"])])
        rows.append(["  + modules the first requests load", kb(used["imported"]),
                     kb(md_app["imported"])])
        rows.append(["  + server listening", kb(used["listening"]), kb(md_app["listening"])])
    for r in rows:
        r.append(benchlib.ratio(float(r[1].split()[0]), float(r[2].split()[0])))
    return rows, md_app["listening"]


# --------------------------------------------------------------- (b), (c)


def message(client, i, size):
    head = "client %d message %02d " % (client, i)
    return (head + chr(0x61 + (client * 7 + i) % 26) * (size - len(head))).encode()


def client_run(port, path, n, barrier, echoed):
    """One client: connect, wait for the others, then its round trips;
    ``echoed[n]`` counts the echoes that came back right."""
    ws = None
    try:
        try:
            ws = benchlib.WsClient(port, path, WS_TIMEOUT)
        finally:
            try:
                barrier.wait(WS_TIMEOUT * 3)  # all connected (or given up): exchange together
            except threading.BrokenBarrierError:
                pass
        for i in range(SMALL_COUNT):
            ws.echo(message(n, i, SMALL))
            echoed[n] += 1
        ws.echo(message(n, SMALL_COUNT, BIG))
        echoed[n] += 1
    except Exception:
        pass
    finally:
        if ws is not None:
            ws.close(1.0)


def error_kind(server):
    """The exception named last in the server's log ("MemoryError")."""
    return server.last_error().split(":")[0] or "no error logged"


class Trial:
    """8 concurrent clients against a fresh server at ``heap`` KB."""

    def __init__(self, peer, heap):
        self.heap = heap
        self.clients_ok = 0
        self.echoes_ok = 0
        self.listening = None  # lws_mp's runner logs the heap in use once serving
        server = peer["start"](heap)
        try:
            self.note = self._run(server, peer["path"])
            m = re.search(r"heap in use: (\d+) bytes", server.output())
            if m:
                self.listening = int(m.group(1))
        finally:
            server.stop()

    def _run(self, server, path):
        if not server.ready:
            return "did not start (%s)" % error_kind(server)
        echoed = [0] * CLIENTS
        barrier = threading.Barrier(CLIENTS)
        threads = [threading.Thread(target=client_run, daemon=True,
                                    args=(server.port, path, n, barrier, echoed))
                   for n in range(CLIENTS)]
        for t in threads:
            t.start()
        end = time.monotonic() + 120
        for t in threads:
            t.join(max(0.1, end - time.monotonic()))
        self.clients_ok = sum(1 for e in echoed if e == ECHOES)
        self.echoes_ok = sum(echoed)
        if not server.alive():
            return "server exited (%s)" % error_kind(server)
        if "MemoryError" in server.output():
            return "server logged MemoryError"
        return ""

    @property
    def held(self):
        return self.clients_ok == CLIENTS


ECHOES = SMALL_COUNT + 1  # per client


def repeated(peer, heap, stop_on_failure=True):
    """REPEATS trials at ``heap`` (fewer if one fails and stop_on_failure)."""
    done = []
    while len(done) < REPEATS and (not stop_on_failure or not done or done[-1].held):
        done.append(Trial(peer, heap))
    return done


def smallest_heap(peer):
    """Bisect the heap steps for the smallest at which every trial holds all
    clients (assumes more heap never hurts).  (KB or None, {KB: [Trial]})."""
    steps = list(range(HEAP_MIN, HEAP_MAX + 1, HEAP_STEP))
    tried = {}

    def holds(i):
        h = steps[i]
        if h not in tried:
            tried[h] = repeated(peer, h)
        return all(t.held for t in tried[h])

    if holds(0):
        return steps[0], tried
    if not holds(len(steps) - 1):
        return None, tried
    lo, hi = 0, len(steps) - 1  # steps[lo] fails, steps[hi] holds
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(mid):
            hi = mid
        else:
            lo = mid
    return steps[hi], tried


PEERS = [
    {"name": "lws_mp echo, default sizes", "path": "/",
     "start": lambda h: benchlib.lws_server("echo", h)},
    {"name": "lws_mp echo, esp32_generic sizes", "path": "/",
     "start": lambda h: benchlib.lws_server("echo", h, ["--board", "esp32_generic"])},
    {"name": "microdot /echo, GC paced as lws_mp", "path": "/echo", "microdot": True,
     "start": lambda h: benchlib.microdot_server(h, ["--gc-threshold", "16384"])},
    {"name": "microdot /echo", "path": "/echo", "microdot": True,
     "start": lambda h: benchlib.microdot_server(h)},
]
# heaps at which every server also gets REPEATS trials, none skipped: how
# often clients succeed around the smallest heaps
CURVE = [160, 192, 224, 256, 288, 320]


def main():
    benchlib.check_built()
    started = time.perf_counter()
    rows, md_listening = import_rows()
    benchlib.print_table(
        "(a) heap after importing the library and its app from .mpy (gc.mem_alloc delta)",
        ["what", "lws_mp", "microdot", "lws_mp/microdot"], rows,
        ["microdot: microdot_app (file + form + WebSocket echo) in every app row; "
         "lws_mp: runner + the app; 'listening': lws_create_context / start_server done",
         "first-use modules: echo %s; test_server %s" % (
             ", ".join(m[7:] for m in FIRST_USE["echo"]),
             ", ".join(m[7:] for m in FIRST_USE["test_server"]))])
    print()

    found = [(peer,) + smallest_heap(peer) for peer in PEERS]
    md_heap = found[-1][1]
    rows = []
    trails = []
    for peer, heap, tried in found:
        rows.append([peer["name"], "%dk" % heap if heap else "> %dk" % HEAP_MAX,
                     benchlib.ratio(heap, md_heap)])
        trails.append("  %s: %s" % (peer["name"], ", ".join(
            "%dk %s" % (h, ",".join(str(t.clients_ok) for t in tried[h]))
            for h in sorted(tried))))
    benchlib.print_table(
        "(b) smallest -X heapsize holding %d concurrent WebSocket echo clients "
        "(%d x %d B + 1 x %d B each), %dk..%dk in %dk steps" % (
            CLIENTS, SMALL_COUNT, SMALL, BIG, HEAP_MIN, HEAP_MAX, HEAP_STEP),
        ["server", "smallest heap", "vs microdot"], rows,
        ["a heap holds when %d fresh servers in a row carry all %d clients" % (
            REPEATS, CLIENTS),
         "trials (heap: clients ok in each trial, bisect stops a heap at its first "
         "failure):"] + trails)
    print()

    rows = []
    md_beyond = None
    for peer, heap, tried in reversed(found):
        if not heap:
            continue
        listening = md_listening if peer.get("microdot") else tried[heap][0].listening
        beyond = heap * 1024 - listening
        if md_beyond is None:
            md_beyond = beyond
        rows.insert(0, [peer["name"], "%dk" % heap, kb(listening), kb(beyond),
                        benchlib.ratio(beyond, md_beyond)])
    benchlib.print_table(
        "(b2) what the %d clients need beyond the listening server: the smallest heap "
        "less the heap in use once listening" % CLIENTS,
        ["server", "smallest heap", "listening", "beyond it", "vs microdot"], rows,
        ["listening: gc.mem_alloc after a collection (lws_mp: its runner's 'heap in use' "
         "line in that trial; microdot: heap_probe, as in (a)); the code is in it, which "
         "a board can keep in flash"])
    print()

    rows = []
    md_ok = None
    for peer, _, _ in reversed(found):
        at_min = repeated(peer, HEAP_MIN, stop_on_failure=False)
        worst = min(at_min, key=lambda t: (t.clients_ok, t.echoes_ok))
        notes = {}
        for t in at_min:
            notes[t.note or "ok"] = notes.get(t.note or "ok", 0) + 1
        if md_ok is None:
            md_ok = worst.clients_ok
        rows.insert(0, [peer["name"], "%d/%d" % (worst.clients_ok, CLIENTS),
                        benchlib.ratio(worst.clients_ok, md_ok),
                        "%d/%d" % (worst.echoes_ok, CLIENTS * ECHOES),
                        ", ".join("%s x%d" % (n, notes[n]) for n in sorted(notes))])
    benchlib.print_table(
        "(c) at -X heapsize=%dk: clients that succeed (the fewest in %d trials)" % (
            HEAP_MIN, REPEATS),
        ["server", "clients ok", "vs microdot", "echoes ok", "what the server did"], rows)
    print()

    rows = []
    for peer, _, _ in found:
        row = [peer["name"]]
        for h in CURVE:
            done = repeated(peer, h, stop_on_failure=False)
            row.append("%d" % sum(t.clients_ok for t in done))
        rows.append(row)
    benchlib.print_table(
        "clients ok of %d (%d trials x %d clients) at each heap" % (
            REPEATS * CLIENTS, REPEATS, CLIENTS),
        ["server"] + ["%dk" % h for h in CURVE], rows,
        [benchlib.interpreter_line(), "%.0f s" % (time.perf_counter() - started)])


if __name__ == "__main__":
    main()
