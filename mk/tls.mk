# TLS test certificates (tools/tls/make_certs.sh): the tests' own CA and the
# certificates it signs, in build/tls/.  MicroPython cannot make them, so
# they are made before any test runs (pytest runs the MicroPython suite);
# idempotent, remade only when the script changes or they near expiry.
# Needs Debian's openssl.  Included by the Makefile.
#
#   make tls-certs

TLS_CERTS_DIR := build/tls

.PHONY: tls-certs

tls-certs:
	@tools/tls/make_certs.sh $(TLS_CERTS_DIR)

# before the library suite on MicroPython (and everything else pytest runs)
pytest: tls-certs
