"""`make run` mistakes: each is one clear line and a non-zero exit.

What make itself can check (APP, BOARD, PY, PORT, HEAP) is refused before
anything is built or started, in make's own "Makefile:N: *** ...  Stop."
line.  What only the start can tell (a taken port, an address that is not
this machine's, assets bigger than the flash, a heap too small for the app)
firmware/main.py says in one line; make then adds its standard
"make: *** [Makefile:N: run] Error 1", which is the only other line allowed.

The heap case runs firmware/main.py directly: through make, HEAP= first
rebuilds the shared build/mpy/host, and make adds nothing to the line.
Every run is bounded (a short timeout, the process group killed).
"""

import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from conftest import MICROPYTHON, ROOT, free_port

MAKE_TRAILER = re.compile(r"^make(\[\d+\])?: \*\*\* \[.*\] Error \d+$")


def run(cmd, timeout=30):
    """(exit code, output lines without make's trailer); the whole process
    group is killed if it runs past ``timeout``."""
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        pytest.fail("still running after %ds (no error, it just ran): %r" % (
            timeout, out.decode("utf-8", "replace")[-2000:]))
    text = out.decode("utf-8", "replace")
    lines = [x for x in text.splitlines() if x.strip() and not MAKE_TRAILER.match(x)]
    return p.returncode, lines, text


def assert_one_line(cmd, pattern, timeout=30):
    rc, lines, text = run(cmd, timeout)
    assert rc != 0, text
    assert "Traceback" not in text, text
    assert len(lines) == 1, text
    assert re.search(pattern, lines[0]), text
    return lines[0]


def make_run(*variables):
    # PORT first, so that a test's own PORT= (later on the line) wins
    return ["make", "--no-print-directory", "run", "PORT=%d" % free_port()] + list(variables)


# ------------------------------------------------------------ make's checks

@pytest.mark.parametrize("variable, pattern", [
    ("APP=nope", r"\*\*\* unknown APP=nope: the apps are .*\becho\b.*\bfileserver\b"),
    ("BOARD=nope", r"\*\*\* unknown BOARD=nope: the boards are .*\besp32_generic\b"),
    ("PY=python3", r"\*\*\* PY=python3: PY is micropython .* or cpython"),
    ("PORT=abc", r"\*\*\* PORT=abc is not a port number \(0 to 65535"),
    ("PORT=70000", r"\*\*\* PORT=70000 is not a port number"),
    ("HEAP=lots", r"\*\*\* HEAP=lots is not a heap size"),
])
def test_make_refuses_a_bad_variable(variable, pattern):
    assert_one_line(make_run(variable), pattern, timeout=20)


# ------------------------------------------------------------ what the start finds

@pytest.fixture
def taken_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    yield s.getsockname()[1]
    s.close()


@pytest.mark.parametrize("py", ["micropython", "cpython"])
def test_port_in_use(py, taken_port):
    assert_one_line(make_run("PY=" + py, "PORT=%d" % taken_port),
                    r"^port %d on 127\.0\.0\.1 is in use .*choose another port" % taken_port)


@pytest.mark.parametrize("py", ["micropython", "cpython"])
@pytest.mark.parametrize("iface, pattern", [
    ("192.0.2.1", r"^cannot listen on 192\.0\.2\.1: it is not an address of this machine$"),
    ("no.such.host.invalid", r"^cannot listen on no\.such\.host\.invalid: no such address$"),
])
def test_bad_address(py, iface, pattern):
    assert_one_line(make_run("PY=" + py, "IFACE=" + iface), pattern)


def test_assets_bigger_than_the_flash(tmp_path):
    # the host's flash is 256 blocks of 4096 bytes (1 MB): 1.5 MB of assets
    assets = tmp_path / "www"
    assets.mkdir()
    (assets / "index.html").write_bytes(b"<h1>big</h1>")
    (assets / "big.bin").write_bytes(os.urandom(1536 * 1024))
    image = tmp_path / "flash.img"
    line = assert_one_line(
        make_run("ARGS=--root %s --flash %s" % (assets, image)),
        r"^the assets of app fileserver \(.*, 15\d\d KB\) do not fit the flash of the host "
        r"\(1024 KB: 256 blocks of 4096 bytes")
    assert "OSError" not in line


# ------------------------------------------------------------ firmware/main.py itself

MAIN = os.path.join(ROOT, "firmware", "main.py")
INTERPRETERS = {"micropython": [MICROPYTHON], "cpython": [sys.executable]}


@pytest.mark.parametrize("py", sorted(INTERPRETERS))
@pytest.mark.parametrize("args, pattern", [
    (["--app", "nope"], r"^unknown app 'nope': the apps are .*\becho\b.*\bfileserver\b"),
    (["--board", "nope"], r"^unknown board 'nope': the boards are .*\besp32_generic\b"),
    (["--port", "abc"], r"^port 'abc' is not a number from 0 to 65535$"),
    (["--pool", "many"], r"^--pool 'many' is not a number of 0 or more$"),
    (["--no-such-option", "1"], r"^unknown options: --no-such-option$"),
    (["--rx-buffer", "4096"], r"^--rx-buffer: app fileserver has no WebSocket rx buffer to size$"),
    (["--app", "echo", "--rx-buffer", "0"], r"^--rx-buffer '0' is not a number of 1 or more$"),
])
def test_main_py_bad_option(py, args, pattern):
    assert_one_line(INTERPRETERS[py] + [MAIN, "--iface", "127.0.0.1"] + args, pattern,
                    timeout=20)


def test_heap_too_small_names_the_smallest_that_works():
    cmd = [MICROPYTHON, "-X", "heapsize=32k", MAIN, "--app", "echo", "--port", "0",
           "--iface", "127.0.0.1"]
    line = assert_one_line(cmd, r"^heap 32k too small for app echo: "
                                r"it needs at least (\d+)k \(measured\)$", timeout=120)
    need = int(re.search(r"at least (\d+)k", line).group(1))
    assert need > 32

    def starts(k):
        check = [MICROPYTHON, "-X", "heapsize=%dk" % k, MAIN, "--app", "echo", "--port", "0",
                 "--iface", "127.0.0.1", "--check"]
        return subprocess.run(check, cwd=ROOT, capture_output=True, timeout=60).returncode == 0

    # the figure is the boundary: it starts there, not one step (4k) below
    assert starts(need)
    assert not starts(need - 4)


def test_heap_too_small_at_a_tiny_heap_is_still_one_line():
    # 16k: too small even to load the library's platform layer
    cmd = [MICROPYTHON, "-X", "heapsize=16k", MAIN, "--app", "fileserver", "--port", "0"]
    assert_one_line(cmd, r"^heap 16k too small for app fileserver: it needs at least \d+k "
                         r"\(measured\)$", timeout=120)
