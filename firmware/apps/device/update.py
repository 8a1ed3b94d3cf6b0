"""App update: a bundle streamed in, checked, written beside the running app.

A bundle is a plain (ustar) tar file, as ``tools/device/make_bundle.py``
makes it:

    manifest.json    first: {"format": "lws_mp-device-bundle/1", "app": "device",
                     "version": "1.1", "files": [{"path": "device/app.py",
                     "size": 1234, "sha256": "<hex>"}, ...]}
    device/...       the app's package (.py or .mpy) and its www/ assets

It streams from HTTP_BODY straight into the slot that is not running (see
slots.py), hashed as it goes; nothing of it is held in RAM but the
manifest and one 512-byte tar header.  Each file must be listed in the
manifest with its size and sha256, and every listed file must come; once
all are written they are read back from the flash and hashed again, the
manifest is written, and only then does one atomic write of the slot state
switch to the new version (on trial until it has come up: slots.py).  Any
failure before that leaves the running app and the state as they were.
"""

import binascii
import hashlib
import json

from . import slots, store
from .files import safe_rel

FORMAT = "lws_mp-device-bundle/1"
MAX_MANIFEST = 8192
MAX_BUNDLE = 512 * 1024


class BundleError(Exception):
    """What is wrong with a bundle; ``code`` is the HTTP status to answer."""

    def __init__(self, message, code=400):
        super().__init__(message)
        self.code = code


def _octal(b):
    s = bytes(b).rstrip(b"\x00 ").strip()
    try:
        return int(s, 8) if s else 0
    except ValueError:
        raise BundleError("not a tar file (bad number in a header)")


def _cstr(b):
    b = bytes(b)
    i = b.find(b"\x00")
    return (b if i < 0 else b[:i]).decode()


def _hex(h):
    return binascii.hexlify(h.digest()).decode()


def check_manifest(m):
    """The manifest's files as {path: (size, sha256)}; BundleError if wrong."""
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise BundleError("manifest.json: not a %s manifest" % FORMAT)
    if m.get("app") != slots.PACKAGE:
        raise BundleError("manifest.json: the bundle is for %r, not this app" % m.get("app"))
    v = m.get("version")
    if not isinstance(v, str) or not 0 < len(v) <= 32:
        raise BundleError("manifest.json: no version")
    files = {}
    total = 0
    for e in m.get("files") or ():
        try:
            path, size, sha = e["path"], int(e["size"]), e["sha256"]
        except (KeyError, TypeError, ValueError):
            raise BundleError("manifest.json: a file entry lacks path, size or sha256")
        if not isinstance(path, str) or not path.startswith(slots.PACKAGE + "/") or \
                safe_rel(path) is None or path in files:
            raise BundleError("manifest.json: bad or repeated path %r" % (path,))
        if not isinstance(sha, str) or len(sha) != 64 or size < 0:
            raise BundleError("manifest.json: bad size or sha256 for %s" % path)
        files[path] = (size, sha.lower())
        total += size
    for need in ("__init__", "app"):
        p = slots.PACKAGE + "/" + need
        if p + ".py" not in files and p + ".mpy" not in files:
            raise BundleError("manifest.json: the bundle has no %s.py or .mpy" % p)
    if total > MAX_BUNDLE:
        raise BundleError("the app is %d bytes; at most %d fit" % (total, MAX_BUNDLE))
    return files, total


