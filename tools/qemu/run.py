"""Run the frozen codec tests on the emulated Cortex-M and print what the
board printed; exit 0 only if its last line says nothing failed.

    python3 tools/qemu/run.py [build/qemu/firmware.elf] [--timeout 120]
"""

import os
import re
import select
import subprocess
import sys
import time

SUMMARY = re.compile(rb"(\d+) passed, (\d+) failed, (\d+) skipped")


def run(elf, timeout):
    cmd = ["qemu-system-arm", "-machine", "mps2-an385", "-nographic", "-monitor", "null",
           "-semihosting", "-serial", "stdio", "-kernel", elf]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = b""
    sent = 0
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            r, _, _ = select.select([p.stdout], [], [], 0.2)
            if r:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
            if not sent and out.rstrip().endswith(b">>>"):
                p.stdin.write(b"import codec_tests\r")
                p.stdin.flush()
                sent = len(out)
            elif sent and (SUMMARY.search(out) or out[sent:].rstrip().endswith(b">>>")):
                break  # the summary, or the prompt back after a failure
    finally:
        p.kill()
        p.wait()
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    timeout = 120
    if "--timeout" in sys.argv:
        timeout = float(sys.argv[sys.argv.index("--timeout") + 1])
        args = [a for a in args if a != str(sys.argv[sys.argv.index("--timeout") + 1])]
    elf = args[0] if args else "build/qemu/firmware.elf"
    out = run(elf, timeout)
    sys.stdout.write(out.decode("utf-8", "replace").replace("\r\n", "\n"))
    m = SUMMARY.search(out)
    if m is None:
        print("qemu: no summary line within %d s" % timeout)
        return 1
    return 0 if int(m.group(2)) == 0 and int(m.group(1)) > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
