"""Run library test modules under MicroPython (pytest runs them on CPython).

    micropython tests/mp_runner.py test_http_server [test_name ...]

Every ``test_*`` function of the module is called; a SkipTest counts as a
skip.  The last line is 'N passed, N failed, N skipped'.
"""

import sys

_here = sys.argv[0].rsplit("/", 1)[0] if "/" in sys.argv[0] else "."
sys.path.insert(0, _here)
sys.path.insert(1, _here + "/..")

import support  # noqa: E402


def main():
    mod_name = sys.argv[1]
    only = sys.argv[2:]
    mod = __import__(mod_name)
    names = sorted(n for n in dir(mod) if n.startswith("test_"))
    if only:
        names = [n for n in names if n in only]
    passed = failed = skipped = 0
    for n in names:
        fn = getattr(mod, n)
        try:
            fn()
        except support.SkipTest as e:
            skipped += 1
            print("SKIP", n, e)
            continue
        except Exception as e:  # report and go on
            failed += 1
            print("FAIL", n, repr(e))
            sys.print_exception(e)
            continue
        passed += 1
        print("PASS", n)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(1 if failed or not (passed or skipped) else 0)


main()
