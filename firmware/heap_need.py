"""The heap an app needs, measured when a start runs out of it.

    micropython heap_need.py APP PID

main.py runs this, in a process of its own at the default heap, after a
MemoryError at start: PID is main.py's process, whose command line (from
/proc/PID/cmdline, interpreter options included) runs again
with ``-X heapsize=`` doubled until the app starts and answers a request
(main.py --check), then bisected down to _STEP, and one line names the
smallest heap that worked.  The figure is for this interpreter, these
options and this code, measured now: a table written down once would not
follow the library as it changes.
"""

import os
import sys

_STEP = 4096
_MAX = 64 << 20


def _size(text):
    """'16k' / '2M' / '65536' -> bytes (0 if it is none of those)."""
    mult = {"k": 1024, "m": 1 << 20}.get(text[-1:].lower(), 1)
    try:
        return int(text[:-1] if mult > 1 else text) * mult
    except ValueError:
        return 0


def _text(n):
    return "%dM" % (n >> 20) if n >= 1 << 20 and not n & 0xFFFFF else "%dk" % (n // 1024)


def heap_arg(cmd):
    """(index of the heapsize option in ``cmd``, bytes), or (-1, 0)."""
    for i, a in enumerate(cmd):
        v = a[2:] if a.startswith("-X") else ""
        if a == "-X" and i + 1 < len(cmd):
            i += 1
            v = cmd[i]
        if v.startswith("heapsize="):
            return i, _size(v[9:].split(",")[0])
    return -1, 0


def _quote(a):
    return "'" + a.replace("'", "'\\''") + "'"


def starts(cmd, i, heap):
    """Does ``cmd`` start its app and answer a request at ``heap`` bytes?"""
    cmd = list(cmd)
    cmd[i] = ("heapsize=%d" if cmd[i - 1] == "-X" else "-Xheapsize=%d") % heap
    # on any free port (the measure must not need the user's one), and
    # otherwise the very command: near the limit a few bytes more or less of
    # arguments tip the balance
    for j, a in enumerate(cmd):
        if a == "--port" and j + 1 < len(cmd):
            cmd[j + 1] = "0"
        elif a.startswith("--port="):
            cmd[j] = "--port=0"
    if "--port" not in cmd and "--port=0" not in cmd:
        cmd += ["--port", "0"]
    cmd.append("--check")
    return os.system(" ".join(_quote(a) for a in cmd) + " >/dev/null 2>&1") == 0


def measure(cmd, i, heap):
    """The smallest heap (a multiple of _STEP) above ``heap`` (which did not
    do) at which ``cmd`` starts its app; 0 if none up to _MAX does."""
    lo, hi = heap, max(2 * heap, _STEP)
    while not starts(cmd, i, hi):
        if hi >= _MAX:
            return 0
        lo, hi = hi, 2 * hi
    while hi - lo > _STEP:
        mid = (lo + hi) // 2 // _STEP * _STEP
        if mid <= lo:
            break
        if starts(cmd, i, mid):
            hi = mid
        else:
            lo = mid
    return hi


def cmdline(pid):
    """The argv of process ``pid``, or [] where /proc cannot tell."""
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return [a.decode() for a in f.read().split(b"\0")[:-1]]
    except OSError:
        return []


def report(app, cmd):
    i, heap = heap_arg(cmd)
    if i < 0:
        line = "heap too small for app %s" % app
    else:
        need = measure(cmd, i, heap)
        line = "heap %s too small for app %s" % (_text(heap), app) + (
            ": it needs at least %s (measured)" % _text(need) if need
            else ", and no heap up to %s starts it either (run it with a large heap "
            "to see why)" % _text(_MAX))
    sys.stderr.write(line + "\n")
    return 1


if __name__ == "__main__":
    sys.exit(report(sys.argv[1], cmdline(sys.argv[2])))
