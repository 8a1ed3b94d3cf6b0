"""Mounts (lws_http_mount): URL prefixes answered from the file ops.

Loaded with the first request of a context that has mounts.
"""

from ..core.context import close_free_wsi
from ..core.conn import release_ah
from ..plat import _port
from ..plat._port import micropython  # @micropython.native
from ..plat.file_ops import lws_plat_file_ops
from ..plat.mime import mime_type
from .http_response import connection_header, send_headers, status_line
from .http_server import lws_http_transaction_completed
from . import serve_file
from .serve_file import (ALL_SENT, client_accepts_gzip, file_ops, finish, hint_stat, name_for,
                         start_file)
from builtins import len, type  # one look-up, not two (docs/ARCHITECTURE.md)


@micropython.native
def match(ctx, uri):
    """The longest mount whose mountpoint holds ``uri`` (the request's
    path: a view of the header table's bytes), or None."""
    # by index: a for loop's iterator takes four words of the frame, which
    # would put it on the heap at every request
    best = None
    longest = -1
    n = len(uri)
    ms = ctx.mounts
    i = 0
    while i < len(ms):
        m = ms[i]
        # (the kept bytes read inline: a call less for each mount)
        mp = m.mountpoint_bytes if m.mountpoint_src is m.mountpoint else _mountpoint(m)
        k = len(mp)
        # "/" holds every path: no view made to compare it
        if longest < k <= n and (k == 1 or uri[:k] == mp) and \
                (k == n or mp[k - 1] == 47 or uri[k] == 47):
            best = m
            longest = k
        i += 1
    return best


def _mountpoint(mount):
    """The mountpoint as bytes, made once and kept with the str it was
    made of (a changed mountpoint is seen)."""
    if mount.mountpoint_src is not mount.mountpoint:
        mount.mountpoint_bytes = mount.mountpoint.encode()
        mount.mountpoint_src = mount.mountpoint
    return mount.mountpoint_bytes


def _file_exists(wsi, fops, path):
    """1 if ``path`` (bytes) is a file (and its stat is hinted), 0 if
    nothing is there, 2 if it is a directory -- or not a file, for file ops
    that cannot tell."""
    if type(fops) is lws_plat_file_ops:
        st = _port.path_stat(path)  # one stat, and no bound method made
        if st is None:
            return 0
        if st == 1:
            return 2
    else:
        st = _ops_stat(wsi, fops, path)
        if type(st) is int:
            return st
    # lws_serve_http_file, next in this same call, takes its ETag (and the
    # length) from this stat instead of making another
    serve_file._hint_path = path  # hint_stat(path, st), without the call
    serve_file._hint_stat = st
    return 1


def _ops_stat(wsi, fops, path):
    """_file_exists with the firmware's own file ops: the stat, or the
    answer (1, 2) when there is none to hint.  (Apart, so that the common
    case's frame stays on the C stack.)"""
    # stat is an extra of lws_mp's file ops: without it, try an open
    stat = getattr(fops, "stat", None)
    path = name_for(fops, path)
    if stat is None:
        fd, _ = fops.open(wsi, path, 0)
        if fd is None:
            return 2
        fops.close(wsi, fd)
        return 1
    st = stat(wsi, path)
    return 2 if st is None else st


@micropython.native  # past 11 words of frame: as bytecode, a heap block a call
def lookup(wsi, mount, uri):
    """What ``mount`` has for ``uri`` (the path's bytes, a view of the
    header table): the file's path, ("redirect", url), or None when it
    has nothing.

    Paths are bytes from the request to the filesystem: on MicroPython
    every new str is first looked for among the interned ones (~3,000
    instructions on the board interpreter), and the VFS makes its own copy
    of a path, of the path's type, for each stat and open; bytes are only
    copied."""
    # the URI past the mountpoint, from its "/" (a normalised URI has one):
    # the path is made in one piece, and for "/" with no view of the URI
    mp = mount.mountpoint_bytes if mount.mountpoint_src is mount.mountpoint \
        else _mountpoint(mount)
    t = len(mp)
    if t and mp[t - 1] == 47:
        t -= 1
    tail = uri if t <= 0 else uri[t:]
    n = len(tail)
    if n <= 1 or tail[n - 1] == 47:
        return _lookup_index(wsi, mount, uri, tail)
    base = mount.origin_bytes if mount.origin_src is mount.origin else _base(mount)
    return _found(wsi, mount, uri, base + tail)


def _base(mount):
    """The mount's origin without its trailing "/", as bytes: made once,
    kept with the origin it was made from (a changed origin is seen)."""
    if mount.origin_src is not mount.origin:
        mount.origin_bytes = mount.origin.rstrip("/").encode()
        mount.origin_src = mount.origin
    return mount.origin_bytes


def _index(mount):
    """The name of a directory's index file, as bytes."""
    return (mount.def_ or "index.html").encode()


def _lookup_index(wsi, mount, uri, tail):
    """lookup of a directory's URI: its index file."""
    base = _base(mount)
    index = _index(mount)
    if not len(tail):
        # the mountpoint itself ("/ui"): its index lives at "/ui/"
        return ("redirect", bytes(uri) + b"/") \
            if _file_exists(wsi, file_ops(wsi.context), base + b"//" + index) == 1 else None
    return _found(wsi, mount, uri, (base + b"/" if len(tail) <= 1 else base + tail) + index)


@micropython.native  # past 11 words of frame: as bytecode, a heap block a call
def _found(wsi, mount, uri, path):
    """lookup's answer for the file ``path``: it, its .gz, a redirect to a
    directory's "/", or None."""
    fops = wsi.context.fops or file_ops(wsi.context)
    found = _file_exists(wsi, fops, path)
    if found == 1:
        return path
    # (asked of the fragment index first, WSI_TOKEN_HTTP_ACCEPT_ENCODING: no
    # call for a request without it; the number, not a name: one global less
    # to look up in this module's table, at every request)
    if wsi.ah.frag_index[21] and client_accepts_gzip(wsi) and \
            _file_exists(wsi, fops, path + b".gz") == 1:
        return path
    if found == 2 and uri[len(uri) - 1] != 47 and \
            _file_exists(wsi, fops, path + b"/" + _index(mount)) == 1:
        return ("redirect", bytes(uri) + b"/")
    return None


@micropython.native
def serve(wsi, mount, target):
    # few locals: a frame past 11 words is put on the heap at every call
    if type(target) is tuple:
        hint_stat(None, None)  # the index's stat, not served now
        _redirect(wsi, target[1])
        return
    extra = None
    if mount.cache_max_age:
        extra = b"Cache-Control: max-age=%d\r\n" % mount.cache_max_age
    ct = mime_type(target, mount.extra_mimetypes)
    r = start_file(wsi, target, ct, extra, 0)  # it drops the hinted stat
    if r == ALL_SENT:
        finish(wsi)  # a small file: complete now, not in another pass
    elif r < 0:
        close_free_wsi(wsi.context, wsi)
    elif r == 0 and wsi.ah is not None and wsi.ah.rxlen <= wsi.ah.body_pos:  # nothing pending
        # the headers are answered: the table can serve someone else while
        # the file streams (nothing of ours reads it any more)
        release_ah(wsi)


def _redirect(wsi, location):
    wsi.http_status = 301
    send_headers(wsi, status_line(301) + b"Location: " + location
                 + b"\r\nContent-Length: 0\r\n" + connection_header(wsi) + b"\r\n")
    if lws_http_transaction_completed(wsi):
        close_free_wsi(wsi.context, wsi)
