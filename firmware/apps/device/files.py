"""The Files page's area of the flash (``<flash>/files``): list, download,
upload, delete, rename.

An upload streams from HTTP_BODY into a hidden temporary file and is
renamed into place only when whole, so a failed one leaves the flash as it
was.  It is refused before a byte is written when its Content-Length plus
a reserve does not fit the free flash, and stopped when the free space
falls to the reserve while it is written (a chunked upload, or the flash
filling from elsewhere): the temporary file is removed and the answer is
507 with the figures.  A refused upload's body is read and dropped, so the
browser gets the answer instead of a reset connection.

Paths are checked here as well as by lws_mp's URL normalisation: no
empty, ".", ".." or hidden component, no backslash or control character.
"""

from lws_mp import (
    LWS_WRITE_HTTP,
    LWS_WRITE_HTTP_FINAL,
    LWS_WRITE_HTTP_HEADERS,
    lws_add_http_header_by_name,
    lws_add_http_header_content_length,
    lws_add_http_header_status,
    lws_callback_on_writable,
    lws_finalize_http_header,
    lws_http_transaction_completed,
    lws_write,
)

from . import store

MAX_DEPTH = 4
MAX_NAME = 64
CHECK_EVERY = 16384  # bytes written between two looks at the free space


def safe_rel(rel):
    """``rel`` if it is a safe relative path inside the files area, else None."""
    if not isinstance(rel, str) or not rel or len(rel) > 200:
        return None
    parts = rel.split("/")
    if len(parts) > MAX_DEPTH:
        return None
    for p in parts:
        if not p or p[0] == "." or len(p.encode()) > MAX_NAME or "\\" in p:
            return None
        for c in p:
            if ord(c) < 32 or ord(c) == 127:
                return None
    return rel


def listing(root, prefix=""):
    """[{"name": "dir/file", "size": n}, ...] under ``root``, sorted."""
    out = []
    for n in store.listdir(root):
        if n.startswith("."):
            continue
        p = store.join(root, n)
        st = store.stat(p)
        if st is None:
            continue
        if st[0]:
            out.extend(listing(p, prefix + n + "/"))
        else:
            out.append({"name": prefix + n, "size": st[1]})
    return out


def not_enough(need, free):
    return "not enough flash: the file needs %d bytes and %d are free" % (need, free)


class Upload:
    """One upload in progress: ``feed`` each HTTP_BODY piece, then ``finish``."""

    def __init__(self, dev, rel, length, token):
        self.dev = dev
        self.rel = rel
        self.final = store.join(dev.files_dir, rel)
        self.tmp = store.join(dev.files_dir, ".up-%s.tmp" % token)
        self.length = length  # -1: chunked
        self.written = 0
        self.next_check = CHECK_EVERY
        self.f = None
        self.refusal = None  # (code, message, extra fields) once refused

    def begin(self):
        dev = self.dev
        if self.length > dev.max_file:
            self.refuse(413, "the file is larger than the %d bytes a file may have"
                        % dev.max_file)
            return
        free = dev.space()[1]
        if self.length >= 0 and self.length + dev.reserve > free:
            self.refuse(507, not_enough(self.length, max(0, free - dev.reserve)),
                        need=self.length, free=max(0, free - dev.reserve))
            return
        st = store.stat(self.final)
        if st is not None and st[0]:
            self.refuse(409, "a folder of that name is there")
            return
        try:
            parent = self.final.rsplit("/", 1)[0]
            store.makedirs(parent)
            self.f = store.fs.open(self.tmp, "wb")
        except OSError as e:
            self.refuse(507, "the flash refused the file (%s)" % e)

    def refuse(self, code, message, **more):
        if self.refusal is None:
            self.refusal = (code, message, more)
        self.discard()

    def feed(self, mv):
        if self.refusal is not None:
            return  # read and dropped
        n = len(mv)
        if self.written + n > self.dev.max_file:
            self.refuse(413, "the file is larger than the %d bytes a file may have"
                        % self.dev.max_file)
            return
        try:
            if self.f.write(mv) != n:
                raise OSError(28)
        except OSError:
            self.refuse(507, not_enough(self.length if self.length >= 0
                                        else self.written + n, self._free_now()))
            return
        self.written += n
        if self.written >= self.next_check:
            self.next_check = self.written + CHECK_EVERY
            free = self.dev.space()[1]
            left = self.length - self.written if self.length >= 0 else 0
            if free - left < self.dev.reserve:
                need = self.length if self.length >= 0 else self.written
                self.refuse(507, not_enough(need, max(0, self.written + free
                                                      - self.dev.reserve)))

    def _free_now(self):
        free = self.dev.space()[1]
        return max(0, free + self.written - self.dev.reserve)

    def finish(self):
        """(code, body) of the answer, once the whole body has come."""
        if self.refusal is None:
            try:
                f = self.f
                self.f = None
                f.close()
                if self.length >= 0 and self.written != self.length:
                    raise OSError(5)
                store.fs.rename(self.tmp, self.final)
            except OSError:
                self.refuse(507, not_enough(self.written, self._free_now()))
        if self.refusal is not None:
            code, message, more = self.refusal
            body = {"error": message}
            for k, v in more.items():
                body[k] = v
            return code, body
        self.dev.space_changed()
        return 201, {"name": self.rel, "size": self.written}

    def discard(self):
        """Close and remove the temporary file (a refusal, a dropped peer)."""
        f = self.f
        self.f = None
        if f is not None:
            try:
                f.close()
            except OSError:
                pass
            store.remove_quietly(self.tmp)
            self.dev.space_changed()


