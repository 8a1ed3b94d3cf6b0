"""Run the microdot peer app from precompiled .mpy.

    micropython benchmarks/peers/microdot_main.py --lib build/bench/mpy \
        --port 5000 [--iface 127.0.0.1] [--root firmware/www]

--lib DIR holds microdot/*.mpy and microdot_app.mpy (benchmarks/run.sh
builds it), as firmware/main.py --lib loads lws_mp and its apps.
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
    sys.path.insert(0, opts["lib"])
    import microdot_app

    microdot_app.run(int(opts["port"]), opts["iface"], opts["root"])


if __name__ == "__main__":
    main(sys.argv[1:])
