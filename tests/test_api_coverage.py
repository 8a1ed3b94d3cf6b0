"""lws functions and creation-info fields no other test reaches, each over a
real context and real loopback sockets: lws_is_ssl, lws_hdr_str,
lws_get_urlarg_by_name, lws_add_http_header_by_token, lws_wsi_user, the
ka_* fields and lws_cancel_service_pt.

Callbacks only record what they see (an assert inside one would only be
logged and close the connection); the test asserts afterwards.
"""

import socket

import support
from lws_mp import (
    LWS_CALLBACK_CLOSED,
    LWS_CALLBACK_ESTABLISHED,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_RECEIVE,
    LWS_WRITE_HTTP,
    LWS_WRITE_HTTP_HEADERS,
    LWS_WRITE_TEXT,
    WSI_TOKEN_GET_URI,
    WSI_TOKEN_HOST,
    WSI_TOKEN_HTTP_ACCEPT,
    WSI_TOKEN_HTTP_CACHE_CONTROL,
    WSI_TOKEN_HTTP_CONTENT_TYPE,
    WSI_TOKEN_HTTP_COOKIE,
    WSI_TOKEN_HTTP_URI_ARGS,
    WSI_TOKEN_HTTP_USER_AGENT,
    lws_add_http_header_by_token,
    lws_add_http_header_content_length,
    lws_add_http_header_status,
    lws_callback_http_dummy,
    lws_cancel_service_pt,
    lws_context_creation_info,
    lws_context_destroy,
    lws_finalize_http_header,
    lws_get_urlarg_by_name,
    lws_hdr_copy,
    lws_hdr_str,
    lws_hdr_total_length,
    lws_http_transaction_completed,
    lws_is_ssl,
    lws_protocols,
    lws_service,
    lws_wsi_user,
    lws_write,
)
from lws_mp.plat import _port
from lws_mp.testing import TestClient
from support import IS_MICROPYTHON, make_context, reply

WSI_TOKEN_COUNT = 86  # lws v2.1's enum lws_token_indexes


def _http_server(cb, psd=0, **kw):
    return make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", cb, psd)], **kw))


# ------------------------------------------------------------ lws_is_ssl


def test_lws_is_ssl_is_0_on_a_plain_connection():
    seen = []

    def cb(wsi, reason, user, in_, len_):
        if reason in (LWS_CALLBACK_HTTP, LWS_CALLBACK_ESTABLISHED):
            seen.append((reason, lws_is_ssl(wsi)))
        if reason == LWS_CALLBACK_HTTP:
            return reply(wsi, b"plain")
        return 0

    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", cb), lws_protocols("chat", cb)]))
    assert TestClient(ctx, port).request("GET", "/").body == b"plain"
    TestClient(ctx, port).ws_connect("/", "chat")
    assert seen == [(LWS_CALLBACK_HTTP, 0), (LWS_CALLBACK_ESTABLISHED, 0)], seen
    assert type(seen[0][1]) is int  # C's int, not a bool or None
    lws_context_destroy(ctx)


# ------------------------------------------------------------ headers


def _record_in_http(fn):
    """A server whose HTTP callback records ``fn(wsi)`` and answers "ok"."""
    got = []

    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            got.append(fn(wsi))
            return reply(wsi, b"ok")
        return 0

    ctx, port = _http_server(cb)
    return ctx, port, got


