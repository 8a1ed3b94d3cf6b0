"""The HTTP request-head parser, sans-IO: bytes into a HeaderTable, tokens out."""

from lws_mp import consts as C
from lws_mp.core.header_table import HeaderTable
from lws_mp.codec.http_parser import COMPLETE, NEED_MORE, parse_request
from lws_mp.core.structs_extra import lws_token_limits
from lws_mp.plat import _port

# token -> the name the tests use for it in a snapshot
_TOKENS = (
    (C.WSI_TOKEN_GET_URI, "get"),
    (C.WSI_TOKEN_POST_URI, "post"),
    (C.WSI_TOKEN_OPTIONS_URI, "options"),
    (C.WSI_TOKEN_PUT_URI, "put"),
    (C.WSI_TOKEN_PATCH_URI, "patch"),
    (C.WSI_TOKEN_DELETE_URI, "delete"),
    (C.WSI_TOKEN_HOST, "host"),
    (C.WSI_TOKEN_CONNECTION, "connection"),
    (C.WSI_TOKEN_UPGRADE, "upgrade"),
    (C.WSI_TOKEN_HTTP_ACCEPT, "accept"),
    (C.WSI_TOKEN_HTTP_COOKIE, "cookie"),
    (C.WSI_TOKEN_HTTP_CONTENT_LENGTH, "content-length"),
    (C.WSI_TOKEN_HTTP_CONTENT_TYPE, "content-type"),
    (C.WSI_TOKEN_HTTP_USER_AGENT, "user-agent"),
    (C.WSI_TOKEN_HTTP_TRANSFER_ENCODING, "transfer-encoding"),
    (C.WSI_TOKEN_HTTP_EXPECT, "expect"),
    (C.WSI_TOKEN_HTTP_URI_ARGS, "args"),
    (C.WSI_TOKEN_KEY, "ws-key"),
)


def feed(ah, piece):
    """Append ``piece`` to what the table holds, as a recv would."""
    n = len(piece)
    assert ah.rxlen + n <= ah.size
    ah.mv[ah.rxlen:ah.rxlen + n] = piece
    ah.rxlen += n


def parse_pieces(pieces, size=4096, limits=None):
    """Feed ``pieces`` in turn; every one but the last must leave the
    parser wanting more.  Returns (status after the last, table).  The
    parser runs with the platform's byte loops, as the server runs it
    (machine code on MicroPython; test_viper checks them against the plain
    ones)."""
    ah = HeaderTable(size)
    st = NEED_MORE
    for i, p in enumerate(pieces):
        assert st == NEED_MORE, (i, st)
        feed(ah, p)
        st = parse_request(ah, limits, _port.parse_scan)
    return st, ah


def parse(raw, size=4096, limits=None):
    return parse_pieces([raw], size, limits)


def status_of(raw, size=4096, limits=None):
    return parse(raw, size, limits)[0]


def frags(ah, token):
    out = []
    i = 0
    while True:
        fr = ah.frag(token, i)
        if fr is None:
            return out
        out.append(bytes(ah.mv[fr[0]:fr[0] + fr[1]]))
        i += 1


def snapshot(ah):
    """Everything the parse produced, independent of buffer offsets."""
    snap = {
        "method": ah.method,
        "version": ah.http_version,
        "head": ah.head,
        "hdr_end": ah.hdr_end,
        "rest": bytes(ah.mv[ah.hdr_end:ah.rxlen]),
    }
    for token, name in _TOKENS:
        f = frags(ah, token)
        if f:
            snap[name] = f
    return snap


def split_pieces(raw, cut):
    return [raw[:cut], raw[cut:]]


REQUEST = (
    b"\r\n\r\n"  # empty lines before the request line are ignored
    b"GET /a%20b/./c/../d%2Fe?x=1&name=J%C3%B6rg+K&&flag&pct=%25&plus=%2B HTTP/1.1\r\n"
    b"Host: device.local:8080\r\n"
    b"User-Agent:  lws-test/1.0 \t\r\n"
    b"X-Unknown: dropped\r\n"
    b"Accept: text/html\r\n"
    b"accept: */*\r\n"
    b"Connection: keep-alive, Upgrade\r\n"
    b"Cookie: a=1\r\n"
    b"Content-Length: 5\r\n"
    b"\r\n"
    b"hello"  # the body's first bytes, not part of the head
)

