"""Helpers for the device app's tests (tests/test_device_*.py), on CPython
and MicroPython alike.

The flash is a LittleFS v2 filesystem on a file-backed block device on
MicroPython (as on a board), a scratch folder standing in for a flash of
the same size on CPython.  ``FileFlash`` with ``fail_after = N`` accepts N
block writes and erases, then fails every one: the flash of a board reset
at that step.
"""

import json

import support
from support import IS_MICROPYTHON

FLASH_BLOCKS = 64
BLOCK = 4096
FLASH_SIZE = FLASH_BLOCKS * BLOCK  # CPython's stand-in flash
PASSWORD = "correct horse"
# what the device tests need on a 32-bit interpreter: the app is compiled
# from source into the test's heap there (a board runs it frozen or as .mpy)
HEAP_NEED = "256k"
HEAP_REASON = "the device app compiled from source in the test's heap"


def _repo():
    """The checkout: beside this file, or the working folder (the plugin may
    run a precompiled copy of this module from elsewhere)."""
    import os

    f = __file__ if "__file__" in globals() else "tests/device_support.py"
    here = f.rsplit("/", 1)[0] if "/" in f else "."
    for root in (here + "/..", os.getcwd()):
        try:
            os.stat(root + "/firmware/apps/device/app.py")
            return root
        except OSError:
            pass
    return here + "/.."


REPO = _repo()
WWW_SRC = REPO + "/firmware/apps/device/www"
APP_SRC = REPO + "/firmware/apps/device"


def device_pkg():
    from firmware.apps import device

    return device


class FileFlash:
    """LittleFS' extended block protocol over a file (a RAM copy would not
    fit MicroPython's default heap beside the tests)."""

    def __init__(self, path, blocks=FLASH_BLOCKS, size=BLOCK, fresh=True):
        self.size = size
        self.blocks = blocks
        self.path = path
        self.writes = 0
        self.fail_after = -1  # >= 0: fail every write after that many
        self.f = open(path, "w+b" if fresh else "r+b")
        self.ones = b"\xff" * size
        if fresh:
            for _ in range(blocks):
                self.f.write(self.ones)
            self.f.flush()

    def _cut(self):
        """True from the step the board was reset at on: the write fails.
        It says so with an errno return (-EIO), as a block device's driver
        does: an exception would unwind through LittleFS' C code."""
        if self.fail_after >= 0 and self.writes >= self.fail_after:
            return True
        self.writes += 1
        return False

    def readblocks(self, block, buf, off=0):
        self.f.seek(block * self.size + off)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, off=None):
        if self._cut():
            return -5
        self.f.seek(block * self.size + (off or 0))
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return self.size
        if op == 6:  # erase
            if self._cut():
                return -5
            self.f.seek(arg * self.size)
            self.f.write(self.ones)
            return 0
        return 0

    def close(self):
        self.f.close()


_mounted = {}


def unmount(mnt):
    import gc
    import vfs

    bdev = _mounted.pop(mnt, None)
    if bdev is not None:
        # files a failed write left open are finalised (closed) now, while
        # their filesystem and its block device are still there: after the
        # umount their finaliser would reach a freed filesystem
        gc.collect()
        try:
            vfs.umount(mnt)
        except OSError:
            pass
        bdev.close()


def mount_bdev(name, bdev, fresh=True):
    """Mount ``bdev`` (LittleFS) at /dev_<name>; returns the mount point."""
    import vfs

    mnt = "/dev_" + name
    unmount(mnt)
    if fresh:
        vfs.VfsLfs2.mkfs(bdev)
    vfs.mount(vfs.VfsLfs2(bdev), mnt)
    _mounted[mnt] = bdev
    return mnt


def image_path(name):
    return support.SCRATCH + "dev_%s.lfs" % name


_sizes = {}


