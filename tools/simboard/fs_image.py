"""A LittleFS v2 image of a folder, made with MicroPython's own vfs.VfsLfs2.

    micropython tools/simboard/fs_image.py IMAGE BLOCK_SIZE BLOCK_COUNT SRC
        [--defaults DIR] [--update]

Runs on MicroPython (the board interpreter or the unix port): the image is
what a board's littlefs makes, at the board's block size and count.  SRC's
files go to the image's ``/``; DIR's only where the image has no such file
(the settings a device keeps).  ``--update`` keeps an image that already
holds a filesystem of this geometry (what the board wrote to it, such as
its settings and password, stays) and replaces only SRC's top-level entries;
without it the image is made anew.  Prints one line: files, bytes, and the
free space left.
"""

import os
import sys

import vfs

MOUNT = "/_image"
S_IFDIR = 0x4000


class FileBlockDevice:
    def __init__(self, f, block_size, block_count):
        self.f = f
        self.block_size = block_size
        self.block_count = block_count

    def readblocks(self, block, buf, offset=0):
        self.f.seek(block * self.block_size + offset)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, offset=0):
        self.f.seek(block * self.block_size + offset)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.block_count
        if op == 5:
            return self.block_size
        if op == 6:  # erase
            return 0
        return 0


def is_dir(path):
    try:
        return bool(os.stat(path)[0] & S_IFDIR)
    except OSError:
        return None


def remove_tree(path):
    d = is_dir(path)
    if d is None:
        return
    if d:
        for name in os.listdir(path):
            remove_tree(path + "/" + name)
        os.rmdir(path)
    else:
        os.remove(path)


def copy_file(src, dst, buf):
    n_bytes = 0
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        while True:
            n = fi.readinto(buf)
            if not n:
                break
            fo.write(memoryview(buf)[:n])
            n_bytes += n
    return n_bytes


def copy_tree(src, dst, buf, only_new=False):
    """(files, bytes) copied from ``src`` into ``dst``."""
    files = size = 0
    if not is_dir(dst):
        os.mkdir(dst)
    for name in sorted(os.listdir(src)):
        s = src + "/" + name
        d = dst + "/" + name
        if is_dir(s):
            f, b = copy_tree(s, d, buf, only_new)
        elif only_new and is_dir(d) is not None:
            continue
        else:
            f, b = 1, copy_file(s, d, buf)
        files += f
        size += b
    return files, size


def main(argv):
    update = "--update" in argv
    argv = [a for a in argv if a != "--update"]
    defaults = None
    if "--defaults" in argv:
        i = argv.index("--defaults")
        defaults = argv[i + 1]
        del argv[i:i + 2]
    if len(argv) != 4:
        print(__doc__)
        sys.exit(2)
    image, bs, bc, src = argv[0], int(argv[1]), int(argv[2]), argv[3].rstrip("/")
    size = bs * bc
    f = None
    if update:
        try:
            if os.stat(image)[6] == size:
                f = open(image, "r+b")
        except OSError:
            pass
    fs = None
    if f is not None:
        try:
            fs = vfs.VfsLfs2(FileBlockDevice(f, bs, bc))
        except OSError:
            fs = None
    if fs is None:
        if f is not None:
            f.close()
        f = open(image, "w+b")
        blank = b"\xff" * bs  # erased NOR flash
        for _ in range(bc):
            f.write(blank)
        bdev = FileBlockDevice(f, bs, bc)
        vfs.VfsLfs2.mkfs(bdev)
        fs = vfs.VfsLfs2(bdev)
        update = False
    vfs.mount(fs, MOUNT)
    buf = bytearray(bs)
    try:
        for name in sorted(os.listdir(src)):
            if update:
                remove_tree(MOUNT + "/" + name)
        files, nbytes = copy_tree(src, MOUNT, buf)
        if defaults:
            f2, b2 = copy_tree(defaults.rstrip("/"), MOUNT, buf, only_new=True)
            files += f2
            nbytes += b2
    except OSError as e:
        vfs.umount(MOUNT)
        f.close()
        if e.args and e.args[0] == 28:
            print("fs-image: %s does not fit %d blocks of %d bytes" % (src, bc, bs))
            sys.exit(1)
        raise
    st = os.statvfs(MOUNT)
    vfs.umount(MOUNT)
    f.close()
    print("fs-image: %s: %d files, %d KB on a %d KB LittleFS v2 (%d x %d B blocks), %d KB free%s"
          % (image, files, (nbytes + 1023) // 1024, size // 1024, bc, bs,
             st[0] * st[3] // 1024, " (updated)" if update else ""))


main(sys.argv[1:])
