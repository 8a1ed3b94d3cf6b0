"""Build the device UI's assets: minified, and gzipped beside (name.gz).

    python3 tools/device/build_assets.py [SRC] [OUT]

SRC defaults to firmware/apps/device/www, OUT to build/device/www.  Each
file is written minified and as ``name.gz`` (gzip -9, mtime 0: the same
input gives the same bytes); lws_mp's file serving sends the .gz to
clients that accept gzip, with an ETag.  The whole UI, gzipped, must stay
within BUDGET bytes: over it, the build fails.

The minifier is deliberately simple, and safe for what it is given:
comments go, and the whitespace that carries no meaning (indentation,
blank lines, spaces around CSS punctuation).  Line breaks stay in
JavaScript, so no statement ever depends on automatic semicolons across a
joined line.  It knows strings ('...', "...", `...`) but not regular
expression literals: the UI's script uses none (build_js refuses a line
that looks like one).
"""

import gzip
import os
import re
import sys

BUDGET = 24 * 1024  # gzipped bytes for the whole UI


def _strip_js_comments(src):
    out = []
    i = 0
    n = len(src)
    quote = None
    while i < n:
        c = src[i]
        if quote:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(src[i + 1])
                i += 2
                continue
            if c == quote:
                quote = None
            i += 1
            continue
        if c in "'\"`":
            quote = c
            out.append(c)
            i += 1
            continue
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            if j < 0:
                raise ValueError("unterminated comment")
            i = j + 2
            continue
        out.append(c)
        i += 1
    if quote:
        raise ValueError("unterminated string")
    return "".join(out)


_REGEX_HINT = re.compile(r"(^|[=(,:!&|?{};])\s*/[^/*]")


def build_js(src):
    for ln, line in enumerate(src.splitlines(), 1):
        code = line.split("//", 1)[0] if "\"" not in line and "'" not in line else line
        if _REGEX_HINT.search(code):
            raise ValueError("line %d looks like a regular expression literal: "
                             "the minifier does not handle those" % ln)
    lines = (ln.strip() for ln in _strip_js_comments(src).splitlines())
    return "\n".join(ln for ln in lines if ln) + "\n"


def build_css(src):
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src = re.sub(r"\s+", " ", src)
    src = re.sub(r"\s*([{};,>])\s*", r"\1", src)
    src = re.sub(r":\s+", ":", src)
    src = src.replace(";}", "}")
    return src.strip() + "\n"


def build_html(src):
    src = re.sub(r"<!--.*?-->", "", src, flags=re.S)
    lines = (ln.strip() for ln in src.splitlines())
    return "\n".join(ln for ln in lines if ln) + "\n"


BUILDERS = {".js": build_js, ".css": build_css, ".html": build_html}


def build(src_dir, out_dir, budget=BUDGET, quiet=False):
    """Build every asset; returns {name: (raw, minified, gzipped) sizes}."""
    os.makedirs(out_dir, exist_ok=True)
    sizes = {}
    for name in sorted(os.listdir(src_dir)):
        path = os.path.join(src_dir, name)
        if not os.path.isfile(path) or name.startswith("."):
            continue
        with open(path, "rb") as f:
            raw = f.read()
        fn = BUILDERS.get(os.path.splitext(name)[1])
        data = fn(raw.decode("utf-8")).encode("utf-8") if fn else raw
        gz = gzip.compress(data, 9, mtime=0)
        for n, d in ((name, data), (name + ".gz", gz)):
            out = os.path.join(out_dir, n)
            old = None
            if os.path.exists(out):
                with open(out, "rb") as f:
                    old = f.read()
            if old != d:  # unchanged files keep their mtime, so their ETag
                with open(out, "wb") as f:
                    f.write(d)
        sizes[name] = (len(raw), len(data), len(gz))
    total = sum(s[2] for s in sizes.values())
    if not quiet:
        for name, (raw, mini, gz) in sizes.items():
            print("  %-12s %6d -> %6d bytes, %6d gzipped" % (name, raw, mini, gz))
        print("device UI: %d bytes gzipped (budget %d)" % (total, budget))
    if total > budget:
        raise SystemExit("device UI is %d bytes gzipped, over its budget of %d" % (total, budget))
    return sizes


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    src = argv[0] if argv else os.path.join(root, "firmware", "apps", "device", "www")
    out = argv[1] if len(argv) > 1 else os.path.join(root, "build", "device", "www")
    build(src, out)


if __name__ == "__main__":
    main(sys.argv[1:])
