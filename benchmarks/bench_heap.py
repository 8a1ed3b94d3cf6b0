"""Heap: lws_mp against microdot on the board interpreter, both frozen.

lws_mp runs on build/board/esp32_generic/micropython (the esp32_generic
board's manifest frozen into a 32-bit MicroPython unix port), microdot
2.7.0 on build/board/microdot/micropython (microdot and
benchmarks/peers/microdot_app.py frozen into the same build): code and
qstrs are in "flash", objects are a 32-bit board's size, so the heap holds
what a board's heap holds.

(a) Heap after importing (gc.mem_alloc after a collection, less the figure
    before; benchmarks/heap_probe.py runs inside MicroPython): the package,
    the library with the echo app and the service loop, with the runner,
    with the modules the first requests load, and the server listening.
(b) Per WebSocket connection: a server on the default heap with 8 clients
    connected and silent (idle), then all 8 echoing 1 KB messages (active:
    the highest figure sampled), then silent again after one 4 KB message
    each; the heap in use less the figure after one warm-up connection and
    request, over 8.
(c) The smallest ``-X heapsize`` (HEAP_MIN..HEAP_MAX KB in HEAP_STEP steps,
    bisected) at which the server carries 8 concurrent WebSocket echo
    clients, each 40 x 1 KB text messages then one 4 KB message, every echo
    checked, in REPEATS fresh servers in a row.
(d) How many of the 8 clients succeed at -X heapsize=64k (the fewest in
    REPEATS trials).

Then the targets, met or missed, and the figures in build/bench/heap.json.

    .venv/bin/python benchmarks/bench_heap.py
"""

import json
import os
import subprocess
import threading
import time

import benchlib

HEAP_MIN, HEAP_MAX, HEAP_STEP = 16, 512, 4  # KB
CLIENTS = 8
SMALL, SMALL_COUNT, BIG = 1024, 40, 4096
ECHOES = SMALL_COUNT + 1  # per client
WS_TIMEOUT = 5.0
# a heap holds only if this many fresh servers in a row all carry every client
# (near the limit the outcome varies from run to run with the GC's timing)
REPEATS = 10
AT_HEAP = 64  # KB, for (d)
JSON_PATH = os.path.join(benchlib.ROOT, "build", "bench", "heap.json")
PROBE = os.path.join(benchlib.ROOT, "benchmarks", "heap_probe.py")
BOARD = benchlib.BOARD

# targets: (key, what, test on the figures)
TARGETS = [
    ("smallest_heap_vs_microdot", "smallest heap for the 8 clients at most half of "
     "microdot's", lambda f: f["smallest_heap_kb"]["lws_mp"] is not None
     and f["smallest_heap_kb"]["microdot"] is not None
     and f["smallest_heap_kb"]["lws_mp"] * 2 <= f["smallest_heap_kb"]["microdot"]),
    ("idle_ws", "at most 1 KB per idle WebSocket connection",
     lambda f: f["per_connection"]["lws_mp"]["idle"] <= 1024),
    ("import", "the import (library + echo app + service loop) under 16 KB",
     lambda f: f["import"]["lws_mp"]["app"] < 16 * 1024),
]

# ------------------------------------------------------------------ (a)

# what a firmware needs beside the modules the echo app names: the modules
# behind lws_create_context and lws_service
SERVER_LOOP = ("lws_mp.core.context", "lws_mp.core.context_create", "lws_mp.core.service")


def probe(interp, *args):
    out = subprocess.run([interp, PROBE] + list(args), cwd=benchlib.ROOT,
                         capture_output=True, text=True, timeout=60)
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


def import_figures(first_use):
    lws, md = benchlib.BOARD_MICROPYTHON, benchlib.MICRODOT_MICROPYTHON
    used = probe(lws, "listen", "lws", "echo", BOARD, *first_use)
    default = probe(lws, "listen", "lws", "echo", "-", *first_use)
    md_app = probe(md, "listen", "microdot")
    return {
        "lws_mp": {"package": probe(lws, "import", "lws_mp")["imported"],
                   "app": probe(lws, "import", "apps.echo", *SERVER_LOOP)["imported"],
                   "runner": probe(lws, "import", "apps.echo", "runner")["imported"],
                   "first_use": used["imported"], "listening": used["listening"],
                   "listening_default_sizes": default["listening"]},
        "microdot": {"package": probe(md, "import", "microdot")["imported"],
                     "app": md_app["imported"], "runner": md_app["imported"],
                     "first_use": md_app["imported"], "listening": md_app["listening"],
                     "listening_default_sizes": md_app["listening"]},
    }


