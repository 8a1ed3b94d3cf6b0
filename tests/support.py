"""Helpers shared by the library tests on CPython and MicroPython.

The tests run through the lws_mp pytest plugin (lws_mp_pytest, see
docs/TESTING.md): ``pytest tests`` on CPython, ``pytest
--lws-interpreter=micropython tests`` and ``--lws-interpreter=board:NAME``.
A SkipTest raised here is a skip on every interpreter.
"""

import sys

IS_MICROPYTHON = sys.implementation.name == "micropython"


def _scratch():
    # pytest-xdist's workers (the MicroPython process a worker runs
    # inherits its environment) get names of their own: two workers never
    # share a scratch directory or a flash image
    import os

    worker = os.getenv("PYTEST_XDIST_WORKER") if hasattr(os, "getenv") else None
    return "/tmp/lws_mp_test_" + (worker + "_" if worker else "")


SCRATCH = _scratch()  # what every scratch path starts with

try:
    from unittest import SkipTest  # pytest reports it as a skip
except ImportError:  # MicroPython: the runner knows this one

    class SkipTest(Exception):
        pass


def skip(reason):
    raise SkipTest(reason)


def unmask_at(mv, n, mask, phase):
    """The platform's unmask of mv[:n] from ``phase`` of the 4-byte
    ``mask``: the mask's bytes rotated to that phase."""
    from lws_mp.plat import _port

    _port.unmask(mv, n, mask[phase & 3], mask[(phase + 1) & 3], mask[(phase + 2) & 3],
                 mask[(phase + 3) & 3])


def reply(wsi, body, code=200):
    """Answer an HTTP request with ``body`` the lws way (header helpers,
    two writes) and complete the transaction; the callback's return value."""
    from lws_mp import (
        LWS_WRITE_HTTP,
        LWS_WRITE_HTTP_HEADERS,
        lws_add_http_header_content_length,
        lws_add_http_header_status,
        lws_finalize_http_header,
        lws_http_transaction_completed,
        lws_write,
    )

    buf = bytearray()
    lws_add_http_header_status(wsi, code, buf)
    lws_add_http_header_content_length(wsi, len(body), buf)
    lws_finalize_http_header(wsi, buf)
    lws_write(wsi, buf, len(buf), LWS_WRITE_HTTP_HEADERS)
    lws_write(wsi, body, len(body), LWS_WRITE_HTTP)
    return -1 if lws_http_transaction_completed(wsi) else 0


_next_port = [0]


def _port_base():
    import os

    try:
        pid = os.getpid()
    except AttributeError:
        import time

        pid = time.ticks_ms() if hasattr(time, "ticks_ms") else int(time.time())
    return 20000 + (pid * 7) % 12000  # below the ephemeral range


def make_context(info_factory, tries=40):
    """Create a context on a free loopback port: (ctx, port).

    ``info_factory(port)`` returns the creation info.  Port 0 first (the
    library picks a free port and says which in ``ctx.port``); where it
    cannot, ports are tried in turn (lws_mp_pytest.fixtures.create_context).
    A context that cannot be made on a free port raises, with the log.
    """
    from lws_mp import LLL_ERR, lws_set_log_level
    from lws_mp_pytest.fixtures import create_context

    lws_set_log_level(LLL_ERR)
    if not _next_port[0]:
        _next_port[0] = _port_base()
    ctx = create_context(info_factory, _next_port[0], tries)
    if ctx.port >= _next_port[0]:
        _next_port[0] = ctx.port + 1 if ctx.port < 60000 else 20000
    return ctx, ctx.port


def tmp_dir(name):
    """A fresh scratch directory (removed first if it exists)."""
    import os

    base = SCRATCH + name
    rmtree(base)
    os.mkdir(base)
    return base


def rmtree(path):
    import os

    try:
        st = os.stat(path)
    except OSError:
        return
    if st[0] & 0x4000:
        for n in os.listdir(path):
            rmtree(path + "/" + n)
        os.rmdir(path)
    else:
        os.remove(path)


def write_file(path, data):
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)


def FileBlockDevice(path, block_size=4096, block_count=128):
    """A block device over a regular file: the firmware's own host flash."""
    from firmware.host_flash import FileBlockDevice as _Dev

    return _Dev(path, block_size, block_count)


_lfs = {}


def flash_root(name):
    """A directory to serve files from: on MicroPython a LittleFS v2 image
    on a file-backed block device, mounted like a board's flash; on CPython
    a scratch directory.  Returns its path."""
    if not IS_MICROPYTHON:
        return tmp_dir(name)
    import os
    import vfs

    mnt = "/flash_" + name
    if mnt in _lfs:
        try:
            vfs.umount(mnt)
        except OSError:
            pass
    bdev = FileBlockDevice(SCRATCH + name + ".lfs")
    vfs.VfsLfs2.mkfs(bdev)
    vfs.mount(vfs.VfsLfs2(bdev), mnt)
    _lfs[mnt] = bdev
    os.mkdir(mnt + "/www")
    return mnt + "/www"


def is_littlefs(path):
    return IS_MICROPYTHON and path.startswith("/flash_")
