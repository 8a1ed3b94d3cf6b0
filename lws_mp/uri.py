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
    mv = memoryview(buf)
    if plus_is_space:
        p = buf.find(b"+", start, end)
        while p >= 0:
            buf[p] = 32
            p = buf.find(b"+", p + 1, end)
    rd = buf.find(b"%", start, end)
    if rd < 0:
        return end
    wr = rd
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


def normalise_path(path):
    """Collapse '//', '.', '..' in a decoded absolute path (bytes).

    Returns the normalised bytes, or None if the path is unsafe: not
    absolute, contains NUL or a backslash, or climbs above the root.
    """
    if not path or path[0] != 0x2F:
        return None
    if b"\x00" in path or b"\\" in path:
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

    Returns (0, prot, address, port, path); as in lws, the leading '/' of
    the path is not part of ``path``.  -1 in the first place if ``p`` has no
    address.
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
    port = 80
    if prot in ("https", "wss"):
        port = 443
    slash = rest.find("/")
    if slash < 0:
        hostport = rest
        path = ""
    else:
        hostport = rest[:slash]
        path = rest[slash + 1:]
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            return (-1, prot, "", port, path)
        address = hostport[1:close]
        tail = hostport[close + 1:]
    else:
        c = hostport.find(":")
        if c >= 0:
            address = hostport[:c]
            tail = hostport[c:]
        else:
            address = hostport
            tail = ""
    if tail.startswith(":"):
        try:
            port = int(tail[1:])
        except ValueError:
            return (-1, prot, address, port, path)
    if not address:
        return (-1, prot, address, port, path)
    return (0, prot, address, port, path)
