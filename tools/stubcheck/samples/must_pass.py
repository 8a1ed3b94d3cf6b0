# stubcheck selftest: must check clean on esp32 and rp2.
import binascii
import errno
import gc
import hashlib
import io
import select
import socket
import sys
import time

from micropython import const

_N = const(64)


class Wake(io.IOBase):
    def __init__(self):
        self.flag = 0

    def ioctl(self, req, arg):
        if req == 3:  # MP_STREAM_POLL
            return arg & self.flag
        return -1


def accept_key(key: bytes) -> bytes:
    sha = hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
    return binascii.b2a_base64(sha, newline=False)


def pump(sock: socket.socket, buf: bytearray) -> int:
    sock.setblocking(False)
    p = select.poll()
    p.register(sock, select.POLLIN | select.POLLOUT)
    p.register(Wake(), select.POLLIN)
    t0 = time.ticks_ms()
    deadline = time.ticks_add(t0, 1000)
    for obj, ev in p.ipoll(10):
        if obj is sock and ev & select.POLLIN:
            n = sock.readinto(memoryview(buf)[:_N])
            if n is None:
                continue
            return n
    ready = p.poll(0)
    if ready and ready[0][1] & select.POLLERR:
        p.unregister(ready[0][0])
    try:
        sock.write(b"x")
    except OSError as e:
        if e.args[0] != errno.EAGAIN:
            sys.print_exception(e)
    if time.ticks_diff(deadline, time.ticks_ms()) < 0:
        gc.collect()
    return gc.mem_free()


def listen(port: int) -> socket.socket:
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(socket.getaddrinfo("0.0.0.0", port)[0][-1])
    ls.listen(4)
    return ls
