"""The device web UI app: its state (``Device``), its protocols, its tick.

The flash it works on (``flash``) holds, besides the page's assets:

    settings.json   the settings (settings.py)
    auth.json       the password's salted hash (auth.py)
    files/          the Files page's area (files.py)
    app/            installed updates and which one runs (slots.py, update.py)

The loader (this package's __init__) calls ``make_info`` of the version
that should run, with the flash and the assets' folder; ``tick`` runs from
the firmware's service loop every TICK_MS.
"""

import sys

from lws_mp import (
    lws_context_creation_info,
    lws_context_destroy,
    lws_protocols,
    lwsl_notice,
    lwsl_warn,
)
from lws_mp.plat._port import ticks_add, ticks_diff, ticks_ms

from . import api, auth, settings, slots, stats, store, ws

VERSION = "1.0.0"
TICK_MS = 250
RESTART_EXIT_CODE = 75  # firmware/main.py starts again on it (a reboot, on a host)
RESERVE_BLOCKS = 4  # free flash kept for LittleFS' own writes
MAX_FILE = 1024 * 1024


def _restart(ctx):
    """A board resets; a host process leaves with RESTART_EXIT_CODE."""
    lwsl_notice("restarting")
    lws_context_destroy(ctx)
    if sys.platform not in ("linux", "darwin", "win32"):
        try:
            import machine

            machine.reset()
        except (ImportError, AttributeError):
            pass
    raise SystemExit(RESTART_EXIT_CODE)


class Device:
    def __init__(self, flash, www, boot, flash_size=0, max_file=MAX_FILE):
        self.flash = flash.rstrip("/") or "/"
        self.www = www
        self.boot = boot
        self.flash_size = flash_size  # >0: a host folder standing in for a flash this big
        self.files_dir = store.join(self.flash, "files")
        store.makedirs(self.files_dir)
        self.settings = settings.Settings(store.join(self.flash, "settings.json"))
        self.auth = auth.Auth(store.join(self.flash, "auth.json"))
        self.stats = stats.Stats(self)
        self.log = ws.LogRing()
        self.ws_clients = []
        self.io_buf = bytearray(2048)  # downloads and read-back checks, one at a time
        self.reserve = RESERVE_BLOCKS * store.block_size(self.flash)
        self.max_file = max_file
        self.reboot_at = None
        self.restart = _restart
        self.confirmed = False
        self.last_second = ticks_ms()
        self.apply_settings()

    def apply_settings(self):
        self.log.install(settings.log_mask(self.settings["log_level"]))

    def space(self):
        """(total, free) bytes of the flash."""
        if not self.flash_size:
            return store.space(self.flash)
        bs = store.block_size(self.flash)
        used = _tree_blocks(self.flash, bs) * bs
        return (self.flash_size, max(0, self.flash_size - used))

    def space_changed(self):
        self.stats.changed()

    def tick(self, ctx):
        if not self.confirmed:
            # the service loop runs: an update on trial has come up
            self.confirmed = True
            if self.boot["slot"] is not None and self.boot["trial"]:
                if slots.confirm(self.flash):
                    lwsl_notice("update %s confirmed", self.boot["version"])
                    self.boot["trial"] = False
                else:
                    lwsl_warn("could not confirm update %s", self.boot["version"])
        self.stats.tick()
        now = ticks_ms()
        late = ticks_diff(now, self.last_second)
        second = late >= 1000
        if second:
            # keep the once-a-second cadence instead of drifting by a tick each time;
            # after a long stall start afresh rather than pushing a burst of catch-ups
            self.last_second = now if late >= 2000 else ticks_add(self.last_second, 1000)
        ws.tick(self, ctx, second)
        if self.reboot_at is not None and ticks_diff(now, self.reboot_at) >= 0:
            self.reboot_at = None
            self.restart(ctx)


def _tree_blocks(path, bs):
    n = 1
    for name in store.listdir(path):
        p = store.join(path, name)
        st = store.stat(p)
        if st is None:
            continue
        n += _tree_blocks(p, bs) if st[0] else max(1, (st[1] + bs - 1) // bs)
    return n


_device = None


def make_info(port, iface, www, flash, boot, flash_size=0, max_file=MAX_FILE, **opts):
    global _device
    _device = Device(flash, www, boot, flash_size, max_file)
    if boot["note"]:
        lwsl_warn("%s", boot["note"])
    lwsl_notice("device app %s (%s) on flash %s", boot["version"],
                "slot " + boot["slot"] if boot["slot"] else "built-in", _device.flash)
    if "max_http_body_size" not in opts:
        opts["max_http_body_size"] = api.DRAIN_MAX
    return lws_context_creation_info(
        port=port,
        iface=iface,
        protocols=[
            lws_protocols("http", api.callback_http, api.Req),
            lws_protocols(ws.PROTOCOL, ws.callback_ws, ws.WsSession, 1024),
        ],
        user=_device,
        **opts
    )


def device():
    return _device


def tick(ctx):
    if _device is not None:
        _device.tick(ctx)
