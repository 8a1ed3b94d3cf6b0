# A firmware app with test hooks, for host_tests/test_robust_*.py only (never
# frozen, never deployed).  Run it as firmware/main.py is run in board mode:
#
#   build/board/esp32_generic/micropython -X heapsize=105k \
#       host_tests/apps/robust_server.py --app test_server --board esp32_generic \
#       --port N --iface 127.0.0.1 --flash IMAGE [main.py options]
#
# It is main.py --frozen exactly (the frozen main, runner, app and lws_mp;
# --frozen is added here), with the app's make_info wrapped so that each
# protocol callback passes through the hooks below first.  What they add:
#
# - GET /__robust        one JSON line of the server's own view: fd table use,
#                        header tables free / in the pool / waiting, the
#                        heap in use after gc.collect() (gc.mem_alloc(), -1 on
#                        CPython), the context's stats_* counters, whether a
#                        filler is held and the close callbacks the last victim
#                        got.  Answered from the HTTP callback, so the asking
#                        connection holds one slot and one header table of
#                        what it reports.
# - GET /__robust/seq    "seq=N": a counter, one per request, in the order the
#                        server served them.
# - GET /__robust/arm/POINT/LEAVE
#                        arm one allocation failure: at POINT the heap is
#                        filled (bytearrays, down to 16-byte pieces) but for
#                        one hole of LEAVE bytes, so that allocations bigger
#                        than that fail as on a board whose heap ran out.
#                        POINT is accept (filled in the next connection's
#                        FILTER_NETWORK_CONNECTION, before its wsi is made),
#                        headers (filled when the next connection is adopted,
#                        before its request head is read), frame (filled at
#                        the next WebSocket's ESTABLISHED, before its first
#                        frame) or none.  The filler goes when the victim's
#                        close callbacks begin (at the next tick for accept,
#                        which makes no wsi; after HOLD_MS if nothing failed),
#                        with a "robust: filler released (why)" line.
# - GET /__robust/callback/LEAVE
#                        fill the heap, then allocate 4 KB in this callback.
# - GET /__robust/write/LEAVE
#                        shrink this socket's send buffer, fill the heap, then
#                        lws_write 16 KB pieces of a body until one is not
#                        taken whole (the client reads nothing): what is left
#                        must be stored, and that allocation fails.
# - --sndbuf N (taken out before main.py sees the options): every accepted
#   socket's SO_SNDBUF set to N (Linux doubles it), so that the host kernel
#   holds as little unsent data as a board's TCP stack does (lwIP's
#   TCP_SND_BUF, 5744 bytes by default on the ESP32).
# - once a second a notice line "robust: fds F pool P/N waiting W timeouts T
#   accepted A full U" -- what the slow-client tests read from outside -- and
#   a line per hook event.

import sys

_here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
FIRMWARE = _here + "/../../firmware"

# as main.py --frozen does, before anything is imported: the frozen modules
# first (the script's own folder and '' go)
_frozen = ".frozen" in sys.path
if _frozen:
    while sys.path[0] != ".frozen":
        sys.path.pop(0)
else:
    sys.path.insert(0, FIRMWARE)
    sys.path.insert(1, FIRMWARE + "/..")

import gc  # noqa: E402

from lws_mp import (  # noqa: E402
    LWS_WRITE_HTTP,
    LWS_WRITE_HTTP_FINAL,
    LWS_WRITE_HTTP_HEADERS,
    lws_add_http_header_by_name,
    lws_add_http_header_content_length,
    lws_add_http_header_status,
    lws_finalize_http_header,
    lws_get_context,
    lws_http_transaction_completed,
    lws_partial_buffered,
    lws_write,
    lwsl_notice,
)

_LWS_CALLBACK_CLOSED = 4
_LWS_CALLBACK_CLOSED_HTTP = 5
_LWS_CALLBACK_ESTABLISHED = 0
_LWS_CALLBACK_HTTP = 12
_LWS_CALLBACK_FILTER_NETWORK_CONNECTION = 17
_LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED = 19
_LWS_CALLBACK_WSI_DESTROY = 30
CLOSING = (_LWS_CALLBACK_CLOSED, _LWS_CALLBACK_CLOSED_HTTP, _LWS_CALLBACK_WSI_DESTROY)

HOLD_MS = 3000
FILL_PIECES = 256
WRITE_BODY = 16384
WRITES = 4

try:
    from time import ticks_diff, ticks_ms
except ImportError:  # CPython
    import time

    def ticks_ms():
        return int(time.monotonic() * 1000)

    def ticks_diff(a, b):
        return a - b

mem_alloc = getattr(gc, "mem_alloc", None)
mem_free = getattr(gc, "mem_free", None)

