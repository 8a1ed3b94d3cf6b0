"""The request headers a served file answers to (sans-IO): one byte
Range, Accept-Encoding's gzip, If-None-Match."""


def parse_range(spec, size):
    """(start, end_inclusive) for one 'bytes=' range; None: ignore the
    header; -1: unsatisfiable."""
    if not spec.startswith(b"bytes="):
        return None
    spec = spec[6:].strip()
    if b"," in spec:
        return None  # several ranges: send it all (RFC 7233 allows it)
    dash = spec.find(b"-")
    if dash < 0:
        return None
    a = spec[:dash].strip()
    b = spec[dash + 1:].strip()
    try:
        if not a:
            n = int(b)
            if n <= 0:
                return -1
            if n > size:
                n = size
            return (size - n, size - 1) if size else -1
        start = int(a)
        end = int(b) if b else -1
    except ValueError:
        return None
    if start < 0 or (b and end < start):
        return None  # not a valid range: ignore the header
    if start >= size:
        return -1  # valid but past the end ('bytes=N-' included)
    if end < 0 or end >= size:
        end = size - 1
    return (start, end)


def accepts_gzip(accept_enc):
    """True if Accept-Encoding lists gzip (or x-gzip) with a q above 0."""
    for item in accept_enc.split(b","):
        semi = item.find(b";")
        coding = (item if semi < 0 else item[:semi]).strip().lower()
        if coding != b"gzip" and coding != b"x-gzip":
            continue
        if semi < 0:
            return True
        for param in item[semi + 1:].split(b";"):
            param = param.strip().lower()
            if param.startswith(b"q="):
                q = param[2:].strip()
                # q=0, q=0.0, q=0.000: not acceptable
                return q.replace(b"0", b"").replace(b".", b"") != b""
        return True
    return False


def etag_matches(inm, etag):
    if inm is None:
        return False
    if inm.strip() == b"*":
        return True
    for tag in inm.split(b","):
        tag = tag.strip()
        if tag.startswith(b"W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False
