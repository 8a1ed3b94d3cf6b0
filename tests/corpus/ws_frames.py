"""WebSocket frame headers with FrameHeader's verdict (test_fuzz_corpus.frame_verdict):
the fields, then check() as a server (frames must come masked) and as a client."""

CASES = [
    # a masked text frame
    (b'\x81\x85abcdhello',
     ('header', 6, 1, 0, 1, 1, 5, b'abcd', 0, 1002)),
    # 16-bit length
    (b'\x82\xfe\x01\x00abcd',
     ('header', 8, 1, 0, 2, 1, 256, b'abcd', 0, 1002)),
    # 64-bit length
    (b'\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00abcd',
     ('header', 14, 1, 0, 2, 1, 65536, b'abcd', 0, 1002)),
    # 64-bit length with the top bit set
    (b'\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00abcd',
     ('header', 14, 1, 0, 2, 1, 9223372036854775808, b'abcd', 1002, 1002)),
    # unmasked: a server's frame
    (b'\x81\x05hello',
     ('header', 2, 1, 0, 1, 0, 5, b'', 1002, 0)),
    # RSV1 without an extension
    (b'\xc1\x80abcd',
     ('header', 6, 1, 4, 1, 1, 0, b'abcd', 1002, 1002)),
    # a reserved opcode
    (b'\x83\x80abcd',
     ('header', 6, 1, 0, 3, 1, 0, b'abcd', 1002, 1002)),
    # a reserved control opcode
    (b'\x8b\x80abcd',
     ('header', 6, 1, 0, 11, 1, 0, b'abcd', 1002, 1002)),
    # a fragmented control frame
    (b'\t\x80abcd',
     ('header', 6, 0, 0, 9, 1, 0, b'abcd', 1002, 1002)),
    # a control frame over 125 bytes
    (b'\x89\xfe\x00~abcd',
     ('header', 8, 1, 0, 9, 1, 126, b'abcd', 1002, 1002)),
    # a close frame
    (b'\x88\x82abcdb\xea',
     ('header', 6, 1, 0, 8, 1, 2, b'abcd', 0, 1002)),
    # a continuation
    (b'\x00\x80abcd',
     ('header', 6, 0, 0, 0, 1, 0, b'abcd', 0, 1002)),
    # one byte
    (b'\x81',
     ('more',)),
    # the mask cut short
    (b'\x81\x85ab',
     ('more',)),
    # 126 with one length byte
    (b'\x81\xfe\x01',
     ('more',)),
]
