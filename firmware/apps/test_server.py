"""The libwebsockets test-server, ported.

- http: files from the root directory (test.html at '/').
- dumb-increment-protocol: a counter sent every 50 ms; "reset\\n" sets it
  to 0, "closeme\\n" closes with 1001 "seeya".
- lws-mirror-protocol: every message goes to every client, through one
  fixed-size ring; a sender is paused (rx flow control) while the ring is
  too full for the slowest reader, or while another client's message is
  half in it, so memory stays bounded, nothing is dropped and a message
  bigger than one RECEIVE goes out whole.
- lws-status: a JSON line with the number of clients of each protocol,
  sent to every status client when it changes.
"""

import array
import binascii

from lws_mp import (
    LWS_CALLBACK_CLOSED,
    LWS_CALLBACK_ESTABLISHED,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_HTTP_BODY,
    LWS_CALLBACK_HTTP_BODY_COMPLETION,
    LWS_CALLBACK_PROTOCOL_DESTROY,
    LWS_CALLBACK_PROTOCOL_INIT,
    LWS_CALLBACK_RECEIVE,
    LWS_CALLBACK_SERVER_WRITEABLE,
    LWS_CLOSE_STATUS_GOINGAWAY,
    LWS_PRE,
    LWS_WRITE_BINARY,
    LWS_WRITE_CONTINUATION,
    LWS_WRITE_HTTP_FINAL,
    LWS_WRITE_HTTP_HEADERS,
    LWS_WRITE_NO_FIN,
    LWS_WRITE_TEXT,
    WSI_TOKEN_HTTP_CONTENT_LENGTH,
    WSI_TOKEN_HTTP_TRANSFER_ENCODING,
    WSI_TOKEN_POST_URI,
    lws_add_http_header_by_name,
    lws_add_http_header_content_length,
    lws_add_http_header_status,
    lws_callback_http_dummy,
    lws_callback_on_writable,
    lws_callback_on_writable_all_protocol,
    lws_close_reason,
    lws_context_creation_info,
    lws_finalize_http_header,
    lws_frame_is_binary,
    lws_get_context,
    lws_get_protocol,
    lws_hdr_copy,
    lws_hdr_total_length,
    lws_http_mount,
    lws_http_transaction_completed,
    lws_is_final_fragment,
    lws_partial_buffered,
    lws_protocols,
    lws_rx_flow_control,
    lws_write,
)

TICK_MS = 50

# ------------------------------------------------------------ http (form test)


class FormSession:
    """What POST /formtest has seen of its body so far: never the body."""

    def __init__(self):
        self.posting = False
        self.count = 0
        self.crc = 0


_head = bytearray(256)  # one buffer every reply's head is built in (lws_write copies it)


def _form_reply(wsi, pss):
    body = b"bytes=%d crc=%08x" % (pss.count, pss.crc)  # crc32 is unsigned already
    head = _head
    head[0:] = b""  # emptied: its room stays for the head
    if lws_add_http_header_status(wsi, 200, head) or \
            lws_add_http_header_by_name(wsi, b"Content-Type:", b"text/plain", head) or \
            lws_add_http_header_content_length(wsi, len(body), head) or \
            lws_finalize_http_header(wsi, head):
        return -1
    if lws_write(wsi, head, len(head), LWS_WRITE_HTTP_HEADERS) < 0 or \
            lws_write(wsi, body, len(body), LWS_WRITE_HTTP_FINAL) < 0:
        return -1
    return 1 if lws_http_transaction_completed(wsi) else 0


_length = bytearray(24)  # a Content-Length value, copied out of the request


def _has_body(wsi):
    if lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING):
        return True
    v = _length
    n = lws_hdr_copy(wsi, v, len(v), WSI_TOKEN_HTTP_CONTENT_LENGTH)
    if n < 0:
        return True  # longer than the 15 digits the server takes: not seen here
    for i in range(n):
        if v[i] != 48:  # a digit other than '0'
            return True
    return False


def callback_http(wsi, reason, pss, in_, len_):
    """POST /formtest: the body streams through HTTP_BODY, counted and
    CRC-32'd piece by piece; the answer is "bytes=N crc=XXXXXXXX".  The rest
    is the dummy's (the mounts serve files before a request gets here)."""
    if reason == LWS_CALLBACK_HTTP:
        pss.posting = False
        if in_ == "/formtest" and lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI):
            pss.count = 0
            pss.crc = 0
            if not _has_body(wsi):
                return _form_reply(wsi, pss)  # no BODY_COMPLETION will come
            pss.posting = True
            return 0  # the body follows as HTTP_BODY, then BODY_COMPLETION
    elif reason == LWS_CALLBACK_HTTP_BODY and pss.posting:
        pss.count += len_
        pss.crc = binascii.crc32(in_, pss.crc)
        return 0
    elif reason == LWS_CALLBACK_HTTP_BODY_COMPLETION and pss.posting:
        pss.posting = False
        return _form_reply(wsi, pss)
    return lws_callback_http_dummy(wsi, reason, pss, in_, len_)


