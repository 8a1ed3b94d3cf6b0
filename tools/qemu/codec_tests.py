"""Run the sans-IO codec tests on the emulated Cortex-M: ``import
codec_tests`` at its REPL.  The last line is 'N passed, N failed, N skipped'."""

import sys

import support

MODULES = ("test_chunked", "test_uri", "test_ws_codec", "test_http_parser", "test_viper")


def run():
    passed = failed = skipped = 0
    print("platform:", sys.platform, sys.implementation._machine)
    for name in MODULES:
        mod = __import__(name)
        for t in sorted(n for n in dir(mod) if n.startswith("test_")):
            try:
                getattr(mod, t)()
            except support.SkipTest as e:
                skipped += 1
                print("SKIP", name, t, e)
                continue
            except Exception as e:  # report and go on
                failed += 1
                print("FAIL", name, t, repr(e))
                sys.print_exception(e)
                continue
            passed += 1
            print("PASS", name, t)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))


run()
