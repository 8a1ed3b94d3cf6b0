"""The device's settings: their fields, their checks, their file.

Checked on the device, each field with its own message; saved atomically
(``settings.json.tmp``, then renamed over ``settings.json``), so a reset in
the middle leaves the old settings or the new ones.  A file that is missing
or unreadable gives the defaults; fields it lacks (an older firmware wrote
it) take their defaults too.  Secrets (the WiFi passwords) are never sent
back: GET shows whether one is set.
"""

from . import store

# the log levels offered, each the lws mask of itself and everything above
LOG_LEVELS = (("err", 1), ("warn", 3), ("notice", 7), ("info", 15), ("debug", 31))

DEFAULTS = {
    "device_name": "lws_mp device",
    "wifi_ssid": "",
    "wifi_password": "",
    "ap_fallback": True,
    "ap_ssid": "lws_mp-setup",
    "ap_password": "",
    "log_level": "notice",
    "led_blink_ms": 500,
}
SECRETS = ("wifi_password", "ap_password")
ORDER = ("device_name", "wifi_ssid", "wifi_password", "ap_fallback", "ap_ssid",
         "ap_password", "log_level", "led_blink_ms")


def log_mask(name):
    for n, mask in LOG_LEVELS:
        if n == name:
            return mask
    return 7


def _text(v, lo, hi, what):
    if not isinstance(v, str):
        return None, "must be text"
    v = v.strip()
    for c in v:
        if ord(c) < 32 or ord(c) == 127:
            return None, "must not hold control characters"
    if len(v) < lo:
        return None, "is required" if lo == 1 else "needs at least %d characters" % lo
    if len(v.encode()) > hi:
        return None, "is at most %d bytes%s" % (hi, what)
    return v, None


def _wpa_password(v):
    if not isinstance(v, str):
        return None, "must be text"
    if v and not 8 <= len(v.encode()) <= 63:
        return None, "a WPA2 password has 8 to 63 characters (or leave it empty)"
    return v, None


def _boolean(v):
    if isinstance(v, bool):
        return v, None
    if v in ("1", "on", "true", "yes"):
        return True, None
    if v in ("0", "off", "false", "no", ""):
        return False, None
    return None, "must be on or off"


def _blink(v):
    if isinstance(v, str):
        try:
            v = int(v.strip())
        except ValueError:
            return None, "must be a whole number of milliseconds"
    if not isinstance(v, int) or isinstance(v, bool):
        return None, "must be a whole number of milliseconds"
    if not 100 <= v <= 10000:
        return None, "must be between 100 and 10000 ms"
    return v, None


def _level(v):
    for n, _ in LOG_LEVELS:
        if v == n:
            return v, None
    return None, "must be one of " + ", ".join(n for n, _ in LOG_LEVELS)


def _check(name, v):
    if name == "device_name":
        return _text(v, 1, 32, "")
    if name == "wifi_ssid":
        return _text(v, 0, 32, " (an SSID's limit)")
    if name == "ap_ssid":
        return _text(v, 1, 32, " (an SSID's limit)")
    if name in SECRETS:
        return _wpa_password(v)
    if name == "ap_fallback":
        return _boolean(v)
    if name == "log_level":
        return _level(v)
    if name == "led_blink_ms":
        return _blink(v)
    return None, "is not a setting"


def validate(current, changes):
    """(new settings, {field: message}): ``changes`` applied to ``current``.

    Fields left out keep their value; an empty secret keeps the one set
    (``"clear": ["wifi_password"]`` empties it)."""
    new = dict(current)
    errors = {}
    if not isinstance(changes, dict):
        return current, {"": "settings must be an object"}
    for name, v in changes.items():
        if name == "clear":
            continue
        value, err = _check(name, v)
        if err:
            errors[name] = err
        elif name in SECRETS and value == "":
            continue
        else:
            new[name] = value
    for name in changes.get("clear", ()) if isinstance(changes.get("clear"), list) else ():
        if name in SECRETS:
            new[name] = ""
    return (current, errors) if errors else (new, errors)


def public(s):
    """The settings as GET shows them: secrets replaced by whether they are set."""
    out = {}
    for k in ORDER:
        if k in SECRETS:
            out[k + "_set"] = bool(s[k])
        else:
            out[k] = s[k]
    return out


class Settings:
    def __init__(self, path):
        self.path = path
        self.values = self.load()

    def load(self):
        v = dict(DEFAULTS)
        saved = store.read_json(self.path)
        if isinstance(saved, dict):
            for k in DEFAULTS:
                if k in saved:
                    ok, err = _check(k, saved[k])
                    if err is None:
                        v[k] = ok
        return v

    def update(self, changes):
        """Check and save ``changes``: {} on success, else the per-field
        messages (nothing saved).  OSError if the flash refuses (the file
        keeps the old settings)."""
        new, errors = validate(self.values, changes)
        if errors:
            return errors
        store.write_json(self.path, new)
        self.values = new
        return {}

    def __getitem__(self, k):
        return self.values[k]
