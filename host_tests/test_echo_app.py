"""The echo app's rx buffer: the size of the pieces a message comes back in
(each RECEIVE piece goes back as a frame of its own), 1 KB unless main.py's
--rx-buffer says otherwise."""

import pytest
from conftest import INTERPRETERS
from robust_support import ws_frame, ws_handshake, ws_read_frame

MESSAGE = bytes((i * 31 + 7) & 0x7F for i in range(4096))  # ASCII: valid text


def echoed_frames(port):
    """The frames (opcode, length) the message comes back as, and the
    message they make."""
    s, rest = ws_handshake(port, "echo")
    try:
        s.sendall(ws_frame(0x1, MESSAGE))
        frames = []
        got = b""
        while True:
            op, fin, payload, rest = ws_read_frame(s, rest)
            frames.append((op, len(payload)))
            got += payload
            if fin:
                return frames, got
    finally:
        s.close()


@pytest.mark.parametrize("interp", INTERPRETERS)
@pytest.mark.parametrize("args, pieces", [
    ((), [(0x1, 1024), (0x0, 1024), (0x0, 1024), (0x0, 1024)]),
    (("--rx-buffer", "4096"), [(0x1, 4096)]),
    (("--rx-buffer", "3000"), [(0x1, 3000), (0x0, 1096)]),
])
def test_a_4_kb_message_comes_back_in_rx_buffer_pieces(server, interp, args, pieces):
    srv = server("echo", interp, args=list(args))
    frames, got = echoed_frames(srv.port)
    assert frames == pieces
    assert got == MESSAGE
