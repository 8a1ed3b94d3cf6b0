"""Answering HTTP requests the lws way: headers built with the lws helpers,
the body in one lws_write, the transaction completed.

Each ``send*`` returns what the callback should return: 0 (keep the
connection) or -1 (close it).
"""

import json

from lws_mp import (
    LWS_WRITE_HTTP_FINAL,
    LWS_WRITE_HTTP_HEADERS,
    WSI_TOKEN_DELETE_URI,
    WSI_TOKEN_GET_URI,
    WSI_TOKEN_HTTP_CONTENT_LENGTH,
    WSI_TOKEN_HTTP_COOKIE,
    WSI_TOKEN_HTTP_TRANSFER_ENCODING,
    WSI_TOKEN_POST_URI,
    WSI_TOKEN_PUT_URI,
    lws_add_http_header_by_name,
    lws_add_http_header_content_length,
    lws_add_http_header_status,
    lws_finalize_http_header,
    lws_hdr_str,
    lws_hdr_total_length,
    lws_http_transaction_completed,
    lws_write,
)

JSON = "application/json"
HTML = "text/html; charset=utf-8"


def method(wsi):
    if lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI):
        return "GET"
    if lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI):
        return "POST"
    if lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI):
        return "PUT"
    if lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI):
        return "DELETE"
    return "OTHER"


def cookie_header(wsi):
    return lws_hdr_str(wsi, WSI_TOKEN_HTTP_COOKIE)


def body_length(wsi):
    """The request body's length: 0 without one, -1 when chunked."""
    if lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING):
        return -1
    v = lws_hdr_str(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH)
    try:
        return int(v) if v else 0
    except ValueError:
        return 0


def send(wsi, code, body, ctype=JSON, extra="", complete=True):
    """The whole answer; with ``complete=False`` the transaction is left
    open (an upgrade being refused: the library closes after it)."""
    if isinstance(body, str):
        body = body.encode()
    head = bytearray()
    if lws_add_http_header_status(wsi, code, head) or \
            lws_add_http_header_by_name(wsi, "Content-Type:", ctype, head) or \
            lws_add_http_header_by_name(wsi, "Cache-Control:", "no-store", head) or \
            lws_add_http_header_content_length(wsi, len(body), head):
        return -1
    if extra:
        head.extend(extra.encode())
    if not complete:
        head.extend(b"\r\n")
    elif lws_finalize_http_header(wsi, head):
        return -1
    if lws_write(wsi, head, len(head), LWS_WRITE_HTTP_HEADERS) < 0 or \
            lws_write(wsi, body, len(body), LWS_WRITE_HTTP_FINAL) < 0:
        return -1
    if not complete:
        return -1
    return -1 if lws_http_transaction_completed(wsi) else 0


def send_json(wsi, code, obj, extra=""):
    return send(wsi, code, json.dumps(obj), JSON, extra)


def error(wsi, code, message, extra="", **more):
    """A JSON error: {"error": message, ...more}."""
    obj = {"error": message}
    for k, v in more.items():
        obj[k] = v
    return send_json(wsi, code, obj, extra)


def redirect(wsi, location, extra=""):
    """303 See Other: the answer to a form POST (the browser GETs it)."""
    return send(wsi, 303, "", "text/plain", "Location: %s\r\n%s" % (location, extra))


def unquote_plus(s):
    """Decode a form field ('+' is a space, %XX a byte)."""
    b = s.replace("+", " ").encode()
    if b"%" not in b:
        return b.decode()
    out = bytearray()
    i = 0
    n = len(b)
    while i < n:
        c = b[i]
        if c == 0x25 and i + 2 < n:
            try:
                out.append(int(b[i + 1:i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(c)
        i += 1
    return bytes(out).decode()


def parse_form(body):
    """application/x-www-form-urlencoded -> dict (a repeated name: the
    last value wins, so a hidden "0" before a checkbox means "off")."""
    out = {}
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body).decode()
    for pair in body.split("&"):
        if not pair:
            continue
        k, _, v = pair.partition("=")
        out[unquote_plus(k)] = unquote_plus(v)
    return out


def parse_json(body):
    """The JSON object in ``body``, or None."""
    try:
        v = json.loads(bytes(body))
    except (ValueError, UnicodeError):
        return None
    return v if isinstance(v, dict) else None