def test_lws_hdr_str():
    def look(wsi):
        buf = bytearray(256)
        n = lws_hdr_copy(wsi, buf, len(buf), WSI_TOKEN_HTTP_ACCEPT)
        return {
            "host": lws_hdr_str(wsi, WSI_TOKEN_HOST),
            "agent": lws_hdr_str(wsi, WSI_TOKEN_HTTP_USER_AGENT),
            "uri": lws_hdr_str(wsi, WSI_TOKEN_GET_URI),
            "cookie": lws_hdr_str(wsi, WSI_TOKEN_HTTP_COOKIE),
            "absent": lws_hdr_str(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE),
            "accept0": lws_hdr_str(wsi, WSI_TOKEN_HTTP_ACCEPT, 0),
            "accept1": lws_hdr_str(wsi, WSI_TOKEN_HTTP_ACCEPT, 1),
            "accept2": lws_hdr_str(wsi, WSI_TOKEN_HTTP_ACCEPT, 2),
            "accept": lws_hdr_str(wsi, WSI_TOKEN_HTTP_ACCEPT),
            "accept_copy": bytes(buf[:n]).decode() if n > 0 else n,
            "accept_len": lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_ACCEPT),
            "arg1": lws_hdr_str(wsi, WSI_TOKEN_HTTP_URI_ARGS, 1),
            "bad_tokens": (lws_hdr_str(wsi, -1), lws_hdr_str(wsi, WSI_TOKEN_COUNT)),
        }

    ctx, port, got = _record_in_http(look)
    r = TestClient(ctx, port).request(
        "GET", "/a/./b%20c?x=1&name=J%C3%B6rg+K",
        headers={"Host": "device.local", "User-Agent": "lws-test/2.1",
                 "Accept": "text/html", "accept": "*/*", "Cookie": "session=abc"})
    assert r.status == 200
    g = got[0]
    assert g["host"] == "device.local"
    assert g["agent"] == "lws-test/2.1"
    assert g["uri"] == "/a/b c"  # decoded and normalised, as the callback's in_
    assert g["cookie"] == "session=abc"
    assert g["absent"] is None
    # one repeated header: each line's value by its index, None past the last
    assert (g["accept0"], g["accept1"], g["accept2"]) == ("text/html", "*/*", None)
    # all of it: what lws_hdr_copy gives, as a str
    assert g["accept"] == g["accept_copy"] and len(g["accept"]) == g["accept_len"]
    assert g["accept"].startswith("text/html") and g["accept"].endswith("*/*")
    assert g["arg1"] == "name=Jörg K"
    assert g["bad_tokens"] == (None, None)
    lws_context_destroy(ctx)


def test_lws_get_urlarg_by_name():
    names = ("x", "name", b"name", "flag", "x2", "empty", "na", "nope", "a", "NAME")

    def look(wsi):
        return [lws_get_urlarg_by_name(wsi, n) for n in names]

    ctx, port, got = _record_in_http(look)
    c = TestClient(ctx, port)
    r = c.request("GET", "/q?x=1&name=J%C3%B6rg+K&&flag&x2=second&empty=&a=first&a=again")
    assert r.status == 200
    assert got[0] == [
        "1",  # x
        "Jörg K",  # name: %-decoded, '+' a space
        "Jörg K",  # the same asked as bytes
        None,  # "flag" has no '=': no value
        "second",  # x2 (not x)
        "",  # empty=
        None,  # "na" is only the start of "name"
        None,  # nope
        "first",  # the first of two
        None,  # names are case-sensitive
    ], got[0]
    # a request without arguments has none
    assert c.request("GET", "/plain").status == 200
    assert got[1] == [None] * len(names)
    lws_context_destroy(ctx)


def test_lws_get_urlarg_by_name_in_its_v21_form():
    # C's call: the name with its '=', and a buffer the argument is copied into
    def look(wsi):
        big = bytearray(32)
        small = bytearray(4)
        return (lws_get_urlarg_by_name(wsi, "name=", big, len(big)), bytes(big[:12]),
                lws_get_urlarg_by_name(wsi, "name=", small, len(small)),
                lws_get_urlarg_by_name(wsi, "x=", None, 0))

    ctx, port, got = _record_in_http(look)
    c = TestClient(ctx, port)
    assert c.request("GET", "/q?x=1&name=Bob").status == 200
    value, copied, too_small, x = got[0]
    assert value == "Bob" and copied == b"name=Bob\x00\x00\x00\x00"
    assert too_small is None  # "name=Bob" and its NUL do not fit 4 bytes
    assert x == "1"
    lws_context_destroy(ctx)


def test_lws_add_http_header_by_token():
    results = {}

    def cb(wsi, reason, user, in_, len_):
        if reason != LWS_CALLBACK_HTTP:
            return 0
        body = b"by token"
        buf = bytearray()
        lws_add_http_header_status(wsi, 200, buf)
        results["type"] = lws_add_http_header_by_token(
            wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, "text/plain; charset=utf-8", buf)
        results["cache"] = lws_add_http_header_by_token(
            wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, b"no-store", buf)
        # a token that names no header (a method's URI) adds nothing: 1
        before = len(buf)
        results["no_name"] = lws_add_http_header_by_token(wsi, WSI_TOKEN_GET_URI, "x", buf)
        results["no_name_added"] = len(buf) - before
        # a header that would pass ``end`` is refused and adds nothing: 1
        before = len(buf)
        results["past_end"] = lws_add_http_header_by_token(
            wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, "max-age=1", buf, before + 10)
        results["past_end_added"] = len(buf) - before
        lws_add_http_header_content_length(wsi, len(body), buf)
        lws_finalize_http_header(wsi, buf)
        lws_write(wsi, buf, len(buf), LWS_WRITE_HTTP_HEADERS)
        lws_write(wsi, body, len(body), LWS_WRITE_HTTP)
        return -1 if lws_http_transaction_completed(wsi) else 0

    ctx, port = _http_server(cb)
    c = TestClient(ctx, port)
    c.request("GET", "/", read=False)
    c.pump(lambda: c.rx.find(b"\r\n\r\n") >= 0)
    head = bytes(c.rx[:c.rx.find(b"\r\n\r\n") + 2]).lower()
    r = c.read_response()
    assert r.status == 200 and r.body == b"by token"
    assert r.header("content-type") == "text/plain; charset=utf-8"
    assert r.header("cache-control") == "no-store"
    # each one a line of its own, named as HTTP names it
    assert head.count(b"\r\ncontent-type: text/plain; charset=utf-8\r\n") == 1, head
    assert head.count(b"\r\ncache-control: no-store\r\n") == 1, head
    assert b"max-age" not in head
    assert results == {"type": 0, "cache": 0, "no_name": 1, "no_name_added": 0,
                       "past_end": 1, "past_end_added": 0}, results
    lws_context_destroy(ctx)


