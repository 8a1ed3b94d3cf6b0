"""docs/ against the tree: every test a page cites exists, and docs/API.md
names every public name and every callback reason.

- A citation is ``path::test_name`` (``tests/...py``, ``host_tests/...py``),
  ``path`` alone, or ``::test_name`` after a path earlier in the same
  paragraph or table row (docs/CLIENT.md's shorthand).  The file must exist
  and, with a name, define it (``def`` or ``async def``, at module level or in
  a class; ``*`` matches as in a shell, ``[...]`` parameters are dropped).
- A page that writes a sample project (docs/TESTING.md: ``<!-- file: PATH -->``
  above a code block) may cite that project's files: PATH is looked up in
  its code block instead of the tree.
- A backquoted path into the tree (``lws_mp/core/context.py``,
  ``firmware/apps/``, ``tools/...``) must exist too: a module that moved
  leaves no stale path behind.  ``build/`` (made by the build) is left out,
  and so is a path with a placeholder in capitals (``boards/NAME``).
- Every name of ``lws_mp/__init__.py``'s ``_WHERE`` and every
  ``LWS_CALLBACK_*`` of ``lws_mp/core/consts.py`` appears in docs/API.md,
  spelt in full.

The checks are functions of the text, so the test plants wrong citations in a
copy and sees them reported.
"""

import ast
import fnmatch
import glob
import os
import re
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")

# folders of the tree a backquoted path may point into
TREE_DIRS = ("tests", "host_tests", "lws_mp", "lws_mp_pytest", "firmware", "tools",
             "boards", "benchmarks", "mk", "docs")

_TEST_FILE = r"(?:host_tests|tests)/[\w/.-]*?\.py"
_NAME = r"[A-Za-z_*][\w*]*(?:\[[^\]`]*\])?"
# a test file, optionally with ::name, or ::name alone
_CITE = re.compile(r"(?<![\w/.-])(%s)?::(%s)|(?<![\w/.-])(%s)(?![\w/-])" % (
    _TEST_FILE, _NAME, _TEST_FILE))
_TICKED = re.compile(r"`([^`\n]+)`")
_TREE_PATH = re.compile(r"^(?:%s)/[\w/.*-]*$" % "|".join(TREE_DIRS))
_PLACEHOLDER = re.compile(r"(?:^|/)[A-Z][A-Z_]+(?:/|$|\.)")


def _names_in(source, where):
    names = set()
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _defined_names(path):
    with open(path) as f:
        return _names_in(f.read(), path)


_SAMPLE = re.compile(r"<!-- file: (\S+) -->\n```\w*\n(.*?)\n```", re.S)


def sample_files(text):
    """{path: source} of the files a page writes (``<!-- file: PATH -->``)."""
    return {m.group(1): m.group(2) for m in _SAMPLE.finditer(text)}


def _blocks(text):
    """(first line number, lines) of each paragraph: a table row is a line
    of its own, so it is a block of its own."""
    block, start = [], 1
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip() or line.lstrip().startswith("|"):
            if block:
                yield start, block
            block = []
            if line.strip():
                yield n, [line]
            continue
        if not block:
            start = n
        block.append(line)
    if block:
        yield start, block


def citation_problems(text, root, where="doc"):
    """What is wrong with the test citations in ``text`` (a page), as lines."""
    problems = []
    samples = sample_files(text)
    cache = {}
    for start, lines in _blocks(text):
        last_file = None
        for k, line in enumerate(lines):
            for m in _CITE.finditer(line):
                path, name = m.group(1), m.group(2)
                if m.group(3):
                    path, name = m.group(3), None
                here = "%s:%d" % (where, start + k)
                if path is None:
                    if last_file is None:
                        problems.append("%s: ::%s with no file before it" % (here, name))
                        continue
                    path = last_file
                last_file = path
                full = os.path.join(root, path)
                if path not in samples and not os.path.isfile(full):
                    problems.append("%s: %s does not exist" % (here, path))
                    continue
                if name is None:
                    continue
                bare = name.split("[", 1)[0]
                if path not in cache:
                    cache[path] = (_names_in(samples[path], path) if path in samples
                                   else _defined_names(full))
                defined = cache[path]
                if "*" in bare:
                    found = fnmatch.filter(sorted(defined), bare)
                else:
                    found = bare in defined
                if not found:
                    problems.append("%s: %s has no %s" % (here, path, bare))
    return problems