EXPECTED = {
    "method": C.WSI_TOKEN_GET_URI,
    "version": 11,
    "head": False,
    "hdr_end": len(REQUEST) - 4 - 5,  # the leading CRLFs are dropped
    "rest": b"hello",
    "get": [b"/a b/d/e"],
    "args": [b"x=1", "name=Jörg K".encode(), b"flag", b"pct=%", b"plus=+"],
    "host": [b"device.local:8080"],
    "user-agent": [b"lws-test/1.0"],
    "accept": [b"text/html", b"*/*"],
    "connection": [b"keep-alive, Upgrade"],
    "cookie": [b"a=1"],
    "content-length": [b"5"],
}


def test_whole_request_tokens():
    st, ah = parse(REQUEST)
    assert st == COMPLETE
    assert snapshot(ah) == EXPECTED


def test_every_split_point_parses_identically():
    head_len = len(REQUEST) - 5
    for cut in range(1, head_len):
        # the first piece leaves the parser wanting more, the second completes
        st, ah = parse_pieces(split_pieces(REQUEST, cut))
        assert st == COMPLETE, (cut, st)
        got = snapshot(ah)
        assert got == EXPECTED, (cut, got)


def test_byte_by_byte_parses_identically():
    ah = HeaderTable(4096)
    st = NEED_MORE
    head_len = len(REQUEST) - 5
    for i in range(head_len):
        assert st == NEED_MORE, (i, st)
        feed(ah, REQUEST[i:i + 1])
        st = parse_request(ah)
    assert st == COMPLETE
    feed(ah, b"hello")
    assert snapshot(ah) == EXPECTED


