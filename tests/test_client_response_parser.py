"""codec/http_response_parser.py, sans-IO: the clients' response heads."""

from lws_mp import (
    WSI_TOKEN_ACCEPT,
    WSI_TOKEN_CONNECTION,
    WSI_TOKEN_HTTP,
    WSI_TOKEN_HTTP1_0,
    WSI_TOKEN_HTTP_CONTENT_LENGTH,
    WSI_TOKEN_HTTP_LOCATION,
    WSI_TOKEN_HTTP_SET_COOKIE,
    WSI_TOKEN_UPGRADE,
    lws_token_limits,
)
from lws_mp.codec.http_response_parser import (
    COMPLETE,
    NEED_MORE,
    parse_response,
    response_status,
)
from lws_mp.core.header_table import HeaderTable

HEAD = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Unknown: dropped\r\n"
        b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n")


def _feed(data, size=1024, limits=None, split=None):
    ah = HeaderTable(size)
    parts = [data] if split is None else [data[:split], data[split:]]
    st = NEED_MORE
    for p in parts:
        n = min(len(p), ah.size - ah.rxlen)
        ah.mv[ah.rxlen:ah.rxlen + n] = p[:n]
        ah.rxlen += n
        if st == NEED_MORE:
            st = parse_response(ah, limits)
    return st, ah


def _val(ah, tok, i=0):
    fr = ah.frag(tok, i)
    return None if fr is None else bytes(ah.mv[fr[0]:fr[0] + fr[1]])


def test_a_101_at_every_split_point():
    frames = b"\x81\x02hi"
    for split in range(1, len(HEAD) + 1):
        st, ah = _feed(HEAD + frames, split=split)
        assert st == COMPLETE, split
        assert response_status(ah) == 101 and ah.http_version == 11
        assert _val(ah, WSI_TOKEN_HTTP) == b"101 Switching Protocols"
        assert _val(ah, WSI_TOKEN_UPGRADE) == b"websocket"
        assert _val(ah, WSI_TOKEN_CONNECTION) == b"Upgrade"
        assert _val(ah, WSI_TOKEN_ACCEPT) == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        assert _val(ah, WSI_TOKEN_HTTP_SET_COOKIE, 1) == b"b=2"
        # what follows the head stays for the connection
        assert bytes(ah.mv[ah.hdr_end:ah.rxlen]) == frames


def test_http_1_0_status_token_and_bare_status():
    st, ah = _feed(b"HTTP/1.0 302 Found\r\nLocation: http://x/y\r\n\r\n")
    assert st == COMPLETE and ah.http_version == 10 and response_status(ah) == 302
    assert _val(ah, WSI_TOKEN_HTTP1_0) == b"302 Found" and _val(ah, WSI_TOKEN_HTTP) is None
    assert _val(ah, WSI_TOKEN_HTTP_LOCATION) == b"http://x/y"
    st, ah = _feed(b"HTTP/1.1 204\r\nContent-Length:  0  \r\n\r\n")
    assert st == COMPLETE and response_status(ah) == 204
    assert _val(ah, WSI_TOKEN_HTTP_CONTENT_LENGTH) == b"0"


def test_errors_are_reasons():
    for data, text in ((b"SSH-2.0-x\r\n\r\n", "not an HTTP response"),
                       (b"HTTP/2 200\r\n\r\n", "bad status line"),
                       (b"HTTP/1.1 20 OK\r\n\r\n", "bad status"),
                       (b"HTTP/1.1 2x0 OK\r\n\r\n", "bad status code"),
                       (b"HTTP/1.1 200OK\r\n\r\n", "bad status line"),
                       (b"HTTP/1.1 200 OK\r\n folded\r\n\r\n", "folding"),
                       (b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "malformed"),
                       (b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "header name"),
                       (b"HTTP/1.1 200 OK\r\nA: \x00\r\n\r\n", "NUL")):
        st, _ = _feed(data)
        assert isinstance(st, str) and text in st, (data, st)


def test_limits():
    st, _ = _feed(b"HTTP/1.1 200 OK\r\nLocation: " + b"x" * 200 + b"\r\n\r\n", size=128)
    assert isinstance(st, str) and "larger than the header table" in st
    st, _ = _feed(b"HTTP/1.1 200 OK\r\nLocation: " + b"x" * 10 + b"\r\n\r\n", size=128)
    assert st == COMPLETE
    limits = [-1] * 90
    limits[WSI_TOKEN_HTTP_LOCATION] = 5
    st, _ = _feed(b"HTTP/1.1 200 OK\r\nLocation: 123456\r\n\r\n",
                  limits=lws_token_limits(token_len=limits))
    assert isinstance(st, str) and "token limit" in st
    st, _ = _feed(b"HTTP/1.1 200 OK\r\n" + b"Set-Cookie: x\r\n" * 130 + b"\r\n", size=2048)
    assert isinstance(st, str) and "too many" in st
