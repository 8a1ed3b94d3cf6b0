"""lws_mp: libwebsockets' server core for MicroPython and CPython.

The names are libwebsockets': build an ``lws_context_creation_info`` with a
list of ``lws_protocols``, call ``lws_create_context`` and loop on
``lws_service``.  See docs/API.md for the whole map.

Names load on first use: ``from lws_mp import lws_create_context,
LWS_CALLBACK_HTTP`` imports only the modules behind them, so a firmware
pays RAM for what it uses.  (``from lws_mp import *`` works on CPython; on
MicroPython name what you import.)
"""

import sys

# function / class -> the module that defines it
_WHERE = {
    "LWS_O_CREAT": "file_ops",
    "LWS_O_RDONLY": "file_ops",
    "LWS_O_RDWR": "file_ops",
    "LWS_O_TRUNC": "file_ops",
    "LWS_O_WRONLY": "file_ops",
    "lws_add_http_header_by_name": "http_response",
    "lws_add_http_header_by_token": "http_response",
    "lws_add_http_header_content_length": "http_response",
    "lws_add_http_header_status": "http_response",
    "lws_adopt_socket": "service",
    "lws_adopt_socket_readbuf": "service",
    "lws_callback_all_protocol": "api",
    "lws_callback_http_dummy": "http_server",
    "lws_callback_on_writable": "api",
    "lws_callback_on_writable_all_protocol": "api",
    "lws_cancel_service": "service",
    "lws_cancel_service_pt": "service",
    "lws_canonical_hostname": "context",
    "lws_cgi": "api",
    "lws_cgi_kill": "api",
    "lws_close_reason": "api",
    "lws_context_creation_info": "structs",
    "lws_context_destroy": "context",
    "lws_context_user": "context",
    "lws_create_context": "context",
    "lws_extension": "structs",
    "lws_finalize_http_header": "http_response",
    "lws_frame_is_binary": "ws_server",
    "lws_get_context": "api",
    "lws_get_library_version": "context",
    "lws_get_peer_addresses": "api",
    "lws_get_protocol": "api",
    "lws_get_socket_fd": "api",
    "lws_get_urlarg_by_name": "hdr",
    "lws_hdr_copy": "hdr",
    "lws_hdr_copy_fragment": "hdr",
    "lws_hdr_fragment_length": "hdr",
    "lws_hdr_str": "hdr",
    "lws_hdr_total_length": "hdr",
    "lws_http_mount": "structs",
    "lws_http_transaction_completed": "http_server",
    "lws_is_final_fragment": "ws_server",
    "lws_is_ssl": "api",
    "lws_parse_uri": "uri",
    "lws_partial_buffered": "output",
    "lws_plat_file_ops": "file_ops",
    "lws_plat_file_write_atomic": "file_ops",
    "lws_pollargs": "structs",
    "lws_pollfd": "structs",
    "lws_protocols": "structs",
    "lws_remaining_packet_payload": "ws_server",
    "lws_return_http_status": "http_response",
    "lws_rx_flow_allow_all_protocol": "api",
    "lws_rx_flow_control": "api",
    "lws_serve_http_file": "serve_file",
    "lws_service": "service",
    "lws_service_adjust_timeout": "service",
    "lws_service_fd": "service",
    "lws_service_fd_tsi": "service",
    "lws_set_log_level": "log",
    "lws_set_proxy": "api",
    "lws_set_timeout": "context",
    "lws_token_limits": "structs",
    "lws_tokens": "structs",
    "lws_write": "write",
    "lws_wsi_user": "api",
    "lwsl_client": "log",
    "lwsl_debug": "log",
    "lwsl_emit_stderr": "log",
    "lwsl_err": "log",
    "lwsl_ext": "log",
    "lwsl_header": "log",
    "lwsl_info": "log",
    "lwsl_latency": "log",
    "lwsl_notice": "log",
    "lwsl_parser": "log",
    "lwsl_timestamp": "log",
    "lwsl_warn": "log",
}


def _module_of(name):
    m = _WHERE.get(name)
    if m is not None:
        return m
    if name.startswith("LWS_CALLBACK_"):
        return "consts_callback"
    if name.startswith("WSI_") or name == "HEADER_TOKEN_NAMES":
        return "consts_token"
    if name.startswith("HTTP_STATUS_") or name.startswith("LWS_SERVER_OPTION_") or \
            name.startswith("LWS_EXT_CB_") or name.startswith("EXTARG_"):
        return "consts_misc"
    if name.isupper() and not name.startswith("_"):
        return "consts_core"
    return None


def __getattr__(name):
    m = _module_of(name)
    if m is None:
        # a submodule (``from . import _viper`` asks the package first)
        try:
            return __import__("lws_mp." + name, None, None, ["_"])
        except ImportError:
            raise AttributeError(name)
    v = getattr(__import__("lws_mp." + m, None, None, [name]), name)
    globals()[name] = v
    return v


if sys.implementation.name != "micropython":
    # star-import on CPython: every public name (MicroPython skips this list)
    def _all():
        from . import consts

        return sorted(_WHERE) + [n for n in dir(consts) if n.isupper() and n[0] != "_"]

    __all__ = _all()
