"""The layers of lws_mp: every import points down a layer, never up, and
nothing imports inside a function on a hot path.

    codec/  imports only codec/ (sans-IO: no socket, clock or file)
    plat/   imports only plat/
    core/   core/, codec/, plat/ -- never a role (roles are reached through
            the role-ops table)
    roles/  roles/, core/, codec/, plat/
    the package itself and its adapters (testing, aio): anything
"""

import os

import support

import lws_mp

# what each layer may import from lws_mp
ALLOWED = {
    "codec": ("codec",),
    "plat": ("plat",),
    "core": ("core", "codec", "plat"),
    "roles": ("roles", "core", "codec", "plat"),
}
LAYERS = ("codec", "core", "roles", "plat")

# function-level imports that are allowed, and why
LOCAL_IMPORTS_ALLOWED = (
    # micropython (its const and native) with CPython fallbacks, at module level under try
    ("codec/__init__.py", "import micropython"),
    ("codec/__init__.py", "from micropython import const"),
    # the list of every constant's name, for star-import on CPython only
    ("core/consts.py", "from ..codec.token_names import HEADER_TOKEN_NAMES"),
    # the parser's plain byte loops, for a parser given no machine-code ones
    # (CPython): a board, given _viper's, never loads them
    ("codec/http_parser.py", "from . import plain_scan as scan"),
)


def _root():
    f = getattr(lws_mp, "__file__", None)
    if not f:
        support.skip("lws_mp is frozen into this interpreter: its sources are not files here")
    return f.rsplit("/", 1)[0]


def _is_dir(path):
    return os.stat(path)[0] & 0x4000 != 0


def _sources():
    """(path relative to lws_mp/, text) of every module."""
    root = _root()
    out = []
    for entry in sorted(os.listdir(root)):
        p = root + "/" + entry
        if _is_dir(p) and entry in LAYERS:
            for f in sorted(os.listdir(p)):
                if f.endswith(".py"):
                    with open(p + "/" + f) as fh:
                        out.append((entry + "/" + f, fh.read()))
        elif entry.endswith(".py"):
            with open(p) as fh:
                out.append((entry, fh.read()))
    return out


def _imports(rel, text):
    """(line number, statement, layer imported or None for outside lws_mp)."""
    here = rel.split("/")[0] if "/" in rel else None
    found = []
    for n, line in enumerate(text.split("\n")):
        s = line.strip()
        if not (s.startswith("from ") or s.startswith("import ")):
            continue
        words = s.split()
        target = words[1]
        if target.startswith("lws_mp"):
            parts = target.split(".")
            layer = parts[1] if len(parts) > 1 and parts[1] in LAYERS else "top"
        elif target.startswith(".."):
            name = target[2:].split(".")[0]
            layer = name if name in LAYERS else "top"
        elif target.startswith("."):
            if here is None:  # the package's own module: ".core.x"
                name = target[1:].split(".")[0]
                layer = name if name in LAYERS else "top"
            else:
                layer = here
        else:
            layer = None
        found.append((n + 1, line, s, layer))
    return found


def test_every_import_points_down_a_layer():
    checked = 0
    bad = []
    for rel, text in _sources():
        if "/" not in rel:
            continue  # the top: lws_mp/__init__, testing, aio
        here = rel.split("/")[0]
        for n, _, s, layer in _imports(rel, text):
            if layer is None:
                continue
            checked += 1
            if layer not in ALLOWED[here]:
                bad.append("%s:%d %s (%s imports %s)" % (rel, n, s, here, layer))
    assert not bad, "imports that point up a layer:\n" + "\n".join(bad)
    assert checked > 60


def test_the_core_never_names_a_role_module():
    # not by a relative import, nor by a string for __import__: the
    # role-ops table is the only way in
    for rel, text in _sources():
        if rel.startswith("core/"):
            for sign in ("..roles", "\"roles.", "'roles.", "lws_mp.roles\""):
                assert sign not in text, (rel, sign)


def test_no_import_inside_a_function_outside_the_allowed_places():
    bad = []
    for rel, text in _sources():
        if "/" not in rel or rel.startswith("plat/"):
            # the top loads names on first use; plat/_port picks each
            # interpreter's half under if/else at module level
            continue
        for n, line, s, _layer in _imports(rel, text):
            if line.startswith(" ") and (rel, s) not in LOCAL_IMPORTS_ALLOWED:
                bad.append("%s:%d %s" % (rel, n, s))
    assert not bad, "function-level imports:\n" + "\n".join(bad)


def test_modules_stay_small():
    big = []
    for rel, text in _sources():
        n = text.count("\n")
        if n > 500:
            big.append("%s: %d lines" % (rel, n))
    assert not big, big
