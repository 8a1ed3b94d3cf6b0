"""The fuzz corpus (tests/corpus/), replayed on every interpreter.

tests/test_fuzz_codecs.py fuzzes the request parser, the chunked decoder and
the frame header parser under Hypothesis and checks lws_mp against h11 and
httptools (llhttp), on CPython.  What it found worth keeping -- inputs
that broke lws_mp once, inputs where lws_mp departs from both peers on
purpose, edge cases of each grammar -- is in tests/corpus/ with the
verdict lws_mp must give, and replayed here on CPython, the 64-bit
MicroPython and the board interpreter alike.

The verdict functions are the ones the Hypothesis tests use:

- ``http_verdict(raw, cuts)``: the whole server, not the parser alone: one
  connection to a context in this process sends ``raw`` (split at
  ``cuts``), and what the HTTP callback saw -- method, the decoded and
  normalised path, the URI arguments, the known headers line by line, the
  body -- or the status the server answered instead is the verdict:
  ("accept", method, path, args, headers, body), ("reject", status) or
  ("incomplete",) when the server is still waiting for more.
- ``chunked_verdict(raw, cuts)``: ChunkedDecoder alone: ("done", body,
  bytes after), ("error",) or ("more", body so far).
- ``frame_verdict(raw, cuts)``: FrameHeader alone: ("header", bytes used,
  fin, rsv, opcode, masked, length, mask, check status as a server, as a
  client) or ("more",).
"""

import support
from lws_mp import (
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_HTTP_BODY,
    LWS_CALLBACK_HTTP_BODY_COMPLETION,
    LWS_WRITE_HTTP_FINAL,
    LWS_WRITE_HTTP_HEADERS,
    WSI_TOKEN_CONNECTION,
    WSI_TOKEN_DELETE_URI,
    WSI_TOKEN_GET_URI,
    WSI_TOKEN_HOST,
    WSI_TOKEN_HTTP_ACCEPT,
    WSI_TOKEN_HTTP_AUTHORIZATION,
    WSI_TOKEN_HTTP_CONTENT_LENGTH,
    WSI_TOKEN_HTTP_CONTENT_TYPE,
    WSI_TOKEN_HTTP_COOKIE,
    WSI_TOKEN_HTTP_RANGE,
    WSI_TOKEN_HTTP_REFERER,
    WSI_TOKEN_HTTP_TRANSFER_ENCODING,
    WSI_TOKEN_HTTP_URI_ARGS,
    WSI_TOKEN_HTTP_USER_AGENT,
    WSI_TOKEN_OPTIONS_URI,
    WSI_TOKEN_ORIGIN,
    WSI_TOKEN_PATCH_URI,
    WSI_TOKEN_POST_URI,
    WSI_TOKEN_PUT_URI,
    lws_add_http_header_content_length,
    lws_add_http_header_status,
    lws_context_creation_info,
    lws_finalize_http_header,
    lws_hdr_copy_fragment,
    lws_hdr_total_length,
    lws_http_transaction_completed,
    lws_protocols,
    lws_write,
)
from lws_mp.codec.chunked import ERROR, S_DONE, ChunkedDecoder
from lws_mp.codec.ws_frame import FrameHeader
from lws_mp.core.wsi import LWSS_HTTP_BODY
from lws_mp.testing import TestClient

