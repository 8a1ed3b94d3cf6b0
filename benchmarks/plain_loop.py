"""The limit: a plain poll loop doing the same socket work as the server it
is compared with, on the same interpreter (MicroPython or CPython).

No library, no callbacks, no parsing beyond finding the end of a request:
one ``select.poll``, non-blocking sockets, a read buffer per connection and
prebuilt answers.  What it does per request or message is what lws_mp must
do at the least, so its figure is the ceiling lws_mp is measured against.

    micropython benchmarks/plain_loop.py http --port P --response FILE [--close-response FILE]
    micropython benchmarks/plain_loop.py file --port P --head FILE [--close-head FILE] --file F
    micropython benchmarks/plain_loop.py ws --port P
    (--buf N: the read / file buffer, 4096 as lws' service buffer)

- http: each request (up to its blank line) is answered with the bytes of
  --response, in one send; a request carrying ``Connection: close`` gets
  --close-response and the connection is closed once it is sent.
- file: the answer is --head followed by the file, read from the same
  filesystem for every request through one buffer of --buf bytes: the
  head and the first piece of the file in one send, then a send per piece
  (on POLLOUT when the socket is full).
- ws: the opening handshake, then every frame's payload is unmasked (the
  same viper loop as lws_mp on MicroPython) and sent back as one frame; the
  echoes of one read go out in one send while they fit lws_mp's hold
  buffer (the buffer size up to 1 KB on MicroPython, 64 KB on CPython), as
  lws_mp sends the frames one service pass writes; a bigger one has a send
  of its own.
"""

import sys

try:
    import select
    import socket
except ImportError:  # pragma: no cover
    raise SystemExit("needs select and socket")

MP = sys.implementation.name == "micropython"
POLLIN = select.POLLIN
POLLOUT = select.POLLOUT
POLLHUPERR = select.POLLHUP | select.POLLERR
EAGAIN = (11, 35, 110)

if MP:
    from plain_viper import unmask
