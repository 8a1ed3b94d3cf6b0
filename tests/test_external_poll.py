"""External polling: the context's sockets watched by an outside loop that
follows the POLL_FD callbacks and calls lws_service_fd -- a hand-written
select.poll loop, and asyncio through lws_mp.aio."""

import asyncio
import select
import socket

from lws_mp import (
    LWS_CALLBACK_ADD_POLL_FD,
    LWS_CALLBACK_CHANGE_MODE_POLL_FD,
    LWS_CALLBACK_CLOSED_HTTP,
    LWS_CALLBACK_DEL_POLL_FD,
    LWS_CALLBACK_FILTER_NETWORK_CONNECTION,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_HTTP_BODY,
    LWS_CALLBACK_HTTP_BODY_COMPLETION,
    LWS_CALLBACK_HTTP_WRITEABLE,
    LWS_CALLBACK_LOCK_POLL,
    LWS_CALLBACK_RECEIVE,
    LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED,
    LWS_CALLBACK_SERVER_WRITEABLE,
    LWS_CALLBACK_UNLOCK_POLL,
    LWS_CALLBACK_WSI_CREATE,
    LWS_CALLBACK_WSI_DESTROY,
    LWS_WRITE_BINARY,
    LWS_WRITE_TEXT,
    lws_callback_http_dummy,
    lws_callback_on_writable,
    lws_cancel_service,
    lws_context_creation_info,
    lws_context_destroy,
    lws_pollfd,
    lws_partial_buffered,
    lws_protocols,
    lws_rx_flow_control,
    lws_service_fd,
    lws_write,
)
from lws_mp import _port, aio
from lws_mp.testing import TestClient
from support import IS_MICROPYTHON, make_context, reply as _reply

POLLIN = select.POLLIN
POLLOUT = select.POLLOUT


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
        self.errors = []  # assertions that failed inside a callback

    def cb(self, wsi, reason, user, in_, len_):
        try:
            self.follow(reason, in_, len_)
        except AssertionError as e:  # lws would only log it: keep it for the test
            self.errors.append((reason, e))
        return self.app.cb(wsi, reason, user, in_, len_)

    def follow(self, reason, in_, len_):
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

    def step(self):
        """One turn of the outside loop (what TestClient pumps)."""
        # poll() reports what was registered as the poll key (a number on
        # CPython, the socket object on MicroPython): lws_service_fd takes both
        for key, revents in self.poll.poll(0):
            if key not in self.events:
                continue  # let go of while servicing another
            pfd = lws_pollfd(key, self.events[key], revents)
            assert lws_service_fd(self.ctx, pfd) == 1
            assert pfd.revents == 0
        lws_service_fd(self.ctx, None)  # timeouts, input already buffered
        self.check_mirror()

    def check_mirror(self):
        """The outside poll set is exactly the context's fd table."""
        assert self.errors == []
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
    payload = bytes(range(256)) * 24  # more than one read
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
    # the waker is just another socket out there: the outside poll sees the
    # wake, and lws_service_fd takes it
    waker = ctx.waker_wsi.key
    assert waker not in [k for k, _ in loop.poll.poll(0)]
    lws_cancel_service(ctx)
    assert waker in [k for k, _ in loop.poll.poll(0)]
    loop.step()
    assert waker not in [k for k, _ in loop.poll.poll(0)]
    assert loop.changes > 0
    assert app.seen == ["/one", "/p1", "/p2", "/p3", "/upload", "/later", "/o0", "/o1", "/o2"]
    lws_context_destroy(ctx)
    assert loop.events == {} and loop.lock_depth == 0 and loop.errors == []
    c.sock.close()


