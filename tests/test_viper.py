"""The byte loops every WebSocket payload passes through -- unmasking and
the UTF-8 check --, the copy small frames and heads are built with, and the
HTTP parser's scans (the head's end, a header line's bounds, the header
name, a control byte), against plain references
(written here, or the parser's own plain loops).

On MicroPython these are the viper machine-code helpers (x64 or i386 on
the unix ports, Thumb on the emulated Cortex-M); on CPython, its fallbacks.
"""

from lws_mp import _port
from lws_mp.codec.header_names import LOWER_TCHAR, NAMES, token_of
from lws_mp.codec.plain_scan import ctl_at, head_end, header_line, header_token

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


def _names():
    """Every name lws knows, walked from the table itself."""
    out = []
    p = 0
    while NAMES[p]:
        n = NAMES[p]
        out.append(bytes(NAMES[p + 1:p + 1 + n]))
        p += n + 3
    return out


def test_header_token_agrees_with_the_plain_lookup():
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
        for off in (0, 3):  # the name anywhere in the head
            raw = b"GET"[:off] + name + b": v"
            a = bytearray(raw)
            b = bytearray(raw)
            want = header_token(a, off, off + len(name))
            got = scan.header_token(b, off, off + len(name), NAMES, LOWER_TCHAR)
            assert got == want, (name, off, got, want)
            assert a == b, name  # lowercased alike, and nothing else touched
            checked += 1
    assert checked == len(cases) * 2
    # every known name is found, in any case, as the token the table gives
    for name in names:
        a = bytearray(name.upper())
        assert scan.header_token(a, 0, len(a), NAMES, LOWER_TCHAR) == token_of(name)


def test_header_token_refuses_what_is_out_of_bounds():
    scan = _scan()
    a = bytearray(b"host")
    for pos, end in ((0, 5), (-1, 4), (2, 2), (3, 1)):
        assert scan.header_token(a, pos, end, NAMES, LOWER_TCHAR) == -1, (pos, end)
    assert a == bytearray(b"host")


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


def test_header_line_agrees_with_the_plain_scan():
    scan = _scan()
    checked = 0
    for line in _lines():
        for tail in (b"\r\n", b"\r\nNext: v\r\n", b"", b"\r", b"\n"):
            for lead in (b"", b"GET / HTTP/1.1\r\n"):
                data = bytearray(lead + line + tail)
                for end in range(len(lead), len(data) + 1):
                    want_out = _port.u16_array(3)
                    got_out = _port.u16_array(3)
                    want = header_line(data, len(lead), end, want_out)
                    got = scan.header_line(data, len(lead), end, got_out)
                    assert got == want, (data, end, got, want)
                    if want >= 0:
                        assert list(got_out) == list(want_out), (data, end)
                    checked += 1
    assert checked > 2000
    # out of bounds: refused, nothing written
    out = _port.u16_array(3)
    for pos, end in ((0, 99), (-1, 4), (3, 3), (4, 2)):
        assert scan.header_line(bytearray(b"a: b"), pos, end, out) == -1, (pos, end)
    assert list(out) == [0, 0, 0]


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
