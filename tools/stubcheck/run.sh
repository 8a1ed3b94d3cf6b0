#!/usr/bin/env bash
# Static check of Python code against the real MicroPython port APIs.
#
#   tools/stubcheck/run.sh PORT [--exclude GLOB]... PATH...
#   tools/stubcheck/run.sh selftest
#
# PORT is esp32 or rp2. PATH is a .py file or a directory (searched for *.py).
# Fails (exit 1) when the code uses a module, function, method or constant the
# port does not have (e.g. socket.socket.recv_into, getpeername, SO_KEEPALIVE).
#
# Installs what is missing (idempotent, pinned) under build/stubs/:
#   build/stubs/node/            pyright from the npm registry (package-lock.json)
#   build/stubs/PORT/typings/    port stubs + micropython-stdlib-stubs (pip --target)
#   build/stubs/PORT/novenv/     empty site-packages, so no CPython module leaks in
#   build/stubs/PORT/pyrightconfig.json   pyrightconfig.PORT.json, @REPO_ROOT@ filled in
#
# Opting code out:
#   - a line:   ... # pyright: ignore[reportAttributeAccessIssue]
#   - a file:   a line "# stubcheck: skip-file" anywhere in it (CPython-only module)
#   - by path:  --exclude '*/_cpython.py'  (bash glob on the path as found)
# "# type: ignore" is deliberately NOT honoured (enableTypeIgnoreComments=false).
#
# Environment: PYTHON (default: .venv/bin/python, else python3) runs pip;
# STUBCHECK_BUILD (default: build/stubs) is where things are installed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="${STUBCHECK_BUILD:-$ROOT/build/stubs}"

