"""The plugin's fixtures, written once for CPython and MicroPython.

pytest's fixtures (plugin.py) and the MicroPython runner (mp_main.py) both
make a test's fixtures through ``Env``: whatever the interpreter, a test
gets the same objects from the same code.

    lws_flash    Flash: a scratch directory on CPython; on MicroPython a
                 LittleFS v2 image (a file) mounted like a board's flash.
                 Filled from the test module's ``lws_flash_files``.
    lws_clock    Clock: lws_mp's ticks (and wall time) made to run ahead
                 when the test says, through the platform layer: timeouts
                 come due without sleeping.
    lws_context  the lws context of the test module's app, listening on a
                 free loopback port (``ctx.port``), serviced by the
                 clients; destroyed after the test.
    lws_client   Client (lws_mp.testing.TestClient) connected to it.

What the test module names (module-level attributes):

    lws_app = myapp              a firmware app: make_info(port, iface,
                                 root, **opts), optional TICK_MS / tick(ctx)
    lws_app_options = {...}      extra make_info options (optional)
    def lws_info(flash): ...     or: the creation info itself (port and
                                 iface are filled in)
    lws_flash_files = {...}      name -> bytes/str, or a directory (relative
                                 to the test file) copied onto the flash
"""

import os
import sys

IS_MICROPYTHON = sys.implementation.name == "micropython"

NAMES = ("lws_flash", "lws_clock", "lws_context", "lws_client")


class UsageError(Exception):
    """The test module does not say what a fixture needs."""


# ---------------------------------------------------------------- paths


def _is_dir(path):
    try:
        return os.stat(path)[0] & 0x4000 != 0
    except OSError:
        return False


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _makedirs(path):
    if not path or _is_dir(path):
        return
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    if parent and parent != path:
        _makedirs(parent)
    try:
        os.mkdir(path)
    except OSError:
        if not _is_dir(path):
            raise


def _rmtree(path):
    if _is_dir(path):
        for n in os.listdir(path):
            _rmtree(path + "/" + n)
        os.rmdir(path)
    elif _exists(path):
        os.remove(path)


def _copy_file(src, dst):
    buf = bytearray(1024)  # a piece at a time: fits a board's heap
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        while True:
            n = fi.readinto(buf)
            if not n:
                break
            fo.write(buf if n == len(buf) else buf[:n])


def _copy_tree(src, dst):
    _makedirs(dst)
    for name in os.listdir(src):
        s = src + "/" + name
        if _is_dir(s):
            _copy_tree(s, dst + "/" + name)
        else:
            _copy_file(s, dst + "/" + name)


def _module_dir(module):
    f = getattr(module, "__file__", None) or ""
    return f.rsplit("/", 1)[0] if "/" in f else "."


# ---------------------------------------------------------------- flash


class FileBlockDevice:
    """A block device over a regular file (MicroPython's vfs protocol)."""

    def __init__(self, path, block_size, block_count):
        self.block_size = block_size
        self.block_count = block_count
        self.f = open(path, "w+b")
        zero = bytes(block_size)
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
        if op == 4:  # block count
            return self.block_count
        if op == 5:  # block size
            return self.block_size
        return 0

    def close(self):
        self.f.close()


_mounts = [0]


class Flash:
    """A test's flash.  ``root`` is the directory to serve from and to
    write uploads to; on MicroPython it is the mount point of a fresh
    LittleFS v2 image (``image``), on CPython a directory."""

    def __init__(self, tmp, block_size=4096, block_count=128):
        self.image = None
        self._bdev = None
        if IS_MICROPYTHON:
            try:
                import vfs
            except ImportError:  # MicroPython before 1.23
                vfs = os
            _mounts[0] += 1
            self.root = "/lws_flash%d" % _mounts[0]
            self.image = tmp + "/flash.img"
            self._bdev = FileBlockDevice(self.image, block_size, block_count)
            vfs.VfsLfs2.mkfs(self._bdev)
            vfs.mount(vfs.VfsLfs2(self._bdev), self.root)
            self._vfs = vfs
        else:
            self.root = tmp + "/flash"
            _makedirs(self.root)

    @property
    def littlefs(self):
        return self.image is not None

    def path(self, name):
        return self.root + "/" + name.lstrip("/")

    def write(self, name, data):
        """Put a file on the flash (directories made as needed)."""
        if isinstance(data, str):
            data = data.encode()
        p = self.path(name)
        _makedirs(p.rsplit("/", 1)[0])
        with open(p, "wb") as f:
            f.write(data)
        return p

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def exists(self, name):
        return _exists(self.path(name))

    def remove(self, name):
        _rmtree(self.path(name))

    def listdir(self, name=""):
        return sorted(os.listdir(self.path(name) if name else self.root))

    def fill(self, files, base="."):
        """``files``: name -> bytes/str, or a directory (relative to
        ``base``) whose tree is copied onto the flash."""
        if isinstance(files, str):
            src = files if files.startswith("/") else base + "/" + files
            _copy_tree(src, self.root)
            return
        for name in files:
            self.write(name, files[name])

    def close(self):
        if self._bdev is not None:
            try:
                self._vfs.umount(self.root)
            except OSError:
                pass
            self._bdev.close()
            self._bdev = None

    def __repr__(self):
        return "<Flash %s%s>" % (self.root, " (LittleFS %s)" % self.image if self.image else "")


