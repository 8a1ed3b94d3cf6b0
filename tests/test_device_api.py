"""The device app's API (docs/DEVICE_API.md): sessions, setup and login,
the routes' answers without a session, files and their paths, uploads
streamed to the flash.  In-process, real sockets (lws_mp.testing)."""

import pytest

import device_support as ds
import support

pytestmark = pytest.mark.lws_heap(ds.HEAP_NEED, reason=ds.HEAP_REASON)

# every API route that needs a session, with a method it answers
PROTECTED = (
    ("POST", "/api/logout"), ("GET", "/api/stats"), ("GET", "/api/settings"),
    ("POST", "/api/settings"), ("POST", "/api/password"), ("GET", "/api/files"),
    ("GET", "/api/files/a.txt"), ("PUT", "/api/files/a.txt"), ("DELETE", "/api/files/a.txt"),
    ("POST", "/api/files/a.txt?rename=b.txt"), ("POST", "/api/update"), ("POST", "/api/reboot"),
    ("GET", "/api/nothing-here"),
)


def _each_route_is_401(ctx, port, cookie=None, password_set=False):
    for method, path in PROTECTED:
        c = ds.client(ctx, port)
        body = b"x" if method in ("PUT", "POST") else None
        st, data, _ = ds.call(c, method, path, cookie=cookie, body=body)
        assert st == 401, (method, path, st, data)
        assert data["error"] and data["password_set"] is password_set, (path, data)
        c.close()
    for proto in ("lws-device", None):
        c = ds.client(ctx, port)
        h = {"Cookie": cookie} if cookie else None
        r = c.ws_connect("/ws", protocol=proto, headers=h, expect=401)
        assert b"error" in r.body, r.body
        c.close()


def test_every_route_and_the_websocket_need_a_session():
    with ds.running(ds.make_flash("api401")) as (ctx, port, dev):
        _each_route_is_401(ctx, port)  # first boot: no password yet
        c = ds.client(ctx, port)
        r = c.request("GET", "/")  # the page itself loads without one
        assert r.status == 200 and b"<html" in r.body
        ds.setup_password(c)
        _each_route_is_401(ctx, port, password_set=True)
        _each_route_is_401(ctx, port, cookie="sid=00112233445566778899aabbccddeeff",
                           password_set=True)


def test_setup_only_while_no_password_is_set():
    flash = ds.make_flash("apisetup")
    with ds.running(flash) as (ctx, port, dev):
        c = ds.client(ctx, port)
        st, data, _ = ds.call(c, "POST", "/api/login", {"password": "whatever1"})
        assert st == 409 and data["password_set"] is False
        st, data, _ = ds.call(c, "POST", "/api/setup", {"password": "short"})
        assert st == 400 and "password" in data["fields"]
        cookie = ds.setup_password(c)
        st, data, _ = ds.call(c, "GET", "/api/stats", cookie=cookie)
        assert st == 200 and data["uptime_s"] >= 0
        st, data, _ = ds.call(c, "POST", "/api/setup", {"password": "another one"})
        assert st == 409 and "already" in data["error"]
        st, data, _ = ds.call(c, "POST", "/api/setup", {"password": "another one"}, cookie=cookie)
        assert st == 409
        # stored as a salted hash, never in clear
        raw = ds.read(flash + "/auth.json")
        assert ds.PASSWORD.encode() not in raw and b"salt" in raw and b"pbkdf2" in raw
    # the password survives a reboot; sessions do not
    with ds.running(flash) as (ctx, port, dev):
        c = ds.client(ctx, port)
        assert ds.call(c, "GET", "/api/stats", cookie=cookie)[0] == 401
        ds.login(c)


