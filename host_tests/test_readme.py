"""The README's code runs as written.

Every ```python block of README.md is saved to a file and run unchanged, on
CPython and on the MicroPython unix port, with lws_mp made importable the
way the README says (PYTHONPATH / MICROPYPATH to the checkout, a
`pip install` of it, the files package.json gives `mpremote mip install`):

- a block that serves (a ``while lws_service`` loop) is started the way the
  README shows, with the port as its argument (the block reads it from
  sys.argv; as written, without one, it takes its default, which is run
  too), in an empty folder: a real client (urllib, and curl where there is
  one) gets an answer naming the missing www/index.html, then, once the
  folder has one, that file; the process is stopped;
- any other block runs to its end and exits 0.

Every process is bounded in time and stopped at the end of its test.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import MICROPYTHON, ROOT, free_port
from server_process import LoggedProcess

sys.path.insert(0, os.path.join(ROOT, "tools", "mip"))
import make_package_json  # noqa: E402

README = os.path.join(ROOT, "README.md")
INTERPRETERS = ("micropython", "cpython")


def readme():
    with open(README) as f:
        return f.read()


def python_blocks():
    return re.findall(r"^```python\n(.*?)^```", readme(), re.S | re.M)


def serves(code):
    return re.search(r"^while .*lws_service\(", code, re.M) is not None


SERVERS = [b for b in python_blocks() if serves(b)]
SCRIPTS = [b for b in python_blocks() if not serves(b)]


def command(interp):
    return [MICROPYTHON] if interp == "micropython" else [sys.executable]


def checkout_env(interp):
    """lws_mp from the checkout, as the README says for each interpreter."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("MICROPYPATH", None)
    if interp == "micropython":
        env["MICROPYPATH"] = ROOT + ":.frozen"
    else:
        env["PYTHONPATH"] = ROOT
    return env


def test_readme_says_how_lws_mp_becomes_importable():
    text = readme()
    for how in ("pip install .", "PYTHONPATH=", "MICROPYPATH=",
                "mpremote mip install package.json"):
        assert how in text, how
    # a server block and a test block, so that the tests below test something
    assert SERVERS and SCRIPTS


# ------------------------------------------------------------ serving blocks

class Server(LoggedProcess):
    def __init__(self, code, interp, cwd, env, args):
        self.path = os.path.join(cwd, "server.py")
        with open(self.path, "w") as f:
            f.write(code)
        super().__init__(command(interp) + ["server.py"] + args, os.path.join(cwd, "server.log"),
                         cwd, env)

    def wait_port(self, port=None, timeout=15.0):
        """The port it listens on (``port``, or the one its log names)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return None
            if port is None:
                m = re.search(r"listening on port (\d+)", self.output())
                port = int(m.group(1)) if m else None
            if port is not None:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    return port
                except OSError:
                    pass
            time.sleep(0.05)
        pytest.fail("no listening server after %ds: %s" % (timeout, self.output()))


def get(port, path="/"):
    """(status, body) from urllib: a real HTTP client."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def curl(port, path="/"):
    out = subprocess.run(["curl", "-s", "-m", "10", "-w", "\n%{http_code}",
                          "http://127.0.0.1:%d%s" % (port, path)],
                         capture_output=True, timeout=20).stdout
    body, _, code = out.rpartition(b"\n")
    return int(code), body


def check_serving(server, port, cwd):
    """Answers about the missing page, then the page itself."""
    status, body = get(port)
    assert status == 404, (status, body, server.output())
    assert b"www/index.html" in body, body  # it says what is missing
    page = b"<h1>It works: %d</h1>\n" % port
    os.mkdir(os.path.join(cwd, "www"))
    with open(os.path.join(cwd, "www", "index.html"), "wb") as f:
        f.write(page)
    assert get(port) == (200, page), server.output()
    if shutil.which("curl"):
        assert curl(port, "/") == (200, page), server.output()
    assert server.proc.poll() is None, server.output()


def serve_and_check(code, interp, tmp_path, env):
    cwd = str(tmp_path)
    port = free_port()
    server = Server(code, interp, cwd, env, [str(port)])
    try:
        assert server.wait_port(port) == port, server.output()
        check_serving(server, port, cwd)
    finally:
        server.stop()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("interp", INTERPRETERS)
@pytest.mark.parametrize("block", range(len(SERVERS)))
def test_server_block_serves(block, interp, tmp_path):
    serve_and_check(SERVERS[block], interp, tmp_path, checkout_env(interp))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("interp", INTERPRETERS)
