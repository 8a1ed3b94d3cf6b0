#!/usr/bin/env bash
# The board interpreter: a 32-bit MicroPython unix port with a board's
# manifest frozen in, built from Debian's `micropython` source package.
#
#   tools/board/build.sh <board>      boards/<board>/manifest.py frozen in
#                                     -> build/board/<board>/micropython
#   tools/board/build.sh --microdot   microdot 2.7.0 and its peer app frozen in
#                                     -> build/board/microdot/micropython
#   tools/board/build.sh --version    print the MicroPython version (fetching
#                                     the source if needed) and stop
#
# Idempotent and cached:
# - Debian packages (i386 multilib toolchain and libraries) are installed only
#   when missing; apt-get update runs once, and only then;
# - the source is fetched once with `apt-get source micropython` through a
#   private deb-src list under build/board/apt (the system's apt configuration
#   is not touched) and unpacked to build/board/src/micropython-<version>/;
# - mpy-cross is built once per source version (build/board/mpy-cross);
# - a board's binary is rebuilt only when the hash of its manifest, every
#   file it freezes, this script and the source version changes.
#
# Environment: LWS_MP_SUITE (default trixie; sid has the newer 1.26),
# JOBS (default 2).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/board
SUITE=${LWS_MP_SUITE:-trixie}
MIRROR=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
JOBS=${JOBS:-2}
# the microdot the benchmarks pin (benchmarks/requirements.txt), 2.7.0 if none
MICRODOT_VERSION=$(sed -n 's/^microdot==\([^ ;#]*\).*/\1/p' "$ROOT/benchmarks/requirements.txt" 2>/dev/null | head -n 1)
MICRODOT_VERSION=${MICRODOT_VERSION:-2.7.0}

die() { echo "board-interpreter: $*" >&2; exit 1; }
say() { echo "board-interpreter: $*"; }

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
    -h|--help|"") usage; [ -n "${1:-}" ]; exit $? ;;
    --microdot) NAME=microdot ;;
    --version) NAME= ;;
    -*) usage >&2; exit 2 ;;
    *)
        NAME=$1
        [ -f "$ROOT/boards/$NAME/manifest.py" ] \
            || die "no board '$NAME' (boards/$NAME/manifest.py); boards: $(cd "$ROOT/boards" && ls -d */ | tr -d / | tr '\n' ' ')"
        ;;
esac

# ---------------------------------------------------------------- packages
# The multilib compiler (with the i386 C library), Debian's mbedtls for i386
# (ssl, and hashlib.sha1, which the unix port compiles out without it), and
# dpkg-dev for `apt-get source` (dpkg-source).  No libffi: the build leaves
# the ffi module out, as a board has none.
PACKAGES=(gcc-multilib libmbedtls-dev:i386 dpkg-dev make python3)

is_installed() {
    dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

I386_FAIL="the 32-bit board interpreter cannot be built here: the i386 packages (gcc-multilib libmbedtls-dev:i386) could not be installed"

install_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        is_installed "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "$I386_FAIL (no apt-get)"
    [ "$(id -u)" -eq 0 ] || die "$I386_FAIL (not root; missing: ${missing[*]})"
    say "installing ${missing[*]}"
    local log=$OUT/apt-install.log
    if ! { if ! dpkg --print-foreign-architectures | grep -qx i386; then
               dpkg --add-architecture i386
           fi
           env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update \
           && env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                  -o DPkg::Lock::Timeout=300 "${missing[@]}"; } >"$log" 2>&1; then
        die "$I386_FAIL (apt log: $log)"
    fi
    for p in "${PACKAGES[@]}"; do
        is_installed "$p" || die "$I386_FAIL ($p still missing)"
    done
}

# ------------------------------------------------------------------ source
# build/board/src/VERSION names the unpacked tree once it is complete; while
# it is there nothing is fetched again.
APT=$OUT/apt
APT_OPTS=(-o Dir::Etc::SourceList="$APT/sources.list"
          -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$APT/lists"
          -o Dir::Cache="$APT/cache"
          -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
          -o APT::Sandbox::User=root
          -o Debug::NoLocking=1)

fetch_source() {
    local src=$OUT/src
    if [ -f "$src/VERSION" ] && [ -d "$src/$(cat "$src/VERSION")/py" ]; then
        return 0
    fi
    mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$src"
    [ -r "$KEYRING" ] || die "no Debian archive keyring at $KEYRING"
    echo "deb-src [signed-by=$KEYRING] $MIRROR $SUITE main" >"$APT/sources.list"
    say "fetching the micropython source package from Debian $SUITE"
    apt-get -q "${APT_OPTS[@]}" update >"$APT/update.log" 2>&1 \
        || { tail -n 5 "$APT/update.log" >&2; die "apt-get update of the private deb-src list failed (see $APT/update.log)"; }
    local tmp=$src/.fetch
    rm -rf "$tmp" && mkdir -p "$tmp"
    (cd "$tmp" && apt-get -q "${APT_OPTS[@]}" source micropython) >"$APT/source.log" 2>&1 \
        || { tail -n 5 "$APT/source.log" >&2; die "apt-get source micropython failed (see $APT/source.log)"; }
    local dir
    dir=$(cd "$tmp" && ls -d micropython-*/ | head -n 1)
    dir=${dir%/}
    [ -n "$dir" ] && [ -d "$tmp/$dir/py" ] || die "apt-get source gave no micropython tree"
    rm -rf "${src:?}/$dir"
    mv "$tmp/$dir" "$src/$dir"
    mkdir -p "$src/debian-files"
    mv "$tmp"/micropython_* "$src/debian-files/" 2>/dev/null || true
    rm -rf "$tmp"
    echo "$dir" >"$src/VERSION"
}

