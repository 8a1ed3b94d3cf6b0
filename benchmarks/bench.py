"""make bench: lws_mp against the plain loop (the interpreter's own limit)
and against a peer, on the 64-bit MicroPython, the board interpreter and
CPython; memory per message and per request; code size.

    .venv/bin/python benchmarks/bench.py [--only micropython,board,cpython]
        [--rows http,file,ws,mem,size] [--runs 3] [--seconds 2]

Prints one table and writes build/bench/results.json: one object per row
with its figures (each the median of --runs runs), the ratios and the
target.  A benchmark, not a test: nothing here passes or fails.
See benchmarks/README.md for what each row does.
"""

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time

import benchlib
import bench_size

ROOT = benchlib.ROOT
OUT = os.path.join(ROOT, "build", "bench")
WWW = os.path.join(OUT, "www")
WSLOAD = os.path.join(OUT, "wsload")
PY = os.path.join(ROOT, ".venv", "bin", "python")
HOST = "127.0.0.1"
BIG = 200 * 1024
WS_DEPTH = 16  # messages each load connection keeps in flight
BOARD_HEAP = "105k"  # boards/esp32_generic/board.py
PEER_HEAP = "256k"  # microdot's heap on a board row it cannot serve at BOARD_HEAP
BOARD_SIZES = {"fd_limit_per_thread": 10, "max_http_header_pool": 4,
               "max_http_header_data": 1024, "pt_serv_buf_size": 2048, "timeout_secs": 30}

FORM = b"hello=world&n=1"
STATIC = "/index.html"

# ------------------------------------------------------------ interpreters


def interpreters():
    """name -> how each server starts on it (a list of argv pieces)."""
    mp = benchlib.MICROPYTHON
    board = benchlib.BOARD_MICROPYTHON
    return {
        "micropython": {
            "label": "MicroPython 64-bit unix port, lws_mp and microdot from .mpy",
            "lws": [mp, "firmware/main.py", "--lib", benchlib.LWS_LIB],
            "plain": [mp, "benchmarks/plain_loop.py"],
            "microdot": [mp, "benchmarks/peers/microdot_main.py", "--lib",
                         benchlib.MICRODOT_LIB],
            "probe": [mp, "benchmarks/bench_probe.py"],
            "probe_args": ["--lib", benchlib.LWS_LIB],
            "buf": 4096,
            "lws_args": [],
            # lws' default rx buffer on a host (the app's 1 KB is a board's)
            "echo_args": ["--rx-buffer", "4096"],
        },
        "board": {
            "label": "board interpreter (32-bit, frozen) at the esp32_generic heap %s and sizes"
                     % BOARD_HEAP,
            "lws": [board, "-X", "heapsize=" + BOARD_HEAP, "firmware/main.py", "--frozen",
                    "--board", benchlib.BOARD],
            "plain": [board, "-X", "heapsize=" + BOARD_HEAP, "benchmarks/plain_loop.py"],
            "microdot": [benchlib.MICRODOT_MICROPYTHON, "-X", "heapsize=" + BOARD_HEAP,
                         "-m", "microdot_main"],
            "heap": BOARD_HEAP,
            "microdot_heap": lambda heap: [benchlib.MICRODOT_MICROPYTHON, "-X",
                                           "heapsize=" + heap, "-m", "microdot_main"],
            "probe": [board, "-X", "heapsize=" + BOARD_HEAP, "benchmarks/bench_probe.py"],
            "probe_args": ["--frozen"] + sum((["--" + k, str(v)] for k, v in
                                              BOARD_SIZES.items()), []),
            "buf": BOARD_SIZES["pt_serv_buf_size"],
            "lws_args": [],
            "echo_args": [],
        },
        "cpython": {
            "label": "CPython %s" % sys.version.split()[0],
            "lws": [PY, "firmware/main.py"],
            "plain": [PY, "benchmarks/plain_loop.py"],
            "microdot": [PY, "benchmarks/peers/microdot_main.py", "--lib",
                         os.path.join(OUT, "site")],
            "websockets": [PY, "benchmarks/peers/websockets_echo.py"],
            # a desktop's service buffer: asyncio, under websockets, reads up
            # to 256 KB at once (the loop reads with the same 64 KB)
            "buf": 65536,
            "lws_args": ["--serv-buf", "65536"],
            "echo_args": ["--rx-buffer", "4096"],
        },
    }


# ------------------------------------------------------------ servers


