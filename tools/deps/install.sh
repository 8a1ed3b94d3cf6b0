#!/usr/bin/env bash
# Install the Debian (bookworm) packages the lws_mp test suite needs.
#
# Idempotent: packages that are already installed are left alone, and
# `apt-get update` runs (once) only when something actually has to be installed.
#
#   tools/deps/install.sh           install whatever is missing
#   tools/deps/install.sh --check   only report; exit 1 if anything is missing
#
# Packages:
#   curl                       HTTP client used by tests
#   chromium                   Debian's browser, /usr/bin/chromium (driven by Playwright)
#   fonts-dejavu-core          fonts so headless chromium screenshots show text
#                              (normally already pulled in via fontconfig-config)
#   libwebsockets-test-server  C libwebsockets 4.1.6 test apps:
#                              /usr/bin/libwebsockets-test-server
#                              /usr/bin/libwebsockets-test-client  (same package)
#                              /usr/bin/libwebsockets-test-server-extpoll, -test-lejp
#                              (pulls in libwebsockets-test-server-common = the
#                              /usr/share/libwebsockets-test-server/ html/js, and
#                              libwebsockets17)
#   tinyproxy                  an HTTP proxy (CONNECT) the client tests start on 127.0.0.1:
#                              /usr/bin/tinyproxy
#   slowhttptest               slow-client attacks (slowloris, slow body, slow read) for
#                              host_tests/test_robust_slow.py: /usr/bin/slowhttptest
#   wrk                        the HTTP load generator of `make bench` (benchmarks/bench.py):
#                              /usr/bin/wrk
#   valgrind                   callgrind, which counts the instructions of
#                              benchmarks/bench_instr.py: /usr/bin/valgrind
set -euo pipefail

PACKAGES=(curl chromium fonts-dejavu-core libwebsockets-test-server tinyproxy slowhttptest wrk valgrind)
# binaries that must exist afterwards
BINARIES=(/usr/bin/curl /usr/bin/chromium
          /usr/bin/libwebsockets-test-server /usr/bin/libwebsockets-test-client
          /usr/bin/tinyproxy /usr/bin/slowhttptest /usr/bin/wrk
          /usr/bin/valgrind)

check_only=0
case "${1:-}" in
    --check) check_only=1 ;;
    "") ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

is_installed() {
    dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

missing=()
for p in "${PACKAGES[@]}"; do
    is_installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all present (${PACKAGES[*]})"
else
    if [ "$check_only" = 1 ]; then
        echo "deps: missing Debian packages: ${missing[*]}" >&2
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        echo "deps: missing Debian packages: ${missing[*]}" >&2
        echo "deps: not root and no password-less sudo; install them with:" >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    APT_OPTS=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
    start=$(date +%s)
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${APT_OPTS[@]}" "${missing[@]}"
    echo "deps: apt took $(( $(date +%s) - start ))s"
fi

# Sanity: the binaries the tests call must be there.
bad=0
for b in "${BINARIES[@]}"; do
    if [ ! -x "$b" ]; then
        echo "deps: expected binary $b is missing" >&2
        bad=1
    fi
done
exit $bad
