"""Content-Type by file extension (bytes: served paths are bytes)."""

MIME_TYPES = {
    b"html": "text/html; charset=utf-8",
    b"htm": "text/html; charset=utf-8",
    b"css": "text/css",
    b"js": "application/javascript",
    b"mjs": "application/javascript",
    b"json": "application/json",
    b"txt": "text/plain; charset=utf-8",
    b"xml": "application/xml",
    b"svg": "image/svg+xml",
    b"png": "image/png",
    b"jpg": "image/jpeg",
    b"jpeg": "image/jpeg",
    b"gif": "image/gif",
    b"ico": "image/x-icon",
    b"webp": "image/webp",
    b"woff": "font/woff",
    b"woff2": "font/woff2",
    b"ttf": "font/ttf",
    b"wasm": "application/wasm",
    b"pdf": "application/pdf",
    b"bin": "application/octet-stream",
    b"gz": "application/gzip",
    b"map": "application/json",
    b"csv": "text/csv",
    b"mp3": "audio/mpeg",
    b"wav": "audio/wav",
    b"mp4": "video/mp4",
}


def mime_type(path, extra=None):
    """The Content-Type of ``path`` (bytes, or a str) by its extension;
    ``extra`` (a mount's extra_mimetypes) maps extensions as str."""
    if isinstance(path, str):
        path = path.encode()
    dot = path.rfind(b".")
    if dot < 0 or dot < path.rfind(b"/"):
        return "application/octet-stream"
    ext = path[dot + 1:]
    if not ext.islower():
        ext = ext.lower()  # (only then: it is a copy)
    if extra:
        t = extra.get(ext.decode())
        if t:
            return t
    return MIME_TYPES.get(ext, "application/octet-stream")
