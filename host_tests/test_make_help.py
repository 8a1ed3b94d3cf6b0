"""`make help` lists every target the Makefile and mk/*.mk define, with the
variables of `make run`; `make` alone prints that list and builds nothing.

The targets are found here by reading the makefiles (rule lines), apart
from tools/make_help.py, so a target the help leaves out fails the test.
"""

import glob
import os
import re
import subprocess

from conftest import ROOT

RULE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.+-]*(?:[ \t]+[A-Za-z0-9][A-Za-z0-9_.+-]*)*)"
                  r"[ \t]*::?(?![=:])")


def makefiles():
    return [os.path.join(ROOT, "Makefile")] + sorted(glob.glob(os.path.join(ROOT, "mk", "*.mk")))


def defined_targets():
    names = set()
    for path in makefiles():
        with open(path) as f:
            for line in f:
                if line.startswith(("\t", "#")):
                    continue
                m = RULE.match(line)
                if m:
                    names.update(t for t in m.group(1).split() if not t.startswith("."))
    return names


def make(*args):
    r = subprocess.run(["make", "--no-print-directory"] + list(args), cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def listed(out):
    """The target names at the start of the help's lines."""
    return {m.group(1) for m in re.finditer(r"^  ([A-Za-z0-9][A-Za-z0-9_.+-]*)  ", out, re.M)}


def test_targets_are_found():
    # the parse above finds what is certainly there, so that an empty
    # parse cannot pass the tests below
    assert {"run", "test", "help", "all", "pytest", "bench"} <= defined_targets()


def test_make_help_lists_every_target():
    rc, out, err = make("help")
    assert rc == 0, err
    missing = defined_targets() - listed(out)
    assert not missing, "make help leaves out %s:\n%s" % (sorted(missing), out)


def test_make_help_lists_the_variables_of_run():
    rc, out, err = make("help")
    assert rc == 0, err
    run = out[out.index("\n  run "):]
    run = run[:re.search(r"\n  [A-Za-z]", run[1:]).start() + 1]
    for var, default in (("APP", "fileserver"), ("PORT", "8080"), ("IFACE", "127.0.0.1"),
                         ("PY", "micropython"), ("HEAP", ""), ("BOARD", ""), ("ARGS", "")):
        assert re.search(r"^ +%s=%s +\S" % (var, re.escape(default)), run, re.M), (var, run)


def test_make_alone_prints_the_help_and_runs_nothing():
    rc, out, err = make()
    assert rc == 0, err
    assert out == make("help")[1]
    # the dry run: `make` alone has no recipe but the help's
    rc, dry, err = make("-n")
    assert rc == 0, err
    assert [x for x in dry.splitlines() if x.strip()] == [
        x for x in make("-n", "help")[1].splitlines() if x.strip()]
    assert "pytest" not in dry and "ruff" not in dry


def test_all_still_runs_everything():
    rc, dry, err = make("-n", "all")
    assert rc == 0, err
    assert "ruff check" in dry and "pytest" in dry
