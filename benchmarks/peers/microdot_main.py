"""Run the microdot peer app, frozen or from precompiled .mpy.

    build/board/microdot/micropython -m microdot_main --port 5000 \
        [--iface 127.0.0.1] [--root firmware/www]
    micropython benchmarks/peers/microdot_main.py --lib build/bench/mpy --port 5000

Without --lib, microdot and microdot_app are the ones frozen into the
interpreter (tools/board/build.sh --microdot; the folders before '.frozen'
on sys.path are dropped, as firmware/main.py --frozen does).  --lib DIR
holds microdot/*.mpy and microdot_app.mpy (benchmarks/run.sh builds it),
as firmware/main.py --lib loads lws_mp and its apps.
--gc-threshold N sets gc.threshold(N) before the imports, the GC pacing
lws_mp's firmware/main.py does (microdot itself leaves the GC as it is).
"""

import sys


def main(argv):
    opts = {"iface": "127.0.0.1", "root": None}
    for i in range(0, len(argv) - 1, 2):
        opts[argv[i][2:]] = argv[i + 1]
    if opts.get("gc-threshold"):
        import gc

        gc.threshold(int(opts["gc-threshold"]))
    if opts.get("lib"):
        sys.path.insert(0, opts["lib"])
    elif ".frozen" in sys.path:
        while sys.path[0] != ".frozen":
            sys.path.pop(0)
    import microdot_app

    microdot_app.run(int(opts["port"]), opts["iface"], opts["root"])


if __name__ == "__main__":
    main(sys.argv[1:])
