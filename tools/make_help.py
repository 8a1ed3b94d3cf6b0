"""`make help`: every target of the Makefile and mk/*.mk, with its variables.

    python3 tools/make_help.py Makefile mk/board.mk ... [-- VAR=value ...]

make passes $(MAKEFILE_LIST) and, after ``--``, the values the variables
named in ``##`` lines have (make's own, not the text of their assignments).

A target is documented by a block of ``##`` lines right above its rule: the
first line says what it does, each following ``##   VAR  text`` line names a
variable it takes (its default, from the makefiles' ``VAR ?= value``, is
shown beside it: the value make passed, else the
text of its ``VAR ?= value``).  A target without one is still listed, with the first line
of the ``#`` comment above its rule, or else its usage line from the file's
header (``#   make TARGET [VAR=...]  text``).  Nothing here is hand-kept
apart from the makefiles, so a new target shows up by itself.
"""

import re
import sys

RULE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.+-]*(?:[ \t]+[A-Za-z0-9][A-Za-z0-9_.+-]*)*)"
                  r"[ \t]*::?(?![=:])(.*)$")
ASSIGN = re.compile(r"^(?:override[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*(\?=|:=|::=|=)[ \t]*(.*)$")
USAGE = re.compile(r"^#\s+make\s+([A-Za-z0-9][A-Za-z0-9_.+-]*)\s*(.*)$")
BRACKET = re.compile(r"\[([A-Za-z_][A-Za-z0-9_]*)=?([^\]]*)\]")


def parse(paths):
    """[(target, file, doc, [(var, text)])] in the makefiles' order, and
    {var: default}."""
    targets, seen, defaults, usage = [], set(), {}, {}
    for path in paths:
        with open(path) as f:
            lines = f.read().split("\n")
        title = _title(lines)
        for line in lines:
            m = USAGE.match(line)
            if m and m.group(1) not in usage:
                rest = m.group(2)
                variables = [(v, t) for v, t in BRACKET.findall(rest)]
                text = BRACKET.sub("", rest).strip()
                usage[m.group(1)] = (text or title, variables)
        block = []  # the comment lines right above the current line
        for line in lines:
            if line.startswith("#"):
                block.append(line)
                continue
            m = ASSIGN.match(line)
            if m and not line.startswith("\t"):
                if m.group(2) == "?=" or m.group(1) not in defaults:
                    defaults[m.group(1)] = m.group(3).split(" #")[0].strip()
            m = None if line.startswith("\t") else RULE.match(line)
            if m:
                doc, variables = _doc(block, m.group(2))
                for t in m.group(1).split():
                    if t.startswith(".") or t in seen:
                        continue
                    seen.add(t)
                    if not doc and t in usage:
                        doc, variables = usage[t]
                    targets.append([t, path, doc, variables])
            if not line.startswith("\t"):
                block = []
    return targets, defaults


def _title(lines):
    """The first sentence of a file's header comment."""
    words = []
    for line in lines:
        text = line[1:].strip() if line.startswith("#") else ""
        if not text:
            break
        words.append(text)
    return " ".join(words).split(". ")[0].rstrip(".")


def _doc(block, rest):
    """The doc of a rule from the comments above it (and a trailing ##)."""
    marked = [b[2:] for b in block if b.startswith("##")]
    if marked:
        variables = []
        for v in marked[1:]:
            parts = v.strip().split(None, 1)
            if parts:
                variables.append((parts[0], parts[1] if len(parts) > 1 else ""))
        return marked[0].strip(), variables
    if "##" in rest:
        return rest.split("##", 1)[1].strip(), []
    plain = [b.lstrip("#").strip() for b in block if b.lstrip("#").strip()]
    return (plain[0] if plain else ""), []


def render(targets, defaults):
    out = ["make [TARGET] [VAR=value ...]    (`make` alone prints this list)", ""]
    width = max(len(t[0]) for t in targets) + 2
    for name, path, doc, variables in targets:
        where = "" if path == "Makefile" else "(%s) " % path
        out.append("  %-*s %s%s" % (width, name, where, doc))
        for var, text in variables:
            shown = "%s=%s" % (var, defaults.get(var, ""))
            out.append("  %-*s     %-22s %s" % (width, "", shown, text))
    return "\n".join(out)


if __name__ == "__main__":
    args = sys.argv[1:]
    cut = args.index("--") if "--" in args else len(args)
    paths = [p for p in args[:cut] if not p.startswith("/")]  # not make's own includes
    targets, defaults = parse(paths)
    defaults.update(a.split("=", 1) for a in args[cut + 1:] if "=" in a)
    print(render(targets, defaults))
