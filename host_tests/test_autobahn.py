"""Autobahn|Testsuite's fuzzingclient against the echo app.

tools/autobahn/run.py runs every case from 1.* to 10.* (12.* / 13.* are
permessage-deflate, which lws_mp does not offer) and exits 0 only when each
one is OK, NON-STRICT or INFORMATIONAL.  wstest is Python 2.7 software:
``tools/autobahn/setup.sh`` installs it into build/autobahn-venv (``make
test`` and ``make autobahn`` run it first).  Reports stay in
build/autobahn/<interp>/ (index.html, summary.json).

The MicroPython run takes about two minutes, the CPython one about one.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import INTERPRETERS, ROOT

RUN = os.path.join(ROOT, "tools", "autobahn", "run.py")
WALL_CLOCK = 780  # run.py's own limit for wstest, inside the test's 900 s
# A healthy server finishes every case within seconds (the slowest, 6.4.*, take
# about 6.5 s); a server that stops answering would otherwise hold wstest up to
# the suite's own per-case limits (up to 1000 s).
STALL = 120
SHOW = 60  # failing lines quoted in the assertion message


@pytest.mark.timeout(900)
@pytest.mark.parametrize("interp", INTERPRETERS)
def test_autobahn_fuzzingclient(server, interp):
    srv = server("echo", interp)
    agent = "lws_mp-%s" % interp
    outdir = os.path.join(ROOT, "build", "autobahn", interp)
    r = subprocess.run(
        [sys.executable, RUN, "--url", "ws://127.0.0.1:%d/" % srv.port, "--agent", agent,
         "--outdir", outdir, "--timeout", str(WALL_CLOCK), "--stall-timeout", str(STALL)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=WALL_CLOCK + 60)
    out = r.stdout.decode("utf-8", "replace")
    lines = out.strip().splitlines()
    summary = lines[-1] if lines else "(run.py printed nothing)"
    print(summary)
    errors = [ln.strip() for ln in lines if ln.startswith("  ERROR ") or "WARNING" in ln]
    fails = [ln.strip() for ln in lines if ln.startswith("  FAIL ")]
    if len(fails) > SHOW:
        fails = fails[:SHOW] + ["... and %d more failing cases" % (len(fails) - SHOW)]
    problems = errors + fails
    assert r.returncode == 0, "run.py exit %d: %s\n%s\n--- server log (tail) ---\n%s" % (
        r.returncode, summary, "\n".join(problems) or out[-4000:], srv.output()[-3000:])

    with open(os.path.join(outdir, "summary.json")) as f:
        result = json.load(f)
    assert result["agent"] == agent
    assert result["failed"] == 0 and result["passed"] > 0, result

    assert srv.alive(), "the echo server exited:\n%s" % srv.output()[-3000:]
    log = srv.output()
    for bad in ("Traceback", "MemoryError"):
        assert bad not in log, "server log has %r:\n%s" % (bad, log[-6000:])