def path_problems(text, root, where="doc"):
    """Backquoted paths into the tree that are not there."""
    problems = []
    for n, line in enumerate(text.split("\n"), 1):
        for m in _TICKED.finditer(line):
            for word in m.group(1).split():
                word = word.rstrip(",;:)").split("::", 1)[0]
                if not _TREE_PATH.match(word) or "<" in word or _PLACEHOLDER.search(word):
                    continue
                if "*" in word:
                    if not glob.glob(os.path.join(root, word)):
                        problems.append("%s:%d: nothing matches %s" % (where, n, word))
                elif not os.path.exists(os.path.join(root, word)):
                    problems.append("%s:%d: %s does not exist" % (where, n, word))
    return problems


def _pages(docs=DOCS):
    for name in sorted(os.listdir(docs)):
        if name.endswith(".md"):
            with open(os.path.join(docs, name)) as f:
                yield "docs/" + name, f.read()


def where_names(root=ROOT):
    """The public names of lws_mp/__init__.py's _WHERE (read, not imported)."""
    with open(os.path.join(root, "lws_mp", "__init__.py")) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "_WHERE" for t in node.targets):
            table = ast.literal_eval(node.value)
            return sorted(n for _, names in table for n in names.split())
    raise AssertionError("lws_mp/__init__.py has no _WHERE")


def callback_reasons(root=ROOT):
    """Every LWS_CALLBACK_* name lws_mp.core.consts defines."""
    import sys
    sys.path.insert(0, root)
    try:
        from lws_mp.core import consts
    finally:
        sys.path.remove(root)
    return sorted(n for n in consts.names() if n.startswith("LWS_CALLBACK_"))


def missing_from_api(api_text, names):
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", api_text))
    return [name for name in names if name not in words]


# --- the tree's own docs ---


def test_every_cited_test_exists():
    problems = []
    for where, text in _pages():
        problems += citation_problems(text, ROOT, where)
    assert not problems, "\n".join(problems)


def test_every_backquoted_path_into_the_tree_exists():
    problems = []
    for where, text in _pages():
        problems += path_problems(text, ROOT, where)
    assert not problems, "\n".join(problems)


def test_api_md_names_every_public_name():
    with open(os.path.join(DOCS, "API.md")) as f:
        api = f.read()
    names = where_names()
    assert len(names) > 80
    missing = missing_from_api(api, names)
    assert not missing, "docs/API.md does not name: %s" % " ".join(missing)


def test_api_md_names_every_callback_reason():
    with open(os.path.join(DOCS, "API.md")) as f:
        api = f.read()
    reasons = callback_reasons()
    assert "LWS_CALLBACK_HTTP" in reasons and len(reasons) > 50
    missing = missing_from_api(api, reasons)
    assert not missing, "docs/API.md does not name: %s" % " ".join(missing)


# --- the checks catch what they are for (in a copy, never in the tree) ---


def _copy_of_the_tree(tmp_path):
    root = tmp_path / "tree"
    shutil.copytree(os.path.join(ROOT, "docs"), str(root / "docs"))
    for d in ("tests", "host_tests"):
        os.makedirs(str(root / d))
        for name in os.listdir(os.path.join(ROOT, d)):
            if name.endswith(".py"):
                shutil.copy(os.path.join(ROOT, d, name), str(root / d / name))
    os.makedirs(str(root / "lws_mp"))
    shutil.copy(os.path.join(ROOT, "lws_mp", "__init__.py"), str(root / "lws_mp"))
    return str(root)


