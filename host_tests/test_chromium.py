"""Debian's Chromium, driven by Playwright, using the test-server page.

The page (firmware/test_server_www/test.html) opens three WebSockets:
dumb-increment-protocol fills #number, lws-mirror-protocol appends to
#mirror-log, lws-status puts the JSON client counts in #status.  Every wait is
a Playwright wait on the DOM (bounded by WAIT_MS), never a sleep.  A
screenshot of the page is kept in build/screenshots/test_server-<interp>.png.
"""

import json
import os

import pytest

from conftest import INTERPRETERS, ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = os.path.join(ROOT, "build", "screenshots")
WAIT_MS = 20000

NUMBER_JS = "() => Number(document.getElementById('number').textContent)"


def number(page):
    return page.evaluate(NUMBER_JS)


def status(page):
    return json.loads(page.text_content("#status"))


def wait_status(page, want):
    """Wait until #status is exactly the JSON object ``want``."""
    page.wait_for_function(
        """(want) => { try {
               return JSON.stringify(JSON.parse(document.getElementById('status').textContent))
                      === JSON.stringify(want);
           } catch (e) { return false; } }""",
        arg=want, timeout=WAIT_MS)


def wait_open(page):
    for state in ("#dumb-state", "#mirror-state", "#status-state"):
        page.wait_for_function("(sel) => document.querySelector(sel).textContent === 'open'",
                               arg=state, timeout=WAIT_MS)


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason="%s is absent (Debian package chromium; make deps)" % CHROMIUM)
@pytest.mark.timeout(180)
@pytest.mark.parametrize("interp", INTERPRETERS)
def test_test_server_page_in_chromium(server, interp):
    from playwright.sync_api import sync_playwright

    srv = server("test_server", interp)
    page_errors = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            resp = page.goto(srv.url + "/", timeout=WAIT_MS)
            assert resp is not None and resp.status == 200
            assert page.title() == "lws_mp test server"
            wait_open(page)

            # dumb-increment: the number is there and rises
            page.wait_for_function(
                "() => /^[0-9]+$/.test(document.getElementById('number').textContent)",
                timeout=WAIT_MS)
            first = number(page)
            page.wait_for_function("(n) => (%s)() >= n + 6" % NUMBER_JS, arg=first,
                                   timeout=WAIT_MS)
            second = number(page)
            assert second > first, (first, second)

            # reset: the server starts counting from 0 again.  Every value shown
            # after the click is recorded, so no value can be missed.
            page.wait_for_function("() => (%s)() >= 40" % NUMBER_JS, timeout=WAIT_MS)
            before = number(page)
            page.evaluate("""() => {
                const el = document.getElementById('number');
                window.seenAfterReset = [];
                new MutationObserver(() => window.seenAfterReset.push(Number(el.textContent)))
                    .observe(el, {childList: true, characterData: true, subtree: true});
            }""")
            page.click("#reset")
            page.wait_for_function("() => window.seenAfterReset.some((v) => v < 10)",
                                   timeout=WAIT_MS)
            seen = page.evaluate("() => window.seenAfterReset")
            assert before >= 40 and min(seen) < 10, (before, seen[:20])

            # mirror: a message comes back to the sender through the server
            text = "mirror from chromium on %s port %d" % (interp, srv.port)
            page.fill("#mirror-text", text)
            page.click("#mirror-send")
            page.wait_for_function(
                "(t) => document.getElementById('mirror-log').textContent.split('\\n')"
                ".includes(t)", arg=text, timeout=WAIT_MS)

            # lws-status: counts for this page's connections, then for a second page
            one = {"dumb-increment-protocol": 1, "lws-mirror-protocol": 1, "lws-status": 1}
            wait_status(page, one)
            assert status(page) == one
            other = browser.new_page()
            other.goto(srv.url + "/", timeout=WAIT_MS)
            wait_status(page, {k: 2 for k in one})
            # the second page sees the first page's mirror traffic from now on
            page.fill("#mirror-text", text + " again")
            page.click("#mirror-send")
            other.wait_for_function(
                "(t) => document.getElementById('mirror-log').textContent.includes(t)",
                arg=text + " again", timeout=WAIT_MS)
            other.close()
            wait_status(page, one)

            os.makedirs(SCREENSHOTS, exist_ok=True)
            shot = os.path.join(SCREENSHOTS, "test_server-%s.png" % interp)
            page.screenshot(path=shot, full_page=True)
            assert os.path.getsize(shot) > 0
        finally:
            browser.close()

    assert not page_errors, page_errors
    assert srv.alive(), srv.output()
    out = srv.output()
    for bad in ("Traceback", "MemoryError", "dropped"):
        assert bad not in out, "server log has %r:\n%s" % (bad, out)
