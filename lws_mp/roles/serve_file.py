"""lws_serve_http_file: stream a file through the service buffer.

Answers HEAD, serves ``name.gz`` with Content-Encoding: gzip to clients that
accept it, honours a single byte Range (206 / 416) and If-None-Match (304)
against an ETag made of the file's mtime and size.
"""

from ..core.context import close_free_wsi
from ..core.conn import change_events, set_timeout, user_callback
from ..codec.file_headers import accepts_gzip, etag_matches, parse_range
from ..core.log import lwsl_info
from ..core import output
from ..plat import _port
from ..core.output import flush_held, issue_raw, sock_send_part
from ..plat._port import POLLOUT, const, copy_into, micropython  # @micropython.native
from ..plat.file_ops import LWS_O_RDONLY, lws_plat_file_ops, send_file_pieces
from .http_response import connection_header, put_int, send_headers, server_header, status_line
from .http_server import _queue, lws_http_transaction_completed, user_answers
from builtins import hasattr, isinstance, len, range, type  # one look-up (docs/ARCHITECTURE.md)

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_CALLBACK_HTTP_FILE_COMPLETION = const(15)
_PENDING_TIMEOUT_HTTP_CONTENT = const(10)
_WSI_TOKEN_HTTP_ACCEPT_ENCODING = const(21)
_WSI_TOKEN_HTTP_IF_NONE_MATCH = const(20)
_WSI_TOKEN_HTTP_IF_RANGE = const(55)
_WSI_TOKEN_HTTP_RANGE = const(30)
# what one writable sends of a file at most: a device's socket is full long
# before (lwIP's send buffer is a few KB); on a host the others wait meanwhile
_BURST = const(131072)
# start_file's answer: the file went out whole with its head
ALL_SENT = const(2)


# the path and stat a mount's look-up has just made (hint_stat, or set by
# roles/http_mount itself without the call): the ETag and the length are
# taken from it instead of from a second stat of the same file
_hint_path = None
_hint_stat = None


def hint_stat(path, st):
    global _hint_path, _hint_stat
    _hint_path, _hint_stat = path, st


_open_len = 0  # what _open found besides the file: its length and stat
_open_stat = None
_spare = []  # a FileStream done with, for the next file


def _open(wsi, fops, name):
    """``name`` opened for reading (None if it cannot be), its length and
    stat in _open_len and _open_stat; the stat is the mount's hint when it
    is for this file."""
    global _hint_path, _hint_stat, _open_len, _open_stat
    st = None
    if _hint_path is not None and _hint_path == name:
        st = _hint_stat
        _hint_path = _hint_stat = None
        if type(fops) is lws_plat_file_ops:
            # its stat is known: opened without making another
            _open_len = st[0]
            _open_stat = st
            return fops.open_known(wsi, name)
    fd, _open_len = fops.open(wsi, name_for(fops, name), LWS_O_RDONLY)
    _open_stat = st
    return fd


def name_for(fops, name):
    """The file name (bytes here) as ``fops`` takes it: the platform's as
    it is, a firmware's as a str (lws' file ops are given a C string)."""
    return name if type(fops) is lws_plat_file_ops else name.decode()


class FileStream:
    def __init__(self, fops, fd, remaining):
        self.fops = fops
        self.fd = fd
        self.remaining = remaining


def file_ops(ctx):
    """The file ops files are served with: the creation info's, or the
    platform's (made by the first file served)."""
    if ctx.fops is None:
        ctx.fops = lws_plat_file_ops()
    return ctx.fops


def _hdr_bytes(wsi, token):
    ah = wsi.ah
    if ah is None:
        return None
    v = ah.value(token)
    return None if v is None else bytes(v)


def client_accepts_gzip(wsi):
    """True if this request's Accept-Encoding lets a .gz variant be sent."""
    v = _hdr_bytes(wsi, _WSI_TOKEN_HTTP_ACCEPT_ENCODING)
    return v is not None and accepts_gzip(v)


def lws_serve_http_file(wsi, file, content_type, other_headers=None, other_headers_len=0):
    """Send ``file`` as the response.

    < 0: error (a missing file: nothing was sent), the connection should be
    closed; > 0: the response was complete at once (304, 416) and the
    transaction completed; 0: started, it goes on as the socket takes it and
    ends with LWS_CALLBACK_HTTP_FILE_COMPLETION.
    """
    r = start_file(wsi, file, content_type, other_headers, other_headers_len)
    if r == ALL_SENT:
        # FILE_COMPLETION comes later in this lws_service, once the caller
        # has returned, as it would on POLLOUT, without waiting for one
        _queue(wsi)
        return 0
    return r


