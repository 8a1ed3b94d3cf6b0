"""The device's flash: paths, JSON files written atomically, free space.

Every change the app makes to the flash goes through ``fs`` (the ``os``
module and ``open``, or a stand-in with the same calls), so a test can make
the flash fail from any step on and check what a reset there would leave.
"""

import json
import os


class _Flash:
    """The real flash: what ``os`` and ``open`` do."""

    def open(self, path, mode="rb"):
        return open(path, mode)

    def rename(self, src, dst):
        os.rename(src, dst)

    def remove(self, path):
        os.remove(path)

    def mkdir(self, path):
        os.mkdir(path)

    def rmdir(self, path):
        os.rmdir(path)


fs = _Flash()

S_IFDIR = 0x4000


def join(a, b):
    return a + b if a.endswith("/") else a + "/" + b


def stat(path):
    """(is_dir, size), or None where nothing is."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (bool(st[0] & S_IFDIR), st[6])


def is_dir(path):
    st = stat(path)
    return st is not None and st[0]


def listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def makedirs(path):
    """Make ``path`` and its parents (absolute or relative); OSError if the
    flash refuses."""
    if not path or is_dir(path):
        return
    parent = path.rsplit("/", 1)[0] if "/" in path.rstrip("/") else ""
    if parent and parent != path:
        makedirs(parent)
    try:
        fs.mkdir(path)
    except OSError:
        if not is_dir(path):
            raise


def remove_tree(path):
    """Remove a file or a directory with everything in it (missing: fine)."""
    st = stat(path)
    if st is None:
        return
    if st[0]:
        for n in listdir(path):
            remove_tree(join(path, n))
        fs.rmdir(path)
    else:
        fs.remove(path)


def remove_quietly(path):
    try:
        fs.remove(path)
    except OSError:
        pass


def read_json(path):
    """The JSON value in ``path``, or None (missing, unreadable, torn)."""
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return None


def write_atomic(path, data):
    """Replace ``path`` with ``data`` (bytes): written to ``path.tmp``, then
    renamed over it, so a reset leaves the old file or the new one.  Raises
    OSError (the old file untouched) if the flash refuses."""
    tmp = path + ".tmp"
    try:
        f = fs.open(tmp, "wb")
        try:
            if f.write(data) != len(data):
                raise OSError(28)  # ENOSPC: a short write
        finally:
            f.close()
        # LittleFS and POSIX both rename over an existing file atomically
        fs.rename(tmp, path)
    except OSError:
        remove_quietly(tmp)
        raise


def write_json(path, value):
    write_atomic(path, json.dumps(value).encode())


def space(path):
    """(total, free) bytes of the filesystem holding ``path``."""
    try:
        st = os.statvfs(path)
    except (OSError, AttributeError):
        return (0, 0)
    frsize = st[1] or st[0]
    return (st[2] * frsize, st[4] * frsize)


def block_size(path):
    try:
        st = os.statvfs(path)
    except (OSError, AttributeError):
        return 4096
    return st[1] or st[0] or 4096
