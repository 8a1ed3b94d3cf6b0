"""The server side of the RFC 6455 opening handshake, sans-IO."""

import binascii
import hashlib

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key):
    """Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (bytes)."""
    digest = hashlib.sha1(bytes(key).strip() + WS_GUID).digest()
    return binascii.b2a_base64(digest)[:-1]


def key_is_valid(key):
    """The key must be base64 of exactly 16 bytes."""
    key = bytes(key).strip()
    if len(key) != 24:
        return False
    try:
        return len(binascii.a2b_base64(key)) == 16
    except ValueError:
        return False


def choose_protocol(protocols, offered):
    """Pick the protocol for a Sec-WebSocket-Protocol offer.

    With no offer, protocols[0] (lws' rule).  Otherwise the first name in
    the client's list that the server has; None if there is none.  A
    protocol named "*" takes any offer (the first name is answered), for
    servers such as an echo that speak whatever they are asked.
    """
    if offered is None:
        return protocols[0], None
    wildcard = None
    for p in protocols:
        if p.name == "*":
            wildcard = p
    for name in bytes(offered).split(b","):
        name = name.strip()
        if not name:
            continue
        try:
            s = name.decode()
        except UnicodeError:
            continue
        for p in protocols:
            if p.name == s:
                return p, s
        if wildcard is not None:
            return wildcard, s
    return None, None


def response(accept, protocol_name):
    head = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n")
    if protocol_name:
        head += b"Sec-WebSocket-Protocol: " + protocol_name.encode() + b"\r\n"
    return head + b"\r\n"
