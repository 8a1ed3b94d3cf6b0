"""protocols[0]: the page's assets, the JSON API, the forms (docs/DEVICE_API.md).

Everything under /api/ but setup and login needs a session (401 without
one); so does the WebSocket (ws.py).  Bodies stream through HTTP_BODY:
JSON bodies are gathered up to MAX_JSON bytes, uploads and updates go to
the flash piece by piece (files.py, update.py).  A request without a
session is answered at once (and, with a body still coming, closed); a
refused upload is read to its end and then answered, so the page shows why.
"""

from lws_mp import (
    LWS_CALLBACK_CLOSED_HTTP,
    LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION,
    LWS_CALLBACK_HTTP,
    LWS_CALLBACK_HTTP_BODY,
    LWS_CALLBACK_HTTP_BODY_COMPLETION,
    LWS_CALLBACK_HTTP_WRITEABLE,
    lws_context_user,
    lws_get_context,
    lws_get_urlarg_by_name,
    lws_serve_http_file,
)
from lws_mp.plat._port import ticks_add, ticks_ms

from . import auth, files, http, pages, settings, ws
from .update import Installer

MAX_JSON = 4096
DRAIN_MAX = 8 * 1024 * 1024  # a refused upload bigger than this is not read
ASSET_TYPES = {"html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
               "css": "text/css; charset=utf-8", "svg": "image/svg+xml",
               "png": "image/png", "ico": "image/x-icon", "json": "application/json",
               "txt": "text/plain; charset=utf-8"}


