"""The owner's password and the sessions it opens.

- No default credentials: until a password is set, only setup is allowed.
- The password is kept as PBKDF2-HMAC-SHA256 (hashlib.sha256, iterated)
  with a random salt, in ``auth.json`` on the flash, never in clear.
- A session is 16 random bytes (os.urandom) in an HttpOnly, SameSite=Strict
  cookie; sessions live in RAM (a reboot logs everyone out), expire after
  IDLE_S without use and LIFETIME_S in all, and all of them end when the
  password changes.
- Failed logins lock the login for a delay that doubles with each failure
  (1 s, 2 s, 4 s ... at most MAX_DELAY_S); a success resets it.
"""

import binascii
import hashlib
import os

from lws_mp.plat._port import ticks_diff, ticks_ms

from . import store

ITERATIONS = 1000  # stored with each hash, so a later firmware can raise it
MIN_PASSWORD = 8
MAX_PASSWORD = 128
IDLE_S = 30 * 60
LIFETIME_S = 12 * 3600
MAX_SESSIONS = 8
MAX_DELAY_S = 60
COOKIE = "sid"


def _hmac_sha256(key, msg):
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key + bytes(64 - len(key))
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(msg)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return outer.digest()


def pbkdf2_sha256(password, salt, iterations):
    """PBKDF2-HMAC-SHA256, one 32-byte block (RFC 8018); CPython's C version
    where there is one (same result, faster)."""
    fast = getattr(hashlib, "pbkdf2_hmac", None)
    if fast is not None:
        return fast("sha256", password, salt, iterations)
    # the HMAC pads are hashed once; each round copies the two states
    key = password if len(password) <= 64 else hashlib.sha256(password).digest()
    key = key + bytes(64 - len(key))
    ipad = bytes(b ^ 0x36 for b in key)
    opad = bytes(b ^ 0x5C for b in key)
    u = _hmac_sha256(password, salt + b"\x00\x00\x00\x01")
    acc = int.from_bytes(u, "big")
    for _ in range(iterations - 1):
        h = hashlib.sha256(ipad)
        h.update(u)
        o = hashlib.sha256(opad)
        o.update(h.digest())
        u = o.digest()
        acc ^= int.from_bytes(u, "big")
    return acc.to_bytes(32, "big")


def _same(a, b):
    """Compare digests in time that does not depend on where they differ."""
    if len(a) != len(b):
        return False
    d = 0
    for i in range(len(a)):
        d |= a[i] ^ b[i]
    return d == 0


def _hex(b):
    return binascii.hexlify(b).decode()


class Auth:
    def __init__(self, path):
        self.path = path
        self.record = store.read_json(path)
        if not isinstance(self.record, dict) or "hash" not in self.record:
            self.record = None
        self.sessions = {}  # token -> [created_ms, last_used_ms]
        self.failures = 0
        self.locked_from = 0
        self.lock_ms = 0

    # ------------------------------------------------------------ password

    def password_set(self):
        return self.record is not None

    def check_new_password(self, password):
        """None if ``password`` may be set, else why not."""
        if not isinstance(password, str):
            return "the password must be a string"
        if len(password) < MIN_PASSWORD:
            return "use at least %d characters" % MIN_PASSWORD
        if len(password) > MAX_PASSWORD:
            return "use at most %d characters" % MAX_PASSWORD
        return None

    def set_password(self, password):
        """Store a new hash (atomically) and end every session.  OSError if
        the flash refuses (the old password stays)."""
        salt = os.urandom(16)
        digest = pbkdf2_sha256(password.encode(), salt, ITERATIONS)
        rec = {"kdf": "pbkdf2-sha256", "iterations": ITERATIONS, "salt": _hex(salt),
               "hash": _hex(digest)}
        store.write_json(self.path, rec)
        self.record = rec
        self.sessions = {}

    def verify(self, password):
        rec = self.record
        if rec is None or not isinstance(password, str):
            return False
        try:
            salt = binascii.unhexlify(rec["salt"])
            want = binascii.unhexlify(rec["hash"])
            n = int(rec["iterations"])
        except (KeyError, ValueError, TypeError):
            return False
        return _same(pbkdf2_sha256(password.encode(), salt, n), want)

    # ------------------------------------------------------------ failed logins

    def retry_after_s(self):
        """Seconds until a login may be tried again (0: now)."""
        if not self.lock_ms:
            return 0
        left = self.lock_ms - ticks_diff(ticks_ms(), self.locked_from)
        if left <= 0:
            return 0
        return (left + 999) // 1000

    def failed(self):
        self.failures += 1
        delay = 1 << min(self.failures - 1, 6)
        self.lock_ms = 1000 * min(delay, MAX_DELAY_S)
        self.locked_from = ticks_ms()

    def succeeded(self):
        self.failures = 0
        self.lock_ms = 0

    # ------------------------------------------------------------ sessions

    def open_session(self):
        self._expire()
        if len(self.sessions) >= MAX_SESSIONS:
            oldest = None
            for t, s in self.sessions.items():
                if oldest is None or ticks_diff(s[1], self.sessions[oldest][1]) < 0:
                    oldest = t
            del self.sessions[oldest]
        token = _hex(os.urandom(16))
        now = ticks_ms()
        self.sessions[token] = [now, now]
        return token

    def session_valid(self, token, touch=True):
        s = self.sessions.get(token) if token else None
        if s is None:
            return False
        now = ticks_ms()
        if ticks_diff(now, s[1]) > IDLE_S * 1000 or ticks_diff(now, s[0]) > LIFETIME_S * 1000:
            del self.sessions[token]
            return False
        if touch:
            s[1] = now
        return True

    def close_session(self, token):
        self.sessions.pop(token, None)

    def _expire(self):
        for t in list(self.sessions):
            self.session_valid(t, False)

    def count(self):
        self._expire()
        return len(self.sessions)


def cookie_value(header, name=COOKIE):
    """The value of cookie ``name`` in a Cookie: header, or None."""
    if not header:
        return None
    for part in header.split(";"):
        k, sep, v = part.strip().partition("=")
        if sep and k == name:
            return v.strip()
    return None


def set_cookie(token):
    return "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d\r\n" % (
        COOKIE, token, LIFETIME_S)


def clear_cookie():
    return "Set-Cookie: %s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\r\n" % COOKIE