# ------------------------------------------------------------ lws_wsi_user


class Session:
    """per_session_data_size as a class: a fresh instance per connection."""

    def __init__(self):
        self.messages = 0


def test_lws_wsi_user():
    seen = []  # (reason, wsi, user given to the callback, lws_wsi_user(wsi))

    def http(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            seen.append(("http", wsi, user, lws_wsi_user(wsi)))
            return reply(wsi, b"ok")
        return 0

    def chat(wsi, reason, user, in_, len_):
        if reason in (LWS_CALLBACK_ESTABLISHED, LWS_CALLBACK_RECEIVE, LWS_CALLBACK_CLOSED):
            seen.append((reason, wsi, user, lws_wsi_user(wsi)))
        if reason == LWS_CALLBACK_RECEIVE:
            s = lws_wsi_user(wsi)
            s.messages += 1
            msg = b"%d" % s.messages
            lws_write(wsi, msg, len(msg), LWS_WRITE_TEXT)
        return 0

    def raw_area(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_ESTABLISHED:
            seen.append(("raw", wsi, user, lws_wsi_user(wsi)))
        return 0

    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", http), lws_protocols("chat", chat, Session),
                           lws_protocols("raw", raw_area, 12)]))
    # protocols[0] asks for no user area: None
    assert TestClient(ctx, port).request("GET", "/").status == 200
    one = TestClient(ctx, port).ws_connect("/", "chat")
    two = TestClient(ctx, port).ws_connect("/", "chat")
    for ws, count in ((one, 3), (two, 1)):
        for i in range(count):
            ws.send_text("hi")
            assert ws.recv().text == "%d" % (i + 1)  # each keeps its own count
    TestClient(ctx, port).ws_connect("/", "raw")
    http_rows = [s for s in seen if s[0] == "http"]
    assert len(http_rows) == 1 and http_rows[0][3] is None and http_rows[0][2] is None
    # what lws_wsi_user gives is the very object the callbacks get as user
    for row in seen:
        assert row[3] is row[2], row[0]
    chat_rows = [s for s in seen if s[0] in (LWS_CALLBACK_ESTABLISHED, LWS_CALLBACK_RECEIVE)]
    assert len(chat_rows) == 2 + 4
    areas = {}
    for _, wsi, _, area in chat_rows:
        assert isinstance(area, Session)
        areas.setdefault(id(wsi), area)
        assert areas[id(wsi)] is area  # the same one for the life of a connection
    assert len(areas) == 2
    a, b = list(areas.values())
    assert a is not b and sorted((a.messages, b.messages)) == [1, 3]
    raw = [s for s in seen if s[0] == "raw"]
    assert len(raw) == 1 and isinstance(raw[0][3], bytearray)
    assert raw[0][3] == bytearray(12)  # an int size: zeroed bytes
    lws_context_destroy(ctx)


# ------------------------------------------------------------ ka_* fields


def _server_side_sock(ctx):
    """The socket of the context's one accepted connection."""
    conns = [w for w in ctx.slots
             if w is not None and w is not ctx.listen_wsi and w is not ctx.waker_wsi]
    assert len(conns) == 1, conns
    return conns[0].sock


def _keepalive_timer(port):
    """Linux's view of the accepted socket of ``port`` (/proc/net/tcp: the
    established line whose local port is ``port``): (timer kind, when in
    clock ticks).  Timer kind 2 is the keepalive timer."""
    want = ":%04X" % port
    with open("/proc/net/tcp") as f:
        while True:  # a line at a time: the table can be long
            ln = f.readline()
            if not ln:
                break
            cols = ln.split()
            if len(cols) > 5 and cols[1].endswith(want) and cols[3] == "01":
                kind, when = cols[5].split(":")
                return int(kind, 16), int(when, 16)
    raise AssertionError("no established connection on port %d" % port)


