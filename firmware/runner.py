"""Run one firmware app: build its context, service it, call its timers.

The same loop runs on a board (from main.py) and on a host under the
MicroPython unix port or CPython.
"""

import sys

from lws_mp import (
    LLL_ERR,
    LLL_NOTICE,
    LLL_WARN,
    lws_context_destroy,
    lws_create_context,
    lws_service,
    lws_set_log_level,
    lwsl_notice,
)
from lws_mp.plat._port import heap_used, ticks_diff, ticks_ms


def serve(app, port=8080, iface=None, root=None, max_ms=0, **opts):
    """Create the app's context and service it until interrupted.

    ``app`` is a module with make_info(port, iface, root, **opts) and,
    optionally, TICK_MS and tick(ctx).  ``max_ms`` > 0 stops after that long.
    """
    lws_set_log_level(LLL_ERR | LLL_WARN | LLL_NOTICE)
    info = app.make_info(port, iface, root, **opts)
    ctx = lws_create_context(info)
    if ctx is None:
        print("could not create the context (the log above says why)")
        sys.exit(1)
    tick_ms = getattr(app, "TICK_MS", 0)
    tick = getattr(app, "tick", None)
    start = last = ticks_ms()
    lwsl_notice("%s serving on http://%s:%d/", app.__name__, iface or "0.0.0.0", ctx.port)
    used = heap_used()
    if used >= 0:
        # the code, the context's tables and the app's own buffers: what a
        # heap must hold before the first connection
        lwsl_notice("heap in use: %d bytes", used)
    try:
        while True:
            lws_service(ctx, tick_ms or 1000)
            now = ticks_ms()
            if tick is not None and ticks_diff(now, last) >= tick_ms:
                last = now
                tick(ctx)
            if max_ms and ticks_diff(now, start) >= max_ms:
                break
    except KeyboardInterrupt:
        pass
    lws_context_destroy(ctx)