class Installer:
    """Feed it the bundle's bytes in any pieces; ``finish`` answers."""

    def __init__(self, dev):
        self.dev = dev
        self.flash = dev.flash
        self.slot = slots.staging_slot(slots.read_state(self.flash))
        self.dir = slots.slot_dir(self.flash, self.slot)
        self.hdr = bytearray(512)
        self.hfill = 0
        self.left = 0  # data bytes of the member being read
        self.pad = 0  # padding bytes after it
        self.member = None  # path of the member being read
        self.sink = None  # its open file on the flash
        self.hash = None
        self.mbuf = None  # the manifest, gathered
        self.manifest = None
        self.files = {}  # path -> (size, sha256), from the manifest
        self.done = {}
        self.ended = False
        self.error = None  # (code, message)
        self.version = None

    def begin(self, length):
        try:
            slots.release(self.flash, self.slot)
            store.remove_tree(self.dir)
            store.makedirs(self.dir)
        except OSError as e:
            return self.fail(507, "the flash refused the update (%s)" % e)
        if length > MAX_BUNDLE + MAX_MANIFEST + 512 * 512:
            self.fail(413, "the bundle is larger than an app may be")

    def fail(self, code, message):
        if self.error is None:
            self.error = (code, message)
        self.close_sink()
        try:
            store.remove_tree(self.dir)
        except OSError:
            pass
        self.dev.space_changed()

    def close_sink(self):
        if self.sink is not None:
            try:
                self.sink.close()
            except OSError:
                pass
            self.sink = None

    def feed(self, mv):
        if self.error is not None:
            return
        try:
            self._feed(memoryview(mv))
        except BundleError as e:
            self.fail(e.code, str(e))
        except OSError as e:
            self.fail(507, "the flash refused the update (%s)" % e)

    def _feed(self, mv):
        pos = 0
        n = len(mv)
        while pos < n:
            if self.ended:
                return  # the tar's zero blocks and anything after them
            if self.left:
                take = min(self.left, n - pos)
                self._data(mv[pos:pos + take])
                self.left -= take
                pos += take
                if not self.left:
                    self._member_done()
            elif self.pad:
                take = min(self.pad, n - pos)
                self.pad -= take
                pos += take
            else:
                take = min(512 - self.hfill, n - pos)
                self.hdr[self.hfill:self.hfill + take] = mv[pos:pos + take]
                self.hfill += take
                pos += take
                if self.hfill == 512:
                    self.hfill = 0
                    self._header()

    def _header(self):
        h = self.hdr
        if not any(h):
            self.ended = True
            return
        chk = _octal(h[148:156])
        if sum(h[:148]) + 8 * 32 + sum(h[156:]) != chk:
            raise BundleError("not a tar file (header checksum)")
        name = _cstr(h[0:100])
        if bytes(h[257:262]) == b"ustar":
            prefix = _cstr(h[345:500])
            if prefix:
                name = prefix + "/" + name
        size = _octal(h[124:136])
        kind = h[156]
        self.pad = (512 - size % 512) % 512
        if kind == 0x35:  # a directory: made as its files come
            self.left = 0
            return
        if kind not in (0, 0x30):
            raise BundleError("%s: only plain files may be in a bundle" % name)
        if name.startswith("./"):
            name = name[2:]
        self.left = size
        self.member = name
        if self.manifest is None:
            if name != "manifest.json":
                raise BundleError("manifest.json must come first in the bundle")
            if size > MAX_MANIFEST:
                raise BundleError("manifest.json is too large")
            self.mbuf = bytearray()
            if not size:
                self._member_done()
            return
        if name not in self.files:
            raise BundleError("%s is not in the manifest" % name)
        if name in self.done:
            raise BundleError("%s comes twice" % name)
        if size != self.files[name][0]:
            raise BundleError("%s: %d bytes, the manifest says %d"
                              % (name, size, self.files[name][0]))
        path = store.join(self.dir, name)
        store.makedirs(path.rsplit("/", 1)[0])
        self.sink = store.fs.open(path, "wb")
        self.hash = hashlib.sha256()
        if not size:
            self._member_done()

    def _data(self, mv):
        if self.manifest is None:
            self.mbuf.extend(mv)
            return
        if self.sink.write(mv) != len(mv):
            raise OSError(28)
        self.hash.update(mv)

    def _member_done(self):
        name = self.member
        self.member = None
        if self.manifest is None:
            try:
                m = json.loads(bytes(self.mbuf))
            except ValueError:
                raise BundleError("manifest.json is not JSON")
            self.mbuf = None
            self.files, total = check_manifest(m)
            # each file takes whole blocks of the flash
            bs = store.block_size(self.flash)
            total = 0
            for size, _ in self.files.values():
                total += (size + bs - 1) // bs * bs
            free = self.dev.space()[1]
            if total + self.dev.reserve > free:
                raise BundleError("not enough flash: the app needs %d bytes and %d are free"
                                  % (total, max(0, free - self.dev.reserve)), 507)
            self.manifest = m
            self.version = m["version"]
            return
        self.close_sink()
        got = _hex(self.hash)
        self.hash = None
        if got != self.files[name][1]:
            raise BundleError("%s: its sha256 does not match the manifest" % name)
        self.done[name] = True

    def finish(self):
        """(code, body): the answer once the whole bundle has come."""
        if self.error is None:
            try:
                self._complete()
            except BundleError as e:
                self.fail(e.code, str(e))
            except OSError as e:
                self.fail(507, "the flash refused the update (%s)" % e)
        if self.error is not None:
            return self.error[0], {"error": self.error[1]}
        self.dev.space_changed()
        return 200, {"version": self.version, "slot": self.slot, "restart": True}

    def _complete(self):
        if self.manifest is None or self.left or self.member is not None:
            raise BundleError("the bundle ended early")
        for path in self.files:
            if path not in self.done:
                raise BundleError("%s is in the manifest but not in the bundle" % path)
        # read back what the flash holds: what will be imported is checked
        buf = self.dev.io_buf
        mv = memoryview(buf)
        for path, (_size, sha) in self.files.items():
            h = hashlib.sha256()
            with open(store.join(self.dir, path), "rb") as f:
                while True:
                    n = f.readinto(buf)
                    if not n:
                        break
                    h.update(mv[:n])
            if _hex(h) != sha:
                raise OSError(5)  # written, but not what was sent: the flash
        store.write_json(store.join(self.dir, "manifest.json"), self.manifest)
        slots.installed(self.flash, self.slot, self.version, self.dev.boot)

    def abort(self):
        """The connection went before the end: nothing changes."""
        if self.error is None:
            self.fail(400, "the upload stopped")
