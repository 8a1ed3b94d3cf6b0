"""The dashboard's figures, named as GET /api/stats and the WebSocket send them.

Connections and header-table use come from the context's own counters
(lws has no API for them; lws_mp keeps them on the context: ``fd_count``,
``fd_limit``, ``header_pool``); the heap from MicroPython's gc (CPython has
no such figure: null); the flash from statvfs, looked at no more than once
every few seconds (LittleFS walks its blocks to count them) or after a
change.
"""

import array

from lws_mp.plat._port import ticks_diff, ticks_ms

try:
    import gc

    _mem_free = getattr(gc, "mem_free", None)
    _mem_alloc = getattr(gc, "mem_alloc", None)
except ImportError:  # pragma: no cover
    _mem_free = _mem_alloc = None

HISTORY = 120  # heap samples kept: 10 minutes at one every 5 s
SAMPLE_MS = 5000
FLASH_MS = 5000


def heap():
    """(free, used) bytes of the heap, or (None, None) where unknown."""
    if _mem_free is None or _mem_alloc is None:
        return None, None
    return _mem_free(), _mem_alloc()


class Stats:
    def __init__(self, dev):
        self.dev = dev
        self.start = ticks_ms()
        self.uptime_ms = 0
        self.last = self.start
        self.requests = 0
        self.history = array.array("i", [0] * HISTORY)  # heap_used samples
        self.hist_n = 0
        self.hist_pos = 0
        self.last_sample = self.start - SAMPLE_MS
        self.flash = (0, 0)
        self.flash_at = None

    def tick(self):
        """Called from the app's tick: uptime (wrap-proof) and the heap samples."""
        now = ticks_ms()
        self.uptime_ms += ticks_diff(now, self.last)
        self.last = now
        if ticks_diff(now, self.last_sample) >= SAMPLE_MS:
            self.last_sample = now
            used = heap()[1]
            if used is not None:
                self.history[self.hist_pos] = used
                self.hist_pos = (self.hist_pos + 1) % HISTORY
                if self.hist_n < HISTORY:
                    self.hist_n += 1

    def heap_history(self):
        """The samples, oldest first."""
        n = self.hist_n
        start = (self.hist_pos - n) % HISTORY
        return [self.history[(start + i) % HISTORY] for i in range(n)]

    def flash_space(self):
        now = ticks_ms()
        if self.flash_at is None or ticks_diff(now, self.flash_at) >= FLASH_MS:
            self.flash = self.dev.space()
            self.flash_at = now
        return self.flash

    def changed(self):
        self.flash_at = None

    def snapshot(self, ctx):
        free, used = heap()
        total, fl_free = self.flash_space()
        dev = self.dev
        out = {
            "uptime_s": self.uptime_ms // 1000,
            "heap_free": free,
            "heap_used": used,
            "flash_total": total,
            "flash_used": total - fl_free,
            "flash_free": fl_free,
            "requests": self.requests,
            "sessions": dev.auth.count(),
            "ws_clients": len(dev.ws_clients),
            "device_name": dev.settings["device_name"],
            "version": dev.boot["version"],
            "slot": dev.boot["slot"],
            "boot_note": dev.boot["note"],
            "log_level": dev.settings["log_level"],
            "led_blink_ms": dev.settings["led_blink_ms"],
        }
        if ctx is not None:
            pool = ctx.header_pool
            # the cancel waker and the listen socket hold a slot each
            out["connections"] = ctx.fd_count - (2 if ctx.listen_wsi is not None else 1)
            out["connections_max"] = ctx.fd_limit - 2
            out["header_pool_used"] = len(pool.tables) - pool.available()
            out["header_pool_size"] = len(pool.tables)
            out["header_pool_waiting"] = len(pool.waiting)
            out["refused"] = ctx.stats_refused
        return out