# ---------------------------------------------------------------- clock


class Clock:
    """lws_mp's clock, run ahead on demand.

    While installed, the platform layer's ``ticks_ms`` (every timeout,
    ping interval and sweep in lws_mp reads it) and ``wall_time`` return
    the real values plus ``offset_ms``.  ``advance(30)`` moves them 30 s on
    at once; the next service step sees the time passed (the 1 Hz sweep
    runs, timeouts that came due close their connections).  Nothing sleeps.
    """

    def __init__(self):
        from lws_mp.plat import _port

        self._port = _port
        self._ticks = _port.ticks_ms
        self._wall = _port.wall_time
        self._add = _port.ticks_add
        self.offset_ms = 0
        # bound once: MicroPython makes a new bound method at each lookup
        self._installed = self.ticks_ms
        _port.ticks_ms = self._installed
        _port.wall_time = self.wall_time

    def ticks_ms(self):
        return self._add(self._ticks(), self.offset_ms)

    def wall_time(self):
        return self._wall() + self.offset_ms // 1000

    def advance(self, seconds=0, ms=0):
        """Move the clock on by ``seconds`` (may be a float) plus ``ms``."""
        step = int(seconds * 1000) + ms
        if step < 0:
            raise ValueError("the clock only goes forward")
        self.offset_ms += step
        return self.offset_ms

    def close(self):
        if self._port.ticks_ms is self._installed:
            self._port.ticks_ms = self._ticks
            self._port.wall_time = self._wall

    def __repr__(self):
        return "<Clock +%d ms>" % self.offset_ms


# ---------------------------------------------------------------- context


def _traceback_text(e):
    if IS_MICROPYTHON:
        import io

        buf = io.StringIO()
        sys.print_exception(e, buf)
        return buf.getvalue()
    import traceback

    return "".join(traceback.format_exception(type(e), e, e.__traceback__))


class CallbackError(AssertionError):
    """A callback raised while the test ran."""


class CallbackErrors:
    """What lws_mp contained while the test ran: an exception a callback
    raised is logged and closes only its connection, so a test may well
    pass around it.  Every exception lws_mp prints (through the platform
    layer's print_exception) is kept, and closing fails the test with the
    first one's traceback.  A test module that raises on purpose sets
    ``lws_callback_errors_fail = False``."""

    def __init__(self):
        from lws_mp.plat import _port

        self._port = _port
        self._print = _port.print_exception
        self.errors = []
        _port.print_exception = self._record

    def _record(self, e):
        self.errors.append(_traceback_text(e))
        self._print(e)

    def close(self):
        self._port.print_exception = self._print
        if self.errors:
            raise CallbackError(
                "lws_mp caught %d exception(s) from the server side while the test ran "
                "(each closed its connection); the first:\n%s"
                % (len(self.errors), self.errors[0]))



_client = []
_CLIENT_READ = 1024


def _client_class():
    if _client:
        return _client[0]
    from lws_mp.testing import TestClient

    class Client(TestClient):
        """A TestClient whose waits service the fixture's context (and
        the app's tick); ``another()`` opens one more connection."""

        def __init__(self, *args, **kw):
            self._spawned = []
            super().__init__(*args, **kw)
            if IS_MICROPYTHON and len(getattr(self, "_buf", b"")) > _CLIENT_READ:
                # the client shares the heap with the server under test (on
                # a board it would not be there at all): small reads
                self._buf = bytearray(_CLIENT_READ)

        def another(self, **kw):
            c = Client(self.ctx, self.port, service=self._step, **kw)
            c._spawned = self._spawned  # one list: the first client closes them all
            self._spawned.append(c)
            return c

        def close_all(self):
            for c in self._spawned:
                c.close()
            self.close()

    if not IS_MICROPYTHON:
        Client.__qualname__ = "Client"
    _client.append(Client)
    return Client


class Served:
    """A context and the app's own tick: one step of the server."""

    def __init__(self, ctx, app):
        from lws_mp.plat import _port

        self._port = _port
        self.ctx = ctx
        self.tick = getattr(app, "tick", None)
        self.tick_ms = getattr(app, "TICK_MS", 0) or 0
        self.last = _port.ticks_ms()

    def step(self):
        from lws_mp import lws_service

        lws_service(self.ctx, 0)
        if self.tick is not None and self.tick_ms:
            now = self._port.ticks_ms()
            if self._port.ticks_diff(now, self.last) >= self.tick_ms:
                self.last = now
                self.tick(self.ctx)


