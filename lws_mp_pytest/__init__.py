"""lws_mp's pytest plugin: one test source, run on CPython, on the
MicroPython unix port and on a board interpreter.

pytest loads it through the ``pytest11`` entry point of the lws_mp
distribution (plugin.py); fixtures.py is the fixtures' code for both
interpreters, mp_main.py the MicroPython end, shim/pytest.py what a test
module may use of pytest on MicroPython.  Host-side only: a board's
firmware never holds this package (the board manifests freeze lws_mp/).
See docs/TESTING.md.
"""
