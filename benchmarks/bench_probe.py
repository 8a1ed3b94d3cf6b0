"""Memory figures measured inside a serving lws_mp (MicroPython only).

    micropython benchmarks/bench_probe.py APP --port P [--lib DIR | --frozen]
                [--root DIR] [--warm W] [--count N] [--pt_serv_buf_size N ...]

Runs the firmware app APP (echo, test_server, fileserver) with lws_service
as firmware/runner.py does, its protocols' callbacks wrapped to count:

- allocation: after W events (warm-up) the collector is switched off and
  ``gc.mem_alloc()`` noted at each event; over the N events that follow the
  growth from one event to the next is summed (the collector runs, off the
  count, every 20 events, so that a board's heap holds it) and the line
  ``ALLOC <bytes> <events>`` is printed.
  An event is an echoed message (RECEIVE, echo app) or a request
  (FILTER_HTTP_CONNECTION, the HTTP apps): the difference over N is what
  one message or one request allocates, the service loop's own passes
  included.
- the platform's part: for the HTTP apps, what the file calls one request
  makes cost alone, measured the same way before serving (``FLOOR
  <bytes>``): a stat of the file (fileserver: then an open and a close of
  it; test_server: ``/formtest``, which no file answers, so the stat
  raises).  lws_mp cannot make them cost less: it is the interpreter's
  stat tuple (its times are big ints) and file object, or its OSError.
- heap: ``GET /__heap`` is answered (by the wrapper, before the app sees
  it) with ``gc.mem_alloc()`` after ``gc.collect()``: the bench reads it
  before and after opening idle WebSocket connections.
"""

import gc
import sys


def floor(path, opens):
    """Bytes one request's platform file calls allocate, alone."""
    import os

    def once():
        try:
            os.stat(path)
        except OSError:
            return
        if opens:
            open(path, "rb").close()

    once()
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    for _ in range(20):
        once()
    b = gc.mem_alloc()
    gc.enable()
    return (b - a) // 20


def main(argv):
    opts = {"warm": "50", "count": "500", "root": None}
    app_name = argv[0]
    i = 1
    while i < len(argv):
        k = argv[i][2:]
        if k == "frozen":
            opts[k] = True
            i += 1
            continue
        opts[k] = argv[i + 1]
        i += 2
    here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
    if opts.get("frozen"):
        while sys.path[0] != ".frozen":
            sys.path.pop(0)
    else:
        sys.path.insert(0, here + "/../firmware")
        sys.path.insert(0, here + "/..")
    if opts.get("lib"):
        sys.path.insert(0, opts["lib"])
    from lws_mp.plat._port import gc_pace

    gc_pace()
    from lws_mp import (
        LWS_CALLBACK_FILTER_HTTP_CONNECTION,
        LWS_CALLBACK_RECEIVE,
        lws_create_context,
        lws_service,
    )
    from lws_mp.core.log import lws_set_log_level

    lws_set_log_level(1, None)
    app = __import__("apps." + app_name, None, None, ["x"])
    extra = {}
    for k in ("fd_limit_per_thread", "max_http_header_pool", "max_http_header_data",
              "pt_serv_buf_size", "timeout_secs"):
        if k in opts:
            extra[k] = int(opts[k])
    root = opts["root"] or (here + "/../firmware/www")
    info = app.make_info(int(opts["port"]), "127.0.0.1", root, **extra)
    warm = int(opts["warm"])
    count = int(opts["count"])
    batch = 20  # events per stretch with the collector off (a board's heap is small)
    state = [0, 0, 0]  # events seen, mem_alloc at the stretch's start, bytes so far

    def counted():
        n = state[0] + 1
        state[0] = n
        if n < warm or n > warm + count:
            return
        if n > warm:
            state[2] += gc.mem_alloc() - state[1]
        if n == warm + count:
            gc.enable()
            print("ALLOC %d %d" % (state[2], count))
            return
        if (n - warm) % batch == 0:
            gc.enable()
            gc.collect()
            gc.disable()
        elif n == warm:
            gc.collect()
            gc.disable()
        state[1] = gc.mem_alloc()

    def wrap(cb):
        def wrapped(wsi, reason, user, in_, len_):
            if reason == LWS_CALLBACK_RECEIVE:
                counted()
            elif reason == LWS_CALLBACK_FILTER_HTTP_CONNECTION:
                if in_ == "/__heap":
                    gc.collect()
                    print("HEAP %d" % gc.mem_alloc())
                    return 0
                counted()
            return cb(wsi, reason, user, in_, len_)

        return wrapped

    for p in info.protocols:
        if p is not None and p.callback is not None:
            p.callback = wrap(p.callback)
    if app_name in ("fileserver", "test_server"):
        fs = app_name == "fileserver"
        print("FLOOR %d" % floor(root + ("/index.html" if fs else "/formtest"), fs))
    ctx = lws_create_context(info)
    print("probe: %s on port %d" % (app_name, ctx.port))
    while True:
        lws_service(ctx, 1000)


main(sys.argv[1:])