def _api_problems(root):
    with open(os.path.join(root, "docs", "API.md")) as f:
        return citation_problems(f.read(), root, "docs/API.md")


def test_the_copy_is_clean_then_planted_citations_are_caught(tmp_path):
    root = _copy_of_the_tree(tmp_path)
    assert _api_problems(root) == []
    with open(os.path.join(root, "docs", "API.md"), "a") as f:
        f.write("\n| planted | `tests/test_limits.py::test_no_such_test` |\n"
                "\nA paragraph citing `tests/test_no_such_file.py` and\n"
                "`host_tests/test_http_clients.py::test_404_keeps_the_connection`,\n"
                "`::test_not_there_either`.\n"
                "\n`::test_with_no_file` alone.\n"
                "\n| glob | `tests/test_client_ws_raw.py::test_nothing_like_*` |\n")
    problems = "\n".join(_api_problems(root))
    assert "tests/test_limits.py has no test_no_such_test" in problems
    assert "tests/test_no_such_file.py does not exist" in problems
    assert "host_tests/test_http_clients.py has no test_not_there_either" in problems
    assert "::test_with_no_file with no file before it" in problems
    assert "has no test_nothing_like_*" in problems
    assert "test_404_keeps_the_connection" not in problems


def test_a_removed_or_renamed_test_is_caught(tmp_path):
    root = _copy_of_the_tree(tmp_path)
    api = os.path.join(root, "docs", "API.md")
    # host_tests/test_heap_cap.py went: a page that still cited it fails
    with open(api, "a") as f:
        f.write("\n`host_tests/test_heap_cap.py::test_mirror_fan_out_under_heap_cap`\n")
    with open(api) as f:
        last = f.read().count("\n")
    assert _api_problems(root) == [
        "docs/API.md:%d: host_tests/test_heap_cap.py does not exist" % last]
    # a test renamed in its file: each page's citation of the old name fails
    name = "test_full_fd_table_stops_accepting_and_serves_the_waiters_as_slots_free"
    path = os.path.join(root, "tests", "test_limits.py")
    with open(path) as f:
        src = f.read()
    assert "def %s(" % name in src
    with open(path, "w") as f:
        f.write(src.replace("def %s(" % name, "def test_renamed("))
    with open(api) as f:
        cited = f.read().count("tests/test_limits.py::" + name)
    assert cited >= 1
    renamed = [p for p in _api_problems(root) if p.endswith("has no " + name)]
    assert len(renamed) == cited


def test_stale_paths_and_missing_names_are_caught(tmp_path):
    root = _copy_of_the_tree(tmp_path)
    text = ("`lws_mp/consts.py` and `lws_mp/core/consts.py`, `build/tls/`, `tests/*.py`,\n"
            "`boards/NAME/board.py`, `host_tests/test_heap_cap.py`, `tools/*.nope`\n")
    assert path_problems(text, ROOT, "x") == [
        "x:1: lws_mp/consts.py does not exist",
        "x:2: host_tests/test_heap_cap.py does not exist",
        "x:2: nothing matches tools/*.nope"]
    api = "lws_create_context, `ESTABLISHED` (0), LWS_CALLBACK_HTTP\n"
    assert missing_from_api(api, ["lws_create_context", "lws_service",
                                  "LWS_CALLBACK_ESTABLISHED", "LWS_CALLBACK_HTTP",
                                  "LWS_CALLBACK_RECEIVE"]) == [
        "lws_service", "LWS_CALLBACK_ESTABLISHED", "LWS_CALLBACK_RECEIVE"]
    assert "lws_create_context" in where_names(root)


def test_a_pages_own_sample_files_are_checked_against_the_page():
    page = ("<!-- file: tests/test_sample.py -->\n```python\ndef test_one():\n    pass\n```\n"
            "\nRun `tests/test_sample.py::test_one` and `tests/test_sample.py::test_two`.\n")
    assert citation_problems(page, ROOT, "p") == [
        "p:7: tests/test_sample.py has no test_two"]