def proc(name, argv, cwd=None):
    """benchlib.Server running ``argv`` ("{port}" in it: its free port),
    started from ROOT, or from ``cwd`` (the board interpreter's from
    build/bench, a folder without sources, so that what it imports is what
    is frozen in it)."""

    def cmd(port, heap):
        a = [x.replace("{port}", str(port)) for x in argv]
        if cwd:
            a = [os.path.join(ROOT, x) if x.startswith(("firmware/", "benchmarks/")) else x
                 for x in a]
        return a

    return benchlib.Server(name, cmd, ready_timeout=20.0, cwd=cwd)


def start(name, argv, interp):
    cwd = OUT if interp == "board" else None
    p = proc(name, argv, cwd=cwd)
    if not p.ready:
        sys.stderr.write("%s did not start:\n%s\n" % (name, p.output()[-1500:]))
        p.stop()
        return None
    return p


def lws_argv(it, app, root=None):
    a = it["lws"] + ["--app", app, "--port", "{port}", "--iface", HOST] + it["lws_args"]
    if root:
        a += ["--root", root]
    return a


# ------------------------------------------------------------ raw HTTP


def fetch_raw(port, raw):
    """One request on a new connection: (head bytes, body bytes)."""
    s = socket.create_connection((HOST, port), timeout=10)
    s.sendall(raw)
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    head += b"\r\n\r\n"
    m = re.search(rb"(?i)content-length: *(\d+)", head)
    n = int(m.group(1)) if m else None
    while n is None or len(body) < n:
        d = s.recv(65536)
        if not d:
            break
        body += d
    s.close()
    return head, body


def request(path, close, post=False):
    if post:
        return (b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n%s\r\n%s" % (
                    path.encode(), len(FORM), b"Connection: close\r\n" if close else b"", FORM))
    return b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (
        path.encode(), b"Connection: close\r\n" if close else b"")


# ------------------------------------------------------------ wrk / wsload

_POST_LUA = os.path.join(OUT, "post.lua")


def wrk(port, path, conns, seconds, close=False, post=False):
    """requests/s (and bytes/s) with wrk -t1 -cN, or None if it failed."""
    argv = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds, "--timeout", "5s"]
    if close:
        argv += ["-H", "Connection: close"]
    if post:
        argv += ["-s", _POST_LUA]
    argv.append("http://%s:%d%s" % (HOST, port, path))
    r = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    m = re.search(r"Requests/sec:\s*([\d.]+)", r.stdout)
    t = re.search(r"Transfer/sec:\s*([\d.]+)(\w+)", r.stdout)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    if not m or bad:
        sys.stderr.write("wrk %s: %s\n" % (path, (r.stdout + r.stderr)[-400:]))
        return None
    scale = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
    bps = float(t.group(1)) * scale.get(t.group(2), 1) if t else 0.0
    return float(m.group(1)), bps


def wsload(port, path, conns, size, seconds):
    r = subprocess.run([WSLOAD, str(port), path, str(conns), str(size), str(seconds),
                        str(WS_DEPTH)], capture_output=True, text=True, timeout=seconds + 30)
    m = re.search(r"rate=([\d.]+)", r.stdout)
    if r.returncode or not m:
        sys.stderr.write("wsload %s: %s\n" % (path, (r.stdout + r.stderr)[-300:]))
        return None
    return float(m.group(1))


def median_of(runs, fn):
    vals = []
    for _ in range(runs):
        v = fn()
        if v is not None:
            vals.append(v)
    return statistics.median(vals) if vals else None


# ------------------------------------------------------------ rows

ROWS = []


def row(interp, group, name, unit, lws, limit=None, peer_name=None, peer=None,
        target=None, note=None, higher=True):
    """One row.  target: (kind, value): ("limit", 0.25) lws >= 25 % of the
    loop; ("peer", 3.0) lws >= 3x the peer; ("max", 64) lws <= 64."""
    r = {"interpreter": interp, "group": group, "row": name, "unit": unit, "lws_mp": lws,
         "limit": limit, "peer_name": peer_name, "peer": peer,
         "vs_limit": (lws / limit) if lws and limit else None,
         "vs_peer": (lws / peer) if lws and peer else None, "target": None, "met": None,
         "note": note}
    if target is not None:
        kind, value = target
        if kind == "limit":
            r["target"] = ">= %d %% of the loop" % round(value * 100)
            r["met"] = r["vs_limit"] is not None and r["vs_limit"] >= value
        elif kind == "peer":
            r["target"] = ">= %gx %s" % (value, peer_name)
            r["met"] = peer_met(r, value)
        elif kind == "max":
            r["target"] = "<= %d %s" % (value, unit)
            r["met"] = lws is not None and lws <= value
    ROWS.append(r)
    return r


