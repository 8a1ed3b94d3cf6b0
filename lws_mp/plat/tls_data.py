"""What TLS needs done by hand, as plain functions of bytes and text (no
TLS module: tested on both interpreters): the failure reasons and how
mbedTLS words them, PEM to DER, whether a key is a certificate's, and
OpenSSL cipher names as mbedTLS spells them.  Used by plat.tls.
"""

import binascii

# what failed: the first words of every TlsError (and so of the reason a
# client's CLIENT_CONNECTION_ERROR carries)
HOSTNAME_MISMATCH = "hostname mismatch"
UNKNOWN_CA = "unknown CA"
EXPIRED = "certificate expired"
NOT_YET_VALID = "certificate not yet valid"
NO_PEER_CERT = "no peer certificate"
BAD_CERT = "certificate rejected"
HANDSHAKE_FAILED = "handshake failed"
PEER_CLOSED = "closed during the handshake"


def pem_blocks(data):
    """The DER of each PEM block of ``data`` (``[data]`` if it is DER)."""
    if b"-----BEGIN" not in data:
        return [data]
    out = []
    pos = 0
    while True:
        b = data.find(b"-----BEGIN", pos)
        if b < 0:
            return out
        s = data.find(b"\n", b) + 1
        e = data.find(b"-----END", s)
        if s <= 0 or e < 0:
            raise ValueError("truncated PEM")
        out.append(binascii.a2b_base64(data[s:e]))
        pos = e + 8


def version_number(text):
    """30606 of "Mbed TLS 3.6.6"; 0 if it says no number."""
    n = 0
    try:
        for x in (text.split()[-1].split(".") + ["0", "0"])[:3]:
            n = n * 100 + int(x)
    except (IndexError, ValueError):
        return 0
    return n


def _der(b, i):
    """(start, end) of the content of the DER element at b[i]."""
    n = b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = 0
        for _ in range(k):
            n = (n << 8) | b[i]
            i += 1
    return i, i + n


def _next(b, i):
    return _der(b, i)[1]


def key_matches(cert_der, key_der):
    """Does the private key (DER) hold the certificate's public key?  (What
    OpenSSL checks when it loads them; mbedTLS loads a mismatched pair and
    fails every handshake.)  True where it cannot tell."""
    try:
        i = _der(cert_der, _der(cert_der, 0)[0])[0]  # into tbsCertificate
        if cert_der[i] == 0xA0:  # [0] version
            i = _next(cert_der, i)
        for _ in range(5):  # serial, signature, issuer, validity, subject
            i = _next(cert_der, i)
        i = _next(cert_der, _der(cert_der, i)[0])  # into SPKI, past its algorithm
        s, e = _der(cert_der, i)
        pub = bytes(cert_der[s + 1:e])  # the BIT STRING, past its unused-bits byte
        if pub[0] == 0x30:  # RSA: RSAPublicKey, whose modulus every RSA key holds
            s, e = _der(pub, _der(pub, 0)[0])
            return bytes(pub[s:e]) in key_der
        if pub in key_der:
            return True
        # an EC key that carries a public point at all carries ours
        return b"\x03" + bytes((len(pub) + 1,)) + b"\x00\x04" not in key_der
    except (IndexError, ValueError):
        return True


_KX = ("ECDHE-ECDSA-", "ECDHE-RSA-", "DHE-RSA-", "ECDH-ECDSA-", "ECDH-RSA-", "PSK-")


def mbedtls_cipher_name(name):
    """An OpenSSL cipher name as mbedTLS spells it (ECDHE-ECDSA-AES128-GCM-
    SHA256 -> TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256); mbedTLS names pass."""
    if name.startswith("TLS-"):
        return name
    kx = "RSA-"
    for k in _KX:
        if name.startswith(k):
            kx = k
            name = name[len(k):]
            break
    name = name.replace("AES128", "AES-128").replace("AES256", "AES-256")
    if "GCM" not in name and "CCM" not in name and "CHACHA20" not in name:
        name = name.replace("-SHA", "-CBC-SHA", 1)
    if name == "CHACHA20-POLY1305":
        name += "-SHA256"
    return "TLS-" + kx + "WITH-" + name


# mbedTLS' verify texts (mbedtls_x509_crt_verify_info), as MicroPython raises them
_MBEDTLS_REASONS = (
    ("Common Name (CN) does not match", HOSTNAME_MISMATCH),
    ("validity has expired", EXPIRED),
    ("validity starts in the future", NOT_YET_VALID),
    ("not correctly signed by the trusted CA", UNKNOWN_CA),
    ("CA Chain is set", UNKNOWN_CA),  # no CA loaded at all
    ("CA_CHAIN_REQUIRED", UNKNOWN_CA),
    ("NO_CLIENT_CERTIFICATE", NO_PEER_CERT),
    ("No client certification received", NO_PEER_CERT),
)

# mbedTLS codes MicroPython may raise without text (MBEDTLS_ERROR_C off)
_MBEDTLS_CODES = (
    (-0x7680, "CA_CHAIN_REQUIRED"), (-0x7480, NO_PEER_CERT),
    (-0x7780, "fatal alert from the peer"), (-0x7280, PEER_CLOSED),
    (-0x2700, "certificate verify failed"), (-0x7080, "handshake failure"),
)


def mbedtls_reason(e):
    """(reason, detail) of what MicroPython's tls raised."""
    text = ""
    for a in e.args:
        if isinstance(a, str):
            text = a.strip().replace("\n", "; ")
        elif isinstance(a, int) and not text:
            for code, name in _MBEDTLS_CODES:
                if a == code:
                    text = name
    if not text:
        text = repr(e)
    for frag, reason in _MBEDTLS_REASONS:
        if frag in text:
            return reason, text
    if isinstance(e, ValueError):
        return BAD_CERT, text
    if text == PEER_CLOSED:
        return PEER_CLOSED, None
    return HANDSHAKE_FAILED, text


