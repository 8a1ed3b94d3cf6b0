"""Platform layer: every MicroPython / CPython difference lives here.

No other lws_mp module looks at ``sys.implementation``; they import the
helpers below instead.
"""

import array
import binascii
import errno
import os
import sys

try:
    import select
    import socket
except ImportError:  # a port with no network (ports/qemu): the codecs and byte loops still load
    select = socket = None
try:
    import time
except ImportError:  # nor a clock
    time = None

# @micropython.native: machine code, its frame on the C stack (a bytecode
# frame over 11 words is a heap block a call); a no-op on CPython
try:
    import micropython
    from micropython import const
except ImportError:  # CPython
    from ._port_cpython import micropython

    def const(x):
        return x


IS_MICROPYTHON = sys.implementation.name == "micropython"

POLLIN = select.POLLIN if select else 1
POLLOUT = select.POLLOUT if select else 4
POLLERR = select.POLLERR if select else 8
POLLHUP = select.POLLHUP if select else 16
_SOCK_STREAM = socket.SOCK_STREAM if socket else 1

# errno values that mean "try again later" on a non-blocking socket
_EAGAIN = errno.EAGAIN
_EWOULDBLOCK = getattr(errno, "EWOULDBLOCK", _EAGAIN)
_EINPROGRESS = errno.EINPROGRESS
_ETIMEDOUT = getattr(errno, "ETIMEDOUT", 110)

# ---------------------------------------------------------------- time

if not IS_MICROPYTHON:
    from ._port_cpython import ticks_add, ticks_diff, ticks_ms  # noqa: F401
elif time is not None:
    ticks_ms = time.ticks_ms
    ticks_diff = time.ticks_diff
    ticks_add = time.ticks_add
else:

    def ticks_ms(*args):
        raise OSError("this port has no clock (no time module)")

    ticks_diff = ticks_add = ticks_ms


def wall_time():
    """Seconds since the epoch (0 on a board whose RTC was never set)."""
    return int(time.time())


def gmtime(t):
    return time.gmtime(t)


# ---------------------------------------------------------------- memory

try:
    import gc

    gc_collect = gc.collect
    mem_alloc = getattr(gc, "mem_alloc", None)
except ImportError:  # pragma: no cover
    gc_collect = None
    mem_alloc = None


