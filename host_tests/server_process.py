"""Processes the host tests start: output kept in a log file, stopped at the
end; a server among them waited for until it accepts connections.

conftest.py (firmware/main.py under either interpreter), test_board_heap.py
(the frozen firmware on a board interpreter), robust_support.py (the
robustness hooks), test_device_browser.py, test_tls_interop.py,
test_readme.py and test_client_interop.py each make their command line and
start it here.
"""

import socket
import subprocess
import time

from lws_mp_pytest.ports import free_port  # noqa: F401  (the host tests take theirs from here)


class LoggedProcess:
    """``cmd`` run in ``cwd``, stdout and stderr to ``log_path`` (appended
    to when it is started again)."""

    def __init__(self, cmd, log_path, cwd=None, env=None):
        self.cmd = cmd
        self.cwd = cwd
        self.env = env
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_listening(self, port, timeout=15.0, ready_text=None):
        """Until ``port`` on 127.0.0.1 accepts a connection (and the log
        holds ``ready_text``: a connection alone may reach another test's
        server that took the same free port); AssertionError (with the log)
        if the process exits or the time runs out first."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError("server exited: %s" % self.output()[-4000:])
            if ready_text is not None and ready_text not in self.output():
                time.sleep(0.02)
                continue
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise AssertionError("server did not listen: %s" % self.output()[-4000:])

    def output(self):
        if not self.log.closed:
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


class ServerProcess(LoggedProcess):
    """firmware/main.py (any app, any interpreter) told to listen on
    ``port``: started and waited for until it says so and accepts."""

    def __init__(self, cmd, port, log_path, cwd=None, env=None, timeout=15.0):
        self.port = port
        super().__init__(cmd, log_path, cwd, env)
        self.wait_listening(port, timeout)

    def wait_listening(self, port, timeout=15.0, ready_text=None):
        super().wait_listening(port, timeout, ready_text or "listening on port %d" % port)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port
