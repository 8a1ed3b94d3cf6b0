"""URI helpers: %-decoding in place, path normalisation, lws_parse_uri.

Sans-IO: these work on bytes / bytearrays only.
"""

_HEX = b"0123456789abcdefABCDEF"


def _hexval(c):
    if 48 <= c <= 57:
        return c - 48
    if 97 <= c <= 102:
        return c - 87
    if 65 <= c <= 70:
        return c - 55
    return -1


def urldecode_inplace(buf, start, end, plus_is_space=False):
    """%-decode buf[start:end] in place; returns the new end, or -1 if bad.

    Runs of plain bytes are moved with slice copies; only escapes cost a
    Python step each.
    """
    if plus_is_space:
        p = buf.find(b"+", start, end)
        while p >= 0:
            buf[p] = 32
            p = buf.find(b"+", p + 1, end)
    rd = buf.find(b"%", start, end)
    if rd < 0:
        return end
    wr = rd
    mv = memoryview(buf)
    while rd < end:
        if rd + 2 >= end:
            return -1
        hi = _hexval(buf[rd + 1])
        lo = _hexval(buf[rd + 2])
        if hi < 0 or lo < 0:
            return -1
        buf[wr] = (hi << 4) | lo
        wr += 1
        rd += 3
        nxt = buf.find(b"%", rd, end)
        if nxt < 0:
            nxt = end
        n = nxt - rd
        if n:
            mv[wr:wr + n] = mv[rd:nxt]
            wr += n
        rd = nxt
    return wr


def plain_path(buf, start, end, ctl):
    """True if buf[start:end] is a path normalise_path would return as it
    is (so no copy of it need be made to find out); ``ctl`` is the
    control-byte scan (plain_scan.ctl_at's contract)."""
    if start >= end or buf[start] != 0x2F:
        return False
    return (ctl(buf, start, end) < 0 and buf.find(b"\\", start, end) < 0
            and buf.find(b"/.", start, end) < 0 and buf.find(b"//", start, end) < 0)


def normalise_path(path):
    """Collapse '//', '.', '..' in a decoded absolute path (bytes).

    Returns the normalised bytes, or None if the path is unsafe: not
    absolute, contains a control byte (NUL, CR, LF, ...) or a backslash,
    or climbs above the root.
    """
    if not path or path[0] != 0x2F:
        return None
    for c in path:
        if c < 32 or c == 127 or c == 92:  # CTL, DEL, '\\'
            return None
    if b"/." not in path and b"//" not in path:
        return path
    out = []
    for seg in path.split(b"/"):
        if seg == b"" or seg == b".":
            continue
        if seg == b"..":
            if not out:
                return None
            out.pop()
            continue
        out.append(seg)
    res = b"/" + b"/".join(out)
    if path[-1] == 0x2F and len(res) > 1:
        res += b"/"
    return res


def lws_parse_uri(p):
    """Split 'prot://address:port/path' the lws way.

    Returns (0, prot, address, port, path).  As in lws the leading '/' of
    the path is not part of ``path``, and a URI with no path (or just '/')
    gives "/".  ``prot`` is "" without a "://".  The port is the one given,
    else 443 for https / wss, else 80.  An IPv6 address is written in
    brackets ('[::1]:7681') and returned without them.  Python rule: where
    lws would carry on with an empty address or atoi() a bad port, the
    first item is -1.
    """
    if isinstance(p, (bytes, bytearray)):
        p = p.decode()
    prot = ""
    i = p.find("://")
    if i >= 0:
        prot = p[:i]
        rest = p[i + 3:]
    else:
        rest = p
    port = 443 if prot in ("https", "wss") else 80
    err = 0
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            return (-1, prot, rest[1:], port, "/")
        address = rest[1:close]
        i = close + 1
    else:
        i = 0
        while i < len(rest) and rest[i] != ":" and rest[i] != "/":
            i += 1
        address = rest[:i]
    if i < len(rest) and rest[i] == ":":
        j = rest.find("/", i)
        if j < 0:
            j = len(rest)
        try:
            port = int(rest[i + 1:j])
        except ValueError:
            err = -1
        i = j
    path = "/"
    if i + 1 < len(rest):
        path = rest[i + 1:]
    if not address:
        err = -1
    return (err, prot, address, port, path)
