"""The device web UI in Debian's Chromium (Playwright), against the app on
the MicroPython unix port with a LittleFS image as its flash, sized and
tuned as a Raspberry Pi Pico W (--board rp2_pico_w: 848 KB of flash, four
1 KB header tables, eight sockets).

A restart from the UI ends the process with the restart exit code (75);
the test starts it again on the same image and port, as the firmware's
loop (or the simulated board) does.  Screenshots on a phone and a laptop
viewport are kept in build/artefacts/.
"""

import os
import sys

import pytest

from conftest import MICROPYTHON, ROOT
from server_process import ServerProcess, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTEFACTS = os.path.join(ROOT, "build", "artefacts")
WWW = os.path.join(ROOT, "build", "device", "www")
WAIT_MS = 20000
RESTART_EXIT_CODE = 75
PASSWORD = "browser pass 1"

sys.path.insert(0, os.path.join(ROOT, "tools", "device"))


class Device(ServerProcess):
    """The device app as a process, started again when it exits with 75."""

    def __init__(self, tmp, board="rp2_pico_w"):
        port = free_port()
        self.image = os.path.join(tmp, "flash.img")
        cmd = [MICROPYTHON, os.path.join(ROOT, "firmware", "main.py"), "--app", "device",
               "--port", str(port), "--iface", "127.0.0.1", "--flash", self.image,
               "--root", WWW, "--board", board]
        self.restarts = 0
        super().__init__(cmd, port, os.path.join(tmp, "device.log"), ROOT, timeout=20.0)

    def restart_after_exit(self, timeout=30):
        """The app asked for a restart: it exits with 75, and starts again."""
        rc = self.proc.wait(timeout)
        assert rc == RESTART_EXIT_CODE, (rc, self.output()[-3000:])
        self.restarts += 1
        self.start()
        self.wait_listening(self.port, 20.0)

    def restart_process(self):
        """The server process killed and started again (a power cycle)."""
        self.proc.terminate()
        self.proc.wait(10)
        self.start()
        self.wait_listening(self.port, 20.0)


def visible(page, sel, timeout=WAIT_MS):
    page.wait_for_selector(sel, state="visible", timeout=timeout)


def text_has(page, sel, words, timeout=WAIT_MS):
    page.wait_for_function(
        "([s, w]) => { const e = document.querySelector(s);"
        " return e && e.textContent.includes(w); }",
        arg=[sel, words], timeout=timeout)


def log_in(page, password=PASSWORD):
    visible(page, "#auth")
    text_has(page, "#auth-title", "Log in")
    page.fill("#password", password)
    page.click("#auth-go")
    visible(page, "#nav")  # in: the view the address names


def api_json(page, path):
    r = page.request.get(page.url.split("#")[0].rstrip("/") + path)
    assert r.status == 200, (path, r.status, r.text())
    return r.json()


def shoot(page, name):
    os.makedirs(ARTEFACTS, exist_ok=True)
    path = os.path.join(ARTEFACTS, name)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 5000
    return path


