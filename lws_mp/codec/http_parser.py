"""Incremental HTTP/1.x request-head parser (sans-IO).

Bytes arrive in a HeaderTable's buffer in any split; ``parse_request``
finds the end of the head, then fills the table's fragment index by
WSI_TOKEN_* the way lws does: the decoded, normalised path in the method's
URI token, each '&'-separated query argument as a WSI_TOKEN_HTTP_URI_ARGS
fragment (%-decoded, '+' as space), known headers by name, unknown ones
dropped.

Errors are the status to answer: 400 (malformed, NUL, obs-fold, a second
Host, a path that climbs out of the root), 414 (request line longer than
the table, a URI or argument past token_limits, more arguments than the
table indexes), 431 (header area full, a header past token_limits), 501
(unknown method), 505 (HTTP major version other than 1).  A bad request
line is reported as soon as its CRLF is in, without waiting for the rest.
"""

from .uri import normalise_path, plain_path, urldecode_inplace
from .header_names import LOWER_TCHAR, NAMES
from . import const, micropython  # @micropython.native
from builtins import len  # one look-up, not two (docs/ARCHITECTURE.md)

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_WSI_TOKEN_GET_URI = const(0)
_WSI_TOKEN_HOST = const(3)
_WSI_TOKEN_HTTP_URI_ARGS = const(76)
_WSI_TOKEN_OPTIONS_URI = const(2)
_WSI_TOKEN_POST_URI = const(1)

NEED_MORE = const(0)
COMPLETE = const(1)

# method -> the token its URI is stored under (HEAD is served as GET): each
# name between spaces, its token + 0x80 after it, so the request line's
# method is found where it lies, with no copy of it made
_METHODS = (
    b" GET \x80 HEAD \x80 POST \x81 OPTIONS \x82 PUT \xca PATCH \xc9 DELETE \xcb"
)


@micropython.native
def _method_token(data, sp1):
    """The URI token of the method data[0:sp1] (a known one), else -1."""
    m = _METHODS
    i = 0  # at the space before a name
    n = len(m)
    while i < n:
        j = m.find(b" ", i + 1)
        if j - i - 1 == sp1:
            k = 0
            while k < sp1 and m[i + 1 + k] == data[k]:
                k += 1
            if k == sp1:
                return m[j + 1] - 0x80
        i = j + 2
    return -1



# bytes allowed in a method (RFC 7230 tchar)
_TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _is_token(b):
    if not b:
        return False
    for c in b:
        if c not in _TCHAR:
            return False
    return True


@micropython.native
def parse_request(ah, token_limits=None, scan=None):
    """Parse what ``ah`` holds: NEED_MORE, COMPLETE or an HTTP error status.

    ``scan`` has the byte loops in machine code (header_token and ctl_at,
    with the contracts of codec/plain_scan's: plat/_viper on MicroPython),
    or is None for the plain ones."""
    data = ah.data
    n = ah.rxlen
    if ah.scan == 0 and n and data[0] == 13:
        # RFC 7230 3.5: ignore empty lines before the request line
        skip = 0
        while skip + 1 < n and data[skip] == 13 and data[skip + 1] == 10:
            skip += 2
        if skip:
            ah.mv[0:n - skip] = ah.mv[skip:n]
            ah.rxlen = n = n - skip
        if n == 1 and data[0] == 13:
            return NEED_MORE  # the LF of an empty line may follow
        if not n:
            return NEED_MORE
    if n and data[0] not in _TCHAR:
        return 400
    if scan is None:
        # the plain loops, loaded only where they are used
        from . import plain_scan as scan
    end = scan.head_end(data, ah.scan, n)
    if end == -2:
        return 400  # a NUL in the head
    if end < 0:
        # a bad request line is answered without waiting for the headers
        eol = data.find(b"\r\n", 0, n)
        if eol >= 0:
            st = _check_request_line(ah, eol)
            if st >= 400:
                return st
        if n >= ah.size:
            return 414 if eol < 0 else 431
        ah.scan = n - 3 if n > 3 else 0
        return NEED_MORE
    ah.hdr_end = end + 4
    eol = data.find(b"\r\n", 0, end + 2)
    st = _check_request_line(ah, eol)
    if st >= 400:
        return st
    token = ah.method  # _check_request_line found it, and the spaces
    ah.http_version = st
    st = _parse_uri(ah, token, ah.line[0] + 1, ah.line[1], token_limits, scan.ctl_at)
    if st:
        return st
    # an absolute-form target stored its authority as the Host already
    return _parse_headers(ah, eol + 2, end + 2, token_limits,
                          ah.frag_index[_WSI_TOKEN_HOST] != 0, scan)


def _limit(token_limits, token):
    """The most bytes token_limits allows ``token``, or -1 for no limit."""
    if token_limits is None:
        return -1
    limits = token_limits.token_len
    if limits is None or token >= len(limits):
        return -1
    return limits[token]


