"""The pages made on the device, for a browser without JavaScript.

``GET /settings`` is the settings form filled in with the current values
(or the login / first-boot form without a session); it posts to
``/settings`` (or ``/login``) as a plain form, and a good post is answered
with 303 back to ``/settings`` (post/redirect/get); a post with errors gets
the form again with each field's message beside it (400).  The same
style.css dresses it.
"""

from .settings import LOG_LEVELS

_FIELDS = (
    # name, label, kind, hint
    ("device_name", "Device name", "text", "Shown in the title and on the network."),
    ("wifi_ssid", "WiFi network (SSID)", "text", "Leave empty to stay off the WiFi."),
    ("wifi_password", "WiFi password", "password", "8 to 63 characters."),
    ("ap_fallback", "Start an access point when the WiFi fails", "checkbox", ""),
    ("ap_ssid", "Access point name", "text", ""),
    ("ap_password", "Access point password", "password", "Empty: an open access point."),
    ("log_level", "Log level", "select", "What the device logs (the log view shows it)."),
    ("led_blink_ms", "LED blink period (ms)", "number",
     "An example application setting: 100 to 10000."),
)


def esc(s):
    s = str(s)
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        if a in s:
            s = s.replace(a, b)
    return s


def _page(title, body):
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<title>%s</title><link rel="stylesheet" href="/style.css"></head>'
            '<body class="plain"><header class="bar"><span class="brand">%s</span>'
            '</header><main class="wrap" id="main">%s</main></body></html>'
            % (esc(title), esc(title), body))


def _field(name, label, kind, hint, value, is_set, err):
    fid = "f-" + name
    desc = []
    if hint:
        desc.append(fid + "-hint")
    if err:
        desc.append(fid + "-err")
    aria = ' aria-describedby="%s"' % " ".join(desc) if desc else ""
    inv = ' aria-invalid="true"' if err else ""
    out = ['<div class="field%s">' % (" bad" if err else "")]
    if kind == "checkbox":
        out.append('<input type="hidden" name="%s" value="0">' % name)
        out.append('<label class="check"><input type="checkbox" id="%s" name="%s" value="1"%s%s>'
                   ' %s</label>' % (fid, name, " checked" if value else "", aria, esc(label)))
    else:
        out.append('<label for="%s">%s</label>' % (fid, esc(label)))
        if kind == "select":
            opts = "".join('<option value="%s"%s>%s</option>' % (
                n, " selected" if n == value else "", n) for n, _ in LOG_LEVELS)
            out.append('<select id="%s" name="%s"%s>%s</select>' % (fid, name, aria, opts))
        elif kind == "password":
            ph = "(set: leave empty to keep it)" if is_set else ""
            out.append('<input type="password" id="%s" name="%s" value="" placeholder="%s" '
                       'autocomplete="new-password"%s%s>' % (fid, name, ph, aria, inv))
        else:
            extra = ' min="100" max="10000" step="1"' if kind == "number" else ""
            out.append('<input type="%s" id="%s" name="%s" value="%s"%s%s%s>'
                       % (kind, fid, name, esc(value), extra, aria, inv))
    if hint:
        out.append('<p class="hint" id="%s-hint">%s</p>' % (fid, esc(hint)))
    if err:
        out.append('<p class="err" id="%s-err">%s</p>' % (fid, esc(err)))
    out.append("</div>")
    return "".join(out)


def settings_page(dev, values, errors=None, message=None):
    errors = errors or {}
    parts = ['<h1>Settings</h1>']
    if message:
        parts.append('<p class="note" role="status">%s</p>' % esc(message))
    if errors:
        parts.append('<p class="err" role="alert">Nothing was saved: %d field%s to correct.</p>'
                     % (len(errors), "" if len(errors) == 1 else "s"))
    parts.append('<form method="post" action="/settings" class="card">')
    for name, label, kind, hint in _FIELDS:
        v = values.get(name, "")
        parts.append(_field(name, label, kind, hint, v if kind != "password" else "",
                            bool(dev.settings[name]) if kind == "password" else False,
                            errors.get(name)))
    parts.append('<div class="actions"><button type="submit">Save</button></div></form>')
    parts.append('<p><a href="/">Dashboard</a> (needs JavaScript)</p>')
    return _page(dev.settings["device_name"] + " settings", "".join(parts))


def login_page(dev, message=None):
    setup = not dev.auth.password_set()
    parts = ['<h1>%s</h1>' % ("Set a password" if setup else "Log in")]
    if setup:
        parts.append('<p>This device has no password yet. Choose one (at least 8 '
                     'characters); it will be asked for from now on.</p>')
    if message:
        parts.append('<p class="err" role="alert">%s</p>' % esc(message))
    parts.append('<form method="post" action="/login" class="card"><div class="field">'
                 '<label for="f-password">Password</label>'
                 '<input type="password" id="f-password" name="password" required '
                 'autocomplete="%s"></div><div class="actions"><button type="submit">%s'
                 '</button></div></form>'
                 % ("new-password" if setup else "current-password",
                    "Set password" if setup else "Log in"))
    return _page(dev.settings["device_name"], "".join(parts))
