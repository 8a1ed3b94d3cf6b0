#!/usr/bin/env bash
# Test certificates for lws_mp's TLS tests, made with Debian's `openssl`.
#
#   tools/tls/make_certs.sh [DIR]      (default build/tls)
#
# MicroPython cannot make certificates, so the library tests on both
# interpreters read these fixed files; pytest's session fixture and
# `make tls-certs` (mk/tls.mk) run this first.  Idempotent: nothing is
# remade while DIR/stamp matches this script and the server certificate is
# valid for another day.
#
# What DIR holds (P-256 keys: what an ESP32's mbedTLS handshakes fastest):
#   ca.pem ca.key                 the tests' own CA ("lws_mp test CA")
#   server.pem server.key         localhost / 127.0.0.1, signed by the CA
#   server-chain.pem              server.pem then ca.pem
#   server.spki                   base64 SHA-256 of server's public key
#                                 (Chromium's --ignore-certificate-errors-spki-list)
#   client.pem client.key         a client certificate signed by the CA
#   expired.pem expired.key       localhost, signed by the CA, expired in 2020
#   selfsigned.pem selfsigned.key localhost, self-signed
#   other-ca.pem other-ca.key     a second CA that signed none of the above
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/build/tls}
command -v openssl >/dev/null 2>&1 \
    || { echo "make_certs: no openssl command (Debian package openssl)" >&2; exit 1; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SUM=$(sha256sum "$0" | cut -d' ' -f1)
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$SUM" ] && [ -f "$OUT/server.pem" ] \
        && openssl x509 -in "$OUT/server.pem" -noout -checkend 86400 >/dev/null 2>&1; then
    exit 0
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() {  # ca NAME "CN"
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "/O=lws_mp tests/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem"
}

# leaf NAME CN EXT_FILE [openssl ca date options]: a CSR signed by ca.pem
leaf() {
    local name=$1 cn=$2 ext=$3
    shift 3
    key "$name.key"
    openssl req -new -key "$name.key" -subj "/O=lws_mp tests/CN=$cn" -out "$name.csr"
    openssl ca -batch -config ca.cnf -notext -extfile "$ext" -in "$name.csr" -out "$name.pem" \
        "$@" 2>/dev/null
}

ca ca "lws_mp test CA"
ca other-ca "lws_mp other test CA"

# a minimal `openssl ca` set-up: the only tool in openssl 3.0 that signs
# with an explicit (past) validity period
mkdir -p newcerts
: > index.txt
echo 1000 > serial
cat > ca.cnf <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $TMP
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 825
policy = any
unique_subject = no
copy_extensions = none
[ any ]
organizationName = optional
commonName = supplied
CNF

cat > server.ext <<EXT
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
EXT
cat > client.ext <<EXT
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EXT

leaf server localhost server.ext
leaf client "lws_mp test client" client.ext
leaf expired localhost server.ext -startdate 20200101000000Z -enddate 20200201000000Z

key selfsigned.key
openssl req -x509 -new -key selfsigned.key -sha256 -days 825 -subj "/O=lws_mp tests/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out selfsigned.pem

cat server.pem ca.pem > server-chain.pem
openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der \
    | openssl dgst -sha256 -binary | openssl base64 -A > server.spki

for f in ca other-ca server client expired selfsigned; do
    cp "$f.pem" "$f.key" "$OUT/"
done
cp server-chain.pem server.spki "$OUT/"
echo "$SUM" > "$OUT/stamp"
echo "make_certs: test certificates in $OUT"
