"""The simulated board (tools/simboard): mpremote, deploy, mip, images.

A simulated Pico W is the rp2_pico_w board interpreter (32-bit, its
firmware frozen in, at the board's 128k heap) behind a pseudo-terminal,
its flash a LittleFS image in the test's folder.  Everything a user does
with a serial board is done to it with the real tools:

- mpremote: exec, ls, cp (both ways), mount, a soft reset that restarts
  the interpreter and keeps the flash, machine.reset() that runs main.py
  again;
- the raw REPL by hand: raw-paste refused for an unknown mode, Ctrl-C
  interrupting a running command, the friendly REPL and its soft reset;
- `make deploy` to it, a reset, and the device web UI over HTTP, on the
  frozen firmware (only the assets and settings copied) and on a stock one
  (every .mpy copied, lws_mp imported from /lib);
- `mpremote mip install` of package.json, then `import lws_mp` on the board;
- `make fs-image` booted as the board's flash; `make run`'s simulated board;
- `pip install` into a fresh virtual environment; `make firmware` and
  `make deploy` naming what is missing.

Each board is started and stopped by the test; every step has a timeout.
"""

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import tty
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, free_port

MPREMOTE = os.path.join(ROOT, ".venv", "bin", "mpremote")
SIMBOARD = os.path.join(ROOT, "tools", "simboard", "simboard.py")
BUILD_SH = os.path.join(ROOT, "tools", "board", "build.sh")
BOARD = "rp2_pico_w"

pytestmark = pytest.mark.timeout(300)

_built = {}


def board_interpreter(board=BOARD):
    """build/board/BOARD/micropython, built or found up to date once per
    session (its console, board_console.py, is frozen in)."""
    if board not in _built:
        r = subprocess.run([BUILD_SH, board], cwd=ROOT, capture_output=True, text=True,
                           timeout=900)
        _built[board] = (r.stdout + r.stderr).strip()[-300:] if r.returncode else ""
    if _built[board]:
        pytest.skip("the board interpreter could not be built: " + _built[board])


