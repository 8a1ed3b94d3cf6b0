"""Serve a directory over HTTP (GET/HEAD, ranges, ETags, .gz variants)."""

from lws_mp import (
    lws_callback_http_dummy,
    lws_context_creation_info,
    lws_http_mount,
    lws_protocols,
)


def make_info(port, iface, root, **opts):
    return lws_context_creation_info(
        port=port,
        iface=iface,
        protocols=[lws_protocols("http", lws_callback_http_dummy)],
        mounts=[lws_http_mount("/", root or "firmware/www", "index.html")],
        **opts
    )
