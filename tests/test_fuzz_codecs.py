"""Fuzzing the codecs under Hypothesis, with h11 and httptools (llhttp) as
peers: CPython only (all three are CPython packages); what they found is
kept in tests/corpus/ and replayed everywhere by test_fuzz_corpus.py.

Bounded and reproducible: every test has its max_examples, no deadline,
derandomize=True (the same examples on every run) and no example database.

- The request parser (codec/http_parser.parse_request) on generated request
  heads, on mutations of them and on raw bytes: no exception escapes, the
  verdict is one of NEED_MORE, COMPLETE, 400, 414, 431, 501, 505, and the
  same head fed in pieces gives the same verdict (the same error-ness: a
  head with two faults can earn either one's status) and the same table.
- The whole request path (http_verdict: parse_request, the HTTP role's body
  framing and ChunkedDecoder, through a real connection) against h11 and
  httptools: on every input where the two agree -- both reject, or both
  accept with the same method, target, headers and body -- lws_mp gives the
  same verdict and the same fields, except where it departs on purpose
  (``departure``: each names the rule of RFC 9110 / 9112 / 3986 it
  follows, or the limit it keeps).  The verdict is the same fed in pieces.
- The chunked decoder alone, on generated and mutated chunked bodies:
  total, the same in pieces, and against both peers (as the body of a
  POST) where they agree.
- The frame header parser (codec/ws_frame.FrameHeader) on raw bytes: total,
  the same in pieces, every field as an independent decoding of RFC 6455
  5.2 gives it, and check() as RFC 6455 5.2 / 5.5 say.
"""

import support

if support.IS_MICROPYTHON:
    support.skip("Hypothesis, h11 and httptools are CPython packages; the corpus they "
                 "found is replayed on every interpreter by test_fuzz_corpus.py")

import h11  # noqa: E402
import httptools  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import test_fuzz_corpus as H  # noqa: E402
from lws_mp.core.header_table import HeaderTable  # noqa: E402
from lws_mp.codec.http_parser import COMPLETE, NEED_MORE, parse_request  # noqa: E402

# On CPython itself, and only in the CPython run: never handed to a
# MicroPython interpreter (the plugin's lws_host), skipped in those runs.
pytestmark = [pytest.mark.lws_host,
              pytest.mark.skipif("lws_interpreter != 'cpython'",
                                 reason="Hypothesis, h11 and httptools are CPython packages: "
                                        "the corpus is replayed by test_fuzz_corpus.py")]


def bounded(n):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# ------------------------------------------------------------ requests

