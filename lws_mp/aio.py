"""Serve a context from an asyncio loop: lws' external polling, with asyncio
as the outside loop.  The same code runs on MicroPython and CPython.

    import asyncio
    from lws_mp import aio

    info = lws_context_creation_info(
        port=80,
        protocols=[lws_protocols("http", aio.pollfd_callback(http_cb)), ...])
    ctx = lws_create_context(info)

    async def main():
        server = aio.serve(ctx)      # asyncio watches the context's sockets now
        ...                          # other tasks run alongside
        await server.wait_stopped()  # until lws_context_destroy(ctx) (or stop())

    asyncio.run(main())

How it works.  lws tells an outside poll loop which sockets to watch, and
for what, with the ADD_POLL_FD / DEL_POLL_FD / CHANGE_MODE_POLL_FD reasons,
issued to the callback of ``protocols[0]`` only (so wrap the *first*
protocol's callback).  ``pollfd_callback(cb)`` returns a callback that
follows those reasons for the context of the ``wsi`` it is called with, then
calls ``cb`` for every reason as before; what ``cb`` returns is what lws
sees.  Each wanted direction of each socket is watched by asyncio itself
(``plat.io_watch.IOWatch``: ``add_reader``/``add_writer`` on CPython, a task parked
in asyncio's IO queue on MicroPython) and a ready socket goes to
``lws_service_fd``.  A 1 s tick calls ``lws_service_fd(ctx, None)`` for the
timeouts, and input already buffered (pipelined requests) is run from a
short task.  Nothing here polls the context or calls ``lws_service``.

API:

``pollfd_callback(cb)``
    Wrap ``protocols[0]``'s callback.  A context created with it can be
    served by asyncio or, as before, by ``lws_service``.
``serve(ctx) -> Server``
    Start following ``ctx`` from the running loop (call it from a task).
    The sockets the context made before the loop ran (the listen socket,
    the cancel waker) are picked up.  Calling it again returns the same
    ``Server``.
``Server.stop()``
    Stop following: asyncio lets go of the sockets, the context lives on
    (``serve`` it again, or drive it with ``lws_service``).
``await Server.wait_stopped()``
    Returns once the server stops: ``lws_context_destroy(ctx)`` (from any
    task, or from a callback) or ``stop()``.
``Server.serving``
    True between ``serve`` and the stop.

While asyncio serves a context, do not call ``lws_service`` on it as well.
``lws_cancel_service`` works as ever (its waker is one of the sockets).
LOCK_POLL / UNLOCK_POLL need nothing here: one loop, one thread.  Cost on
MicroPython: one small task per socket and direction while it is wanted,
made again when a direction is wanted again after it ended.
"""

import asyncio

from .plat import _port, io_watch
from .core.log import lwsl_err
from .core.service import lws_service_adjust_timeout, lws_service_fd
from .core.structs_extra import lws_pollfd
from .plat._port import const

# lws v2.1 values used here (module-private: no RAM on MicroPython)
_LWS_CALLBACK_ADD_POLL_FD = const(32)
_LWS_CALLBACK_CHANGE_MODE_POLL_FD = const(34)
_LWS_CALLBACK_DEL_POLL_FD = const(33)

POLLIN = _port.POLLIN
POLLOUT = _port.POLLOUT

_servers = {}  # context -> Server, while the context has sockets


class _Socket:
    """One socket the context asked to have polled."""

    def __init__(self, server, sock, events):
        self.key = _port.poll_key(sock)
        self.events = events
        self.reader = io_watch.IOWatch(sock, False, server._readable, self)
        self.writer = io_watch.IOWatch(sock, True, server._writable, self)


def _cancel(task):
    """Cancel ``task`` unless it is the one running (it then ends itself)."""
    if task is not None and task is not io_watch.current_task(asyncio):
        task.cancel()


