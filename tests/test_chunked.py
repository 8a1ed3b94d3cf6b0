"""The chunked transfer-coding decoder, sans-IO, at every split point."""

from lws_mp.codec.chunked import (ERROR, MAX_EXT, MAX_SIZE_DIGITS, MAX_TRAILER, S_DONE,
                                  ChunkedDecoder)


def run(dec, piece):
    """Feed one piece the way the server does: step until it is used up.

    Returns (body bytes, bytes used, error?)."""
    mv = memoryview(piece)
    out = bytearray()
    pos = 0
    while pos < len(mv) and dec.state != S_DONE:
        used, off, n = dec.step(mv[pos:])
        if used == ERROR:
            return bytes(out), pos, True
        assert 0 <= off and off + n <= used, (used, off, n)
        out.extend(mv[pos + off:pos + off + n])
        assert used > 0 or dec.state == S_DONE
        pos += used
    return bytes(out), pos, False


def decode_pieces(pieces):
    """(body, done, error, bytes left over after the end)."""
    dec = ChunkedDecoder()
    body = bytearray()
    left = 0
    for p in pieces:
        if dec.state == S_DONE:
            left += len(p)
            continue
        data, used, err = run(dec, p)
        body.extend(data)
        if err:
            return bytes(body), False, True, 0
        left += len(p) - used
    return bytes(body), dec.state == S_DONE, False, left


def decode(raw):
    return decode_pieces([raw])


def chunk(data, ext=b""):
    return b"%x" % len(data) + ext + b"\r\n" + data + b"\r\n"


PAYLOAD = bytes(range(256))[:100]
ENCODED = (
    chunk(PAYLOAD[:7])
    + chunk(PAYLOAD[7:40], b";name=value")
    + chunk(PAYLOAD[40:41], b" ; a ;b=\"q d\"")
    + b"3B\r\n" + PAYLOAD[41:] + b"\r\n"  # upper-case hex
    + b"0;last\r\n"
    + b"X-Trailer: one\r\n"
    + b"X-Other:\ttwo\r\n"
    + b"\r\n"
)


def test_whole():
    body, done, err, left = decode(ENCODED)
    assert (body, done, err, left) == (PAYLOAD, True, False, 0)


def test_every_split_point():
    for cut in range(1, len(ENCODED)):
        got = decode_pieces([ENCODED[:cut], ENCODED[cut:]])
        assert got == (PAYLOAD, True, False, 0), cut


def test_every_split_into_three():
    n = len(ENCODED)
    for a in range(1, n, 3):
        for b in range(a + 1, n, 5):
            got = decode_pieces([ENCODED[:a], ENCODED[a:b], ENCODED[b:]])
            assert got == (PAYLOAD, True, False, 0), (a, b)


def test_byte_by_byte():
    got = decode_pieces([ENCODED[i:i + 1] for i in range(len(ENCODED))])
    assert got == (PAYLOAD, True, False, 0)


def test_stops_at_the_end_of_the_body():
    # pipelined bytes after the last chunk are not consumed
    nxt = b"GET /next HTTP/1.1\r\n\r\n"
    body, done, err, left = decode(ENCODED + nxt)
    assert done and not err and body == PAYLOAD
    assert left == len(nxt)
    # also when the end is split across pieces
    got = decode_pieces([ENCODED[:-1], ENCODED[-1:] + nxt])
    assert got == (PAYLOAD, True, False, len(nxt))


def test_empty_body_and_sizes():
    assert decode(b"0\r\n\r\n") == (b"", True, False, 0)
    assert decode(b"000\r\n\r\n") == (b"", True, False, 0)
    assert decode(b"a\r\n0123456789\r\n0\r\n\r\n")[:2] == (b"0123456789", True)
    assert decode(b"A\r\n0123456789\r\n0\r\n\r\n")[:2] == (b"0123456789", True)
    assert decode(b"0010\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n")[:2] == (b"x" * 16, True)
    # not finished yet: no error, not done
    assert decode(b"5\r\nab") == (b"ab", False, False, 0)
    assert decode(b"5\r\nabcde\r\n") == (b"abcde", False, False, 0)


def test_extensions():
    for ext in (b";a", b";a=b", b";a=\"x y\"", b" ;a", b"\t;a", b";a;b;c=1", b"  ;a=1 ; b"):
        raw = b"3" + ext + b"\r\nabc\r\n0" + ext + b"\r\n\r\n"
        assert decode(raw) == (b"abc", True, False, 0), ext
    # whitespace after the size with no extension
    assert decode(b"3 \r\nabc\r\n0\t\r\n\r\n")[:3] == (b"abc", True, False)


