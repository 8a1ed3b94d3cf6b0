"""The simulated board's own console: what a port's C ``main`` does, on the
unix port.

Runs on the board interpreter (frozen into it by tools/board/build.sh, never
into a real board's firmware), started by tools/simboard/simboard.py, which
owns the pseudo-terminal mpremote talks to and relays it to this process'
stdin and stdout.  Like rp2's and esp32's ``main.c`` it

- mounts the flash (a LittleFS v2 image file) at ``/`` and makes ``/`` the
  current folder; an image that holds no filesystem is formatted first, as
  the ports' ``_boot.py`` does;
- sets ``sys.path`` to the board's ``['', '.frozen', '/lib']``;
- runs ``boot.py`` and then, after a hard reset or a soft reset from the
  friendly REPL, ``main.py``; a frozen one is run before one on the flash, as
  ``pyexec_file_if_exists`` does;
- then serves the REPL: the raw REPL (with raw-paste mode) that mpremote
  uses, and a plain friendly REPL.

A soft reset (Ctrl-D, ``sys.exit()`` in boot.py or main.py,
``machine.soft_reset()``) ends this process with EXIT_SOFT_RAW or
EXIT_SOFT_FRIENDLY after "MPY: soft reboot"; ``machine.reset()`` with
EXIT_HARD.  The simulator starts it again on the same image.

The unix port reads its terminal only in its own REPL, so Ctrl-C reaches a
running program as SIGINT: this process tells the simulator, through a pipe
(LWS_SIM_STATE_FD), what it is doing, one byte at a time:

    S  starting: not reading stdin (the simulator holds what arrives)
    E  running code: a Ctrl-C from the host is turned into SIGINT
    X  running code that turned Ctrl-C off (micropython.kbd_intr(-1))
    R  in the REPL, reading stdin: every byte is passed on

The host-only calls a board does not have (``os.system``, ``os.getenv``,
...) are hidden, and ``machine`` gets the ``reset`` a board has.
"""

import gc
import io
import os
import sys

import micropython
import vfs

EXIT_HARD = 3
EXIT_SOFT_RAW = 4
EXIT_SOFT_FRIENDLY = 5

BOARD_PATH = ["", ".frozen", "/lib"]
# LWS_SIM_STOCK=1, a board with stock MicroPython: what is deployed to /lib
# comes before the interpreter's frozen modules, and its frozen boot.py and
# main.py are not there
STOCK_PATH = ["", "/lib", ".frozen"]
HOST_ONLY = ("system", "getenv", "putenv", "unsetenv")

_out = sys.stdout.buffer
_in = sys.stdin.buffer
_state = None
_byte = bytearray(1)
_kbd = micropython.kbd_intr


class _Reset(SystemExit):
    """machine.reset(): the process ends and the simulator restarts it."""


def _say(state):
    if _state is not None:
        _state.write(state)


def _w(data):
    """Write to the serial line; a late SIGINT here is not an error."""
    while True:
        try:
            _out.write(data)
            return
        except KeyboardInterrupt:
            pass


def _cooked(text):
    # what a board's stdout does to "\n" (mp_hal_stdout_tx_strn_cooked)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


class _Module:
    """A module's names, some replaced: what sys.modules holds for it."""

    def __init__(self, mod, drop=(), **extra):
        for k in dir(mod):
            if not k.startswith("__") and k not in drop:
                setattr(self, k, getattr(mod, k))
        for k in extra:
            setattr(self, k, extra[k])
        self.__name__ = mod.__name__


def _print(*args, sep=" ", end="\n", file=None):
    """print() as a board's: to the serial line, "\n" sent as "\r\n"."""
    if file is not None:
        _builtin_print(*args, sep=sep, end=end, file=file)
    else:
        # a Ctrl-C here is the program's (unlike in _w)
        _out.write(_cooked(sep.join(str(a) for a in args) + end))


_builtin_print = print


def _reset():
    raise _Reset(EXIT_HARD)


def _soft_reset():
    raise SystemExit


def _kbd_intr(c):
    _say(b"X" if c < 0 else b"E")
    _kbd(c)


def _board_modules():
    import builtins

    import machine

    builtins.print = _print

    sys.modules["machine"] = _Module(machine, reset=_reset, soft_reset=_soft_reset)
    sys.modules["os"] = _Module(os, drop=HOST_ONLY)
    sys.modules["micropython"] = _Module(micropython, kbd_intr=_kbd_intr)


def mount_flash(image, block_size, block_count):
    """The image's LittleFS at ``/`` in place of the host's filesystem."""
    import host_flash

    bdev = host_flash.FileBlockDevice(image, block_size, block_count, keep=True)
    try:
        fs = vfs.VfsLfs2(bdev)
    except OSError:
        vfs.VfsLfs2.mkfs(bdev)
        fs = vfs.VfsLfs2(bdev)
    vfs.umount("/")
    vfs.mount(fs, "/")
    os.chdir("/")
    return bdev


