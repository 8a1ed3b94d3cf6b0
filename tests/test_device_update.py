"""App update: a bundle checked against its manifest, written beside the
running app, switched to; a version that cannot start falls back and the
dashboard says so.  A reboot here is a new start of the app on the same
flash (what firmware/main.py does after the restart exit)."""

import json

import pytest

import device_support as ds

pytestmark = pytest.mark.lws_heap(ds.HEAP_NEED, reason=ds.HEAP_REASON)

_tools = ds.REPO + "/tools/device"


def _bundle_tools():
    import sys

    if _tools not in sys.path:
        sys.path.append(_tools)
    import make_bundle

    return make_bundle


def real_bundle(version, replace=None):
    """The device app itself as a bundle; ``replace`` {path: bytes} changes files."""
    mb = _bundle_tools()
    entries = mb.collect(ds.APP_SRC, ds.WWW_SRC)
    if replace:
        entries = [(p, replace.get(p, d)) for p, d in entries]
    return mb.make_bundle(entries, version)


def _post_update(c, cookie, data):
    st, body, _ = ds.call(c, "POST", "/api/update", cookie=cookie, body=data,
                          headers={"Content-Type": "application/x-tar"})
    return st, body


def _state(flash):
    return json.loads(ds.read(flash + "/app/state.json"))


def _reboot(ctx, flash):
    ds.stop(ctx)
    ctx, port, dev = ds.start(flash)
    c = ds.client(ctx, port)
    return ctx, port, dev, c


BROKEN = b'raise RuntimeError("this update is broken on purpose")\n'


def test_an_update_applies_and_a_broken_one_rolls_back():
    flash = ds.make_flash("updok", blocks=192)
    ctx, port, dev = ds.start(flash)
    try:
        c, cookie = ds.logged_in(ctx, port)
        assert dev.boot == {"version": "1.0.0", "slot": None, "trial": False, "note": None}
        st, body = _post_update(c, cookie, real_bundle("1.1.0"))
        assert st == 200 and body == {"version": "1.1.0", "slot": "a", "restart": True}, body
        s = _state(flash)
        assert s["active"] == "a" and s["trial"] is True and s["previous"] is None
        st, body, _ = ds.call(c, "POST", "/api/reboot", {}, cookie=cookie)
        assert st == 200 and dev.reboot_at is not None
        dev.reboot_at -= 1000
        ds.tick(ctx, dev)
        assert dev.restarts == 1
        ctx, port, dev, c = _reboot(ctx, flash)
        assert dev.boot["version"] == "1.1.0" and dev.boot["slot"] == "a" and dev.boot["trial"]
        ds.tick(ctx, dev)  # the service loop runs: confirmed
        assert _state(flash)["trial"] is False
        cookie = ds.login(c)
        st, stats, _ = ds.call(c, "GET", "/api/stats", cookie=cookie)
        assert stats["version"] == "1.1.0" and stats["slot"] == "a" and stats["boot_note"] is None
        # its page comes from its own slot
        r = c.request("GET", "/app.js")
        assert r.status == 200 and b"lws-device" in r.body
        # a bundle whose checks pass but whose app cannot start
        st, body = _post_update(c, cookie, real_bundle("1.2.0-broken",
                                                       {"device/app.py": BROKEN}))
        assert st == 200 and body["slot"] == "b", body
        s = _state(flash)
        assert s["active"] == "b" and s["previous"] == "a" and s["previous_version"] == "1.1.0"
        ctx, port, dev, c = _reboot(ctx, flash)
        assert dev.boot["version"] == "1.1.0" and dev.boot["slot"] == "a"
        note = dev.boot["note"]
        assert "1.2.0-broken" in note and "broken on purpose" in note and "1.1.0" in note, note
        s = _state(flash)
        assert s["active"] == "a" and s["trial"] is False and s["note"] == note
        cookie = ds.login(c)
        st, stats, _ = ds.call(c, "GET", "/api/stats", cookie=cookie)
        assert stats["boot_note"] == note
        # the note stays across boots until a good update replaces it
        ctx, port, dev, c = _reboot(ctx, flash)
        assert dev.boot["note"] == note and dev.boot["version"] == "1.1.0"
    finally:
        ds.stop(ctx)


