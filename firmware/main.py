"""Firmware entry: pick an app and serve it.

On a board this runs after boot.py brought the network up; on a host:

    micropython firmware/main.py --app test_server --port 7681
    python3 firmware/main.py --app echo --port 9001

Options: --app NAME (fileserver, echo, test_server), --board NAME (the sizes
of boards/NAME/board.py), --port N, --iface ADDR,
--root DIR (served files), --flash IMAGE (unix port: serve from a LittleFS
image built from the root, as the board's flash), --seconds N (stop after N
seconds), --fd-limit N, --pool N, --header-data N, --serv-buf N, --timeout S,
--body-limit N, --cert FILE --key FILE [--ca FILE] (serve TLS: docs/TLS.md),
--lib DIR (import lws_mp and the apps from the .mpy files in DIR first, as
deployed to a board), --frozen (board mode, on a board interpreter with
lws_mp and the firmware frozen in: the frozen modules come first, the source
folders only after them, for what is not frozen).
"""

import sys

DEFAULT_ROOTS = {
    "fileserver": "www",
    "test_server": "test_server_www",
}


def _here():
    f = __file__ if "__file__" in globals() else "main.py"
    return f.rsplit("/", 1)[0] if "/" in f else "."


def parse_args(argv):
    opts = {"app": "fileserver", "port": 8080}
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("--"):
            opts.setdefault("args", []).append(a)  # a client app's URL
            i += 1
            continue
        key = a[2:].replace("-", "_")
        if "=" in key:
            key, val = key.split("=", 1)
        else:
            i += 1
            val = argv[i] if i < len(argv) else ""
        opts[key] = val
        i += 1
    return opts


def main(argv):
    here = _here()
    frozen = "--frozen" in argv
    if frozen:
        argv = [a for a in argv if a != "--frozen"]
    opts = parse_args(argv)
    if frozen:
        # the unix port puts '' / the script's folder before '.frozen': drop
        # them, so lws_mp, runner and the apps are the frozen ones
        if ".frozen" not in sys.path:
            raise SystemExit("--frozen: this interpreter has no frozen modules")
        while sys.path[0] != ".frozen":
            sys.path.pop(0)
        sys.path.append(here)
        sys.path.append(here + "/..")
        if __import__("lws_mp").__file__.startswith(here):
            raise SystemExit("--frozen: lws_mp is not frozen into this interpreter")
    else:
        sys.path.insert(0, here)
        sys.path.insert(1, here + "/..")
    lib = opts.pop("lib", None)
    if lib:
        # precompiled .mpy of lws_mp and the apps, as a board would hold them
        sys.path.insert(0, lib)
    # MicroPython: pace the GC from the first import on (lws_create_context
    # would, but only after the imports), so the imports' garbage is taken
    # back as it is made and the context's buffers find whole blocks
    from lws_mp.plat._port import gc_pace

    gc_pace()
    # a client app (apps/test_client) has main(argv): it reads the command
    # line itself and serves nothing
    try:
        app = __import__("apps." + opts["app"], None, None, ["main"])
    except ImportError:
        app = None
    if hasattr(app, "main"):
        sys.exit(app.main(argv))
    if "args" in opts:
        raise SystemExit("unexpected argument %r" % opts["args"][0])
    app_name = opts.pop("app")
    app = __import__("apps." + app_name, None, None, [app_name])
    port = int(opts.pop("port"))
    iface = opts.pop("iface", None) or None
    root = opts.pop("root", None)
    if root is None and app_name in DEFAULT_ROOTS:
        root = here + "/" + DEFAULT_ROOTS[app_name]
    board = {"lws": {}, "flash": {}}
    board_name = opts.pop("board", None)
    if board_name:
        board = __import__("boards." + board_name + ".board", None, None, ["BOARD"]).BOARD
    flash = opts.pop("flash", None)
    if flash and root:
        import host_flash

        geo = board.get("flash", {})
        root = host_flash.mount(flash, root, geo.get("block_size", 4096),
                                geo.get("block_count", 256))
    seconds = float(opts.pop("seconds", 0) or 0)
    info_opts = dict(board.get("lws", {}))
    names = {"fd_limit": "fd_limit_per_thread", "pool": "max_http_header_pool",
             "header_data": "max_http_header_data", "serv_buf": "pt_serv_buf_size",
             "timeout": "timeout_secs", "body_limit": "max_http_body_size"}
    tls_names = {"cert": "ssl_cert_filepath", "key": "ssl_private_key_filepath",
                 "ca": "ssl_ca_filepath"}  # --cert FILE --key FILE [--ca FILE]: TLS
    for k in list(opts):
        if k in names:
            info_opts[names[k]] = int(opts.pop(k))
        elif k in tls_names:
            info_opts[tls_names[k]] = opts.pop(k)
    if opts:
        raise SystemExit("unknown options: %s" % ", ".join(opts))
    import runner

    runner.serve(app, port=port, iface=iface, root=root, max_ms=int(seconds * 1000),
                 **info_opts)


if __name__ == "__main__":
    main(sys.argv[1:])