def gc_pace(every=16384):
    """Have MicroPython's GC collect after every ``every`` bytes allocated
    (at most an eighth of the heap), unless the firmware set a threshold
    itself; the bytes set, or 0 if it set nothing.

    A server makes its long-lived objects (a connection, its buffers) amid
    short-lived garbage (parsing, the handshake).  Collected rarely, the
    survivors end up strewn across the heap and no large block stays free:
    fragmentation, not use, is what fails first.  Collected often, new
    objects fill the low holes and the top of the heap stays in one piece.
    CPython: nothing to do."""
    if not IS_MICROPYTHON or gc_collect is None or gc.threshold() != -1:
        return 0
    every = min(every, (gc.mem_free() + gc.mem_alloc()) // 8)
    gc.threshold(every)
    return every


def heap_used():
    """Bytes of heap in use after a collection, or -1 where unknown."""
    if gc_collect:
        gc_collect()
    if mem_alloc:
        return mem_alloc()
    return -1


if IS_MICROPYTHON:
    print_exception = sys.print_exception

    def u16_array(n):
        """n zeroed unsigned 16-bit slots, made from raw bytes (a list of
        n ints first would take four times the array's size, in one block)."""
        return array.array("H", bytes(2 * n))
else:
    from ._port_cpython import print_exception, u16_array  # noqa: F401


# ---------------------------------------------------------------- sockets


def would_block(exc):
    code = exc.args[0] if exc.args else 0
    return code in (_EAGAIN, _EWOULDBLOCK, _ETIMEDOUT)


def in_progress(exc):
    code = exc.args[0] if exc.args else 0
    return code in (_EINPROGRESS, _EAGAIN, _EWOULDBLOCK)


# MicroPython's stream read and write answer None on a non-blocking socket
# that has nothing (or no room) yet, and raise only for a real error: no
# try there.  A function with a try whose frame passes 11 words is put on
# the heap at every call (py/objfun.c, VM_MAX_STATE_ON_STACK), and these
# run for every read and send.  CPython raises BlockingIOError.
if IS_MICROPYTHON:

    def recv_into(sock, mv):
        """Read into memoryview ``mv``: bytes read, 0 at EOF, None if
        nothing yet.  Raises OSError for a connection error (reset, ...)."""
        return sock.readinto(mv)

    def send(sock, mv):
        """Send what the socket takes now: bytes sent (0 if it would block)."""
        r = sock.write(mv)
        return 0 if r is None else r

    def send_part(sock, buf, off, n):
        """Send what the socket takes now of buf[off:off + n]: bytes sent (0
        if it would block).  The stream write takes the offset and length,
        so no view of the part is made."""
        r = sock.write(buf, off, n)
        return 0 if r is None else r

else:

    def recv_into(sock, mv):
        try:
            return sock.recv_into(mv)
        except OSError as e:
            if would_block(e):
                return None
            raise

    def send(sock, mv):
        try:
            return sock.send(mv)
        except OSError as e:
            if would_block(e):
                return 0
            raise

    def send_part(sock, buf, off, n):
        return send(sock, memoryview(buf)[off:off + n])


def addr_tuple(addr):
    """Normalise an accept()/getaddrinfo address to ('a.b.c.d', port)."""
    if isinstance(addr, tuple):
        return addr if len(addr) == 2 else (addr[0], addr[1])
    # the MicroPython unix port hands out a raw struct sockaddr
    b = bytes(addr)
    if len(b) >= 8 and b[0] == 2:  # AF_INET: family, port (BE), addr
        return ("%d.%d.%d.%d" % (b[4], b[5], b[6], b[7]), (b[2] << 8) | b[3])
    if len(b) >= 24 and b[0] == 10:  # AF_INET6
        h = b[8:24]
        parts = ["%x" % ((h[i] << 8) | h[i + 1]) for i in range(0, 16, 2)]
        return (":".join(parts), (b[2] << 8) | b[3])
    return ("", 0)


def peer_addr(sock):
    """The peer of a connected socket where the port can tell it."""
    gp = getattr(sock, "getpeername", None)
    if gp is None:
        return ("", 0)
    try:
        return addr_tuple(gp())
    except OSError:
        return ("", 0)


@micropython.native
def accept(lsock):
    """Accept one pending connection: (sock, address) or None.  The address
    is as the port gives it (a tuple on the boards and CPython, a raw
    sockaddr on the unix port): addr_tuple reads it, only when something
    asks (a log line, lws_get_peer_addresses), not at every connection."""
    try:
        s, addr = lsock.accept()
    except OSError as e:
        if would_block(e) or e.args[0] in (getattr(errno, "ECONNABORTED", 103),):
            return None
        raise e
    s.setblocking(False)
    return s, addr


def sockaddr(host, port, stype=_SOCK_STREAM):
    for ai in socket.getaddrinfo(host, port):
        if ai[1] == stype:
            return ai[-1]
    return socket.getaddrinfo(host, port)[0][-1]


# Port 0 asks for any free port.  Where a socket can say which port the
# system gave it (getsockname) that is all; where it cannot (the MicroPython
# unix port, the boards' sockets) ports are tried here, from a random start
# below Linux's ephemeral range (32768-60999), so that the pick does not take
# a port an outgoing connection might want.
_HAS_GETSOCKNAME = socket is not None and hasattr(socket.socket, "getsockname")
_EADDRINUSE = getattr(errno, "EADDRINUSE", 98)
_FREE_PORT_BASE = const(20000)
_FREE_PORT_SPAN = const(12000)
_FREE_PORT_TRIES = const(64)


def _bound(host, port, stype, backlog):
    s = socket.socket(socket.AF_INET, stype)
    try:
        if stype == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(sockaddr(host, port, stype))
        if backlog:
            s.listen(backlog)
    except OSError:
        s.close()
        raise
    return s


def bound_socket(host, port, stype=_SOCK_STREAM, backlog=0):
    """A socket bound to ``host``:``port`` (listening, if ``backlog``), and
    the port it is bound to: (sock, port).  Port 0 is any free port."""
    if port or _HAS_GETSOCKNAME:
        s = _bound(host, port, stype, backlog)
        # the boards' sockets have no getsockname: _HAS_GETSOCKNAME says so
        return s, (port or s.getsockname()[1])  # pyright: ignore[reportAttributeAccessIssue]
    r = urandom(2)
    port = _FREE_PORT_BASE + ((r[0] << 8) | r[1]) % _FREE_PORT_SPAN
    for _ in range(_FREE_PORT_TRIES):
        try:
            return _bound(host, port, stype, backlog), port
        except OSError as e:
            if e.args[0] != _EADDRINUSE:  # a bad address, no permission
                raise
        port = _FREE_PORT_BASE + (port + 1 - _FREE_PORT_BASE) % _FREE_PORT_SPAN
    raise OSError(_EADDRINUSE)


def listen_socket(iface, port, backlog):
    """A non-blocking listening TCP socket; returns (sock, bound_port)."""
    s, bound = bound_socket(iface or "0.0.0.0", port, socket.SOCK_STREAM, backlog)
    s.setblocking(False)
    return s, bound


def set_keepalive(sock, ka_time, ka_probes, ka_interval):
    """TCP keepalive where the stack has the options; False if it has not."""
    so_ka = getattr(socket, "SO_KEEPALIVE", None)
    if so_ka is None:
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, so_ka, 1)
        ipp = getattr(socket, "IPPROTO_TCP", 6)
        for name, val in (
            ("TCP_KEEPIDLE", ka_time),
            ("TCP_KEEPINTVL", ka_interval),
            ("TCP_KEEPCNT", ka_probes),
        ):
            opt = getattr(socket, name, None)
            if opt is not None and val:
                sock.setsockopt(ipp, opt, val)
    except OSError:
        return False
    return True