def bundle(tmp, version, broken=False):
    import make_bundle

    entries = make_bundle.collect(os.path.join(ROOT, "firmware", "apps", "device"), WWW)
    if broken:
        entries = [(p, b'raise ImportError("broken on purpose")\n' if p == "device/app.py" else d)
                   for p, d in entries]
    path = os.path.join(tmp, "device-%s.tar" % version)
    with open(path, "wb") as f:
        f.write(make_bundle.make_bundle(entries, version))
    return path


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason="%s is absent (Debian package chromium; make deps)" % CHROMIUM)
@pytest.mark.timeout(420)
def test_device_ui_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    import build_assets

    build_assets.build(os.path.join(ROOT, "firmware", "apps", "device", "www"), WWW, quiet=True)
    dev = Device(str(tmp_path))
    errors = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport={"width": 1366, "height": 900},
                                      accept_downloads=True)
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: d.accept())
            page.set_default_timeout(WAIT_MS)
            assert page.goto(dev.url + "/").status == 200

            # first boot: no password, the page asks for one
            visible(page, "#auth")
            text_has(page, "#auth-title", "Set a password")
            shoot(page, "device-setup-laptop.png")
            page.fill("#password", PASSWORD)
            page.fill("#password2", PASSWORD)
            page.click("#auth-go")
            visible(page, "#dashboard")

            # the dashboard's figures change live (pushed over /ws)
            text_has(page, "#link", "live")
            first = page.text_content("#s-uptime")
            page.wait_for_function("(t) => document.getElementById('s-uptime').textContent !== t",
                                   arg=first)
            heap = page.text_content("#s-heap-free")
            assert "KB" in heap or "MB" in heap, heap
            page.wait_for_function("() => document.getElementById('chart-line')"
                                   ".getAttribute('d').length > 10")

            # log out; a wrong password is refused and delays the next try
            page.click("#logout")
            visible(page, "#auth")
            text_has(page, "#auth-title", "Log in")
            page.fill("#password", "not the password")
            page.click("#auth-go")
            text_has(page, "#auth-msg", "Wrong password")
            assert page.is_disabled("#auth-go")
            page.wait_for_function("() => !document.getElementById('auth-go').disabled")
            page.fill("#password", PASSWORD)
            page.click("#auth-go")
            visible(page, "#dashboard")
            text_has(page, "#log", "device app")  # the live log is there

            # settings: a change, checked on the device, then kept across a restart
            page.click("a[href='#settings']")
            visible(page, "#set-form")
            page.wait_for_function("() => document.getElementById('f-device_name').value !== ''")
            page.fill("#f-led_blink_ms", "5")
            page.click("#set-form button[type=submit]")
            text_has(page, "#e-led_blink_ms", "between 100 and 10000")
            page.fill("#f-device_name", "Browser box")
            page.fill("#f-led_blink_ms", "700")
            page.select_option("#f-log_level", "info")
            page.click("#set-form button[type=submit]")
            text_has(page, "#set-msg", "Saved.")
            dev.restart_process()  # the server process goes, and comes back on the same flash
            page.reload()
            log_in(page)
            text_has(page, "#brand", "Browser box")
            page.click("a[href='#settings']")
            page.wait_for_function(
                "() => document.getElementById('f-device_name').value === 'Browser box'")
            assert page.input_value("#f-led_blink_ms") == "700"

            # files: an upload downloads back byte-identical
            page.click("a[href='#files']")
            visible(page, "#up-form")
            data = os.urandom(150 * 1024) + b"the end"
            src = tmp_path / "sample.bin"
            src.write_bytes(data)
            page.set_input_files("#up-file", str(src))
            page.click("#up-form button[type=submit]")
            text_has(page, "#files-msg", "Uploaded sample.bin")
            page.wait_for_selector("#files-list a:text('sample.bin')")
            with page.expect_download() as dl:
                page.click("#files-list a:text('sample.bin')")
            got = tmp_path / "downloaded.bin"
            dl.value.save_as(str(got))
            assert got.read_bytes() == data

            # an upload larger than the free flash: a clear message, the flash as it was
            before = api_json(page, "/api/files")
            too_big = tmp_path / "too-big.bin"
            too_big.write_bytes(b"\x5a" * (before["flash_free"] + 40 * 1024))
            assert too_big.stat().st_size < before["max_file"]
            page.set_input_files("#up-file", str(too_big))
            page.click("#up-form button[type=submit]")
            text_has(page, "#files-msg", "not enough flash")
            after = api_json(page, "/api/files")
            assert after["files"] == before["files"]
            assert after["flash_free"] == before["flash_free"]
            shoot(page, "device-files-laptop.png")

            # an app update applies ...
            page.click("a[href='#system']")
            visible(page, "#upd-form")
            page.set_input_files("#upd-file", bundle(str(tmp_path), "1.1.0-browser"))
            page.click("#upd-form button[type=submit]")
            text_has(page, "#upd-msg", "1.1.0-browser installed")
            dev.restart_after_exit()
            log_in(page)
            text_has(page, "#sys-version", "1.1.0-browser")
            assert page.is_hidden("#boot-note")
            # ... and a broken one rolls back, and the dashboard says so
            page.click("a[href='#system']")
            page.set_input_files("#upd-file", bundle(str(tmp_path), "1.2.0-broken", broken=True))
            page.click("#upd-form button[type=submit]")
            text_has(page, "#upd-msg", "installed")
            dev.restart_after_exit()
            log_in(page)
            page.click("a[href='#dashboard']")
            visible(page, "#boot-note")
            text_has(page, "#boot-note", "1.2.0-broken failed to start")
            text_has(page, "#sys-version", "1.1.0-browser")
            # a few seconds of chart: uptime at least 6 s, compared as a number because a
            # loaded host can skip a once-a-second push and never show exactly "0m 6s"
            page.wait_for_function("() => { const m = /^(\\d+)m (\\d+)s$/.exec("
                                   "document.getElementById('s-uptime').textContent);"
                                   " return m !== null && +m[1] * 60 + +m[2] >= 6; }")
            shoot(page, "device-dashboard-laptop.png")

            # a phone
            phone = browser.new_context(viewport={"width": 390, "height": 844},
                                        device_scale_factor=2, is_mobile=True, has_touch=True)
            pp = phone.new_page()
            pp.on("pageerror", lambda e: errors.append(str(e)))
            pp.goto(dev.url + "/")
            log_in(pp)
            text_has(pp, "#link", "live")
            pp.wait_for_function("() => document.getElementById('chart-line')"
                                 ".getAttribute('d').length > 10")
            shoot(pp, "device-dashboard-phone.png")
            pp.click("a[href='#settings']")
            visible(pp, "#set-form")
            shoot(pp, "device-settings-phone.png")
            phone.close()

            # the settings form without JavaScript: a plain POST and a 303 back
            nojs = browser.new_context(java_script_enabled=False)
            np = nojs.new_page()
            np.goto(dev.url + "/")
            assert np.is_visible("noscript") or "JavaScript is off" in np.content()
            np.click("a[href='/settings']")
            np.fill("#f-password", PASSWORD)
            np.click("button[type=submit]")
            np.wait_for_selector("form[action='/settings']")
            # checked on the device: the form comes back with the field's message
            np.fill("#f-device_name", "")
            np.fill("#f-led_blink_ms", "1200")
            np.click("button[type=submit]")
            np.wait_for_selector("#f-device_name-err")
            assert "is required" in np.text_content("#f-device_name-err")
            assert np.input_value("#f-led_blink_ms") == "1200"
            np.fill("#f-device_name", "No script box")
            np.click("button[type=submit]")
            np.wait_for_selector("text=Saved.")
            assert np.url.endswith("/settings?saved=1")
            assert np.input_value("#f-device_name") == "No script box"
            shoot(np, "device-settings-nojs-laptop.png")
            nojs.close()
            s = api_json(page, "/api/settings")["settings"]
            assert s["device_name"] == "No script box" and s["led_blink_ms"] == 1200
            browser.close()
    finally:
        dev.stop()
    out = dev.output()
    assert not errors, errors
    for bad in ("Traceback", "MemoryError"):
        assert bad not in out, "device log has %r:\n%s" % (bad, out[-4000:])
    assert dev.restarts == 2