def make_flash(name, blocks=FLASH_BLOCKS):
    """A fresh, empty flash of ``blocks`` 4 KB blocks for one test: its path."""
    if IS_MICROPYTHON:
        return mount_bdev(name, FileFlash(image_path(name), blocks))
    path = support.tmp_dir("dev_" + name)
    _sizes[path] = blocks * BLOCK
    return path


def flash_size(path):
    """What the app is told its flash holds: LittleFS knows (0); a scratch
    folder stands in for a flash of the size asked."""
    return 0 if IS_MICROPYTHON else _sizes.get(path, FLASH_SIZE)


def start(flash, **kw):
    """The device app on ``flash``, as firmware/main.py would start it:
    (ctx, port, dev)."""
    from lws_mp import lws_context_user

    device = device_pkg()
    kw.setdefault("flash_size", flash_size(flash))
    ctx, port = support.make_context(
        lambda p: device.make_info(p, "127.0.0.1", WWW_SRC, flash=flash, **kw))
    dev = lws_context_user(ctx)
    dev.restarts = 0

    def restart(ctx):
        dev.restarts += 1

    dev.restart = restart
    return ctx, port, dev


def stop(ctx):
    from lws_mp import lws_context_destroy

    lws_context_destroy(ctx)


class running:
    """``with running(flash, **kw) as (ctx, port, dev):`` the device app
    started as start() does, and stopped however the block ends."""

    def __init__(self, flash, **kw):
        self.started = start(flash, **kw)

    def __enter__(self):
        return self.started

    def __exit__(self, *exc):
        stop(self.started[0])
        return False


def logged_in(ctx, port, password=PASSWORD):
    """A client of the device whose first-boot password is now set, and the
    session cookie that set it: (client, cookie)."""
    c = client(ctx, port)
    return c, setup_password(c, password)


def client(ctx, port):
    from lws_mp.testing import TestClient

    return TestClient(ctx, port)


def call(c, method, path, obj=None, cookie=None, body=None, headers=None):
    """A JSON request: (status, decoded body or {}, response)."""
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    if obj is not None:
        body = json.dumps(obj)
        h["Content-Type"] = "application/json"
    r = c.request(method, path, headers=h, body=body)
    try:
        data = json.loads(r.body) if r.body else {}
    except ValueError:
        data = {}
    return r.status, data, r


def cookie_of(r):
    """'sid=...' from a response's Set-Cookie."""
    v = r.header("set-cookie")
    assert v is not None, "no Set-Cookie in %r" % (r.headers,)
    return v.split(";")[0]


def setup_password(c, password=PASSWORD):
    st, data, r = call(c, "POST", "/api/setup", {"password": password})
    assert st == 200, (st, data)
    return cookie_of(r)


def login(c, password=PASSWORD):
    st, data, r = call(c, "POST", "/api/login", {"password": password})
    assert st == 200, (st, data)
    return cookie_of(r)


def tick(ctx, dev, n=1):
    for _ in range(n):
        dev.tick(ctx)


def heap_live():
    """Bytes of heap in use after a collection (MicroPython), else 0."""
    import gc

    gc.collect()
    return gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0


def read(path):
    with open(path, "rb") as f:
        return f.read()


def exists(path):
    import os

    try:
        os.stat(path)
        return True
    except OSError:
        return False


def upload_in_pieces(c, path, cookie, size, piece=4096, sample=None):
    """PUT ``size`` bytes made piece by piece (the client never holds the
    file); ``sample()`` is called between pieces.  Returns (status, body)."""
    import json

    head = ("PUT %s HTTP/1.1\r\nHost: t\r\nCookie: %s\r\nContent-Length: %d\r\n\r\n"
            % (path, cookie, size))
    c.send(head)
    block = bytearray(piece)
    sent = 0
    while sent < size:
        n = min(piece, size - sent)
        for i in range(0, n, 256):
            block[i] = (sent + i) // 256 & 0xFF
        c.send(memoryview(block)[:n])
        sent += n
        if sample is not None:
            sample()
    r = c.read_response()
    return r.status, json.loads(r.body)