def test_every_split_of_an_error_gives_the_same_status():
    bad = (
        (b"GET /x HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n", 400),
        (b"BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", 501),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        (b"GET /../x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    )
    for raw, want in bad:
        for cut in range(1, len(raw)):
            ah = HeaderTable(4096)
            feed(ah, raw[:cut])
            st = parse_request(ah)
            if st == NEED_MORE:
                feed(ah, raw[cut:])
                st = parse_request(ah)
            assert st == want, (raw, cut, st)


def test_leading_crlfs_skipped():
    for pre in (b"\r\n", b"\r\n\r\n\r\n"):
        raw = pre + b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        st, ah = parse(raw)
        assert st == COMPLETE
        assert frags(ah, C.WSI_TOKEN_GET_URI) == [b"/"]
        # and when they come one byte at a time
        st, ah = parse_pieces([raw[i:i + 1] for i in range(len(raw))])
        assert st == COMPLETE
        assert frags(ah, C.WSI_TOKEN_HOST) == [b"a"]
    # empty lines alone: still waiting, nothing kept
    st, ah = parse(b"\r\n\r\n\r\n")
    assert st == NEED_MORE and ah.rxlen == 0
    # a CR not followed by LF is no empty line
    assert status_of(b"\r\rGET / HTTP/1.1\r\nHost: a\r\n\r\n") == 400
    assert status_of(b"\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") == 400


def test_request_line_errors_400():
    bad = (
        b"GARBAGE",
        b"GET",
        b"GET /",
        b"GET  / HTTP/1.1",
        b"GET /  HTTP/1.1",
        b"GET / HTTP/1.1 ",
        b" GET / HTTP/1.1",
        b"GET\t/\tHTTP/1.1",
        b"GET / HTTP/1.1 extra",
        b"GET / http/1.1",
        b"GET / HTTP/1",
        b"GET / HTTP/11",
        b"GET / HTTP/1.10",
        b"GET / HTTP/a.b",
        b"GET / HTTP-1.1",
        b"GET x HTTP/1.1",
        b"GET *  HTTP/1.1",
        b"GET * HTTP/1.1",  # '*' is only for OPTIONS
        b"GET / HTTP/1.1\r",  # a CR inside the line
        b"G(T / HTTP/1.1",  # not a token
    )
    for line in bad:
        assert status_of(line + b"\r\nHost: a\r\n\r\n") == 400, line
        # answered as soon as the line is in, without waiting for headers
        assert status_of(line + b"\r\n") == 400, line


def test_unknown_method_501():
    for m in (b"BREW", b"get", b"Get", b"CONNECT", b"TRACE", b"PROPFIND", b"X-CUSTOM"):
        raw = m + b" / HTTP/1.1\r\nHost: a\r\n\r\n"
        assert status_of(raw) == 501, m
        assert status_of(m + b" / HTTP/1.1\r\n") == 501, m


def test_http_versions():
    for v, want in ((b"HTTP/2.0", 505), (b"HTTP/3.0", 505), (b"HTTP/0.9", 505)):
        assert status_of(b"GET / " + v + b"\r\nHost: a\r\n\r\n") == want, v
        assert status_of(b"GET / " + v + b"\r\n") == want, v
    st, ah = parse(b"GET / HTTP/1.0\r\n\r\n")
    assert st == COMPLETE and ah.http_version == 10
    st, ah = parse(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert st == COMPLETE and ah.http_version == 11
    # a later 1.x minor version is served as the highest we speak
    st, ah = parse(b"GET / HTTP/1.7\r\nHost: a\r\n\r\n")
    assert st == COMPLETE and ah.http_version == 11


def test_obs_fold_400():
    assert status_of(b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  continued\r\n\r\n") == 400
    assert status_of(b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tcontinued\r\n\r\n") == 400
    # whitespace before the first header is a fold of the request line
    assert status_of(b"GET / HTTP/1.1\r\n Host: a\r\n\r\n") == 400


def test_header_syntax_errors_400():
    bad = (
        b"Host : a",  # space before the colon (RFC 7230 3.2.4)
        b"Host\t: a",
        b"Host a",  # no colon
        b": a",  # empty name
        b"Ho(st: a",  # not a token
        b"Host: a\rb",  # bare CR in a value
        b"X-A: a\nb",  # bare LF in a value
    )
    for h in bad:
        raw = b"GET / HTTP/1.1\r\n" + h + b"\r\n\r\n"
        assert status_of(raw) == 400, h


def test_nul_anywhere_400():
    good = b"GET /path?q=1 HTTP/1.1\r\nHost: a\r\nX-A: v\r\n\r\n"
    assert status_of(good) == COMPLETE
    head_end = good.find(b"\r\n\r\n")
    for i in range(head_end):
        if good[i] in b"\r\n":
            continue
        raw = good[:i] + b"\x00" + good[i + 1:]
        assert status_of(raw) == 400, i
    # %00 in the path decodes to NUL: refused too
    assert status_of(b"GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n") == 400
    # a NUL in the body (after the head) is none of the parser's business
    assert status_of(good + b"\x00\x00") == COMPLETE


def test_overflow_414_vs_431():
    size = 256
    # a request line that never ends inside the table: URI too long
    st, _ = parse(b"GET /" + b"a" * (size - 5), size)
    assert st == 414
    # the same arriving in pieces
    line = b"GET /" + b"a" * (size - 5)
    st, _ = parse_pieces([line[i:i + 50] for i in range(0, len(line), 50)], size)
    assert st == 414
    # the request line fits; the headers do not: header fields too large
    head = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: "
    st, _ = parse(head + b"b" * (size - len(head)), size)
    assert st == 431
    # exactly filling the table (size bytes) is fine ...
    head = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: "
    raw = head + b"b" * (size - len(head) - 4) + b"\r\n\r\n"
    assert status_of(raw, size) == COMPLETE
    # ... and a head one byte longer is not: the table (size bytes again)
    # is full one byte short of the head's end
    raw = head + b"b" * (size - len(head) - 3) + b"\r\n\r"
    assert status_of(raw, size) == 431


def test_token_limits_431():
    lens = [4096] * C.WSI_TOKEN_COUNT
    lens[C.WSI_TOKEN_HTTP_USER_AGENT] = 8
    lens[C.WSI_TOKEN_HTTP_COOKIE] = 0
    limits = lws_token_limits(token_len=lens)
    base = b"GET / HTTP/1.1\r\nHost: a\r\n"
    assert status_of(base + b"User-Agent: 12345678\r\n\r\n", limits=limits) == COMPLETE
    assert status_of(base + b"User-Agent: 123456789\r\n\r\n", limits=limits) == 431
    # surrounding whitespace is not part of the value
    assert status_of(base + b"User-Agent:   12345678   \r\n\r\n", limits=limits) == COMPLETE
    assert status_of(base + b"Cookie:\r\n\r\n", limits=limits) == COMPLETE
    assert status_of(base + b"Cookie: a\r\n\r\n", limits=limits) == 431
    # an unknown header is dropped, so no limit applies to it
    assert status_of(base + b"X-Long: " + b"x" * 500 + b"\r\n\r\n", limits=limits) == COMPLETE
    # without limits, the same request is fine
    assert status_of(base + b"User-Agent: 123456789\r\n\r\n") == COMPLETE


def test_token_limits_on_the_uri_414():
    lens = [4096] * C.WSI_TOKEN_COUNT
    lens[C.WSI_TOKEN_GET_URI] = 6
    lens[C.WSI_TOKEN_HTTP_URI_ARGS] = 5
    limits = lws_token_limits(token_len=lens)
    ok = b"GET /abcde?a=123 HTTP/1.1\r\nHost: a\r\n\r\n"
    assert status_of(ok, limits=limits) == COMPLETE
    # the limit is on the decoded path
    assert status_of(b"GET /%61bcde HTTP/1.1\r\nHost: a\r\n\r\n", limits=limits) == COMPLETE
    assert status_of(b"GET /abcdef HTTP/1.1\r\nHost: a\r\n\r\n", limits=limits) == 414
    assert status_of(b"GET /?a=1234 HTTP/1.1\r\nHost: a\r\n\r\n", limits=limits) == 414


def test_fragment_capacity_overflow():
    ah = HeaderTable(4096)
    cap = ah.frag_cap
    # more query arguments than the table can index
    many_args = b"&".join(b"a%d" % i for i in range(cap + 5))
    assert status_of(b"GET /?" + many_args + b" HTTP/1.1\r\nHost: a\r\n\r\n") == 414
    # more known header lines than the table can index
    many = b"".join(b"Accept: x\r\n" for _ in range(cap + 5))
    assert status_of(b"GET / HTTP/1.1\r\nHost: a\r\n" + many + b"\r\n") == 431
    # just under the capacity is fine: fragment 0 is "none", the URI and
    # Host take one each
    fit = b"".join(b"Accept: x\r\n" for _ in range(cap - 3))
    st, ah = parse(b"GET / HTTP/1.1\r\nHost: a\r\n" + fit + b"\r\n")
    assert st == COMPLETE
    assert ah.count(C.WSI_TOKEN_HTTP_ACCEPT) == cap - 3


def test_absolute_form_uri():
    st, ah = parse(b"GET http://example.com:8080/a/./b?x=1 HTTP/1.1\r\nHost: other\r\n\r\n")
    assert st == COMPLETE
    assert frags(ah, C.WSI_TOKEN_GET_URI) == [b"/a/b"]
    assert frags(ah, C.WSI_TOKEN_HTTP_URI_ARGS) == [b"x=1"]
    # RFC 7230 5.4: the target's authority wins over the Host header
    assert frags(ah, C.WSI_TOKEN_HOST) == [b"example.com:8080"]
    # no path means "/"
    st, ah = parse(b"GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert st == COMPLETE
    assert frags(ah, C.WSI_TOKEN_GET_URI) == [b"/"]
    assert frags(ah, C.WSI_TOKEN_HOST) == [b"example.com"]
    st, ah = parse(b"GET https://example.com?q=2 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert st == COMPLETE
    assert frags(ah, C.WSI_TOKEN_GET_URI) == [b"/"]
    assert frags(ah, C.WSI_TOKEN_HTTP_URI_ARGS) == [b"q=2"]
    # HTTP/1.1 still needs a Host header (RFC 7230 5.4), and only one
    assert status_of(b"GET http://example.com/ HTTP/1.1\r\n\r\n") == 400
    assert status_of(b"GET http://e.com/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400
    st, ah = parse(b"GET http://example.com/x HTTP/1.0\r\n\r\n")
    assert st == COMPLETE and frags(ah, C.WSI_TOKEN_HOST) == [b"example.com"]
    # the path climbs out of the root: refused like any other
    assert status_of(b"GET http://x/../secret HTTP/1.1\r\nHost: x\r\n\r\n") == 400
    assert status_of(b"GET http://x/a/%2e%2e/%2e%2e/s HTTP/1.1\r\nHost: x\r\n\r\n") == 400
    # not a scheme
    for target in (b"1http://x/", b"ht_tp://x/", b"://x/", b"x/a://b/"):
        assert status_of(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n") == 400, target


def test_options_star():
    st, ah = parse(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
    assert st == COMPLETE
    assert ah.method == C.WSI_TOKEN_OPTIONS_URI
    assert frags(ah, C.WSI_TOKEN_OPTIONS_URI) == [b"*"]
    st, ah = parse(b"OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n")
    assert st == COMPLETE and frags(ah, C.WSI_TOKEN_OPTIONS_URI) == [b"/x"]


def test_methods_and_head_flag():
    for m, token in (
        (b"GET", C.WSI_TOKEN_GET_URI),
        (b"HEAD", C.WSI_TOKEN_GET_URI),
        (b"POST", C.WSI_TOKEN_POST_URI),
        (b"PUT", C.WSI_TOKEN_PUT_URI),
        (b"PATCH", C.WSI_TOKEN_PATCH_URI),
        (b"DELETE", C.WSI_TOKEN_DELETE_URI),
        (b"OPTIONS", C.WSI_TOKEN_OPTIONS_URI),
    ):
        st, ah = parse(m + b" /m HTTP/1.1\r\nHost: a\r\n\r\n")
        assert st == COMPLETE, m
        assert ah.method == token, m
        assert ah.head == (m == b"HEAD"), m
        assert frags(ah, token) == [b"/m"], m
        for other, _ in _TOKENS[:6]:
            if other != token:
                assert not frags(ah, other), (m, other)


def test_repeated_headers_kept_in_order():
    st, ah = parse(
        b"GET / HTTP/1.1\r\nHost: a\r\nAccept: one\r\nX-Skip: 1\r\n"
        b"ACCEPT:two\r\naccept: three  \r\nCookie: c=1\r\nCookie: d=2\r\n\r\n")
    assert st == COMPLETE
    assert frags(ah, C.WSI_TOKEN_HTTP_ACCEPT) == [b"one", b"two", b"three"]
    assert ah.count(C.WSI_TOKEN_HTTP_ACCEPT) == 3
    assert frags(ah, C.WSI_TOKEN_HTTP_COOKIE) == [b"c=1", b"d=2"]
    # lws_hdr_copy gives the fragments one after another, each after the
    # first behind the space v2.1's parser puts there
    from lws_mp.core.hdr import (
        lws_hdr_copy,
        lws_hdr_copy_fragment,
        lws_hdr_fragment_length,
        lws_hdr_total_length,
    )

    class _Wsi:
        pass

    w = _Wsi()
    w.ah = ah
    n = lws_hdr_total_length(w, C.WSI_TOKEN_HTTP_ACCEPT)
    buf = bytearray(n + 1)
    assert lws_hdr_copy(w, buf, len(buf), C.WSI_TOKEN_HTTP_ACCEPT) == n
    assert bytes(buf[:n]) == b"one two three" and buf[n] == 0
    # the fragments count the same bytes
    total = 0
    for i, want in enumerate((b"one", b" two", b" three")):
        m = lws_hdr_copy_fragment(w, buf, len(buf), C.WSI_TOKEN_HTTP_ACCEPT, i)
        assert bytes(buf[:m]) == want and buf[m] == 0
        assert lws_hdr_fragment_length(w, C.WSI_TOKEN_HTTP_ACCEPT, i) == m
        total += m
    assert total == n


def test_second_host_400():
    assert status_of(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400
    assert status_of(b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n") == 400


def test_empty_values_and_whitespace():
    st, ah = parse(b"GET / HTTP/1.1\r\nHost: a\r\nAccept:\r\nCookie: \t \r\n\r\n")
    assert st == COMPLETE
    assert frags(ah, C.WSI_TOKEN_HTTP_ACCEPT) == [b""]
    assert frags(ah, C.WSI_TOKEN_HTTP_COOKIE) == [b""]


def test_uri_decoding_and_normalising_in_the_table():
    cases = (
        (b"/", b"/"),
        (b"/a//b///c", b"/a/b/c"),
        (b"/a/./b/.", b"/a/b"),
        (b"/a/b/../c/", b"/a/c/"),
        (b"/%41%62%63", b"/Abc"),
        (b"/a+b", b"/a+b"),  # '+' is only a space in the query
        (b"/caf%C3%A9", "/café".encode()),
        (b"/x%3Fy", b"/x?y"),  # an escaped '?' is part of the path
    )
    for raw, want in cases:
        st, ah = parse(b"GET " + raw + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        assert st == COMPLETE, raw
        assert frags(ah, C.WSI_TOKEN_GET_URI) == [want], raw
    for raw in (b"/%", b"/%4", b"/%zz", b"/%4g", b"/..", b"/a/../..", b"/%2e%2e/x",
                b"/..%2fx", b"/a%5c..", b"/a\\b", b"/%0d%0aSet-Cookie:x", b"/%7f"):
        assert status_of(b"GET " + raw + b" HTTP/1.1\r\nHost: a\r\n\r\n") == 400, raw
    # a bad escape in an argument is a bad request too
    assert status_of(b"GET /?a=%g0 HTTP/1.1\r\nHost: a\r\n\r\n") == 400


def test_pipelined_requests_reset_and_parse_again():
    one = b"GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
    two = b"POST /two?z=9 HTTP/1.0\r\nContent-Length: 0\r\n\r\n"
    st, ah = parse(one + two)
    assert st == COMPLETE
    assert frags(ah, C.WSI_TOKEN_GET_URI) == [b"/one"]
    assert ah.hdr_end == len(one)
    ah.reset(ah.hdr_end)
    assert ah.rxlen == len(two)
    assert parse_request(ah) == COMPLETE
    assert ah.method == C.WSI_TOKEN_POST_URI and ah.http_version == 10
    assert frags(ah, C.WSI_TOKEN_POST_URI) == [b"/two"]
    assert frags(ah, C.WSI_TOKEN_HTTP_URI_ARGS) == [b"z=9"]
    assert not frags(ah, C.WSI_TOKEN_GET_URI)
    assert not frags(ah, C.WSI_TOKEN_HOST)


class _Lcg:
    """A small deterministic generator (MicroPython's random has no Random)."""

    def __init__(self, seed):
        self.x = seed

    def next(self, n):
        self.x = (self.x * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.x >> 8) % n


_SEEDS = (
    REQUEST,
    b"POST http://h:80/p?q HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    b"HEAD /a/%2e%2e/b?x=%41+y HTTP/1.1\r\nHost: x\r\nCookie: c\r\n\r\n",
)
_MUTATIONS = b"\r\n :/%?&+.\\\x00\t*#aZ09\x7f\xff" + b"%2e%2f%5c%00%zz"


def _check_complete(ah, raw):
    fr = ah.frag(ah.method, 0)
    uri = bytes(ah.mv[fr[0]:fr[0] + fr[1]])
    assert uri == b"*" or uri.startswith(b"/"), (uri, raw)
    for seg in uri.split(b"/"):
        assert seg != b"." and seg != b"..", (uri, raw)
    for c in uri:
        assert c >= 32 and c != 127 and c != 92, (uri, raw)
    for t in range(C.WSI_TOKEN_COUNT):
        i = 0
        while True:
            f = ah.frag(t, i)
            if f is None:
                break
            assert f[0] + f[1] <= ah.hdr_end, (t, f, raw)
            i += 1


def test_mutated_requests_never_raise_and_never_escape():
    rnd = _Lcg(7)
    valid = (NEED_MORE, COMPLETE, 400, 414, 431, 501, 505)
    lens = [40] * C.WSI_TOKEN_COUNT
    limits = lws_token_limits(token_len=lens)
    complete = 0
    for case in range(600):
        s = _SEEDS[case % len(_SEEDS)]
        for _ in range(1 + rnd.next(5)):
            p = rnd.next(len(s) + 1)
            op = rnd.next(3)
            if op == 0 and len(s) > 1:
                s = s[:p] + s[p + 1 + rnd.next(3):]
            elif op == 1 and p < len(s):
                s = s[:p] + bytes((rnd.next(256),)) + s[p + 1:]
            else:
                m = rnd.next(len(_MUTATIONS) - 2)
                s = s[:p] + _MUTATIONS[m:m + 1 + rnd.next(3)] + s[p:]
        size = (64, 128, 4096)[case % 3]
        raw = bytes(s[:size])
        ah = HeaderTable(size)
        st = NEED_MORE
        pos = 0
        while pos < len(raw) and st == NEED_MORE:
            piece = raw[pos:pos + 1 + rnd.next(20)]
            pos += len(piece)
            feed(ah, piece)
            st = parse_request(ah, limits if case % 4 == 0 else None)
            assert st in valid, (st, raw)
        if st == COMPLETE:
            complete += 1
            _check_complete(ah, raw)
    assert complete > 50  # the mutations leave plenty of valid requests
