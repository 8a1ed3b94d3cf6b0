# What the rp2_pico_w firmware freezes into flash: firmware/boot.py, main.py,
# runner.py, the apps (firmware/apps), its board.py, and the lws_mp package
# less its CPython-only and host-only modules (testing.py, aio.py and its
# io_watch.py, _port_cpython.py, _tls_cpython.py).
# The package is walked, so new modules and subpackages are frozen as they come.
#
# A real firmware, from a MicroPython source tree with its submodules
# ($LWS is this repository's root):
#   make -C ports/rp2 BOARD=RPI_PICO_W FROZEN_MANIFEST=$LWS/boards/rp2_pico_w/manifest.py
# FROZEN_MANIFEST replaces the board's default manifest, so this one includes
# it first: RPI_PICO_W's own (the rp2 port's, networking, aioble).
#
# The board interpreter (a 32-bit unix port, tools/board/build.sh) includes
# this file with port_manifest=False and brings asyncio from extmod itself:
#   make board-interpreter BOARD=rp2_pico_w
#
# MicroPython's tools/manifestfile.py runs this with the working directory
# set to this file's folder (there is no __file__), so paths are relative.
import os

options.defaults(port_manifest=True)
if options.port_manifest:
    include("$(BOARD_DIR)/manifest.py")

module("boot.py", base_path="../../firmware")
module("main.py", base_path="../../firmware")
module("runner.py", base_path="../../firmware")
package("apps", base_path="../../firmware")
# this board's sizes (boards/rp2_pico_w/board.py), for firmware/main.py --board
package("boards", files=["__init__.py", "rp2_pico_w/__init__.py", "rp2_pico_w/board.py"],
        base_path="../..")

SKIP = ("testing.py", "aio.py", "io_watch.py", "_port_cpython.py", "_tls_cpython.py")
lws_files = []
for top, dirs, names in os.walk("../../lws_mp"):
    dirs[:] = sorted(d for d in dirs if d != "__pycache__")
    rel = os.path.relpath(top, "../../lws_mp")
    for n in sorted(names):
        if n.endswith(".py") and n not in SKIP:
            lws_files.append(n if rel == "." else os.path.join(rel, n))
package("lws_mp", files=lws_files, base_path="../..")
