"""External polling: the context's sockets watched by an outside loop that
follows the POLL_FD callbacks and calls lws_service_fd -- a hand-written
select.poll loop, and asyncio through lws_mp.aio."""

import asyncio
import select
import socket

from lws_mp import (
    LWS_CALLBACK_ADD_POLL_FD,
    LWS_CALLBACK_CHANGE_MODE_POLL_FD,
    LWS_CALLBACK_DEL_POLL_FD,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_HTTP_BODY,
    LWS_CALLBACK_HTTP_BODY_COMPLETION,
    LWS_CALLBACK_HTTP_WRITEABLE,
    LWS_CALLBACK_LOCK_POLL,
    LWS_CALLBACK_RECEIVE,
    LWS_CALLBACK_SERVER_WRITEABLE,
    LWS_CALLBACK_UNLOCK_POLL,
    LWS_WRITE_HTTP,
    LWS_WRITE_HTTP_HEADERS,
    LWS_WRITE_TEXT,
    lws_add_http_header_content_length,
    lws_add_http_header_status,
    lws_callback_on_writable,
    lws_cancel_service,
    lws_context_creation_info,
    lws_context_destroy,
    lws_finalize_http_header,
    lws_http_transaction_completed,
    lws_pollfd,
    lws_protocols,
    lws_service_fd,
    lws_write,
)
from lws_mp import _port, aio
from lws_mp.testing import TestClient
from support import make_context

POLLIN = select.POLLIN
POLLOUT = select.POLLOUT


def _reply(wsi, body, code=200):
    buf = bytearray()
    lws_add_http_header_status(wsi, code, buf)
    lws_add_http_header_content_length(wsi, len(body), buf)
    lws_finalize_http_header(wsi, buf)
    lws_write(wsi, buf, len(buf), LWS_WRITE_HTTP_HEADERS)
    lws_write(wsi, body, len(body), LWS_WRITE_HTTP)
    return -1 if lws_http_transaction_completed(wsi) else 0


class App:
    """The same small HTTP app for every loop: echo the URI, count bodies,
    answer "/later" from WRITEABLE."""

    def __init__(self):
        self.seen = []
        self.body = bytearray()

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_HTTP:
            self.seen.append(in_)
            if in_ == "/upload":
                self.body = bytearray()
                return 0
            if in_ == "/later":
                lws_callback_on_writable(wsi)
                return 0
            return _reply(wsi, in_.encode())
        if reason == LWS_CALLBACK_HTTP_BODY:
            self.body.extend(in_)
            return 0
        if reason == LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return _reply(wsi, b"got %d" % len(self.body))
        if reason == LWS_CALLBACK_HTTP_WRITEABLE:
            return _reply(wsi, b"written later")
        return 0


class NoSelfPoll:
    """Stands in for the context's own poll object: registrations pass
    through, but polling it fails the test -- only the outside loop polls."""

    def __init__(self, real):
        self.real = real

    def register(self, *a):
        self.real.register(*a)

    def modify(self, *a):
        self.real.modify(*a)

    def unregister(self, *a):
        self.real.unregister(*a)

    def poll(self, *a):
        raise AssertionError("the context polled itself")

    ipoll = poll


# ------------------------------------------------------------ select.poll


class PollLoop:
    """An outside loop built from the POLL_FD callbacks and lws_service_fd."""

    def __init__(self, app):
        self.app = app
        self.ctx = None
        self.poll = select.poll()
        self.events = {}  # poll key -> events, as the callbacks said
        self.lock_depth = 0
        self.locks = []  # the len_ of every LOCK_POLL
        self.changes = 0

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_LOCK_POLL:
            self.lock_depth += 1
            self.locks.append(len_)
        elif reason == LWS_CALLBACK_UNLOCK_POLL:
            self.lock_depth -= 1
        elif reason == LWS_CALLBACK_ADD_POLL_FD:
            assert self.lock_depth == 1 and self.locks[-1] == 1
            key = _port.poll_key(in_.sock)
            assert key not in self.events and in_.fd == _port.sock_fd(in_.sock)
            self.poll.register(in_.sock, in_.events)
            self.events[key] = in_.events
        elif reason == LWS_CALLBACK_DEL_POLL_FD:
            assert self.lock_depth == 1 and self.locks[-1] == 1
            key = _port.poll_key(in_.sock)
            assert self.events.pop(key) == in_.events
            self.poll.unregister(in_.sock)
        elif reason == LWS_CALLBACK_CHANGE_MODE_POLL_FD:
            assert self.lock_depth == 1 and self.locks[-1] == 0
            key = _port.poll_key(in_.sock)
            assert self.events[key] == in_.prev_events != in_.events
            self.poll.modify(in_.sock, in_.events)
            self.events[key] = in_.events
            self.changes += 1
        return self.app.cb(wsi, reason, user, in_, len_)

    def step(self):
        """One turn of the outside loop (what TestClient pumps)."""
        # poll() reports what was registered as the poll key (a number on
        # CPython, the socket object on MicroPython): lws_service_fd takes both
        for key, revents in self.poll.poll(0):
            pfd = lws_pollfd(key, self.events[key], revents)
            assert lws_service_fd(self.ctx, pfd) == 1
            assert pfd.revents == 0
        lws_service_fd(self.ctx, None)  # timeouts, input already buffered
        self.check_mirror()

    def check_mirror(self):
        """The outside poll set is exactly the context's fd table."""
        assert self.lock_depth == 0
        table = {}
        for w in self.ctx.slots:
            if w is not None:
                table[w.key] = w.events
        assert table == self.events


