#!/usr/bin/env python3
"""What one TLS connection costs in heap on the board interpreter: the
figures docs/TLS.md and boards/README.md quote.

    .venv/bin/python tools/tls/heap_cost.py [--interp build/board/esp32_generic/micropython]
    .venv/bin/python tools/tls/heap_cost.py --64     (the 64-bit MicroPython: see below)

Builds tools/tls/malloc_count.c (gcc -m32) into build/tls/, starts the
outside peers here (a TLS server that completes handshakes and holds the
connections, and a plain TCP one), then runs tools/tls/heap_probe.py on the
32-bit board interpreter with the counter preloaded.  Two heaps are read:
MicroPython's GC heap (gc.mem_alloc), and the C heap, where Debian's
mbedTLS (which the board interpreter links) allocates its record buffers
and handshake state.  Writes build/tls/heap.json.

--64 runs the probe on the 64-bit PyPI MicroPython instead, whose mbedTLS
is MicroPython's own build (16 KB in / 4 KB out records, as the boards'
ports configure it), a module inside a CPython process: its C heap figures
include whatever CPython allocates meanwhile (build/tls/heap-64.json).
"""

import json
import os
import socket
import ssl
import subprocess
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "build", "tls")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def holder(port, sslctx):
    """Accept, complete the handshake, keep the socket open."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    held = []

    def run():
        while True:
            s, _ = ls.accept()
            try:
                held.append(sslctx.wrap_socket(s, server_side=True) if sslctx else s)
            except (OSError, ssl.SSLError):
                s.close()
    threading.Thread(target=run, daemon=True).start()


def main():
    interp = os.path.join(ROOT, "build", "board", "esp32_generic", "micropython")
    if "--interp" in sys.argv:
        interp = sys.argv[sys.argv.index("--interp") + 1]
    if not os.path.exists(interp):
        sys.exit("no board interpreter at %s (make board-interpreter)" % interp)
    subprocess.run([os.path.join(ROOT, "tools", "tls", "make_certs.sh"), OUT], check=True)
    so = os.path.join(OUT, "malloc_count.so")
    sixty_four = "--64" in sys.argv
    if sixty_four:
        interp = os.path.join(ROOT, ".venv", "bin", "micropython")
        so = os.path.join(OUT, "malloc_count64.so")
    subprocess.run(["gcc"] + ([] if sixty_four else ["-m32"]) + [
        "-O2", "-shared", "-fPIC", "-o", so,
        os.path.join(ROOT, "tools", "tls", "malloc_count.c")], check=True)
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(os.path.join(OUT, "server.pem"), os.path.join(OUT, "server.key"))
    tls_port, tcp_port = free_port(), free_port()
    holder(tls_port, c)
    holder(tcp_port, None)
    env = dict(os.environ, LD_PRELOAD=so)
    r = subprocess.run([interp, "-X", "heapsize=1024k",
                        os.path.join(ROOT, "tools", "tls", "heap_probe.py"), ROOT,
                        str(tls_port), str(tcp_port), str(free_port()), str(free_port()), "5"],
                       env=env, capture_output=True, text=True, timeout=300)
    if r.returncode or "done" not in r.stdout:
        sys.exit("probe failed:\n" + r.stdout + r.stderr)
    rows = {}
    for line in r.stdout.splitlines():
        w = line.split()
        if w[0] == "interpreter":
            rows["interpreter"] = " ".join(w[1:])
        elif len(w) >= 4 and w[0] != "done":
            rows[w[0]] = {"gc": int(w[1]), "c": int(w[2]), "c_peak": int(w[3]),
                          "first_gc": int(w[5]), "first_c": int(w[6])}
    server = {k: rows["server_pair_tls"][k] - rows["client_tls"][k] for k in ("gc", "c")}
    server_tcp = {k: rows["server_pair_tcp"][k] - rows["client_tcp"][k] for k in ("gc", "c")}
    rows["server_tls"] = server
    rows["server_tcp"] = server_tcp
    rows["tls_extra"] = {
        "server_gc": server["gc"] - server_tcp["gc"], "server_c": server["c"] - server_tcp["c"],
        "client_gc": rows["client_tls"]["gc"] - rows["client_tcp"]["gc"],
        "client_c": rows["client_tls"]["c"] - rows["client_tcp"]["c"],
        "handshake_c_peak": rows["server_pair_tls"]["c_peak"],
    }
    with open(os.path.join(OUT, "heap-64.json" if sixty_four else "heap.json"), "w") as f:
        json.dump(rows, f, indent=1)
    print(r.stdout)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
