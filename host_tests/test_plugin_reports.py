"""What the pytest plugin reports for each kind of outcome on MicroPython.

A module of small tests (a pass, parameters, skips and their reasons, a
crash of the interpreter, a hang, a MemoryError under a capped heap, the
pytest pieces a test may use there, the flash fixture) runs under the
checkout's plugin on the unix port and on the board interpreter; each test
is one pytest item with the outcome and the reason expected of it.
"""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

CASES = '''
import sys

import pytest

MP = sys.implementation.name == "micropython"


def test_passes():
    assert 1 + 1 == 2


@pytest.mark.parametrize("n, word", [(1, "one"), (2, b"two")])
def test_params(n, word):
    assert (n, word) in ((1, "one"), (2, b"two"))


def test_skips_with_reason():
    pytest.skip("not here: on purpose")


def test_asks_for_another_fixture(tmp_path):
    pass


def test_crash():
    if MP:
        import os

        os.system("kill -9 $PPID")  # the interpreter itself


def test_after_the_crash():
    assert True


def test_hangs():
    while MP:
        pass


def test_raises_and_xfail():
    with pytest.raises(ValueError):
        int("not a number")
    pytest.xfail("expected to fail")


@pytest.mark.skipif("lws_interpreter != 'cpython'", reason="a string condition")
def test_string_condition():
    pass


def test_memory_error():
    if MP:
        bytearray(400 * 1024)


@pytest.mark.lws_heap("4m", reason="wants a lot")
def test_heap_mark():
    pass


class TestPlain:
    def test_method(self):
        assert True


def test_output_and_assert_message():
    print("some output for the report")
    assert 1 == 2, "one is not two"


def test_flash(lws_flash):
    lws_flash.write("a/b.txt", "x")
    assert lws_flash.read("a/b.txt") == b"x"
    assert lws_flash.listdir() == ["a"]
    assert lws_flash.littlefs == MP
'''

EXPECT = {
    "test_passes": ("PASSED", None),
    "test_params[1-one]": ("PASSED", None),
    "test_params[2-two]": ("PASSED", None),
    "test_skips_with_reason": ("SKIPPED", "not here: on purpose"),
    "test_asks_for_another_fixture": ("SKIPPED", "fixture 'tmp_path' has no MicroPython side"),
    "test_crash": ("FAILED", "exited with status -9 during this test"),
    "test_after_the_crash": ("PASSED", None),
    "test_hangs": ("FAILED", "within 5s (process killed)"),
    "test_raises_and_xfail": ("XFAIL", "expected to fail"),
    "test_string_condition": ("SKIPPED", "a string condition"),
    "test_memory_error": ("FAILED", "MemoryError"),
    "TestPlain::test_method": ("PASSED", None),
    "test_output_and_assert_message": ("FAILED", "AssertionError: one is not two"),
    "test_flash": ("PASSED", None),
}


def run(tmp_path, *args):
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_cases.py").write_text(CASES)
    # imports on CPython (pytest collects it), not on MicroPython
    (tests / "test_no_import.py").write_text(
        "import sys\n\nif sys.implementation.name == 'micropython':\n"
        "    import no_such_module  # noqa: F401\n\n\ndef test_one():\n    pass\n\n\n"
        "def test_two():\n    pass\n")
    env = dict(os.environ, PYTHONPATH=ROOT, COLUMNS="300")  # no wrapped reasons
    # the checkout's plugin by its module (and not twice, should lws_mp be installed)
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:lws_mp",
                        "-p", "lws_mp_pytest.plugin", "-p", "no:cacheprovider",
                        "-rA", "-v", "--lws-timeout=5",
                        "--lws-board-root", ROOT, "--rootdir", str(tmp_path), "tests"] + list(args),
                       cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    return r.stdout + r.stderr


def outcomes(out):
    """{test name: verbose word} from pytest -v lines."""
    got = {}
    for m in re.finditer(r"^tests/test_cases\.py::(\S+) (PASSED|FAILED|SKIPPED|XFAIL)", out,
                         re.M):
        got[m.group(1)] = m.group(2)
    return got


@pytest.mark.parametrize("interp", ["micropython", "board:esp32_generic"])
def test_each_outcome_is_reported_per_test(tmp_path, interp):
    out = run(tmp_path, "--lws-interpreter=" + interp, "--lws-heap=256k")
    got = outcomes(out)
    expect = dict(EXPECT)
    if interp.startswith("board"):
        # a 32-bit interpreter: the lws_heap mark applies (the 64-bit port ignores it)
        expect["test_heap_mark"] = ("SKIPPED", "needs 4096.0k of heap on a 32-bit interpreter "
                                    "(wants a lot); %s has 256.0k" % interp)
    else:
        expect["test_heap_mark"] = ("PASSED", None)
    assert got == {k: v[0] for k, v in expect.items()}, out
    for name, (_, text) in expect.items():
        if text:
            assert text in out, (name, text, out)
    # passing tests show their heap on their line and in the summary
    assert re.search(r"test_passes PASSED \[heap [\d.]+k\]", out), out
    assert "lws_mp heap on %s" % interp in out, out
    # the failure's report: the interpreter's traceback, then the test's output
    block = out[out.index("_ test_output_and_assert_message _"):]
    assert block.index(interp + " traceback:") < block.index("some output for the report"), out
    assert 'in test_output_and_assert_message\n    assert 1 == 2, "one is not two"' in block
    # a module that does not import fails each of its tests with the reason
    assert out.count("importing test_no_import on %s failed" % interp) >= 2, out
    assert "no module named 'no_such_module'" in out, out


def test_cpython_runs_them_as_pytest_always_does(tmp_path):
    out = run(tmp_path)
    got = outcomes(out)
    assert got["test_crash"] == "PASSED" and got["test_hangs"] == "PASSED", out
    assert got["test_string_condition"] == "PASSED", out
    assert got["test_asks_for_another_fixture"] == "PASSED", out
    assert got["test_output_and_assert_message"] == "FAILED", out
    assert "lws_mp heap on" not in out