# everything the hooks keep is made now, before the baseline anyone measures
state = {
    "armed": None,  # the point waiting to be hit
    "leave": 0,
    "victim": None,  # the wsi whose failure is under test
    "filled_at": 0,
    "seq": 0,
    "last_log": 0,
    "closes": 0,
    "sndbuf": 0,  # --sndbuf N: every accepted socket's SO_SNDBUF
}
filler = [None] * FILL_PIECES
victim_closes = bytearray(8)  # the close callbacks the victim got, in order


def choose(wsi):
    """``wsi`` is the victim: its close callbacks are noted from now."""
    state["victim"] = wsi
    state["closes"] = 0


def heap():
    gc.collect()
    return mem_alloc() if mem_alloc else -1


def fill(leave):
    """Fill the heap (MicroPython; nothing on CPython): every free block is
    taken but one hole of ``leave`` bytes, so an allocation bigger than that
    fails and smaller ones (after the collection a failing allocation runs)
    still find room.  Returns the pieces allocated."""
    if mem_free is None:
        return 0
    gc.collect()
    hole = bytearray(leave) if leave else None
    n = 0
    size = 16384
    while size >= 16 and n < FILL_PIECES:
        while n < FILL_PIECES:
            try:
                filler[n] = bytearray(size)
            except MemoryError:
                break
            n += 1
        size //= 2
    hole = None  # noqa: F841  (its block is the one left free)
    gc.collect()
    state["filled_at"] = ticks_ms()
    return n


def release(why):
    if state["filled_at"]:
        i = 0
        while i < FILL_PIECES:  # (no range object: the heap is full)
            filler[i] = None
            i += 1
        state["filled_at"] = 0
        gc.collect()
        lwsl_notice("robust: filler released (%s)", why)


def status_json(ctx):
    pool = ctx.header_pool
    lw = ctx.listen_wsi
    return (
        '{"fds":%d,"fd_limit":%d,"pool_free":%d,"pool":%d,"waiting":%d,"heap":%d,'
        '"accepted":%d,"refused":%d,"timeouts":%d,"full":%d,"table_waits":%d,'
        '"listen_paused":%d,"listen_events":%d,"pending":%d,"armed":"%s",'
        '"filled":%d,"victim_closes":[%s]}' % (
            ctx.fd_count, ctx.fd_limit, len(pool.free), len(pool.tables), len(pool.waiting),
            heap(), ctx.stats_accepted, ctx.stats_refused, ctx.stats_timeouts,
            ctx.stats_full, pool.waits, 1 if ctx.listen_paused else 0,
            lw.events if lw is not None else -1, len(ctx.pending), state["armed"] or "",
            1 if state["filled_at"] else 0,
            ",".join("%d" % r for r in victim_closes[:state["closes"]])))


def reply(wsi, body, status=200):
    head = bytearray()
    if lws_add_http_header_status(wsi, status, head) or \
            lws_add_http_header_by_name(wsi, "Content-Type:", "text/plain", head) or \
            lws_add_http_header_content_length(wsi, len(body), head) or \
            lws_finalize_http_header(wsi, head):
        return -1
    if lws_write(wsi, head, len(head), LWS_WRITE_HTTP_HEADERS) < 0 or \
            lws_write(wsi, body, len(body), LWS_WRITE_HTTP_FINAL) < 0:
        return -1
    return 1 if lws_http_transaction_completed(wsi) else 0


def route(wsi, uri):
    """The /__robust routes: the callback's return value."""
    ctx = lws_get_context(wsi)
    parts = uri.split("/")  # ['', '__robust', ...]
    what = parts[2] if len(parts) > 2 else ""
    if what == "":
        return reply(wsi, status_json(ctx).encode())
    if what == "seq":
        state["seq"] += 1
        return reply(wsi, b"seq=%d" % state["seq"])
    if what == "arm" and len(parts) == 5:
        choose(None)
        state["armed"] = None if parts[3] == "none" else parts[3]
        state["leave"] = int(parts[4])
        lwsl_notice("robust: armed %s, leave %d", parts[3], state["leave"])
        return reply(wsi, b"armed")
    if what == "callback" and len(parts) == 4:
        choose(wsi)
        n = fill(int(parts[3]))
        lwsl_notice("robust: callback: filled (%d pieces), allocating 4 KB", n)
        big = bytearray(4096)  # fails: the point under test
        return reply(wsi, b"allocated %d" % len(big))
    if what == "write" and len(parts) == 4:
        # SOL_SOCKET, SO_SNDBUF (Linux; the unix port's socket module lacks
        # the names): the kernel queues little beyond the one write it takes
        wsi.sock.setsockopt(1, 7, 2048)
        choose(wsi)
        head = bytearray()
        lws_add_http_header_status(wsi, 200, head)
        lws_add_http_header_content_length(wsi, WRITE_BODY * WRITES, head)
        lws_finalize_http_header(wsi, head)
        if lws_write(wsi, head, len(head), LWS_WRITE_HTTP_HEADERS) < 0:
            return -1
        body = bytearray(WRITE_BODY)  # garbage once written (or stored)
        n = fill(int(parts[3]))
        lwsl_notice("robust: write: filled (%d pieces), writing %d x %d bytes", n, WRITES,
                    WRITE_BODY)
        k = 0
        while k < WRITES and not lws_partial_buffered(wsi):
            # the client reads nothing: a write soon finds the socket full,
            # and what it did not take must be stored
            if lws_write(wsi, body, WRITE_BODY, LWS_WRITE_HTTP) < 0:
                return -1
            k += 1
        return 0
    return reply(wsi, b"no such hook", 404)