# the headers compared, by the name the peers give (lower case)
HEADERS = (
    (b"accept", WSI_TOKEN_HTTP_ACCEPT),
    (b"authorization", WSI_TOKEN_HTTP_AUTHORIZATION),
    (b"connection", WSI_TOKEN_CONNECTION),
    (b"content-length", WSI_TOKEN_HTTP_CONTENT_LENGTH),
    (b"content-type", WSI_TOKEN_HTTP_CONTENT_TYPE),
    (b"cookie", WSI_TOKEN_HTTP_COOKIE),
    (b"host", WSI_TOKEN_HOST),
    (b"origin", WSI_TOKEN_ORIGIN),
    (b"range", WSI_TOKEN_HTTP_RANGE),
    (b"referer", WSI_TOKEN_HTTP_REFERER),
    (b"transfer-encoding", WSI_TOKEN_HTTP_TRANSFER_ENCODING),
    (b"user-agent", WSI_TOKEN_HTTP_USER_AGENT),
)
METHOD_TOKENS = (
    (b"GET", WSI_TOKEN_GET_URI),
    (b"POST", WSI_TOKEN_POST_URI),
    (b"OPTIONS", WSI_TOKEN_OPTIONS_URI),
    (b"PUT", WSI_TOKEN_PUT_URI),
    (b"PATCH", WSI_TOKEN_PATCH_URI),
    (b"DELETE", WSI_TOKEN_DELETE_URI),
)
HEADER_DATA = 1024  # the test context's header table: the esp32_generic board's size
ROUNDS = 40  # service rounds an input gets before "the server waits for more"


# ------------------------------------------------------------ the server


class _Session:
    def __init__(self):
        self.rec = None


_seen = []  # what LWS_CALLBACK_HTTP saw, one record per request
_ctx = [None]


def _fragments(wsi, token):
    out = []
    buf = bytearray(HEADER_DATA + 2)
    i = 0
    while True:
        n = lws_hdr_copy_fragment(wsi, buf, len(buf), token, i)
        if n < 0:
            return out
        lead = 1 if i and token != WSI_TOKEN_HTTP_URI_ARGS else 0  # lws' space
        out.append(bytes(buf[lead:n]))
        i += 1


def _reply(wsi):
    body = b"ok"
    head = bytearray()
    lws_add_http_header_status(wsi, 200, head)
    lws_add_http_header_content_length(wsi, len(body), head)
    lws_finalize_http_header(wsi, head)
    if lws_write(wsi, head, len(head), LWS_WRITE_HTTP_HEADERS) < 0 or \
            lws_write(wsi, body, len(body), LWS_WRITE_HTTP_FINAL) < 0:
        return -1
    return 1 if lws_http_transaction_completed(wsi) else 0


def _recorder(wsi, reason, pss, in_, len_):
    if reason == LWS_CALLBACK_HTTP:
        method = None
        for name, token in METHOD_TOKENS:
            if lws_hdr_total_length(wsi, token):
                method = name
        if method == b"GET" and wsi.head:
            method = b"HEAD"
        headers = []
        for name, token in HEADERS:
            lines = _fragments(wsi, token)
            if lines:
                headers.append((name, lines))
        rec = {"method": method, "path": in_.encode(),
               "args": _fragments(wsi, WSI_TOKEN_HTTP_URI_ARGS), "headers": headers,
               "body": bytearray(), "complete": wsi.state != LWSS_HTTP_BODY}
        pss.rec = rec
        _seen.append(rec)
        if not rec["complete"]:
            return 0  # the body follows
        return _reply(wsi)
    if reason == LWS_CALLBACK_HTTP_BODY and pss is not None and pss.rec is not None:
        pss.rec["body"].extend(bytes(in_[:len_]))
    elif reason == LWS_CALLBACK_HTTP_BODY_COMPLETION and pss is not None and \
            pss.rec is not None:
        pss.rec["complete"] = True
        return _reply(wsi)
    return 0


def context():
    """The one context the HTTP verdicts use (made on first use)."""
    if _ctx[0] is None:
        ctx, _port = support.make_context(lambda port: lws_context_creation_info(
            port=port, iface="127.0.0.1",
            protocols=[lws_protocols("http", _recorder, _Session)],
            max_http_header_data=HEADER_DATA, max_http_header_pool=1, pt_serv_buf_size=1024,
            timeout_secs=5))
        _ctx[0] = ctx
    return _ctx[0]


def _status(rx):
    """The status of the first final response in ``rx`` (1xx skipped), 0
    if there is none yet."""
    pos = 0
    while True:
        end = rx.find(b"\r\n\r\n", pos)
        if end < 0 or not rx.startswith(b"HTTP/1.1 ", pos):
            return 0
        st = int(bytes(rx[pos + 9:pos + 12]))
        if st >= 200:
            return st
        pos = end + 4