def test_poll_and_connection_reasons_skipped_only_for_the_dummy_protocols_0():
    """lws_callback_http_dummy ignores the poll reasons and a connection's
    coming and going, so a context with it as protocols[0] does not make
    them; any other callback -- even one that only hands on to the dummy --
    gets every one."""
    reasons = []

    def wrapped(wsi, reason, user, in_, len_):
        reasons.append(reason)
        return lws_callback_http_dummy(wsi, reason, user, in_, len_)

    for cb in (lws_callback_http_dummy, wrapped):
        del reasons[:]
        ctx, port = make_context(lambda p, cb=cb: lws_context_creation_info(
            port=p, protocols=[lws_protocols("http", cb)], pt_serv_buf_size=1024,
            max_http_header_pool=1, max_http_header_data=1024))  # a board's sizes
        try:
            assert ctx.protocol0_dummy is (cb is lws_callback_http_dummy)
            c = TestClient(ctx, port)
            assert c.request("GET", "/nothing-here").status == 404  # the dummy's answer
            c.close()
            c.pump(lambda ctx=ctx: ctx.fd_count == 2)  # the waker and the listen socket
        finally:
            lws_context_destroy(ctx)
    # the wrapped one saw the connection come and go, each under the lock
    for r in (LWS_CALLBACK_ADD_POLL_FD, LWS_CALLBACK_DEL_POLL_FD):
        assert r in reasons
    assert reasons.count(LWS_CALLBACK_LOCK_POLL) == reasons.count(LWS_CALLBACK_UNLOCK_POLL) > 0
    conn = [r for r in reasons if r in (
        LWS_CALLBACK_FILTER_NETWORK_CONNECTION, LWS_CALLBACK_WSI_CREATE,
        LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED, LWS_CALLBACK_HTTP,
        LWS_CALLBACK_CLOSED_HTTP, LWS_CALLBACK_WSI_DESTROY)]
    assert conn == [LWS_CALLBACK_FILTER_NETWORK_CONNECTION, LWS_CALLBACK_WSI_CREATE,
                    LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED, LWS_CALLBACK_HTTP,
                    LWS_CALLBACK_CLOSED_HTTP, LWS_CALLBACK_WSI_DESTROY], conn


def test_service_fd_leaves_foreign_fd_alone():
    app = App()
    # a board's buffer sizes: the test needs no more, and at a board's heap
    # a default context's 4 KB buffers need holes the imports may have cut up
    ctx, port = make_context(lambda p: lws_context_creation_info(
        port=p, protocols=[lws_protocols("http", app.cb)], pt_serv_buf_size=1024,
        max_http_header_pool=1, max_http_header_data=1024))
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


def _loop_watches():
    """How many sockets the running asyncio loop is watching (its internals:
    the IO queue on MicroPython, the selector on CPython)."""
    if IS_MICROPYTHON:
        return len(asyncio.core._io_queue.map)
    return len(asyncio.get_running_loop()._selector.get_map())


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
        idle = _loop_watches()
        server = aio.serve(ctx)
        assert aio.serve(ctx) is server and server.serving
        tasks = [asyncio.create_task(silent())]
        # eight clients on a pool of two: the FIFO under asyncio
        for i in range(8):
            tasks.append(asyncio.create_task(client(
                "c%d" % i, b"GET /c%d HTTP/1.1\r\nHost: x\r\n\r\n" % i, 1)))
        # pipelined: after the first, each is parsed from input already
        # buffered, which no poll reports (lws_service would not wait either)
        tasks.append(asyncio.create_task(client(
            "pipelined", b"".join(b"GET /p%d HTTP/1.1\r\nHost: x\r\n\r\n" % i
                                  for i in range(20))
            + b"GET /later HTTP/1.1\r\nHost: x\r\n\r\n", 21)))
        body = b"x" * 3000
        tasks.append(asyncio.create_task(client(
            "post", b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
            % len(body) + body, 1)))
        await asyncio.gather(*tasks)
        assert ctx.header_pool.available() == 2 and not ctx.header_pool.waiting
        lws_context_destroy(ctx)
        await server.wait_stopped()
        assert not server.serving
        assert _loop_watches() == idle  # asyncio let go of every socket

    _run(main, ctx)
    for i in range(8):
        assert got["c%d" % i] == [(200, b"/c%d" % i)]
    assert got["pipelined"] == [(200, b"/p%d" % i) for i in range(20)] + [
        (200, b"written later")]
    assert got["post"] == [(200, b"got 3000")]
    assert got["silent"].startswith(b"HTTP/1.1 408 ")
    assert ctx.header_pool.waits > 0
    assert ctx.stats_timeouts >= 1
    assert ctx not in aio._servers