# The unix port names neither constant; Linux, macOS and Windows all use
# IPPROTO_TCP 6 / TCP_NODELAY 1 (the board ports name their own).  Read once:
# set_nodelay runs at every accepted connection.
_IPPROTO_TCP = getattr(socket, "IPPROTO_TCP", 6)
_TCP_NODELAY = getattr(socket, "TCP_NODELAY", 1)


def set_nodelay(sock):
    # Without it Nagle holds a response's second write for the peer's
    # delayed ACK: ~40 ms per request.
    try:
        sock.setsockopt(_IPPROTO_TCP, _TCP_NODELAY, 1)
    except OSError:
        pass


def sock_fd(sock):
    try:
        return sock.fileno()
    except (AttributeError, OSError):
        return -1


class Waker:
    """Wakes a blocked poll from elsewhere: a UDP socket that sends to itself.

    Works on every port (there is no os.pipe or socketpair on MicroPython).
    """

    def __init__(self):
        s, port = bound_socket("127.0.0.1", 0, socket.SOCK_DGRAM)
        s.setblocking(False)
        self.sock = s
        self.addr = sockaddr("127.0.0.1", port, socket.SOCK_DGRAM)
        self.buf = bytearray(16)

    def wake(self):
        try:
            self.sock.sendto(b"\x00", self.addr)
        except OSError:
            pass

    def drain(self):
        mv = memoryview(self.buf)
        while True:
            try:
                n = recv_into(self.sock, mv)
            except OSError:
                return
            if not n:
                return

    def close(self):
        self.sock.close()


def new_poll():
    return select.poll()


if IS_MICROPYTHON:

    def poll_key(sock):
        return sock

else:

    def poll_key(sock):
        return sock.fileno()


@micropython.native
def poll_into(poll, timeout_ms, keys, revents):
    """Wait up to ``timeout_ms``, then put what is ready in keys[:n] and
    revents[:n]; returns n.  MicroPython's ipoll yields one tuple it reuses,
    so no list of tuples is made per call (keys and revents are made once)."""
    n = 0
    for key, ev in poll.ipoll(timeout_ms) if IS_MICROPYTHON else poll.poll(timeout_ms):
        if n < len(keys):
            keys[n] = key
            revents[n] = ev
            n += 1
    return n


# ---------------------------------------------------------------- crypto


def b64encode(data):
    return binascii.b2a_base64(data)[:-1]


try:
    urandom = os.urandom
except AttributeError:  # pragma: no cover
    import random

    def urandom(n):
        return bytes(random.getrandbits(8) for _ in range(n))


# ---------------------------------------------------------------- files


def path_stat(path):
    """(size, mtime) of a regular file, 1 for a directory, None if missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st[0] & 0x4000:  # S_IFDIR
        return 1
    return (st[6], st[8])


def file_stat(path):
    """(size, mtime) of a regular file, or None (missing or a directory)."""
    st = path_stat(path)
    return None if st == 1 else st


if IS_MICROPYTHON:

    def readinto(f, buf, n):
        """f.readinto of at most n bytes into buf (no view of its start)."""
        return f.readinto(buf, n)

else:

    def readinto(f, buf, n):
        return f.readinto(memoryview(buf)[:n])


def rename(src, dst):
    os.rename(src, dst)


def remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def hostname():
    gethostname = getattr(socket, "gethostname", None)
    if gethostname is not None:
        return gethostname()
    try:
        return os.uname()[1]
    except (AttributeError, IndexError):
        return "lws_mp"


# ---------------------------------------------------------------- byte loops
# Unmasking and UTF-8 checking touch every payload byte, the HTTP parser
# every head byte: viper machine code on MicroPython; on CPython its C
# big-int and codec machinery, and the parser's and plat/mime's plain loops.

if IS_MICROPYTHON:
    from . import _viper

    copy_into = _viper.copy_into
    # the HTTP layer's byte loops (request_line, header_block, token_in_list,
    # ext_index, ...): the parser is given them, roles take them from here
    parse_scan = _viper

    # unmask(mv, n, m0, m1, m2, m3): mv[:n] XORed in place with the mask
    # bytes (rotated by the caller to where a piece starts)
    unmask = _viper.unmask

    class Utf8Validator:
        """Incremental UTF-8 check that fails at the first bad byte."""

        def __init__(self):
            self.state = 0

        reset = __init__

        def feed(self, mv, n):
            if self.state < 0:
                return False
            self.state = _viper.utf8_check(mv, n, self.state)
            return self.state >= 0

        def complete(self):
            return self.state == 0

    def utf8_valid(buf):  # whole, valid UTF-8
        return _viper.utf8_check(buf, len(buf), 0) == 0

else:
    from ._port_cpython import Utf8Validator, copy_into, unmask, utf8_valid  # noqa: F401
    parse_scan = None  # the codecs' own plain loops