class Server:
    def __init__(self, ctx):
        self.ctx = ctx
        self.sockets = {}  # poll key -> _Socket
        self.serving = False
        self.pollfd = lws_pollfd()  # reused for every lws_service_fd call
        self._tick_task = None
        self._drain_task = None
        self._stopped = None  # asyncio.Event while serving

    # ---------------------------------------------- asyncio side

    def start(self):
        if self.serving:
            return
        if self.ctx.destroyed:
            raise ValueError("context destroyed")
        self.serving = True
        self._stopped = asyncio.Event()
        for s in self.sockets.values():
            self._follow(s)
        self._tick_task = asyncio.create_task(self._tick())
        self._after_service()

    def stop(self):
        if not self.serving:
            return
        self.serving = False
        for s in self.sockets.values():
            s.reader.close()
            s.writer.close()
        _cancel(self._tick_task)
        _cancel(self._drain_task)
        self._tick_task = None
        self._drain_task = None
        if self._stopped is not None:
            self._stopped.set()

    async def wait_stopped(self):
        stopped = self._stopped
        if self.serving and stopped is not None:
            await stopped.wait()

    def _follow(self, s):
        if not self.serving:
            return
        if s.events & POLLIN:
            s.reader.on()
        else:
            s.reader.off()
        if s.events & POLLOUT:
            s.writer.on()
        else:
            s.writer.off()

    def _readable(self, s):
        self._service(s, POLLIN)

    def _writable(self, s):
        self._service(s, POLLOUT)

    def _service(self, s, revents):
        if self.sockets.get(s.key) is not s or not self.serving:
            return  # let go of meanwhile
        pfd = self.pollfd
        pfd.fd = s.key
        pfd.events = s.events
        pfd.revents = revents
        try:
            lws_service_fd(self.ctx, pfd)
        except Exception as e:  # keep the watch (and the loop) alive
            lwsl_err("aio: lws_service_fd raised %r", e)
            _port.print_exception(e)
        self._after_service()

    def _after_service(self):
        # input already buffered needs no poll to be ready: run it soon
        # (lws_service would service with a zero timeout for the same reason)
        if self.serving and self._drain_task is None and \
                lws_service_adjust_timeout(self.ctx, 1) == 0:
            self._drain_task = asyncio.create_task(self._drain())

    async def _drain(self):
        try:
            while self.serving and lws_service_adjust_timeout(self.ctx, 1) == 0:
                await asyncio.sleep(0)
                if self.serving:
                    lws_service_fd(self.ctx, None)
        finally:
            self._drain_task = None

    async def _tick(self):
        while self.serving:
            await asyncio.sleep(1)
            if self.serving:
                lws_service_fd(self.ctx, None)  # the 1 Hz timeout sweep
                self._after_service()

    # ---------------------------------------------- context side

    def _add(self, pa):
        s = _Socket(self, pa.sock, pa.events)
        self.sockets[s.key] = s
        self._follow(s)

    def _change(self, pa):
        s = self.sockets.get(_port.poll_key(pa.sock))
        if s is not None:
            s.events = pa.events
            self._follow(s)

    def _delete(self, pa):
        # called before the socket is closed: asyncio lets go of it now
        s = self.sockets.pop(_port.poll_key(pa.sock), None)
        if s is not None:
            s.reader.close()
            s.writer.close()
        if not self.sockets:  # destroyed (the cancel waker goes last)
            self.stop()
            if _servers.get(self.ctx) is self:
                del _servers[self.ctx]


def pollfd_callback(cb):
    """Wrap protocols[0]'s callback so asyncio can follow the context."""

    def callback(wsi, reason, user, in_, len_):
        if _LWS_CALLBACK_ADD_POLL_FD <= reason <= _LWS_CALLBACK_CHANGE_MODE_POLL_FD:
            ctx = wsi.context
            server = _servers.get(ctx)
            if server is None:
                server = _servers[ctx] = Server(ctx)
            if reason == _LWS_CALLBACK_ADD_POLL_FD:
                server._add(in_)
            elif reason == _LWS_CALLBACK_DEL_POLL_FD:
                server._delete(in_)
            else:
                server._change(in_)
        return cb(wsi, reason, user, in_, len_)

    return callback


def serve(ctx):
    """Follow ``ctx`` from the running asyncio loop; returns its Server."""
    server = _servers.get(ctx)
    if server is None:
        raise ValueError("protocols[0] callback is not wrapped by aio.pollfd_callback")
    server.start()
    return server
