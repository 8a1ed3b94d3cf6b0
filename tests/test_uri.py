"""URI helpers: in-place %-decoding, path normalisation, lws_parse_uri."""

from lws_mp import lws_parse_uri
from lws_mp.codec.uri import normalise_path, urldecode_inplace


def decode(raw, plus_is_space=False):
    buf = bytearray(raw)
    end = urldecode_inplace(buf, 0, len(buf), plus_is_space)
    return None if end < 0 else bytes(buf[:end])


def test_urldecode_plain_and_escapes():
    assert decode(b"") == b""
    assert decode(b"/plain/path") == b"/plain/path"
    assert decode(b"%41%42%43") == b"ABC"
    assert decode(b"a%20b%2fc") == b"a b/c"
    assert decode(b"%e2%82%ac%E2%82%AC") == "€€".encode()
    assert decode(b"%00") == b"\x00"
    assert decode(b"%ff") == b"\xff"
    # an escaped '%' is not decoded a second time
    assert decode(b"%2541") == b"%41"
    assert decode(b"%25%32%35") == b"%25"


def test_urldecode_bad_escapes():
    for raw in (b"%", b"a%", b"%4", b"ab%4", b"%zz", b"%4g", b"%g4", b"%%41",
                b"%-1", b"% 1", b"ok%2", b"%41%"):
        assert decode(raw) is None, raw


def test_urldecode_plus():
    # in a path '+' is a plus; in a query argument a space
    assert decode(b"a+b") == b"a+b"
    assert decode(b"a+b", True) == b"a b"
    assert decode(b"++", True) == b"  "
    # an escaped plus stays a plus either way
    assert decode(b"a%2Bb", True) == b"a+b"
    assert decode(b"a%2Bb+c", True) == b"a+b c"


def test_urldecode_subrange_leaves_the_rest():
    buf = bytearray(b"XX%41%42+YY")
    end = urldecode_inplace(buf, 2, 9, True)
    assert end == 5
    assert bytes(buf[:end]) == b"XXAB "
    # the bytes past the range are untouched
    assert bytes(buf[9:]) == b"YY"


def test_urldecode_long_runs_move_correctly():
    # long plain runs between escapes are moved with overlapping copies
    parts = [b"%41", b"x" * 700, b"%2f", b"y" * 1300, b"%42", b"z" * 3]
    raw = b"".join(parts)
    assert decode(raw) == b"A" + b"x" * 700 + b"/" + b"y" * 1300 + b"B" + b"zzz"


NORMALISE = (
    (b"/", b"/"),
    (b"/index.html", b"/index.html"),
    (b"//", b"/"),
    (b"///a////b//", b"/a/b/"),
    (b"/a/./b", b"/a/b"),
    (b"/./", b"/"),
    (b"/.", b"/"),
    (b"/a/.", b"/a"),
    (b"/a/b/..", b"/a"),
    (b"/a/b/../", b"/a/"),
    (b"/a/../b/../c", b"/c"),
    (b"/a/b/../../c/", b"/c/"),
    (b"/a/..", b"/"),
    (b"/dir/", b"/dir/"),  # a trailing slash is kept
    (b"/.hidden", b"/.hidden"),
    (b"/...", b"/..."),  # three dots is a name
    (b"/a..b/c", b"/a..b/c"),
    (b"/..a", b"/..a"),
    ("/café/ü".encode(), "/café/ü".encode()),
)


def test_normalise_path():
    for raw, want in NORMALISE:
        assert normalise_path(raw) == want, raw