def test_login_logout_and_the_growing_delay_after_failures():
    with ds.running(ds.make_flash("apilogin")) as (ctx, port, dev):
        c = ds.client(ctx, port)
        ds.setup_password(c)
        st, data, r = ds.call(c, "POST", "/api/login", {"password": "wrong password"})
        assert st == 401 and data["error"] == "wrong password" and data["retry_after"] == 1
        assert r.header("set-cookie") is None
        # locked: even the right password waits
        st, data, _ = ds.call(c, "POST", "/api/login", {"password": ds.PASSWORD})
        assert st == 429 and data["retry_after"] >= 1
        dev.auth.lock_ms = 0  # the second is over
        st, data, _ = ds.call(c, "POST", "/api/login", {"password": "wrong again"})
        assert st == 401 and data["retry_after"] == 2  # it grows
        dev.auth.lock_ms = 0
        cookie = ds.login(c)
        assert dev.auth.failures == 0
        st, data, _ = ds.call(c, "POST", "/api/login", {"password": "wrong once more"})
        assert data["retry_after"] == 1  # a success started the count again
        dev.auth.lock_ms = 0
        assert ds.call(c, "GET", "/api/settings", cookie=cookie)[0] == 200
        st, data, r = ds.call(c, "POST", "/api/logout", cookie=cookie)
        assert st == 200 and "Max-Age=0" in r.header("set-cookie")
        assert "HttpOnly" in r.header("set-cookie")
        assert ds.call(c, "GET", "/api/settings", cookie=cookie)[0] == 401
        st, _, r = ds.call(c, "POST", "/api/login", {"password": ds.PASSWORD})
        sc = r.header("set-cookie")
        assert "HttpOnly" in sc and "SameSite=Strict" in sc and "Path=/" in sc


def test_a_session_from_before_a_password_change_no_longer_works():
    with ds.running(ds.make_flash("apipw")) as (ctx, port, dev):
        c = ds.client(ctx, port)
        a = ds.setup_password(c)
        b = ds.login(c)
        ws = ds.client(ctx, port).ws_connect("/ws", protocol="lws-device", headers={"Cookie": b})
        assert ws.recv().opcode == 1  # hello
        st, data, _ = ds.call(c, "POST", "/api/password", {"current": "not it", "new": "x" * 9},
                              cookie=a)
        assert st == 401 and "current" in data["fields"]
        dev.auth.lock_ms = 0
        st, data, r = ds.call(c, "POST", "/api/password",
                              {"current": ds.PASSWORD, "new": "a new password"}, cookie=a)
        assert st == 200, data
        fresh = ds.cookie_of(r)
        for old in (a, b):
            assert ds.call(c, "GET", "/api/stats", cookie=old)[0] == 401
        assert ds.call(c, "GET", "/api/stats", cookie=fresh)[0] == 200
        # the live view of the ended session is closed at its next push
        ds.tick(ctx, dev)
        dev.last_second -= 1000
        ds.tick(ctx, dev)
        while True:
            m = ws.recv()
            if m.opcode == 8:
                break
        assert ws.close_code == 1008
        st, _, _ = ds.call(c, "POST", "/api/login", {"password": ds.PASSWORD})
        assert st == 401
        dev.auth.lock_ms = 0
        ds.login(c, "a new password")


def test_sessions_expire():
    from firmware.apps.device import auth

    with ds.running(ds.make_flash("apiexp")) as (ctx, port, dev):
        c, cookie = ds.logged_in(ctx, port)
        token = cookie.split("=", 1)[1]
        assert ds.call(c, "GET", "/api/stats", cookie=cookie)[0] == 200
        s = dev.auth.sessions[token]
        s[1] -= (auth.IDLE_S + 1) * 1000  # unused for longer than IDLE_S
        assert ds.call(c, "GET", "/api/stats", cookie=cookie)[0] == 401
        cookie = ds.login(c)
        token = cookie.split("=", 1)[1]
        dev.auth.sessions[token][0] -= (auth.LIFETIME_S + 1) * 1000  # used, but too old
        assert ds.call(c, "GET", "/api/stats", cookie=cookie)[0] == 401


