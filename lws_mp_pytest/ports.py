"""Loopback ports for the servers tests start, that no other test takes.

A port from bind(("127.0.0.1", 0)) is free only until its socket closes:
the kernel hands ports of its ephemeral range to every bind to port 0 and
every connect, so under pytest-xdist another worker can be given the same
port before the server the first one meant it for has bound it.  Ports are
taken instead from a block below that range (where the kernel hands out
nothing by itself), one block per xdist worker, in turn, each checked free
by a bind.  Where the range leaves no room below it, bind to port 0 it is.
"""

import os
import socket

BLOCK = 400  # ports per worker
_FIRST = 10000  # the lowest port used
_next = {}  # worker -> offset of the next port in its block


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default, and below the IANA range (49152) too


def _worker():
    w = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw3"
    return int(w[2:]) if w.startswith("gw") and w[2:].isdigit() else 0


def _bindable(port):
    s = socket.socket()
    try:
        # as a server binds: a closed connection's TIME_WAIT does not stop it
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _any_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def free_port(worker=None, low=None):
    """A free loopback port in this worker's block (``worker``: its xdist
    number, ``low``: the ephemeral range's first port; both read from the
    environment when not given)."""
    worker = _worker() if worker is None else worker
    low = _ephemeral_low() if low is None else low
    base = _FIRST + worker * BLOCK
    if base + BLOCK > low:
        return _any_port()
    for _ in range(BLOCK):
        off = _next.get(worker, 0)
        _next[worker] = (off + 1) % BLOCK
        if _bindable(base + off):
            return base + off
    return _any_port()