def test_normalise_refuses_every_traversal_form():
    # what a decoded request path can look like when it tries to climb out
    bad = (
        b"/..",
        b"/../",
        b"/../secret",
        b"/a/../../secret",
        b"/a/b/../../../secret",
        b"/./../secret",
        b"//../secret",
        b"/a//..//..//secret",
        b"/../../../../etc/passwd",
    )
    for raw in bad:
        assert normalise_path(raw) is None, raw
    # the same after %-decoding: '%2e%2e', '..%2f', '%2e.', '.%2e'
    encoded = (
        b"/%2e%2e/secret",
        b"/%2E%2E/secret",
        b"/..%2fsecret",
        b"/..%2Fsecret",
        b"/%2e%2e%2fsecret",
        b"/.%2e/secret",
        b"/%2e./secret",
        b"/a/%2e%2e/%2e%2e/secret",
        b"/%2f..%2f..%2fsecret",
        b"/..%2f..",
        b"/a/..%2f..",
    )
    for raw in encoded:
        dec = decode(raw)
        assert dec is not None, raw
        assert normalise_path(dec) is None, (raw, dec)
    # backslashes (a Windows separator), NUL and other control bytes
    for raw in (b"/..\\secret", b"/a/..%5c..%5csecret", b"/a\\b", b"/%00", b"/a%00.html",
                b"/a%0d%0aX: y", b"/%09", b"/%7f", b"/%5c"):
        dec = decode(raw)
        assert dec is not None, raw
        assert normalise_path(dec) is None, (raw, dec)
    # not absolute
    for raw in (b"", b"a", b"../x", b".", b"\\x"):
        assert normalise_path(raw) is None, raw


def test_normalise_never_leaves_dot_segments():
    # every path made of these segments either is refused or is clean
    segs = (b"", b".", b"..", b"a", b"%2e%2e")
    count = 0
    for s1 in segs:
        for s2 in segs:
            for s3 in segs:
                for tail in (b"", b"/"):
                    raw = b"/" + s1 + b"/" + s2 + b"/" + s3 + tail
                    dec = decode(raw)
                    p = normalise_path(dec)
                    if p is None:
                        continue
                    count += 1
                    assert p.startswith(b"/"), raw
                    assert b"//" not in p, (raw, p)
                    for seg in p.split(b"/"):
                        assert seg not in (b".", b".."), (raw, p)
    assert count > 20


def test_parse_uri_schemes_and_default_ports():
    assert lws_parse_uri("http://example.com/index.html") == (
        0, "http", "example.com", 80, "index.html")
    assert lws_parse_uri("ws://example.com/chat") == (0, "ws", "example.com", 80, "chat")
    assert lws_parse_uri("https://example.com/a/b?c=d") == (
        0, "https", "example.com", 443, "a/b?c=d")
    assert lws_parse_uri("wss://example.com/") == (0, "wss", "example.com", 443, "/")
    assert lws_parse_uri("https://example.com:8443/x") == (
        0, "https", "example.com", 8443, "x")
    assert lws_parse_uri("ws://10.0.0.7:7681") == (0, "ws", "10.0.0.7", 7681, "/")
    # bytes in, str out
    assert lws_parse_uri(b"http://h:1/p") == (0, "http", "h", 1, "p")


def test_parse_uri_leading_slash_of_path_dropped():
    # the seed: "the leading / on the path is consequently lost"
    assert lws_parse_uri("http://h/a")[4] == "a"
    assert lws_parse_uri("http://h//a")[4] == "/a"
    # and as in lws a missing or empty path is "/"
    assert lws_parse_uri("http://h")[4] == "/"
    assert lws_parse_uri("http://h/")[4] == "/"
    assert lws_parse_uri("http://h:81")[4] == "/"


def test_parse_uri_without_scheme():
    assert lws_parse_uri("localhost:7681/x") == (0, "", "localhost", 7681, "x")
    assert lws_parse_uri("localhost/x") == (0, "", "localhost", 80, "x")
    assert lws_parse_uri("localhost") == (0, "", "localhost", 80, "/")


def test_parse_uri_ipv6():
    assert lws_parse_uri("ws://[::1]:7681/chat") == (0, "ws", "::1", 7681, "chat")
    assert lws_parse_uri("https://[fe80::1%25eth0]/") == (0, "https", "fe80::1%25eth0", 443, "/")
    assert lws_parse_uri("http://[2001:db8::2]") == (0, "http", "2001:db8::2", 80, "/")
    assert lws_parse_uri("[::1]:80/p") == (0, "", "::1", 80, "p")


def test_parse_uri_errors():
    assert lws_parse_uri("http://")[0] == -1
    assert lws_parse_uri("http:///path")[0] == -1
    assert lws_parse_uri("http://h:port/")[0] == -1
    assert lws_parse_uri("ws://[::1/chat")[0] == -1