def device_assets():
    r = subprocess.run(["make", "--no-print-directory", "device-assets"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


class SimBoard:
    def __init__(self, tmp, stock=False, flash=None, app=None, board=BOARD):
        self.flash = flash or os.path.join(tmp, "flash-%s.img" % board)
        self.log_path = os.path.join(tmp, "simboard-%d.log" % free_port())
        self.serial_log = self.flash + ".serial.log"
        cmd = [sys.executable, SIMBOARD, "--board", board, "--flash", self.flash,
               "--http-port", "0", "--serial-log", self.serial_log]
        if stock:
            cmd.append("--stock")
        if app:
            cmd += ["--app", app]
        self.out = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT)
        self.device = self.url = None
        end = time.monotonic() + 60
        while time.monotonic() < end and not (self.device and self.url):
            assert self.proc.poll() is None, self.output()
            for line in self.output().splitlines():
                if line.startswith("device: "):
                    self.device = line.split(": ", 1)[1]
                elif line.startswith("http: "):
                    self.url = line.split(": ", 1)[1]
            time.sleep(0.05)
        assert self.device and self.url, self.output()

    def output(self):
        self.out.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def serial(self):
        try:
            with open(self.serial_log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def mpremote(self, *args, timeout=90, check=True):
        r = subprocess.run([MPREMOTE, "connect", self.device] + list(args), cwd=ROOT,
                           capture_output=True, timeout=timeout)
        out = (r.stdout + r.stderr).decode("utf-8", "replace")
        if check:
            assert r.returncode == 0, out + "\n--- serial:\n" + self.serial()[-3000:]
        return r.returncode, out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


@pytest.fixture
def sim_board(tmp_path):
    board_interpreter()
    boards = []

    def start(**kw):
        board_interpreter(kw.get("board", BOARD))
        b = SimBoard(str(tmp_path), **kw)
        boards.append(b)
        return b

    yield start
    for b in boards:
        b.stop()
        # the board interpreter ended with the simulator
        assert b.proc.returncode is not None


def http_get(url, timeout=5):
    """(status, body bytes)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_http(url, timeout=30):
    end = time.monotonic() + timeout
    err = None
    while time.monotonic() < end:
        try:
            return http_get(url)
        except OSError as e:
            err = e
            time.sleep(0.2)
    raise AssertionError("no answer from %s: %r" % (url, err))


def check_device_ui(board):
    """The device web UI from the board: the page, and the API asking for a
    first-boot setup."""
    status, body = wait_http(board.url)
    assert status == 200, body[:300]
    assert b"<title>Device</title>" in body
    status, body = http_get(board.url + "api/stats")
    assert status == 401
    assert json.loads(body.decode())["password_set"] is False


# --------------------------------------------------------------- mpremote

def test_mpremote_exec_ls_cp_and_the_board_s_path(sim_board, tmp_path):
    b = sim_board()
    _, out = b.mpremote("exec", "import sys, os; print(sys.path, sys.platform); "
                                "print(os.getcwd(), hasattr(os, 'system'))")
    assert "['', '.frozen', '/lib'] linux" in out
    assert "/ False" in out  # the flash at /, no host-only calls
    data = os.urandom(20000) + b"end"
    src = tmp_path / "blob.bin"
    src.write_bytes(data)
    b.mpremote("fs", "mkdir", ":data")
    b.mpremote("fs", "cp", str(src), ":data/blob.bin")
    _, out = b.mpremote("fs", "ls", ":data")
    assert re.search(r"\b20003 blob\.bin", out), out
    back = tmp_path / "back.bin"
    b.mpremote("fs", "cp", ":data/blob.bin", str(back))
    assert back.read_bytes() == data
    # an error is the program's: its own frames only, mpremote's exit 1
    code, out = b.mpremote("exec", "1/0", check=False)
    assert code == 1
    assert "ZeroDivisionError" in out and "board_console" not in out


def test_mpremote_mount_serves_host_files_byte_for_byte(sim_board, tmp_path):
    # mount's protocol turns Ctrl-C off (kbd_intr(-1)) and sends binary:
    # every byte, 0x03 included, reaches the board as data
    b = sim_board()
    data = bytes(range(256)) * 40
    (tmp_path / "mounted").mkdir()
    (tmp_path / "mounted" / "blob.bin").write_bytes(data)
    (tmp_path / "mounted" / "mod_x.py").write_text("X = 42\n")
    r = subprocess.run([MPREMOTE, "connect", b.device, "mount", ".", "exec",
                        "import mod_x, hashlib, binascii; print(mod_x.X, binascii.hexlify("
                        "hashlib.sha256(open('/remote/blob.bin', 'rb').read()).digest()))"],
                       cwd=str(tmp_path / "mounted"), capture_output=True, timeout=90)
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode == 0, out + r.stderr.decode("utf-8", "replace")
    import hashlib

    assert "42 b'%s'" % hashlib.sha256(data).hexdigest() in out


def test_soft_reset_restarts_the_interpreter_and_keeps_the_flash(sim_board):
    b = sim_board()
    b.mpremote("exec", "open('kept.txt', 'w').write('still here')")
    # a name set before the soft reset is gone after it (a new interpreter),
    # the file is not
    _, out = b.mpremote("exec", "marker = 1", "+", "soft-reset", "+",
                        "exec", "print('marker' in globals(), open('kept.txt').read())")
    assert "False still here" in out
    assert b.serial().count("MPY: soft reboot") >= 2


def test_machine_reset_runs_main_py_frozen_first(sim_board, tmp_path):
    flash = str(tmp_path / "reset.img")
    # a stock firmware runs the flash's main.py after machine.reset()
    b = sim_board(stock=True, flash=flash)
    b.mpremote("exec", "open('main.py', 'w').write(\"open('ran.txt', 'w').write('main')\\n\")")
    b.mpremote("reset")
    time.sleep(1.5)
    _, out = b.mpremote("exec", "import os; print(open('ran.txt').read()); os.remove('ran.txt')")
    assert "main" in out
    b.stop()
    # a firmware with main.py frozen in runs that one, as pyexec_file_if_exists does
    f = sim_board(flash=flash)
    wait_http(f.url)
    code, out = f.mpremote("exec", "print(open('ran.txt').read())", check=False)
    assert code == 1 and "ENOENT" in out


# ------------------------------------------------------- the REPL by hand

class Terminal:
    """The board's terminal opened as mpremote opens it: raw."""

    def __init__(self, device):
        self.fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self.seen = b""

    def write(self, data):
        os.write(self.fd, data)

    def read_until(self, ending, timeout=15):
        end = time.monotonic() + timeout
        while not self.seen.endswith(ending) and ending not in self.seen:
            left = end - time.monotonic()
            assert left > 0, "no %r in %r" % (ending, self.seen[-500:])
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.seen += os.read(self.fd, 4096)
        i = self.seen.index(ending) + len(ending)
        got, self.seen = self.seen[:i], self.seen[i:]
        return got

    def read_n(self, n, timeout=15):
        end = time.monotonic() + timeout
        while len(self.seen) < n:
            left = end - time.monotonic()
            assert left > 0, "%d bytes wanted, got %r" % (n, self.seen)
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.seen += os.read(self.fd, 4096)
        got, self.seen = self.seen[:n], self.seen[n:]
        return got

    def close(self):
        os.close(self.fd)


def test_raw_repl_by_hand_ctrl_c_and_the_friendly_repl(sim_board):
    b = sim_board()
    t = Terminal(b.device)
    try:
        t.write(b"\r\x03\r\x01")
        t.read_until(b"raw REPL; CTRL-B to exit\r\n>")
        # a raw-paste mode it does not know: refused, then the plain raw REPL
        t.write(b"\x05B\x01")
        assert t.read_until(b"R\x00>").endswith(b"R\x00>")
        # print() sends "\r\n", as a board's does
        t.write(b"print(6 * 7)\x04")
        assert t.read_until(b"\x04\x04>") == b"OK42\r\n\x04\x04>"
        # Ctrl-C interrupts a running command
        t.write(b"while True:\n    pass\n\x04")
        t.read_until(b"OK")
        time.sleep(0.5)
        t.write(b"\x03")
        err = t.read_until(b"\x04>")
        assert b"KeyboardInterrupt" in err, err
        # raw-paste mode, as mpremote uses it
        t.write(b"\x05A\x01")
        t.read_until(b"R\x01")
        assert t.read_n(3) == b"\x00\x01\x01"  # a 256-byte window, and one free
        t.write(b"x = 5\nprint(x + 1)\x04")
        assert t.read_until(b"\x04>").endswith(b"\x046\r\n\x04\x04>")
        # the friendly REPL, and its soft reset
        t.write(b"\x02")
        assert b"MicroPython v1.25" in t.read_until(b">>> ")
        t.write(b"1 + 2\r")
        assert b"3\r\n>>> " in t.read_until(b">>> ")
        # a soft reset from the friendly REPL runs main.py (the frozen
        # firmware's: it serves), and Ctrl-C stops it into the REPL
        t.write(b"\x04")
        t.read_until(b"MPY: soft reboot\r\n")
        t.read_until(b" serving on http://")
        # past the runner's start-up collection: a Ctrl-C landing inside a
        # gc.collect() can leave this MicroPython's heap locked (seen once:
        # "memory allocation failed, heap is locked", and no REPL after it)
        t.read_until(b"heap in use: ")
        t.write(b"\x03")
        assert b"Type \"help()\"" in t.read_until(b">>> ")
    finally:
        t.close()


# ------------------------------------------------------------------ deploy

def test_make_deploy_then_reset_serves_the_web_ui(sim_board):
    device_assets()
    b = sim_board()
    r = subprocess.run(["make", "--no-print-directory", "deploy", "BOARD=" + BOARD,
                        "DEVICE=" + b.device], cwd=ROOT, capture_output=True, text=True,
                       timeout=240)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out + b.serial()[-2000:]
    # the firmware has lws_mp and the app frozen in: only what it lacks goes
    assert "frozen in the firmware: not copied" in out
    assert "cp " in out and "www" in out
    assert "writing the defaults" in out
    check_device_ui(b)
    _, files = b.mpremote("fs", "ls", ":")
    for name in ("main.args", "settings.json", "www/"):
        assert name in files
    # mpremote stopped main.py (Ctrl-C): the board is in its REPL until reset
    b.mpremote("reset")
    check_device_ui(b)
    assert "apps.device serving on" in b.serial()
    # a second deploy keeps the board's settings and skips identical files
    r = subprocess.run(["make", "--no-print-directory", "deploy", "BOARD=" + BOARD,
                        "DEVICE=" + b.device], cwd=ROOT, capture_output=True, text=True,
                       timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "settings.json on the board kept" in r.stdout
    assert "Up to date:" in r.stdout
    check_device_ui(b)


def test_deploy_to_a_stock_board_copies_every_mpy(sim_board):
    # on stock MicroPython every module is a .mpy in the heap: at the Pico
    # W's 128k the device app alone leaves no room to serve (see the README),
    # so the file server is the app here
    b = sim_board(stock=True)
    r = subprocess.run(["make", "--no-print-directory", "deploy", "BOARD=" + BOARD,
                        "DEVICE=" + b.device, "APP=fileserver"], cwd=ROOT,
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr + b.serial()[-2000:]
    assert "x86 .mpy" in r.stdout and "not copied" not in r.stdout
    assert "lws_mp goes to /lib as .mpy" in r.stdout
    status, body = wait_http(b.url)
    assert status == 200, body[:300]
    with open(os.path.join(ROOT, "firmware", "www", "index.html"), "rb") as f:
        assert body == f.read()
    _, out = b.mpremote("exec", "import lws_mp, runner, apps.fileserver; "
                                "print(lws_mp.__file__, runner.__file__)")
    assert "/lib/lws_mp/__init__.mpy runner.mpy" in out
    serial = b.serial()
    assert "MemoryError" not in serial
    assert "apps.fileserver serving on" in serial


def test_staged_lws_mp_is_bytecode_but_its_viper_loops(tmp_path):
    # a deployed .mpy is loaded into the heap, where bytecode is the smaller:
    # stage.py leaves out @micropython.native (frozen, it stays in flash)
    out = tmp_path / "stage"
    r = subprocess.run([sys.executable, "tools/simboard/stage.py", "--board", BOARD,
                        "--out", str(out), "--app", "fileserver"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    lib = out / "lib" / "lws_mp"
    arch = {}
    for path in lib.rglob("*.mpy"):
        with open(path, "rb") as f:
            arch[str(path.relative_to(lib))] = f.read(3)[2] >> 2  # header: 0 for bytecode only
    with open(os.path.join(ROOT, "lws_mp", "core", "context.py")) as f:
        assert "@micropython.native" in f.read()  # what is left out is there
    assert arch.pop("plat/_viper.mpy") != 0
    assert arch and not [n for n, a in arch.items() if a], arch
    assert not list(out.rglob("*.bytecode.py"))


def test_mpremote_mip_install_of_package_json(sim_board):
    b = sim_board(stock=True)
    _, out = b.mpremote("mip", "install", os.path.join(ROOT, "package.json"), timeout=180)
    assert "Done" in out
    with open(os.path.join(ROOT, "package.json")) as f:
        urls = json.load(f)["urls"]
    _, out = b.mpremote("exec", "import lws_mp, os; print(lws_mp.__file__); "
                                "print(lws_mp.lws_get_library_version()); "
                                "print(len(os.listdir('/lib/lws_mp/core')))")
    lines = out.split()
    assert "/lib/lws_mp/__init__.py" in lines
    assert any(x.startswith("lws_mp-") for x in lines)
    core = [u for u, _ in urls if u.startswith("lws_mp/core/")]
    assert str(len(core)) in lines


def test_device_reboot_from_the_ui_comes_back_with_its_password(sim_board):
    import http.cookiejar

    b = sim_board(app="device")
    check_device_ui(b)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path, body=None):
        req = urllib.request.Request(b.url + path, data=json.dumps(body or {}).encode(),
                                     headers={"Content-Type": "application/json"})
        with opener.open(req, timeout=5) as r:
            return json.loads(r.read().decode())

    assert post("api/setup", {"password": "reboot pass 1"}) == {"ok": True}
    assert post("api/reboot").get("restarting") is True
    # the app leaves main.py (SystemExit: a soft reset here, machine.reset()
    # on a board); the board runs main.py again on the same flash
    end = time.monotonic() + 30
    while b.serial().count("device app 1.0.0") < 2 and time.monotonic() < end:
        time.sleep(0.2)
    status, body = wait_http(b.url + "api/stats")
    assert status == 401 and json.loads(body.decode())["password_set"] is True
    assert "MPY: soft reboot" in b.serial()


# ------------------------------------------------------------ images, run

def make_fs_image(*variables):
    """The image make fs-image wrote, checked for the board's geometry."""
    r = subprocess.run(["make", "--no-print-directory", "fs-image", "BOARD=" + BOARD]
                       + list(variables), cwd=ROOT, capture_output=True, text=True,
                       timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"fs-image: (\S+): (\d+) files, .* on a 848 KB LittleFS v2 "
                  r"\(212 x 4096 B blocks\)", r.stdout)
    assert m, r.stdout
    with open(os.path.join(ROOT, m.group(1)), "rb") as f:
        data = f.read()
    assert len(data) == 212 * 4096
    return data


def test_make_fs_image_boots_as_the_board_s_flash(sim_board, tmp_path):
    device_assets()
    board_interpreter()
    # the device app's assets and settings for a firmware with the code
    # frozen in (make firmware), on the simulated board's frozen firmware
    image = tmp_path / "device.img"
    image.write_bytes(make_fs_image("MARCH=x86", "FROZEN=1"))
    b = sim_board(flash=str(image))
    check_device_ui(b)
    _, out = b.mpremote("exec", "import os; print(sorted(os.listdir('/')))")
    assert "'main.args', 'main.py', 'settings.json', 'www'" in out
    b.stop()
    # everything, .mpy included, for stock MicroPython
    image = tmp_path / "fileserver.img"
    image.write_bytes(make_fs_image("MARCH=x86", "APP=fileserver"))
    s = sim_board(stock=True, flash=str(image))
    status, body = wait_http(s.url)
    assert status == 200 and b"lws_mp" in body
    _, out = s.mpremote("exec", "import lws_mp; print(lws_mp.__file__)")
    assert "/lib/lws_mp/__init__.mpy" in out


def test_make_run_alone_is_the_device_ui_on_a_simulated_board(tmp_path):
    board_interpreter()
    device_assets()
    port = free_port()
    flash = str(tmp_path / "run.img")
    p = subprocess.Popen(["make", "--no-print-directory", "run", "PORT=%d" % port,
                          "FLASH=" + flash], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    seen = b""
    try:
        end = time.monotonic() + 120
        while b"first boot: open" not in seen and time.monotonic() < end:
            r, _, _ = select.select([p.stdout], [], [], 1)
            if r:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
        text = seen.decode("utf-8", "replace")
        assert "http: http://127.0.0.1:%d/" % port in text, text
        assert "first boot: open http://127.0.0.1:%d/ and set the owner's password" % port \
            in text, text
        assert "device: /dev/pts/" in text
        assert "heap in use" in text
        status, body = http_get("http://127.0.0.1:%d/" % port)
        assert status == 200 and b"<title>Device</title>" in body
    finally:
        os.killpg(p.pid, signal.SIGINT)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert os.path.getsize(flash) == 212 * 4096  # the flash stays


# ------------------------------------------------------- pip, what's missing

def test_pip_install_into_a_fresh_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = str(venv / "bin" / "python")
    r = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        ROOT], capture_output=True, text=True, timeout=240,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    r = subprocess.run([py, "-c", "import lws_mp; print(lws_mp.__file__); "
                                  "print(lws_mp.lws_get_library_version()); "
                                  "from lws_mp import lws_create_context"],
                       capture_output=True, text=True, timeout=60, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert str(venv) in r.stdout and "lws_mp-" in r.stdout


@pytest.mark.parametrize("variables, pattern", [
    ([], r"^make firmware: no board: make firmware BOARD=<.*rp2_pico_w.*> MPY_DIR="),
    (["BOARD=rp2_pico_w"], r"^make firmware: no MicroPython tree: give MPY_DIR="),
    (["BOARD=rp2_pico_w", "MPY_DIR=/"], r"^make firmware: / is not a MicroPython tree"),
])
def test_make_firmware_says_what_is_missing(variables, pattern):
    r = subprocess.run(["make", "--no-print-directory", "firmware"] + variables, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    lines = [x for x in (r.stdout + r.stderr).splitlines()
             if x.strip() and not re.match(r"^make(\[\d+\])?: \*\*\* \[", x)]
    assert len(lines) == 1 and re.search(pattern, lines[0]), r.stdout + r.stderr


def test_make_firmware_names_the_missing_submodule():
    src = os.path.join(ROOT, "build", "board", "src")
    try:
        with open(os.path.join(src, "VERSION")) as f:
            tree = os.path.join(src, f.read().strip())
    except OSError:
        pytest.skip("no MicroPython tree fetched (make board-interpreter)")
    r = subprocess.run(["make", "--no-print-directory", "firmware", "BOARD=rp2_pico_w",
                        "MPY_DIR=" + tree], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0
    assert re.search(r"make firmware: .*/lib/pico-sdk is empty: in a git clone, make -C "
                     r".*/ports/rp2 BOARD=RPI_PICO_W submodules", r.stdout + r.stderr), \
        r.stdout + r.stderr


def test_make_deploy_without_a_device_is_one_line():
    r = subprocess.run(["make", "--no-print-directory", "deploy", "BOARD=rp2_pico_w"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "make deploy: no DEVICE= (the board's serial port" in r.stderr, r.stderr


# ------------------------------------------- the web UI at each board's heap

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TABS = 4
HOLD_S = 60


def boards_with_a_heap():
    import runpy

    out = []
    for name in sorted(os.listdir(os.path.join(ROOT, "boards"))):
        path = os.path.join(ROOT, "boards", name, "board.py")
        if os.path.isfile(path) and runpy.run_path(path)["BOARD"].get("heap"):
            out.append(name)
    return out


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason="%s is absent (Debian package chromium; make deps)" % CHROMIUM)
@pytest.mark.timeout(600)
@pytest.mark.parametrize("board", boards_with_a_heap())
def test_web_ui_in_four_tabs_for_a_minute_at_the_board_s_heap(sim_board, board):
    """The device UI on the simulated board (its firmware frozen in, its
    real heap): set up in one Chromium tab, then four tabs on the dashboard,
    each with its /ws, for a minute; every tab keeps getting fresh figures
    and the board never runs out of memory."""
    from playwright.sync_api import sync_playwright

    device_assets()
    b = sim_board(board=board, app="device")
    check_device_ui(b)
    wait_ms = 20000
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            errors = []
            pages = []
            for i in range(TABS):
                page = ctx.new_page()
                page.set_default_timeout(wait_ms)
                page.on("pageerror", lambda e: errors.append(str(e)))
                assert page.goto(b.url).status == 200
                if i == 0:
                    page.wait_for_selector("#auth", state="visible")
                    page.fill("#password", "four tabs 1")
                    page.fill("#password2", "four tabs 1")
                    page.click("#auth-go")
                page.wait_for_selector("#dashboard", state="visible")
                page.wait_for_function("() => document.getElementById('link')"
                                       ".textContent.includes('live')")
                pages.append(page)
            heap_free = []
            end = time.monotonic() + HOLD_S
            while time.monotonic() < end:
                seen = [p.text_content("#s-uptime") for p in pages]
                for p, before in zip(pages, seen):
                    # each tab's figures are pushed afresh, once a second
                    p.wait_for_function(
                        "(t) => document.getElementById('s-uptime').textContent !== t",
                        arg=before, timeout=5000)
                heap_free.append(pages[0].text_content("#s-heap-free"))
                time.sleep(5)
            stats = pages[0].request.get(b.url + "api/stats")
            assert stats.status == 200, stats.text()
            figures = stats.json()
            assert not errors, errors
        finally:
            browser.close()
    serial = b.serial()
    assert "MemoryError" not in serial, serial[-3000:]
    assert "Traceback" not in serial, serial[-3000:]
    assert b.proc.poll() is None
    print("%s: %d tabs for %ds; heap free on the dashboard: %s; api/stats: %s"
          % (board, TABS, HOLD_S, ", ".join(heap_free), figures))


# ------------------------------------------------------------- boot.py

# No WiFi here: a stand-in `network` module records what boot.py asks of it.
FAKE_NETWORK = '''
STA_IF, AP_IF = 0, 1
calls = []
JOINS = %r


class WLAN:
    def __init__(self, i):
        self.i = i
        self.up = False
        calls.append(("WLAN", i))

    def active(self, on=None):
        if on is not None:
            calls.append(("active", self.i, on))
        return self.up

    def connect(self, ssid, key):
        calls.append(("connect", ssid, key))
        self.up = JOINS

    def isconnected(self):
        return self.up

    def config(self, **kw):
        calls.append(("config", self.i, sorted(kw.items())))

    def ifconfig(self):
        return ("192.168.4.1" if self.i else "10.0.0.2", "", "", "")
'''


@pytest.mark.parametrize("settings, joins, expect", [
    ({"wifi_ssid": "home", "wifi_password": "secret123"}, True,
     [("connect", "home", "secret123")]),
    ({"wifi_ssid": "home", "wifi_password": "secret123", "ap_ssid": "dev-setup"}, False,
     [("connect", "home", "secret123"), ("config", 1, [("security", 0), ("ssid", "dev-setup")])]),
    ({"ap_ssid": "dev-setup", "ap_password": "setup1234"}, False,
     [("config", 1, [("key", "setup1234"), ("ssid", "dev-setup")])]),
    ({"ap_fallback": False}, False, []),
])
def test_boot_py_network_from_the_settings(tmp_path, settings, joins, expect):
    from conftest import MICROPYTHON

    (tmp_path / "network.py").write_text(FAKE_NETWORK % joins)
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    (tmp_path / "main.args").write_text("--app device --board rp2_pico_w --root /www\n")
    with open(os.path.join(ROOT, "firmware", "boot.py")) as f:
        boot = f.read().replace("STATION_TIMEOUT_MS = 8000", "STATION_TIMEOUT_MS = 300")
    (tmp_path / "boot.py").write_text(boot)
    (tmp_path / "run.py").write_text(
        "import sys\nsys.path.insert(0, '')\nsys.argv[:] = ['main.py', '--port', '1']\n"
        "import boot, network\nprint(repr(network.calls))\nprint(repr(sys.argv))\n")
    r = subprocess.run([MICROPYTHON, "run.py"], cwd=str(tmp_path), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.strip().splitlines()
    calls = [tuple(c) for c in eval(lines[-2])]
    argv = eval(lines[-1])
    wanted = [c for c in calls if c[0] in ("connect", "config")]
    assert [tuple(c) if c[0] != "config" else (c[0], c[1], [tuple(x) for x in c[2]])
            for c in wanted] == expect, r.stdout
    # main.args goes ahead of what is there already: a later option wins
    assert argv == ["main.py", "--app", "device", "--board", "rp2_pico_w", "--root", "/www",
                    "--port", "1"]