def peer_met(r, value):
    """Whether lws_mp is ``value`` times the peer.  None (not judged) where
    the loop itself is not: lws_mp would have to beat the interpreter's own
    limit, and the row stands on its loop target.  ``ceiling`` (the loop
    over the peer) is kept on the row."""
    r["ceiling"] = r["limit"] / r["peer"] if r["limit"] and r["peer"] else None
    met = r["vs_peer"] is not None and r["vs_peer"] >= value
    # (MicroPython only: on CPython a peer may run C, websockets' masking,
    # which the loop, the same Python as lws_mp's, is not the limit of)
    if not met and r["ceiling"] is not None and r["ceiling"] < value and \
            r["interpreter"] != "cpython":
        r["beyond_limit"] = "the loop itself is %.2fx %s" % (r["ceiling"], r["peer_name"])
        return None
    return met


def prepare():
    os.makedirs(WWW, exist_ok=True)
    with open(benchlib.STATIC_FILE, "rb") as f:
        static = f.read()
    with open(os.path.join(WWW, "index.html"), "wb") as f:
        f.write(static)
    big = os.path.join(WWW, "big.bin")
    if not os.path.exists(big) or os.path.getsize(big) != BIG:
        with open(big, "wb") as f:
            f.write(bytes((i * 7 + (i >> 8)) & 0xFF for i in range(BIG)))
    with open(_POST_LUA, "w") as f:
        f.write('wrk.method = "POST"\nwrk.body = "%s"\n'
                'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
                % FORM.decode())


def plain_for(it, name, mode, port_of, raw_ka, raw_close, path=None):
    """A plain loop answering with exactly what lws_mp answered."""
    files = []
    for tag, raw in (("ka", raw_ka), ("close", raw_close)):
        head, body = fetch_raw(port_of, raw)
        fn = os.path.join(OUT, "plain-%s-%s-%s.bin" % (name, mode, tag))
        with open(fn, "wb") as f:
            f.write(head if mode == "file" else head + body)
        files.append(fn)
    argv = it["plain"] + [mode, "--port", "{port}", "--buf", str(it["buf"])]
    if mode == "file":
        argv += ["--head", files[0], "--close-head", files[1], "--file", path]
    else:
        argv += ["--response", files[0], "--close-response", files[1]]
    return argv


def bench_http(interp, it, runs, secs, want):
    """Small responses (a static file and a callback-made one), keep-alive
    and a new connection per request at 1 and 8 connections; the 200 KB
    file."""
    peer_name = "microdot"
    servers = []
    try:
        fs = start(interp + "-lws-fileserver", lws_argv(it, "fileserver", WWW), interp)
        ts = start(interp + "-lws-test_server", lws_argv(it, "test_server"), interp)
        md = start(interp + "-microdot", it["microdot"] + [
            "--port", "{port}", "--iface", HOST, "--root", WWW], interp)
        servers += [s for s in (fs, ts, md) if s]
        if fs is None or ts is None:
            return
        big_path = os.path.join(WWW, "big.bin")
        cases = []
        if "http" in want:
            pf = start(interp + "-plain-file", plain_for(
                it, interp, "file", fs.port, request(STATIC, False), request(STATIC, True),
                os.path.join(WWW, "index.html")), interp)
            pc = start(interp + "-plain-cb", plain_for(
                it, interp, "http", ts.port, request("/formtest", False, True),
                request("/formtest", True, True)), interp)
            servers += [s for s in (pf, pc) if s]
            cases += [("static %d B file" % os.path.getsize(os.path.join(WWW, "index.html")),
                       fs, pf, STATIC, False),
                      ("callback POST /formtest", ts, pc, "/formtest", True)]
        for label, lws, plain, path, post in cases:
            for close in (False, True):
                for conns in (1, 8):
                    name = "%s, %s, %d conn" % (label, "new connection per request" if close
                                                 else "keep-alive", conns)
                    got = {"lws": [], "plain": [], "peer": []}
                    for _ in range(runs):
                        for key, srv in (("lws", lws), ("plain", plain), ("peer", md)):
                            if srv is None or (key == "peer" and not close):
                                continue
                            v = wrk(srv.port, path, conns, secs, close, post)
                            if v is not None:
                                got[key].append(v[0])
                    med = {k: statistics.median(v) if v else None for k, v in got.items()}
                    note = None
                    if not close:
                        note = ("microdot %s answers HTTP/1.0 and closes every connection: "
                                "no keep-alive row for it" % benchlib.MICRODOT_VERSION)
                    mp = interp != "cpython"
                    r = row(interp, "http", name, "req/s", med["lws"], med["plain"],
                            peer_name, med["peer"],
                            ("limit", 0.5 if close else 0.25) if mp else None, note)
                    if close and mp:
                        # the second target of this row: 3x microdot
                        r["target2"] = ">= 3x microdot"
                        r["met2"] = peer_met(r, 3.0)
                    print_row(r)
        if "file" in want:
            pb = start(interp + "-plain-big", plain_for(
                it, interp + "big", "file", fs.port, request("/big.bin", False),
                request("/big.bin", True), big_path), interp)
            servers.append(pb) if pb else None
            got = {"lws": [], "plain": []}
            for _ in range(runs):
                for key, srv in (("lws", fs), ("plain", pb)):
                    if srv is None:
                        continue
                    v = wrk(srv.port, "/big.bin", 1, secs)
                    if v is not None:
                        got[key].append(v[0] * BIG / 1e6)
            med = {k: statistics.median(v) if v else None for k, v in got.items()}
            print_row(row(interp, "file", "200 KB file, keep-alive, 1 conn", "MB/s", med["lws"],
                          med["plain"], None, None,
                          ("limit", 0.8) if interp != "cpython" else None))
    finally:
        for s in servers:
            s.stop()