def _print_exception(e):
    buf = io.StringIO()
    sys.print_exception(e, buf)
    # the console's own frames are not the program's
    lines = [ln for ln in buf.getvalue().split("\n") if 'board_console.py"' not in ln]
    return _cooked("\n".join(lines))


def _run(code, g):
    """Execute ``code`` in ``g`` with Ctrl-C on: the exception it raised
    (SystemExit included), or None."""
    err = None
    _say(b"E")
    try:
        exec(code, g)
    except BaseException as e:  # noqa: B036 - a board's pyexec catches everything
        err = e
    _say(b"S")
    return err


def _run_script(name, frozen):
    """boot.py / main.py as pyexec_file_if_exists runs it: a frozen one
    (``frozen``: the firmware has one), else the flash's, else nothing.  The
    exception it ended with, or None."""
    saved = list(sys.path)
    if frozen:
        sys.path[:] = [".frozen"]
    else:
        try:
            os.stat(name + ".py")
        except OSError:
            return None
        sys.path[:] = [""]
    # the frozen one must be found first, so it runs with '.frozen' ahead
    # of the flash (firmware/main.py puts its own folder first again)
    sys.path.extend(p for p in saved if p not in sys.path)
    err = None
    _say(b"E")
    try:
        # the unix port's `-m`: the module runs as __main__
        __import__(name, None, None, False)
    except BaseException as e:  # noqa: B036 - a board's pyexec catches everything
        err = e
    _say(b"S")
    sys.path[:] = saved
    for k in (name, "__main__"):
        if k in sys.modules:
            del sys.modules[k]
    return err


