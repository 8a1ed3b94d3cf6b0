"""lws_mp: libwebsockets' server core for MicroPython and CPython.

The names are libwebsockets': build an ``lws_context_creation_info`` with a
list of ``lws_protocols``, call ``lws_create_context`` and loop on
``lws_service``.  See docs/API.md for the whole map.

Names load on first use: ``from lws_mp import lws_create_context,
LWS_CALLBACK_HTTP`` imports only the modules behind them, so a firmware
pays RAM for what it uses.  (``from lws_mp import *`` works on CPython; on
MicroPython name what you import.)
"""

from . import roles  # noqa: F401  (installs the loader behind the role-ops table)
from .plat._port import IS_MICROPYTHON

# the module that defines each function / class: one string per module,
# searched on first use (no table of name objects held in RAM)
_WHERE = (
    ("core.api",
     " lws_callback_all_protocol lws_callback_on_writable "
     "lws_callback_on_writable_all_protocol lws_cgi lws_cgi_kill "
     "lws_close_reason lws_get_context lws_get_peer_addresses "
     "lws_get_protocol lws_get_socket_fd lws_is_ssl "
     "lws_rx_flow_allow_all_protocol lws_rx_flow_control "
     "lws_wsi_user "),
    ("roles.client_connect",
     " lws_client_connect lws_client_connect_extended lws_client_connect_via_info "
     "lws_client_reset lws_set_proxy "),
    ("roles.http_client",
     " lws_client_http_body_pending lws_http_client_http_response "),
    ("roles.http_client_body",
     " lws_http_client_read lws_http_transaction_completed_client "),
    ("core.context",
     " lws_canonical_hostname lws_context_user lws_get_library_version "
     "lws_set_timeout "),
    ("core.context_create",
     " lws_context_destroy lws_create_context "),
    ("plat.file_ops",
     " LWS_O_CREAT LWS_O_RDONLY LWS_O_RDWR LWS_O_TRUNC LWS_O_WRONLY "
     "lws_plat_file_ops lws_plat_file_write_atomic "),
    ("core.hdr",
     " lws_get_urlarg_by_name lws_hdr_copy lws_hdr_copy_fragment "
     "lws_hdr_fragment_length lws_hdr_str lws_hdr_total_length "),
    ("roles.http_response",
     " lws_add_http_header_by_name lws_add_http_header_by_token "
     "lws_add_http_header_content_length lws_add_http_header_status "
     "lws_finalize_http_header lws_return_http_status "),
    ("roles.http_server",
     " lws_callback_http_dummy lws_http_transaction_completed "),
    ("core.log",
     " lws_set_log_level lwsl_client lwsl_debug lwsl_emit_stderr lwsl_err "
     "lwsl_ext lwsl_header lwsl_info lwsl_latency lwsl_notice lwsl_parser "
     "lwsl_timestamp lwsl_warn "),
    ("core.output",
     " lws_partial_buffered "),
    ("roles.serve_file",
     " lws_serve_http_file "),
    ("core.service",
     " lws_cancel_service "
     "lws_cancel_service_pt lws_service lws_service_adjust_timeout "
     "lws_service_fd lws_service_fd_tsi "),
    ("roles.listen",
     " lws_adopt_socket lws_adopt_socket_readbuf "),
    ("codec.token_names",
     " HEADER_TOKEN_NAMES "),
    ("core.structs",
     " lws_context_creation_info lws_http_mount lws_pollargs lws_protocols "),
    ("core.structs_extra",
     " lws_client_connect_info lws_extension lws_pollfd lws_token_limits lws_tokens "),
    ("codec.uri",
     " lws_parse_uri "),
    ("core.write",
     " lws_write "),
    ("roles.ws_conn",
     " lws_frame_is_binary lws_is_final_fragment "
     "lws_remaining_packet_payload "),
)


_SUBMODULE_PLACES = (".", ".core.", ".codec.", ".roles.", ".plat.")


def _module_of(name):
    key = " " + name + " "
    for module, names in _WHERE:
        if key in names:
            return module
    return None


def __getattr__(name):
    m = _module_of(name)
    if m is not None:
        v = getattr(__import__("lws_mp." + m, None, None, [name]), name)
    elif name.isupper() and name[0] != "_":
        # an lws constant: looked up in consts' tables
        from .core.consts import value

        v = value(name)
    else:
        # a submodule: ``from lws_mp import testing``, or a module by its
        # name alone (``from lws_mp import _port``), found in its layer
        for where in _SUBMODULE_PLACES:
            try:
                return __import__("lws_mp" + where + name, None, None, ["_"])
            except ImportError:
                pass
        raise AttributeError(name)
    globals()[name] = v
    return v


if not IS_MICROPYTHON:
    # star-import on CPython: every public name (MicroPython skips this list)
    def _all():
        from .core import consts

        names = [n for _, ns in _WHERE for n in ns.split()]
        return sorted(names) + consts.names()

    __all__ = _all()