def test_select_poll_loop_serves_http():
    app = App()
    loop = PollLoop(app)
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", loop.cb)]))
    loop.ctx = ctx
    ctx.poll = NoSelfPoll(ctx.poll)
    assert len(loop.events) == 2  # the cancel waker and the listen socket
    loop.check_mirror()
    c = TestClient(ctx, port, service=loop.step)
    r = c.request("GET", "/one")
    assert r.status == 200 and r.body == b"/one"
    # pipelined: the second and third are parsed from buffered input
    c.send(b"GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /p3 HTTP/1.1\r\nHost: x\r\n\r\n")
    for i in (1, 2, 3):
        r = c.read_response()
        assert r.status == 200 and r.body == b"/p%d" % i
    payload = bytes(range(256)) * 64
    r = c.request("POST", "/upload", body=payload)
    assert r.status == 200 and r.body == b"got %d" % len(payload)
    r = c.request("GET", "/later")  # POLLOUT asked for, then dropped
    assert r.status == 200 and r.body == b"written later"
    others = [TestClient(ctx, port, service=loop.step) for _ in range(3)]
    for i, o in enumerate(others):
        assert o.request("GET", "/o%d" % i).body == b"/o%d" % i
    assert len(loop.events) == 2 + 4
    for o in others:
        o.close()
    c.pump(lambda: len(loop.events) == 3)
    lws_cancel_service(ctx)  # the waker is just another socket out there
    loop.step()
    assert loop.changes > 0
    assert app.seen == ["/one", "/p1", "/p2", "/p3", "/upload", "/later", "/o0", "/o1", "/o2"]
    lws_context_destroy(ctx)
    assert loop.events == {} and loop.lock_depth == 0
    c.sock.close()


def test_service_fd_leaves_foreign_fd_alone():
    app = App()
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", app.cb)]))
    foreign = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for fd in (foreign.fileno(), foreign):
            pfd = lws_pollfd(fd, POLLIN, POLLIN)
            assert lws_service_fd(ctx, pfd) == 0
            assert pfd.revents == POLLIN and pfd.events == POLLIN
        # an lws socket is taken: 1, revents consumed
        pfd = lws_pollfd(ctx.listen_wsi.fd, POLLIN, POLLIN)
        assert lws_service_fd(ctx, pfd) == 1
        assert pfd.revents == 0
    finally:
        foreign.close()
    lws_context_destroy(ctx)
    assert lws_service_fd(ctx, lws_pollfd(0, POLLIN, POLLIN)) == -1


# ------------------------------------------------------------ asyncio