def _info_maker(module, flash, defaults=None):
    info_fn = getattr(module, "lws_info", None)
    app = getattr(module, "lws_app", None)
    if info_fn is not None:
        return (lambda port: info_fn(flash)), None
    if app is not None:
        if not hasattr(app, "make_info"):
            raise UsageError("lws_app must be a firmware app: a module with "
                             "make_info(port, iface, root, **opts)")
        opts = dict(defaults or {})
        opts.update(getattr(module, "lws_app_options", None) or {})
        return (lambda port: app.make_info(port, "127.0.0.1", flash.root, **opts)), app
    raise UsageError("lws_context needs the test module to name its server: "
                     "lws_app = <firmware app module>, or def lws_info(flash) "
                     "returning an lws_context_creation_info")


def _port_free(port):
    import socket

    from lws_mp.plat import _port

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(_port.sockaddr("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def create_context(make_info, first_port=0, tries=40):
    """An lws context on a free loopback port from ``make_info(port)``.

    Port 0 first: the library picks a free port where it can and says
    which in ``ctx.port``.  Where it cannot (``ctx.port`` stays 0), ports
    from ``first_port`` on are tried in turn."""
    from lws_mp import lws_context_destroy, lws_create_context

    def attempt(port):
        info = make_info(port)
        info.port = port
        if not info.iface:
            info.iface = "127.0.0.1"
        return lws_create_context(info)

    ctx = attempt(0)
    if ctx is not None and ctx.port:
        return ctx
    if ctx is not None:
        lws_context_destroy(ctx)
    port = first_port or 20000 + (_seed() * 7) % 12000
    for _ in range(tries):
        if _port_free(port):
            ctx = attempt(port)
            if ctx is None:
                raise RuntimeError("lws_create_context failed on free port %d "
                                   "(the log above says why)" % port)
            return ctx
        port = port + 1 if port < 60000 else 20000
    raise OSError("no free port from %d in %d tries" % (first_port, tries))


def _seed():
    try:
        return os.getpid()
    except AttributeError:
        import time

        return time.ticks_ms() if hasattr(time, "ticks_ms") else int(time.time())


# ---------------------------------------------------------------- one test


class Env:
    """The fixtures of one test, made on first request, closed in reverse.

    ``module`` is the test module (its lws_app / lws_info / lws_flash_files
    say what to build), ``tmp`` a fresh directory for the test's files.
    On a board interpreter ``flash_geometry`` and ``app_defaults`` are the
    board's (boards/NAME/board.py "flash" and "lws"): an lws_app gets the
    board's limits as make_info options, as firmware/main.py --board gives
    them, under the module's own lws_app_options.
    """

    def __init__(self, module, tmp, flash_geometry=None, first_port=0, app_defaults=None):
        self.module = module
        self.tmp = tmp
        self.app_defaults = app_defaults
        self.flash_geometry = flash_geometry or {}
        self.first_port = first_port
        self.values = {}
        self._closers = []
        self.served = None

    def get(self, name):
        if name in self.values:
            return self.values[name]
        if name not in NAMES:
            raise UsageError("no fixture %r on MicroPython (there are: %s)"
                             % (name, ", ".join(NAMES)))
        v = getattr(self, "_make_" + name)()
        self.values[name] = v
        return v

    def _make_lws_flash(self):
        g = self.flash_geometry
        f = Flash(self.tmp, g.get("block_size", 4096), g.get("block_count", 128))
        self._closers.append(f.close)
        files = getattr(self.module, "lws_flash_files", None)
        if files:
            f.fill(files, _module_dir(self.module))
        return f

    def _make_lws_clock(self):
        c = Clock()
        self._closers.append(c.close)
        return c

    def _make_lws_context(self):
        from lws_mp import lws_context_destroy

        flash = self.get("lws_flash")
        make, app = _info_maker(self.module, flash, self.app_defaults)
        if getattr(self.module, "lws_callback_errors_fail", True):
            watch = CallbackErrors()
            self._closers.append(watch.close)
        ctx = create_context(make, self.first_port)
        self.served = Served(ctx, app)
        self._closers.append(lambda: lws_context_destroy(ctx))
        return ctx

    def _make_lws_client(self):
        ctx = self.get("lws_context")
        c = _client_class()(ctx, ctx.port, service=self.served.step, connect=False)
        self._closers.append(c.close_all)
        c.connect()
        return c

    def close(self):
        """Close what was made, last first; the first error is raised
        once everything has been closed."""
        err = None
        while self._closers:
            try:
                self._closers.pop()()
            except Exception as e:
                if err is None:
                    err = e
        self.values = {}
        if err is not None:
            raise err
