"""Mounts (lws_http_mount): URL prefixes answered from the file ops.

Loaded with the first request of a context that has mounts.
"""

from ..plat.mime import mime_type
from .http_response import connection_header, send_headers, status_line
from .http_server import lws_http_transaction_completed
from .serve_file import client_accepts_gzip, file_ops, hint_stat, lws_serve_http_file


def match(ctx, uri):
    """The longest mount whose mountpoint holds ``uri``, or None."""
    best = None
    for m in ctx.mounts:
        mp = m.mountpoint
        if uri == mp or (uri.startswith(mp) and (mp.endswith("/") or uri[len(mp)] == "/")):
            if best is None or len(mp) > len(best.mountpoint):
                best = m
    return best


def _file_exists(wsi, fops, path):
    """stat is an extra of lws_mp's file ops: without it, try an open."""
    stat = getattr(fops, "stat", None)
    if stat is not None:
        st = stat(wsi, path)
        if st is not None:
            # lws_serve_http_file, next in this same call, takes its ETag
            # from this stat instead of making another
            hint_stat((path, st))
            return True
        return False
    fd, _ = fops.open(wsi, path, 0)
    if fd is None:
        return False
    fops.close(wsi, fd)
    return True


def lookup(wsi, mount, uri):
    """What ``mount`` has for ``uri``: ("file", path), ("redirect", url) or
    None when it has nothing."""
    fops = file_ops(wsi.context)
    index = mount.def_ or "index.html"
    rel = uri[len(mount.mountpoint):].lstrip("/")
    path = mount.origin.rstrip("/") + "/" + rel
    if not rel and not uri.endswith("/"):
        # the mountpoint itself ("/ui"): its index lives at "/ui/"
        return ("redirect", uri + "/") if _file_exists(wsi, fops, path + "/" + index) else None
    if path.endswith("/"):
        path += index
    if _file_exists(wsi, fops, path) or (
            client_accepts_gzip(wsi) and _file_exists(wsi, fops, path + ".gz")):
        return ("file", path)
    if not uri.endswith("/") and _file_exists(wsi, fops, path + "/" + index):
        return ("redirect", uri + "/")
    return None


def serve(wsi, mount, target):
    ctx = wsi.context
    kind, path = target
    if kind == "redirect":
        _redirect(wsi, path)
        return
    extra = None
    if mount.cache_max_age:
        extra = b"Cache-Control: max-age=%d\r\n" % mount.cache_max_age
    r = lws_serve_http_file(wsi, path, mime_type(path, mount.extra_mimetypes), extra, 0)
    hint_stat(None)
    if r < 0:
        ctx.close(wsi)
    elif r == 0 and wsi.ah is not None and not wsi.ah.pending():
        # the headers are answered: the table can serve someone else while
        # the file streams (nothing of ours reads it any more)
        ctx.release_ah(wsi)


def _redirect(wsi, location):
    wsi.http_status = 301
    send_headers(wsi, status_line(301) + b"Location: " + location.encode()
                 + b"\r\nContent-Length: 0\r\n" + connection_header(wsi) + b"\r\n")
    if lws_http_transaction_completed(wsi):
        wsi.context.close(wsi)