mp_version() {
    # the version the tree reports (py/mpconfig.h), e.g. 1.25.0
    local h=$MPDIR/py/mpconfig.h
    printf '%s.%s.%s' \
        "$(awk '/#define MICROPY_VERSION_MAJOR/{print $3}' "$h")" \
        "$(awk '/#define MICROPY_VERSION_MINOR/{print $3}' "$h")" \
        "$(awk '/#define MICROPY_VERSION_MICRO/{print $3}' "$h")"
}

# ---------------------------------------------------------------- mpy-cross
build_mpy_cross() {
    local stamp=$OUT/mpy-cross.version
    if [ -x "$OUT/mpy-cross" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$SRCDIR" ]; then
        return 0
    fi
    say "building mpy-cross"
    make -C "$MPDIR/mpy-cross" -j"$JOBS" BUILD="$OUT/mpy-cross-build" \
        >"$OUT/mpy-cross.log" 2>&1 \
        || { tail -n 20 "$OUT/mpy-cross.log" >&2; die "mpy-cross build failed (see $OUT/mpy-cross.log)"; }
    local bin
    for bin in "$OUT/mpy-cross-build/mpy-cross" "$MPDIR/mpy-cross/mpy-cross" "$MPDIR/mpy-cross/build/mpy-cross"; do
        if [ -x "$bin" ]; then
            cp "$bin" "$OUT/mpy-cross"
            echo "$SRCDIR" >"$stamp"
            return 0
        fi
    done
    die "mpy-cross built but its binary was not found"
}

# --------------------------------------------------------------- microdot
# microdot from PyPI (the wheel, unpacked) and the peer app, frozen the same
# way as lws_mp.
fetch_microdot() {
    local dir=$OUT/microdot-src
    if [ -f "$dir/microdot-$MICRODOT_VERSION/microdot/__init__.py" ]; then
        return 0
    fi
    say "fetching microdot $MICRODOT_VERSION from PyPI"
    rm -rf "$dir" && mkdir -p "$dir/dl"
    python3 -m pip download -q --disable-pip-version-check --no-deps \
        "microdot==$MICRODOT_VERSION" -d "$dir/dl" \
        || die "pip download microdot==$MICRODOT_VERSION failed"
    local whl
    whl=$(ls "$dir"/dl/microdot-"$MICRODOT_VERSION"-*.whl | head -n 1)
    [ -n "$whl" ] || die "no microdot wheel downloaded"
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
        "$whl" "$dir/microdot-$MICRODOT_VERSION"
}

write_manifest() {
    # build/board/<name>/manifest.py: what the unix port needs beside the
    # board's own manifest (asyncio from extmod: the port's standard variant
    # manifest pulls in micropython-lib, which the source package lacks)
    local m=$1
    if [ "$NAME" = microdot ]; then
        cat >"$m" <<EOF
# generated by tools/board/build.sh: microdot $MICRODOT_VERSION and its peer app
include("\$(MPY_DIR)/extmod/asyncio")
package("microdot", base_path="$OUT/microdot-src/microdot-$MICRODOT_VERSION")
module("microdot_app.py", base_path="$ROOT/benchmarks/peers")
module("microdot_main.py", base_path="$ROOT/benchmarks/peers")
EOF
    else
        cat >"$m" <<EOF
# generated by tools/board/build.sh: boards/$NAME/manifest.py on the unix port
include("\$(MPY_DIR)/extmod/asyncio")
include("$ROOT/boards/$NAME/manifest.py", port_manifest=False)
# the host's stand-in for the board's flash (firmware/main.py --flash)
module("host_flash.py", base_path="$ROOT/firmware")
# the simulated board's console: its REPL and boot (tools/simboard, never on a board)
module("board_console.py", base_path="$ROOT/tools/simboard")
EOF
    fi
}

frozen_files() {
    # every file the manifest freezes, as the manifest itself lists them
    python3 - "$MPDIR" "$1" <<'EOF'
import os, sys
mpdir, manifest = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(mpdir, "tools"))
import manifestfile
m = manifestfile.ManifestFile(manifestfile.MODE_FREEZE, {"MPY_DIR": mpdir, "MPY_LIB_DIR": os.path.join(mpdir, "lib/micropython-lib"), "PORT_DIR": os.path.join(mpdir, "ports/unix"), "BOARD_DIR": ""})
m.execute(manifest)
for f in m.files():
    print(f.full_path)
EOF
}

