"""Autobahn|Testsuite's fuzzingserver against the lws_mp WebSocket client.

tools/autobahn/run_client.py starts ``wstest -m fuzzingserver`` on a free
loopback port and runs ``firmware/main.py --app test_client --autobahn URL``:
the client echoes every case of 1.* to 10.* (301 cases; 12.* / 13.* are
permessage-deflate, which lws_mp does not offer) and asks for the reports.
Each case must end OK, NON-STRICT or INFORMATIONAL (behaviorClose OK or
INFORMATIONAL), on CPython, on the 64-bit MicroPython, and on the board
interpreter (esp32_generic: lws_mp and the app frozen in, the board's sizes,
at the board's real heap).  Reports: build/autobahn-client/<interp>/.

About 30 s on CPython, 50 s on each MicroPython.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, interpreter_cmd

RUN = os.path.join(ROOT, "tools", "autobahn", "run_client.py")
MAIN = os.path.join(ROOT, "firmware", "main.py")
BOARD = "esp32_generic"
WALL_CLOCK = 600
SHOW = 60


def _command(interp):
    if interp == "board":
        from test_board_heap import board_heap, board_interpreter

        exe = board_interpreter(BOARD)
        return [exe, "-X", "heapsize=%s" % board_heap(BOARD), MAIN, "--frozen",
                "--board", BOARD]
    return interpreter_cmd(interp) + [MAIN]


@pytest.mark.timeout(WALL_CLOCK + 120)
@pytest.mark.parametrize("interp", ("cpython", "micropython", "board"))
def test_autobahn_fuzzingserver_against_the_client(interp):
    agent = "lws_mp-client-%s" % interp
    outdir = os.path.join(ROOT, "build", "autobahn-client", interp)
    cmd = [sys.executable, RUN, "--agent", agent, "--outdir", outdir,
           "--timeout", str(WALL_CLOCK), "--"] + _command(interp) + [
        "--app", "test_client", "--autobahn", "{url}", "--agent", "{agent}"]
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=WALL_CLOCK + 90)
    out = r.stdout.decode("utf-8", "replace")
    lines = out.strip().splitlines()
    print(lines[-1] if lines else "(run_client.py printed nothing)")
    problems = [ln.strip() for ln in lines if ln.startswith("  ERROR ")]
    fails = [ln.strip() for ln in lines if ln.startswith("  FAIL ")]
    if len(fails) > SHOW:
        fails = fails[:SHOW] + ["... and %d more failing cases" % (len(fails) - SHOW)]
    client_log = os.path.join(outdir, "client.log")
    tail = ""
    if os.path.exists(client_log):
        with open(client_log) as f:
            tail = "".join(ln for ln in f if not ln.startswith("autobahn: case"))[-3000:]
    assert r.returncode == 0, "run_client.py exit %d\n%s\n--- client log ---\n%s" % (
        r.returncode, "\n".join(problems + fails) or out[-4000:], tail)
    with open(os.path.join(outdir, "summary.json")) as f:
        result = json.load(f)
    assert result["failed"] == 0 and result["passed"] == 301, result
    for bad in ("Traceback", "MemoryError"):
        assert bad not in tail, tail
