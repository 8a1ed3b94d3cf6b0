#!/usr/bin/env bash
# MicroPython on an emulated ARM Cortex-M (ports/qemu, board MPS2_AN385) with
# lws_mp's codecs and their tests frozen in, from the same Debian source tree
# as the board interpreter.
#
#   tools/qemu/build.sh      -> build/qemu/firmware.elf (cached)
#
# The frozen code is compiled for armv6m, the RP2040's instruction set:
# the viper helpers (unmask, UTF-8 check) then run as the same Thumb machine
# code an RP2040 runs (armv6m is a subset of the emulated Cortex-M3's).
# Rebuilt only when a frozen file, the manifest or this script changes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/qemu
BOARD=MPS2_AN385
# The heap is not what this build measures (the board interpreter does that):
# the codec tests build 64-70 KB frames and copy them, so they get 1 MB of
# the emulated board's 4 MB.
HEAP=$((1024 * 1024))
PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)

die() { echo "qemu-firmware: $*" >&2; exit 1; }

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "qemu-firmware: installing ${missing[*]}"
    mkdir -p "$OUT"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
              -o DPkg::Lock::Timeout=300 "${missing[@]}"; } > "$OUT/apt-install.log" 2>&1; then
        die "the Cortex-M firmware cannot be built here: installing ${missing[*]} failed (see $OUT/apt-install.log)"
    fi
fi

# the source tree and mpy-cross come from the board interpreter's build
"$ROOT/tools/board/build.sh" --version >/dev/null
SRC=$(cat "$ROOT/build/board/src/VERSION" 2>/dev/null || true)
SRC=$ROOT/build/board/src/${SRC:-missing}
[ -d "$SRC/ports/qemu" ] || SRC=$(ls -d "$ROOT"/build/board/src/micropython-*/ | head -n 1)
[ -d "$SRC/ports/qemu" ] || die "no MicroPython source tree under build/board/src"
MPY_CROSS=$ROOT/build/board/mpy-cross

MANIFEST=$ROOT/tools/qemu/manifest.py
FROZEN=$(cd "$ROOT" && python3 "$ROOT/tools/qemu/manifest.py" --list)
stamp=$( { cat "$0" "$MANIFEST"; for f in $FROZEN; do cat "$ROOT/$f"; done; echo "$SRC"; } \
         | sha256sum | cut -c1-16)
if [ -f "$OUT/firmware.elf" ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "qemu-firmware: up to date ($OUT/firmware.elf)"
    exit 0
fi
rm -rf "$OUT/$BOARD"
mkdir -p "$OUT"
echo "qemu-firmware: building ports/qemu BOARD=$BOARD from $(basename "$SRC")"
if ! make -C "$SRC/ports/qemu" -j"${JOBS:-2}" BOARD=$BOARD BUILD="$OUT/$BOARD" \
        FROZEN_MANIFEST="$MANIFEST" MICROPY_MPYCROSS="$MPY_CROSS" \
        MPY_CROSS_FLAGS=-march=armv6m MICROPY_HEAP_SIZE=$HEAP > "$OUT/build.log" 2>&1; then
    tail -n 20 "$OUT/build.log" >&2
    die "build failed (see $OUT/build.log)"
fi
cp "$OUT/$BOARD/firmware.elf" "$OUT/firmware.elf"
echo "$stamp" > "$OUT/stamp"
echo "qemu-firmware: $OUT/firmware.elf"