# ------------------------------------------------------------ dumb increment


class DumbIncrement:
    def __init__(self):
        self.number = 0


_number_buf = bytearray(LWS_PRE + 12)  # one buffer for every client's number


def callback_dumb_increment(wsi, reason, pss, in_, len_):
    if reason == LWS_CALLBACK_SERVER_WRITEABLE:
        b = _number_buf
        s = b"%d" % pss.number
        b[LWS_PRE:LWS_PRE + len(s)] = s
        pss.number += 1
        if lws_write(wsi, b, len(s), LWS_WRITE_TEXT, LWS_PRE) < len(s):
            return -1
    elif reason == LWS_CALLBACK_RECEIVE:
        if len_ >= 6 and bytes(in_[:6]) == b"reset\n":
            pss.number = 0
        elif len_ >= 8 and bytes(in_[:8]) == b"closeme\n":
            lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, b"seeya")
            return -1
    return 0


# ------------------------------------------------------------ mirror

RING_BYTES = 8192
RING_SLOTS = 128
# the largest piece of a message a RECEIVE hands over (bigger messages come
# in pieces and are mirrored as the same one message, in fragments)
MIRROR_RX = 4096
_FIN = 1
_CONT = 2
_BINARY = 4


class MirrorRing:
    """Received messages in one preallocated arena, oldest first.

    Each entry keeps LWS_PRE bytes of headroom in front of its data, so
    lws_write builds the frame header in place.
    """

    def __init__(self, size=RING_BYTES, slots=RING_SLOTS):
        self.arena = bytearray(size)
        self.start = array.array("H", [0] * slots)
        self.length = array.array("H", [0] * slots)
        self.flags = bytearray(slots)  # _FIN / _CONT / _BINARY per entry
        self.head = 0  # sequence number of the next entry
        self.tail = 0  # oldest entry still kept
        self.write_pos = 0
        self.dropped = 0

    def free_bytes(self):
        if self.head == self.tail:
            return len(self.arena)
        old = self.start[self.tail % len(self.start)] - LWS_PRE
        if self.write_pos > old:
            return max(len(self.arena) - self.write_pos, old)
        return old - self.write_pos

    def room_for(self, n):
        return self.head - self.tail < len(self.start) and self.free_bytes() >= n + LWS_PRE

    def push(self, data, n, flags):
        if not self.room_for(n):
            self.dropped += 1
            return False
        need = n + LWS_PRE
        pos = self.write_pos
        if pos + need > len(self.arena):
            pos = 0
        i = self.head % len(self.start)
        self.start[i] = pos + LWS_PRE
        self.length[i] = n
        self.flags[i] = flags
        self.arena[pos + LWS_PRE:pos + LWS_PRE + n] = data[:n]
        self.write_pos = pos + need
        self.head += 1
        return True

    def release_to(self, seq):
        """Forget entries older than ``seq`` (every reader is past them)."""
        if seq > self.tail:
            self.tail = seq
            if self.tail == self.head:
                self.write_pos = 0


class MirrorSession:
    def __init__(self):
        self.next = -1  # next ring entry this client still has to get
        self.wsi = None
        self.reading = True  # rx flow control as last set for this client


# "owner": the client whose message is part-way into the ring.  Its pieces
# must stay together, so while it has one open every other sender waits.
_mirror = {"ring": None, "sessions": [], "owner": None}


def _mirror_release(ring):
    oldest = ring.head  # nothing unsent when no one is left
    for s in _mirror["sessions"]:  # a loop, not min(generator): no allocation per call
        if s.next < oldest:
            oldest = s.next
    ring.release_to(oldest)


def _update_flow(ring):
    """Let a client send while the ring can take one more piece and no other
    client's message is half in; pause it otherwise.  Nothing is dropped."""
    room = ring.room_for(MIRROR_RX)
    owner = _mirror["owner"]
    for s in _mirror["sessions"]:
        want = room and (owner is None or owner is s)
        if want != s.reading:
            s.reading = want
            lws_rx_flow_control(s.wsi, 1 if want else 0)