class Console:
    def __init__(self, banner):
        self.banner = banner
        self.g = {"__name__": "__main__"}
        self.pending = []

    def getc(self):
        if self.pending:
            return self.pending.pop(0)
        _say(b"R")
        while True:
            try:
                n = _in.readinto(_byte)
                break
            except KeyboardInterrupt:
                # a Ctrl-C that became SIGINT as the program ended
                _say(b"S")
                return 3
        _say(b"S")
        if not n:
            raise SystemExit(0)  # the simulator has gone
        return _byte[0]

    # ------------------------------------------------------------ raw REPL
    def raw_repl(self):
        """The raw REPL until Ctrl-B ('friendly') or a soft reset."""
        _w(b"raw REPL; CTRL-B to exit\r\n>")
        line = bytearray()
        while True:
            c = self.getc()
            if c == 1:  # Ctrl-A
                if len(line) == 2 and line[0] == 5:
                    self.raw_paste(line[1])
                    line = bytearray()
                    _w(b">")
                    continue
                line = bytearray()
                _w(b"raw REPL; CTRL-B to exit\r\n>")
            elif c == 2:  # Ctrl-B
                _w(b"\r\n")
                return "friendly"
            elif c == 3:  # Ctrl-C
                line = bytearray()
            elif c == 4:  # Ctrl-D
                _w(b"OK")
                if not line:
                    _w(b"\r\n")
                    self.soft_reset(EXIT_SOFT_RAW)
                self.execute(bytes(line))
                line = bytearray()
                _w(b">")
            else:
                line.append(c)

    def raw_paste(self, cmd):
        if cmd != ord("A"):
            _w(b"R\x00")
            return
        window = 256
        _w(b"R\x01" + bytes((window & 0xFF, window >> 8)) + b"\x01")
        data = bytearray()
        remain = window
        while True:
            c = self.getc()
            if c == 4:
                break
            if c == 3:
                _w(b"\x04")
                self.result(KeyboardInterrupt())
                return
            data.append(c)
            remain -= 1
            if remain == 0:
                _w(b"\x01")
                remain = window
        _w(b"\x04")
        self.execute(bytes(data))

    def execute(self, src):
        """A raw REPL command: its output, \\x04, its error, \\x04."""
        try:
            code = compile(src, "<stdin>", "exec")
        except BaseException as e:  # noqa: B036
            self.result(e)
            return
        del src
        self.result(_run(code, self.g))

    def result(self, err):
        if isinstance(err, _Reset):
            raise err
        if isinstance(err, SystemExit):
            _w(b"\x04\x04")
            self.soft_reset(EXIT_SOFT_RAW)
        _w(b"\x04" + (_print_exception(err) if err is not None else b"") + b"\x04")

    # ------------------------------------------------------- friendly REPL
    def friendly_repl(self):
        """A plain friendly REPL until Ctrl-A ('raw') or a soft reset."""
        _w(self.banner)
        lines = []
        while True:
            line = self.readline("... " if lines else ">>> ")
            if line == 1:  # Ctrl-A
                _w(b"\r\n")
                return "raw"
            if line == 2:  # Ctrl-B
                _w(b"\r\n" + self.banner)
                lines = []
                continue
            if line == 3:  # Ctrl-C
                _w(b"\r\n")
                lines = []
                continue
            if line == 4:  # Ctrl-D
                if lines:
                    line = ""
                else:
                    _w(b"\r\n")
                    self.soft_reset(EXIT_SOFT_FRIENDLY)
            if line == 5:  # Ctrl-E
                self.paste_mode()
                continue
            if lines or line.rstrip().endswith(":"):
                if line.strip():
                    lines.append(line)
                    continue
                src = "\n".join(lines) + "\n"
                lines = []
            else:
                src = line
            if src.strip():
                self.execute_single(src)

    def readline(self, prompt):
        """A line (echoed, with backspace), or the control code that ended it."""
        _w(prompt.encode())
        buf = bytearray()
        while True:
            c = self.getc()
            if c in (1, 2, 3, 5) or (c == 4 and not buf):
                return c
            if c == 13 or c == 10:
                _w(b"\r\n")
                return buf.decode()
            if c in (8, 127):
                if buf:
                    buf.pop()
                    _w(b"\x08 \x08")
            elif c == 27:  # an escape sequence (arrow keys): skipped
                self.getc()
                self.getc()
            elif c >= 32:
                buf.append(c)
                _w(bytes((c,)))

    def paste_mode(self):
        _w(b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ")
        buf = bytearray()
        while True:
            c = self.getc()
            if c == 3:
                _w(b"\r\n")
                return
            if c == 4:
                _w(b"\r\n")
                self.execute_single(buf.decode(), "exec")
                return
            buf.append(c)
            _w(b"\r\n=== " if c == 13 else bytes((c,)))

    def execute_single(self, src, mode="single"):
        """A friendly REPL input: an expression's value is shown (its repr,
        as the REPL shows it), a statement is run."""
        g = self.g
        try:
            try:
                code = compile(src, "<stdin>", "eval") if mode == "single" else None
            except SyntaxError:
                code = None
            if code is not None:
                g["_ret_"] = code
                code = compile("_ret_ = eval(_ret_)\nif _ret_ is not None:\n print(repr(_ret_))",
                               "<stdin>", "exec")
            else:
                code = compile(src, "<stdin>", "exec")
        except BaseException as e:  # noqa: B036
            _w(_print_exception(e))
            return
        err = _run(code, g)
        g.pop("_ret_", None)
        if isinstance(err, _Reset):
            raise err
        if isinstance(err, SystemExit):
            self.soft_reset(EXIT_SOFT_FRIENDLY)
        if err is not None:
            _w(_print_exception(err))

    def soft_reset(self, code):
        _w(b"MPY: soft reboot\r\n")
        raise _Reset(code)


def _env():
    env = {}
    for k in ("FLASH", "GEOMETRY", "MODE", "STATE_FD", "ARGV", "BANNER", "STOCK", "FROZEN"):
        env[k] = os.getenv("LWS_SIM_" + k) or ""
    return env


def main():
    global _state
    env = _env()
    if env["STATE_FD"]:
        _state = open(int(env["STATE_FD"]), "wb")
    _say(b"S")
    stock = env["STOCK"] == "1"
    # the firmware's own boot.py / main.py (simboard.py asks the interpreter)
    frozen = () if stock else env["FROZEN"].split()
    bs, bc = (int(x) for x in env["GEOMETRY"].split(","))
    mount_flash(env["FLASH"], bs, bc)
    sys.path[:] = STOCK_PATH if stock else BOARD_PATH
    sys.argv[:] = ["main.py"] + env["ARGV"].split()
    _board_modules()
    banner = _cooked((env["BANNER"] or "MicroPython (simulated board)") + "\n"
                     'Type "help()" for more information.\n')
    console = Console(banner)
    code = 0
    try:
        mode = "raw" if env["MODE"] == "raw" else "friendly"
        gc.collect()
        err = _run_script("boot", "boot" in frozen)
        if err is None and mode == "friendly":
            err = _run_script("main", "main" in frozen)
        if isinstance(err, _Reset):
            raise err
        if isinstance(err, SystemExit):
            _w(b"MPY: soft reboot\r\n")
            raise _Reset(EXIT_SOFT_RAW if mode == "raw" else EXIT_SOFT_FRIENDLY)
        if err is not None:
            _w(_print_exception(err))
        while True:
            if mode == "raw":
                mode = console.raw_repl()
            else:
                mode = console.friendly_repl()
    except _Reset as e:
        code = e.args[0] if e.args else EXIT_SOFT_FRIENDLY
    if code != EXIT_HARD:
        sweep(console)
    raise SystemExit(code)


def sweep(console):
    """What a soft reset's gc_sweep_all() does: every object goes, its
    finaliser run, so a file left open is closed and its data written."""
    console.g.clear()
    for name in list(sys.modules):
        if name not in ("board_console", "host_flash"):
            del sys.modules[name]
    gc.collect()
