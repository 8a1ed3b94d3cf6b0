"""The library tests (tests/test_*.py) again, on the real MicroPython unix
port: pytest has run them under CPython; here each module runs under
``micropython tests/mp_runner.py``."""

import os
import subprocess

import pytest

from conftest import MICROPYTHON, ROOT

MODULES = sorted(
    f[:-3] for f in os.listdir(os.path.join(ROOT, "tests"))
    if f.startswith("test_") and f.endswith(".py")
)


def run_mp(module, heap=None, timeout=300):
    cmd = [MICROPYTHON]
    if heap:
        cmd += ["-X", "heapsize=%s" % heap]
    cmd += [os.path.join(ROOT, "tests", "mp_runner.py"), module]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("module", MODULES)
def test_library_module_on_micropython(module):
    r = run_mp(module)
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    assert r.returncode == 0 and " 0 failed" in last, r.stdout[-4000:] + r.stderr[-2000:]
