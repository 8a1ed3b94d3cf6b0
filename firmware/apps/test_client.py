"""The libwebsockets test-client, ported (v2.1 test-server/test-client.c).

    make run APP=test_client ARGS="ws://127.0.0.1:7681"
    python3 firmware/main.py --app test_client ws://127.0.0.1:7681 --seconds 10
    python3 firmware/main.py --app test_client --autobahn ws://127.0.0.1:9001

ws:// (wss://): a dumb-increment-protocol connection prints
``dumb-increment: N`` for each number the server sends, and an
lws-mirror-protocol connection sends a drawing command once a second and
prints ``mirror: echoed`` each time it comes back (the mirror sends every
message to every client).  A connection that fails or closes is made again
2 s later, as the C client does.  http:// (https://): GET the URL, print
the body, exit 0 once it is complete.

Options: --seconds N (stop after N s: exit 0 when at least 10 numbers came
in a rising run and the mirror message came back, else 1), --ssl,
--allow-self-signed (TLS: with --ssl, or a wss:// / https:// URL),
--ca FILE (the CA the server's certificate must chain to: ssl_ca_filepath),
--proxy [user:password@]host:port, --nomirror, -d / --debug LOG_LEVEL,
--board NAME (the sizes of boards/NAME/board.py),
--autobahn URL [--agent NAME] (every case of an Autobahn|Testsuite
fuzzingserver, then updateReports; exit 0 once the reports are written).
The options main.py itself takes (--port, --iface, --flash, --lib, --frozen)
are accepted and ignored.
"""

import sys

from lws_mp import (
    CONTEXT_PORT_NO_LISTEN,
    LLL_ERR,
    LLL_NOTICE,
    LLL_WARN,
    LWS_CALLBACK_CLIENT_CONNECTION_ERROR,
    LWS_CALLBACK_CLIENT_ESTABLISHED,
    LWS_CALLBACK_CLIENT_RECEIVE,
    LWS_CALLBACK_CLIENT_WRITEABLE,
    LWS_CALLBACK_CLOSED,
    LWS_CALLBACK_CLOSED_CLIENT_HTTP,
    LWS_CALLBACK_COMPLETED_CLIENT_HTTP,
    LWS_CALLBACK_RECEIVE_CLIENT_HTTP,
    LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ,
    LWS_PRE,
    LWS_WRITE_TEXT,
    lws_callback_on_writable,
    lws_client_connect_info,
    lws_client_connect_via_info,
    lws_context_creation_info,
    lws_context_destroy,
    lws_create_context,
    lws_http_client_read,
    lws_parse_uri,
    lws_protocols,
    lws_service,
    lws_set_log_level,
    lws_set_proxy,
    lws_write,
)
from lws_mp.plat._port import ticks_diff, ticks_ms, urandom

# main.py's own options, each with a value
_IGNORED = ("--app", "--port", "--iface", "--flash", "--lib", "--root")
_FLAGS = ("--ssl", "--allow-self-signed", "--nomirror", "--frozen", "--check")

LCCSCF_USE_SSL = 1
LCCSCF_ALLOW_SELFSIGNED = 2
LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK = 4

NEEDED_RUN = 10


