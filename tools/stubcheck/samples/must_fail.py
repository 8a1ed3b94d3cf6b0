# stubcheck selftest: every marked line must be reported on esp32 and rp2.
import functools  # no such module on the ports  # noqa: F401
import socket


def rd(sock: socket.socket, buf: bytearray) -> int:
    return sock.recv_into(buf)  # CPython only


def peer(sock: socket.socket):
    return sock.getpeername()  # CPython only


KEEPALIVE = socket.SO_KEEPALIVE  # not on esp32 / rp2
