"""The default platform file ops and the atomic flash write, used directly.

Under MicroPython every file here lives on a LittleFS v2 image mounted like
a board's flash (support.flash_root); under CPython in a scratch directory.
"""

import os

from lws_mp import (
    LWS_O_CREAT,
    LWS_O_RDONLY,
    LWS_O_RDWR,
    LWS_O_TRUNC,
    LWS_O_WRONLY,
    lws_plat_file_ops,
    lws_plat_file_write_atomic,
)
from support import IS_MICROPYTHON, SCRATCH, FileBlockDevice, flash_root, is_littlefs, write_file

FOPS = lws_plat_file_ops()
WSI = None  # the default ops never look at the connection

_root = []


def _dir(name):
    """A fresh directory on the flash root for one test."""
    if not _root:
        _root.append(flash_root("fops"))
    d = _root[0] + "/" + name
    os.mkdir(d)
    return d


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _exists(path):
    try:
        os.stat(path)
    except OSError:
        return False
    return True


def test_root_is_flash_on_micropython():
    d = _dir("where")
    if IS_MICROPYTHON:
        assert is_littlefs(d), d
    assert os.listdir(d) == []


def test_open_returns_fd_and_length_or_none():
    d = _dir("open")
    write_file(d + "/a.txt", b"hello flash")
    write_file(d + "/empty", b"")
    os.mkdir(d + "/sub")
    fd, n = FOPS.open(WSI, d + "/a.txt", LWS_O_RDONLY)
    assert fd is not None and n == 11
    assert FOPS.close(WSI, fd) == 0
    fd, n = FOPS.open(WSI, d + "/empty")  # flags default to read-only
    assert fd is not None and n == 0
    FOPS.close(WSI, fd)
    for path in (d + "/missing", d + "/sub", d, d + "/missing/deeper"):
        assert FOPS.open(WSI, path, LWS_O_RDONLY) == (None, 0), path
    # a directory is not a file to write either
    assert FOPS.open(WSI, d + "/sub", LWS_O_RDWR)[0] is None
    assert FOPS.stat(WSI, d + "/a.txt")[0] == 11
    assert FOPS.stat(WSI, d + "/sub") is None
    assert FOPS.stat(WSI, d + "/missing") is None


def test_read_and_seek_cur():
    d = _dir("read")
    data = bytes(range(200))
    write_file(d + "/r.bin", data)
    fd, n = FOPS.open(WSI, d + "/r.bin", LWS_O_RDONLY)
    assert n == 200
    buf = bytearray(64)
    assert FOPS.read(WSI, fd, buf, 10) == 10  # len_ bounds the read
    assert bytes(buf[:10]) == data[:10]
    assert buf[10] == 0  # nothing past len_ was touched
    assert FOPS.read(WSI, fd, memoryview(buf)[5:], 5) == 5  # into a view
    assert bytes(buf[5:10]) == data[10:15]
    # seek_cur moves relative to here and returns the new position
    assert FOPS.seek_cur(WSI, fd, 0) == 15
    assert FOPS.seek_cur(WSI, fd, 85) == 100
    assert FOPS.read(WSI, fd, buf, 4) == 4 and bytes(buf[:4]) == data[100:104]
    assert FOPS.seek_cur(WSI, fd, -50) == 54
    assert FOPS.read(WSI, fd, buf, 1) == 1 and buf[0] == 54
    # before the start: an error, -1, and the position is unchanged
    assert FOPS.seek_cur(WSI, fd, -1000) == -1
    assert FOPS.seek_cur(WSI, fd, 0) == 55
    # near the end: a short read, then 0 at EOF
    assert FOPS.seek_cur(WSI, fd, 140) == 195
    assert FOPS.read(WSI, fd, buf, 64) == 5 and bytes(buf[:5]) == data[195:]
    assert FOPS.read(WSI, fd, buf, 64) == 0
    assert FOPS.close(WSI, fd) == 0


