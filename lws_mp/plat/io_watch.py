"""Watching a socket from a running asyncio loop: lws_mp.aio's one need of
the platform."""

from ._port import IS_MICROPYTHON

# lws_mp.aio lets asyncio poll a context's sockets.  CPython's loop has
# add_reader/add_writer; MicroPython's has none, but its streams park a task
# in the loop's IO queue (``yield _io_queue.queue_read(sock)``).  IOWatch is
# that difference, behind one interface: while on, ``fn(arg)`` is called from
# the running loop each time ``sock`` is ready to read (or, with ``write``,
# to write); close() before the socket is closed.


def current_task(asyncio):
    try:
        return asyncio.current_task()
    except RuntimeError:  # no loop running
        return None


if IS_MICROPYTHON:

    class IOWatch:
        def __init__(self, sock, write, fn, arg):
            self.sock = sock
            self.write = write
            self.fn = fn
            self.arg = arg
            self.want = False
            self.task = None

        def on(self):
            self.want = True
            if self.task is None:
                import asyncio

                self.task = asyncio.create_task(self._run(asyncio))

        def off(self):
            # No cancel: cancelling one task drops the socket's whole IO
            # queue entry, stranding a task waiting the other way.  A parked
            # task just leaves when it next wakes; on() again reuses it.
            self.want = False

        def close(self):
            import asyncio

            self.want = False
            t = self.task
            self.task = None
            if t is not None and t is not current_task(asyncio):
                t.cancel()  # leaves the IO queue now, before the close

        def _run(self, asyncio):
            me = asyncio.current_task()
            try:
                while self.want:
                    q = asyncio.core._io_queue  # new_event_loop() replaces it
                    yield q.queue_write(self.sock) if self.write else q.queue_read(self.sock)
                    if self.want:
                        self.fn(self.arg)
            finally:
                if self.task is me:
                    self.task = None

else:
    from ._port_cpython import IOWatch  # noqa: F401
