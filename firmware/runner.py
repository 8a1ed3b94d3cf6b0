"""Run one firmware app: check what it was given, build its context,
service it, call its timers.

The same loop runs on a board (from main.py) and on a host under the
MicroPython unix port or CPython.  What a user can get wrong (an unknown app
or board, a port that is no number or is taken, an address that is not this
machine's, assets bigger than the flash) ends in one line saying so and a
non-zero exit, not a traceback.
"""

import errno
import os
import socket
import sys

from lws_mp import (
    LLL_ERR,
    LLL_NOTICE,
    LLL_WARN,
    lws_context_destroy,
    lws_create_context,
    lws_service,
    lws_set_log_level,
    lwsl_notice,
)
from lws_mp.plat._port import heap_used, listen_socket, sockaddr, ticks_diff, ticks_ms

DEFAULT_ROOTS = {
    "fileserver": "www",
    "test_server": "test_server_www",
}

# main.py's options that are creation-info fields
INFO_OPTIONS = {"fd_limit": "fd_limit_per_thread", "pool": "max_http_header_pool",
                "header_data": "max_http_header_data", "serv_buf": "pt_serv_buf_size",
                "timeout": "timeout_secs", "body_limit": "max_http_body_size"}
TLS_OPTIONS = {"cert": "ssl_cert_filepath", "key": "ssl_private_key_filepath",
               "ca": "ssl_ca_filepath"}

_EADDRINUSE = getattr(errno, "EADDRINUSE", 98)
_EADDRNOTAVAIL = getattr(errno, "EADDRNOTAVAIL", 99)
_EACCES = getattr(errno, "EACCES", 13)
_ENOSPC = getattr(errno, "ENOSPC", 28)


def fail(msg):
    """Say ``msg`` in one line on stderr; the exit (1) to raise."""
    sys.stderr.write(msg + "\n")
    return SystemExit(1)


def _has(folder, mod):
    for ext in (".py", ".mpy"):
        try:
            os.stat(folder + "/" + mod + ext)
            return True
        except OSError:
            pass
    return False


def _names(folder, inner=None):
    """What can be imported from ``folder``: its modules and packages, or
    (``inner``) the packages holding module ``inner``; sorted, [] if there
    is no such folder (frozen code cannot be listed)."""
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return []
    out = []
    for n in entries:
        if n.startswith("_") or n.startswith("."):
            continue
        if os.stat(folder + "/" + n)[0] & 0x4000:
            ok = _has(folder + "/" + n, inner or "__init__")
        else:
            ok = inner is None and n.endswith((".py", ".mpy"))
        base = n.rsplit(".", 1)[0]
        if ok and base not in out:
            out.append(base)
    return out


def _load(package, name, folder, inner, what):
    """Import ``package.name`` (or its module ``inner``): the module, or one
    line naming the ones there are."""
    top = package + "." + name
    mod = top + ("." + inner if inner else "")
    try:
        return __import__(mod, None, None, ["x"])
    except ImportError as e:
        # only ``top`` or ``mod`` missing: an import failing inside them is a
        # bug to see in full (MicroPython names the module in the message)
        quoted = str(e).split("'")
        missing = getattr(e, "name", None) or (quoted[1] if len(quoted) > 2 else "")
        if missing not in (top, mod):
            raise
    there = _names(folder, inner)
    raise fail("unknown %s %r%s" % (what, name, (": the %ss are %s" % (what, ", ".join(there)))
                                           if there else ""))


def _number(key, val, lo=0, hi=None, kind=None):
    try:
        n = (kind or int)(val)
    except ValueError:
        n = -1
    if n < lo or (hi is not None and n > hi):
        raise fail("%s %r is not a number %s" % (
            key, val, "from %d to %d" % (lo, hi) if hi is not None else "of %d or more" % lo))
    return n


def check_listen(iface, port):
    """Can this process listen on ``iface``:``port``?  One line if not.

    Tried before anything else is built, so that a taken port or a foreign
    address is named as such (lws_create_context would log a bare errno)."""
    where = iface or "0.0.0.0"
    try:
        s, _ = listen_socket(iface, port, 1)
    except OSError as e:
        code = e.args[0] if e.args else 0
        if code == _EADDRINUSE:
            raise fail("port %d on %s is in use (another server listens there): "
                 "choose another port" % (port, where))
        if code == _EADDRNOTAVAIL:
            raise fail("cannot listen on %s: it is not an address of this machine" % where)
        if code == _EACCES:
            raise fail("port %d on %s needs privileges: choose a port above 1023" % (port, where))
        if isinstance(code, str) or code < 0:  # getaddrinfo's own errors
            raise fail("cannot listen on %s: no such address" % where)
        raise fail("cannot listen on %s port %d: %r" % (where, port, e))
    s.close()


def _tree_bytes(path):
    if not os.stat(path)[0] & 0x4000:
        return os.stat(path)[6]
    return sum(_tree_bytes(path + "/" + n) for n in os.listdir(path))