class Req:
    """What one HTTP connection's current request needs between callbacks."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.route = None  # what BODY_COMPLETION answers
        self.body = None  # a JSON or form body, gathered
        self.too_big = False
        self.token = None
        self.upload = None
        self.installer = None
        self.download = None


def _dev(wsi):
    return lws_context_user(lws_get_context(wsi))


def callback_http(wsi, reason, pss, in_, len_):
    if reason == LWS_CALLBACK_HTTP:
        dev = _dev(wsi)
        dev.stats.requests += 1
        pss.reset()
        return request(dev, wsi, pss, in_)
    if reason == LWS_CALLBACK_HTTP_BODY:
        if pss.upload is not None:
            pss.upload.feed(in_)
        elif pss.installer is not None:
            pss.installer.feed(in_)
        elif pss.body is not None and not pss.too_big:
            if len(pss.body) + len_ > MAX_JSON:
                pss.too_big = True
            else:
                pss.body.extend(in_)
        return 0
    if reason == LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return body_done(_dev(wsi), wsi, pss)
    if reason == LWS_CALLBACK_HTTP_WRITEABLE:
        if pss.download is not None:
            return files.download_writeable(_dev(wsi), wsi, pss.download)
        return 0
    if reason == LWS_CALLBACK_CLOSED_HTTP:
        if pss.upload is not None:
            pss.upload.discard()
        if pss.installer is not None:
            pss.installer.abort()
        if pss.download is not None:
            pss.download.close()
        pss.reset()
        return 0
    if reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        # an upgrade that named no subprotocol (or /ws without lws-device)
        return ws.filter_upgrade(wsi, None)
    return 0


def _session(dev, wsi, pss):
    pss.token = auth.cookie_value(http.cookie_header(wsi))
    return dev.auth.session_valid(pss.token)


def _gather(wsi, pss, route):
    """Gather the body for ``route``; one without a body is answered now."""
    pss.route = route
    pss.body = bytearray()
    if http.body_length(wsi) == 0:
        return body_done(_dev(wsi), wsi, pss)
    return 0


def request(dev, wsi, pss, path):
    m = http.method(wsi)
    if path.startswith("/api/"):
        return api(dev, wsi, pss, m, path[5:])
    if path == "/settings" or path == "/login":
        if m == "POST":
            return _gather(wsi, pss, "form" + path)
        if m == "GET":
            if not _session(dev, wsi, pss):
                return http.send(wsi, 200, pages.login_page(dev), http.HTML)
            msg = "Saved." if lws_get_urlarg_by_name(wsi, "saved") else None
            return http.send(wsi, 200, pages.settings_page(dev, dev.settings.values, None, msg),
                             http.HTML)
    if m != "GET":
        return http.error(wsi, 405, "method not allowed here")
    return asset(dev, wsi, "index.html" if path == "/" else path[1:])


def asset(dev, wsi, name):
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if "/" in name or name.startswith(".") or ext not in ASSET_TYPES:
        return http.error(wsi, 404, "not found")
    r = lws_serve_http_file(wsi, dev.www + "/" + name, ASSET_TYPES[ext],
                            b"Cache-Control: no-cache\r\n")
    if r < 0:
        return http.error(wsi, 404, "not found")
    return 0


def api(dev, wsi, pss, m, route):
    if route == "setup" or route == "login":
        if m != "POST":
            return http.error(wsi, 405, "POST a JSON {\"password\": ...}")
        return _gather(wsi, pss, route)
    if not _session(dev, wsi, pss):
        return http.error(wsi, 401, "log in first", password_set=dev.auth.password_set())
    if route == "logout" and m == "POST":
        dev.auth.close_session(pss.token)
        return http.send_json(wsi, 200, {"ok": True}, auth.clear_cookie())
    if route == "stats" and m == "GET":
        st = dev.stats.snapshot(lws_get_context(wsi))
        if lws_get_urlarg_by_name(wsi, "history"):
            st["history"] = dev.stats.heap_history()
        return http.send_json(wsi, 200, st)
    if route == "settings":
        if m == "GET":
            return http.send_json(wsi, 200, {"settings": settings.public(dev.settings.values)})
        if m == "POST":
            return _gather(wsi, pss, "settings")
    if route in ("password", "reboot") and m == "POST":
        return _gather(wsi, pss, route)
    if route == "update" and m == "POST":
        pss.installer = Installer(dev)
        pss.installer.begin(http.body_length(wsi))
        pss.route = "update"
        if http.body_length(wsi) == 0:
            return body_done(dev, wsi, pss)
        return 0
    if route == "files" and m == "GET":
        total, free = dev.space()
        return http.send_json(wsi, 200, {"files": files.listing(dev.files_dir),
                                         "flash_total": total, "flash_free": free,
                                         "max_file": dev.max_file, "reserve": dev.reserve})
    if route.startswith("files/"):
        return file_route(dev, wsi, pss, m, route[6:])
    if route in ("logout", "stats", "settings", "password", "reboot", "update", "files"):
        return http.error(wsi, 405, "method not allowed for /api/" + route)
    return http.error(wsi, 404, "no such API route: /api/" + route)


def file_route(dev, wsi, pss, m, rel):
    rel = files.safe_rel(rel)
    if rel is None:
        return http.error(wsi, 400, "bad file name")
    if m == "GET":
        d, err = files.start_download(dev, wsi, rel)
        if err is not None:
            return http.error(wsi, err[0], err[1])
        pss.download = d
        return 0
    if m == "PUT":
        length = http.body_length(wsi)
        up = files.Upload(dev, rel, length, pss.token[:8])
        up.begin()
        pss.upload = up
        pss.route = "upload"
        if up.refusal is not None and length > DRAIN_MAX:
            code, message, more = up.refusal
            return http.error(wsi, code, message, **more)
        if length == 0:
            return body_done(dev, wsi, pss)
        return 0
    if m == "DELETE":
        code, msg = files.delete(dev, rel)
        return http.send_json(wsi, code, {"ok": True} if msg is None else {"error": msg})
    if m == "POST":
        new = lws_get_urlarg_by_name(wsi, "rename")
        if new is None:
            return http.error(wsi, 400, "POST /api/files/<path>?rename=<new path>")
        new = files.safe_rel(new)
        if new is None:
            return http.error(wsi, 400, "bad new file name")
        code, msg = files.rename(dev, rel, new)
        return http.send_json(wsi, code, {"name": new} if msg is None else {"error": msg})
    return http.error(wsi, 405, "GET, PUT, DELETE or POST ?rename=")


def body_done(dev, wsi, pss):
    route = pss.route
    if route == "upload":
        up = pss.upload
        pss.upload = None
        code, body = up.finish()
        return http.send_json(wsi, code, body)
    if route == "update":
        ins = pss.installer
        pss.installer = None
        code, body = ins.finish()
        return http.send_json(wsi, code, body)
    if pss.too_big:
        return http.error(wsi, 413, "the body is larger than %d bytes" % MAX_JSON)
    body = pss.body or b""
    pss.body = None
    if route.startswith("form/"):
        return form_done(dev, wsi, pss, route, http.parse_form(body))
    data = http.parse_json(body) if body else {}
    if data is None:
        return http.error(wsi, 400, "the body must be a JSON object")
    if route == "setup":
        return setup(dev, wsi, data.get("password"))
    if route == "login":
        return login(dev, wsi, data.get("password"))
    if route == "settings":
        return save_settings(dev, wsi, data)
    if route == "password":
        return change_password(dev, wsi, data)
    if route == "reboot":
        dev.reboot_at = ticks_add(ticks_ms(), 500)
        return http.send_json(wsi, 200, {"restarting": True})
    return http.error(wsi, 404, "no such route")


def setup(dev, wsi, password):
    if dev.auth.password_set():
        return http.error(wsi, 409, "a password is already set: log in")
    why = dev.auth.check_new_password(password)
    if why:
        return http.error(wsi, 400, why, fields={"password": why})
    try:
        dev.auth.set_password(password)
    except OSError as e:
        return http.error(wsi, 507, "the flash refused the password (%s)" % e)
    return http.send_json(wsi, 200, {"ok": True}, auth.set_cookie(dev.auth.open_session()))


def _check_login(dev, password):
    """None when ``password`` is right, else (code, message, retry_after)."""
    wait = dev.auth.retry_after_s()
    if wait:
        return 429, "too many failed logins: try again in %d s" % wait, wait
    if not dev.auth.verify(password):
        dev.auth.failed()
        return 401, "wrong password", dev.auth.retry_after_s()
    dev.auth.succeeded()
    return None


def login(dev, wsi, password):
    if not dev.auth.password_set():
        return http.error(wsi, 409, "no password is set yet: set one first", password_set=False)
    bad = _check_login(dev, password)
    if bad:
        return http.error(wsi, bad[0], bad[1], retry_after=bad[2])
    return http.send_json(wsi, 200, {"ok": True}, auth.set_cookie(dev.auth.open_session()))


def change_password(dev, wsi, data):
    bad = _check_login(dev, data.get("current"))
    if bad:
        return http.error(wsi, bad[0], "current password: " + bad[1], retry_after=bad[2],
                          fields={"current": bad[1]})
    why = dev.auth.check_new_password(data.get("new"))
    if why:
        return http.error(wsi, 400, why, fields={"new": why})
    try:
        dev.auth.set_password(data["new"])
    except OSError as e:
        return http.error(wsi, 507, "the flash refused the password (%s)" % e)
    # every other session ended with the change; this one goes on anew
    return http.send_json(wsi, 200, {"ok": True}, auth.set_cookie(dev.auth.open_session()))


def save_settings(dev, wsi, data):
    try:
        errors = dev.settings.update(data)
    except OSError as e:
        return http.error(wsi, 507, "the flash refused the settings (%s); the old ones stay" % e)
    if errors:
        return http.error(wsi, 400, "some settings are not valid", fields=errors)
    dev.apply_settings()
    return http.send_json(wsi, 200, {"settings": settings.public(dev.settings.values)})


def form_done(dev, wsi, pss, route, form):
    if route == "form/login":
        password = form.get("password", "")
        if not dev.auth.password_set():
            why = dev.auth.check_new_password(password)
            if why is None:
                try:
                    dev.auth.set_password(password)
                except OSError as e:
                    why = "the flash refused the password (%s)" % e
            if why:
                return http.send(wsi, 400, pages.login_page(dev, why), http.HTML)
        else:
            bad = _check_login(dev, password)
            if bad:
                return http.send(wsi, bad[0], pages.login_page(dev, bad[1]), http.HTML)
        return http.redirect(wsi, "/settings", auth.set_cookie(dev.auth.open_session()))
    if not _session(dev, wsi, pss):
        return http.redirect(wsi, "/settings")
    try:
        errors = dev.settings.update(form)
    except OSError as e:
        errors = {"device_name": "the flash refused the settings (%s)" % e}
    if errors:
        shown = dict(dev.settings.values)
        for k, v in form.items():
            if k in shown and k not in settings.SECRETS:
                shown[k] = v
        return http.send(wsi, 400, pages.settings_page(dev, shown, errors), http.HTML)
    dev.apply_settings()
    return http.redirect(wsi, "/settings?saved=1")