def bench_ws(interp, it, runs, secs):
    servers = []
    try:
        lws = start(interp + "-lws-echo", lws_argv(it, "echo") + it["echo_args"], interp)
        plain = start(interp + "-plain-ws", it["plain"] + ["ws", "--port", "{port}", "--buf",
                                                           str(it["buf"])], interp)
        md = start(interp + "-microdot-ws", it["microdot"] + [
            "--port", "{port}", "--iface", HOST, "--root", WWW], interp)
        wsl = wsp = md_big = None
        if "websockets" in it:
            wsl = start(interp + "-websockets", it["websockets"] + ["--port", "{port}"], interp)
            wsp = start(interp + "-websockets-pymask", it["websockets"] + [
                "--port", "{port}", "--python-mask"], interp)
        servers += [s for s in (lws, plain, md, wsl, wsp) if s]
        if lws is None:
            return
        mp = interp != "cpython"
        for size in (16, 4096):
            for conns in (1, 8):
                got = {"lws": [], "plain": [], "md": [], "wsl": [], "wsp": []}
                for _ in range(runs):
                    for key, srv, path in (("lws", lws, "/"), ("plain", plain, "/"),
                                           ("md", md, "/echo"), ("wsl", wsl, "/"),
                                           ("wsp", wsp, "/")):
                        if srv is None:
                            continue
                        v = wsload(srv.port, path, conns, size, secs)
                        if v is not None:
                            got[key].append(v)
                med = {k: statistics.median(v) if v else None for k, v in got.items()}
                name = "WebSocket echo %d B, %d conn" % (size, conns)
                note = None
                peer_name = "microdot"
                if md is not None and med["md"] is None:
                    note = "microdot failed every run: %s" % _last_error(md)
                    if "heap" in it and md_big is None:
                        # a figure for the ratio all the same: the peer with
                        # more heap than the board has (started once; False
                        # if it cannot start)
                        md_big = _microdot_at(interp, it, PEER_HEAP) or False
                        servers += [md_big] if md_big else []
                    if md_big:
                        med["md"] = median_of(runs, lambda p=md_big.port, c=conns, z=size:
                                              wsload(p, "/echo", c, z, secs))
                        peer_name = "microdot at %s" % PEER_HEAP
                        note = "microdot fails at the board's %s (%s); the peer figure is " \
                            "microdot's at -X heapsize=%s" % (
                                it["heap"], _last_error(md) or "no echo", PEER_HEAP)
                if mp:
                    r = row(interp, "ws", name, "msg/s", med["lws"], med["plain"], peer_name,
                            med["md"], ("peer", 3.0), note)
                else:
                    r = row(interp, "ws", name, "msg/s", med["lws"], med["plain"], "websockets",
                            med["wsl"], ("peer", 1.0), note)
                    r["microdot"] = med["md"]
                    r["vs_microdot"] = med["lws"] / med["md"] if med["lws"] and med["md"] else None
                    # beside the target: the library masking in Python, as lws_mp does
                    r["websockets_python_mask"] = med["wsp"]
                    if med["lws"] and med["wsp"]:
                        r["note"] = "; ".join(x for x in (note, (
                            "websockets masking in Python (no websockets.speedups): "
                            "%.0f msg/s, lws_mp %.2fx" % (med["wsp"], med["lws"] / med["wsp"])))
                            if x)
                print_row(r)
    finally:
        for s in servers:
            s.stop()


