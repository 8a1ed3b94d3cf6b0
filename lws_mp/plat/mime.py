"""Content-Type by file extension (bytes: served paths are bytes)."""

from . import _port
from builtins import str, type  # one look-up, not two (docs/ARCHITECTURE.md)

# Each extension after its length byte, a 0 length at the end: found by
# ext_index with no slice of the path made.  TYPES[i] is the type of the
# i-th (from 1), TYPES[0] the one for none found.  Literals, so that frozen
# into a board's firmware they take no RAM.
EXTS = (
    b"\x04html" b"\x03htm" b"\x03css" b"\x02js" b"\x03mjs" b"\x04json" b"\x03txt" b"\x03xml"
    b"\x03svg" b"\x03png" b"\x03jpg" b"\x04jpeg" b"\x03gif" b"\x03ico" b"\x04webp" b"\x04woff"
    b"\x05woff2" b"\x03ttf" b"\x04wasm" b"\x03pdf" b"\x03bin" b"\x02gz" b"\x03map" b"\x03csv"
    b"\x03mp3" b"\x03wav" b"\x03mp4" b"\x00"
)
TYPES = (
    "application/octet-stream",  # none found
    "text/html; charset=utf-8",  # html
    "text/html; charset=utf-8",  # htm
    "text/css",  # css
    "application/javascript",  # js
    "application/javascript",  # mjs
    "application/json",  # json
    "text/plain; charset=utf-8",  # txt
    "application/xml",  # xml
    "image/svg+xml",  # svg
    "image/png",  # png
    "image/jpeg",  # jpg
    "image/jpeg",  # jpeg
    "image/gif",  # gif
    "image/x-icon",  # ico
    "image/webp",  # webp
    "font/woff",  # woff
    "font/woff2",  # woff2
    "font/ttf",  # ttf
    "application/wasm",  # wasm
    "application/pdf",  # pdf
    "application/octet-stream",  # bin
    "application/gzip",  # gz
    "application/json",  # map
    "text/csv",  # csv
    "audio/mpeg",  # mp3
    "audio/wav",  # wav
    "video/mp4",  # mp4
)


def ext_index_plain(path, exts):
    """1 + the index in ``exts`` (EXTS' format) of the extension of
    ``path`` (bytes; after its last '.', if no '/' follows it; compared
    without regard to ASCII case), or 0 if it has none there.
    plat/_viper.ext_index is this in machine code."""
    dot = path.rfind(b".")
    if dot < 0 or path.find(b"/", dot) >= 0:
        return 0
    ext = path[dot + 1:].lower()
    p = 0
    i = 1
    while exts[p]:
        n = exts[p]
        if exts[p + 1:p + 1 + n] == ext:
            return i
        p += n + 1
        i += 1
    return 0


_ext_index = _port.parse_scan.ext_index if _port.parse_scan else ext_index_plain


def mime_type(path, extra=None):
    """The Content-Type of ``path`` (bytes, or a str) by its extension;
    ``extra`` (a mount's extra_mimetypes) maps extensions as str."""
    if type(path) is str:
        path = path.encode()
    if extra:
        t = _extra_type(path, extra)
        if t is not None:
            return t
    return TYPES[_ext_index(path, EXTS)]


def _extra_type(path, extra):
    dot = path.rfind(b".")
    if dot < 0 or path.find(b"/", dot) >= 0:
        return None
    return extra.get(path[dot + 1:].lower().decode()) or None
