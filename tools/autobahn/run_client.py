#!/usr/bin/env python3
"""Run Autobahn|Testsuite's fuzzingserver against a WebSocket client.

    run_client.py --agent NAME --outdir build/autobahn-client/NAME \
        [--cases '1.*,2.*'] [--exclude '12.*,13.*'] [--timeout 1200] -- CLIENT COMMAND...

Writes <outdir>/spec.json, starts `wstest -m fuzzingserver` on a free
loopback port, then runs the client command with ``{url}`` in it replaced by
the server's ws:// URL and ``{agent}`` by NAME (for example
``python3 firmware/main.py --app test_client --autobahn {url} --agent {agent}``).
The client must run every case (``/getCaseCount``, ``/runCase``) and then
``/updateReports``; the verdicts are read from <outdir>/index.json with
run.py's rules (behavior OK, NON-STRICT or INFORMATIONAL, behaviorClose OK or
INFORMATIONAL), one FAIL line per other case, and the last line is
``autobahn-client-NAME: N passed, M failed``.  <outdir>/summary.json has the
same, with the count of each behavior.

Exit status: 0 all cases passed; 1 some case failed, the client failed, or a
time limit passed; 2 setup error (wstest not installed).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(os.path.dirname(HERE)))  # the checkout: lws_mp_pytest

import run as fc  # noqa: E402  (run.py: the fuzzingclient runner's report helpers)
from lws_mp_pytest.ports import free_port  # noqa: E402  (one no other test worker takes)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agent", required=True)
    p.add_argument("--outdir", required=True)
    p.add_argument("--cases", default=fc.DEFAULT_CASES)
    p.add_argument("--exclude", default=fc.DEFAULT_EXCLUDE)
    p.add_argument("--timeout", type=float, default=1200.0,
                   help="wall-clock limit for the client in seconds (default: %(default)s)")
    p.add_argument("--wstest", default=fc.DEFAULT_WSTEST)
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        p.error("give the client command after --")
    return args


def wait_listening(port, proc, secs=30.0):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    agent = args.agent
    outdir = os.path.abspath(args.outdir)
    name = "autobahn-client-%s" % agent
    if not (os.path.isfile(args.wstest) and os.access(args.wstest, os.X_OK)):
        print("run_client.py: wstest not found at %s; run tools/autobahn/setup.sh first"
              % args.wstest, file=sys.stderr)
        print("%s: 0 passed, 1 failed" % name)
        return 2
    fc.clean_outdir(outdir)
    port = free_port()
    url = "ws://127.0.0.1:%d" % port
    spec = {"url": url, "outdir": outdir, "cases": fc.split_patterns(args.cases),
            "exclude-cases": fc.split_patterns(args.exclude), "exclude-agent-cases": {}}
    spec_path = os.path.join(outdir, "spec.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f, indent=2)
    log_path = os.path.join(outdir, "wstest.log")
    client_log = os.path.join(outdir, "client.log")
    problems = []
    print("%s: fuzzingserver on %s (cases %s, exclude %s)" % (
        name, url, ",".join(spec["cases"]), ",".join(spec["exclude-cases"]) or "-"),
        flush=True)
    t0 = time.monotonic()
    with open(log_path, "w") as log:
        server = subprocess.Popen([args.wstest, "-m", "fuzzingserver", "-s", spec_path],
                                  cwd=outdir, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True,
                                  env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            if not wait_listening(port, server):
                problems.append("fuzzingserver did not start (see %s)" % log_path)
            else:
                cmd = [c.replace("{url}", url).replace("{agent}", agent) for c in args.command]
                with open(client_log, "w") as clog:
                    client = subprocess.Popen(cmd, stdout=clog, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, start_new_session=True)
                    try:
                        rc = client.wait(timeout=args.timeout)
                        if rc != 0:
                            problems.append("client exited with status %d (see %s)"
                                            % (rc, client_log))
                    except subprocess.TimeoutExpired:
                        problems.append("client killed: wall-clock limit of %.0fs exceeded"
                                        % args.timeout)
                    finally:
                        fc.kill_group(client)
        finally:
            fc.kill_group(server)
    elapsed = time.monotonic() - t0

    expected = None
    with open(client_log) if os.path.exists(client_log) else open(os.devnull) as f:
        for line in f:
            if line.startswith("autobahn: ") and line.strip().endswith(" cases"):
                try:
                    expected = int(line.split()[1])
                except ValueError:
                    pass
    results = fc.read_index(os.path.join(outdir, "index.json"), agent, problems)
    if expected is None:
        problems.append("the client never said how many cases there are (see %s)" % client_log)
    elif len(results) < expected:
        problems.append("%d of %d cases are missing from the report"
                        % (expected - len(results), expected))

    passed, failed, counts = [], [], {}
    for cid in sorted(results, key=fc.case_key):
        r = results[cid]
        beh, bclose = r.get("behavior"), r.get("behaviorClose")
        counts[beh] = counts.get(beh, 0) + 1
        ok_beh = beh in fc.PASS_BEHAVIOR
        ok_close = bclose in fc.PASS_CLOSE
        if ok_beh and ok_close:
            passed.append(cid)
        else:
            failed.append((cid, beh, bclose, r.get("remoteCloseCode"),
                           fc.failure_detail(outdir, r, ok_beh, ok_close)))
    for cid, beh, bclose, code, detail in failed:
        print("  FAIL %-8s behavior=%-13s close=%-16s code=%-5s %s" % (
            cid, beh, bclose, code, detail))
    for p in problems:
        print("  ERROR %s" % p)
    if results:
        slow = sorted(results.items(), key=lambda kv: -fc.duration_ms(kv[1]))[:5]
        print("  slowest: " + ", ".join("%s %.1fs" % (cid, fc.duration_ms(r) / 1000.0)
                                        for cid, r in slow))
    print("  behaviors: " + (", ".join("%s=%d" % kv for kv in sorted(counts.items())) or "-")
          + "; %.1fs" % elapsed)
    n_failed = len(failed) or (1 if problems else 0)
    if problems and failed:
        n_failed = len(failed)
    with open(os.path.join(outdir, "summary.json"), "w") as f:
        json.dump({"agent": agent, "passed": len(passed), "failed": n_failed,
                   "elapsed_s": round(elapsed, 1), "behaviors": counts, "problems": problems,
                   "failures": [{"case": c, "behavior": b, "behaviorClose": bc,
                                 "remoteCloseCode": code, "detail": d}
                                for c, b, bc, code, d in failed]}, f, indent=2)
    print("%s: %d passed, %d failed" % (name, len(passed), n_failed))
    return 0 if n_failed == 0 and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
