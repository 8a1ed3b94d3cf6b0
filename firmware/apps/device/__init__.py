"""The device web UI (``firmware/main.py --app device``): setup and login,
a live dashboard, settings, files, app update and reboot, on lws_mp alone.
The JSON API is docs/DEVICE_API.md.

This is the loader the firmware imports.  ``make_info`` finds the flash
(the parent of the assets folder main.py gives as ``root``: ``/flash/www``
on the host's LittleFS image, ``/www`` on a board; without one, in a
checkout, ``build/device`` with the assets built there, on a board ``/``),
then starts the version that should run (slots.py): an installed update,
or the built-in app of this package, falling back to the built-in app when
an update cannot start.
"""

TICK_MS = 250
_app = None


def _here():
    f = __file__ if "__file__" in globals() else "apps/device/__init__.py"
    return f.rsplit("/", 1)[0] if "/" in f else "."


def _parent(path):
    path = path.rstrip("/")
    return path.rsplit("/", 1)[0] or "/" if "/" in path else "."


def make_info(port, iface, root, flash=None, **opts):
    global _app, TICK_MS
    from . import app as builtin
    from . import slots, store

    if root is None:
        # no assets folder given: in a checkout the built ones (else the
        # sources, the flash in build/device); on a board /www
        repo = _parent(_parent(_parent(_here())))
        in_checkout = store.is_dir(store.join(repo, "firmware"))
        root = store.join(repo, "build/device/www")
        if not in_checkout or not store.is_dir(root):
            if not in_checkout and store.is_dir("/www"):
                root = "/www"
            else:
                root = store.join(_here(), "www")
                flash = flash or (store.join(repo, "build/device") if in_checkout else "/")
    if flash is None:
        flash = _parent(root)
    store.makedirs(flash)

    def start(mod, boot):
        www = root if boot["slot"] is None else \
            store.join(slots.slot_dir(flash, boot["slot"]), slots.PACKAGE + "/www")
        info = mod.make_info(port, iface, www, flash, boot, **opts)
        return mod, info

    mod, info = slots.boot(flash, builtin, builtin.VERSION, start)
    _app = mod
    TICK_MS = getattr(mod, "TICK_MS", TICK_MS)
    return info


def tick(ctx):
    if _app is not None:
        _app.tick(ctx)
