"""Platform file ops (struct lws_plat_file_ops) over any VFS.

Python rule for the C out-parameters: ``open`` returns ``(fd, filelen)``
(fd None when it fails), ``read``/``write`` return the amount moved (-1 on
error), ``seek_cur`` returns the new position (-1 on error).  ``stat`` is
an extra returning ``(size, mtime)`` or None; it feeds ETags.

The default works over MicroPython's VfsPosix / VfsLfs2 / VfsFat and CPython
files alike; a firmware can pass its own object as ``info.fops``.

LittleFS as MicroPython builds it does not refuse ``write`` on a file opened
LWS_O_RDONLY (littlefs checks that with an assert, compiled out): such a
write changes the flash.  Open for writing to write.
"""

from . import _port
from ._port import micropython  # @micropython.native

LWS_O_RDONLY = 0
LWS_O_WRONLY = 1
LWS_O_RDWR = 2
LWS_O_CREAT = 0x40
LWS_O_TRUNC = 0x200


class lws_plat_file_ops:
    def open(self, wsi, filename, flags=LWS_O_RDONLY):
        st = _port.file_stat(filename)
        if flags & 3 == LWS_O_RDONLY:
            if st is None:
                return None, 0
            mode = "rb"
        elif flags & LWS_O_TRUNC or st is None:
            if not flags & LWS_O_CREAT and st is None:
                return None, 0
            mode = "w+b" if flags & 3 == LWS_O_RDWR else "wb"
        else:
            mode = "r+b"
        try:
            f = open(filename, mode)
        except OSError:
            return None, 0
        return f, (st[0] if st is not None and mode != "wb" and mode != "w+b" else 0)

    @micropython.native
    def open_known(self, wsi, filename):
        """open for reading a file just stat'ed (its length is known): the
        file, or None."""
        try:
            return open(filename, "rb")
        except OSError:
            return None

    @micropython.native
    def close(self, wsi, fd):
        try:
            fd.close()
        except OSError:
            return -1
        return 0

    def seek_cur(self, wsi, fd, offset_from_cur_pos):
        try:
            return fd.seek(offset_from_cur_pos, 1)
        except OSError:
            return -1

    @micropython.native
    def read(self, wsi, fd, buf, len_):
        try:
            n = _port.readinto(fd, buf, len_)
        except OSError:
            return -1
        return n or 0

    def write(self, wsi, fd, buf, len_):
        try:
            n = fd.write(memoryview(buf)[:len_])
        except OSError:
            return -1
        return len_ if n is None else n

    def stat(self, wsi, filename):
        return _port.file_stat(filename)


def send_file_pieces(f, sock, buf, left):
    """Read file ``f`` into ``buf`` and send each piece to ``sock`` as it
    is read, until ``left`` bytes are out or the socket is full (what it
    did not take is given back to the file by a seek): the bytes sent, or
    -1 if the file ended early.  Raises OSError.  One call per writable,
    instead of a read and a send call through the file ops and the output
    layer for every piece."""
    size = len(buf)
    sent = 0
    while left:
        n = left if left < size else size
        got = _port.readinto(f, buf, n)
        if not got:
            return -1
        took = _port.send_part(sock, buf, 0, got)
        sent += took
        left -= took
        if took < got:
            f.seek(took - got, 1)
            break
    return sent


def lws_plat_file_write_atomic(fops, wsi, filename, chunks):
    """Write ``chunks`` (an iterable of buffers) to ``filename`` atomically.

    The data goes to ``filename + '.tmp'`` first and is renamed over the old
    file only when complete: a reset mid-write leaves the old file or the
    new one, never a torn one.  Returns 0, or -1 (the old file untouched).
    """
    tmp = filename + ".tmp"
    fd, _ = fops.open(wsi, tmp, LWS_O_WRONLY | LWS_O_CREAT | LWS_O_TRUNC)
    if fd is None:
        return -1
    ok = True
    try:
        for c in chunks:
            n = len(c)
            if fops.write(wsi, fd, c, n) != n:
                ok = False
                break
    except BaseException:
        # the chunk source failed: no open file, no temp file left behind
        fops.close(wsi, fd)
        _port.remove(tmp)
        raise
    if fops.close(wsi, fd) or not ok:
        _port.remove(tmp)
        return -1
    try:
        _port.rename(tmp, filename)
    except OSError:
        # some VFS refuse to rename over an existing file
        _port.remove(filename)
        try:
            _port.rename(tmp, filename)
        except OSError:
            return -1
    return 0
