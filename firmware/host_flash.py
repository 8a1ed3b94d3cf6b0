"""A board's flash on the host: a LittleFS v2 image file mounted at /flash.

The MicroPython unix port runs the firmware against it exactly as a board
would against its internal flash.  An image that is already there, of the
same geometry, is kept (what the app wrote to it survives a restart, as on
a board) and only its copy of the app's assets is replaced at each start,
so it always holds the current files; any other image is made anew.
"""

import os


class FileBlockDevice:
    def __init__(self, path, block_size, block_count, keep=False):
        self.block_size = block_size
        self.block_count = block_count
        self.kept = False
        if keep:
            try:
                if os.stat(path)[6] == block_size * block_count:
                    self.f = open(path, "r+b")
                    self.kept = True
                    return
            except OSError:
                pass
        self.f = open(path, "w+b")
        zero = bytes(block_size)  # a block at a time: fits a capped heap
        for _ in range(block_count):
            self.f.write(zero)
        self.f.flush()

    def readblocks(self, block, buf, offset=0):
        self.f.seek(block * self.block_size + offset)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        # no flush: on the unix port it is an fsync (seconds per megabyte of
        # assets); write() has put the bytes in the image file already, for
        # this process and the next start alike
        self.f.seek(block * self.block_size + (offset or 0))
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.block_count
        if op == 5:
            return self.block_size
        return 0


def _copy_tree(src, dst):
    try:
        os.mkdir(dst)
    except OSError:
        pass
    for name in os.listdir(src):
        s = src + "/" + name
        d = dst + "/" + name
        if os.stat(s)[0] & 0x4000:
            _copy_tree(s, d)
        else:
            with open(s, "rb") as fi, open(d, "wb") as fo:
                buf = bytearray(1024)
                while True:
                    n = fi.readinto(buf)
                    if not n:
                        break
                    fo.write(buf[:n] if n < len(buf) else buf)


def _remove_tree(path):
    try:
        st = os.stat(path)
    except OSError:
        return
    if st[0] & 0x4000:
        for name in os.listdir(path):
            _remove_tree(path + "/" + name)
        os.rmdir(path)
    else:
        os.remove(path)


def mount(image, assets, block_size=4096, block_count=256, mountpoint="/flash"):
    """Mount ``image`` (kept if it holds a LittleFS of this geometry, else
    made anew) with a fresh copy of ``assets`` at ``www``; returns the path
    of the assets on it."""
    import vfs

    try:
        vfs.umount(mountpoint)  # a restart in the same process
    except OSError:
        pass
    bdev = FileBlockDevice(image, block_size, block_count, keep=True)
    fs = None
    if bdev.kept:
        try:
            fs = vfs.VfsLfs2(bdev)
        except OSError:
            fs = None
    if fs is None:
        vfs.VfsLfs2.mkfs(bdev)
        fs = vfs.VfsLfs2(bdev)
    vfs.mount(fs, mountpoint)
    root = mountpoint + "/www"
    _remove_tree(root)
    _copy_tree(assets, root)
    return root
