"""The library tests (tests/test_*.py) again, on both MicroPython interpreters.

pytest has run them under CPython; here each module runs again through the
lws_mp pytest plugin (lws_mp_pytest), in a pytest of its own:

- ``--lws-interpreter=micropython``: the 64-bit unix port from PyPI (the
  newest MicroPython), at its default heap;
- ``--lws-interpreter=board:esp32_generic``: the board interpreter,
  build/board/esp32_generic/micropython (MicroPython 1.25 from Debian's
  source package, 32-bit, lws_mp frozen in; built first if needed), at
  BOARD_SUITE_HEAP.  The library tests size their buffers for the test, not
  for a board (a 70 KB echo buffer, a 200 KB upload), so they get the room
  the 64-bit port has; what a board's heap holds is host_tests/
  test_board_heap.py's job, at the boards' real heaps.
"""

import os
import subprocess
import sys

import pytest

from conftest import ROOT

MODULES = sorted(
    f[:-3] for f in os.listdir(os.path.join(ROOT, "tests"))
    if f.startswith("test_") and f.endswith(".py")
)
BOARD = "esp32_generic"
BOARD_SUITE_HEAP = "2m"
INTERPRETERS = {
    "micropython": ["--lws-interpreter=micropython"],
    "board": ["--lws-interpreter=board:" + BOARD, "--lws-heap=" + BOARD_SUITE_HEAP],
}

_board = []


def board_built():
    """build/board/esp32_generic/micropython, up to date with the sources it
    freezes (tools/board/build.sh); the test fails with its one line if it
    cannot be built."""
    if not _board:
        r = subprocess.run([os.path.join(ROOT, "tools", "board", "build.sh"), BOARD],
                           cwd=ROOT, capture_output=True, text=True, timeout=900)
        lines = (r.stderr.strip() or r.stdout.strip() or "build.sh failed").splitlines()
        _board.append(lines[-1] if r.returncode else None)
    if _board[0]:
        pytest.fail(_board[0], pytrace=False)


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("interp", sorted(INTERPRETERS))
def test_library_module_on_micropython(interp, module):
    if interp == "board":
        board_built()
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           os.path.join("tests", module + ".py")] + INTERPRETERS[interp]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    # 5: nothing collected (a module whose tests all say why they cannot run here)
    assert r.returncode in (0, 5), r.stdout[-6000:] + r.stderr[-2000:]