def test_files_upload_download_rename_delete():
    flash = ds.make_flash("apifiles")
    with ds.running(flash) as (ctx, port, dev):
        c, cookie = ds.logged_in(ctx, port)
        data = bytes(range(256)) * 40 + b"end"
        st, body, _ = ds.call(c, "PUT", "/api/files/notes/a.bin", cookie=cookie, body=data)
        assert st == 201 and body == {"name": "notes/a.bin", "size": len(data)}
        st, body, _ = ds.call(c, "PUT", "/api/files/empty.txt", cookie=cookie, body=b"")
        assert st == 201 and body["size"] == 0
        st, body, _ = ds.call(c, "GET", "/api/files", cookie=cookie)
        assert [f["name"] for f in body["files"]] == ["empty.txt", "notes/a.bin"]
        assert body["flash_free"] > 0 and body["flash_total"] >= body["flash_free"]
        r = c.request("GET", "/api/files/notes/a.bin", headers={"Cookie": cookie})
        assert r.status == 200 and r.body == data
        assert "attachment" in r.header("content-disposition")
        r = c.request("GET", "/api/files/empty.txt", headers={"Cookie": cookie})
        assert r.status == 200 and r.body == b""
        st, body, _ = ds.call(c, "POST", "/api/files/notes/a.bin?rename=b.bin", cookie=cookie)
        assert st == 200 and body["name"] == "b.bin"
        st, body, _ = ds.call(c, "POST", "/api/files/b.bin?rename=empty.txt", cookie=cookie)
        assert st == 409
        st, body, _ = ds.call(c, "GET", "/api/files/notes/a.bin", cookie=cookie)
        assert st == 404 and body["error"]
        assert c.request("GET", "/api/files/b.bin", headers={"Cookie": cookie}).body == data
        assert ds.call(c, "DELETE", "/api/files/notes", cookie=cookie)[0] == 200  # empty now
        assert ds.call(c, "DELETE", "/api/files/b.bin", cookie=cookie)[0] == 200
        assert ds.call(c, "DELETE", "/api/files/b.bin", cookie=cookie)[0] == 404
        st, body, _ = ds.call(c, "GET", "/api/files", cookie=cookie)
        assert [f["name"] for f in body["files"]] == ["empty.txt"]


def test_traversal_in_file_paths_is_refused():
    flash = ds.make_flash("apitrav")
    with ds.running(flash) as (ctx, port, dev):
        c, cookie = ds.logged_in(ctx, port)
        auth_before = ds.read(flash + "/auth.json")
        bad_targets = ("../auth.json", "../../x", "/abs", "a/../../auth.json", ".hidden",
                       "a//b", "a\\b", "", ".up-1.tmp")
        for target in bad_targets:
            q = "".join("%%%02X" % b for b in target.encode())
            st, body, _ = ds.call(c, "POST", "/api/files/empty.txt?rename=" + q, cookie=cookie)
            assert st in (400, 404), (target, st, body)
        ds.call(c, "PUT", "/api/files/empty.txt", cookie=cookie, body=b"")
        for target in bad_targets[:5] + ("a\\b",):
            q = "".join("%%%02X" % b for b in target.encode())
            st, body, _ = ds.call(c, "POST", "/api/files/empty.txt?rename=" + q, cookie=cookie)
            assert st == 400, (target, st, body)
        # paths in the URL: encoded or not, they never leave the files area
        for path in ("/api/files/..%2Fauth.json", "/api/files/%2e%2e/auth.json",
                     "/api/files/..%2F..%2Fsettings.json", "/api/files/.hidden",
                     "/api/files/a%5Cb", "/api/files/%2e%2e%2f%2e%2e%2fapp"):
            for method in ("GET", "PUT", "DELETE"):
                st, body, r = ds.call(c, method, path, cookie=cookie,
                                      body=b"pwned" if method == "PUT" else None)
                assert st in (400, 404, 405), (method, path, st, r.body[:80])
                c = ds.client(ctx, port)
        assert ds.read(flash + "/auth.json") == auth_before
        st, body, _ = ds.call(c, "GET", "/api/files", cookie=cookie)
        assert [f["name"] for f in body["files"]] == ["empty.txt"], body


