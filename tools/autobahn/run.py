#!/usr/bin/env python3
"""Run Autobahn|Testsuite's fuzzingclient against a WebSocket echo server.

    run.py --url ws://127.0.0.1:PORT --agent NAME --outdir build/autobahn/NAME \
           [--cases '1.*,2.*'] [--exclude '12.*,13.*'] [--timeout 1200]

Writes <outdir>/spec.json, runs `build/autobahn-venv/bin/wstest -m fuzzingclient
-s spec.json` (install it with tools/autobahn/setup.sh), then reads
<outdir>/index.json and prints one line per non-passing case.

A case passes when its ``behavior`` is OK, NON-STRICT or INFORMATIONAL and its
``behaviorClose`` is OK or INFORMATIONAL.  A case that wstest was asked to run
but that is missing from index.json (server refused / wstest killed) fails.

Exit status: 0 all cases passed; 1 some case failed, wstest failed, could not
connect, or was killed for exceeding --timeout / --stall-timeout; 2 usage or
setup error (wstest not installed).

The last line printed is ``autobahn-NAME: N passed, M failed``.  A machine-
readable copy of the result is written to <outdir>/summary.json.

Runs on CPython 3.6+; only the standard library is used.
"""

import argparse
import ast
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_WSTEST = os.path.join(ROOT, "build", "autobahn-venv", "bin", "wstest")

# Everything in the suite from 1.* to 10.* (the suite has no 8.* / 11.* cases);
# 12.* / 13.* are permessage-deflate and excluded by default.
DEFAULT_CASES = ",".join(f"{i}.*" for i in range(1, 11))
DEFAULT_EXCLUDE = "12.*,13.*"

PASS_BEHAVIOR = {"OK", "NON-STRICT", "INFORMATIONAL"}
PASS_CLOSE = {"OK", "INFORMATIONAL"}

