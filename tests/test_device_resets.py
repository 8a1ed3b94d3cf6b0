"""A reset at every step of a settings save and of an app update leaves a
readable settings file (the old settings or the new) and an app that boots
(the old version or the new).

Two ways to cut the power, step by step:
- every interpreter: the app's flash calls (store.fs) fail from the k-th
  on, as they would on a board reset there;
- MicroPython: the LittleFS block device itself fails every block write
  and erase from the k-th on, and the image is then mounted afresh, as the
  board would find its flash after the reset.
"""

import pytest

import device_support as ds
import support

pytestmark = pytest.mark.lws_heap(ds.HEAP_NEED, reason=ds.HEAP_REASON)

OLD = {"device_name": "Old name", "led_blink_ms": 400}
NEW = {"device_name": "New name", "led_blink_ms": 900, "log_level": "warn",
       "wifi_ssid": "net", "wifi_password": "a password"}

TINY = ('VERSION = "%s"\nTICK_MS = 1000\n\n\ndef make_info(port, iface, www, flash, boot, **o):\n'
        '    return VERSION\n\n\ndef tick(ctx):\n    pass\n')


def _modules():
    from firmware.apps.device import app, settings, slots, store, update

    return app, settings, slots, store, update


class FaultyFlash:
    """store.fs whose k-th change and every one after fail (OSError EIO);
    a write that fails writes half its data first (a torn write)."""

    def __init__(self, real, after):
        self.real = real
        self.left = after
        self.steps = 0

    def step(self):
        if self.left == 0:
            raise OSError(5)
        if self.left > 0:
            self.left -= 1
        self.steps += 1

    def open(self, path, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            self.step()
            return _FaultyFile(self, self.real.open(path, mode))
        return self.real.open(path, mode)

    def rename(self, a, b):
        self.step()
        self.real.rename(a, b)

    def remove(self, p):
        self.step()
        self.real.remove(p)

    def mkdir(self, p):
        self.step()
        self.real.mkdir(p)

    def rmdir(self, p):
        self.step()
        self.real.rmdir(p)


class _FaultyFile:
    def __init__(self, flash, f):
        self.flash = flash
        self.f = f

    def write(self, data):
        try:
            self.flash.step()
        except OSError:
            self.f.write(memoryview(data)[:len(data) // 2])
            raise
        return self.f.write(data)

    def close(self):
        self.f.close()


def _count_and_cut(run, check, prepare):
    """prepare(); run() with the flash cut at step k, for every k; check()."""
    store = _modules()[3]
    real = store.fs
    prepare()
    probe = FaultyFlash(real, -1)
    store.fs = probe
    try:
        run()
    finally:
        store.fs = real
    total = probe.steps
    assert total >= 3, total
    for k in range(total + 1):
        prepare()
        store.fs = FaultyFlash(real, k)
        try:
            run()
        except OSError:
            pass
        finally:
            store.fs = real
        check(k, total)
    return total


# ------------------------------------------------------------ settings


def _settings_case(flash):
    settings, store = _modules()[1], _modules()[3]
    path = flash + "/settings.json"

    def prepare():
        store.write_json(path, dict(settings.DEFAULTS, **OLD))
        store.remove_quietly(path + ".tmp")

    def run():
        s = settings.Settings(path)
        s.update(NEW)

    def check(k, total):
        raw = store.read_json(path)
        assert isinstance(raw, dict), (k, "the settings file is unreadable")
        got = settings.Settings(path).values
        want = NEW if got["device_name"] == NEW["device_name"] else OLD
        for key, v in want.items():
            assert got[key] == v, (k, key, got)
        if k >= total:
            assert got["device_name"] == NEW["device_name"]

    return prepare, run, check


def test_a_reset_at_every_step_of_a_settings_save():
    prepare, run, check = _settings_case(support.tmp_dir("dev_cutset"))
    assert _count_and_cut(run, check, prepare) >= 3


# ------------------------------------------------------------ app update


def _tiny_bundle(version):
    import sys

    tools = ds.REPO + "/tools/device"
    if tools not in sys.path:
        sys.path.append(tools)
    import make_bundle

    entries = [("device/__init__.py", b""), ("device/app.py", (TINY % version).encode()),
               ("device/www/index.html", ("<p>%s</p>" % version).encode())]
    return make_bundle.make_bundle(entries, version)


def _install(dev, data, piece=700):
    update = _modules()[4]
    ins = update.Installer(dev)
    ins.begin(len(data))
    for i in range(0, len(data), piece):
        ins.feed(memoryview(data)[i:i + piece])
    return ins.finish()


def _boot(flash):
    """What boots: (version, slot)."""
    slots = _modules()[2]

    class Builtin:
        pass

    def start(mod, boot):
        if mod is Builtin:
            return ("builtin", None)
        return (mod.make_info(0, None, None, flash, boot), boot["slot"])

    return slots.boot(flash, Builtin, "builtin", start)


def _device(flash, boot):
    app = _modules()[0]
    return app.Device(flash, ds.WWW_SRC, boot, ds.flash_size(flash))


def _two_versions_installed(flash):
    """v1 in slot a, then v2 in slot b: v2 runs, v1 is the previous."""
    slots = _modules()[2]
    dev = _device(flash, {"version": "1.0.0", "slot": None, "trial": False, "note": None})
    assert _install(dev, _tiny_bundle("v1"))[0] == 200
    assert _boot(flash) == ("v1", "a")
    slots.confirm(flash)
    dev.boot = {"version": "v1", "slot": "a", "trial": False, "note": None}
    assert _install(dev, _tiny_bundle("v2"))[0] == 200
    assert _boot(flash) == ("v2", "b")
    slots.confirm(flash)
    return {"version": "v2", "slot": "b", "trial": False, "note": None}


def _update_case(flash):
    store = _modules()[3]
    snap = flash + "_snapshot"
    running = {}

    def copy_tree(src, dst):
        store.remove_tree(dst)
        store.makedirs(dst)
        for n in store.listdir(src):
            s, d = src + "/" + n, dst + "/" + n
            if store.is_dir(s):
                copy_tree(s, d)
            else:
                with open(s, "rb") as fi, open(d, "wb") as fo:
                    fo.write(fi.read())

    store.remove_tree(flash)
    store.makedirs(flash)
    running.update(_two_versions_installed(flash))
    copy_tree(flash, snap)
    bundle = _tiny_bundle("v3")

    def prepare():
        copy_tree(snap, flash)

    def run():
        _install(_device(flash, dict(running)), bundle)

    def check(k, total):
        version, slot = _boot(flash)
        assert version in ("v2", "v3"), (k, version)
        if k >= total:
            assert version == "v3" and slot == "a"

    return prepare, run, check


def test_a_reset_at_every_step_of_an_app_update():
    flash = support.tmp_dir("dev_cutupd")
    prepare, run, check = _update_case(flash)
    n = _count_and_cut(run, check, prepare)
    assert n >= 10


# ------------------------------------------------------------ the block device


def _littlefs_cut(name, setup, op, check, blocks=48):
    """setup() on a fresh LittleFS image, then for every k: the image as it
    was, op() with block writes failing from the k-th on, a fresh mount,
    check(k, total)."""
    import os

    img = ds.image_path(name)
    snap = img + ".snapshot"
    mnt = ds.mount_bdev(name, ds.FileFlash(img, blocks))
    setup(mnt)
    ds.unmount(mnt)
    with open(img, "rb") as fi, open(snap, "wb") as fo:
        fo.write(fi.read())
    # how many block writes the whole operation takes
    bdev = ds.FileFlash(img, blocks, fresh=False)
    mnt = ds.mount_bdev(name, bdev, fresh=False)
    start = bdev.writes
    op(mnt)
    total = bdev.writes - start
    ds.unmount(mnt)
    assert total > 2, total
    for k in range(total + 1):
        with open(snap, "rb") as fi, open(img, "wb") as fo:
            fo.write(fi.read())
        bdev = ds.FileFlash(img, blocks, fresh=False)
        mnt = ds.mount_bdev(name, bdev, fresh=False)
        bdev.fail_after = bdev.writes + k
        try:
            op(mnt)
        except OSError:
            pass
        ds.unmount(mnt)  # the reset: what is on the image is what there is
        mnt = ds.mount_bdev(name, ds.FileFlash(img, blocks, fresh=False), fresh=False)
        check(mnt, k, total)
        ds.unmount(mnt)
    os.remove(snap)
    return total


def test_littlefs_reset_at_every_block_write_of_a_settings_save():
    if not support.IS_MICROPYTHON:
        support.skip("LittleFS (vfs.VfsLfs2) is MicroPython's; CPython has the store-level cut")
    settings, store = _modules()[1], _modules()[3]

    def setup(mnt):
        store.write_json(mnt + "/settings.json", dict(settings.DEFAULTS, **OLD))

    def op(mnt):
        settings.Settings(mnt + "/settings.json").update(NEW)

    def check(mnt, k, total):
        assert isinstance(store.read_json(mnt + "/settings.json"), dict), k
        got = settings.Settings(mnt + "/settings.json").values
        want = NEW if got["device_name"] == NEW["device_name"] else OLD
        for key, v in want.items():
            assert got[key] == v, (k, key, got)
        if k >= total:
            assert got["device_name"] == NEW["device_name"]

    assert _littlefs_cut("cutlfsset", setup, op, check) > 2


def test_littlefs_reset_at_every_block_write_of_an_app_update():
    if not support.IS_MICROPYTHON:
        support.skip("LittleFS (vfs.VfsLfs2) is MicroPython's; CPython has the store-level cut")
    running = {}
    bundle = _tiny_bundle("v3")

    def setup(mnt):
        running.update(_two_versions_installed(mnt))

    def op(mnt):
        _install(_device(mnt, dict(running)), bundle)

    def check(mnt, k, total):
        version, slot = _boot(mnt)
        assert version in ("v2", "v3"), (k, version)
        if k >= total:
            assert version == "v3" and slot == "a"

    assert _littlefs_cut("cutlfsupd", setup, op, check, blocks=64) > 10