def test_an_upload_streams_to_the_flash_never_whole_in_ram():
    flash = ds.make_flash("apistream", blocks=160)
    with ds.running(flash, max_file=2 * 1024 * 1024) as (ctx, port, dev):
        c, cookie = ds.logged_in(ctx, port)
        size = 512 * 1024
        base = ds.heap_live()
        peak = [0]

        def sample():
            peak[0] = max(peak[0], ds.heap_live() - base)

        st, body = ds.upload_in_pieces(c, "/api/files/big.bin", cookie, size, sample=sample)
        assert st == 201 and body["size"] == size, body
        # what is on the flash, read back a piece at a time
        with open(flash + "/files/big.bin", "rb") as f:
            pos = 0
            while True:
                piece = f.read(4096)
                if not piece:
                    break
                for i in range(0, len(piece), 256):
                    assert piece[i] == (pos + i) // 256 & 0xFF, pos + i
                pos += len(piece)
        assert pos == size
        if support.IS_MICROPYTHON:
            # the whole file would be 512 KB; the upload holds a piece at a time
            assert peak[0] < 64 * 1024, peak[0]


def test_a_too_large_upload_fails_and_leaves_the_flash_as_it_was():
    flash = ds.make_flash("apifull")
    with ds.running(flash) as (ctx, port, dev):
        c, cookie = ds.logged_in(ctx, port)
        ds.call(c, "PUT", "/api/files/keep.txt", cookie=cookie, body=b"keep me")
        st, before, _ = ds.call(c, "GET", "/api/files", cookie=cookie)
        free = before["flash_free"]
        # known size: refused before a byte is written, the body read and dropped
        st, body = ds.upload_in_pieces(c, "/api/files/huge.bin", cookie, free + 8192)
        assert st == 507 and body["error"].startswith("not enough flash"), body
        assert body["need"] == free + 8192
        st, after, _ = ds.call(c, "GET", "/api/files", cookie=cookie)
        assert after["files"] == before["files"] and after["flash_free"] == free
        # unknown size (chunked): stopped while written, the part written removed
        chunk = b"z" * 4096
        c.send("PUT /api/files/chunked.bin HTTP/1.1\r\nHost: t\r\nCookie: %s\r\n"
               "Transfer-Encoding: chunked\r\n\r\n" % cookie)
        for _ in range(free // 4096 + 8):
            c.send(b"1000\r\n" + chunk + b"\r\n")
        c.send(b"0\r\n\r\n")
        r = c.read_response()
        assert r.status == 507 and b"not enough flash" in r.body, r.body
        st, after, _ = ds.call(c, "GET", "/api/files", cookie=cookie)
        assert after["files"] == before["files"], after
        assert after["flash_free"] == free, (after["flash_free"], free)
        assert ds.read(flash + "/files/keep.txt") == b"keep me"
        # and the flash still takes what fits
        st, body, _ = ds.call(c, "PUT", "/api/files/small.bin", cookie=cookie, body=b"s" * 5000)
        assert st == 201


def test_the_page_and_its_assets_carry_etag_and_cache_control():
    with ds.running(ds.make_flash("apiassets")) as (ctx, port, dev):
        c = ds.client(ctx, port)
        for path in ("/", "/app.js", "/style.css"):
            r = c.request("GET", path)
            assert r.status == 200 and r.header("etag") and r.header("cache-control") == "no-cache"
            r2 = c.request("GET", path, headers={"If-None-Match": r.header("etag")})
            assert r2.status == 304
        assert c.request("GET", "/nothing.js").status == 404
        assert c.request("GET", "/settings.json").status == 404
        st, data, _ = ds.call(c, "POST", "/", body=b"x")
        assert st == 405 and data["error"]
