"""MicroPython side of bench_heap (a): heap taken by importing modules.

    micropython benchmarks/heap_probe.py LIBDIR MODULE [MODULE ...]
    micropython benchmarks/heap_probe.py LIBDIR --listen lws APP [MODULE ...]
    micropython benchmarks/heap_probe.py LIBDIR --listen microdot

Prints "imported BYTES": gc.mem_alloc() after a collection, less the figure
before the imports (LIBDIR, the .mpy directory, goes first on sys.path).
With --listen it then also starts the server on a free loopback port as the
runner does (lws_mp: lws_create_context of the app's creation info;
microdot: start_server on asyncio), collects, prints "listening BYTES"
(from the same start) and stops.
"""

import gc
import sys


def lws_listen(app_name):
    from lws_mp import lws_context_destroy, lws_create_context, lws_service

    app = sys.modules["apps." + app_name]
    ctx = lws_create_context(app.make_info(0, "127.0.0.1", "firmware/www"))
    lws_service(ctx, 0)
    gc.collect()
    used = gc.mem_alloc()
    lws_context_destroy(ctx)
    return used


def microdot_listen():
    import asyncio

    app = sys.modules["microdot_app"].app
    got = []

    async def main():
        task = asyncio.create_task(app.start_server(host="127.0.0.1", port=0))
        await asyncio.sleep_ms(100)
        gc.collect()
        got.append(gc.mem_alloc())
        app.shutdown()
        await task

    asyncio.run(main())
    return got[0]


def main(argv):
    lib = argv[0]
    listen = None
    names = argv[1:]
    if names and names[0] == "--listen":
        listen = names[1]
        if listen == "lws":
            names = ["runner", "apps." + names[2]] + names[3:]
        else:
            names = ["microdot_app"] + names[2:]
    sys.path.insert(0, lib)
    gc.collect()
    before = gc.mem_alloc()
    for name in names:
        __import__(name)
    gc.collect()
    print("imported", gc.mem_alloc() - before)
    if listen == "lws":
        print("listening", lws_listen(names[1][5:]) - before)
    elif listen == "microdot":
        print("listening", microdot_listen() - before)


main(sys.argv[1:])