async def _read_response(reader):
    """(status, body) of one Content-Length response, read with asyncio."""
    line = await reader.readline()
    if not line:
        return 0, b""
    status = int(line.split(b" ")[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line[15:].strip())
    return status, await reader.readexactly(length)


async def _read_to_eof(reader):
    data = b""
    while True:
        more = await reader.read(256)
        if not more:
            return data
        data += more


async def _close(writer):
    writer.close()
    await writer.wait_closed()


def _run(main, *contexts):
    """asyncio.run(main()), bounded in time; the contexts are destroyed even
    when it fails, so no socket stays with the loop."""
    try:
        asyncio.run(asyncio.wait_for(main(), 15))
    finally:
        for ctx in contexts:
            lws_context_destroy(ctx)


def _aio_context(app, **kw):
    return make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", aio.pollfd_callback(app.cb))], **kw))


def test_asyncio_serves_http():
    app = App()
    ctx, port = _aio_context(app, max_http_header_pool=2, timeout_secs=1)
    ctx.poll = NoSelfPoll(ctx.poll)
    got = {}

    async def client(name, reqs, expect):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(reqs)
        await writer.drain()
        out = []
        for _ in range(expect):
            out.append(await _read_response(reader))
        got[name] = out
        await _close(writer)

    async def silent():
        # half a request, then nothing: only the 1 s tick can end it
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /silent HTTP/1.1\r\nHo")
        await writer.drain()
        got["silent"] = await _read_to_eof(reader)
        await _close(writer)

    async def main():
        server = aio.serve(ctx)
        assert aio.serve(ctx) is server and server.serving
        tasks = [asyncio.create_task(silent())]
        # eight clients on a pool of two: the FIFO under asyncio
        for i in range(8):
            tasks.append(asyncio.create_task(client(
                "c%d" % i, b"GET /c%d HTTP/1.1\r\nHost: x\r\n\r\n" % i, 1)))
        tasks.append(asyncio.create_task(client(
            "pipelined",
            b"GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /later HTTP/1.1\r\nHost: x\r\n\r\n", 3)))
        body = b"x" * 3000
        tasks.append(asyncio.create_task(client(
            "post", b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
            % len(body) + body, 1)))
        await asyncio.gather(*tasks)
        assert ctx.header_pool.available() == 2 and not ctx.header_pool.waiting
        lws_context_destroy(ctx)
        await server.wait_stopped()
        assert not server.serving

    _run(main, ctx)
    for i in range(8):
        assert got["c%d" % i] == [(200, b"/c%d" % i)]
    assert got["pipelined"] == [(200, b"/p1"), (200, b"/p2"), (200, b"written later")]
    assert got["post"] == [(200, b"got 3000")]
    assert got["silent"].startswith(b"HTTP/1.1 408 ")
    assert ctx.header_pool.waits > 0
    assert ctx.stats_timeouts >= 1
    assert ctx not in aio._servers


def test_asyncio_destroy_from_a_callback_and_stop():
    stop_here = []

    class Shutdown(App):
        def cb(self, wsi, reason, user, in_, len_):
            if reason == LWS_CALLBACK_HTTP and in_ == "/shutdown":
                lws_context_destroy(wsi.context)  # firmware: "reboot" button
                return -1
            return App.cb(self, wsi, reason, user, in_, len_)

    app = Shutdown()
    ctx, port = _aio_context(app)
    ctx2, port2 = _aio_context(App())
    out = {}

    async def main():
        server = aio.serve(ctx)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /before HTTP/1.1\r\nHost: x\r\n\r\n")
        out["before"] = await _read_response(reader)
        writer.write(b"GET /shutdown HTTP/1.1\r\nHost: x\r\n\r\n")
        out["after"] = await _read_to_eof(reader)
        await server.wait_stopped()
        await _close(writer)
        # stop() lets go of a context that lives on; serve() picks it up again
        server2 = aio.serve(ctx2)
        server2.stop()
        assert not server2.serving
        await server2.wait_stopped()
        stop_here.append(1)
        server2 = aio.serve(ctx2)
        reader, writer = await asyncio.open_connection("127.0.0.1", port2)
        writer.write(b"GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        out["again"] = await _read_response(reader)
        await _close(writer)
        server2.stop()

    try:
        _run(main, ctx)
    except BaseException:
        lws_context_destroy(ctx2)
        raise
    assert out["before"] == (200, b"/before")
    assert out["after"] == b""
    assert out["again"] == (200, b"/again")
    assert ctx.destroyed and ctx not in aio._servers
    # after stop() the same context is served by lws_service again
    c = TestClient(ctx2, port2)
    assert c.request("GET", "/plain").body == b"/plain"
    c.sock.close()
    lws_context_destroy(ctx2)
    assert ctx2 not in aio._servers


class WsApp(App):
    """protocols[0] also speaks WebSocket: every message comes back from
    SERVER_WRITEABLE, so POLLOUT comes and goes while POLLIN stays on."""

    def __init__(self):
        App.__init__(self)
        self.queued = {}

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_RECEIVE:
            self.queued[id(wsi)] = b"echo:" + bytes(in_[:len_])
            lws_callback_on_writable(wsi)
            return 0
        if reason == LWS_CALLBACK_SERVER_WRITEABLE:
            msg = self.queued.pop(id(wsi))
            return 0 if lws_write(wsi, msg, len(msg), LWS_WRITE_TEXT) == len(msg) else -1
        return App.cb(self, wsi, reason, user, in_, len_)


async def _ws_open(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")
    await writer.drain()
    status = await reader.readline()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    assert b" 101 " in status, status
    return reader, writer


def _ws_text(payload):
    """A masked text frame (payload under 126 bytes)."""
    mask = b"\x5a\xa5\x0f\xf0"
    masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return bytes((0x81, 0x80 | len(payload))) + mask + masked


async def _ws_recv(reader):
    head = await reader.readexactly(2)
    return head[0] & 0x0F, await reader.readexactly(head[1] & 0x7F)


def test_asyncio_websocket_writeable_toggles():
    app = WsApp()
    ctx, port = _aio_context(app)
    ctx.poll = NoSelfPoll(ctx.poll)
    got = {}

    async def chat(name, count):
        reader, writer = await _ws_open(port)
        out = []
        for i in range(count):
            writer.write(_ws_text(b"%s-%d" % (name, i)))
            await writer.drain()
            out.append(await _ws_recv(reader))
        got[name] = out
        await _close(writer)

    async def main():
        server = aio.serve(ctx)
        await asyncio.gather(chat(b"a", 20), chat(b"b", 20), chat(b"c", 20))
        lws_context_destroy(ctx)
        await server.wait_stopped()

    _run(main, ctx)
    for name in (b"a", b"b", b"c"):
        assert got[name] == [(1, b"echo:%s-%d" % (name, i)) for i in range(20)]
