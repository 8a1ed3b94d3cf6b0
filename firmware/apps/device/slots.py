"""Which version of the app runs: the built-in one, or an installed update.

An update lives in one of two slots on the flash, ``<flash>/app/a`` and
``<flash>/app/b`` (its files under ``device/``, its ``manifest.json``
beside them); ``<flash>/app/state.json`` says which slot is active, which
one ran before it, and whether the active one is on trial:

    {"active": "b", "version": "1.1", "previous": "a", "previous_version": "1.0",
     "trial": true, "tries": 0, "note": null}

The state is only ever replaced atomically (store.write_json), so a reset
leaves the old state or the new one.  At boot (``boot``):

- no active slot: the built-in app;
- an active slot on trial: ``tries`` is set to 1 first, then the slot is
  imported and started; the app confirms it (``confirm``: trial off) once
  its service loop runs.  A boot that finds ``tries`` already 1 knows the
  last start never got that far (it crashed, or hung and was reset);
- an import or a start that raises, or a trial that never confirmed, falls
  back to the previous slot, then to the built-in app, and leaves a note
  that the dashboard shows.

This module belongs to the built-in app and is never replaced by an
update: it is what chooses between them.
"""

import sys

from . import store

SLOTS = ("a", "b")
PACKAGE = "device"  # the package name inside a slot


def app_dir(flash):
    return store.join(flash, "app")


def slot_dir(flash, slot):
    return store.join(app_dir(flash), slot)


def state_path(flash):
    return store.join(app_dir(flash), "state.json")


def read_state(flash):
    st = {"active": None, "version": None, "previous": None, "previous_version": None,
          "trial": False, "tries": 0, "note": None}
    saved = store.read_json(state_path(flash))
    if isinstance(saved, dict):
        for k in st:
            if k in saved:
                st[k] = saved[k]
    if st["active"] not in SLOTS:
        st["active"] = None
    if st["previous"] not in SLOTS or st["previous"] == st["active"]:
        st["previous"] = None
    return st


def write_state(flash, st):
    store.makedirs(app_dir(flash))
    store.write_json(state_path(flash), st)


def staging_slot(st):
    """The slot an update is written to: the one not running."""
    return "b" if st["active"] == "a" else "a"


def _forget(name):
    for m in list(sys.modules):
        if m == name or m.startswith(name + "."):
            del sys.modules[m]


def _import_slot(flash, slot):
    path = slot_dir(flash, slot)
    if store.stat(store.join(path, "manifest.json")) is None:
        raise ImportError("the slot has no manifest (an update that never finished)")
    _forget(PACKAGE)
    while path in sys.path:
        sys.path.remove(path)
    sys.path.insert(0, path)
    try:
        return __import__(PACKAGE + ".app", None, None, ["make_info"])
    except BaseException:
        sys.path.remove(path)
        _forget(PACKAGE)
        raise


def _describe(e):
    return "%s: %s" % (type(e).__name__, e) if str(e) else type(e).__name__


def _save(flash, st):
    try:
        write_state(flash, st)
        return True
    except OSError:
        return False


def boot(flash, factory, factory_version, start):
    """Start the app that should run: ``start(module, boot)`` for the
    active slot's app or, failing that, the previous one's or the built-in
    ``factory`` module; returns what ``start`` returns.

    ``boot`` is {"version", "slot" (None: built-in), "trial", "note"}."""
    st = read_state(flash)
    while st["active"]:
        slot = st["active"]
        if st["trial"] and st["tries"]:
            why = "did not come up (restarted before it was confirmed)"
        else:
            if st["trial"]:
                st["tries"] = 1
                _save(flash, st)
            try:
                mod = _import_slot(flash, slot)
                return start(mod, {"version": st["version"], "slot": slot,
                                   "trial": st["trial"], "note": st["note"]})
            except Exception as e:  # a broken update must not stop the device
                _forget(PACKAGE)
                why = "failed to start (%s)" % _describe(e)
        back = st["previous_version"] if st["previous"] else None
        note = "Update %s %s; back to %s." % (
            st["version"], why, ("version " + back) if back else "the built-in app")
        st = {"active": st["previous"], "version": st["previous_version"], "previous": None,
              "previous_version": None, "trial": False, "tries": 0, "note": note}
        _save(flash, st)
    return start(factory, {"version": factory_version, "slot": None, "trial": False,
                           "note": st["note"]})


def confirm(flash):
    """The running update came up: it stays (called once its loop runs)."""
    st = read_state(flash)
    if st["trial"]:
        st["trial"] = False
        st["tries"] = 0
        st["note"] = None
        return _save(flash, st)
    return True


def installed(flash, slot, version, running):
    """Switch to ``slot`` (fully written and checked): one atomic write.
    ``running`` is the boot dict of the app running now."""
    st = {"active": slot, "version": version, "previous": running["slot"],
          "previous_version": running["version"] if running["slot"] else None,
          "trial": True, "tries": 0, "note": None}
    write_state(flash, st)


def release(flash, slot):
    """Make sure nothing points at ``slot`` before it is overwritten."""
    st = read_state(flash)
    if st["previous"] == slot:
        st["previous"] = None
        st["previous_version"] = None
        write_state(flash, st)
