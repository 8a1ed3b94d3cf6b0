# What the Cortex-M firmware (tools/qemu/build.sh) freezes: lws_mp without
# its CPython-only and host-only modules, the sans-IO codec tests with their
# support module, and the runner that calls them.
#
# MicroPython's tools/manifestfile.py runs this with the working directory
# set to this file's folder; `python3 tools/qemu/manifest.py --list` (from
# the repository's root) prints the frozen files, for the build's stamp.
import os
import sys

ROOT = "../.."
SKIP_FILES = ("testing.py", "aio.py", "io_watch.py", "_port_cpython.py", "_tls_cpython.py")
SKIP_DIRS = ("__pycache__", "pytest_plugin")
TESTS = ("support.py", "test_chunked.py", "test_http_parser.py", "test_uri.py",
         "test_ws_codec.py", "test_viper.py")


def lws_files(root):
    out = []
    for top, dirs, names in os.walk(os.path.join(root, "lws_mp")):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        rel = os.path.relpath(top, os.path.join(root, "lws_mp"))
        for n in sorted(names):
            if n.endswith(".py") and n not in SKIP_FILES:
                out.append(n if rel == "." else os.path.join(rel, n))
    return out


if "--list" in sys.argv:
    print("\n".join(["lws_mp/" + f for f in lws_files(".")]
                    + ["tests/" + t for t in TESTS] + ["tools/qemu/codec_tests.py"]))
else:
    package("lws_mp", files=lws_files(ROOT), base_path=ROOT)  # noqa: F821
    for t in TESTS:
        module(t, base_path=ROOT + "/tests")  # noqa: F821
    module("codec_tests.py", base_path=".")  # noqa: F821