usage() {
    sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

if [ -z "${PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

install_pyright() {
    local dir="$BUILD/node"
    local want
    want="$(sed -n 's/.*"pyright": *"\([^"]*\)".*/\1/p' "$HERE/package.json" | head -1)"
    if [ -x "$dir/node_modules/.bin/pyright" ] && cmp -s "$HERE/package-lock.json" "$dir/package-lock.json" \
        && grep -q "\"version\": \"$want\"" "$dir/node_modules/pyright/package.json" 2>/dev/null; then
        return 0
    fi
    command -v node >/dev/null && command -v npm >/dev/null || {
        echo "stubcheck: node and npm are needed (pyright runs on Node.js)" >&2
        exit 2
    }
    echo "stubcheck: installing pyright $want into $dir" >&2
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$HERE/package.json" "$HERE/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
}

install_stubs() {
    local port="$1"
    local req="$HERE/requirements-$port.txt"
    local dir="$BUILD/$port"
    local stamp
    stamp="$(cat "$req" | cksum)"
    if [ -f "$dir/typings/.stubcheck-stamp" ] && [ "$(cat "$dir/typings/.stubcheck-stamp")" = "$stamp" ]; then
        :
    else
        echo "stubcheck: installing $port stubs into $dir/typings" >&2
        rm -rf "$dir/typings"
        mkdir -p "$dir"
        "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --no-compile \
            --only-binary :all: --require-hashes --target "$dir/typings" -r "$req" >&2
        printf '%s\n' "$stamp" >"$dir/typings/.stubcheck-stamp"
    fi
    mkdir -p "$dir/novenv/lib/python3.11/site-packages"
    sed "s#@REPO_ROOT@#$ROOT#g" "$HERE/pyrightconfig.$port.json" >"$dir/pyrightconfig.json"
}

# The lws_mp package as code outside it sees it.  lws_mp/__init__ loads its
# names on first use (a module __getattr__), which pyright can only type as
# the union of all that function may return (a module, an int, ...): every
# `from lws_mp import lws_service` would be "int is not callable".  The
# facade, first on pyright's import path, re-exports each name from the
# module the loader takes it from (its _WHERE table), types the constants as
# int and the submodules the loader finds as modules; its layers are the real
# ones (symlinks).  A name the loader does not know stays unknown here too.
# Beside it, board_files/: stubs of the files only a board's flash holds
# (wifi_config.py, written by the owner).
make_import_root() {
    local dir="$BUILD/$1/lws_mp"
    local f
    rm -rf "$dir"
    mkdir -p "$dir"
    for f in "$ROOT"/lws_mp/*; do
        case "$(basename "$f")" in
            __init__.py | __pycache__) ;;
            *) ln -s "$f" "$dir/" ;;
        esac
    done
    (cd "$ROOT" && "$PYTHON" - >"$dir/__init__.pyi") <<'PY'
import os

import lws_mp
from lws_mp.core import consts

out = ['"""lws_mp as its lazy loader serves it: made by tools/stubcheck/run.sh."""']
seen = set()


def add(name, line):
    if name not in seen:
        seen.add(name)
        out.append(line)


for module, names in lws_mp._WHERE:
    for n in names.split():
        add(n, "from .%s import %s as %s" % (module, n, n))
add("IS_MICROPYTHON", "from .plat._port import IS_MICROPYTHON as IS_MICROPYTHON")
for n in consts.names():
    add(n, "%s: int" % n)
root = os.path.dirname(lws_mp.__file__)
for place in lws_mp._SUBMODULE_PLACES:
    d = os.path.join(root, *place.strip(".").split(".")) if place != "." else root
    for f in sorted(os.listdir(d)):
        name = f[:-3] if f.endswith(".py") else f
        if name.startswith("__") or not (f.endswith(".py") or os.path.isdir(os.path.join(d, f))):
            continue
        add(name, "from %s import %s as %s" % (place.rstrip(".") or ".", name, name))
print("\n".join(out))
PY
    cp "$HERE"/board_files/*.pyi "$BUILD/$1/"
}

# check PORT [--exclude GLOB]... PATH...
check() {
    local port="$1"
    shift
    local -a excludes=() files=()
    local arg f pat skip
    while [ $# -gt 0 ]; do
        case "$1" in
            --exclude) excludes+=("$2"); shift 2 ;;
            --exclude=*) excludes+=("${1#--exclude=}"); shift ;;
            *) break ;;
        esac
    done
    [ $# -gt 0 ] || usage
    for arg in "$@"; do
        if [ -d "$arg" ]; then
            while IFS= read -r -d '' f; do files+=("$f"); done < <(
                find "$arg" \( -name __pycache__ -o -name node_modules -o -name '.*' -a ! -name . -a ! -name .. \) -prune \
                    -o -type f -name '*.py' -print0 | sort -z)
        elif [ -f "$arg" ]; then
            files+=("$arg")
        else
            echo "stubcheck: no such file or directory: $arg" >&2
            exit 2
        fi
    done
    local -a keep=()
    for f in ${files[@]+"${files[@]}"}; do
        skip=0
        for pat in ${excludes[@]+"${excludes[@]}"}; do
            # shellcheck disable=SC2053
            if [[ "$f" == $pat ]]; then skip=1; fi
        done
        if [ $skip = 0 ] && grep -q '^[[:space:]]*# stubcheck: skip-file' "$f"; then skip=1; fi
        [ $skip = 1 ] || keep+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
    done
    if [ ${#keep[@]} -eq 0 ]; then
        echo "stubcheck[$port]: no Python files to check" >&2
        return 0
    fi
    install_pyright
    install_stubs "$port"
    make_import_root "$port"
    echo "stubcheck[$port]: checking ${#keep[@]} file(s)" >&2
    "$BUILD/node/node_modules/.bin/pyright" -p "$BUILD/$port/pyrightconfig.json" "${keep[@]}"
}

selftest() {
    local port rc=0 out
    for port in esp32 rp2; do
        if out="$(check "$port" "$HERE/samples/must_fail.py" 2>&1)"; then
            echo "stubcheck selftest[$port]: must_fail.py passed, but must not" >&2
            echo "$out" >&2
            rc=1
        else
            for want in recv_into getpeername SO_KEEPALIVE functools; do
                if ! grep -q "$want" <<<"$out"; then
                    echo "stubcheck selftest[$port]: no error reported for $want" >&2
                    rc=1
                fi
            done
        fi
        if ! out="$(check "$port" "$HERE/samples/must_pass.py" 2>&1)"; then
            echo "stubcheck selftest[$port]: must_pass.py failed" >&2
            echo "$out" >&2
            rc=1
        fi
    done
    [ $rc = 0 ] && echo "stubcheck selftest: ok" >&2
    return $rc
}

case "${1:-}" in
    esp32 | rp2) check "$@" ;;
    selftest) selftest ;;
    *) usage ;;
esac