# the bytes a method is made of (RFC 9110 5.6.2 tchar)
TCHAR = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
LWS_METHODS = (b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH")


def one_in(n):
    """True about once in ``n`` draws."""
    return st.sampled_from([False] * (n - 1) + [True])


# each piece of a request two ways: as RFC 9112 has it, or possibly not
clean_methods = st.sampled_from(LWS_METHODS)
any_methods = st.sampled_from(LWS_METHODS + (b"get", b"PROPFIND", b"G(T", b"", b"GET\x00"))
clean_segments = st.sampled_from([b"a", b"b.txt", b"", b"x-y_z~", b"%41", b"%C3%A9", b"a+b",
                                  b"a;b", b":", b"@", b"*", b"%20", b"c.d.e"])
any_segments = st.sampled_from([b"a", b"", b".", b"..", b"%2e%2e", b"%2E", b"%zz", b"%", b"%4",
                                b"%2F", b"%00", b"%0a", b"%FF", b"\xc3\xa9", b"%5C", b"\\",
                                b"\x7f", b"%41"])
clean_args = st.sampled_from([b"a=1", b"b", b"c=%41", b"d=x+y", b"h=/", b"=v", b"f=?"])
any_args = st.sampled_from([b"a=1", b"", b"e=%zz", b"g=%", b"%", b"i=%4"])
clean_versions = st.sampled_from([b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0"])
any_versions = st.sampled_from([b"HTTP/1.1", b"HTTP/2.0", b"HTTP/1.2", b"http/1.1", b"HTTP/1",
                                b"HTTP/1.10", b"HTTP/0.9", b"HTTP/3.0"])
clean_names = st.one_of(
    st.sampled_from([b"Connection", b"Cookie", b"User-Agent", b"Accept", b"Content-Type",
                     b"X-Custom", b"Referer", b"Range", b"Origin", b"Authorization"]),
    st.text("abcdefghijklmnopqrstuvwxyz-_.!#$%&'*+^`|~0123456789ABCXYZ", min_size=1,
            max_size=8).map(str.encode))
any_names = st.sampled_from([b"Bad Name", b"", b"X\x00", b"H\xc3st", b"X(y)", b"x\x7f",
                             b"Host", b"Content-Length", b"Transfer-Encoding", b"x@y"])
clean_values = st.one_of(
    st.sampled_from([b"x", b"127.0.0.1", b"h:80", b"a, b", b"close", b"keep-alive",
                     b"text/plain; charset=utf-8", b"\xc3\xa9", b"", b"a\tb", b"bytes=0-1",
                     b'q="x y"']),
    st.binary(max_size=10).map(lambda b: bytes(c for c in b if c > 32 and c != 127)))
any_values = st.binary(max_size=10)
clean_pad = st.sampled_from([b"", b"", b"", b" ", b"\t", b"  "])
any_eols = st.sampled_from([b"\r\n", b"\n", b"\r"])
any_seps = st.sampled_from([b":", b" :", b"\t:"])


def chunk(data, ext=b""):
    return b"%x" % len(data) + ext + b"\r\n" + data + b"\r\n"


exts = st.sampled_from([b""] * 12 + [b";a", b";a=b", b' ; q="x y"', b";", b" ", b";\x01"])
trailers = st.sampled_from([b""] * 8 + [b"X-T: 1\r\n", b"X-T: 1\r\nY: 2\r\n", b"bad\r\n",
                                        b"X-T:\x01\r\n"])


@st.composite
def chunked_bodies(draw):
    """A chunked body: well formed, or with one fault put in."""
    parts = draw(st.lists(st.tuples(st.binary(min_size=1, max_size=20), exts), max_size=4))
    raw = b"".join(chunk(d, e) for d, e in parts)
    raw += b"0" + draw(exts) + b"\r\n" + draw(trailers) + b"\r\n"
    fault = draw(st.sampled_from([None] * 12 + ["size", "crlf", "hex", "upper", "huge",
                                               "lf", "cut", "zeros"]))
    if fault == "size" and parts:
        raw = raw.replace(b"%x" % len(parts[0][0]), b"%x" % (len(parts[0][0]) + 1), 1)
    elif fault == "crlf":
        raw = raw.replace(b"\r\n", b"\r\r", 1)
    elif fault == "hex":
        raw = b"g" + raw
    elif fault == "upper" and parts:
        raw = raw.replace(b"%x" % len(parts[0][0]), b"%X" % len(parts[0][0]), 1)
    elif fault == "huge":
        raw = b"1" * draw(st.integers(14, 18)) + b"\r\n" + raw
    elif fault == "lf":
        raw = raw.replace(b"\r\n", b"\n")
    elif fault == "cut":
        raw = raw[:draw(st.integers(0, max(0, len(raw) - 1)))]
    elif fault == "zeros":
        raw = b"000" + raw
    return raw, [d for d, _e in parts]


@st.composite
def requests(draw):
    """A request: method, target, version, headers, a body framed as the
    headers say.  Three in four are RFC 9112 requests throughout; the rest
    draw every piece from a wider set that has faults in it."""
    faulty = draw(one_in(4))

    def pick(clean, anything):
        return draw(anything if faulty and draw(one_in(3)) else clean)

    segs = draw(st.lists(st.builds(lambda: None).flatmap(
        lambda _: any_segments if faulty else clean_segments), max_size=5))
    target = b"/" + b"/".join(segs)
    if draw(one_in(3)):
        target += b"?" + b"&".join(draw(st.lists(any_args if faulty else clean_args,
                                                 max_size=4)))
    form = draw(st.sampled_from(["origin"] * 10 + ["absolute", "asterisk", "other"]))
    if form == "absolute":
        target = draw(st.sampled_from([b"http://h", b"http://h:80", b"https://x.y", b"http://",
                                       b"1http://h"])) + target
    elif form == "asterisk":
        target = b"*"
    elif form == "other" and faulty:
        target = draw(st.binary(min_size=1, max_size=8).filter(
            lambda b: b" " not in b and b"\r" not in b and b"\n" not in b))
    method = pick(clean_methods, any_methods)
    if form == "asterisk" and not faulty:
        method = b"OPTIONS"
    sp = pick(st.just(b" "), st.sampled_from([b" ", b"  ", b"\t", b""]))
    line = method + sp + target + b" " + pick(clean_versions, any_versions)
    hs = []
    for _ in range(draw(st.integers(0, 5))):
        hs.append((pick(clean_names, any_names), pick(st.just(b":"), any_seps),
                   draw(clean_pad), pick(clean_values, any_values), draw(clean_pad),
                   pick(st.just(b"\r\n"), any_eols)))
    body = b""
    framing = draw(st.sampled_from(["none"] * 4 + ["length"] * 3 + ["chunked"] * 2 +
                                   (["both", "badlength"] if faulty else [])))
    if framing in ("length", "badlength", "both"):
        body = draw(st.binary(max_size=30))
        n = b"%d" % len(body)
        if framing == "badlength":
            n = draw(st.sampled_from([b"+%d" % len(body), b"0%d" % len(body),
                                      n + b"," + n, n + b", " + n, b"-1", b"0x1", b"",
                                      b"%d" % (len(body) + 1), b"99999999999999999"]))
        hs.append((b"Content-Length", b":", b" ", n, b"", b"\r\n"))
    if framing in ("chunked", "both"):
        body = draw(chunked_bodies())[0] if faulty else b"".join(
            chunk(d) for d in draw(st.lists(st.binary(min_size=1, max_size=20),
                                            max_size=3))) + b"0\r\n\r\n"
        hs.append((b"Transfer-Encoding", b":", b" ", b"chunked", b"", b"\r\n"))
    if not (faulty and draw(one_in(3))):
        hs.insert(draw(st.integers(0, len(hs))), (b"Host", b":", b" ", b"example", b"",
                                                  b"\r\n"))
    head = line + b"\r\n"
    for name, sep, pre, value, post, eol in hs:
        head += name + sep + pre + value + post + eol
        if faulty and draw(one_in(20)):
            head += b" folded\r\n"
    raw = head + b"\r\n" + body
    if draw(one_in(8)):
        raw += draw(st.sampled_from([b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00\x01",
                                     b"\r\n"]))
    return raw


@st.composite
def mutated(draw, base):
    """``base`` with one to three bytes replaced, inserted or deleted."""
    raw = bytearray(draw(base))
    for _ in range(draw(st.integers(1, 3))):
        if not raw:
            break
        i = draw(st.integers(0, len(raw) - 1))
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        b = draw(st.sampled_from(b"\x00\r\n \t:;,/%?=\x7f\x80\xffaZ09"))
        if op == "replace":
            raw[i] = b
        elif op == "insert":
            raw.insert(i, b)
        else:
            del raw[i]
    return bytes(raw)


any_request = st.one_of(requests(), requests(), requests(), mutated(requests()),
                        st.binary(max_size=60))
cut_lists = st.lists(st.integers(1, 400), max_size=3)


# ------------------------------------------------------------ the codec alone

CODEC_VERDICTS = (NEED_MORE, COMPLETE, 400, 414, 431, 501, 505)


def _parse(raw, cuts, size):
    ah = HeaderTable(size)
    st_ = NEED_MORE
    for piece in H._pieces(raw, cuts):
        n = min(len(piece), ah.size - ah.rxlen)
        ah.mv[ah.rxlen:ah.rxlen + n] = piece[:n]
        ah.rxlen += n
        st_ = parse_request(ah)
        assert st_ in CODEC_VERDICTS, st_
        if st_ != NEED_MORE:
            break
    return st_, ah


def _table(ah):
    out = [ah.method, ah.http_version, ah.head, ah.hdr_end]
    for token in range(86):
        i = 0
        while True:
            fr = ah.frag(token, i)
            if fr is None:
                break
            out.append((token, bytes(ah.mv[fr[0]:fr[0] + fr[1]])))
            i += 1
    return out


@bounded(2500)
@given(any_request, cut_lists, st.sampled_from([4096, 4096, 256, 64]))
def test_request_parser_total_and_split_invariant(raw, cuts, size):
    whole, ah = _parse(raw, (), size)
    split, ah2 = _parse(raw, cuts, size)
    assert (whole >= 400) == (split >= 400), (whole, split)
    if whole == COMPLETE and split == COMPLETE:
        assert _table(ah) == _table(ah2)
    elif whole < 400 and split < 400:
        assert whole == split, (whole, split)


# ------------------------------------------------------------ the peers


def h11_verdict(raw):
    c = h11.Connection(h11.SERVER)
    c.receive_data(raw)
    req = None
    body = b""
    try:
        for _ in range(len(raw) + 4):
            ev = c.next_event()
            if isinstance(ev, h11.Request):
                req = ev
            elif isinstance(ev, h11.Data):
                body += bytes(ev.data)
            elif isinstance(ev, h11.EndOfMessage):
                return ("accept", bytes(req.method), bytes(req.target),
                        [(bytes(n), bytes(v)) for n, v in req.headers], body)
            else:  # NEED_DATA, PAUSED
                break
    except h11.RemoteProtocolError:
        return ("reject",)
    return ("incomplete",)


class _Recorder:
    def __init__(self):
        self.url = b""
        self.headers = []
        self.name = None
        self.body = b""
        self.complete = False

    def on_url(self, url):
        if not self.complete:
            self.url += url

    def on_header(self, name, value):
        if not self.complete:
            self.headers.append((bytes(name).lower(), bytes(value).strip(b" \t")))

    def on_body(self, body):
        if not self.complete:
            self.body += body

    def on_message_complete(self):
        self.complete = True


def httptools_verdict(raw):
    rec = _Recorder()
    p = httptools.HttpRequestParser(rec)
    try:
        p.feed_data(raw)
    except httptools.HttpParserUpgrade:
        if not rec.complete:
            return ("upgrade",)
    except httptools.HttpParserError:
        if not rec.complete:
            return ("reject",)
    if not rec.complete:
        return ("incomplete",)
    return ("accept", p.get_method(), rec.url, rec.headers, rec.body)


def peers_agree(raw):
    """The verdict h11 and httptools both give ``raw`` (None if they differ
    or either wants more)."""
    a = h11_verdict(raw)
    b = httptools_verdict(raw)
    if a[0] == b[0] == "reject":
        return a
    if a[0] == b[0] == "accept" and a[1:] == b[1:]:
        return a
    return None


# ------------------------------------------------------------ lws_mp vs the peers


def _hexval(c):
    return int(chr(c), 16) if chr(c) in "0123456789abcdefABCDEF" else -1


def pct_decode(b, plus=False):
    """RFC 3986 2.1 %-decoding, written out here; None if malformed."""
    out = bytearray()
    i = 0
    while i < len(b):
        c = b[i]
        if c == 37:
            if i + 2 >= len(b) + 0 and i + 2 > len(b) - 1:
                return None
            hi, lo = _hexval(b[i + 1]), _hexval(b[i + 2])
            if hi < 0 or lo < 0:
                return None
            out.append(hi * 16 + lo)
            i += 3
            continue
        out.append(32 if plus and c == 43 else c)
        i += 1
    return bytes(out)


def served_path(path):
    """The path as a server that keeps to its root must see it: decoded,
    dot segments removed (RFC 3986 5.2.4), '//' collapsed; None where it is
    unsafe to serve (a control byte, a backslash, a climb above the root,
    not UTF-8)."""
    p = pct_decode(path)
    if p is None or not p.startswith(b"/"):
        return None
    if any(c < 32 or c == 127 or c == 92 for c in p):
        return None
    try:
        p.decode("utf-8")
    except UnicodeDecodeError:
        return None
    out = []
    for seg in p.split(b"/"):
        if seg in (b"", b"."):
            continue
        if seg == b"..":
            if not out:
                return None
            out.pop()
            continue
        out.append(seg)
    res = b"/" + b"/".join(out)
    if p.endswith(b"/") and len(res) > 1:
        res += b"/"
    return res


def request_line(raw):
    eol = raw.find(b"\r\n")
    return raw[:eol].split(b" ") if eol >= 0 else []


def departure(raw, peers, lws):
    """Why lws_mp's verdict ``lws`` may differ from the peers' agreed
    ``peers`` on ``raw``: the rule it follows, or None (a bug)."""
    line = request_line(raw)
    if peers[0] == "accept" and lws[0] == "reject":
        method, target = peers[1], peers[2]
        status = lws[1]
        if status == 501 and method not in LWS_METHODS:
            return "RFC 9110 9.1: a method the server does not know earns 501"
        if len(line) == 3 and line[2] not in (b"HTTP/1.0", b"HTTP/1.1") and status == 505:
            return "RFC 9110 15.6.6: 505 for a major version other than 1"
        if status == 400:
            if target == b"*" and method != b"OPTIONS":
                return "RFC 9112 3.2.4: asterisk-form is for OPTIONS only"
            q = target.find(b"?")
            path, query = (target, b"") if q < 0 else (target[:q], target[q + 1:])
            if not target.startswith(b"/") and target != b"*":
                if b"://" not in target:
                    return "RFC 9112 3.2: a request-target is origin-, absolute- or asterisk-form"
                authority = path.split(b"://", 1)[1]
                path = b"/" + authority.partition(b"/")[2]
                scheme = target.split(b"://", 1)[0]
                if not scheme[:1].isalpha() or not scheme.replace(b"+", b"").replace(
                        b"-", b"").replace(b".", b"").isalnum():
                    return "RFC 3986 3.1: an absolute-form target needs a scheme"
                if authority[:1] in (b"", b"/", b"?"):
                    return "RFC 9110 4.2.1: an http URI with an empty host is invalid"
            if served_path(path) is None:
                return "the served root: an undecodable or unsafe path is refused (400)"
            if any(pct_decode(a, True) is None for a in query.split(b"&")):
                return "RFC 3986 2.1: a malformed %-escape in the query is refused"
            hnames = [n for n, _v in peers[3]]
            if b"content-length" in hnames and b"transfer-encoding" in hnames:
                return "RFC 9112 6.1: a request with both framings MAY be rejected"
            if line[2:] == [b"HTTP/1.1"] and b"host" not in hnames:
                return "RFC 9112 3.2: an HTTP/1.1 request without Host earns 400"
        if status == 501 and any(n == b"transfer-encoding" for n, _v in peers[3]):
            return "RFC 9112 6.1: a transfer coding the server does not know earns 501"
        if status in (414, 431):
            return "the header table's size (max_http_header_data) is a limit"
    if peers[0] == "reject" and lws[0] == "accept":
        heads = raw.split(b"\r\n\r\n", 1)[0]
        if len(line) == 3 and any(c > 126 for c in line[1]):
            return ("lenient: bytes above 0x7E in the request-target are kept (UTF-8 from "
                    "clients that do not %-encode it); the path must decode to UTF-8")
        if any((c < 32 and c not in (9, 10, 13)) or c == 127 for c in heads):
            return "RFC 9110 5.5: other control bytes in a field value MAY be retained"
    return None


def expected_fields(peers):
    """What lws_mp's callback must see when the peers accept: method, the
    served path and arguments, the headers lws knows (line by line), body."""
    method, target, headers, body = peers[1:]
    if target == b"*":
        path, query = b"*", b""
    else:
        q = target.find(b"?")
        path, query = (target, b"") if q < 0 else (target[:q], target[q + 1:])
        if not path.startswith(b"/"):  # absolute-form
            path = b"/" + path.split(b"://", 1)[1].partition(b"/")[2]
        path = served_path(path)
    args = [pct_decode(a, True) for a in query.split(b"&") if a] if query else []
    known = dict(H.HEADERS)
    got = {}
    for n, v in headers:
        if n in known:
            got.setdefault(n, []).append(v)
    if not target.startswith((b"/", b"*")):
        # an absolute-form target's authority stands for Host (RFC 9112 3.2.2)
        authority = target.split(b"://", 1)[1].partition(b"/")[0].partition(b"?")[0]
        got[b"host"] = [authority]
    return (method, path, args, sorted(got.items()), body)


def lws_fields(lws):
    method, path, args, headers, body = lws[1:]
    return (method, path, args, sorted(headers), body)


@bounded(1500)
@given(any_request, cut_lists)
def test_requests_against_h11_and_httptools(raw, cuts):
    lws = H.http_verdict(raw)
    split = H.http_verdict(raw, cuts)
    assert (lws[0], lws[1:] if lws[0] == "accept" else None) == \
        (split[0], split[1:] if split[0] == "accept" else None), (lws, split)
    assert lws[0] != "reject" or 400 <= lws[1] < 600, lws
    peers = peers_agree(raw)
    if peers is None:
        return
    if lws[0] == "incomplete":
        # lws_mp waits where both peers decided: a bare LF or CR line end
        # can do that (the head ends at CRLF CRLF, RFC 9112 2.2), and so can
        # a method still arriving after empty lines (RFC 9112 2.2 ignores
        # them; h11 refuses them, httptools refuses a method it does not
        # know from its first byte, while RFC 9110 9.1 judges the method
        # once its line has ended: 501)
        rest = raw
        while rest.startswith(b"\r\n"):
            rest = rest[2:]
        if rest and all(c in TCHAR for c in rest):
            return
        assert b"\n" in raw.replace(b"\r\n", b"") or b"\r" in raw.replace(b"\r\n", b""), (
            raw, peers)
        return
    if peers[0] != lws[0]:
        why = departure(raw, peers, lws)
        assert why, "lws_mp %r, both peers %r on %r" % (lws, peers[:1], raw)
        return
    if lws[0] == "accept":
        assert lws_fields(lws) == expected_fields(peers), (raw, lws, peers)


# ------------------------------------------------------------ chunked


def peers_chunked(raw):
    """Both peers on ``raw`` as a chunked POST body: (verdict, body) where
    they agree, else None."""
    req = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + raw
    a = h11_verdict(req)
    b = httptools_verdict(req)
    if a[0] == b[0] == "accept" and a[4] == b[4]:
        return ("done", a[4])
    if a[0] == b[0] == "reject":
        return ("error",)
    return None


def without_extensions(raw):
    """``raw`` with every chunk extension (from the first byte after the
    size digits to the CRLF) taken out, or None if it is not that shape."""
    out = b""
    pos = 0
    while True:
        eol = raw.find(b"\r\n", pos)
        if eol < 0:
            return None
        line = raw[pos:eol]
        n = 0
        while n < len(line) and line[n:n + 1] in b"0123456789abcdefABCDEF":
            n += 1
        if not n:
            return None
        size = int(line[:n], 16)
        out += line[:n] + b"\r\n"
        pos = eol + 2
        if size == 0:
            return out + raw[pos:]
        out += raw[pos:pos + size + 2]
        pos += size + 2


chunked_inputs = st.one_of(chunked_bodies().map(lambda t: t[0]),
                           mutated(chunked_bodies().map(lambda t: t[0])),
                           st.binary(max_size=40))


@bounded(2000)
@given(chunked_inputs, cut_lists)
def test_chunked_decoder_against_h11_and_httptools(raw, cuts):
    whole = H.chunked_verdict(raw)
    assert whole[0] in ("done", "error", "more"), whole
    assert H.chunked_verdict(raw, cuts) == whole
    peers = peers_chunked(raw)
    if peers is None or whole[0] == "more":
        return
    if whole[0] != peers[0]:
        # lws_mp skips a chunk extension to its CRLF (RFC 9112 7.1.1 allows BWS
        # before ';' and quoted values, which both peers refuse; an extension
        # is ignored, so only a control byte in it is refused): without the
        # extensions the peers must agree with lws_mp
        plain = without_extensions(raw)
        assert whole[0] == "done" and plain is not None and plain != raw and \
            peers_chunked(plain) == ("done", whole[1]), (
                "lws_mp %r, both peers %r on %r" % (whole, peers, raw))
        return
    if whole[0] == "done":
        assert whole[1] == peers[1], (raw, whole, peers)


# ------------------------------------------------------------ frames


def ref_frame(raw):
    """RFC 6455 5.2, decoded here independently: the header's fields, or
    None if ``raw`` is shorter than its header."""
    if len(raw) < 2:
        return None
    b0, b1 = raw[0], raw[1]
    n = b1 & 0x7F
    p = 2
    if n == 126:
        p = 4
    elif n == 127:
        p = 10
    masked = b1 >> 7
    if len(raw) < p + 4 * masked:
        return None
    if n == 126:
        n = int.from_bytes(raw[2:4], "big")
    elif n == 127:
        n = int.from_bytes(raw[2:10], "big")
    mask = raw[p:p + 4] if masked else b""
    op = b0 & 0x0F

    def rule(want_masked):
        if (b0 >> 4) & 7:
            return 1002  # RSV without an extension
        if op in (3, 4, 5, 6, 7) or op > 0xA:
            return 1002  # reserved opcodes
        if op >= 8 and (not b0 >> 7 or n > 125):
            return 1002  # control frames: FIN set, at most 125 bytes
        if masked != want_masked:
            return 1002  # RFC 6455 5.1
        if n >> 63:
            return 1002  # the most significant bit must be 0
        return 0

    return ("header", p + 4 * masked, b0 >> 7, (b0 >> 4) & 7, op, masked, n, bytes(mask),
            rule(1), rule(0))


frame_inputs = st.one_of(
    st.binary(max_size=16),
    st.tuples(st.integers(0, 255), st.sampled_from([0, 1, 125, 126, 127, 128, 254, 255]),
              st.binary(min_size=0, max_size=14)).map(lambda t: bytes(t[:2]) + t[2]))


@bounded(2000)
@given(frame_inputs, cut_lists)
def test_frame_header_against_rfc6455(raw, cuts):
    whole = H.frame_verdict(raw)
    assert H.frame_verdict(raw, cuts) == whole
    ref = ref_frame(raw)
    assert whole == (ref if ref is not None else ("more",)), (raw, whole, ref)
