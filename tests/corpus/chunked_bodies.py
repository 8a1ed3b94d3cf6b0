"""Chunked bodies with ChunkedDecoder's verdict (test_fuzz_corpus.chunked_verdict).

The notes as in http_requests.py; the peers read each as the body of a chunked POST."""

CASES = [
    # the grammar [h11: accept, httptools: accept]
    (b'1\r\na\r\n0\r\n\r\n',
     ('done', b'a', 0)),
    # upper-case hex and leading zeros [h11: accept, httptools: accept]
    (b'000A\r\n0123456789\r\n0\r\n\r\n',
     ('done', b'0123456789', 0)),
    # extensions [h11: accept, httptools: accept]
    (b'1;a=b;c\r\na\r\n0;last\r\n\r\n',
     ('done', b'a', 0)),
    # departure: BWS before ';' and a quoted value (RFC 9112 7.1.1), which both peers refuse [h11:
    # reject, httptools: reject]
    (b'1 ; q="x y"\r\na\r\n0\r\n\r\n',
     ('done', b'a', 0)),
    # a control byte in an extension [h11: accept, httptools: reject]
    (b'1;\x01\r\na\r\n0\r\n\r\n',
     ('error',)),
    # a bare LF in an extension (a smuggling classic) [h11: reject, httptools: reject]
    (b'1;a\nb\r\na\r\n0\r\n\r\n',
     ('error',)),
    # trailers [h11: accept, httptools: accept]
    (b'0\r\nX-T: 1\r\nY: 2\r\n\r\n',
     ('done', b'', 0)),
    # fixed: a trailer line without a colon [h11: reject, httptools: reject]
    (b'0\r\nbad\r\n\r\n',
     ('error',)),
    # fixed: a trailer name that is no token [h11: reject, httptools: reject]
    (b'0\r\nX T: 1\r\n\r\n',
     ('error',)),
    # fixed: a trailer with an empty name [h11: reject, httptools: reject]
    (b'0\r\n: 1\r\n\r\n',
     ('error',)),
    # a control byte in a trailer value [h11: accept, httptools: reject]
    (b'0\r\nX-T:\x01\r\n\r\n',
     ('error',)),
    # bare LF line ends [h11: incomplete, httptools: reject]
    (b'1\na\n0\n\n',
     ('error',)),
    # a chunk longer than said [h11: reject, httptools: reject]
    (b'1\r\nab\r\n0\r\n\r\n',
     ('error',)),
    # a size past 15 hex digits [h11: incomplete, httptools: incomplete]
    (b'1000000000000000\r\n',
     ('error',)),
    # 15 hex digits (waits for the data) [h11: incomplete, httptools: incomplete]
    (b'100000000000000\r\nab',
     ('more', b'ab')),
    # no size [h11: reject, httptools: reject]
    (b'\r\n',
     ('error',)),
    # bytes after the end are left [h11: accept, httptools: accept]
    (b'0\r\n\r\nGET',
     ('done', b'', 3)),
    # cut short [h11: incomplete, httptools: incomplete]
    (b'5\r\nhel',
     ('more', b'hel')),
]
