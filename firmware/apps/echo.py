"""The libwebsockets test-echo server: every message comes back as it came.

Any path, any (or no) subprotocol.  Fragmentation is kept: each RECEIVE
piece goes back as a frame of its own, continuing the message, so a message
of any size streams through without being held in memory; while a reply
waits for the socket, reading from that client stops (rx flow control).
"""

from lws_mp import (
    LWS_CALLBACK_RECEIVE,
    LWS_CALLBACK_SERVER_WRITEABLE,
    LWS_WRITE_BINARY,
    LWS_WRITE_CONTINUATION,
    LWS_WRITE_NO_FIN,
    LWS_WRITE_TEXT,
    lws_callback_http_dummy,
    lws_callback_on_writable,
    lws_context_creation_info,
    lws_frame_is_binary,
    lws_is_final_fragment,
    lws_partial_buffered,
    lws_protocols,
    lws_rx_flow_control,
    lws_write,
)

# the largest RECEIVE piece: 1 KB keeps a board's heap small (main.py
# --rx-buffer N: another size, 4096 being lws' default)
RX_BUFFER = 1024


class EchoSession:
    def __init__(self):
        self.continuing = False


def callback_echo(wsi, reason, pss, in_, len_):
    if reason == LWS_CALLBACK_RECEIVE:
        if pss.continuing:
            wp = LWS_WRITE_CONTINUATION
        else:
            wp = LWS_WRITE_BINARY if lws_frame_is_binary(wsi) else LWS_WRITE_TEXT
        # (no local for it: past 11 words this frame would be a heap
        # allocation per message on MicroPython)
        pss.continuing = not lws_is_final_fragment(wsi)
        if pss.continuing:
            wp |= LWS_WRITE_NO_FIN
        if lws_write(wsi, in_, len_, wp) < 0:
            return -1
        if lws_partial_buffered(wsi):
            # the socket is full: stop reading until it drains
            lws_rx_flow_control(wsi, 0)
            lws_callback_on_writable(wsi)
    elif reason == LWS_CALLBACK_SERVER_WRITEABLE:
        lws_rx_flow_control(wsi, 1)
    return 0


def callback_http(wsi, reason, pss, in_, len_):
    if reason == LWS_CALLBACK_RECEIVE or reason == LWS_CALLBACK_SERVER_WRITEABLE:
        return callback_echo(wsi, reason, pss, in_, len_)
    return lws_callback_http_dummy(wsi, reason, pss, in_, len_)


def make_info(port, iface, root, rx_buffer=RX_BUFFER, **opts):
    return lws_context_creation_info(
        port=port,
        iface=iface,
        protocols=[
            # no subprotocol asked for: protocols[0] echoes too
            lws_protocols("http", callback_http, EchoSession, rx_buffer),
            lws_protocols("*", callback_echo, EchoSession, rx_buffer),
        ],
        **opts
    )