RUNNING_RE = re.compile(r"^Running test case ID (\S+) for agent")
CASES_RE = re.compile(r"^Cases = (\[.*\])\s*$")
CONNFAIL_RE = re.compile(r"^Connection to \S+ failed \((.*)\)\s*$")
# index.json "duration" is garbage (ms since the epoch) when the opening
# handshake never completed; ignore anything above a day.
MAX_SANE_DURATION_MS = 86400 * 1000


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Run Autobahn fuzzingclient against a local WebSocket echo server.")
    p.add_argument("--url", required=True,
                   help="ws:// URL of the echo server under test (loopback only)")
    p.add_argument("--agent", required=True,
                   help="agent name used in the report ([A-Za-z0-9._-]+)")
    p.add_argument("--outdir", required=True,
                   help="report directory (spec.json, index.json, wstest.log, summary.json)")
    p.add_argument("--cases", default=DEFAULT_CASES,
                   help="comma-separated case patterns (default: %(default)s)")
    p.add_argument("--exclude", default=DEFAULT_EXCLUDE,
                   help="comma-separated case patterns to skip (default: %(default)s; '' for none)")
    p.add_argument("--timeout", type=float, default=1200.0,
                   help="wall-clock limit for wstest in seconds (default: %(default)s)")
    p.add_argument("--stall-timeout", type=float, default=600.0,
                   help="kill wstest when no new case starts for this many seconds "
                        "(default: %(default)s; the suite's own per-case limits go up to "
                        "480s for 9.7.6/9.8.6 and 1000s for 9.5.*/9.6.*; 0 disables)")
    p.add_argument("--wstest", default=DEFAULT_WSTEST,
                   help="wstest executable (default: %(default)s)")
    p.add_argument("--options", default="{}",
                   help="JSON object merged into the spec's \"options\" (autobahn client "
                        "protocol options, e.g. '{\"openHandshakeTimeout\": 10}')")
    p.add_argument("--allow-unimplemented", action="store_true",
                   help="count behavior UNIMPLEMENTED (compression cases) as passed")
    p.add_argument("--slowest", type=int, default=5,
                   help="print the N slowest cases (default: %(default)s; 0 for none)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="echo wstest output as it runs")
    args = p.parse_args(argv)

    if not re.match(r"^[A-Za-z0-9._-]+$", args.agent):
        p.error("--agent must match [A-Za-z0-9._-]+")
    u = urlsplit(args.url)
    if u.scheme not in ("ws", "wss") or not u.hostname:
        p.error("--url must be ws://HOST:PORT/...")
    if u.hostname != "localhost":
        try:
            loopback = ipaddress.ip_address(u.hostname).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            p.error("--url must point at a loopback address (127.0.0.0/8, ::1, localhost)")
    try:
        args.options = json.loads(args.options)
    except ValueError:
        args.options = None
    if not isinstance(args.options, dict):
        p.error("--options must be a JSON object")
    return args


def split_patterns(s):
    return [x.strip() for x in s.split(",") if x.strip()]


def clean_outdir(outdir):
    """Remove the files of a previous run so a stale index.json is never read."""
    os.makedirs(outdir, exist_ok=True)
    for name in os.listdir(outdir):
        if (name in ("index.json", "index.html", "spec.json", "wstest.log", "summary.json")
                or re.match(r".*_case_[0-9_]+\.(json|html)$", name)):
            os.remove(os.path.join(outdir, name))


def kill_group(proc):
    """Kill wstest and anything it started (it runs in its own session)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def run_wstest(args, spec_path, log_path):
    """Run wstest, enforcing the time limits; return (returncode, state, kill_reason, secs)."""
    state = {"expected": None, "last_case": None, "last_change": time.monotonic(),
             "started": 0, "connfail": None, "traceback": False}
    cmd = [args.wstest, "-m", "fuzzingclient", "-s", spec_path]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    t0 = time.monotonic()

    def on_line(line, last_group):
        m = CASES_RE.match(line)
        if m and state["expected"] is None:
            try:
                state["expected"] = [str(x) for x in ast.literal_eval(m.group(1))]
            except (ValueError, SyntaxError):
                pass
        m = CONNFAIL_RE.match(line)
        if m:
            state["connfail"] = m.group(1)
        if line.startswith("Traceback (most recent call last)"):
            state["traceback"] = True
        m = RUNNING_RE.match(line)
        if not m:
            return last_group
        case_id = m.group(1)
        state["last_case"] = case_id
        state["last_change"] = time.monotonic()
        state["started"] += 1
        group = case_id.split(".")[0]
        if group != last_group and not args.verbose:
            total = len(state["expected"] or [])
            print(f"  [{time.monotonic() - t0:6.1f}s] case {case_id} "
                  f"({state['started']}/{total})", flush=True)
        return group

    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=os.path.dirname(spec_path), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)

        def reader():
            last_group = None
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace")
                log.write(line)
                log.flush()
                if args.verbose:
                    sys.stdout.write("  | " + line)
                    sys.stdout.flush()
                last_group = on_line(line, last_group)

        # Make SIGTERM (e.g. from a test runner's timeout) take the same path as
        # Ctrl-C so wstest, which is in its own session, is not orphaned.
        def on_term(signum, frame):
            raise KeyboardInterrupt
        old_term = signal.signal(signal.SIGTERM, on_term)

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        reason = None
        try:
            while proc.poll() is None:
                time.sleep(0.5)
                now = time.monotonic()
                if now - t0 > args.timeout:
                    reason = f"wall-clock limit of {args.timeout:.0f}s exceeded"
                elif args.stall_timeout and now - state["last_change"] > args.stall_timeout:
                    reason = f"no new case started for {args.stall_timeout:.0f}s"
                if state["expected"] == []:
                    # wstest never exits when no case matched: its reactor just idles.
                    reason = "no case matched --cases/--exclude"
                if reason:
                    break
        finally:
            kill_group(proc)
            signal.signal(signal.SIGTERM, old_term)
            th.join(timeout=10)
    return proc.returncode, state, reason, time.monotonic() - t0


def case_key(case_id):
    return tuple(int(x) if x.isdigit() else x for x in case_id.split("."))


def read_index(index_path, agent, problems):
    if not os.path.exists(index_path):
        return {}
    try:
        with open(index_path) as f:
            index = json.load(f)
    except ValueError as e:
        problems.append(f"cannot parse {index_path}: {e}")
        return {}
    results = index.get(agent, {})
    if not results and index:
        problems.append(f"index.json has no agent {agent!r} (agents: {', '.join(sorted(index))})")
    return results


def failure_detail(outdir, result, ok_beh, ok_close):
    """Short text from the per-case report JSON explaining the failure."""
    rf = result.get("reportfile")
    if not rf or not os.path.exists(os.path.join(outdir, rf)):
        return ""
    try:
        with open(os.path.join(outdir, rf)) as f:
            d = json.load(f)
    except ValueError:
        return ""
    parts = []
    if not ok_beh:
        res = d.get("result") or ""
        if res.startswith("Actual events match"):
            # closedByWrongEndpointIsFatal (6.*/UTF-8 cases): the echo matched, but
            # the peer should have failed the connection itself and did not.
            res = "peer did not fail the connection itself (e.g. invalid UTF-8 not detected)"
        parts.append(res)
    if not ok_close and d.get("resultClose") not in parts:
        parts.append(d.get("resultClose") or "")
    if d.get("remoteCloseReason"):
        parts.append(f"peer reason: {d['remoteCloseReason']!r}")
    return "; ".join(p for p in parts if p)


def duration_ms(result):
    d = result.get("duration") or 0
    return d if 0 <= d <= MAX_SANE_DURATION_MS else 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    agent = args.agent
    outdir = os.path.abspath(args.outdir)

    if not (os.path.isfile(args.wstest) and os.access(args.wstest, os.X_OK)):
        print(f"run.py: wstest not found at {args.wstest}; run tools/autobahn/setup.sh first",
              file=sys.stderr)
        print(f"autobahn-{agent}: 0 passed, 1 failed")
        return 2

    clean_outdir(outdir)
    # failByDrop=False is also what fuzzingclient sets itself before each server.
    options = {"failByDrop": False}
    options.update(args.options)
    spec = {
        "options": options,
        "outdir": outdir,
        "servers": [{"agent": agent, "url": args.url}],
        "cases": split_patterns(args.cases),
        "exclude-cases": split_patterns(args.exclude),
        "exclude-agent-cases": {},
    }
    spec_path = os.path.join(outdir, "spec.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f, indent=2)
    log_path = os.path.join(outdir, "wstest.log")

    print(f"autobahn {agent}: fuzzingclient -> {args.url} (cases {','.join(spec['cases'])}, "
          f"exclude {','.join(spec['exclude-cases']) or '-'}, timeout {args.timeout:.0f}s)",
          flush=True)
    rc, state, reason, elapsed = run_wstest(args, spec_path, log_path)

    problems = []  # run-level problems; any of them makes the run fail
    if state["expected"] == []:
        problems.append("no case matched --cases/--exclude")
    elif reason:
        problems.append(f"wstest killed: {reason} (last case started: {state['last_case']})")
    elif rc != 0:
        problems.append(f"wstest exited with status {rc} (see {log_path})")
    if state["connfail"]:
        problems.append(f"wstest could not connect to {args.url}: {state['connfail']} "
                        "(the remaining cases were not run)")
    if state["traceback"]:
        print(f"  WARNING: {log_path} contains a Python traceback")

    index_path = os.path.join(outdir, "index.json")
    results = read_index(index_path, agent, problems)
    if not os.path.exists(index_path) and not reason:
        problems.append(f"wstest wrote no {index_path} (see {log_path})")

    expected = state["expected"]
    if expected is None:
        expected = sorted(results, key=case_key)
        if not reason:
            problems.append("could not read the case list from wstest output")
    if not expected and not reason and not problems:
        problems.append("no case matched --cases/--exclude")

    passed, failed, counts = [], [], {}
    for cid in sorted(set(expected) | set(results), key=case_key):
        r = results.get(cid)
        if r is None:
            failed.append((cid, "NO RESULT", "-", None,
                           "case missing from report" + (" (wstest killed)" if reason else "")))
            continue
        beh, bclose = r.get("behavior"), r.get("behaviorClose")
        counts[beh] = counts.get(beh, 0) + 1
        unimpl_ok = args.allow_unimplemented and beh == "UNIMPLEMENTED"
        ok_beh = beh in PASS_BEHAVIOR or unimpl_ok
        ok_close = bclose in PASS_CLOSE or unimpl_ok
        if ok_beh and ok_close:
            passed.append(cid)
        else:
            failed.append((cid, beh, bclose, r.get("remoteCloseCode"),
                           failure_detail(outdir, r, ok_beh, ok_close)))

    for cid, beh, bclose, code, detail in failed:
        print(f"  FAIL {cid:<8} behavior={beh:<13} close={bclose:<16} code={code!s:<5} {detail}")
    for p in problems:
        print(f"  ERROR {p}")
    if args.slowest > 0 and results:
        slow = sorted(results.items(), key=lambda kv: -duration_ms(kv[1]))[:args.slowest]
        print("  slowest: " + ", ".join(f"{cid} {duration_ms(r) / 1000.0:.1f}s"
                                        for cid, r in slow))
    html = os.path.join(outdir, "index.html")
    print("  behaviors: " + (", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "-")
          + f"; wstest {elapsed:.1f}s" + (f"; report {html}" if os.path.exists(html) else ""))

    n_failed = len(failed) or (1 if problems else 0)
    summary = {"agent": agent, "url": args.url, "passed": len(passed), "failed": n_failed,
               "elapsed_s": round(elapsed, 1), "behaviors": counts, "problems": problems,
               "failures": [{"case": c, "behavior": b, "behaviorClose": bc,
                             "remoteCloseCode": code, "detail": d}
                            for c, b, bc, code, d in failed]}
    with open(os.path.join(outdir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)

    print(f"autobahn-{agent}: {len(passed)} passed, {n_failed} failed")
    return 0 if n_failed == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("run.py: interrupted; wstest stopped", file=sys.stderr)
        sys.exit(130)
