#!/usr/bin/env bash
# Install Autobahn|Testsuite (wstest, Python 2.7 only) into build/autobahn-venv.
#
#   tools/autobahn/setup.sh           # idempotent: no-op when already installed
#   tools/autobahn/setup.sh --force   # rebuild from scratch
#
# Steps:
#   1. find a CPython 2.7 interpreter (pyenv) and a CPython >= 3.7
#   2. build/autobahn-bootstrap-venv: CPython-3 venv holding virtualenv==20.21.1
#      (the last virtualenv line that can still create Python 2.7 envs; it seeds
#      pip 20.3.4 / setuptools 44.1.1 / wheel 0.37.1 from its bundled wheels)
#   3. build/autobahn-venv: `virtualenv -p python2.7`, then
#      `pip install --no-deps -r tools/autobahn/requirements-py27.txt` + `pip check`
#   4. write build/autobahn-venv/.installed-requirements (hash of the pins);
#      later runs skip everything while that stamp matches and
#      `build/autobahn-venv/bin/wstest --help` works.
#
# Environment overrides:
#   AUTOBAHN_PY27  path to a python2.7 interpreter
#   AUTOBAHN_PY3   path to a python3 (>= 3.7) used for the bootstrap venv
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="$ROOT/build"
VENV="$BUILD/autobahn-venv"
BOOT="$BUILD/autobahn-bootstrap-venv"
REQS="$HERE/requirements-py27.txt"
VIRTUALENV_PIN="virtualenv==20.21.1"
STAMP="$VENV/.installed-requirements"

FORCE=0
case "${1:-}" in
    --force) FORCE=1 ;;
    "") ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument: $1" >&2; exit 2 ;;
esac

export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_PYTHON_VERSION_WARNING=1
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"

log() { echo "[autobahn-setup] $*"; }
die() { echo "[autobahn-setup] ERROR: $*" >&2; exit 1; }

want_stamp() {
    { cat "$REQS"; echo "$VIRTUALENV_PIN"; } | sha256sum | cut -d' ' -f1
}

is_installed() {
    [ -x "$VENV/bin/wstest" ] || return 1
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ] || return 1
    "$VENV/bin/wstest" --help >/dev/null 2>&1
}

mkdir -p "$BUILD"

# Serialise concurrent invocations (e.g. parallel make targets).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$BUILD/.autobahn-setup.lock"
    flock 9
fi

if [ "$FORCE" = 0 ] && is_installed; then
    log "already installed: $VENV/bin/wstest"
    exit 0
fi

# ---------------------------------------------------------------- python 2.7
is_py27() {
    [ -n "$1" ] && [ -x "$1" ] &&
        "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (2, 7) else 1)' >/dev/null 2>&1
}

find_py27() {
    local cand roots=()
    if [ -n "${AUTOBAHN_PY27:-}" ]; then
        is_py27 "$AUTOBAHN_PY27" && { echo "$AUTOBAHN_PY27"; return 0; }
        echo "[autobahn-setup] AUTOBAHN_PY27=$AUTOBAHN_PY27 is not a working python2.7" >&2
    fi
    cand=/root/.pyenv/versions/2.7.18/bin/python
    is_py27 "$cand" && { echo "$cand"; return 0; }
    if command -v pyenv >/dev/null 2>&1; then
        roots+=("$(pyenv root 2>/dev/null || true)")
    fi
    roots+=("${PYENV_ROOT:-}" "$HOME/.pyenv" /root/.pyenv /opt/pyenv)
    local r
    for r in "${roots[@]}"; do
        [ -n "$r" ] && [ -d "$r/versions" ] || continue
        # newest 2.7.x first
        for cand in $(ls -d "$r"/versions/2.7* 2>/dev/null | sort -rV); do
            is_py27 "$cand/bin/python" && { echo "$cand/bin/python"; return 0; }
        done
    done
    for cand in python2.7 python2; do
        cand="$(command -v "$cand" 2>/dev/null || true)"
        is_py27 "$cand" && { echo "$cand"; return 0; }
    done
    return 1
}