def test_trailers():
    raw = b"3\r\nabc\r\n0\r\nA: 1\r\nB: 2\r\nC:\r\n\r\n"
    assert decode(raw) == (b"abc", True, False, 0)
    # the trailer section is bounded
    big = b"X: " + b"v" * (MAX_TRAILER + 10) + b"\r\n"
    assert decode(b"0\r\n" + big + b"\r\n")[2]
    # a bare LF or a control byte in a trailer
    assert decode(b"0\r\nA: 1\n\r\n")[2]
    assert decode(b"0\r\n\n")[2]
    assert decode(b"0\r\nA: \x01\r\n\r\n")[2]


def test_bad_hex():
    for raw in (b"x\r\n", b"g\r\n", b"-1\r\n", b"+5\r\n", b"\r\n", b" 5\r\n", b";x\r\n",
                b"0x5\r\n", b"5x\r\n", b"5 5\r\nabcde\r\n"):
        body, done, err, _ = decode(raw + b"abcde\r\n0\r\n\r\n")
        assert err and not done, raw


def test_missing_crlf():
    bad = (
        b"3\nabc\r\n0\r\n\r\n",  # bare LF after the size
        b"3\rabc\r\n0\r\n\r\n",  # CR without LF
        b"3\r\nabcd\r\n0\r\n\r\n",  # more data than the size
        b"3\r\nabc0\r\n\r\n",  # no CRLF after the data
        b"3\r\nabc\n0\r\n\r\n",  # only LF after the data
        b"3\r\nabc\r0\r\n\r\n",  # only CR after the data
        b"3;ext\nabc\r\n0\r\n\r\n",  # bare LF ending an extension
        b"0\r\n\rX",  # bad end of the trailer section
    )
    for raw in bad:
        body, done, err, _ = decode(raw)
        assert err and not done, raw
        # the same, byte by byte
        got = decode_pieces([raw[i:i + 1] for i in range(len(raw))])
        assert got[2], raw


def test_over_long_size_line():
    ok = b"0" * (MAX_SIZE_DIGITS - 1) + b"5\r\nabcde\r\n0\r\n\r\n"
    assert decode(ok)[:3] == (b"abcde", True, False)
    too_long = b"0" * MAX_SIZE_DIGITS + b"5\r\nabcde\r\n0\r\n\r\n"
    assert decode(too_long)[2]
    # a size that would not fit any memory is refused as it is read
    assert decode(b"f" * (MAX_SIZE_DIGITS + 1))[2]
    # endless whitespace after the size is bounded too
    assert decode(b"5" + b" " * (MAX_EXT + 10) + b"\r\n")[2]


def test_over_long_extension():
    ext = b";" + b"e" * (MAX_EXT - 1)
    assert decode(b"1" + ext + b"\r\nx\r\n0\r\n\r\n")[:3] == (b"x", True, False)
    ext = b";" + b"e" * MAX_EXT
    assert decode(b"1" + ext + b"\r\nx\r\n0\r\n\r\n")[2]
    # the bound is per chunk, not for the whole body
    per_chunk = b"1;" + b"e" * (MAX_EXT - 2) + b"\r\nx\r\n"
    assert decode(per_chunk * 10 + b"0\r\n\r\n")[:3] == (b"x" * 10, True, False)
    # control bytes have no place in an extension
    assert decode(b"1;a\x00b\r\nx\r\n0\r\n\r\n")[2]


def test_large_chunk_reported_in_runs():
    data = bytes(range(256)) * 64
    raw = chunk(data) + b"0\r\n\r\n"
    pieces = [raw[i:i + 1000] for i in range(0, len(raw), 1000)]
    assert decode_pieces(pieces) == (data, True, False, 0)


def test_mutated_encodings_never_raise():
    x = 99
    results = {"done": 0, "error": 0, "more": 0}
    for case in range(400):
        s = ENCODED
        for _ in range(1 + case % 4):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
            p = (x >> 8) % len(s)
            c = b"\r\n;0aF \t\x00zZ"[(x >> 4) % 11]
            s = s[:p] + bytes((c,)) + s[p + 1:] if case % 2 else s[:p] + bytes((c,)) + s[p:]
        cut = (x >> 3) % len(s)
        body, done, err, left = decode_pieces([s[:cut], s[cut:]])
        assert len(body) <= len(s)
        assert not (done and err)
        results["done" if done else "error" if err else "more"] += 1
    # the mutations hit every outcome
    assert results["done"] and results["error"] and results["more"], results
