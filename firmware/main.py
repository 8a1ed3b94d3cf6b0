# Firmware entry: pick an app and serve it.
#
# On a board this runs after boot.py brought the network up; on a host:
#
#     micropython firmware/main.py --app test_server --port 7681
#     python3 firmware/main.py --app echo --port 9001
#
# Options: --app NAME (fileserver, echo, test_server), --board NAME (the sizes
# of boards/NAME/board.py), --port N (0: any free port), --iface ADDR,
# --root DIR (served files), --flash IMAGE (unix port: serve from a LittleFS
# image built from the root, as the board's flash), --seconds N (stop after N
# seconds), --fd-limit N, --pool N, --header-data N, --serv-buf N, --timeout S,
# --body-limit N, --rx-buffer N (the echo app's largest RECEIVE piece),
# --cert FILE --key FILE [--ca FILE] (serve TLS: docs/TLS.md),
# --lib DIR (import lws_mp and the apps from the .mpy files in
# DIR first, as deployed to a board), --frozen (board mode, on a board
# interpreter with lws_mp and the firmware frozen in: the frozen modules come
# first, the source folders only after them, for what is not frozen), --check
# (start, answer one request, stop: exit 0 if that worked).
#
# A mistake (an unknown app, a taken port, assets bigger than the flash, ...)
# ends in one line saying so and a non-zero exit (runner.py).  So does a heap
# too small to start the app: the line names the smallest heap that starts
# it, measured (heap_need.py).  This file stays small, and its text is
# comments, not a docstring: it must compile in a heap too small for the app.


import sys


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
        elif key in ("frozen", "check"):
            val = ""
        else:
            i += 1
            val = argv[i] if i < len(argv) else ""
        opts[key] = val
        i += 1
    return opts


def main(argv, here):
    opts = parse_args(argv)
    if opts.pop("frozen", None) is not None:
        argv = [a for a in argv if a != "--frozen"]
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
    import runner

    runner.main(opts, argv, here)


if __name__ == "__main__":
    _loaded = list(sys.modules)
    try:
        main(sys.argv[1:], _here())
    except MemoryError:
        if "--check" in sys.argv:
            sys.exit(1)  # one of heap_need.py's runs: a no, said by its exit
        # what the failed start loaded goes, so that the report fits
        for _name in list(sys.modules):
            if _name not in _loaded:
                del sys.modules[_name]
        __import__("gc").collect()
        _os = __import__("os")
        _app = parse_args(sys.argv[1:])["app"]
        _exe = getattr(sys, "executable", "")
        if _exe and hasattr(_os, "system"):
            # the unix port: heap_need.py, at the default heap, runs this
            # process' command line ($PPID's) again at other heaps
            sys.exit(_os.system("'%s' '%s/heap_need.py' %s $PPID" % (
                _exe, _here(), _app)) and 1)
        sys.stderr.write("heap too small for app %s\n" % _app)
        sys.exit(1)
