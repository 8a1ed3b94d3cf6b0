"""Write package.json: lws_mp for `mpremote mip install`.

    python3 tools/mip/make_package_json.py      (writes package.json at the root)

mip copies what package.json lists: every lws_mp module a board runs, the
same set the boards' manifests freeze (boards/*/manifest.py: lws_mp less
testing.py, aio.py and _port_cpython.py).  From a checkout:

    mpremote mip install package.json

host_tests/test_readme.py fails when package.json is not what this writes.
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP = ("testing.py", "aio.py", "_port_cpython.py")


def board_files(root=ROOT):
    """lws_mp's modules a board runs, as paths from the checkout's root."""
    out = []
    for top, dirs, names in os.walk(os.path.join(root, "lws_mp")):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for n in sorted(names):
            if n.endswith(".py") and n not in SKIP:
                out.append(os.path.relpath(os.path.join(top, n), root).replace(os.sep, "/"))
    return sorted(out)


def version(root=ROOT):
    with open(os.path.join(root, "pyproject.toml")) as f:
        for line in f:
            if line.startswith("version"):
                return line.split("=", 1)[1].strip().strip('"')
    return "0"


def package_json(root=ROOT):
    """The text of package.json: one module a line, for readable diffs."""
    urls = ",\n".join("    " + json.dumps([p, p]) for p in board_files(root))
    return '{\n  "version": %s,\n  "urls": [\n%s\n  ]\n}\n' % (json.dumps(version(root)), urls)


if __name__ == "__main__":
    path = os.path.join(ROOT, "package.json")
    with open(path, "w") as f:
        f.write(package_json())
    sys.stdout.write("package.json: %d modules\n" % len(board_files()))