# -------------------------------------------------------------------- main
mkdir -p "$OUT"
install_packages
fetch_source
SRCDIR=$(cat "$OUT/src/VERSION")
MPDIR=$OUT/src/$SRCDIR
VERSION=$(mp_version)
say "MicroPython $VERSION (Debian source package $SRCDIR, suite $SUITE)"
[ -n "$NAME" ] || exit 0

build_mpy_cross
[ "$NAME" = microdot ] && fetch_microdot

BDIR=$OUT/$NAME
mkdir -p "$BDIR"
# one build of a board at a time (tests and make may ask at once)
exec 9>"$BDIR/.lock"
flock 9
MANIFEST=$BDIR/manifest.py
write_manifest "$MANIFEST"

files=$(frozen_files "$MANIFEST") || die "manifest $MANIFEST does not load"
stamp=$( { echo "$SRCDIR"; cat "$0" "$MANIFEST"; [ "$NAME" = microdot ] || cat "$ROOT/boards/$NAME/manifest.py";
           echo "$files"; echo "$files" | while read -r f; do cat "$f"; done; } | sha256sum | cut -d' ' -f1)
if [ -x "$BDIR/micropython" ] && [ "$(cat "$BDIR/stamp" 2>/dev/null)" = "$stamp" ]; then
    say "$NAME: up to date ($BDIR/micropython, $(echo "$files" | wc -l) frozen files)"
    exit 0
fi

say "$NAME: building the 32-bit unix port with $(echo "$files" | wc -l) frozen files"
start=$(date +%s)
# What the flags approximate of a board (boards/README.md):
# - MICROPY_FORCE_32BIT=1: 32-bit objects and pointers, as on Xtensa and ARM;
# - MICROPY_FLOAT_IMPL_FLOAT: single-precision floats, as the esp32 and rp2
#   ports use (the unix port defaults to double);
# - MICROPY_PY_FFI=0, MICROPY_PY_TERMIOS=0, MICROPY_PY_BTREE=0: modules no
#   board here has;
# - frozen code (FROZEN_MANIFEST, compiled with -march=x86 for @native and
#   @viper) and its qstrs live outside the heap, as in a board's flash.
# - -fno-pie / -no-pie: code linked at a fixed address, as a board's
#   firmware is.  Debian's gcc makes position-independent executables by
#   default, and on i386 that costs every function that touches a global a
#   call to fetch its own address (__x86.get_pc_thunk): about a tenth of
#   the interpreter's instructions, which Xtensa and ARM code does not pay.
# mbedtls (Debian's, i386) gives ssl and hashlib.sha1.
MAKE_VARS=(VARIANT=standard BUILD="$BDIR/build"
           MICROPY_FORCE_32BIT=1
           FROZEN_MANIFEST="$MANIFEST"
           MICROPY_MPYCROSS="$OUT/mpy-cross" MPY_CROSS_FLAGS=-march=x86
           MICROPY_PY_BTREE=0 MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=1
           MICROPY_PY_FFI=0 MICROPY_PY_TERMIOS=0
           "CFLAGS_EXTRA=-DMICROPY_FLOAT_USE_NATIVE_FLT16=0 -DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_FLOAT -fno-pie"
           LDFLAGS_EXTRA=-no-pie)
# make does not see a change of flags: objects built with other ones go
flags="${MAKE_VARS[*]}"
if [ -d "$BDIR/build" ] && [ "$(cat "$BDIR/build/.flags" 2>/dev/null)" != "$flags" ]; then
    rm -rf "${BDIR:?}/build"
fi
mkdir -p "$BDIR/build"
echo "$flags" >"$BDIR/build/.flags"
echo "make -C ports/unix ${MAKE_VARS[*]}" >"$BDIR/build.log"
if ! MICROPY_MPYCROSS="$OUT/mpy-cross" make -C "$MPDIR/ports/unix" -j"$JOBS" "${MAKE_VARS[@]}" \
        >>"$BDIR/build.log" 2>&1; then
    tail -n 30 "$BDIR/build.log" >&2
    die "$NAME: the unix port build failed (see $BDIR/build.log)"
fi
prog=$BDIR/build/micropython
[ -x "$prog" ] || prog=$MPDIR/ports/unix/build-standard/micropython
[ -x "$prog" ] || prog=$(ls -t "$BDIR"/build/micropython "$MPDIR"/ports/unix/micropython* 2>/dev/null | head -n 1)
[ -x "$prog" ] || die "$NAME: built, but no micropython binary found"
# a new file renamed over the old: a running interpreter keeps its own
cp "$prog" "$BDIR/micropython.new"
mv -f "$BDIR/micropython.new" "$BDIR/micropython"
echo "$stamp" >"$BDIR/stamp"
say "$NAME: built $BDIR/micropython in $(( $(date +%s) - start ))s"
