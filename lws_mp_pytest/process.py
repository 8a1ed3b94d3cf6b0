"""One MicroPython process running mp_main.py: the plugin's end of the
line protocol (requests on stdin, MARK-prefixed replies on stdout)."""

import ast
import os
import queue
import subprocess
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
MP_MAIN = os.path.join(HERE, "mp_main.py")
MARK = "\x02lws:"


class MpProcess:
    """One MicroPython process running one test module's tests."""

    def __init__(self, argv, settings, cwd, timeout):
        self.timeout = timeout
        self.eof = False
        self.lines = queue.Queue()
        self.proc = subprocess.Popen(argv + [MP_MAIN], cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()
        self._send(settings)
        self.kind, self.info, self.output = self.wait(("ready", "import"), timeout)

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.put(raw.decode("utf-8", "replace"))
        self.lines.put(None)

    def _send(self, value):
        try:
            self.proc.stdin.write((repr(value) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            pass  # it has gone: wait() says how

    def alive(self):
        return self.proc.poll() is None and self.kind == "ready"

    def wait(self, kinds, timeout):
        """(kind, value, output): a message of one of ``kinds``, or
        ("exit", status, output) / ("timeout", None, output)."""
        import time

        out = []
        end = time.monotonic() + timeout
        while True:
            line = None
            if not self.eof:
                left = end - time.monotonic()
                if left <= 0:
                    self.kill()
                    return "timeout", None, "".join(out)
                try:
                    line = self.lines.get(timeout=left)
                except queue.Empty:
                    continue
                self.eof = line is None
            if self.eof:
                try:
                    status = self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.kill()
                    status = None
                return "exit", status, "".join(out)
            i = line.find(MARK)
            if i < 0:
                out.append(line)
                continue
            out.append(line[:i])
            kind, _, payload = line[i + len(MARK):].rstrip("\n").partition(" ")
            if kind in kinds:
                return kind, ast.literal_eval(payload), "".join(out)

    def run(self, spec):
        self._send(spec)
        return self.wait(("result",), self.timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
