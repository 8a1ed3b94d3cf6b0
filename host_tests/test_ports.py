"""lws_mp_pytest.ports: the ports test servers are started on.

The workers named here (48-50) are far above the suite's own few, so that
no server of the suite holds a port of their blocks while these run."""

import socket

from lws_mp_pytest import ports


def test_each_worker_has_its_own_block_below_the_ephemeral_range():
    low = 32768
    a = {ports.free_port(worker=48, low=low) for _ in range(20)}
    b = {ports.free_port(worker=49, low=low) for _ in range(20)}
    assert len(a) == 20 and len(b) == 20 and not a & b
    for w, got in ((48, a), (49, b)):
        base = 10000 + w * ports.BLOCK
        assert all(base <= p < base + ports.BLOCK < low for p in got)


def test_a_port_something_listens_on_is_passed_over():
    nxt = ports.free_port(worker=50, low=32768) + 1  # the block is taken in turn
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", nxt))
    s.listen(1)
    try:
        got = ports.free_port(worker=50, low=32768)
        assert got == nxt + 1
        t = socket.socket()
        t.bind(("127.0.0.1", got))  # and the one given is free
        t.close()
    finally:
        s.close()


def test_without_room_below_the_range_the_kernel_picks():
    p = ports.free_port(worker=0, low=10100)  # a block would reach past 10100
    assert p >= ports._ephemeral_low()