# ------------------------------------------------------------------ (b)


class Sampler:
    """heap_probe.py serve: the server's heap figures as it prints them."""

    def __init__(self, interp, args):
        self.port = benchlib.free_port()
        self.samples = []  # (monotonic time, bytes)
        self.modules = []
        self.proc = subprocess.Popen(self._cmd(interp, args), cwd=benchlib.ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _cmd(self, interp, args):
        # args: ["lws", APP, BOARD] or ["microdot"]; the port goes after the app
        if args[0] == "lws":
            return [interp, PROBE, "serve", "lws", args[1], str(self.port)] + args[2:]
        return [interp, PROBE, "serve", "microdot", str(self.port)]

    def _read(self):
        for line in self.proc.stdout:
            parts = line.split()
            if len(parts) == 2 and parts[0] == "heap":
                self.samples.append((time.monotonic(), int(parts[1])))
            elif parts and parts[0] == "modules":
                self.modules = parts[1:]

    def settle(self, seconds=0.5):
        """The median of the figures sampled over the next ``seconds``."""
        start = time.monotonic()
        time.sleep(seconds)
        got = sorted(b for t, b in self.samples if t >= start)
        if not got:
            raise RuntimeError("heap_probe serve printed nothing")
        return got[len(got) // 2]

    def highest_since(self, start):
        return max(b for t, b in self.samples if t >= start)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def connection_figures(interp, args, path):
    """(listening, idle, active, after 4 KB) per connection, in bytes, and
    the modules loaded by the end."""
    s = Sampler(interp, args)
    try:
        end = time.monotonic() + 10
        while not s.samples and time.monotonic() < end:
            time.sleep(0.05)
        listening = s.settle()
        # one connection and one HTTP request first: the modules the first
        # requests load are then in the baseline, not in the connections
        warm = benchlib.WsClient(s.port, path, WS_TIMEOUT)
        warm.echo(message(0, 0, SMALL))
        warm.close(1.0)
        http = benchlib.HttpClient(s.port)
        http.request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", close=True)
        warmed = s.settle()
        clients = [benchlib.WsClient(s.port, path, WS_TIMEOUT) for _ in range(CLIENTS)]
        idle = s.settle()
        start = time.monotonic()
        stop = threading.Event()

        def echo(n):
            i = 0
            while not stop.is_set():
                clients[n].echo(message(n, i % 100, SMALL))
                i += 1

        threads = [threading.Thread(target=echo, args=(n,), daemon=True)
                   for n in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join(WS_TIMEOUT)
        active = s.highest_since(start)
        for n, c in enumerate(clients):
            c.echo(message(n, 0, BIG))
        after_big = s.settle()
        for c in clients:
            c.close(1.0)
        closed = s.settle()
        per = lambda b: (b - warmed) / CLIENTS  # noqa: E731
        return {"listening": listening, "warmed": warmed, "idle": per(idle),
                "active": per(active), "after_4k": per(after_big),
                "closed_again": closed - warmed}, s.modules
    finally:
        s.stop()


# --------------------------------------------------------------- (c), (d)


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
        ws.echo(message(n, SMALL_COUNT, BIG), benchlib.WsClient.BINARY)
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
        server = peer["start"](heap)
        try:
            self.note = self._run(server, peer["path"])
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
        return self.clients_ok == CLIENTS and not self.note


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


def lws_start(args):
    return lambda h: benchlib.Server(
        "lws_mp-echo", lambda port, heap: benchlib.board_lws_cmd("echo", port, heap, args), h)


def microdot_start(args):
    return lambda h: benchlib.Server(
        "microdot", lambda port, heap: benchlib.board_microdot_cmd(port, heap, args), h)


# the first of each library is the one the targets compare
PEERS = [
    {"key": "lws_mp", "name": "lws_mp echo, esp32_generic sizes", "path": "/",
     "start": lws_start(["--board", BOARD])},
    {"key": "lws_mp_default_sizes", "name": "lws_mp echo, lws default sizes", "path": "/",
     "start": lws_start([])},
    {"key": "microdot", "name": "microdot /echo", "path": "/echo",
     "start": microdot_start([])},
    {"key": "microdot_gc_paced", "name": "microdot /echo, GC paced as lws_mp",
     "path": "/echo", "start": microdot_start(["--gc-threshold", "16384"])},
]


def check_built():
    missing = [p for p in (benchlib.BOARD_MICROPYTHON, benchlib.MICRODOT_MICROPYTHON)
               if not os.access(p, os.X_OK)]
    if missing:
        raise SystemExit("not built: %s (make board-interpreter BOARD=%s "
                         "board-interpreter-microdot, or benchmarks/run.sh heap)"
                         % (", ".join(missing), BOARD))


def main():
    check_built()
    started = time.perf_counter()
    figures = {"board": BOARD, "microdot_version": benchlib.MICRODOT_VERSION,
               "scenario": "%d clients, %d x %d B + 1 x %d B each" % (
                   CLIENTS, SMALL_COUNT, SMALL, BIG)}

    # (b) first: it tells which modules the first requests load
    lws_conn, modules = connection_figures(benchlib.BOARD_MICROPYTHON,
                                           ["lws", "echo", BOARD], "/")
    md_conn, _ = connection_figures(benchlib.MICRODOT_MICROPYTHON, ["microdot"], "/echo")
    imported_names = set(probe_modules_after_import())
    first_use = sorted(m for m in modules if m.startswith("lws_mp.")
                       and m not in imported_names)
    figures["first_use_modules"] = first_use
    figures["import"] = imp = import_figures(first_use)
    figures["per_connection"] = {"lws_mp": lws_conn, "microdot": md_conn}

    rows = [
        ["package only (lws_mp loads its modules on first use)",
         imp["lws_mp"]["package"], imp["microdot"]["package"]],
        ["library + echo app + service loop (microdot: microdot_app), imported",
         imp["lws_mp"]["app"], imp["microdot"]["app"]],
        ["  + the firmware's runner (firmware/runner.py)", imp["lws_mp"]["runner"],
         imp["microdot"]["runner"]],
        ["  + modules the first requests load", imp["lws_mp"]["first_use"],
         imp["microdot"]["first_use"]],
        ["  + server listening (esp32_generic sizes)", imp["lws_mp"]["listening"],
         imp["microdot"]["listening"]],
        ["  + server listening (lws default sizes)",
         imp["lws_mp"]["listening_default_sizes"], imp["microdot"]["listening"]],
    ]
    benchlib.print_table(
        "(a) heap after importing, frozen (gc.mem_alloc delta)",
        ["what", "lws_mp", "microdot", "lws_mp/microdot"],
        [[r[0], kb(r[1]), kb(r[2]), benchlib.ratio(r[1], r[2])] for r in rows],
        ["lws_mp: apps.echo (the lws_mp modules it names) and the modules of "
         "lws_create_context and lws_service, then firmware/runner.py; "
         "microdot: microdot_app (file + form + WebSocket echo), which loads everything "
         "at import and has no runner",
         "first-use modules: %s" % (", ".join(m[7:] for m in first_use) or "none"),
         "esp32_generic sizes: header pool 4 x 1024 B, service buffer 2048 B, fd table 10; "
         "lws defaults: 4 x 4096 B, 4096 B, fd table 16"])
    print()

    rows = []
    for what in ("idle", "active", "after_4k"):
        a, b = lws_conn[what], md_conn[what]
        rows.append([what, "%.0f B" % a, "%.0f B" % b, benchlib.ratio(a, b)])
    benchlib.print_table(
        "(b) heap per WebSocket connection, %d connections (esp32_generic sizes)" % CLIENTS,
        ["connection", "lws_mp", "microdot", "lws_mp/microdot"], rows,
        ["idle: connected, nothing sent; active: all %d echoing %d B messages (the highest "
         "figure sampled, every %d ms, after a collection); after_4k: idle again after "
         "one %d B message each" % (CLIENTS, SMALL, 100, BIG),
         "all closed again: lws_mp %+d B, microdot %+d B against the warmed-up baseline" % (
             lws_conn["closed_again"], md_conn["closed_again"])])
    print()

    found = [(peer,) + smallest_heap(peer) for peer in PEERS]
    smallest = {peer["key"]: heap for peer, heap, _ in found}
    figures["smallest_heap_kb"] = smallest
    md_heap = smallest["microdot"]
    rows, trails = [], []
    for peer, heap, tried in found:
        rows.append([peer["name"], "%dk" % heap if heap else "> %dk" % HEAP_MAX,
                     benchlib.ratio(heap, md_heap)])
        trails.append("  %s: %s" % (peer["name"], ", ".join(
            "%dk %s" % (h, ",".join(str(t.clients_ok) for t in tried[h]))
            for h in sorted(tried))))
    benchlib.print_table(
        "(c) smallest -X heapsize holding %s, %dk..%dk in %dk steps" % (
            figures["scenario"], HEAP_MIN, HEAP_MAX, HEAP_STEP),
        ["server", "smallest heap", "vs microdot"], rows,
        ["a heap holds when %d fresh servers in a row carry all %d clients, no MemoryError"
         % (REPEATS, CLIENTS),
         "trials (heap: clients ok in each trial; a heap stops at its first failure):"]
        + trails)
    print()

    rows = []
    figures["at_%dk" % AT_HEAP] = at = {}
    for peer in PEERS:
        done = repeated(peer, AT_HEAP, stop_on_failure=False)
        worst = min(done, key=lambda t: (t.clients_ok, t.echoes_ok))
        notes = {}
        for t in done:
            notes[t.note or "ok"] = notes.get(t.note or "ok", 0) + 1
        at[peer["key"]] = {"fewest_clients_ok": worst.clients_ok,
                           "runs_all_ok": sum(1 for t in done if t.held), "runs": len(done)}
        rows.append([peer["name"], "%d/%d" % (worst.clients_ok, CLIENTS),
                     "%d/%d" % (at[peer["key"]]["runs_all_ok"], len(done)),
                     "%d/%d" % (worst.echoes_ok, CLIENTS * ECHOES),
                     ", ".join("%s x%d" % (n, notes[n]) for n in sorted(notes))])
    benchlib.print_table(
        "(d) at -X heapsize=%dk: clients that succeed (the fewest in %d trials)" % (
            AT_HEAP, REPEATS),
        ["server", "clients ok", "runs all ok", "echoes ok", "what the server did"], rows)
    print()

    figures["targets"] = {}
    rows = []
    for key, what, test in TARGETS:
        met = bool(test(figures))
        figures["targets"][key] = met
        rows.append([what, target_figure(key, figures), "met" if met else "MISSED"])
    benchlib.print_table("targets", ["target", "lws_mp", ""], rows,
                         [benchlib.board_interpreter_line(),
                          "%.0f s; figures in %s" % (time.perf_counter() - started,
                                                     os.path.relpath(JSON_PATH,
                                                                     benchlib.ROOT))])
    os.makedirs(os.path.dirname(JSON_PATH), exist_ok=True)
    with open(JSON_PATH, "w") as f:
        json.dump(figures, f, indent=2, sort_keys=True)
        f.write("\n")


def target_figure(key, f):
    if key == "smallest_heap_vs_microdot":
        a, b = f["smallest_heap_kb"]["lws_mp"], f["smallest_heap_kb"]["microdot"]
        return "%sk vs %sk (%s)" % (a, b if b else "> %d" % HEAP_MAX, benchlib.ratio(a, b))
    if key == "idle_ws":
        return "%.0f B" % f["per_connection"]["lws_mp"]["idle"]
    return kb(f["import"]["lws_mp"]["app"])


def probe_modules_after_import():
    """The modules sys.modules holds once runner and the echo app are
    imported (before any request)."""
    out = subprocess.run([benchlib.BOARD_MICROPYTHON, "-c",
                          "import sys\nsys.path[:] = ['.frozen']\nimport runner, apps.echo\n"
                          "print(' '.join(sorted(sys.modules)))"],
                         cwd=benchlib.ROOT, capture_output=True, text=True, timeout=30)
    return out.stdout.split()


if __name__ == "__main__":
    main()
