#!/usr/bin/env bash
# A frozen firmware for a real board: MicroPython with lws_mp and the
# firmware (boot.py, main.py, runner, the apps, the board's sizes) frozen in,
# from boards/<board>/manifest.py.
#
#   tools/simboard/firmware.sh <board> <micropython tree>
#       -> build/firmware/<board>/ (firmware.uf2 for rp2, firmware.bin for esp32)
#
# The port and its board come from boards/<board>/board.py ("firmware").
# When the tree or the port's toolchain is not there, one line says what is
# missing and the exit is 1.  The assets and settings are not frozen: after
# flashing, `make deploy BOARD=<board> DEVICE=<port>` copies them (and
# nothing the firmware already has).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BOARD=${1:-}
MPY_DIR=${2:-}

missing() { echo "make firmware: $*" >&2; exit 1; }

[ -n "$BOARD" ] || missing "no board: make firmware BOARD=<$(cd "$ROOT/boards" && ls -d */ | tr -d / | tr '\n' ' ' | sed 's/ $//' | sed 's/ /|/g')> MPY_DIR=<micropython tree>"
[ -f "$ROOT/boards/$BOARD/board.py" ] || missing "no board '$BOARD' (boards/$BOARD/board.py)"
read -r PORT PORT_BOARD < <(python3 -c "
import runpy, sys
fw = runpy.run_path(sys.argv[1])['BOARD'].get('firmware') or {}
print(fw.get('port', ''), fw.get('board', ''))" "$ROOT/boards/$BOARD/board.py")
[ -n "$PORT" ] || missing "boards/$BOARD/board.py names no MicroPython port (\"firmware\")"
[ -n "$MPY_DIR" ] || missing "no MicroPython tree: give MPY_DIR=<path> (git clone https://github.com/micropython/micropython)"
MPY_DIR=$(cd "$MPY_DIR" 2>/dev/null && pwd) || missing "MPY_DIR=${2} is not a folder"
[ -f "$MPY_DIR/py/mpconfig.h" ] || missing "$MPY_DIR is not a MicroPython tree (no py/mpconfig.h)"
[ -d "$MPY_DIR/ports/$PORT" ] || missing "$MPY_DIR has no ports/$PORT"

need_tool() { command -v "$1" >/dev/null 2>&1 || missing "$2"; }
need_mip() {
    # the ports' own manifests require() micropython-lib packages (mip, ...)
    [ -f "$MPY_DIR/lib/micropython-lib/micropython/mip/manifest.py" ] \
        || missing "$MPY_DIR/lib/micropython-lib has no micropython/mip (the port's manifest requires it): in a git clone, git submodule update --init lib/micropython-lib"
}
need_lib() {
    # a submodule the port builds from, empty in a tree without them
    [ -n "$(ls -A "$MPY_DIR/lib/$1" 2>/dev/null)" ] \
        || missing "$MPY_DIR/lib/$1 is empty: in a git clone, make -C $MPY_DIR/ports/$PORT BOARD=$PORT_BOARD submodules"
}

OUT=$ROOT/build/firmware/$BOARD
MAKE_ARGS=(-C "$MPY_DIR/ports/$PORT" FROZEN_MANIFEST="$ROOT/boards/$BOARD/manifest.py" -j"${JOBS:-2}")
case "$PORT" in
    rp2)
        # the tree first, then this machine's tools: what a tree lacks is
        # the same on every machine
        for lib in pico-sdk tinyusb cyw43-driver lwip mbedtls btstack; do need_lib "$lib"; done
        need_mip
        need_tool arm-none-eabi-gcc "no arm-none-eabi-gcc for the rp2 port (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi)"
        need_tool cmake "no cmake for the rp2 port (Debian: cmake)"
        echo '#include <cstdlib>' | arm-none-eabi-g++ -E -x c++ - >/dev/null 2>&1 \
            || missing "no C++ library for arm-none-eabi, pico-sdk has C++ (Debian: libstdc++-arm-none-eabi-newlib)"
        MAKE_ARGS+=(BOARD="$PORT_BOARD" BUILD="$OUT")
        IMAGE=$OUT/firmware.uf2
        FLASH="hold BOOTSEL, plug the board in and copy $IMAGE to the RPI-RP2 drive"
        ;;
    esp32)
        command -v idf.py >/dev/null 2>&1 || missing "no ESP-IDF (idf.py): install ESP-IDF 5.x and source its export.sh"
        need_mip
        MAKE_ARGS+=(BOARD="$PORT_BOARD" BUILD="$OUT")
        IMAGE=$OUT/firmware.bin
        FLASH="esptool.py --chip auto write_flash 0x$( [ "$PORT_BOARD" = ESP32_GENERIC ] && echo 1000 || echo 0 ) $IMAGE"
        ;;
    unix)
        need_tool gcc "no gcc for the unix port"
        need_mip
        MAKE_ARGS+=(VARIANT="$PORT_BOARD" BUILD="$OUT")
        IMAGE=$OUT/micropython
        FLASH="run $IMAGE"
        ;;
    *) missing "port $PORT is not supported here" ;;
esac

mkdir -p "$OUT"
# no variables of the make that called this one reach the port's build (a
# FROZEN_MANIFEST there would be frozen into mpy-cross too)
unset MAKEFLAGS MFLAGS MAKELEVEL
# mpy-cross first, on its own: the port's build would otherwise make it with
# this build's variables
if ! make -C "$MPY_DIR/mpy-cross" -j"${JOBS:-2}" >"$OUT/mpy-cross.log" 2>&1; then
    tail -n 20 "$OUT/mpy-cross.log" >&2
    missing "mpy-cross did not build (see $OUT/mpy-cross.log)"
fi
echo "make firmware: $BOARD: make ${MAKE_ARGS[*]}"
if ! make "${MAKE_ARGS[@]}" >"$OUT/build.log" 2>&1; then
    tail -n 20 "$OUT/build.log" >&2
    if grep -q "Failed to clone repository: 'https://github.com/raspberrypi/picotool" "$OUT/build.log"; then
        missing "pico-sdk wants picotool and could not clone it: build and install picotool, then give picotool_DIR=<prefix>/lib/cmake/picotool (see $OUT/build.log)"
    fi
    missing "the $PORT build failed (see $OUT/build.log)"
fi
[ -f "$IMAGE" ] || missing "the $PORT build gave no $IMAGE (see $OUT/build.log)"
echo "make firmware: $IMAGE"
echo "make firmware: to flash it: $FLASH; then make deploy BOARD=$BOARD DEVICE=<serial port>"