def test_asyncio_pipelined_burst_alone():
    # Nothing else happens on the server: after the first request, the rest
    # sit in the header table where no poll can report them, so the adapter
    # must run them itself.  Left to the 1 s tick, 30 would outlast the
    # test's 15 s bound.
    app = App()
    ctx, port = _aio_context(app)
    got = []

    async def main():
        server = aio.serve(ctx)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"".join(b"GET /q%d HTTP/1.1\r\nHost: x\r\n\r\n" % i
                              for i in range(30)))
        await writer.drain()
        for _ in range(30):
            got.append(await _read_response(reader))
        await _close(writer)
        server.stop()

    _run(main, ctx)
    assert got == [(200, b"/q%d" % i) for i in range(30)]


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
    n = head[1] & 0x7F
    assert n != 127  # nothing here is that big
    if n == 126:
        ext = await reader.readexactly(2)
        n = (ext[0] << 8) | ext[1]
    return head[0] & 0x0F, await reader.readexactly(n)


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
        idle = _loop_watches()
        server = aio.serve(ctx)
        await asyncio.gather(chat(b"a", 20), chat(b"b", 20), chat(b"c", 20))
        lws_context_destroy(ctx)
        await server.wait_stopped()
        assert _loop_watches() == idle

    _run(main, ctx)
    for name in (b"a", b"b", b"c"):
        assert got[name] == [(1, b"echo:%s-%d" % (name, i)) for i in range(20)]


class FlowApp(WsApp):
    """"big" fills the socket with 4 KB frames (one left partly buffered);
    "pause" / "resume" from another connection turn reading the big one's
    input off and on (lws_rx_flow_control)."""

    def __init__(self):
        WsApp.__init__(self)
        self.big = None
        self.frames = 0

    def cb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_RECEIVE:
            msg = bytes(in_[:len_])
            if msg == b"big":
                self.big = wsi
                chunk = bytearray(4096)
                while not lws_partial_buffered(wsi) and self.frames < 4096:
                    chunk[0] = self.frames & 0xFF
                    if lws_write(wsi, chunk, len(chunk), LWS_WRITE_BINARY) < 0:
                        return -1
                    self.frames += 1
                return 0
            if msg in (b"pause", b"resume"):
                lws_rx_flow_control(self.big, msg == b"resume")
        return WsApp.cb(self, wsi, reason, user, in_, len_)


def test_asyncio_flow_control_while_a_send_waits():
    # The big connection waits both ways at once: to write the rest of its
    # frames and to read.  Reading is then turned off from another
    # connection's callback; the wait to write must survive that.
    app = FlowApp()
    ctx, port = _aio_context(app)
    out = {}

    async def main():
        idle = _loop_watches()
        server = aio.serve(ctx)
        big_r, big_w = await _ws_open(port)
        ctl_r, ctl_w = await _ws_open(port)
        big_w.write(_ws_text(b"big"))
        await big_w.drain()
        ctl_w.write(_ws_text(b"hello"))  # the big one has been served by now
        await ctl_w.drain()
        assert await _ws_recv(ctl_r) == (1, b"echo:hello")
        assert lws_partial_buffered(app.big)
        ctl_w.write(_ws_text(b"pause"))
        await ctl_w.drain()
        assert await _ws_recv(ctl_r) == (1, b"echo:pause")
        big_w.write(_ws_text(b"while paused"))
        await big_w.drain()
        n = 0
        while n < app.frames:  # the rest of the frames still arrive
            op, data = await _ws_recv(big_r)
            assert op == 2 and len(data) == 4096 and data[0] == n & 0xFF
            n += 1
        ctl_w.write(_ws_text(b"resume"))
        await ctl_w.drain()
        assert await _ws_recv(ctl_r) == (1, b"echo:resume")
        out["big"] = await _ws_recv(big_r)
        await _close(big_w)
        await _close(ctl_w)
        lws_context_destroy(ctx)
        await server.wait_stopped()
        assert _loop_watches() == idle

    _run(main, ctx)
    assert app.frames > 1
    assert out["big"] == (1, b"echo:while paused")
