"""The device's settings: checks with a message per field, the atomic save,
secrets never sent back, the plain form (no JavaScript) with its 303."""

import json

import pytest

import device_support as ds

pytestmark = pytest.mark.lws_heap(ds.HEAP_NEED, reason=ds.HEAP_REASON)


def _settings(c, cookie):
    st, data, _ = ds.call(c, "GET", "/api/settings", cookie=cookie)
    assert st == 200
    return data["settings"]


def test_defaults_then_a_good_change_is_saved_atomically():
    flash = ds.make_flash("setgood")
    with ds.running(flash) as (ctx, port, dev):
        c, cookie = ds.logged_in(ctx, port)
        s = _settings(c, cookie)
        assert s["device_name"] == "lws_mp device" and s["log_level"] == "notice"
        assert s["wifi_password_set"] is False and "wifi_password" not in s
        assert not ds.exists(flash + "/settings.json")
        change = {"device_name": "Greenhouse", "wifi_ssid": "home", "wifi_password": "12345678",
                  "ap_fallback": False, "log_level": "info", "led_blink_ms": 250}
        st, data, _ = ds.call(c, "POST", "/api/settings", change, cookie=cookie)
        assert st == 200, data
        s = data["settings"]
        assert s["device_name"] == "Greenhouse" and s["wifi_password_set"] is True
        saved = json.loads(ds.read(flash + "/settings.json"))
        for k, v in change.items():
            assert saved[k] == v, (k, saved)
        assert not ds.exists(flash + "/settings.json.tmp")
        # a partial change keeps the rest, an empty secret keeps the one set
        st, data, _ = ds.call(c, "POST", "/api/settings", {"led_blink_ms": "300",
                                                           "wifi_password": ""}, cookie=cookie)
        assert st == 200 and data["settings"]["led_blink_ms"] == 300
        saved = json.loads(ds.read(flash + "/settings.json"))
        assert saved["wifi_password"] == "12345678" and saved["device_name"] == "Greenhouse"
        st, data, _ = ds.call(c, "GET", "/api/stats", cookie=cookie)
        assert data["device_name"] == "Greenhouse" and data["led_blink_ms"] == 300
    # a restart reads them back
    with ds.running(flash) as (ctx, port, dev):
        assert dev.settings["device_name"] == "Greenhouse"
        assert dev.settings["log_level"] == "info"


def test_bad_values_get_a_message_each_and_nothing_is_saved():
    flash = ds.make_flash("setbad")
    with ds.running(flash) as (ctx, port, dev):
        c, cookie = ds.logged_in(ctx, port)
        bad = {"device_name": "", "wifi_ssid": "x" * 33, "wifi_password": "short",
               "ap_fallback": "maybe", "log_level": "chatty", "led_blink_ms": 5,
               "nonsense": 1}
        st, data, _ = ds.call(c, "POST", "/api/settings", bad, cookie=cookie)
        assert st == 400 and data["error"]
        assert sorted(data["fields"]) == sorted(bad), data["fields"]
        for msg in data["fields"].values():
            assert isinstance(msg, str) and msg
        assert not ds.exists(flash + "/settings.json")
        # one bad field and one good: still nothing saved
        st, data, _ = ds.call(c, "POST", "/api/settings",
                              {"device_name": "Fine", "led_blink_ms": "fast"}, cookie=cookie)
        assert st == 400 and list(data["fields"]) == ["led_blink_ms"]
        assert _settings(c, cookie)["device_name"] == "lws_mp device"
        st, data, _ = ds.call(c, "POST", "/api/settings", body=b"[1, 2]", cookie=cookie)
        assert st == 400
        st, data, _ = ds.call(c, "POST", "/api/settings", body=b"{not json", cookie=cookie)
        assert st == 400 and "JSON" in data["error"]
        st, data, _ = ds.call(c, "POST", "/api/settings", body=b"{" + b" " * 5000 + b"}",
                              cookie=cookie)
        assert st == 413


def test_a_torn_or_foreign_settings_file_gives_the_defaults():
    flash = ds.make_flash("settorn")
    with open(flash + "/settings.json", "wb") as f:
        f.write(b'{"device_name": "Half')
    with open(flash + "/settings.json.tmp", "wb") as f:
        f.write(b'{"device_name": "Never renamed"}')
    with ds.running(flash) as (ctx, port, dev):
        assert dev.settings["device_name"] == "lws_mp device"
    with open(flash + "/settings.json", "wb") as f:
        f.write(b'{"device_name": "Kept", "led_blink_ms": -4, "log_level": "debug"}')
    with ds.running(flash) as (ctx, port, dev):
        # each field checked on the way in: a bad one takes its default
        assert dev.settings["device_name"] == "Kept" and dev.settings["led_blink_ms"] == 500
        assert dev.settings["log_level"] == "debug"


def _form(c, path, fields, cookie=None):
    body = "&".join("%s=%s" % (k, v) for k, v in fields)
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        h["Cookie"] = cookie
    return c.request("POST", path, headers=h, body=body)


def test_the_plain_form_works_without_javascript():
    flash = ds.make_flash("setform")
    with ds.running(flash) as (ctx, port, dev):
        c = ds.client(ctx, port)
        r = c.request("GET", "/settings")
        assert r.status == 200 and b'action="/login"' in r.body and b"Set a password" in r.body
        r = _form(c, "/login", [("password", "short")])
        assert r.status == 400 and b"at least" in r.body
        r = _form(c, "/login", [("password", "correct+horse")])
        assert r.status == 303 and r.header("location") == "/settings"
        cookie = ds.cookie_of(r)
        r = c.request("GET", "/settings", headers={"Cookie": cookie})
        assert r.status == 200 and b'action="/settings"' in r.body
        assert b'value="lws_mp device"' in r.body
        # a good post: saved, 303 back to the form, which says so
        r = _form(c, "/settings", [("device_name", "Shed+%231"), ("wifi_ssid", ""),
                                   ("wifi_password", ""), ("ap_fallback", "0"),
                                   ("ap_ssid", "shed-ap"), ("ap_password", ""),
                                   ("log_level", "warn"), ("led_blink_ms", "750")], cookie)
        assert r.status == 303 and r.header("location") == "/settings?saved=1", r
        assert dev.settings["device_name"] == "Shed #1" and dev.settings["ap_fallback"] is False
        r = c.request("GET", "/settings?saved=1", headers={"Cookie": cookie})
        assert b"Saved." in r.body and b'value="Shed #1"' in r.body
        # the checkbox: hidden "0" then "1" when ticked
        r = _form(c, "/settings", [("ap_fallback", "0"), ("ap_fallback", "1")], cookie)
        assert r.status == 303 and dev.settings["ap_fallback"] is True
        # errors: the form again, each message beside its field, nothing saved
        r = _form(c, "/settings", [("device_name", ""), ("led_blink_ms", "9")], cookie)
        assert r.status == 400 and b"is required" in r.body and b"between 100" in r.body
        assert b'aria-invalid="true"' in r.body
        assert dev.settings["device_name"] == "Shed #1"
        # without a session the form post goes back to the login
        r = _form(c, "/settings", [("device_name", "Hijack")])
        assert r.status == 303 and dev.settings["device_name"] == "Shed #1"
        # a wrong password on the plain login
        r = _form(c, "/login", [("password", "nope+nope")])
        assert r.status == 401 and b"wrong password" in r.body
