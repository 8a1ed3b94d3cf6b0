"""The byte loops every WebSocket payload passes through -- unmasking and
the UTF-8 check --, the copy small frames and heads are built with, and the
HTTP parser's scans (the head's end, the request line, the header lines
into the fragment index, a header line's bounds, the header name, a
control byte), against plain references
(written here, or the parser's own plain loops).

On MicroPython these are the viper machine-code helpers (x64 or i386 on
the unix ports, Thumb on the emulated Cortex-M); on CPython, its fallbacks.
"""

from lws_mp import _port
from lws_mp.codec.header_names import LOWER_TCHAR, NAMES, token_of
from lws_mp.codec.plain_scan import (ctl_at, head_end, header_block, header_line, request_line)

from support import skip, unmask_at

MASK = b"\x9d\x31\xe0\x4a"


def _ref_mask(data, mask, phase):
    return bytes(b ^ mask[(i + phase) & 3] for i, b in enumerate(data))


def test_unmask_every_length_phase_and_alignment():
    src = bytes((i * 37 + 11) & 0xFF for i in range(80))
    checked = 0
    for n in range(0, 70):
        for phase in range(4):
            for off in range(4):  # the payload at any alignment in its buffer
                buf = bytearray(b"\x00" * off + src[:n] + b"\xee\xee\xee\xee")
                mv = memoryview(buf)[off:]
                unmask_at(mv, n, MASK, phase)
                assert bytes(buf[off:off + n]) == _ref_mask(src[:n], MASK, phase), (n, phase, off)
                # nothing around it is touched
                assert bytes(buf[:off]) == b"\x00" * off
                assert bytes(buf[off + n:]) == b"\xee\xee\xee\xee"
                checked += 1
    assert checked == 70 * 16


def test_unmask_twice_is_the_identity():
    data = bytearray(bytes(range(256)) * 4)
    orig = bytes(data)
    unmask_at(memoryview(data), len(data), MASK, 1)
    assert bytes(data) != orig
    unmask_at(memoryview(data), len(data), MASK, 1)
    assert bytes(data) == orig