def parse(argv):
    opts = {"url": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in _FLAGS:
            opts[a[2:]] = True
        elif a in _IGNORED or a in ("--seconds", "--proxy", "--autobahn", "--agent", "-d",
                                    "--debug", "--board", "--ca"):
            if i + 1 >= len(argv):
                raise SystemExit("%s needs a value" % a)
            i += 1
            if a not in _IGNORED:
                opts[a.lstrip("-")] = argv[i]
        elif a.startswith("-"):
            raise SystemExit("test_client: unknown option %s" % a)
        else:
            opts["url"] = a
        i += 1
    return opts


class Client:
    """The two connections, what came back, and when to connect again."""

    def __init__(self, ctx, target, ssl, mirror=True):
        self.ctx = ctx
        self.address, self.port, self.path = target
        self.ssl = ssl
        self.use_mirror = mirror
        self.dumb = None
        self.mirror = None
        self.last_try = {"dumb": -5000, "mirror": -5000}
        self.last_number = None
        self.run = 0
        self.best_run = 0
        self.sent = None  # the mirror message waiting to come back
        self.echoes = 0
        self.last_send = 0
        self.buf = bytearray(LWS_PRE + 64)

    def bind(self, ctx):
        self.ctx = ctx
        return ctx

    def connect(self, which, protocol):
        info = lws_client_connect_info(context=self.ctx, address=self.address, port=self.port,
                                       path=self.path, host=self.address, origin=self.address,
                                       protocol=protocol, ssl_connection=self.ssl,
                                       ietf_version_or_minus_one=-1)
        print("%s: connecting" % which)
        return lws_client_connect_via_info(info)

    def service(self, now):
        if self.dumb is None and ticks_diff(now, self.last_try["dumb"]) >= 2000:
            self.last_try["dumb"] = now
            self.dumb = self.connect("dumb", "dumb-increment-protocol")
        if self.use_mirror and self.mirror is None and \
                ticks_diff(now, self.last_try["mirror"]) >= 2000:
            self.last_try["mirror"] = now
            self.mirror = self.connect("mirror", "lws-mirror-protocol")
        if self.mirror is not None and self.mirror_up and \
                ticks_diff(now, self.last_send) >= 1000:
            self.last_send = now
            lws_callback_on_writable(self.mirror)

    mirror_up = False

    def passed(self):
        return self.best_run >= NEEDED_RUN and (self.echoes > 0 or not self.use_mirror)

    # ---------------------------------------------------------- callbacks

    def cb_dumb(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_ESTABLISHED:
            print("dumb: LWS_CALLBACK_CLIENT_ESTABLISHED")
        elif reason == LWS_CALLBACK_CLIENT_RECEIVE:
            try:
                n = int(bytes(in_))
            except ValueError:
                return 0
            print("dumb-increment: %d" % n)
            self.run = self.run + 1 if self.last_number is not None and \
                n == self.last_number + 1 else 1
            self.last_number = n
            if self.run > self.best_run:
                self.best_run = self.run
        elif reason == LWS_CALLBACK_CLOSED:
            print("dumb: LWS_CALLBACK_CLOSED")
            self.dumb = None
        elif reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            # (protocols[0] hears every connection's errors, as in lws)
            which = "mirror" if wsi is self.mirror else "dumb"
            print("CLIENT_CONNECTION_ERROR: %s: %s" % (which, in_))
            if wsi is self.mirror:
                self.mirror = None
            else:
                self.dumb = None
        return 0

    def cb_mirror(self, wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_CLIENT_ESTABLISHED:
            print("mirror: LWS_CALLBACK_CLIENT_ESTABLISHED")
            self.mirror_up = True
            lws_callback_on_writable(wsi)
        elif reason == LWS_CALLBACK_CLIENT_WRITEABLE:
            r = urandom(6)
            msg = b"c #%02X%02X%02X %d %d %d;" % (r[0], r[1], r[2], ((r[3] << 8) | r[4]) & 511,
                                                    r[5], (r[3] & 31) + 1)
            self.buf[LWS_PRE:LWS_PRE + len(msg)] = msg
            self.sent = msg
            if lws_write(wsi, self.buf, len(msg), LWS_WRITE_TEXT, LWS_PRE) < 0:
                return -1
        elif reason == LWS_CALLBACK_CLIENT_RECEIVE:
            if self.sent is not None and bytes(in_) == self.sent:
                self.sent = None
                self.echoes += 1
                print("mirror: echoed")
        elif reason == LWS_CALLBACK_CLOSED:
            print("mirror: LWS_CALLBACK_CLOSED")
            self.mirror = None
            self.mirror_up = False
        elif reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            # (a failure found once the protocol was matched comes here)
            print("CLIENT_CONNECTION_ERROR: mirror: %s" % in_)
            self.mirror = None
        return 0


def _noop(wsi, reason, user, in_, len_):
    return 0


def _ssl_flags(opts, prot):
    ssl = 0
    if opts.get("ssl") or prot in ("wss", "https"):
        ssl = LCCSCF_USE_SSL
        if opts.get("allow-self-signed"):
            ssl |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK
    return ssl


def board_sizes(opts):
    """The creation-info sizes of --board NAME (boards/NAME/board.py)."""
    name = opts.get("board")
    if not name:
        return {}
    return dict(__import__("boards.%s.board" % name, None, None, ["BOARD"]).BOARD["lws"])


def _context(protocols, opts):
    sizes = board_sizes(opts)
    if opts.get("ca"):
        sizes["ssl_ca_filepath"] = opts["ca"]
    ctx = lws_create_context(lws_context_creation_info(port=CONTEXT_PORT_NO_LISTEN,
                                                       protocols=protocols, **sizes))
    if ctx is None:
        raise SystemExit("test_client: could not create the context")
    if opts.get("proxy") and lws_set_proxy(ctx, opts["proxy"]):
        raise SystemExit("test_client: bad --proxy %r" % opts["proxy"])
    return ctx


def _target(url):
    err, prot, address, port, path = lws_parse_uri(url)
    if err or prot not in ("ws", "wss", "http", "https"):
        raise SystemExit("test_client: %r is not a ws:// wss:// http:// https:// URL" % url)
    return prot, address, port, "/" + path.lstrip("/")


def run_ws(opts, prot, address, port, path, seconds):
    c = Client(None, (address, port, path), _ssl_flags(opts, prot), not opts.get("nomirror"))
    ctx = c.bind(_context([lws_protocols("dumb-increment-protocol", c.cb_dumb, 0, 20),
                           lws_protocols("lws-mirror-protocol", c.cb_mirror, 0, 128)], opts))
    start = ticks_ms()
    try:
        while True:
            now = ticks_ms()
            if seconds and ticks_diff(now, start) >= seconds * 1000:
                break
            c.service(now)
            lws_service(ctx, 50)
    except KeyboardInterrupt:
        pass
    lws_context_destroy(ctx)
    ok = c.passed()
    print("test_client: %d numbers rising in a row, %d mirror echoes: %s" % (
        c.best_run, c.echoes, "PASS" if ok else "FAIL"))
    return 0 if ok or not seconds else 1


def run_http(opts, prot, address, port, path, seconds):
    state = {"done": None}
    buf = bytearray(LWS_PRE + 1024)

    def cb(wsi, reason, user, in_, len_):
        if reason == LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
            return -1 if lws_http_client_read(wsi, buf, len(buf)) < 0 else 0
        if reason == LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
            sys.stdout.write(bytes(in_).decode("utf-8", "replace"))
        elif reason == LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
            state["done"] = 0
        elif reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            print("CLIENT_CONNECTION_ERROR: http: %s" % in_)
            state["done"] = 1
        elif reason == LWS_CALLBACK_CLOSED_CLIENT_HTTP and state["done"] is None:
            print("http: closed: %s" % in_)
            state["done"] = 1
        return 0

    ctx = _context([lws_protocols("http", cb)], opts)
    lws_client_connect_via_info(lws_client_connect_info(
        context=ctx, address=address, port=port, path=path, host=address, method="GET",
        ssl_connection=_ssl_flags(opts, prot)))
    start = ticks_ms()
    while state["done"] is None and not (seconds and ticks_diff(ticks_ms(), start) >
                                         seconds * 1000):
        lws_service(ctx, 50)
    lws_context_destroy(ctx)
    return 1 if state["done"] is None else state["done"]


def main(argv):
    opts = parse(argv)
    level = LLL_ERR | LLL_WARN | LLL_NOTICE
    if opts.get("d") or opts.get("debug"):
        level = int(opts.get("d") or opts.get("debug"))
    lws_set_log_level(level)
    seconds = float(opts.get("seconds") or 0)
    if opts.get("check"):
        # main.py --check (heap_need.py): the app starts, that is all a
        # client can show without a server
        lws_context_destroy(_context([lws_protocols("dumb-increment-protocol", _noop)], opts))
        return 0
    if opts.get("autobahn"):
        from . import _test_client_autobahn

        return _test_client_autobahn.run(opts["autobahn"], opts.get("agent") or "lws_mp",
                                        seconds, board_sizes(opts))
    if not opts["url"]:
        raise SystemExit("usage: test_client [ws|wss|http|https]://HOST[:PORT][/PATH] "
                         "[--seconds N] [--ssl] [--allow-self-signed] [--proxy P] "
                         "| --autobahn ws://HOST:PORT [--agent NAME]")
    prot, address, port, path = _target(opts["url"])
    if prot in ("http", "https"):
        return run_http(opts, prot, address, port, path, seconds)
    return run_ws(opts, prot, address, port, path, seconds)
