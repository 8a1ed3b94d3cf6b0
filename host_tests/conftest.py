"""Fixtures for tests that run firmware apps as real server processes.

``server(app, interp, **opts)`` starts ``firmware/main.py`` under the
MicroPython unix port or CPython on a free loopback port and waits until it
accepts connections; every process is stopped at the end of the test.

These tests drive interpreters and processes themselves: they run on the
host's CPython whatever ``--lws-interpreter`` says (the lws_host mark).
"""

import os
import sys

import pytest
from server_process import ServerProcess, free_port  # noqa: F401  (tests take free_port from here)

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


class FirmwareServer(ServerProcess):
    """firmware/main.py running ``app`` under ``interp`` (micropython or
    cpython) on a free loopback port."""

    def __init__(self, app, interp, heap=None, flash=False, args=(), tmp=None):
        self.app = app
        self.interp = interp
        port = free_port()
        cmd = interpreter_cmd(interp, heap) + [
            os.path.join(ROOT, "firmware", "main.py"), "--app", app,
            "--port", str(port), "--iface", "127.0.0.1"] + list(args)
        if flash and interp == "micropython":
            img = os.path.join(tmp or "/tmp", "flash-%s-%d.img" % (app, port))
            cmd += ["--flash", img]
        log = os.path.join(tmp or "/tmp", "server-%s-%s-%d.log" % (app, interp, port))
        super().__init__(cmd, port, log, ROOT)


@pytest.fixture
def processes():
    """A list: every process put in it is stopped at the end of the test."""
    procs = []
    yield procs
    for p in procs:
        p.stop()


@pytest.fixture
def server(tmp_path, processes):
    """server(app, interp="micropython", **opts): a FirmwareServer."""

    def start(app, interp="micropython", **kw):
        processes.append(FirmwareServer(app, interp, tmp=str(tmp_path), **kw))
        return processes[-1]

    return start


@pytest.fixture
def robust_server(tmp_path, processes):
    """robust_server(**opts): robust_support.RobustServer (the robustness
    tests' board interpreter, built on first use)."""
    from robust_support import RobustServer

    def start(**kw):
        processes.append(RobustServer(str(tmp_path), **kw))
        return processes[-1]

    return start