else:

    _rep = [(0, 1, 0xFF)]  # (n, one 1 per word, n bytes of 1s) of the last length

    def unmask(mv, n, m):
        # the key as the mask's word times one 1 per word, cut to n bytes
        r = _rep[0]
        if r[0] != n:
            r = _rep[0] = (n, ((1 << (32 * ((n + 3) // 4))) - 1) // 0xFFFFFFFF,
                           (1 << (8 * n)) - 1)
        k = (int.from_bytes(m, "little") * r[1]) & r[2]
        mv[:n] = (int.from_bytes(mv[:n], "little") ^ k).to_bytes(n, "little")


def _readinto(s, mv):
    try:
        return s.readinto(mv) if MP else s.recv_into(mv)
    except OSError as e:
        if e.args[0] in EAGAIN:
            return None
        raise


def _send(s, mv):
    try:
        n = s.send(mv)
    except OSError as e:
        if e.args[0] in EAGAIN:
            return 0
        raise
    return n or 0


class Conn:
    def __init__(self, s, bufsize):
        self.s = s
        self.buf = bytearray(bufsize)
        self.mv = memoryview(self.buf)
        self.have = 0
        self.out = None  # what the socket did not take yet
        self.close_after = False
        self.file = None
        self.file_left = 0
        self.ws = False


class Loop:
    def __init__(self, port, bufsize):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        ls.listen(128)
        ls.setblocking(False)
        self.ls = ls
        self.bufsize = bufsize
        self.poll = select.poll()
        self.poll.register(ls, POLLIN)
        self.conns = {}
        self.lkey = ls if MP else ls.fileno()
        self.tx = bytearray(bufsize + 16)
        self.txmv = memoryview(self.tx)

    def run(self):
        conns = self.conns
        lkey = self.lkey
        ipoll = self.poll.ipoll if MP else self.poll.poll
        while True:
            for key, ev in ipoll(-1):
                if key is lkey or key == lkey:
                    self.accept()
                    continue
                c = conns.get(key)
                if c is None:
                    continue
                try:
                    if ev & POLLOUT:
                        self.writable(c)
                    if ev & (POLLIN | POLLHUPERR) and c.s is not None:
                        self.readable(c, key)
                except OSError:
                    self.close(c, key)

    def accept(self):
        try:
            s, _ = self.ls.accept()
        except OSError:
            return
        s.setblocking(False)
        try:
            s.setsockopt(6, 1, 1)  # TCP_NODELAY, as lws_mp sets it
        except OSError:
            pass
        self.poll.register(s, POLLIN)
        self.conns[s if MP else s.fileno()] = Conn(s, self.bufsize)

    def close(self, c, key):
        if c.s is None:
            return
        self.poll.unregister(c.s)
        c.s.close()
        c.s = None
        if c.file is not None:
            c.file.close()
        del self.conns[key]

    def readable(self, c, key):
        if c.out is not None or c.file is not None:
            return  # answering the last request: read on once it is out
        n = _readinto(c.s, c.mv[c.have:])
        if n is None:
            return
        if not n:
            self.close(c, key)
            return
        c.have += n
        self.requests(c, key)

    def sent(self, c, mv):
        """Send mv; what the socket does not take waits for POLLOUT."""
        n = _send(c.s, mv)
        if n < len(mv):
            c.out = bytes(mv[n:])
            self.poll.modify(c.s, POLLOUT)
            return False
        return True

    def writable(self, c):
        if c.out is not None:
            out = c.out
            n = _send(c.s, out)
            if n < len(out):
                c.out = out[n:]
                return
            c.out = None
        if c.file is not None and not self.file_more(c):
            return
        if c.close_after:
            self.close(c, c.s if MP else c.s.fileno())
            return
        self.poll.modify(c.s, POLLIN)
        if c.have:
            self.requests(c, c.s if MP else c.s.fileno())


class HttpLoop(Loop):
    def __init__(self, port, bufsize, response, close_response):
        Loop.__init__(self, port, bufsize)
        self.response = response
        self.close_response = close_response or response

    def requests(self, c, key):
        buf = c.buf
        while c.have and c.out is None and c.file is None:
            end = buf.find(b"\r\n\r\n", 0, c.have)
            if end < 0:
                if c.have == len(buf):
                    self.close(c, key)
                return
            end += 4
            close = buf.find(b"Connection: close", 0, end) >= 0
            # a POST body (Content-Length) is part of the request
            cl = buf.find(b"Content-Length: ", 0, end)
            if cl >= 0:
                e = buf.find(b"\r", cl, end)
                end += int(bytes(buf[cl + 16:e]))
                if end > c.have:
                    return
            rest = c.have - end
            if rest:
                c.mv[0:rest] = c.mv[end:c.have]
            c.have = rest
            self.answer(c, key, close)
            if c.s is None:
                return

    def answer(self, c, key, close):
        if self.sent(c, self.close_response if close else self.response):
            if close:
                self.close(c, key)
        else:
            c.close_after = close


class FileLoop(HttpLoop):
    def __init__(self, port, bufsize, head, close_head, path):
        HttpLoop.__init__(self, port, bufsize, head, close_head)
        self.path = path

    def answer(self, c, key, close):
        head = self.close_response if close else self.response
        c.file = open(self.path, "rb")
        c.close_after = close
        tx = self.txmv
        h = len(head)
        tx[0:h] = head
        n = c.file.readinto(tx[h:self.bufsize])
        c.file_left = -1
        if n < self.bufsize - h:
            c.file_left = 0  # a small file: all of it with the head
        if not self.sent(c, tx[:h + n]):
            return
        if self.file_more(c) and close:
            self.close(c, key)

    def file_more(self, c):
        """Send more of the file; True when it is all out."""
        f = c.file
        if c.file_left:
            tx = self.txmv
            size = self.bufsize
            while True:
                n = f.readinto(tx[:size])
                if not n:
                    break
                if not self.sent(c, tx[:n]):
                    return False
        f.close()
        c.file = None
        return True


class WsLoop(Loop):
    hold = 1024  # the bytes of echoes one send takes (main() sets lws_mp's)

    def requests(self, c, key):
        if not c.ws:
            self.handshake(c, key)
            return
        buf = c.buf
        pos = 0
        have = c.have
        tx = self.tx
        txmv = self.txmv
        g = 0  # echoes gathered at the front of tx: one send for them
        while have - pos >= 2 and c.out is None:
            b1 = buf[pos + 1] & 0x7F
            h = 2
            if b1 == 126:
                if have - pos < 4:
                    break
                b1 = (buf[pos + 2] << 8) | buf[pos + 3]
                h = 4
            elif b1 == 127:
                self.close(c, key)
                return
            if have - pos < h + 4 + b1:
                break
            op = buf[pos] & 0x0F
            p = pos + h + 4
            unmask(c.mv[p:p + b1], b1, c.mv[p - 4:p])
            if op == 8:
                self.close(c, key)
                return
            pos = p + b1
            o = 2 if b1 < 126 else 4
            if g + o + b1 > self.hold and g:
                self.sent(c, txmv[:g])
                g = 0
            # the echo: a header (2 or 4 bytes) before the payload, at g
            tx[g] = 0x80 | op
            if o == 2:
                tx[g + 1] = b1
            else:
                tx[g + 1] = 126
                tx[g + 2] = b1 >> 8
                tx[g + 3] = b1 & 0xFF
            txmv[g + o:g + o + b1] = c.mv[p:p + b1]
            g += o + b1
            if c.out is not None:
                c.out += bytes(txmv[:g])  # behind what the socket did not take
                g = 0
            elif g > self.hold:
                self.sent(c, txmv[:g])  # bigger than what lws_mp holds: a send of its own
                g = 0
        if g:
            self.sent(c, txmv[:g])
        if pos:
            rest = have - pos
            if rest:
                c.mv[0:rest] = c.mv[pos:have]
            c.have = rest
        elif have == len(c.buf):
            self.close(c, key)  # a frame larger than the buffer: not benchmarked

    def handshake(self, c, key):
        import binascii
        import hashlib

        buf = c.buf
        end = buf.find(b"\r\n\r\n", 0, c.have)
        if end < 0:
            return
        k = buf.find(b"Sec-WebSocket-Key: ", 0, end)
        e = buf.find(b"\r\n", k, end + 2)
        wskey = bytes(buf[k + 19:e]).strip()
        acc = binascii.b2a_base64(hashlib.sha1(
            wskey + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())[:-1]
        c.ws = True
        rest = c.have - end - 4
        if rest:
            c.mv[0:rest] = c.mv[end + 4:c.have]
        c.have = rest
        self.sent(c, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc + b"\r\n\r\n")
        if c.have:
            self.requests(c, key)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    mode = argv[0]
    opts = {}
    for i in range(1, len(argv) - 1, 2):
        opts[argv[i][2:]] = argv[i + 1]
    port = int(opts["port"])
    bufsize = int(opts.get("buf", 4096))
    if mode == "http":
        loop = HttpLoop(port, bufsize, _read(opts["response"]),
                        _read(opts["close-response"]) if "close-response" in opts else None)
    elif mode == "file":
        loop = FileLoop(port, bufsize, _read(opts["head"]),
                        _read(opts["close-head"]) if "close-head" in opts else None,
                        opts["file"])
    elif mode == "ws":
        # a whole 4 KB frame (and its header) fits, whatever --buf says: the
        # loop echoes each frame with one send
        loop = WsLoop(port, max(bufsize, 4096) + 32)
        # what lws_mp's context holds of the frames one pass writes
        loop.hold = min(1024 if MP else 65536, bufsize)
    else:
        raise SystemExit("mode: http, file or ws")
    print("plain loop: %s on port %d" % (mode, port))
    loop.run()


if __name__ == "__main__":
    main(sys.argv[1:])
