"""Building HTTP responses: status lines, header helpers, simple statuses."""

from ..core.conn import set_timeout
from ..codec.header_names import name_of
from ..core.log import lwsl_enabled, lwsl_info
from ..core.output import hold, issue
from ..core.wsi import peer_str
from ..core.write import write_queued
from ..plat._port import const, micropython  # @micropython.native
from builtins import isinstance, len  # one look-up, not two (docs/ARCHITECTURE.md)

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LLL_INFO = const(8)
_LWS_WRITE_HTTP = const(3)
_LWS_WRITE_HTTP_FINAL = const(7)
_LWS_WRITE_HTTP_HEADERS = const(8)
_PENDING_TIMEOUT_HTTP_CONTENT = const(10)

# "CODE text" lines: one text a board keeps in flash, searched when a status
# line is first made (status_line keeps what it made)
_STATUS_TEXT = (
    "\n"
    "100 Continue\n"
    "101 Switching Protocols\n"
    "200 OK\n"
    "201 Created\n"
    "204 No Content\n"
    "206 Partial Content\n"
    "301 Moved Permanently\n"
    "302 Found\n"
    "303 See Other\n"
    "304 Not Modified\n"
    "307 Temporary Redirect\n"
    "400 Bad Request\n"
    "401 Unauthorized\n"
    "403 Forbidden\n"
    "404 Not Found\n"
    "405 Method Not Allowed\n"
    "406 Not Acceptable\n"
    "408 Request Timeout\n"
    "409 Conflict\n"
    "411 Length Required\n"
    "413 Content Too Large\n"
    "414 URI Too Long\n"
    "415 Unsupported Media Type\n"
    "416 Range Not Satisfiable\n"
    "426 Upgrade Required\n"
    "431 Request Header Fields Too Large\n"
    "500 Internal Server Error\n"
    "501 Not Implemented\n"
    "503 Service Unavailable\n"
    "505 HTTP Version Not Supported\n"
)


def status_text(code, unknown):
    """The reason phrase of ``code`` ("Not Found"), else ``unknown``."""
    key = "\n%d " % code
    i = _STATUS_TEXT.find(key)
    if i < 0:
        return unknown
    i += len(key)
    return _STATUS_TEXT[i:_STATUS_TEXT.find("\n", i)]


_status_lines = {}  # code -> its status line, made the first time it is sent


def status_line(code):
    line = _status_lines.get(code)
    if line is None:
        line = b"HTTP/1.1 %d %s\r\n" % (code, status_text(code, "Unknown").encode())
        if len(_status_lines) < 16:
            _status_lines[code] = line
    return line


_server_str = None  # the server_string _server_hdr was made from
_server_hdr = b""


def server_header(ctx):
    """b"Server: <server_string>\\r\\n", made once (per server string)."""
    global _server_str, _server_hdr
    if ctx.server_string is not _server_str:
        _server_hdr = b"Server: " + ctx.server_string.encode() + b"\r\n"
        _server_str = ctx.server_string
    return _server_hdr


def put_int(buf, p, n):
    """The decimal digits of ``n`` >= 0 into buf at p, without making a
    string: the position after them, or -1 (also when p is)."""
    if p < 0:
        return -1
    d = _ndigits(n)
    e = p + d
    if e > len(buf):
        return -1
    while d:
        d -= 1
        buf[p + d] = 48 + n % 10
        n //= 10
    return e


def connection_header(wsi):
    """The Connection: header this response needs, if any (serve_file's
    head tests its empty keep-alive case inline, for every file served)."""
    if not wsi.http_keepalive:
        return b"Connection: close\r\n"
    ah = wsi.ah
    if ah is not None and ah.http_version == 10:
        return b"Connection: keep-alive\r\n"
    return b""


def send_headers(wsi, head):
    return write_queued(wsi, head, len(head), _LWS_WRITE_HTTP_HEADERS)


def lws_return_http_status(wsi, code, html_body=None):
    """Send a complete simple response, as v2.1 builds it: the status line
    and Server, ``Content-Type: text/html``, Content-Length, then the body
    ``<html><body><h1>CODE</h1>HTML_BODY</body></html>`` (``html_body``
    None: empty; cut to the seed's 1 KB).

    Returns 0 if it was issued (or buffered), nonzero if the send failed.
    """
    if html_body is None:
        html_body = b""
    elif isinstance(html_body, str):
        html_body = html_body.encode()
    body = b"<html><body><h1>%d</h1>%s</body></html>" % (code, html_body[:1024])
    head = bytearray()
    lws_add_http_header_status(wsi, code, head)
    lws_add_http_header_by_name(wsi, b"Content-Type:", b"text/html", head)
    lws_add_http_header_content_length(wsi, len(body), head)
    lws_finalize_http_header(wsi, head)
    if send_headers(wsi, head) < 0:
        return 1
    if write_queued(wsi, body, len(body), _LWS_WRITE_HTTP) < 0:
        return 1
    return 0


