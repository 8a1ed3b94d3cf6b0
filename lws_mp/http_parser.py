"""Incremental HTTP/1.x request-head parser (sans-IO).

Bytes arrive in a HeaderTable's buffer in any split; ``parse_request``
finds the end of the head, then fills the table's fragment index by
WSI_TOKEN_* the way lws does: the decoded, normalised path in the method's
URI token, each '&'-separated query argument as a WSI_TOKEN_HTTP_URI_ARGS
fragment (%-decoded, '+' as space), known headers by name, unknown ones
dropped.
"""

from . import consts as C
from .uri import normalise_path, urldecode_inplace

NEED_MORE = 0
COMPLETE = 1

# method -> the token its URI is stored under (HEAD is served as GET)
METHODS = {
    b"GET": C.WSI_TOKEN_GET_URI,
    b"HEAD": C.WSI_TOKEN_GET_URI,
    b"POST": C.WSI_TOKEN_POST_URI,
    b"OPTIONS": C.WSI_TOKEN_OPTIONS_URI,
    b"PUT": C.WSI_TOKEN_PUT_URI,
    b"PATCH": C.WSI_TOKEN_PATCH_URI,
    b"DELETE": C.WSI_TOKEN_DELETE_URI,
}

METHOD_TOKENS = (
    C.WSI_TOKEN_GET_URI,
    C.WSI_TOKEN_POST_URI,
    C.WSI_TOKEN_OPTIONS_URI,
    C.WSI_TOKEN_PUT_URI,
    C.WSI_TOKEN_PATCH_URI,
    C.WSI_TOKEN_DELETE_URI,
)


def _build_names():
    names = {}
    for i, n in enumerate(C.HEADER_TOKEN_NAMES):
        if n.endswith(b":") and not n.startswith(b":"):
            names[n[:-1]] = i
    return names


HEADER_NAMES = _build_names()

# bytes allowed in a method (RFC 7230 tchar)
_TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _is_token(b):
    if not b:
        return False
    for c in b:
        if c not in _TCHAR:
            return False
    return True


def parse_request(ah, token_limits=None):
    """Parse what ``ah`` holds: NEED_MORE, COMPLETE or an HTTP error status."""
    data = ah.data
    n = ah.rxlen
    # RFC 7230 3.5: ignore empty lines before the request line
    if ah.scan == 0 and n >= 2 and data[0] == 13 and data[1] == 10:
        skip = 0
        while skip + 1 < n and data[skip] == 13 and data[skip + 1] == 10:
            skip += 2
        ah.mv[0:n - skip] = ah.mv[skip:n]
        ah.rxlen = n = n - skip
        if not n:
            return NEED_MORE
    if n and data[0] not in _TCHAR:
        return 400
    end = data.find(b"\r\n\r\n", ah.scan, n)
    if end < 0:
        eol = data.find(b"\r\n", 0, n)
        if eol >= 0 and ah.scan == 0:
            st = _check_request_line(data, eol)
            if st >= 400:
                return st
        if n >= ah.size:
            return 414 if eol < 0 else 431
        ah.scan = n - 3 if n > 3 else 0
        return NEED_MORE
    ah.hdr_end = end + 4
    if data.find(b"\x00", 0, end) >= 0:
        return 400
    eol = data.find(b"\r\n", 0, end + 2)
    st = _parse_request_line(ah, eol)
    if st:
        return st
    return _parse_headers(ah, eol + 2, end + 2, token_limits)


def _check_request_line(data, eol):
    sp1 = data.find(b" ", 0, eol)
    if sp1 <= 0:
        return 400
    sp2 = data.find(b" ", sp1 + 1, eol)
    if sp2 < 0:
        return 400
    return 0


def _parse_request_line(ah, eol):
    data = ah.data
    sp1 = data.find(b" ", 0, eol)
    if sp1 <= 0:
        return 400
    sp2 = data.find(b" ", sp1 + 1, eol)
    if sp2 < 0 or data.find(b" ", sp2 + 1, eol) >= 0:
        return 400
    method = bytes(ah.mv[0:sp1])
    version = bytes(ah.mv[sp2 + 1:eol])
    if version == b"HTTP/1.1":
        ah.http_version = 11
    elif version == b"HTTP/1.0":
        ah.http_version = 10
    elif version.startswith(b"HTTP/") and len(version) == 8 and version[6] == 46:
        return 505
    else:
        return 400
    token = METHODS.get(method)
    if token is None:
        return 501 if _is_token(method) else 400
    ah.method = token
    ah.head = method == b"HEAD"
    return _parse_uri(ah, token, sp1 + 1, sp2)


def _parse_uri(ah, token, us, ue):
    data = ah.data
    if ue <= us:
        return 400
    if data[us] != 47:  # '/'
        if ue - us == 1 and data[us] == 42 and token == C.WSI_TOKEN_OPTIONS_URI:
            ah.add_frag(token, us, 1)  # OPTIONS *
            return 0
        # absolute-form: scheme://authority/path -> keep the path
        sch = data.find(b"://", us, ue)
        if sch < 0:
            return 400
        p = data.find(b"/", sch + 3, ue)
        if p < 0:
            # no path: it means "/"; reuse the last byte of the authority
            data[ue - 1] = 47
            us = ue - 1
        else:
            us = p
    q = data.find(b"?", us, ue)
    pe = ue if q < 0 else q
    dec_end = urldecode_inplace(data, us, pe)
    if dec_end < 0:
        return 400
    path = normalise_path(bytes(ah.mv[us:dec_end]))
    if path is None:
        return 400
    ah.mv[us:us + len(path)] = path
    if not ah.add_frag(token, us, len(path)):
        return 431
    if q >= 0:
        a = q + 1
        while a < ue:
            amp = data.find(b"&", a, ue)
            if amp < 0:
                amp = ue
            if amp > a:
                e = urldecode_inplace(data, a, amp, True)
                if e < 0:
                    return 400
                if not ah.add_frag(C.WSI_TOKEN_HTTP_URI_ARGS, a, e - a):
                    return 431
            a = amp + 1
    return 0


def _parse_headers(ah, pos, end, token_limits):
    data = ah.data
    limits = token_limits.token_len if token_limits is not None else None
    while pos < end:
        le = data.find(b"\r\n", pos, end)
        if le < 0:
            le = end
        c0 = data[pos]
        if c0 == 32 or c0 == 9:  # obsolete line folding
            return 400
        colon = data.find(b":", pos, le)
        if colon <= pos:
            return 400
        name = bytes(ah.mv[pos:colon]).lower()
        if not _is_token(name):
            return 400
        vs = colon + 1
        while vs < le and (data[vs] == 32 or data[vs] == 9):
            vs += 1
        ve = le
        while ve > vs and (data[ve - 1] == 32 or data[ve - 1] == 9):
            ve -= 1
        if data.find(b"\r", vs, ve) >= 0 or data.find(b"\n", vs, ve) >= 0:
            return 400
        token = HEADER_NAMES.get(name)
        if token is not None:
            if limits is not None and token < len(limits) and ve - vs > limits[token]:
                return 431
            if not ah.add_frag(token, vs, ve - vs):
                return 431
        pos = le + 2
    return COMPLETE