def _ref_utf8_ok(b):
    """RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF."""
    i = 0
    n = len(b)
    while i < n:
        c = b[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            need, lo, hi = 1, 0x80, 0xBF
        elif c == 0xE0:
            need, lo, hi = 2, 0xA0, 0xBF
        elif 0xE1 <= c <= 0xEC or 0xEE <= c <= 0xEF:
            need, lo, hi = 2, 0x80, 0xBF
        elif c == 0xED:
            need, lo, hi = 2, 0x80, 0x9F
        elif c == 0xF0:
            need, lo, hi = 3, 0x90, 0xBF
        elif 0xF1 <= c <= 0xF3:
            need, lo, hi = 3, 0x80, 0xBF
        elif c == 0xF4:
            need, lo, hi = 3, 0x80, 0x8F
        else:
            return False
        if i + need >= n:
            return False  # cut short
        if not lo <= b[i + 1] <= hi:
            return False
        for k in range(2, need + 1):
            if not 0x80 <= b[i + k] <= 0xBF:
                return False
        i += need + 1
    return True


SAMPLES = (
    b"", b"plain ascii", b"\xc3\xa9t\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80",
    b"\xed\x9f\xbf", b"\xee\x80\x80", b"\xf4\x8f\xbf\xbf", b"\xef\xbb\xbf",
    # invalid: overlongs, surrogates, past U+10FFFF, stray and cut bytes
    b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf",
    b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80",
    b"\xff", b"\x80", b"a\xbfb", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3",
    b"\xe2\x28\xa1", b"\xf0\x28\x8c\x28",
)


def test_utf8_whole_messages_against_the_reference():
    for s in SAMPLES:
        v = _port.Utf8Validator()
        ok = v.feed(memoryview(s), len(s)) and v.complete()
        assert ok == _ref_utf8_ok(s), s


def test_utf8_fed_at_every_split_point():
    for s in SAMPLES:
        for cut in range(len(s) + 1):
            v = _port.Utf8Validator()
            ok = v.feed(memoryview(s), cut)
            ok = ok and v.feed(memoryview(s)[cut:], len(s) - cut)
            assert (ok and v.complete()) == _ref_utf8_ok(s), (s, cut)


def test_utf8_reports_a_bad_byte_at_once():
    # no need to wait for the end of the message: the first bad byte fails
    v = _port.Utf8Validator()
    assert v.feed(memoryview(b"ok \xc0"), 4) is False
    # and once failed it stays failed
    assert v.feed(memoryview(b"fine"), 4) is False
    v = _port.Utf8Validator()
    assert v.feed(memoryview(b"\xe2\x82"), 2)  # only unfinished: not yet bad
    assert not v.complete()


def test_copy_into_every_offset_and_length_and_nothing_around_it():
    # every alignment of both sides against the word (MicroPython copies a
    # word at a time where the two agree) and lengths around a word
    src = bytes((i * 29 + 3) & 0xFF for i in range(48))
    for source in (src, bytearray(src), memoryview(src)[5:]):
        ref = bytes(source)
        for at in range(8):
            for off in range(8):
                for n in (0, 1, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 35):
                    dst = bytearray(b"\xee" * 48)
                    assert _port.copy_into(dst, at, source, off, n) == at + n
                    assert bytes(dst[at:at + n]) == ref[off:off + n], (at, off, n)
                    assert bytes(dst[:at]) == b"\xee" * at
                    assert bytes(dst[at + n:]) == b"\xee" * (48 - at - n)


def test_copy_into_refuses_what_does_not_fit_and_writes_nothing():
    dst = bytearray(8)
    for at, off, n in ((5, 0, 4), (0, 7, 4), (-1, 0, 1), (0, -1, 1), (0, 0, -1), (0, 0, 11)):
        assert _port.copy_into(dst, at, b"0123456789", off, n) == -1, (at, off, n)
        assert dst == bytearray(8)
    assert _port.copy_into(dst, 4, b"0123456789", 6, 4) == 8  # exactly to the end
    assert bytes(dst) == b"\x00\x00\x00\x006789"
    # a view of a bigger buffer is bounded by the view, not by what is behind it
    big = bytearray(16)
    assert _port.copy_into(memoryview(big)[:4], 0, b"xxxxxxxx", 0, 5) == -1
    assert big == bytearray(16)


def _scan():
    if _port.parse_scan is None:
        skip("the HTTP parser's byte loops are machine code on MicroPython only; "
             "CPython runs the plain ones, which the parser tests and the fuzzers check")
    return _port.parse_scan


def _frag_table(cap):
    frags = _port.u16_array(3 * cap)
    frags[0] = 1
    frags[1] = cap
    return frags, bytearray(86)


def _names():
    """Every name lws knows, walked from the table itself."""
    out = []
    p = 0
    while NAMES[p]:
        n = NAMES[p]
        out.append(bytes(NAMES[p + 1:p + 1 + n]))
        p += n + 3
    return out


def test_header_names_agree_with_the_plain_lookup():
    scan = _scan()
    names = _names()
    assert len(names) == 64
    cases = []
    for name in names:
        cases.append(name)
        cases.append(name.upper())
        cases.append(name[:-1])  # a prefix: unknown (or another name)
        cases.append(name + b"x")
        cases.append(name[1:])
    cases += [b"x-custom", b"a", b"X" * 31, b"X" * 32, b"X" * 200, b"ho st", b"h\x00st",
              b"host\x80", b"content-length\x7f", b"\xff", b"sec-websocket-key1",
              b"!#$%&'*+-.^_`|~09", b"CoNtEnT-TyPe", b"(bad)", b"a/b", b"a@b", b"key{"]
    checked = 0
    for name in cases:
        for value in (b"v", b""):
            d1 = bytearray(name + b": " + value + b"\r\n")
            d2 = bytearray(d1)
            f1, x1 = _frag_table(16)
            f2, x2 = _frag_table(16)
            want = header_block(d1, 0, len(d1), f1, x1, NAMES, LOWER_TCHAR, b"", 0)
            got = scan.header_block(d2, 0, len(d2), f2, x2, NAMES, LOWER_TCHAR, b"", 0)
            assert got == want, (name, got, want)
            assert d1 == d2, name  # lowercased alike, and nothing else touched
            assert list(f1) == list(f2) and x1 == x2, name
            checked += 1
    assert checked == len(cases) * 2
    # every known name is found, in any case, as the token the table gives
    for name in names:
        d = bytearray(name.upper() + b": v\r\n")
        f, x = _frag_table(16)
        assert scan.header_block(d, 0, len(d), f, x, NAMES, LOWER_TCHAR, b"", 0) >= 0
        assert x[token_of(name)] == 1, name


def test_ctl_at_agrees_with_the_plain_scan():
    scan = _scan()
    base = bytes(range(32, 127))
    for bad in list(range(0, 32)) + [127]:
        for at in (0, 1, 50, 94):
            data = bytearray(base)
            data[at] = bad
            for start, end in ((0, 95), (at, 95), (at + 1, 95), (0, at), (0, at + 1)):
                want = ctl_at(data, start, end)
                assert scan.ctl_at(data, start, end) == want, (bad, at, start, end)
    assert scan.ctl_at(bytearray(base), 0, 95) == -1
    # bytes past the end are not there: the scan stops at the end
    assert scan.ctl_at(bytearray(b"ab\x01"), 0, 40) == 2
    assert scan.ctl_at(bytearray(b"abc"), 0, 40) == -1
    for high in (128, 200, 255):  # not control bytes (UTF-8 in a path)
        assert scan.ctl_at(bytearray((high,)), 0, 1) == -1


def test_head_end_agrees_with_the_plain_scan():
    scan = _scan()
    heads = [b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", b"GET / HTTP/1.1\r\n\r\nbody\r\n\r\n",
             b"\r\n\r\n", b"\r\n\r", b"a\r\n\r\n", b"\r\r\n\r\n\n", b"x\n\r\n\r\n",
             b"GET / HTTP/1.1\r\nX: \x00\r\n\r\n", b"\x00\r\n\r\n", b"\r\n\r\n\x00",
             b"GET / HTTP/1.1\r\nHost: a\r\n", b"", b"\r\n\r\n\r\n\r\n"]
    checked = 0
    for h in heads:
        data = bytearray(h + b"\xee" * 4)  # bytes past n are not looked at
        for start in range(-1, len(h) + 2):
            for n in range(0, len(h) + 1):
                want = head_end(data, start, n)
                assert scan.head_end(data, start, n) == want, (h, start, n, want)
                checked += 1
    assert checked > 1000
    assert scan.head_end(bytearray(b"a\r\n\r\n"), 0, 99) == 1  # n past the end: the end


def _lines():
    """Header lines with every kind of byte at every place that matters."""
    out = [b"Host: a", b"Host:a", b"Host:", b"Host: \t", b" Host: a", b"\tHost: a", b":a",
           b"Host", b"", b"a:b:c", b"X: a b ", b"X:\t a\t ", b"Host: a\rb", b"Host: a\nb",
           b"Ho\rst: a", b"Ho\nst: a", b"Host: a\r", b"Host\r\n: a", b"A: \x00"]
    for at in range(6):
        for c in b" \t:\r\nz":
            line = bytearray(b"Xy: ab")
            line[at] = c
            out.append(bytes(line))
    return out


def test_header_lines_agree_with_the_plain_scan():
    scan = _scan()
    checked = 0
    for line in _lines():
        for tail in (b"\r\n", b"\r\nNext: v\r\n", b"", b"\r", b"\n"):
            for lead in (b"", b"GET / HTTP/1.1\r\n"):
                base = lead + line + tail
                for end in range(len(lead), len(base) + 1):
                    d1 = bytearray(base)
                    d2 = bytearray(base)
                    f1, x1 = _frag_table(16)
                    f2, x2 = _frag_table(16)
                    want = header_block(d1, len(lead), end, f1, x1, NAMES, LOWER_TCHAR, b"", 0)
                    got = scan.header_block(d2, len(lead), end, f2, x2, NAMES, LOWER_TCHAR,
                                            b"", 0)
                    assert got == want, (base, end, got, want)
                    assert list(f1) == list(f2) and x1 == x2 and d1 == d2, (base, end)
                    checked += 1
    assert checked > 2000
    # out of bounds: refused, nothing written
    f, x = _frag_table(16)
    assert scan.header_block(bytearray(b"a: b\r\n"), 0, 99, f, x, NAMES, LOWER_TCHAR, b"",
                             0) == -400
    assert scan.header_block(bytearray(b"a: b\r\n"), -1, 6, f, x, NAMES, LOWER_TCHAR, b"",
                             0) == -400
    assert f[0] == 1 and not any(x)


def test_header_line_finds_the_value_and_refuses_the_bad():
    """The plain contract itself (which CPython runs): what a line gives."""
    out = _port.u16_array(3)
    data = bytearray(b"Host: \t example.org \t\r\nX: y\r\n")
    le = header_line(data, 0, len(data), out)
    assert le == 21 and data[le:le + 2] == b"\r\n"
    assert data[out[0]] == 58 and bytes(data[out[1]:out[2]]) == b"example.org"
    assert header_line(data, le + 2, len(data), out) == 27 and bytes(data[out[1]:out[2]]) == b"y"
    empty = bytearray(b"X:  \r\n")
    assert header_line(empty, 0, len(empty), out) == 4 and out[1] == out[2]
    for bad in (b" X: folded\r\n", b"\tX: folded\r\n", b": no name\r\n", b"no colon\r\n",
                b"X: a\rb\r\n", b"X: a\nb\r\n", b"X\n: a\r\n", b"X: a\r"):
        assert header_line(bytearray(bad), 0, len(bad), out) == -1, bad


_METHODS = b" GET \x80 HEAD \x80 POST \x81 OPTIONS \x82 PUT \xca PATCH \xc9 DELETE \xcb"


def _request_lines():
    """Request lines, and each with one byte changed at every place, to
    one of the bytes the line's checks turn on (made one at a time: a
    board's heap does not hold them all)."""
    bases = (b"GET /a/b.html?x=1 HTTP/1.1", b"HEAD / HTTP/1.0", b"OPTIONS * HTTP/1.1",
             b"POST http://h:1/p?q HTTP/1.1", b"DELETE /x HTTP/1.9", b"BREW /pot HTTP/1.1",
             b"PUT /a%20b HTTP/2.0", b"GET //x/./y HTTP/1.1")
    yield from (b"", b" ", b"GET", b"GET /", b"GET / ", b"GET  / HTTP/1.1", b"GET / HTTP/1.1 ",
                b"GET / HTTP/1.10", b"GET / http/1.1", b"G\x80T / HTTP/1.1")
    for base in bases:
        yield base
        for at in range(len(base)):
            for c in b" \t/.%?*:\\\x00\x7f\x80H1029G":
                line = bytearray(base)
                line[at] = c
                yield line


def test_request_line_agrees_with_the_plain_scan():
    scan = _scan()
    checked = accepted = 0
    for line in _request_lines():
        data = bytearray(line)
        data += b"\r\nHost: a\r\n\r\n"
        want_out = _port.u16_array(5)
        got_out = _port.u16_array(5)
        want = request_line(data, len(line), want_out, _METHODS, LOWER_TCHAR)
        got = scan.request_line(data, len(line), got_out, _METHODS, LOWER_TCHAR)
        assert got == want, (line, got, want)
        if want >= 0:
            assert list(got_out) == list(want_out), (line, list(got_out), list(want_out))
            accepted += 1
        checked += 1
    assert checked > 2000 and accepted > 100
    out = _port.u16_array(5)
    for eol in (-1, 99):
        assert scan.request_line(bytearray(b"GET / HTTP/1.1"), eol, out, _METHODS,
                                 LOWER_TCHAR) == -400, eol


def test_request_line_finds_what_the_parser_stores():
    """The plain contract itself (which CPython runs)."""
    out = _port.u16_array(5)
    data = bytearray(b"GET /a/b.html?x=1 HTTP/1.1")
    assert request_line(data, len(data), out, _METHODS, LOWER_TCHAR) == 11
    assert list(out) == [3, 17, 0, 13, 1]  # spaces, GET, the '?', plain
    data = bytearray(b"HEAD /a%20b HTTP/1.0")
    assert request_line(data, len(data), out, _METHODS, LOWER_TCHAR) == 10
    assert list(out) == [4, 11, 256, 11, 0]  # HEAD: GET's token + 256; a '%': not plain
    for line, want in ((b"GET //x HTTP/1.1", 0), (b"GET /x/. HTTP/1.1", 0),
                       (b"GET /a\\b HTTP/1.1", 0), (b"GET /a?//. HTTP/1.1", 1),
                       (b"GET http://h/x HTTP/1.1", 0)):
        assert request_line(bytearray(line), len(line), out, _METHODS, LOWER_TCHAR) == 11
        assert out[4] == want, line
    for line, want in ((b"GET / HTTP/2.0", -505), (b"BREW / HTTP/1.1", -501),
                       (b"G(T / HTTP/1.1", -400), (b"GET * HTTP/1.1", -400),
                       (b"OPTIONS *x HTTP/1.1", -400), (b"GET x HTTP/1.1", -400),
                       (b"GET / HTTP/1.1 x", -400), (b"GET /  HTTP/1.1", -400)):
        assert request_line(bytearray(line), len(line), out, _METHODS, LOWER_TCHAR) == want, line


def test_header_block_agrees_with_the_plain_scan():
    scan = _scan()
    lines = _lines() + [b"Host: b", b"Content-Length: 12", b"X-Custom: 1", b"ACCEPT: */*",
                        b"accept: text/html", b"Cookie: a=b", b"Cookie: c=d"]
    limits = _port.u16_array(86)
    for i in range(86):
        limits[i] = 0xFFFF
    limits[3] = 1  # Host: one byte at most
    checked = complete = 0
    for a in lines:
        for b in (b"Host: a", b"Cookie: x", b"X: y", b"Ho\rst: a", b"Accept: q"):
            block = a + b"\r\n" + b + b"\r\n"
            for lim in (b"", limits):
                for from_target in (0, 1):
                    for cap in (16, 2):
                        d1 = bytearray(b"GET / HTTP/1.1\r\n" + block + b"\r\n")
                        d2 = bytearray(d1)
                        f1, x1 = _frag_table(cap)
                        f2, x2 = _frag_table(cap)
                        end = 16 + len(block)
                        want = header_block(d1, 16, end, f1, x1, NAMES, LOWER_TCHAR, lim,
                                            from_target)
                        got = scan.header_block(d2, 16, end, f2, x2, NAMES, LOWER_TCHAR, lim,
                                                from_target)
                        assert got == want, (block, lim, from_target, cap, got, want)
                        if want >= 0:
                            assert list(f1) == list(f2) and x1 == x2, block
                            assert d1 == d2, block  # names lowercased alike
                            complete += 1
                        checked += 1
    assert checked > 1000 and complete > 100


def test_header_block_fills_the_index_and_refuses_the_bad():
    """The plain contract itself (which CPython runs)."""
    from lws_mp.core import header_table

    ah = header_table.HeaderTable(256)
    head = b"GET / HTTP/1.1\r\nHOST: h\r\nCookie: a\r\nX: 1\r\ncookie:  b \r\n\r\n"
    ah.data[:len(head)] = head
    end = len(head) - 2
    assert header_block(ah.data, 16, end, ah.frags, ah.frag_index, NAMES, LOWER_TCHAR, b"",
                        0) == 1
    host, cookie = token_of(b"host"), token_of(b"cookie")
    assert bytes(ah.value(host)) == b"h" and ah.count(cookie) == 2
    assert ah.frag(cookie, 1) == (head.index(b" b ") + 1, 1)  # the value without its spaces
    assert bytes(ah.data[16:20]) == b"host"  # the name lowercased in place
    for bad, want in ((b"Host: a\r\nHost: b\r\n", -400), (b" X: fold\r\n", -400),
                      (b"X(: a\r\n", -400), (b"X: a\rb\r\n", -400)):
        f, x = _frag_table(16)
        assert header_block(bytearray(bad), 0, len(bad), f, x, NAMES, LOWER_TCHAR, b"",
                            0) == want, bad
    # a second Host under an absolute-form target is still refused, a first is dropped
    f, x = _frag_table(16)
    one = b"Host: a\r\n"
    assert header_block(bytearray(one), 0, len(one), f, x, NAMES, LOWER_TCHAR, b"", 1) == 1
    assert not x[host] and f[0] == 1
    # no fragment left, and a value past its limit: 431
    f, x = _frag_table(2)
    two = b"Cookie: a\r\nCookie: b\r\n"
    assert header_block(bytearray(two), 0, len(two), f, x, NAMES, LOWER_TCHAR, b"", 0) == -431
    lim = _port.u16_array(86)
    for i in range(86):
        lim[i] = 0xFFFF
    lim[cookie] = 1
    f, x = _frag_table(16)
    assert header_block(bytearray(two), 0, len(two), f, x, NAMES, LOWER_TCHAR, lim, 0) == 0
    assert f[0] == 3  # both at their limit: stored
    longer = b"Cookie: ab\r\n"
    f, x = _frag_table(16)
    assert header_block(bytearray(longer), 0, len(longer), f, x, NAMES, LOWER_TCHAR, lim,
                        0) == -431


def test_ext_index_agrees_with_the_plain_lookup():
    from lws_mp.plat.mime import EXTS, TYPES, ext_index_plain

    if _port.parse_scan is None:
        skip("the extension look-up is machine code on MicroPython only; CPython runs "
             "the plain one, which test_serve_file's MIME test checks")
    ext_index = _port.parse_scan.ext_index
    exts = []
    p = 0
    while EXTS[p]:
        exts.append(bytes(EXTS[p + 1:p + 1 + EXTS[p]]))
        p += EXTS[p] + 1
    assert len(exts) + 1 == len(TYPES)
    names = [b"", b".", b"/", b"a", b"a.", b"/a.b/c", b"/a.b/", b"/.html", b"x.HTML", b"x.HtMl",
             b"x.htmlx", b"x.tml", b"/d.d/x.js", b"x.js/", b"a.b.c.css", b"\xc3\xa9.png",
             b"x.\xc3\xa9", b"x.JS\x00", b"x." + b"a" * 40]
    for e in exts:
        names += [b"/f." + e, b"/f." + e.upper(), b"/f." + e[:-1], b"/f." + e + b"x",
                  b"f" + e, b"/dir." + e + b"/f"]
    for name in names:
        want = ext_index_plain(name, EXTS)
        assert ext_index(name, EXTS) == want, (name, want)
    assert ext_index(b"/s/index.html", EXTS) == 1
    assert TYPES[ext_index(b"/x.WOFF2", EXTS)] == "font/woff2"


def test_token_in_list_agrees_with_the_plain_lookup():
    from lws_mp.codec.header_names import token_list_has

    if _port.parse_scan is None:
        skip("the header-list look-up is machine code on MicroPython only; CPython runs "
             "the plain one, which the HTTP server tests check")
    token_in_list = _port.parse_scan.token_in_list
    values = [b"", b",", b" , ", b"close", b"Close", b"CLOSE", b" close ", b"\tclose\t",
              b"keep-alive, close", b"close,keep-alive", b"closed", b"clos", b"xclose",
              b"upgrade", b"Upgrade, HTTP2-Settings", b"keep-alive,Upgrade", b"a,,close",
              b"cl ose", b"close\x0b", b"\x0cclose", b"k\xc3\xa9ep", b"CLOSE , UPGRADE"]
    words = (b"close", b"keep-alive", b"upgrade", b"websocket", b"chunked")
    checked = 0
    for v in values:
        table = bytearray(b"Connection: " + v + b"\r\n")
        view = memoryview(table)[12:12 + len(v)]  # as the header table gives it
        for w in words:
            want = token_list_has(v, w)
            assert bool(token_in_list(view, w)) == want, (v, w, want)
            checked += 1
    assert checked == len(values) * len(words)