def test_a_trial_that_never_came_up_falls_back():
    flash = ds.make_flash("updhang", blocks=192)
    ctx, port, dev = ds.start(flash)
    try:
        c, cookie = ds.logged_in(ctx, port)
        assert _post_update(c, cookie, real_bundle("2.0.0"))[0] == 200
        ds.stop(ctx)
        # it starts, but the board is reset before its loop ever ran
        ctx, port, dev = ds.start(flash)
        assert dev.boot["version"] == "2.0.0" and _state(flash)["tries"] == 1
        ds.stop(ctx)
        ctx, port, dev = ds.start(flash)
        assert dev.boot["slot"] is None and dev.boot["version"] == "1.0.0"
        assert "2.0.0 did not come up" in dev.boot["note"]
        assert "built-in" in dev.boot["note"]
    finally:
        ds.stop(ctx)


def _refused(c, cookie, data, code, words):
    st, body = _post_update(c, cookie, data)
    assert st == code and words in body["error"], (st, body)


def test_bad_bundles_are_refused_and_change_nothing():
    mb = _bundle_tools()
    flash = ds.make_flash("updbad", blocks=192)
    ctx, port, dev = ds.start(flash)
    try:
        c, cookie = ds.logged_in(ctx, port)
        good = mb.collect(ds.APP_SRC, ds.WWW_SRC)
        m = mb.manifest(good, "3.0")
        wrong_sha = json.loads(json.dumps(m))
        wrong_sha["files"][1]["sha256"] = "0" * 64
        _refused(c, cookie, mb.make_bundle(good, "3.0", wrong_sha), 400, "sha256")
        wrong_size = json.loads(json.dumps(m))
        wrong_size["files"][2]["size"] += 1
        _refused(c, cookie, mb.make_bundle(good, "3.0", wrong_size), 400, "the manifest says")
        _refused(c, cookie, mb.make_bundle(good[:-1], "3.0", m), 400, "not in the bundle")
        extra = good + [("device/evil.py", b"x = 1\n")]
        _refused(c, cookie, mb.make_bundle(extra, "3.0", m), 400, "not in the manifest")
        outside = [("device/../../auth.json", b"{}")] + good
        _refused(c, cookie, mb.make_bundle(outside, "3.0"), 400, "bad or repeated path")
        no_app = [e for e in good if e[0] != "device/app.py"]
        _refused(c, cookie, mb.make_bundle(no_app, "3.0"), 400, "no device/app")
        other = json.loads(json.dumps(m))
        other["app"] = "toaster"
        _refused(c, cookie, mb.make_bundle(good, "3.0", other), 400, "toaster")
        _refused(c, cookie, b"not a tar at all" * 64, 400, "tar")
        _refused(c, cookie, mb.make_bundle(good, "3.0")[:20000], 400, "ended early")
        # refused as the manifest comes, so a manifest that says so is enough
        def claiming(size):
            claim = json.loads(json.dumps(m))
            claim["files"].append({"path": "device/www/blob.bin", "size": size,
                                   "sha256": "0" * 64})
            return mb.make_bundle(good, "3.0", claim)

        _refused(c, cookie, claiming(600 * 1024), 400, "at most")
        # a flash mostly full: the bundle is refused before it is written
        st, _ = ds.upload_in_pieces(c, "/api/files/filler.bin", cookie, 450 * 1024)
        assert st == 201
        _refused(c, cookie, claiming(200 * 1024), 507, "not enough flash")
        assert ds.call(c, "DELETE", "/api/files/filler.bin", cookie=cookie)[0] == 200
        assert not ds.exists(flash + "/app/state.json") or _state(flash)["active"] is None
        st, stats, _ = ds.call(c, "GET", "/api/stats", cookie=cookie)
        assert stats["version"] == "1.0.0"
        # the staging slot is left empty, and a good bundle still goes in
        assert _post_update(c, cookie, real_bundle("3.0"))[0] == 200
    finally:
        ds.stop(ctx)