def mount_flash(image, root, geo, app_name, board_name):
    """The app's assets on a LittleFS image as the board's flash: the root
    on it, or one line if they do not fit."""
    import host_flash

    bs = geo.get("block_size", 4096)
    bc = geo.get("block_count", 256)
    try:
        return host_flash.mount(image, root, bs, bc)
    except OSError as e:
        if not e.args or e.args[0] != _ENOSPC:
            raise
    raise fail("the assets of app %s (%s, %d KB) do not fit the flash of %s "
         "(%d KB: %d blocks of %d bytes, less LittleFS' own)" % (
             app_name, root, (_tree_bytes(root) + 1023) // 1024,
             ("board " + board_name) if board_name else "the host",
             bs * bc // 1024, bc, bs))


def main(opts, argv, here):
    """main.py's options (a dict, see its comments; ``argv`` as given) to a
    served app."""
    app_name = opts.pop("app")
    app = _load("apps", app_name, here + "/apps", None, "app")
    if hasattr(app, "main"):
        # a client app (apps/test_client) reads the command line itself and
        # serves nothing
        sys.exit(app.main(argv))
    if "args" in opts:
        raise fail("unexpected argument %r" % opts["args"][0])
    port = _number("port", opts.pop("port"), 0, 65535)
    iface = opts.pop("iface", None) or None
    root = opts.pop("root", None)
    check = opts.pop("check", None) is not None
    seconds = _number("--seconds", opts.pop("seconds", 0) or 0, kind=float)
    board_name = opts.pop("board", None)
    flash = opts.pop("flash", None)
    board = {"lws": {}, "flash": {}}
    if board_name:
        board = _load("boards", board_name, here + "/../boards", "board", "board").BOARD
    info_opts = dict(board.get("lws", {}))
    for k in list(opts):
        if k in INFO_OPTIONS:
            info_opts[INFO_OPTIONS[k]] = _number("--" + k.replace("_", "-"), opts.pop(k))
        elif k in TLS_OPTIONS:  # --cert FILE --key FILE [--ca FILE]: serve TLS (docs/TLS.md)
            info_opts[TLS_OPTIONS[k]] = opts.pop(k)
    rx = opts.pop("rx_buffer", None)
    if rx is not None:
        # an app option: the largest RECEIVE piece of an app's WebSocket protocols
        if not hasattr(app, "RX_BUFFER"):
            raise fail("--rx-buffer: app %s has no WebSocket rx buffer to size" % app_name)
        info_opts["rx_buffer"] = _number("--rx-buffer", rx, 1)
    if opts:
        raise fail("unknown options: %s" % ", ".join("--" + k.replace("_", "-") for k in opts))
    if port:
        check_listen(iface, port)
    if root is None and app_name in DEFAULT_ROOTS:
        root = here + "/" + DEFAULT_ROOTS[app_name]
    if flash and root:
        root = mount_flash(flash, root, board.get("flash", {}), app_name, board_name)
    serve(app, port=port, iface=iface, root=root, max_ms=int(seconds * 1000), check=check,
          **info_opts)


def answers(ctx, iface):
    """Does the context answer one request from this process?  (main.py
    --check: what "it works" means when a heap is measured.)"""
    host = "127.0.0.1" if iface in (None, "0.0.0.0") else iface
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    got = b""
    try:
        s.connect(sockaddr(host, ctx.port))
        s.send(b"GET / HTTP/1.1\r\nHost: check\r\nConnection: close\r\n\r\n")
        s.setblocking(False)
        start = ticks_ms()
        while ticks_diff(ticks_ms(), start) < 5000:
            lws_service(ctx, 10)
            try:
                data = s.recv(256)
            except OSError:
                continue
            if not data:  # closed after the whole answer
                return got.startswith(b"HTTP/1.1 ")
            if len(got) < 16:
                got += data[:16]
    except OSError:
        return False
    finally:
        s.close()
    return False


# Lines logged while the context is made are held back (a list while that
# lasts): if it cannot be made, its last error line is the one line said (a
# MemoryError there is the heap's, which main.py says); if it can, they
# follow as logged.
_held = None


def _emit(level, line):
    if _held is None:
        sys.stderr.write(line)
    else:
        _held.append((level, line))


def _create(info):
    global _held
    _held = []
    try:
        ctx = lws_create_context(info)
    finally:
        held, _held = _held, None
    if ctx is None:
        errs = [line for level, line in held if level == LLL_ERR]
        why = errs[-1].split("ERR: ", 1)[-1].strip() if errs else "the log says why"
        if "MemoryError" in why:
            raise MemoryError(why)
        raise fail("could not create the context: " + why)
    for _level, line in held:
        sys.stderr.write(line)
    return ctx


def serve(app, port=8080, iface=None, root=None, max_ms=0, check=False, **opts):
    """Create the app's context and service it until interrupted.

    ``app`` is a module with make_info(port, iface, root, **opts) and,
    optionally, TICK_MS and tick(ctx).  ``max_ms`` > 0 stops after that long;
    ``check`` answers one request and exits (0 if it was answered).
    """
    lws_set_log_level(LLL_ERR | LLL_WARN | LLL_NOTICE, _emit)
    ctx = _create(app.make_info(port, iface, root, **opts))
    if check:
        ok = answers(ctx, iface)
        lws_context_destroy(ctx)
        sys.exit(0 if ok else 1)
    tick_ms = getattr(app, "TICK_MS", 0)
    tick = getattr(app, "tick", None)
    start = last = ticks_ms()
    lwsl_notice("%s serving on http://%s:%d/", app.__name__, iface or "0.0.0.0", ctx.port)
    used = heap_used()
    if used >= 0:
        # the code, the context's tables and the app's own buffers: what a
        # heap must hold before the first connection
        lwsl_notice("heap in use: %d bytes", used)
    try:
        while True:
            lws_service(ctx, tick_ms or 1000)
            now = ticks_ms()
            if tick is not None and ticks_diff(now, last) >= tick_ms:
                last = now
                tick(ctx)
            if max_ms and ticks_diff(now, start) >= max_ms:
                break
    except KeyboardInterrupt:
        pass
    lws_context_destroy(ctx)