@micropython.native
def start_file(wsi, file, content_type, other_headers, other_headers_len):
    """lws_serve_http_file without the completion: ALL_SENT when the file
    went out whole with its head, for the caller to ``finish`` (the core's
    mounts do it at once: no user callback is running)."""
    ctx = wsi.context
    fops = ctx.fops or file_ops(ctx)
    if isinstance(file, str):
        file = file.encode()  # names are bytes within (roles/http_mount.lookup)
    global _hint_path, _hint_stat
    gzip = False
    fd = None
    # what the request has is asked of the fragment index first: a header
    # it did not send costs no look-up
    fi = wsi.ah.frag_index if wsi.ah is not None else None
    if fi is not None and fi[_WSI_TOKEN_HTTP_ACCEPT_ENCODING] and client_accepts_gzip(wsi):
        stat_name = file + b".gz"
        fd = _open(wsi, fops, stat_name)
        if fd is not None:
            gzip = True
    if fd is None:
        stat_name = file
        fd = _open(wsi, fops, file)
    st = _open_stat
    _hint_path = _hint_stat = None
    if fd is None:
        # as lws v2.1: nothing is sent, the caller answers or closes
        lwsl_info("serve %s: not found", file.decode())
        return -1
    if st is None:
        # no look-up stat'ed this same file a moment ago
        st = fops.stat(wsi, name_for(fops, stat_name)) if hasattr(fops, "stat") else None
    extra = _extra(other_headers, other_headers_len) if other_headers else b""
    if fi is not None and (fi[_WSI_TOKEN_HTTP_IF_NONE_MATCH] or fi[_WSI_TOKEN_HTTP_RANGE]):
        return _conditional(wsi, fops, fd, st, stat_name, gzip, content_type, extra)
    return _send_file(wsi, fops, fd, st, stat_name, gzip, content_type, extra,
                      0, _open_len, 200, None)


def _extra(other_headers, other_headers_len):
    if isinstance(other_headers, str):
        other_headers = other_headers.encode()
    if other_headers_len:
        other_headers = other_headers[:other_headers_len]
    return bytes(other_headers)


def _conditional(wsi, fops, fd, st, stat_name, gzip, content_type, extra):
    """A request with If-None-Match or Range: a 304, a 416, a 206 or the
    whole file."""
    ctx = wsi.context
    flen = _open_len
    # to compare, or for a 304 / 416 head: else it is written where it goes
    etag = _etag(st, gzip)
    if etag is not None and etag_matches(
            _hdr_bytes(wsi, _WSI_TOKEN_HTTP_IF_NONE_MATCH), etag):
        fops.close(wsi, fd)
        wsi.http_status = 304
        send_headers(wsi, status_line(304) + _common(ctx, etag, gzip) + extra
                     + connection_header(wsi) + b"\r\n")
        return _completed_now(wsi)
    rng = _hdr_bytes(wsi, _WSI_TOKEN_HTTP_RANGE)
    if rng is not None:
        if_range = _hdr_bytes(wsi, _WSI_TOKEN_HTTP_IF_RANGE)
        if if_range is None or if_range == etag:
            r = parse_range(rng, flen)
            if r == -1:
                fops.close(wsi, fd)
                wsi.http_status = 416
                send_headers(wsi, status_line(416) + _common(ctx, etag, gzip)
                             + b"Content-Range: bytes */%d\r\nContent-Length: 0\r\n" % flen
                             + connection_header(wsi) + b"\r\n")
                return _completed_now(wsi)
            if r is not None:
                start, end = r
                return _send_file(wsi, fops, fd, st, stat_name, gzip, content_type, extra,
                                  start, end - start + 1, 206,
                                  b"Content-Range: bytes %d-%d/%d\r\n" % (start, end, flen))
    return _send_file(wsi, fops, fd, st, stat_name, gzip, content_type, extra,
                      0, flen, 200, None)


