"""The sans-IO WebSocket pieces: frame headers, close payloads, handshake."""

import support
from lws_mp import _port
from lws_mp.core.structs import lws_protocols
from lws_mp.codec.ws_frame import (
    ERR_PROTOCOL,
    OK,
    FrameHeader,
    build_header,
    close_payload_status,
    header_len,
)
from lws_mp.codec.ws_handshake import accept_key, choose_protocol, key_is_valid, response


def _xor(payload, mask, phase=0):
    """RFC 6455 5.3 masking, written out here: the library's own unmask is
    what is under test."""
    return bytes(b ^ mask[(i + phase) & 3] for i, b in enumerate(payload))


def _hlen(n):
    """RFC 6455 5.2: a client frame's header length for an n-byte payload."""
    return (2 if n < 126 else 4 if n < 65536 else 10) + 4


def _masked_frame(opcode, payload, fin=True, rsv=0, mask=b"\x11\x22\x33\x44"):
    """A client frame, laid out here byte by byte (RFC 6455 5.2), not by
    the codec under test."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    if n < 126:
        head = bytes((b0, 0x80 | n))
    elif n < 65536:
        head = bytes((b0, 0x80 | 126, n >> 8, n & 0xFF))
    else:
        head = bytes((b0, 0x80 | 127)) + bytes((n >> (8 * i)) & 0xFF for i in range(7, -1, -1))
    return head + mask + _xor(payload, mask)


def _feed_in_pieces(frame, cut):
    """Parse the header of ``frame`` given as frame[:cut] then the rest."""
    h = FrameHeader()
    mv = memoryview(frame)
    pos = h.feed(mv, 0, min(cut, len(frame)))
    done = h.done()
    if not done:
        pos = h.feed(mv, pos, len(frame))
        done = h.done()
    assert done
    return h, pos


def test_header_at_every_split_point_and_length_form():
    for n in (0, 1, 125, 126, 300, 65535, 65536, 70000):
        payload = bytes((i * 7) & 0xFF for i in range(n))
        frame = _masked_frame(2, payload)
        hlen = _hlen(n)
        for cut in range(0, hlen + 2):
            h, pos = _feed_in_pieces(frame, cut)
            assert pos == hlen, (n, cut)
            assert (h.fin, h.opcode, h.masked, h.length) == (1, 2, 1, n)
            assert bytes(h.mask) == b"\x11\x22\x33\x44"
            assert h.check() == OK
            # the payload unmasks back in place, whatever the phase
            body = bytearray(frame[pos:])
            split = cut % (n + 1)
            support.unmask_at(memoryview(body), split, h.mask, 0)
            support.unmask_at(memoryview(body)[split:], n - split, h.mask, split & 3)
            assert bytes(body) == payload


def test_unmask_rfc6455_example_at_every_phase():
    # RFC 6455 5.7: "Hello" masked with 37 fa 21 3d
    mask = b"\x37\xfa\x21\x3d"
    masked = b"\x7f\x9f\x4d\x51\x58"
    for split in range(6):
        body = bytearray(masked)
        support.unmask_at(memoryview(body), split, mask, 0)
        support.unmask_at(memoryview(body)[split:], 5 - split, mask, split)
        assert bytes(body) == b"Hello", split
    # only the n bytes asked for are touched
    body = bytearray(masked + b"tail")
    support.unmask_at(memoryview(body), 5, mask, 0)
    assert bytes(body) == b"Hellotail"
    # longer than a word, from every phase: the same as the XOR written out
    data = bytes(range(37))
    for phase in range(4):
        body = bytearray(data)
        support.unmask_at(memoryview(body), len(data), mask, phase)
        assert bytes(body) == _xor(data, mask, phase), phase


def test_header_byte_by_byte():
    frame = _masked_frame(1, b"hello world", fin=False)
    h = FrameHeader()
    mv = memoryview(frame)
    pos = 0
    done = False
    while not done:
        pos = h.feed(mv, pos, pos + 1)
        done = h.done()
    assert (h.fin, h.opcode, h.length, pos) == (0, 1, 11, 6)


def test_header_rules():
    def check(frame):
        h, _ = _feed_in_pieces(frame, len(frame))
        return h.check()

    assert check(_masked_frame(1, b"x", rsv=1)) == ERR_PROTOCOL  # RSV without extension
    assert check(_masked_frame(1, b"x", rsv=4)) == ERR_PROTOCOL
    for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):  # reserved opcodes
        assert check(_masked_frame(op, b"")) == ERR_PROTOCOL, op
    assert check(_masked_frame(9, b"x" * 126)) == ERR_PROTOCOL  # control > 125
    assert check(_masked_frame(9, b"x" * 125)) == OK
    assert check(_masked_frame(8, b"", fin=False)) == ERR_PROTOCOL  # fragmented control
    unmasked = bytes((0x81, 0x01)) + b"x"
    assert check(unmasked) == ERR_PROTOCOL  # a client's frames must be masked
    h = FrameHeader()
    h.feed(memoryview(bytes((0x82, 0xFF)) + b"\x80" + bytes(11)), 0, 14)
    assert h.check() == ERR_PROTOCOL  # 64-bit length with the top bit set


def test_build_header_forms():
    buf = bytearray(10)
    assert build_header(buf, 0, 1, True, 5) == 2 and bytes(buf[:2]) == b"\x81\x05"
    assert build_header(buf, 0, 2, False, 300) == 4 and bytes(buf[:4]) == b"\x02\x7e\x01\x2c"
    assert build_header(buf, 0, 0, True, 70000) == 10
    assert bytes(buf[:10]) == b"\x80\x7f" + (70000).to_bytes(8, "big")
    assert header_len(125) == 2 and header_len(126) == 4 and header_len(65536) == 10
    # masked (a client's): the mask bit, then the key after the length
    mask = b"\x11\x22\x33\x44"
    buf = bytearray(14)
    assert build_header(buf, 0, 1, True, 5, mask) == 6 and bytes(buf[:6]) == b"\x81\x85" + mask
    assert build_header(buf, 0, 2, True, 300, mask) == 8
    assert bytes(buf[:8]) == b"\x82\xfe\x01\x2c" + mask
    for n in (0, 125, 126, 65535, 65536):
        assert header_len(n, True) == _hlen(n), n


def test_close_payload_rules():
    assert close_payload_status(memoryview(b""), 0) == (1005, 0)
    assert close_payload_status(memoryview(b"\x03"), 1) == (1005, 1002)
    for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999):
        assert close_payload_status(memoryview(bytes((code >> 8, code & 255))), 2)[1] == 0
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000):
        assert close_payload_status(memoryview(bytes((code >> 8, code & 255))), 2)[1] == 1002


def test_accept_key_rfc6455_example():
    import hashlib

    if not hasattr(hashlib, "sha1"):
        support.skip("this port's hashlib has no sha1 (ports/qemu builds without mbedtls)")
    # RFC 6455 section 1.3's example
    assert accept_key(b"dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_handshake_pieces():
    assert key_is_valid(b"dGhlIHNhbXBsZSBub25jZQ==")
    assert not key_is_valid(b"short")
    assert not key_is_valid(b"dGhlIHNhbXBsZSBub25jZQ")  # 22 chars
    assert not key_is_valid(b"!!!!!!!!!!!!!!!!!!!!!!==")
    a = lws_protocols("http", None)
    b = lws_protocols("chat", None)
    c = lws_protocols("echo", None)
    protos = [a, b, c]
    assert choose_protocol(protos, None) == (a, None)  # none asked: protocols[0]
    assert choose_protocol(protos, b"echo, chat") == (c, "echo")  # the client's order
    assert choose_protocol(protos, b"nope") == (None, None)
    star = lws_protocols("*", None)
    assert choose_protocol([a, star], b"anything") == (star, "anything")
    r = response(b"abc=", "chat")
    assert r.startswith(b"HTTP/1.1 101 ") and b"\r\nSec-WebSocket-Protocol: chat\r\n" in r
    assert r.endswith(b"\r\n\r\n") and b"Sec-WebSocket-Accept: abc=\r\n" in r


def test_utf8_validator_at_every_split():
    text = "aκόσμε😀z".encode()
    for cut in range(len(text) + 1):
        v = _port.Utf8Validator()
        assert v.feed(memoryview(text), cut)
        assert v.feed(memoryview(text)[cut:], len(text) - cut)
        assert v.complete()
    for bad in (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\xaf"):
        for cut in range(1, len(bad) + 1):
            v = _port.Utf8Validator()
            # the bad byte is seen as soon as it arrives
            ok = v.feed(memoryview(bad), cut)
            assert not ok or cut < len(bad) and not v.feed(memoryview(bad)[cut:],
                                                           len(bad) - cut), (bad, cut)
    v = _port.Utf8Validator()
    assert v.feed(memoryview(b"\xce"), 1) and not v.complete()  # cut short