class Download:
    def __init__(self, f, remaining):
        self.f = f
        self.remaining = remaining

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None


def start_download(dev, wsi, rel):
    """Send the headers and start streaming; (None) or an error (code, msg)."""
    path = store.join(dev.files_dir, rel)
    st = store.stat(path)
    if st is None or st[0]:
        return None, (404, "no such file")
    try:
        f = open(path, "rb")
    except OSError:
        return None, (404, "no such file")
    name = rel.rsplit("/", 1)[-1].replace('"', "")
    head = bytearray()
    if lws_add_http_header_status(wsi, 200, head) or \
            lws_add_http_header_by_name(wsi, "Content-Type:", "application/octet-stream", head) or \
            lws_add_http_header_by_name(wsi, "Content-Disposition:",
                                        'attachment; filename="%s"' % name, head) or \
            lws_add_http_header_by_name(wsi, "Cache-Control:", "no-store", head) or \
            lws_add_http_header_content_length(wsi, st[1], head) or \
            lws_finalize_http_header(wsi, head) or \
            lws_write(wsi, head, len(head), LWS_WRITE_HTTP_HEADERS) < 0:
        f.close()
        return None, (500, "could not answer")
    d = Download(f, st[1])
    if not st[1]:
        lws_write(wsi, b"", 0, LWS_WRITE_HTTP_FINAL)
    lws_callback_on_writable(wsi)
    return d, None


def download_writeable(dev, wsi, d):
    """One piece of the file per HTTP_WRITEABLE; the callback's return value."""
    if d.remaining <= 0:
        d.close()
        return -1 if lws_http_transaction_completed(wsi) else 0
    buf = dev.io_buf
    n = d.remaining if d.remaining < len(buf) else len(buf)
    got = d.f.readinto(memoryview(buf)[:n])
    if not got:
        d.close()
        return -1
    d.remaining -= got
    last = d.remaining <= 0
    if lws_write(wsi, buf, got, LWS_WRITE_HTTP_FINAL if last else LWS_WRITE_HTTP) < 0:
        d.close()
        return -1
    if last:
        d.close()
        return -1 if lws_http_transaction_completed(wsi) else 0
    lws_callback_on_writable(wsi)
    return 0


def delete(dev, rel):
    """(code, message)"""
    path = store.join(dev.files_dir, rel)
    st = store.stat(path)
    if st is None:
        return 404, "no such file"
    try:
        if st[0]:
            if store.listdir(path):
                return 409, "the folder is not empty"
            store.fs.rmdir(path)
        else:
            store.fs.remove(path)
    except OSError as e:
        return 500, "the flash refused (%s)" % e
    dev.space_changed()
    return 200, None


def rename(dev, rel, new_rel):
    src = store.join(dev.files_dir, rel)
    dst = store.join(dev.files_dir, new_rel)
    if store.stat(src) is None:
        return 404, "no such file"
    if store.stat(dst) is not None:
        return 409, "%s is already there" % new_rel
    try:
        store.makedirs(dst.rsplit("/", 1)[0])
        store.fs.rename(src, dst)
    except OSError as e:
        return 500, "the flash refused (%s)" % e
    return 200, None