@micropython.native
def _send_file(wsi, fops, fd, st, stat_name, gzip, content_type, extra, start, length, code,
               crange):
    """The head and the first piece of the file (``length`` bytes from
    ``start``), then the rest on writable."""
    ctx = wsi.context
    ct = content_type  # the object the kept heads are matched by
    if start and fops.seek_cur(wsi, fd, start) < 0:
        fops.close(wsi, fd)
        return -1
    wsi.http_status = code
    # the head is written straight into the service buffer, where the first
    # piece of the file joins it: no string is built for it
    buf = ctx.serv_mv
    server = ctx.server_string  # a kept head is for the one it was made with
    slot = _cached_head(stat_name, st, ct, server) if code == 200 else -1
    if slot >= 0:
        c = _heads[slot]
        p = copy_into(buf, 0, c, 0, len(c))
    else:
        p = _put(buf, 0, status_line(code))
        p = _put(buf, p, server_header(ctx))
        if st is not None:
            p = _put(buf, p, b"ETag: \"")
            p = _put_hex(buf, p, st[1])
            p = _put(buf, p, b"-")
            p = _put_hex(buf, p, st[0])
            p = _put(buf, p, b"-gz\"\r\n" if gzip else b"\"\r\n")
        if gzip:
            p = _put(buf, p, b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n")
        if crange is not None:
            p = _put(buf, p, crange)
        if isinstance(content_type, str):
            content_type = content_type.encode()  # only for a head not kept
        p = _put(buf, p, b"Content-Type: ")
        p = _put(buf, p, content_type)
        p = _put(buf, p, b"\r\nContent-Length: ")
        p = put_int(buf, p, length)
        p = _put(buf, p, b"\r\nAccept-Ranges: bytes\r\n")
        if code == 200 and st is not None and p > 0:
            _keep_head(stat_name, st, ct, server, buf, p)
    ah = wsi.ah
    # (a keep-alive HTTP/1.1 answer has none: no call for it)
    c = b"" if wsi.http_keepalive and ah is not None and ah.http_version != 10 \
        else connection_header(wsi)
    p = copy_into(buf, p, c, 0, len(c))
    if extra:
        p = _put(buf, p, extra)
    p = copy_into(buf, p, b"\r\n", 0, 2)
    head = None
    if p < 0:
        # bigger than the service buffer: made as one string, sent alone
        head = _whole_head(wsi, st, gzip, content_type, extra, length, code, crange)
    fs = _spare.pop() if _spare else FileStream(fops, fd, 0)  # one per file is garbage
    fs.fops, fs.fd, fs.remaining = fops, fd, 0 if wsi.head else length
    if not _send_head(wsi, ctx, fs, head, p):
        fops.close(wsi, fd)
        return -1
    wsi.file = fs
    if not fs.remaining and not wsi.trunc_len:
        return ALL_SENT
    # a peer that stops reading must not hold the file, slot and header
    # table for ever: the transfer has to progress within timeout_secs
    set_timeout(wsi, _PENDING_TIMEOUT_HTTP_CONTENT, ctx.timeout_secs)
    change_events(wsi, POLLOUT, 0)
    return 0


def _whole_head(wsi, st, gzip, content_type, extra, length, code, crange):
    etag = _etag(st, gzip)
    if isinstance(content_type, str):
        content_type = content_type.encode()
    return (status_line(code) + _common(wsi.context, etag, gzip) + (crange or b"")
            + b"Content-Type: " + content_type
            + b"\r\nContent-Length: %d\r\nAccept-Ranges: bytes\r\n" % length
            + connection_header(wsi) + extra + b"\r\n")


# The last 200 heads of served files, up to their Connection header: a file
# asked for again with the same stat, content type (the same object) and
# server string (the same object) gets its head in one copy.  A changed file
# has another stat.
_HEADS = const(4)
_heads = [b""] * _HEADS
_head_names = [b""] * _HEADS
_head_sizes = [-1] * _HEADS
_head_mtimes = [-1] * _HEADS
_head_types = [None] * _HEADS
_head_servers = [None] * _HEADS
_head_next = 0


@micropython.native
def _cached_head(name, st, ct, server):
    """The slot of the kept head for this file, or -1."""
    if st is None:
        return -1
    i = 0
    while i < _HEADS:
        if (_head_names[i] == name and _head_sizes[i] == st[0] and _head_mtimes[i] == st[1]
                and _head_types[i] is ct and _head_servers[i] is server):
            return i
        i += 1
    return -1


def _keep_head(name, st, ct, server, buf, n):
    global _head_next
    i = _head_next
    _head_next = (i + 1) % _HEADS
    _heads[i] = bytes(buf[:n])
    _head_names[i] = name
    _head_sizes[i], _head_mtimes[i] = st[0], st[1]
    _head_types[i], _head_servers[i] = ct, server


def _etag(st, gzip):
    """The ETag of a file of stat ``st``: its mtime and size (None without
    a stat)."""
    if st is None:
        return None
    return b'"%x-%x%s"' % (st[1], st[0], b"-gz" if gzip else b"")


def _put_hex(buf, p, n):
    """The lowercase hex digits of ``n`` >= 0 into buf at p (as "%x" gives
    them, without making a string): the position after them, or -1."""
    if p < 0:
        return -1
    d = 1
    while n >> (4 * d):
        d += 1
    e = p + d
    if e > len(buf):
        return -1
    while d:
        d -= 1
        v = n & 15
        buf[p + d] = 48 + v if v < 10 else 87 + v
        n >>= 4
    return e


def _common(ctx, etag, gzip):
    common = server_header(ctx)
    if etag is not None:
        common += b"ETag: " + etag + b"\r\n"
    if gzip:
        common += b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
    return common


def _put(buf, p, data):
    """data into buf at p: the position after it, or -1 (also when p is)."""
    return copy_into(buf, p, data, 0, len(data))


@micropython.native
def _send_head(wsi, ctx, fs, head, h):
    """The head (in the service buffer, ``h`` bytes, or ``head`` when it
    did not fit there) and the first piece of the file in one send (a small
    file goes out whole).  False if it failed."""
    if output._held_wsi is not None:  # (flush_held, called only when there is one)
        flush_held()  # a head held for this connection would go out after this
    if head is not None or wsi.trunc_len:
        if head is None:
            head = bytes(ctx.serv_mv[:h])
        return send_headers(wsi, head) >= 0
    buf = ctx.serv_mv
    size = len(buf)
    wsi.headers_sent = True
    n = fs.remaining if fs.remaining < size - h else size - h
    if ctx.serv_tail_at != h:
        ctx.serv_tail = buf[h:]  # a view is two heap objects: made once per head length
        ctx.serv_tail_at = h
    got = fs.fops.read(wsi, fs.fd, ctx.serv_tail, n) if n else 0
    if got < 0:
        lwsl_info("serve: file read failed")
        return False
    total = h + got
    try:
        # (sock_send_part's TCP case without its call)
        sent = _port.send_part(wsi.sock, buf, 0, total) if wsi.tls is None \
            else sock_send_part(wsi, buf, 0, total)
    except OSError as e:
        ctx.fatal(wsi, "send failed %r" % (e,))
        return False
    if sent < total:
        # what the socket did not take: the rest of the head is kept (a
        # partial send), the file read again from where the socket stopped
        if sent < h:
            if issue_raw(wsi, buf[sent:h]) < 0:
                return False
            back = got
        else:
            back = total - sent
        if back and fs.fops.seek_cur(wsi, fs.fd, -back) < 0:
            ctx.fatal(wsi, "file seek failed")
            return False
        got -= back
    fs.remaining -= got
    return True


def _completed_now(wsi):
    if lws_http_transaction_completed(wsi):
        close_free_wsi(wsi.context, wsi)
    return 1


def stream_some(wsi):
    """Send the next pieces of the file; True when it is all sent."""
    fs = wsi.file
    if not fs.remaining:
        return True  # a small file: all of it went with the head
    return _stream(wsi, wsi.context, fs)


def _stream(wsi, ctx, fs):
    fops = file_ops(ctx)
    if wsi.tls is None and type(fops) is lws_plat_file_ops:
        # the platform's files to a TCP socket: the platform streams them
        left = fs.remaining
        try:
            moved = send_file_pieces(fs.fd, wsi.sock, ctx.serv_mv, min(left, _BURST))
        except OSError as e:
            ctx.fatal(wsi, "send failed %r" % (e,))
            return False
        if moved < 0:
            return _short(wsi, ctx)
        fs.remaining -= moved
    else:
        moved = _through_fops(wsi, ctx, fops, fs)
        if moved < 0:
            return False
    if moved and fs.remaining:
        # the peer is taking data: it gets another timeout_secs
        set_timeout(wsi, _PENDING_TIMEOUT_HTTP_CONTENT, ctx.timeout_secs)
    return not fs.remaining


def _short(wsi, ctx):
    lwsl_info("serve: file shorter than its length")
    ctx.fatal(wsi, "file read failed")
    return False


def _through_fops(wsi, ctx, fops, fs):
    """Up to 8 pieces through a firmware's file ops (or TLS): bytes sent, or -1 (closed)."""
    buf = ctx.serv_mv
    size = len(buf)
    moved = 0
    for _ in range(8):
        if not fs.remaining:
            break
        n = fs.remaining if fs.remaining < size else size
        got = fops.read(wsi, fs.fd, buf, n)
        if got <= 0:
            _short(wsi, ctx)
            return -1
        try:
            sent = sock_send_part(wsi, buf, 0, got)
        except OSError as e:
            ctx.fatal(wsi, "send failed %r" % (e,))
            return -1
        fs.remaining -= sent
        moved += sent
        if sent < got:
            # give back what the socket did not take: read it again later
            if fops.seek_cur(wsi, fs.fd, sent - got) < 0:
                ctx.fatal(wsi, "file seek failed")
                return -1
            break
    return moved


def finish(wsi):
    """The file is out: close it, tell the user, complete the transaction."""
    ctx = wsi.context
    fs = wsi.file
    wsi.file = None
    fs.fops.close(wsi, fs.fd)
    if not _spare:
        _spare.append(fs)  # the next file's, as it is done with
    if user_answers(wsi) and user_callback(wsi, _LWS_CALLBACK_HTTP_FILE_COMPLETION):
        close_free_wsi(ctx, wsi)
        return
    if wsi.closed:
        return
    if not wsi.transaction_done:
        if lws_http_transaction_completed(wsi):
            close_free_wsi(ctx, wsi)