def test_write_create_and_flags():
    d = _dir("write")
    p = d + "/w.bin"
    # no O_CREAT: a missing file stays missing
    for flags in (LWS_O_WRONLY, LWS_O_RDWR, LWS_O_WRONLY | LWS_O_TRUNC):
        assert FOPS.open(WSI, p, flags) == (None, 0), flags
        assert not _exists(p)
    # O_CREAT makes it; write takes len_ bytes and says how many
    fd, n = FOPS.open(WSI, p, LWS_O_WRONLY | LWS_O_CREAT)
    assert fd is not None and n == 0
    assert FOPS.write(WSI, fd, b"0123456789XYZ", 10) == 10
    assert FOPS.write(WSI, fd, bytearray(b"abc"), 3) == 3
    assert FOPS.close(WSI, fd) == 0
    assert _read(p) == b"0123456789abc"
    # O_WRONLY without O_TRUNC: overwrite in place, the rest stays
    fd, n = FOPS.open(WSI, p, LWS_O_WRONLY)
    assert n == 13
    assert FOPS.write(WSI, fd, b"AB", 2) == 2
    FOPS.close(WSI, fd)
    assert _read(p) == b"AB23456789abc"
    # O_RDWR: read, then write after what was read
    fd, n = FOPS.open(WSI, p, LWS_O_RDWR)
    assert n == 13
    buf = bytearray(4)
    assert FOPS.read(WSI, fd, buf, 4) == 4 and bytes(buf) == b"AB23"
    assert FOPS.seek_cur(WSI, fd, 0) == 4
    assert FOPS.write(WSI, fd, memoryview(b"----"), 4) == 4
    assert FOPS.seek_cur(WSI, fd, -8) == 0
    assert FOPS.read(WSI, fd, buf, 4) == 4 and bytes(buf) == b"AB23"
    FOPS.close(WSI, fd)
    assert _read(p) == b"AB23----89abc"
    # O_TRUNC empties it: the length reported is 0
    fd, n = FOPS.open(WSI, p, LWS_O_RDWR | LWS_O_TRUNC)
    assert fd is not None and n == 0
    assert FOPS.write(WSI, fd, b"new", 3) == 3
    assert FOPS.seek_cur(WSI, fd, -3) == 0
    assert FOPS.read(WSI, fd, buf, 4) == 3 and bytes(buf[:3]) == b"new"
    FOPS.close(WSI, fd)
    assert _read(p) == b"new"
    fd, n = FOPS.open(WSI, p, LWS_O_WRONLY | LWS_O_TRUNC)
    assert n == 0
    FOPS.close(WSI, fd)
    assert _read(p) == b""
    # O_RDWR | O_CREAT on a missing file
    q = d + "/rw.bin"
    fd, n = FOPS.open(WSI, q, LWS_O_RDWR | LWS_O_CREAT)
    assert fd is not None and n == 0
    assert FOPS.write(WSI, fd, b"xyz", 3) == 3
    assert FOPS.seek_cur(WSI, fd, -2) == 1
    assert FOPS.read(WSI, fd, buf, 4) == 2 and bytes(buf[:2]) == b"yz"
    FOPS.close(WSI, fd)
    # O_CREAT on an existing file without O_TRUNC keeps its content
    fd, n = FOPS.open(WSI, q, LWS_O_RDWR | LWS_O_CREAT)
    assert n == 3
    FOPS.close(WSI, fd)
    assert _read(q) == b"xyz"
    # a file in a directory that is not there cannot be made
    assert FOPS.open(WSI, d + "/nodir/f", LWS_O_WRONLY | LWS_O_CREAT) == (None, 0)


def test_write_to_read_only_fd_fails():
    # LittleFS as MicroPython builds it does not refuse a write on a file
    # opened read-only (the check is an lfs assert, compiled out), so this
    # runs where the VFS does refuse: the host filesystem.
    if IS_MICROPYTHON:
        base = SCRATCH + "fops_ro"
        try:
            os.mkdir(base)
        except OSError:
            pass
        p = base + "/ro.txt"
    else:
        p = _dir("ro") + "/ro.txt"
    write_file(p, b"keep me")
    fd, n = FOPS.open(WSI, p, LWS_O_RDONLY)
    assert FOPS.write(WSI, fd, b"XX", 2) == -1
    FOPS.close(WSI, fd)
    assert _read(p) == b"keep me"


class RecordingFops(lws_plat_file_ops):
    """The default ops, recording opens and closes, optionally failing a
    write once ``fail_after`` bytes have been written."""

    def __init__(self, fail_after=-1, short=False, on_write=None):
        self.fail_after = fail_after
        self.short = short  # fail by writing less rather than by -1
        self.on_write = on_write
        self.written = 0
        self.opened = []
        self.open_fds = 0

    def open(self, wsi, filename, flags=LWS_O_RDONLY):
        fd, n = lws_plat_file_ops.open(self, wsi, filename, flags)
        if fd is not None:
            self.opened.append((filename, flags))
            self.open_fds += 1
        return fd, n

    def close(self, wsi, fd):
        self.open_fds -= 1
        return lws_plat_file_ops.close(self, wsi, fd)

    def write(self, wsi, fd, buf, len_):
        if self.on_write is not None:
            self.on_write()
        if self.fail_after >= 0 and self.written + len_ > self.fail_after:
            room = self.fail_after - self.written
            if self.short and room > 0:
                n = lws_plat_file_ops.write(self, wsi, fd, buf, room)
                self.written += n
                return n
            return -1
        n = lws_plat_file_ops.write(self, wsi, fd, buf, len_)
        self.written += n
        return n