# The app's callbacks, by protocol slot, and the hooks in front of them:
# plain functions, not closures, because a call to a closure whose captured
# values and arguments pass five words allocates on MicroPython, and the
# hooks must run (to see the victim close) when the heap is full.
_app_callbacks = [None] * 4


def _hook(slot, wsi, reason, pss, in_, len_):
    first = slot == 0
    if reason in CLOSING and wsi is state["victim"] and wsi is not None:
        # noted without allocating: the heap may still be full here
        n = state["closes"]
        if n < len(victim_closes):
            victim_closes[n] = reason
            state["closes"] = n + 1
        if state["filled_at"]:
            release("victim closing")
    if first and reason == _LWS_CALLBACK_HTTP and isinstance(in_, str) and \
            in_.startswith("/__robust"):
        return route(wsi, in_)
    armed = state["armed"]
    if armed == "accept" and reason == _LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        state["armed"] = None
        choose(None)
        lwsl_notice("robust: accept: filled (%d pieces)", fill(state["leave"]))
        return 0
    if reason == _LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED and state["sndbuf"]:
        wsi.sock.setsockopt(1, 7, state["sndbuf"])  # SOL_SOCKET, SO_SNDBUF
    r = _app_callbacks[slot](wsi, reason, pss, in_, len_)
    if armed == "headers" and reason == _LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        state["armed"] = None
        choose(wsi)
        lwsl_notice("robust: headers: filled (%d pieces)", fill(state["leave"]))
    elif armed == "frame" and reason == _LWS_CALLBACK_ESTABLISHED:
        state["armed"] = None
        choose(wsi)
        lwsl_notice("robust: frame: filled (%d pieces)", fill(state["leave"]))
    return r


def _hook0(wsi, reason, pss, in_, len_):
    return _hook(0, wsi, reason, pss, in_, len_)


def _hook1(wsi, reason, pss, in_, len_):
    return _hook(1, wsi, reason, pss, in_, len_)


def _hook2(wsi, reason, pss, in_, len_):
    return _hook(2, wsi, reason, pss, in_, len_)


def _hook3(wsi, reason, pss, in_, len_):
    return _hook(3, wsi, reason, pss, in_, len_)


_HOOKS = (_hook0, _hook1, _hook2, _hook3)


def hooked(cb, slot):
    """``cb`` (the app's callback of protocol ``slot``) with the hooks in
    front."""
    _app_callbacks[slot] = cb
    return _HOOKS[slot]


def tick(ctx):
    now = ticks_ms()
    if state["filled_at"]:
        if state["victim"] is None:
            release("tick after accept")
        elif ticks_diff(now, state["filled_at"]) >= HOLD_MS:
            release("%d ms and the victim still open" % HOLD_MS)
    if ticks_diff(now, state["last_log"]) >= 1000:
        state["last_log"] = now
        pool = ctx.header_pool
        lwsl_notice("robust: fds %d pool %d/%d waiting %d timeouts %d accepted %d full %d",
                    ctx.fd_count, len(pool.free), len(pool.tables), len(pool.waiting),
                    ctx.stats_timeouts, ctx.stats_accepted, ctx.stats_full)


def wrap_app(app):
    make_info = app.make_info
    app_tick = getattr(app, "tick", None)

    def robust_make_info(port, iface, root, **opts):
        info = make_info(port, iface, root, **opts)
        for i, p in enumerate(info.protocols):
            if p is not None and p.callback is not None:
                p.callback = hooked(p.callback, i)
        return info

    def robust_tick(ctx):
        if app_tick is not None:
            app_tick(ctx)
        tick(ctx)

    app.make_info = robust_make_info
    app.tick = robust_tick
    app.TICK_MS = getattr(app, "TICK_MS", 0) or 50


def main(argv):
    name = "fileserver"
    for i in range(len(argv) - 1):
        if argv[i] == "--app":
            name = argv[i + 1]
    if "--sndbuf" in argv:
        i = argv.index("--sndbuf")
        state["sndbuf"] = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    wrap_app(__import__("apps." + name, None, None, ["x"]))
    import main as firmware_main

    firmware_main.main((["--frozen"] if _frozen else []) + argv, FIRMWARE)


main(sys.argv[1:])