PY27="$(find_py27)" || {
    echo "[autobahn-setup] ERROR: no CPython 2.7 interpreter found." >&2
    echo "  looked at: \$AUTOBAHN_PY27, /root/.pyenv/versions/2.7.18/bin/python," >&2
    echo "             \$(pyenv root)/versions/2.7*/bin/python, ~/.pyenv/versions/2.7*," >&2
    echo "             python2.7 / python2 on PATH" >&2
    echo "  pyenv: $(command -v pyenv || echo 'not on PATH')" >&2
    for r in "$(pyenv root 2>/dev/null || true)" "$HOME/.pyenv"; do
        [ -n "$r" ] && [ -d "$r/versions" ] &&
            echo "  versions in $r/versions: $(ls "$r/versions" | tr '\n' ' ')" >&2
    done
    echo "  missing: a Python 2.7 interpreter (e.g. 'pyenv install 2.7.18'); Debian 12 ships none" >&2
    exit 1
}
log "python2.7: $PY27"

# Prerequisites for building wsaccel/autobahn sdists and for talking to PyPI.
missing=()
"$PY27" -c 'import ssl' >/dev/null 2>&1 || missing+=("python2.7 'ssl' module (rebuild python 2.7 with libssl-dev)")
"$PY27" -c 'import zlib' >/dev/null 2>&1 || missing+=("python2.7 'zlib' module (rebuild python 2.7 with zlib1g-dev)")
inc="$("$PY27" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null || true)"
[ -f "$inc/Python.h" ] || missing+=("Python 2.7 headers ($inc/Python.h)")
command -v gcc >/dev/null 2>&1 || command -v cc >/dev/null 2>&1 || missing+=("a C compiler (apt-get install gcc)")

# ---------------------------------------------------------------- python 3
is_py3() {
    [ -n "$1" ] && [ -x "$1" ] &&
        "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 7) else 1)' >/dev/null 2>&1
}
PY3=""
for cand in "${AUTOBAHN_PY3:-}" "$ROOT/.venv/bin/python" "$(command -v python3 2>/dev/null || true)"; do
    if is_py3 "$cand"; then PY3="$cand"; break; fi
done
[ -n "$PY3" ] || missing+=("a CPython >= 3.7 with the venv module (for virtualenv<20.22)")

if [ ${#missing[@]} -gt 0 ]; then
    echo "[autobahn-setup] ERROR: missing prerequisites:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
fi
log "python3 (bootstrap): $PY3"

# ---------------------------------------------------------------- bootstrap venv
if ! "$BOOT/bin/virtualenv" --version 2>/dev/null | grep -q "^virtualenv ${VIRTUALENV_PIN#virtualenv==} "; then
    log "creating $BOOT with $VIRTUALENV_PIN"
    rm -rf "$BOOT"
    # If PY3 is itself a venv, `-m venv` still creates an independent venv from
    # its base interpreter.
    "$PY3" -m venv "$BOOT"
    "$BOOT/bin/python" -m pip install -q "$VIRTUALENV_PIN"
fi

# ---------------------------------------------------------------- py2.7 venv
log "creating $VENV"
rm -rf "$VENV"
cleanup_on_fail() {
    local rc=$?
    if [ $rc -ne 0 ]; then
        echo "[autobahn-setup] FAILED (exit $rc); removing partial $VENV" >&2
        rm -rf "$VENV"
    fi
}
trap cleanup_on_fail EXIT

"$BOOT/bin/virtualenv" -q --no-periodic-update -p "$PY27" "$VENV"
log "installing pinned requirements ($(grep -c '^[A-Za-z]' "$REQS") packages)"
"$VENV/bin/python" -m pip install -q --no-deps -r "$REQS"
"$VENV/bin/python" -m pip check
"$VENV/bin/wstest" --help >/dev/null || die "wstest --help fails after install"
want_stamp >"$STAMP"
log "ok: $("$VENV/bin/wstest" -a 2>/dev/null | tr '\n' ' ' | sed 's/  */ /g')"
log "installed $VENV/bin/wstest"