def test_atomic_write_goes_through_a_temp_file():
    d = _dir("atomic")
    p = d + "/config.json"
    old = b'{"ssid": "old"}'
    new = b'{"ssid": "new-network", "pass": "' + b"x" * 3000 + b'"}'
    write_file(p, old)
    seen_during = []

    def during_write():
        # while the new data is being written the old file is untouched
        seen_during.append(_read(p))

    fops = RecordingFops(on_write=during_write)
    chunks = [new[:10], bytearray(new[10:2000]), memoryview(new)[2000:]]
    assert lws_plat_file_write_atomic(fops, WSI, p, chunks) == 0
    assert _read(p) == new
    assert seen_during == [old, old, old]
    assert fops.opened == [(p + ".tmp", LWS_O_WRONLY | LWS_O_CREAT | LWS_O_TRUNC)]
    assert fops.open_fds == 0
    assert sorted(os.listdir(d)) == ["config.json"]
    # to a file that does not exist yet, and from a generator
    q = d + "/fresh.bin"
    assert lws_plat_file_write_atomic(FOPS, WSI, q, (b"%d," % i for i in range(100))) == 0
    assert _read(q) == b"".join(b"%d," % i for i in range(100))
    # a stale temp file from a reset mid-write is simply replaced
    write_file(p + ".tmp", b"torn garbage from before the reset" * 10)
    assert lws_plat_file_write_atomic(FOPS, WSI, p, [b"after reset"]) == 0
    assert _read(p) == b"after reset"
    assert sorted(os.listdir(d)) == ["config.json", "fresh.bin"]
    # nothing to write: an empty file
    assert lws_plat_file_write_atomic(FOPS, WSI, p, []) == 0
    assert _read(p) == b""


def test_atomic_write_failing_midway_keeps_the_old_file():
    d = _dir("atomic_fail")
    p = d + "/settings.bin"
    old = b"OLD" * 100
    new = bytes(range(256)) * 8
    for fail_after in (0, 1, 700, len(new) - 1):
        for short in (False, True):
            write_file(p, old)
            fops = RecordingFops(fail_after=fail_after, short=short)
            chunks = [new[i:i + 300] for i in range(0, len(new), 300)]
            assert lws_plat_file_write_atomic(fops, WSI, p, chunks) == -1, (fail_after, short)
            assert _read(p) == old, (fail_after, short)
            assert os.listdir(d) == ["settings.bin"], os.listdir(d)  # no .tmp left
            assert fops.open_fds == 0
            assert fops.written <= fail_after
    # the very same write with room enough succeeds
    fops = RecordingFops(fail_after=len(new))
    assert lws_plat_file_write_atomic(fops, WSI, p, [new[:1000], new[1000:]]) == 0
    assert _read(p) == new


def test_atomic_write_chunks_raising_leaves_no_temp_file():
    d = _dir("atomic_raise")
    p = d + "/f.txt"
    write_file(p, b"original")

    def chunks():
        yield b"partial new content"
        raise ValueError("source went away")

    fops = RecordingFops()
    try:
        lws_plat_file_write_atomic(fops, WSI, p, chunks())
    except ValueError:
        pass
    else:
        raise AssertionError("the error from the chunk source must reach the caller")
    assert _read(p) == b"original"
    assert os.listdir(d) == ["f.txt"]
    assert fops.open_fds == 0


def test_atomic_write_where_temp_cannot_be_made():
    d = _dir("atomic_nodir")
    assert lws_plat_file_write_atomic(FOPS, WSI, d + "/no/such/dir.txt", [b"x"]) == -1
    assert os.listdir(d) == []


def test_atomic_write_on_fat():
    # FAT is what some boards format their flash with; only MicroPython
    # has the VFS to mount an image in-process.
    if not IS_MICROPYTHON:
        from support import skip

        skip("VfsFat images mount only under MicroPython")
    import vfs

    bdev = FileBlockDevice(SCRATCH + "fops_fat.img", 512, 256)
    vfs.VfsFat.mkfs(bdev)
    mnt = "/fat_fops"
    try:
        vfs.umount(mnt)
    except OSError:
        pass
    vfs.mount(vfs.VfsFat(bdev), mnt)
    try:
        p = mnt + "/wifi.cfg"
        write_file(p, b"old")
        assert lws_plat_file_write_atomic(FOPS, WSI, p, [b"new ", b"content"]) == 0
        assert _read(p) == b"new content"
        fops = RecordingFops(fail_after=2)
        assert lws_plat_file_write_atomic(fops, WSI, p, [b"abcdef"]) == -1
        assert _read(p) == b"new content"
        assert [n.lower() for n in os.listdir(mnt)] == ["wifi.cfg"]
    finally:
        vfs.umount(mnt)