def _pieces(raw, cuts):
    out = []
    last = 0
    for c in sorted(cuts):
        if last < c < len(raw):
            out.append(raw[last:c])
            last = c
    out.append(raw[last:])
    return out


def http_verdict(raw, cuts=()):
    """What the server made of ``raw`` on one connection (module docstring)."""
    ctx = context()
    base = ctx.fd_count
    del _seen[:]
    c = TestClient(ctx)
    try:
        for piece in _pieces(raw, cuts):
            if piece:
                try:
                    c.send(piece)
                except OSError:
                    break  # the server answered and closed before all was sent
        for _ in range(ROUNDS):
            c.pump(lambda: False, 0)
            if c.closed_by_peer or _status(c.rx) or (_seen and _seen[0]["complete"]):
                break
        # the rest of the answer, if one has begun
        for _ in range(ROUNDS):
            if c.closed_by_peer or _status(c.rx):
                break
            c.pump(lambda: False, 0)
        status = _status(c.rx)
    finally:
        c.close()
        for _ in range(ROUNDS):
            if ctx.fd_count == base:
                break
            c.service(1)
    assert ctx.fd_count == base, "the connection stayed in the fd table"
    assert len(ctx.header_pool.free) == len(ctx.header_pool.tables), "a header table stayed out"
    if _seen and _seen[0]["complete"]:
        r = _seen[0]
        return ("accept", r["method"], r["path"], r["args"], r["headers"], bytes(r["body"]))
    if status:
        return ("reject", status)
    return ("incomplete",)


# ------------------------------------------------------------ the codecs


def chunked_verdict(raw, cuts=()):
    """ChunkedDecoder over ``raw`` fed in pieces, stepping as the server does."""
    dec = ChunkedDecoder()
    body = bytearray()
    consumed = 0
    for piece in _pieces(raw, cuts):
        mv = memoryview(piece)
        pos = 0
        while pos < len(mv) and dec.state != S_DONE:
            used, off, n = dec.step(mv[pos:])
            if used == ERROR:
                return ("error",)
            assert 0 <= off and off + n <= used and (used > 0 or dec.state == S_DONE), (
                used, off, n)
            body.extend(mv[pos + off:pos + off + n])
            pos += used
        consumed += pos
        if dec.state == S_DONE:
            return ("done", bytes(body), len(raw) - consumed)
    return ("more", bytes(body))


def frame_verdict(raw, cuts=()):
    """FrameHeader over ``raw`` fed in pieces."""
    h = FrameHeader()
    used = 0
    for piece in _pieces(raw, cuts):
        mv = memoryview(piece)
        pos = h.feed(mv, 0, len(mv))
        assert 0 <= pos <= len(mv)
        used += pos
        if h.done():
            return ("header", used, h.fin, h.rsv, h.opcode, h.masked, h.length,
                    bytes(h.mask) if h.masked else b"", h.check(True), h.check(False))
        assert pos == len(mv), "stopped before the end without a header"
    return ("more",)


# ------------------------------------------------------------ the replays


def _check(name, cases, verdict):
    bad = []
    for i, case in enumerate(cases):
        raw, want = case[0], case[1]
        for cuts in ((), (1,), (len(raw) // 2,), (len(raw) - 1,)):
            got = verdict(raw, cuts)
            if got != want:
                bad.append((i, cuts, raw[:80], want, got))
                break
    assert not bad, "%s: %d of %d cases differ; first: %r" % (name, len(bad), len(cases),
                                                              bad[0])


# (each corpus is loaded by its test: on a board interpreter's heap, one at a time)


def test_http_corpus():
    from corpus import http_requests

    _check("http", http_requests.CASES, http_verdict)


def test_chunked_corpus():
    from corpus import chunked_bodies

    _check("chunked", chunked_bodies.CASES, chunked_verdict)


def test_frame_corpus():
    from corpus import ws_frames

    _check("frames", ws_frames.CASES, frame_verdict)