@micropython.native
def _check_request_line(ah, eol):
    """Validate 'METHOD SP request-target SP HTTP/x.y' without changing it.

    Returns an error status, or the HTTP version (10 or 11) if it is good.
    """
    data = ah.data
    sp1 = data.find(b" ", 0, eol)
    if sp1 <= 0:
        return 400
    sp2 = data.find(b" ", sp1 + 1, eol)
    if sp2 < 0 or sp2 == sp1 + 1 or data.find(b" ", sp2 + 1, eol) >= 0:
        return 400
    # HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 7230 2.6)
    v = sp2 + 1
    if eol - v != 8 or data.find(b"HTTP/", v, v + 5) != v or data[v + 6] != 46:
        return 400
    major = data[v + 5] - 48
    minor = data[v + 7] - 48
    if not (0 <= major <= 9 and 0 <= minor <= 9):
        return 400
    if major != 1:
        return 505
    # GET and POST, the most of them, without the table's walk
    if sp1 == 3 and data[0] == 71 and data[1] == 69 and data[2] == 84:
        token = _WSI_TOKEN_GET_URI
    elif sp1 == 4 and data[0] == 80 and data[1] == 79 and data[2] == 83 and data[3] == 84:
        token = _WSI_TOKEN_POST_URI
    else:
        token = _method_token(data, sp1)
    if token < 0:
        return 501 if _is_token(bytes(ah.mv[0:sp1])) else 400
    ah.method = token  # for parse_request, which would look it up again
    ah.line[0] = sp1  # and where the target lies
    ah.line[1] = sp2
    ah.head = sp1 == 4 and data[0] == 72  # HEAD: the only 4-letter GET
    # request-target: origin-form, absolute-form, or '*' for OPTIONS
    c = data[sp1 + 1]
    if c == 42:
        if sp2 != sp1 + 2 or token != _WSI_TOKEN_OPTIONS_URI:
            return 400
    elif c != 47 and data.find(b"://", sp1 + 1, sp2) < 0:
        return 400
    # a higher 1.x minor version is served as 1.1
    return 10 if minor == 0 else 11


_SCHEME_CHARS = b"+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@micropython.native
def _parse_uri(ah, token, us, ue, token_limits, ctl):
    """Store the decoded, normalised path and the query arguments (and an
    absolute-form target's authority as WSI_TOKEN_HOST, RFC 7230 5.4).

    Returns 0 or an error status.
    """
    data = ah.data
    if data[us] != 47:  # '/'
        if ue - us == 1 and data[us] == 42 and token == _WSI_TOKEN_OPTIONS_URI:
            ah.add_frag(token, us, 1)  # OPTIONS *
            return 0
        # absolute-form: scheme "://" authority [ path-abempty ] [ "?" query ]
        sch = data.find(b"://", us, ue)
        if sch <= us or not _is_scheme(data, us, sch):
            return 400
        a = sch + 3
        ae = a
        while ae < ue and data[ae] != 47 and data[ae] != 63:  # '/', '?'
            ae += 1
        if ae == a:
            return 400  # RFC 9110 4.2.1: an http(s) URI with no host is invalid
        ah.add_frag(_WSI_TOKEN_HOST, a, ae - a)
        if ae == ue or data[ae] == 63:
            # no path: it means "/", for which the "://" has a byte to spare
            ah.add_frag(token, sch + 2, 1)
            return _parse_args(ah, ae + 1, ue, token_limits, ctl)
        us = ae
    q = data.find(b"?", us, ue)
    pe = ue if q < 0 else q
    dec_end = pe if data.find(b"%", us, pe) < 0 else urldecode_inplace(data, us, pe)
    if dec_end < 0:
        return 400
    if plain_path(data, us, dec_end, ctl):
        plen = dec_end - us  # as it is: nothing to copy
    else:
        path = normalise_path(bytes(ah.mv[us:dec_end]))
        if path is None:
            return 400
        plen = len(path)
        ah.mv[us:us + plen] = path
    lim = _limit(token_limits, token)
    if lim >= 0 and plen > lim:
        return 414
    ah.add_frag(token, us, plen)  # the table has room for the first two
    if q < 0:
        return 0
    return _parse_args(ah, q + 1, ue, token_limits, ctl)


def _is_scheme(data, s, e):
    # scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    c = data[s] | 32
    if c < 97 or c > 122:
        return False
    for i in range(s + 1, e):
        if data[i] not in _SCHEME_CHARS:
            return False
    return True


def _parse_args(ah, a, ue, token_limits, ctl):
    data = ah.data
    lim = _limit(token_limits, _WSI_TOKEN_HTTP_URI_ARGS)
    while a < ue:
        amp = data.find(b"&", a, ue)
        if amp < 0:
            amp = ue
        if amp > a:
            if ctl(data, a, amp) >= 0:
                return 400  # RFC 3986: no control byte in a URI (as in the path)
            e = urldecode_inplace(data, a, amp, True)
            if e < 0:
                return 400
            if lim >= 0 and e - a > lim:
                return 414
            if not ah.add_frag(_WSI_TOKEN_HTTP_URI_ARGS, a, e - a):
                return 414  # more arguments than the table has room for
        a = amp + 1
    return 0


@micropython.native
def _parse_headers(ah, pos, end, token_limits, host_from_target, scan):
    data = ah.data
    line = ah.line
    bounds, name_token = scan.header_line, scan.header_token
    hosts = 0
    while pos < end:
        # the line's end, colon and value (without its OWS, RFC 9112), or
        # -1: folded (obsolete), no name, a bare CR or LF
        le = bounds(data, pos, end, line)
        if le < 0:
            return 400
        token = name_token(data, pos, line[0], NAMES, LOWER_TCHAR)
        if token < 0:
            if token == -1:
                return 400
            token = None  # a name lws does not know: dropped
        vs = line[1]
        ve = line[2]
        if token == _WSI_TOKEN_HOST:
            hosts += 1
            if hosts > 1:
                return 400  # RFC 7230 5.4: more than one Host
            if host_from_target:
                token = None  # the target's authority stands
        if token is not None:
            lim = _limit(token_limits, token)
            if lim >= 0 and ve - vs > lim:
                return 431
            if not ah.add_frag(token, vs, ve - vs):
                return 431
        pos = le + 2
    if host_from_target and not hosts and ah.http_version == 11:
        return 400  # an HTTP/1.1 request carries Host even then
    return COMPLETE