def protocol_error(wsi, code, extra=b""):
    """Answer bad input with ``code`` and close once it is sent."""
    ctx = wsi.context
    if lwsl_enabled(_LLL_INFO):
        lwsl_info("%s: HTTP %d", peer_str(wsi), code)
    wsi.http_keepalive = False
    if wsi.headers_sent:
        # a response is already under way: a status line now would land in
        # its body, so all that is left is to close
        ctx.close(wsi)
        return
    text = status_text(code, "Error").encode()
    body = b"<html><body><h1>%d</h1>%s</body></html>" % (code, text)
    head = (
        status_line(code)
        + server_header(ctx)
        + b"Content-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n" % len(body)
        + extra
        + b"Connection: close\r\n\r\n"
    )
    wsi.http_status = code
    # one write for all of it; a HEAD request gets the head alone
    out = head if wsi.head else head + body
    wsi.head = False
    if write_queued(wsi, out, len(out), _LWS_WRITE_HTTP) >= 0:
        ctx.close(wsi)


# lws' header-building helpers.  Python rule: they append to a bytearray
# ``buf`` (instead of advancing a char **p) and return 1 if the result would
# pass ``end`` bytes (the room the caller has), else 0.


def lws_add_http_header_status(wsi, code, buf, end=0):
    wsi.http_status = code
    line = status_line(code)
    server = server_header(wsi.context)
    if end and len(buf) + len(line) + len(server) > end:
        return 1
    buf.extend(line)
    buf.extend(server)
    return 0


def lws_add_http_header_by_name(wsi, name, value, buf, end=0):
    if isinstance(name, str):
        name = name.encode()
    if isinstance(value, str):
        value = value.encode()
    colon = name.endswith(b":")
    if end and len(buf) + len(name) + (2 if colon else 3) + len(value) + 2 > end:
        return 1
    # piece by piece: no string is made for the line
    buf.extend(name)
    buf.extend(b" " if colon else b": ")
    buf.extend(value)
    buf.extend(b"\r\n")
    return 0


def lws_add_http_header_by_token(wsi, token, value, buf, end=0):
    name = name_of(token)
    if name is None:
        return 1
    return lws_add_http_header_by_name(wsi, name, value, buf, end)


def _ndigits(n):
    d = 1
    while n >= 10:
        n //= 10
        d += 1
    return d


@micropython.native
def lws_add_http_header_content_length(wsi, length, buf, end=0):
    nd = _ndigits(length)
    if end and len(buf) + 18 + nd > end:
        return 1
    buf.extend(b"Content-Length: ")
    p = len(buf)
    for _ in range(nd):
        buf.append(48)  # room for the digits, filled in place
    put_int(buf, p, length)
    buf.extend(b"\r\n")
    return 0


def lws_finalize_http_header(wsi, buf, end=0):
    c = connection_header(wsi)
    if end and len(buf) + len(c) + 2 > end:
        return 1
    buf.extend(c)
    buf.extend(b"\r\n")
    return 0


@micropython.native
def write(wsi, buf, len_, wp, pre):
    """lws_write on an HTTP connection: headers or body bytes, as given."""
    # all of the buffer as it is (a view is an allocation), else its part
    mv = buf if not pre and len_ == len(buf) else memoryview(buf)[pre:pre + len_]
    if wsi.pending_timeout == _PENDING_TIMEOUT_HTTP_CONTENT:
        # an answer in progress: renew its timeout
        set_timeout(wsi, _PENDING_TIMEOUT_HTTP_CONTENT, wsi.context.timeout_secs)
    base = wp & 0x3F
    if base == _LWS_WRITE_HTTP_HEADERS:
        wsi.headers_sent = True
        # held for the body that follows: one send for both
        return hold(wsi, mv)
    if base == _LWS_WRITE_HTTP or base == _LWS_WRITE_HTTP_FINAL:
        wsi.headers_sent = True  # the answer has begun, whatever wrote its head
        if wsi.head:
            return len_  # HEAD: the body is not sent
        return issue(wsi, mv, 0, len(mv))
    return -1
