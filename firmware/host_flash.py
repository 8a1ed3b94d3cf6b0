"""A board's flash on the host: a LittleFS v2 image file mounted at /flash.

The MicroPython unix port runs the firmware against it exactly as a board
would against its internal flash.  The image is rebuilt from the app's
asset directory at each start, so it always holds the current files.
"""

import os


class FileBlockDevice:
    def __init__(self, path, block_size, block_count):
        self.block_size = block_size
        self.block_count = block_count
        self.f = open(path, "w+b")
        zero = bytes(block_size)  # a block at a time: fits a capped heap
        for _ in range(block_count):
            self.f.write(zero)
        self.f.flush()

    def readblocks(self, block, buf, offset=0):
        self.f.seek(block * self.block_size + offset)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        self.f.seek(block * self.block_size + (offset or 0))
        self.f.write(buf)
        self.f.flush()

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


def mount(image, assets, block_size=4096, block_count=256, mountpoint="/flash"):
    """Make ``image`` a fresh LittleFS holding ``assets``; returns the path
    of the assets on it."""
    import vfs

    bdev = FileBlockDevice(image, block_size, block_count)
    vfs.VfsLfs2.mkfs(bdev)
    vfs.mount(vfs.VfsLfs2(bdev), mountpoint)
    root = mountpoint + "/www"
    _copy_tree(assets, root)
    return root
