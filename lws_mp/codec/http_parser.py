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

from array import array
from .frag_index import add_frag
from .uri import normalise_path, plain_path, urldecode_inplace
from .header_names import LOWER_TCHAR, NAMES
from . import const, micropython  # @micropython.native
from builtins import len  # one look-up, not two (docs/ARCHITECTURE.md)

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_WSI_TOKEN_GET_URI = const(0)
_WSI_TOKEN_HOST = const(3)
_WSI_TOKEN_HTTP_CONTENT_LENGTH = const(27)
_WSI_TOKEN_HTTP_URI_ARGS = const(76)
_WSI_TOKEN_OPTIONS_URI = const(2)

NEED_MORE = const(0)
COMPLETE = const(1)

# method -> the token its URI is stored under (HEAD is served as GET): each
# name between spaces, its token + 0x80 after it, so the request line's
# method is found where it lies, with no copy of it made
_METHODS = (
    b" GET \x80 HEAD \x80 POST \x81 OPTIONS \x82 PUT \xca PATCH \xc9 DELETE \xcb"
)


@micropython.native
def parse_request(ah, token_limits=None, scan=None):
    """Parse what ``ah`` holds: NEED_MORE, COMPLETE or an HTTP error status.

    ``scan`` has the byte loops in machine code (request_line,
    header_block, ctl_at, head_end, with the contracts of
    codec/plain_scan's: plat/_viper on MicroPython), or is None for the
    plain ones."""
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
    if n and not LOWER_TCHAR[data[0]]:
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
            st = scan.request_line(data, eol, ah.line, _METHODS, LOWER_TCHAR)
            if st < 0:
                return -st
        if n >= ah.size:
            return 414 if eol < 0 else 431
        ah.scan = n - 3 if n > 3 else 0
        return NEED_MORE
    ah.hdr_end = end + 4
    eol = data.find(b"\r\n", 0, end + 2)
    line = ah.line
    version = scan.request_line(data, eol, line, _METHODS, LOWER_TCHAR)
    if version < 0:
        return -version
    ah.http_version = version
    token = line[2]
    ah.head = token > 255
    token &= 255
    ah.method = token
    # (no call for the usual creation info without limits)
    limits = b"" if token_limits is None else _limits(token_limits)
    if line[4]:
        # an origin-form path with nothing to decode or normalise: stored as
        # it lies
        us = line[0] + 1
        plen = line[3] - us
        if token < len(limits) and plen > limits[token]:  # (_limit, inline)
            return 414
        add_frag(ah.frags, ah.frag_index, token, us, plen)  # room for the first two
        if line[3] < line[1]:
            st = _parse_args(ah, line[3] + 1, line[1], limits, scan.ctl_at)
            if st:
                return st
    else:
        st = _parse_uri(ah, token, line[0] + 1, line[1], limits, scan.ctl_at)
        if st:
            return st
    # an absolute-form target stored its authority as the Host already
    host_from_target = ah.frag_index[_WSI_TOKEN_HOST] != 0
    hosts = scan.header_block(data, eol + 2, end + 2, ah.frags, ah.frag_index, NAMES,
                              LOWER_TCHAR, limits, host_from_target)
    if hosts < 0:
        return -hosts
    if host_from_target and not hosts and version == 11:
        return 400  # an HTTP/1.1 request carries Host even then
    return COMPLETE


# token_limits as header_block takes them (_limits): each token's longest
# value in 16-bit words, 0xFFFF for none; made again only for other limits
_lim_of = None
_lim_list = None
_lim_words = b""


def _limits(token_limits):
    global _lim_of, _lim_list, _lim_words
    if token_limits is None:
        return b""
    lst = token_limits.token_len
    if token_limits is not _lim_of or lst is not _lim_list:
        w = array("H", bytes(2 * len(lst or ())))
        for i in range(len(w)):
            v = lst[i]
            w[i] = v if 0 <= v < 0xFFFF else 0xFFFF
        _lim_of, _lim_list, _lim_words = token_limits, lst, w
    return _lim_words


def _limit(limits, token):
    """The most bytes ``limits`` (_limits' words) allow ``token``: 0xFFFF
    when it has no limit, which no value in a table reaches."""
    return limits[token] if token < len(limits) else 0xFFFF


_SCHEME_CHARS = b"+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@micropython.native
def _parse_uri(ah, token, us, ue, limits, ctl):
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
            return _parse_args(ah, ae + 1, ue, limits, ctl)
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
    if plen > _limit(limits, token):
        return 414
    ah.add_frag(token, us, plen)  # the table has room for the first two
    if q < 0:
        return 0
    return _parse_args(ah, q + 1, ue, limits, ctl)


def _is_scheme(data, s, e):
    # scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    c = data[s] | 32
    if c < 97 or c > 122:
        return False
    for i in range(s + 1, e):
        if data[i] not in _SCHEME_CHARS:
            return False
    return True


def _parse_args(ah, a, ue, limits, ctl):
    data = ah.data
    lim = _limit(limits, _WSI_TOKEN_HTTP_URI_ARGS)
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
            if e - a > lim:
                return 414
            if not ah.add_frag(_WSI_TOKEN_HTTP_URI_ARGS, a, e - a):
                return 414  # more arguments than the table has room for
        a = amp + 1
    return 0


@micropython.native
def content_length(ah):
    """Every Content-Length line's value in the parsed table ``ah`` (1 to
    15 digits), read where it lies: the length, or -1 when one is bad or
    they differ."""
    total = -1
    data = ah.data
    f = ah.frags
    fr = ah.frag_index[_WSI_TOKEN_HTTP_CONTENT_LENGTH]
    while fr:
        off = f[3 * fr]
        ln = f[3 * fr + 1]
        if not ln or ln > 15:
            return -1
        n = 0
        for i in range(off, off + ln):
            c = data[i] - 48
            if c < 0 or c > 9:
                return -1
            n = n * 10 + c
        if total >= 0 and n != total:
            return -1
        total = n
        fr = f[3 * fr + 2]
    return total
