"""lws-mirror-protocol of the test_server app with real WebSocket clients:
a message larger than one RECEIVE piece (4 KB) reaches every client as the
same single message, text or binary, even while others send."""

import threading

import pytest
from websockets.sync.client import connect

from conftest import INTERPRETERS

BIG_TEXT = "".join("κόσμε %05d|" % i for i in range(1200))  # ~16 KB, multibyte
BIG_BINARY = bytes(range(256)) * 40  # 10 KB


def _ws(srv):
    return connect("ws://127.0.0.1:%d/" % srv.port, subprotocols=["lws-mirror-protocol"],
                   open_timeout=10, close_timeout=10, max_size=None)


@pytest.mark.parametrize("interp", INTERPRETERS)
def test_big_messages_mirrored_whole_while_others_send(server, interp):
    srv = server("test_server", interp, args=["--fd-limit", "16"])
    clients = [_ws(srv) for _ in range(3)]
    small = ["small %d" % i for i in range(30)]

    def chatter():
        for m in small:
            clients[2].send(m)

    t = threading.Thread(target=chatter)
    t.start()
    clients[0].send(BIG_TEXT)
    clients[1].send(BIG_BINARY)
    t.join(30)
    want = sorted([BIG_TEXT, BIG_BINARY, *small], key=repr)
    for c in clients:
        got = [c.recv(timeout=20) for _ in range(len(small) + 2)]
        assert sorted(got, key=repr) == want  # whole, unchanged, nothing lost
        assert [m for m in got if isinstance(m, str) and m.startswith("small")] == small
    for c in clients:
        c.close()
    log = srv.output()
    assert srv.alive() and "Traceback" not in log and "dropped" not in log, log[-3000:]
