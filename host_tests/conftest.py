"""Fixtures for tests that run firmware apps as real server processes.

``server(app, interp, **opts)`` starts ``firmware/main.py`` under the
MicroPython unix port or CPython on a free loopback port and waits until it
accepts connections; every process is stopped at the end of the test.

These tests drive interpreters and processes themselves: they run on the
host's CPython whatever ``--lws-interpreter`` says (the lws_host mark).
"""

import os
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
MICROPYTHON = os.path.join(VENV_BIN, "micropython")
INTERPRETERS = ("micropython", "cpython")


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(os.path.abspath(__file__)) + os.sep
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.lws_host)


def interpreter_cmd(interp, heap=None):
    if interp == "micropython":
        cmd = [MICROPYTHON]
        if heap:
            cmd += ["-X", "heapsize=%s" % heap]
        return cmd
    return [sys.executable]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ServerProcess:
    def __init__(self, app, interp, heap=None, flash=False, args=(), tmp=None):
        self.app = app
        self.interp = interp
        self.port = free_port()
        cmd = interpreter_cmd(interp, heap) + [
            os.path.join(ROOT, "firmware", "main.py"), "--app", app,
            "--port", str(self.port), "--iface", "127.0.0.1"] + list(args)
        if flash and interp == "micropython":
            img = os.path.join(tmp or "/tmp", "flash-%s-%d.img" % (app, self.port))
            cmd += ["--flash", img]
        self.log_path = os.path.join(tmp or "/tmp", "server-%s-%s-%d.log" % (
            app, interp, self.port))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout=15.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: %s" % self.output())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not listen: %s" % self.output())

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port


@pytest.fixture
def server(tmp_path):
    procs = []

    def start(app, interp="micropython", **kw):
        p = ServerProcess(app, interp, tmp=str(tmp_path), **kw)
        procs.append(p)
        return p

    yield start
    for p in procs:
        p.stop()