def callback_lws_mirror(wsi, reason, pss, in_, len_):
    ring = _mirror["ring"]
    if reason == LWS_CALLBACK_PROTOCOL_INIT:
        _mirror["ring"] = MirrorRing()
        _mirror["sessions"] = []
        _mirror["owner"] = None
    elif reason == LWS_CALLBACK_PROTOCOL_DESTROY:
        _mirror["ring"] = None
        _mirror["sessions"] = []
        _mirror["owner"] = None
    elif reason == LWS_CALLBACK_ESTABLISHED:
        pss.next = ring.head
        pss.wsi = wsi
        _mirror["sessions"].append(pss)
        _update_flow(ring)
    elif reason == LWS_CALLBACK_CLOSED:
        if pss in _mirror["sessions"]:
            _mirror["sessions"].remove(pss)
        if _mirror["owner"] is pss:
            # its message will never end: close it for the readers
            _mirror["owner"] = None
            ring.push(b"", 0, _CONT | _FIN)
            lws_callback_on_writable_all_protocol(lws_get_context(wsi), lws_get_protocol(wsi))
        _mirror_release(ring)
        _update_flow(ring)
    elif reason == LWS_CALLBACK_SERVER_WRITEABLE:
        sent = 0
        while pss.next < ring.head and sent < 4:
            i = pss.next % RING_SLOTS
            n = ring.length[i]
            fl = ring.flags[i]
            if fl & _CONT:
                wp = LWS_WRITE_CONTINUATION
            else:
                wp = LWS_WRITE_BINARY if fl & _BINARY else LWS_WRITE_TEXT
            if not fl & _FIN:
                wp |= LWS_WRITE_NO_FIN
            if lws_write(wsi, ring.arena, n, wp, ring.start[i]) < n:
                return -1
            pss.next += 1
            sent += 1
            if lws_partial_buffered(wsi):
                break
        _mirror_release(ring)
        if pss.next < ring.head:
            lws_callback_on_writable(wsi)
        _update_flow(ring)
    elif reason == LWS_CALLBACK_RECEIVE:
        owner = _mirror["owner"]
        final = lws_is_final_fragment(wsi)
        fl = (_CONT if owner is pss else 0) | (_FIN if final else 0)
        if lws_frame_is_binary(wsi):
            fl |= _BINARY
        if owner is not None and owner is not pss or not ring.push(in_, len_, fl):
            print("mirror: piece dropped")
        else:
            _mirror["owner"] = None if final else pss
        _update_flow(ring)
        lws_callback_on_writable_all_protocol(lws_get_context(wsi), lws_get_protocol(wsi))
    return 0


# ------------------------------------------------------------ status

def _status_changed(ctx):
    for p in ctx.protocols:
        if p.name == "lws-status":
            lws_callback_on_writable_all_protocol(ctx, p)


def count_clients(ctx):
    counts = {}
    for w in ctx.slots:
        if w is not None and w.ws is not None and w.protocol is not None:
            counts[w.protocol.name] = counts.get(w.protocol.name, 0) + 1
    return counts


def callback_lws_status(wsi, reason, pss, in_, len_):
    if reason == LWS_CALLBACK_ESTABLISHED or reason == LWS_CALLBACK_CLOSED:
        _status_changed(lws_get_context(wsi))
    elif reason == LWS_CALLBACK_SERVER_WRITEABLE:
        counts = count_clients(lws_get_context(wsi))
        body = "{" + ",".join('"%s":%d' % (k, counts[k]) for k in sorted(counts)) + "}"
        b = body.encode()
        if lws_write(wsi, b, len(b), LWS_WRITE_TEXT) < len(b):
            return -1
    return 0


# lws-status hears about the clients of these two protocols.  Plain
# functions, not a closure made per protocol: on MicroPython a call to a
# closure whose captured values and arguments pass five words puts them on
# the heap, on every callback.


def _tracked(r, wsi, reason):
    if reason == LWS_CALLBACK_ESTABLISHED or reason == LWS_CALLBACK_CLOSED:
        _status_changed(lws_get_context(wsi))
    return r


def callback_dumb_increment_tracked(wsi, reason, pss, in_, len_):
    return _tracked(callback_dumb_increment(wsi, reason, pss, in_, len_), wsi, reason)


def callback_lws_mirror_tracked(wsi, reason, pss, in_, len_):
    return _tracked(callback_lws_mirror(wsi, reason, pss, in_, len_), wsi, reason)


# ------------------------------------------------------------ the server

_dumb = {"protocol": None}


def tick(ctx):
    """Every 50 ms: each dumb-increment client gets its next number."""
    p = _dumb["protocol"]
    if p is not None:
        lws_callback_on_writable_all_protocol(ctx, p)


def make_info(port, iface, root, **opts):
    dumb = lws_protocols("dumb-increment-protocol", callback_dumb_increment_tracked,
                         DumbIncrement, 10)
    _dumb["protocol"] = dumb
    return lws_context_creation_info(
        port=port,
        iface=iface,
        protocols=[
            lws_protocols("http-only", callback_http, FormSession),
            dumb,
            lws_protocols("lws-mirror-protocol", callback_lws_mirror_tracked,
                          MirrorSession, MIRROR_RX),
            lws_protocols("lws-status", callback_lws_status),
        ],
        mounts=[lws_http_mount("/", root or "firmware/test_server_www", "test.html")],
        **opts
    )
