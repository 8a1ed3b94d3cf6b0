"""HTTP requests with the verdict of the whole server (test_fuzz_corpus.http_verdict).

Each note says what the case shows and what h11 and httptools make of it: "fixed" cases
broke lws_mp before the fuzzing found them, "departure" and "lenient" ones are where
lws_mp differs from both peers on purpose (the rule it follows), "limit" ones hit the
header table's size."""

CASES = [
    # fixed: a bare LF inside the query was kept as argument bytes; both peers refuse (RFC 3986:
    # no CTL in a URI) [h11: reject, httptools: reject]
    (b'HEAD /a?a=1&\nd=x+y HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # fixed: a control byte in a query argument [h11: reject, httptools: reject]
    (b'GET /a?x=\x01 HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # a %-escaped control byte in an argument is data [h11: accept, httptools: accept]
    (b'GET /a?x=%0A HTTP/1.1\r\nHost: x\r\n\r\n',
     ('accept', b'GET', b'/a', [b'x=\n'], [(b'host', [b'x'])], b'')),
    # fixed: an http URI with an empty host (RFC 9110 4.2.1) was served with the Host header [h11:
    # accept, httptools: accept]
    (b'GET http:/// HTTP/1.1\r\nHost: example\r\n\r\n',
     ('reject', 400)),
    # fixed: the same, without a path [h11: accept, httptools: accept]
    (b'GET http://?q HTTP/1.1\r\nHost: example\r\n\r\n',
     ('reject', 400)),
    # fixed: a chunked trailer line without a colon was skipped; both peers refuse (RFC 9112
    # 7.1.2, 5.1) [h11: reject, httptools: reject]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r'
     b'\n0\r\nbad\r\n\r\n',
     ('reject', 400)),
    # fixed: a trailer name with a space before the colon [h11: reject, httptools: reject]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r'
     b'\n0\r\nX-T : 1\r\n\r\n',
     ('reject', 400)),
    # a trailer field is skipped [h11: accept, httptools: accept]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r'
     b'\n0\r\nX-T: 1\r\n\r\n',
     ('accept', b'POST', b'/f', [],
      [(b'host', [b'x']), (b'transfer-encoding', [b'chunked'])], b'a')),
    # absolute-form: the target's authority stands for Host (RFC 9112 3.2.2) [h11: accept,
    # httptools: accept]
    (b'GET http://h:80/a/./b?x=1 HTTP/1.1\r\nHost: other\r\n\r\n',
     ('accept', b'GET', b'/a/b', [b'x=1'], [(b'host', [b'h:80'])], b'')),
    # absolute-form needs a scheme [h11: accept, httptools: reject]
    (b'GET 1http://h/ HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # departure: an unknown method earns 501 (RFC 9110 9.1); the peers only parse [h11: accept,
    # httptools: accept]
    (b'PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 501)),
    # methods are case-sensitive (RFC 9110 9.1): an unknown one earns 501 [h11: accept, httptools:
    # reject]
    (b'get / HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 501)),
    # departure: HTTP/2.0 on an HTTP/1 connection earns 505 [h11: accept, httptools: accept]
    (b'GET / HTTP/2.0\r\nHost: x\r\n\r\n',
     ('reject', 505)),
    # a higher 1.x minor version is served as 1.1 [h11: accept, httptools: reject]
    (b'GET / HTTP/1.2\r\nHost: x\r\n\r\n',
     ('accept', b'GET', b'/', [], [(b'host', [b'x'])], b'')),
    # a two-digit minor version is no HTTP-version [h11: reject, httptools: reject]
    (b'GET / HTTP/1.10\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # departure: a path that climbs above the root is refused [h11: accept, httptools: accept]
    (b'GET /a/../../b HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # departure: so is its %-encoded form [h11: accept, httptools: accept]
    (b'GET /%2e%2e/b HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # dot segments inside the root are removed [h11: accept, httptools: accept]
    (b'GET /a/./b/../c//d HTTP/1.1\r\nHost: x\r\n\r\n',
     ('accept', b'GET', b'/a/c/d', [], [(b'host', [b'x'])], b'')),
    # departure: a malformed %-escape (RFC 3986 2.1) [h11: accept, httptools: accept]
    (b'GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # departure: a %-escape cut short at the end of the path [h11: accept, httptools: accept]
    (b'GET /a%4 HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # departure: %00 in the path [h11: accept, httptools: accept]
    (b'GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # departure: an encoded backslash [h11: accept, httptools: accept]
    (b'GET /a%5Cb HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # departure: a path that is not UTF-8 once decoded [h11: accept, httptools: accept]
    (b'GET /%FF HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # UTF-8, %-encoded [h11: accept, httptools: accept]
    (b'GET /%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n',
     ('accept', b'GET', b'/\xc3\xa9', [], [(b'host', [b'x'])], b'')),
    # lenient: raw UTF-8 in the target is kept (both peers refuse bytes above 0x7E) [h11: reject,
    # httptools: reject]
    (b'GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n',
     ('accept', b'GET', b'/\xc3\xa9', [], [(b'host', [b'x'])], b'')),
    # '+' is a space in arguments, not in the path [h11: accept, httptools: accept]
    (b'GET /a+b?c=d+e HTTP/1.1\r\nHost: x\r\n\r\n',
     ('accept', b'GET', b'/a+b', [b'c=d e'], [(b'host', [b'x'])], b'')),
    # departure: asterisk-form is for OPTIONS only (RFC 9112 3.2.4) [h11: accept, httptools:
    # accept]
    (b'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # asterisk-form [h11: accept, httptools: accept]
    (b'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
     ('accept', b'OPTIONS', b'*', [], [(b'host', [b'x'])], b'')),
    # a target in no form of RFC 9112 3.2 [h11: accept, httptools: reject]
    (b'GET a/b HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # two spaces in the request line [h11: reject, httptools: accept]
    (b'GET  / HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # a tab for a space in the request line [h11: reject, httptools: reject]
    (b'GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # empty lines before the request line are ignored (RFC 9112 2.2) [h11: reject, httptools:
    # accept]
    (b'\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n',
     ('accept', b'GET', b'/', [], [(b'host', [b'x'])], b'')),
    # no Host in HTTP/1.1 (RFC 9112 3.2) [h11: reject, httptools: accept]
    (b'GET / HTTP/1.1\r\n\r\n',
     ('reject', 400)),
    # no Host in HTTP/1.0 [h11: accept, httptools: accept]
    (b'GET / HTTP/1.0\r\n\r\n',
     ('accept', b'GET', b'/', [], [], b'')),
    # two Hosts [h11: reject, httptools: accept]
    (b'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
     ('reject', 400)),
    # an empty Host [h11: accept, httptools: accept]
    (b'GET / HTTP/1.1\r\nHost:\r\n\r\n',
     ('accept', b'GET', b'/', [], [(b'host', [b''])], b'')),
    # whitespace between a field name and its colon (RFC 9112 5.1) [h11: reject, httptools:
    # reject]
    (b'GET / HTTP/1.1\r\nHost : x\r\n\r\n',
     ('reject', 400)),
    # obs-fold (RFC 9112 5.2) [h11: accept, httptools: reject]
    (b'GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n',
     ('reject', 400)),
    # a field name that is no token [h11: reject, httptools: reject]
    (b'GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n',
     ('reject', 400)),
    # a field line without a colon [h11: reject, httptools: reject]
    (b'GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n',
     ('reject', 400)),
    # NUL in a field value (RFC 9110 5.5: reject) [h11: reject, httptools: reject]
    (b'GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n',
     ('reject', 400)),
    # lenient: another control byte in a field value MAY be retained (RFC 9110 5.5) [h11: accept,
    # httptools: reject]
    (b'GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: a\x01b\r\n\r\n',
     ('accept', b'GET', b'/', [], [(b'host', [b'x']), (b'user-agent', [b'a\x01b'])], b'')),
    # a bare CR inside a field value [h11: reject, httptools: reject]
    (b'GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n',
     ('reject', 400)),
    # OWS around a value is not part of it [h11: accept, httptools: accept]
    (b'GET / HTTP/1.1\r\nHost: \t x \t\r\nUser-Agent:  ua  \r\n\r\n',
     ('accept', b'GET', b'/', [], [(b'host', [b'x']), (b'user-agent', [b'ua'])], b'')),
    # a repeated header gives one fragment per line [h11: accept, httptools: accept]
    (b'GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n',
     ('accept', b'GET', b'/', [], [(b'cookie', [b'a=1', b'b=2']), (b'host', [b'x'])], b'')),
    # bare LF line ends: lws_mp waits for CRLF CRLF (RFC 9112 2.2 lets a server take a bare LF;
    # lws_mp does not) [h11: accept, httptools: reject]
    (b'GET / HTTP/1.1\nHost: x\n\n',
     ('incomplete',)),
    # a body by Content-Length [h11: accept, httptools: accept]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
     ('accept', b'POST', b'/f', [], [(b'content-length', [b'5']), (b'host', [b'x'])],
      b'hello')),
    # Content-Length 0 [h11: accept, httptools: accept]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
     ('accept', b'POST', b'/f', [], [(b'content-length', [b'0']), (b'host', [b'x'])], b'')),
    # a Content-Length with a sign [h11: reject, httptools: reject]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello',
     ('reject', 400)),
    # a Content-Length with leading zeros is a number [h11: accept, httptools: accept]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 05\r\n\r\nhello',
     ('accept', b'POST', b'/f', [], [(b'content-length', [b'05']), (b'host', [b'x'])],
      b'hello')),
    # a Content-Length list, even of one value (RFC 9110 8.6 lets a server take it; lws_mp does
    # not) [h11: accept, httptools: reject]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello',
     ('reject', 400)),
    # two Content-Lengths that differ [h11: reject, httptools: reject]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n'
     b'\r\nhello!',
     ('reject', 400)),
    # a Content-Length past 15 digits [h11: incomplete, httptools: incomplete]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999999999999\r\n\r\n',
     ('reject', 400)),
    # both framings (RFC 9112 6.1: a server MAY reject it) [h11: accept, httptools: reject]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunk'
     b'ed\r\n\r\n0\r\n\r\n',
     ('reject', 400)),
    # a transfer coding other than a lone chunked earns 501 (RFC 9112 6.1) [h11: reject,
    # httptools: accept]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r'
     b'\n\r\n',
     ('reject', 501)),
    # a chunked body with an extension and upper-case hex [h11: accept, httptools: accept]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nA;n=v\r\n01'
     b'23456789\r\n0\r\n\r\n',
     ('accept', b'POST', b'/f', [],
      [(b'host', [b'x']), (b'transfer-encoding', [b'chunked'])], b'0123456789')),
    # a chunk size that is no hex [h11: reject, httptools: reject]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\ng\r\n',
     ('reject', 400)),
    # a chunk without its CRLF [h11: reject, httptools: reject]
    (b'POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r'
     b'\n0\r\n\r\n',
     ('reject', 400)),
    # a pipelined second request after the first [h11: accept, httptools: accept]
    (b'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n',
     ('accept', b'GET', b'/1', [], [(b'host', [b'x'])], b'')),
    # garbage after a complete request [h11: accept, httptools: accept]
    (b'GET /1 HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01',
     ('accept', b'GET', b'/1', [], [(b'host', [b'x'])], b'')),
    # a TLS ClientHello on the plain port [h11: reject, httptools: reject]
    (b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03',
     ('reject', 400)),
    # an empty line, then the first byte of a method [h11: reject, httptools:
    # reject]: RFC 9112 2.2 ignores the empty line, and the method is judged
    # when its line ends
    (b'\r\n*',
     ('incomplete',)),
    # half a request line [h11: incomplete, httptools: incomplete]
    (b'GET /abc HT',
     ('incomplete',)),
    # HEAD [h11: accept, httptools: accept]
    (b'HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n',
     ('accept', b'HEAD', b'/h', [], [(b'host', [b'x'])], b'')),
    # a lower-case version [h11: reject, httptools: reject]
    (b'GET / http/1.1\r\nHost: x\r\n\r\n',
     ('reject', 400)),
    # HTTP/0.9 style [h11: reject, httptools: accept]
    (b'GET /\r\n\r\n',
     ('reject', 400)),
    # limit: a request line longer than the header table (1024 here, as on the esp32_generic
    # board) earns 414 [h11: accept, httptools: accept]
    (b"GET /" + b"a" * 1100 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
     ('reject', 414)),
    # limit: headers past the header table earn 431 [h11: accept, httptools: accept]
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"v" * 1100 + b"\r\n\r\n",
     ('reject', 431)),
]