def _microdot_at(interp, it, heap):
    """microdot's WebSocket server on the board interpreter at ``heap``, or
    None if it did not start."""
    return start("%s-microdot-ws-%s" % (interp, heap), it["microdot_heap"](heap) + [
        "--port", "{port}", "--iface", HOST, "--root", WWW], interp)


def client_ceiling(runs, secs):
    """The load client against a C echo server: what it can drive at most."""
    p = proc("wsload-echo", [WSLOAD, "--serve", "{port}"])
    port = p.port
    try:
        for size in (16, 4096):
            for conns in (1, 8):
                v = median_of(runs, lambda c=conns, s=size: wsload(port, "/", c, s, secs))
                r = row("client", "ws", "wsload ceiling %d B, %d conn (C echo server)"
                        % (size, conns), "msg/s", v)
                print_row(r)
    finally:
        p.stop()


def bench_mem(interp, it):
    """Bytes allocated per echoed 16 B message and per keep-alive request,
    heap per idle WebSocket connection: measured inside the server."""
    cases = [("echo", "ws16", "allocated per echoed 16 B message", 64),
             ("test_server", "formtest", "allocated per keep-alive request (callback POST)", 256),
             ("fileserver", "static", "allocated per keep-alive request (static file)", 256)]
    for app, kind, label, limit in cases:
        argv = it["probe"] + [app, "--port", "{port}", "--warm", "50", "--count", "400"] + \
            it["probe_args"] + (["--root", WWW] if app == "fileserver" else [])
        p = start("%s-probe-%s" % (interp, kind), argv, interp)
        if p is None:
            continue
        try:
            _probe(interp, p, kind, label, limit)
        except (OSError, EOFError, RuntimeError, benchlib.WsError) as e:
            print_row(row(interp, "mem", "bytes " + label, "B", None, target=("max", limit),
                          note="probe failed: %r; %s" % (e, _last_error(p))))
        finally:
            p.stop()
    try:
        _idle_heap(interp, it)
    except (OSError, EOFError, RuntimeError, IndexError, benchlib.WsError) as e:
        print_row(row(interp, "mem", "heap per idle WebSocket connection (6 open)", "B", None,
                      note="probe failed: %r" % (e,)))


def _last_error(p):
    lines = [x for x in p.output().splitlines() if "Error" in x]
    return lines[-1].strip() if lines else ""


def _probe(interp, p, kind, label, limit):
    if kind == "ws16":
        ws = benchlib.WsClient(p.port, "/")
        for i in range(460):
            ws.echo(b"%016d" % i)
        ws.close()
    else:
        c = benchlib.HttpClient(p.port)
        for _ in range(460):
            if kind == "static":
                st, _ = c.request(request(STATIC, False))
            else:
                st, _ = c.request(request("/formtest", False, True))
            if st != 200:
                raise RuntimeError("probe answered %d" % st)
        c.close()
    time.sleep(0.3)
    m = re.search(r"ALLOC (\d+) (\d+)", p.output())
    v = int(m.group(1)) / int(m.group(2)) if m else None
    f = re.search(r"FLOOR (\d+)", p.output())
    r = row(interp, "mem", "bytes " + label, "B", v, target=("max", limit))
    if f is not None and v is not None:
        # The platform's own file calls (measured alone) are what any
        # server that looks at the file for each request pays; on the
        # static row they are over the target by themselves.  The target
        # is on what lws_mp allocates beside them.
        r["platform"] = int(f.group(1))
        r["own"] = v - r["platform"]
        r["target"] = "<= %d B besides the platform's" % limit
        r["met"] = r["own"] <= limit
        r["note"] = "of which %d B are the platform's own file calls (%s), measured alone: " \
            "%.0f B are lws_mp's" % (r["platform"], "stat, open, close" if kind == "static"
                                     else "the stat of a file that is not there", r["own"])
    print_row(r)