def _accepted(**kw):
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", lws_callback_http_dummy)], **kw))
    c = TestClient(ctx, port)
    assert c.request("GET", "/nothing").status == 404  # accepted and served
    return ctx, port, c


def test_ka_time_turns_tcp_keepalive_on_for_accepted_sockets():
    for ka_time, on in ((0, False), (30, True)):
        ctx, port, c = _accepted(ka_time=ka_time, ka_probes=4, ka_interval=7)
        if IS_MICROPYTHON:
            # no getsockopt on MicroPython's sockets: the kernel says it
            kind, _ = _keepalive_timer(port)
            assert (kind == 2) == on, (ka_time, kind)
        else:
            s = _server_side_sock(ctx)
            assert bool(s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)) == on, ka_time
        lws_context_destroy(ctx)


def test_ka_fields_set_the_keepalive_timings():
    if IS_MICROPYTHON:
        support.skip("the unix port's socket module names no TCP_KEEPIDLE, TCP_KEEPINTVL "
                     "or TCP_KEEPCNT, so lws_mp sets only SO_KEEPALIVE there (docs/API.md), "
                     "and its sockets have no getsockopt to read the timings back")
    if not hasattr(socket, "TCP_KEEPIDLE"):
        support.skip("this CPython's socket module has no TCP_KEEPIDLE")
    ctx, port, c = _accepted(ka_time=30, ka_probes=4, ka_interval=7)
    s = _server_side_sock(ctx)
    tcp = socket.IPPROTO_TCP
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    assert s.getsockopt(tcp, socket.TCP_KEEPIDLE) == 30
    assert s.getsockopt(tcp, socket.TCP_KEEPINTVL) == 7
    assert s.getsockopt(tcp, socket.TCP_KEEPCNT) == 4
    # and the kernel runs the keepalive timer with that idle time (ticks of 10 ms)
    kind, when = _keepalive_timer(port)
    assert kind == 2 and 2000 < when <= 3000, (kind, when)
    lws_context_destroy(ctx)


# ------------------------------------------------------------ cancel


def _cancel_rig():
    """A context with one idle HTTP connection, its wsi, and a record of
    every callback; lined up with the 1 Hz sweep, so that a poll nothing
    wakes blocks until the next sweep is due (lws_service never sleeps
    past it) and that sweep then runs."""
    calls = []
    conns = []

    def cb(wsi, reason, user, in_, len_):
        calls.append(reason)
        if reason == LWS_CALLBACK_HTTP:
            conns.append(wsi)
            return reply(wsi, b"ok")
        return 0

    ctx, port = _http_server(cb)
    c = TestClient(ctx, port)
    assert c.request("GET", "/").status == 200
    sweep = ctx.last_sweep
    while ctx.last_sweep == sweep:
        lws_service(ctx, 1000)
    return ctx, c, conns[0], calls


def _waker_drained(ctx):
    try:
        ctx.waker.sock.recv(16)
    except OSError as e:
        return _port.would_block(e)
    return False


def test_cancel_service_pt_before_the_poll_returns_it_at_once():
    ctx, c, wsi, calls = _cancel_rig()
    sweep = ctx.last_sweep
    before = len(calls)
    lws_cancel_service_pt(wsi)
    assert lws_service(ctx, 5000) == 0
    # it returned before the sweep was due: the sweep that ends a full
    # wait did not run
    assert ctx.last_sweep == sweep
    # it serviced the wake and nothing else: the waker has nothing left
    # to read, no callback ran, nothing is pending
    assert _waker_drained(ctx)
    assert calls[before:] == [] and not ctx.pending
    # the connection it was called on is untouched
    assert c.request("GET", "/again").status == 200
    lws_context_destroy(ctx)


def test_cancel_service_pt_from_another_thread_wakes_a_blocked_service():
    try:
        import _thread
    except ImportError:
        support.skip("this interpreter has no _thread")
    ctx, c, wsi, calls = _cancel_rig()
    sweep = ctx.last_sweep
    fired = []

    def canceller():
        import time

        time.sleep(0.05)  # lws_service is blocked in its poll by now
        fired.append(1)
        lws_cancel_service_pt(wsi)

    _thread.start_new_thread(canceller, ())
    assert lws_service(ctx, 5000) == 0
    # woken by the other thread's cancel, before the sweep was due
    assert fired == [1]
    assert ctx.last_sweep == sweep
    assert _waker_drained(ctx)
    assert c.request("GET", "/again").status == 200
    lws_context_destroy(ctx)
