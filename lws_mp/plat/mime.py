"""Content-Type by file extension."""

MIME_TYPES = {
    "html": "text/html; charset=utf-8",
    "htm": "text/html; charset=utf-8",
    "css": "text/css",
    "js": "application/javascript",
    "mjs": "application/javascript",
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
    "xml": "application/xml",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "ico": "image/x-icon",
    "webp": "image/webp",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "wasm": "application/wasm",
    "pdf": "application/pdf",
    "bin": "application/octet-stream",
    "gz": "application/gzip",
    "map": "application/json",
    "csv": "text/csv",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "mp4": "video/mp4",
}


def mime_type(path, extra=None):
    dot = path.rfind(".")
    if dot < 0 or dot < path.rfind("/"):
        return "application/octet-stream"
    ext = path[dot + 1:]
    if not ext.islower():
        # (only then: each new string is a look-up among the interned ones
        # on MicroPython, ~3,000 instructions on the board interpreter)
        ext = ext.lower()
    if extra:
        t = extra.get(ext)
        if t:
            return t
    return MIME_TYPES.get(ext, "application/octet-stream")