def _idle_heap(interp, it):
    """Heap per idle WebSocket connection."""
    argv = it["probe"] + ["echo", "--port", "{port}"] + it["probe_args"]
    p = start(interp + "-probe-idle", argv, interp)
    if p is None:
        return
    try:
        warm = benchlib.WsClient(p.port, "/")
        warm.echo(b"x" * 16)
        warm.close()
        n = 6  # the board's fd table (10) holds them, the listen socket, the waker and the query

        def heap():
            benchlib.HttpClient(p.port).request(request("/__heap", True))
            time.sleep(0.2)
            return [int(x) for x in re.findall(r"HEAP (\d+)", p.output())][-1]

        base = heap()
        conns = [benchlib.WsClient(p.port, "/") for _ in range(n)]
        for c in conns:
            c.echo(b"y" * 16)
        after = heap()
        for c in conns:
            c.close()
        print_row(row(interp, "mem", "heap per idle WebSocket connection (6 open)", "B",
                      (after - base) / n))
    finally:
        p.stop()


def bench_code_size():
    for r in bench_size.rows():
        x = row("mpy-cross", "size", r["part"], "B", r["xtensawin"], note=r["note"],
                peer_name="armv6m", peer=r["armv6m"])
        x["vs_peer"] = None  # a second architecture, not a peer
        print_row(x)


# ------------------------------------------------------------ output


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float) and v < 100 and unit != "req/s":
        return "%.1f" % v
    return "%.0f" % v


def verdict(r, key):
    if r[key] is None:
        return "beyond the limit: " + r["beyond_limit"] if r.get("beyond_limit") else ""
    return "met" if r[key] else "MISSED"


def print_row(r):
    met = verdict(r, "met")
    if r.get("target2"):
        met += " / " + verdict(r, "met2")
    vs_l = "%.0f %%" % (100 * r["vs_limit"]) if r["vs_limit"] else "-"
    vs_p = "%.2fx" % r["vs_peer"] if r["vs_peer"] else "-"
    print("%-11s %-62s %10s %10s %7s %10s %8s  %s %s" % (
        r["interpreter"], r["row"][:62], fmt(r["lws_mp"], r["unit"]),
        fmt(r["limit"], r["unit"]), vs_l,
        fmt(r["peer"], r["unit"]), vs_p, r["target"] or (r.get("target2") or ""), met))
    if r.get("platform") is not None or r.get("websockets_python_mask"):
        print("%-11s   %s" % ("", r["note"]))
    sys.stdout.flush()


def main(argv):
    only = ["micropython", "board", "cpython"]
    want = ["http", "file", "ws", "mem", "size"]
    runs, secs = 3, 2
    for i in range(0, len(argv) - 1, 2):
        if argv[i] == "--only":
            only = argv[i + 1].split(",")
        elif argv[i] == "--rows":
            want = argv[i + 1].split(",")
        elif argv[i] == "--runs":
            runs = int(argv[i + 1])
        elif argv[i] == "--seconds":
            secs = int(argv[i + 1])
    prepare()
    started = time.time()
    print("%-11s %-62s %10s %10s %7s %10s %8s  %s" % (
        "interpreter", "row", "lws_mp", "loop", "vs loop", "peer", "vs peer", "target"))
    its = interpreters()
    if "ws" in want:
        client_ceiling(runs, secs)
    for name in only:
        it = its[name]
        print("-- %s: %s" % (name, it["label"]))
        if "http" in want or "file" in want:
            bench_http(name, it, runs, secs, want)
        if "ws" in want:
            bench_ws(name, it, runs, secs)
        if "mem" in want and name != "cpython":
            bench_mem(name, it)
    if "size" in want:
        print("-- code size: .mpy bytes, xtensawin (lws_mp column) and armv6m (peer column)")
        bench_code_size()
    out = {"started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
           "seconds": round(time.time() - started), "runs": runs, "run_seconds": secs,
           "cpus": os.cpu_count(), "load_average": os.getloadavg(),
           "interpreters": {k: its[k]["label"] for k in only}, "rows": ROWS}
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("%d rows in build/bench/results.json; %d runs of %d s each, medians; %.0f s; "
          "load average %.1f" % (len(ROWS), runs, secs, time.time() - started,
                                 os.getloadavg()[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
