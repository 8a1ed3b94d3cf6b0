"""The sans-IO codec tests and the viper byte loops on an emulated ARM
Cortex-M (qemu-system-arm, MPS2-AN385), frozen as armv6m code: the unmask
and UTF-8 helpers run as the Thumb machine code an RP2040 runs.

The firmware is built by ``make qemu-firmware`` (make test does it first).
"""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

ELF = os.path.join(ROOT, "build", "qemu", "firmware.elf")


def test_codec_tests_pass_on_an_emulated_cortex_m():
    if not os.path.exists(ELF):
        pytest.fail("no Cortex-M firmware at %s: `make qemu-firmware` builds it" % ELF)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "qemu", "run.py"), ELF,
                        "--timeout", "180"], cwd=ROOT, capture_output=True, text=True,
                       timeout=240)
    out = r.stdout
    assert "with Cortex-M3" in out, out[-2000:]
    m = re.search(r"(\d+) passed, (\d+) failed, (\d+) skipped", out)
    assert m, out[-3000:]
    passed, failed = int(m.group(1)), int(m.group(2))
    assert failed == 0 and r.returncode == 0, out[-4000:]
    # every codec module ran: the frame, UTF-8 and unmask tests among them
    for name in ("test_chunked", "test_uri", "test_ws_codec", "test_http_parser",
                 "test_viper"):
        assert "PASS %s " % name in out, name
    assert passed >= 50