@pytest.mark.parametrize("block", range(len(SERVERS)))
def test_server_block_as_written_without_a_port(block, interp, tmp_path):
    """No argument at all: the block's own default port."""
    cwd = str(tmp_path)
    server = Server(SERVERS[block], interp, cwd, checkout_env(interp), [])
    try:
        port = server.wait_port()
        if port is None:
            out = server.output()
            if "listen on port" in out and "failed" in out:
                pytest.skip("its default port is taken on this machine: %s" % out.strip())
            pytest.fail("exited: %s" % out)
        check_serving(server, port, cwd)
    finally:
        server.stop()


# ------------------------------------------------------------ other blocks

@pytest.mark.parametrize("interp", INTERPRETERS)
@pytest.mark.parametrize("block", range(len(SCRIPTS)))
def test_script_block_runs_to_its_end(block, interp, tmp_path):
    path = tmp_path / "example.py"
    path.write_text(SCRIPTS[block])
    r = subprocess.run(command(interp) + [str(path)], cwd=str(tmp_path), env=checkout_env(interp),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


# ------------------------------------------------------------ installed copies

@pytest.mark.timeout(300)
def test_pip_installed_copy_serves(tmp_path):
    """`pip install .` of the checkout (copied, so that the build leaves
    nothing in the shared tree) and the server block run from elsewhere."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if os.path.exists(os.path.join(ROOT, name)):
            shutil.copy(os.path.join(ROOT, name), str(src / name))
    ignore = shutil.ignore_patterns("__pycache__")
    for name in os.listdir(ROOT):
        if name.startswith("lws_mp") and os.path.isdir(os.path.join(ROOT, name)):
            shutil.copytree(os.path.join(ROOT, name), str(src / name), ignore=ignore)
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        "--disable-pip-version-check", "--target", str(target), str(src)],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for layer in ("codec", "core", "roles", "plat"):
        assert (target / "lws_mp" / layer / "__init__.py").exists(), layer
    env = checkout_env("cpython")
    env["PYTHONPATH"] = str(target)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    serve_and_check(SERVERS[0], "cpython", run_dir, env)


def test_package_json_is_current():
    with open(os.path.join(ROOT, "package.json")) as f:
        text = f.read()
    assert text == make_package_json.package_json(), (
        "package.json is out of date: python3 tools/mip/make_package_json.py")


@pytest.mark.timeout(60)
def test_mip_files_alone_serve(tmp_path):
    """What `mpremote mip install package.json` puts in a board's /lib,
    and nothing else, runs the server block on MicroPython."""
    with open(os.path.join(ROOT, "package.json")) as f:
        urls = json.load(f)["urls"]
    lib = tmp_path / "lib"
    for dest, src in urls:
        os.makedirs(str((lib / dest).parent), exist_ok=True)
        shutil.copy(os.path.join(ROOT, src), str(lib / dest))
    env = checkout_env("micropython")
    env["MICROPYPATH"] = str(lib) + ":.frozen"
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    serve_and_check(SERVERS[0], "micropython", run_dir, env)


# ------------------------------------------------------------ a newcomer's other first steps

def test_pip_install_in_the_checkout_leaves_nothing_to_commit():
    # `pip install .` run in a checkout writes these there
    r = subprocess.run(["git", "check-ignore", "lws_mp.egg-info", "build/lib"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.stdout.split() == ["lws_mp.egg-info", "build/lib"], r.stdout + r.stderr


def test_api_md_links_the_seed():
    with open(os.path.join(ROOT, "docs", "API.md")) as f:
        text = f.read()
    links = re.findall(r"\]\(([^)]+)\)", text)
    seed = [x for x in links if x.endswith("000_67b29fe5ab134422.txt")]
    assert seed, "docs/API.md links no seed document"
    # the libwebsockets v2.1.0 API reference, wherever the checkout is
    assert any(x.startswith("https://github.com/warmcat/libwebsockets/blob/v2.1.0/")
               for x in links)
    shared = os.path.join(os.path.dirname(ROOT), "shared", "seeds")
    if not os.path.isdir(shared):
        pytest.skip("no ../shared/seeds beside this checkout: the seed lives outside it")
    for link in seed:
        assert os.path.isfile(os.path.normpath(os.path.join(ROOT, "docs", link))), link
