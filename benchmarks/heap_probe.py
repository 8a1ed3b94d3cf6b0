"""MicroPython side of bench_heap: what the heap holds, on a board interpreter.

Run on a board interpreter (build/board/NAME/micropython: lws_mp and the
firmware frozen in; build/board/microdot/micropython: microdot and its peer
app frozen in).  The frozen modules come first on sys.path, never sources.

    heap_probe.py import MODULE [MODULE ...]
    heap_probe.py listen lws APP [BOARD] [MODULE ...]
    heap_probe.py listen microdot
    heap_probe.py serve lws APP PORT [BOARD]
    heap_probe.py serve microdot PORT

``import`` prints "imported BYTES": gc.mem_alloc() after a collection, less
the figure before the imports.  ``listen`` imports the server's modules
(lws_mp: firmware/runner.py and apps.APP, then the MODULEs; microdot:
microdot_app), prints "imported", starts the server on a free loopback port
as the firmware does (lws_mp: lws_create_context of the app's creation info
with BOARD's sizes; microdot: start_server on asyncio), prints
"listening BYTES" from the same start and stops.  ``serve`` starts it on
PORT and keeps serving, printing "heap BYTES" (a collection, then
gc.mem_alloc(), less the figure before the imports) every SAMPLE_MS, and
"modules NAME ..." whenever more modules are loaded, until killed:
bench_heap reads what the connections it makes cost.
"""

import gc
import sys

SAMPLE_MS = 100

# the frozen modules first: the unix port puts the script's folder before
# '.frozen'
while sys.path and sys.path[0] != ".frozen":
    sys.path.pop(0)


def board_sizes(board):
    if not board:
        return {}
    return __import__("boards." + board + ".board", None, None, ["BOARD"]).BOARD["lws"]


def lws_context(app_name, port, board):
    from lws_mp import lws_create_context

    app = sys.modules["apps." + app_name]
    return lws_create_context(app.make_info(port, "127.0.0.1", None, **board_sizes(board)))


def lws_listen(app_name, board):
    from lws_mp import lws_context_destroy, lws_service

    ctx = lws_context(app_name, 0, board)
    lws_service(ctx, 0)
    gc.collect()
    used = gc.mem_alloc()
    lws_context_destroy(ctx)
    return used


def lws_serve(app_name, port, board, before):
    import time

    from lws_mp import lws_service

    ctx = lws_context(app_name, port, board)
    last = time.ticks_ms()
    while True:
        lws_service(ctx, SAMPLE_MS // 2)
        now = time.ticks_ms()
        if time.ticks_diff(now, last) >= SAMPLE_MS:
            last = now
            sample(before)


_loaded = [0]


def sample(before):
    # "modules ..." when the first requests loaded more (bench_heap wants
    # to know which), then the heap figure
    if len(sys.modules) != _loaded[0]:
        _loaded[0] = len(sys.modules)
        print("modules", " ".join(sorted(sys.modules)))
    gc.collect()
    print("heap", gc.mem_alloc() - before)


def microdot_run(fn, port):
    import asyncio

    app = sys.modules["microdot_app"].app

    async def main():
        task = asyncio.create_task(app.start_server(host="127.0.0.1", port=port))
        await asyncio.sleep_ms(100)
        await fn()
        app.shutdown()
        await task

    asyncio.run(main())


def microdot_listen():
    got = []

    async def sample():
        gc.collect()
        got.append(gc.mem_alloc())

    microdot_run(sample, 0)
    return got[0]


def microdot_serve(port, before):
    import asyncio

    async def samples():
        while True:
            sample(before)
            await asyncio.sleep_ms(SAMPLE_MS)

    microdot_run(samples, port)


def main(argv):
    mode, args = argv[0], argv[1:]
    peer = app = board = None
    port = 0
    if mode == "import":
        names = args
    else:
        peer = args[0]
        if peer == "lws":
            app = args[1]
            rest = args[2:]
            if mode == "serve":
                port, rest = int(rest[0]), rest[1:]
            board = rest[0] if rest and rest[0] != "-" else None
            names = ["runner", "apps." + app] + rest[1:]
            board_sizes(board)  # configuration, not code: before the count
        else:
            names = ["microdot_app"]
            if mode == "serve":
                port = int(args[1])
    gc.collect()
    before = gc.mem_alloc()
    for name in names:
        __import__(name)
    gc.collect()
    print("imported", gc.mem_alloc() - before)
    if mode == "listen":
        used = lws_listen(app, board) if peer == "lws" else microdot_listen()
        print("listening", used - before)
    elif mode == "serve":
        if peer == "lws":
            lws_serve(app, port, board, before)
        else:
            microdot_serve(port, before)


main(sys.argv[1:])
