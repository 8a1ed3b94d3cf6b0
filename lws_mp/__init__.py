"""lws_mp: libwebsockets' server core for MicroPython and CPython.

The names are libwebsockets': build an ``lws_context_creation_info`` with a
list of ``lws_protocols``, call ``lws_create_context`` and loop on
``lws_service``.  See docs/API.md for the whole map.
"""

from .consts import *  # noqa: F401,F403
from .structs import (  # noqa: F401
    lws_context_creation_info,
    lws_extension,
    lws_http_mount,
    lws_pollargs,
    lws_pollfd,
    lws_protocols,
    lws_token_limits,
    lws_tokens,
)
from .log import (  # noqa: F401
    lws_set_log_level,
    lwsl_client,
    lwsl_debug,
    lwsl_err,
    lwsl_ext,
    lwsl_header,
    lwsl_info,
    lwsl_latency,
    lwsl_notice,
    lwsl_parser,
    lwsl_timestamp,
    lwsl_warn,
)
from .context import (  # noqa: F401
    ROLES as _ROLES,
    lws_canonical_hostname,
    lws_context_destroy,
    lws_context_user,
    lws_create_context,
    lws_get_library_version,
    lws_set_timeout,
)
from .service import (  # noqa: F401
    lws_adopt_socket,
    lws_adopt_socket_readbuf,
    lws_cancel_service,
    lws_cancel_service_pt,
    lws_service,
    lws_service_fd,
    lws_service_adjust_timeout,
    lws_service_fd_tsi,
)
from .api import (  # noqa: F401
    lws_callback_all_protocol,
    lws_callback_on_writable,
    lws_callback_on_writable_all_protocol,
    lws_cgi,
    lws_cgi_kill,
    lws_close_reason,
    lws_get_context,
    lws_get_peer_addresses,
    lws_get_protocol,
    lws_get_socket_fd,
    lws_is_ssl,
    lws_rx_flow_allow_all_protocol,
    lws_rx_flow_control,
    lws_set_proxy,
    lws_wsi_user,
)
from .hdr import (  # noqa: F401
    lws_get_urlarg_by_name,
    lws_hdr_copy,
    lws_hdr_copy_fragment,
    lws_hdr_fragment_length,
    lws_hdr_str,
    lws_hdr_total_length,
)
from .output import lws_partial_buffered  # noqa: F401
from .write import lws_write  # noqa: F401
from .uri import lws_parse_uri  # noqa: F401
from .http_response import (  # noqa: F401
    lws_add_http_header_by_name,
    lws_add_http_header_by_token,
    lws_add_http_header_content_length,
    lws_add_http_header_status,
    lws_finalize_http_header,
    lws_return_http_status,
)
from . import http_server as _http_server
from .http_server import (  # noqa: F401
    lws_callback_http_dummy,
    lws_http_transaction_completed,
)
from .serve_file import lws_serve_http_file  # noqa: F401
from .file_ops import (  # noqa: F401
    LWS_O_CREAT,
    LWS_O_RDONLY,
    LWS_O_RDWR,
    LWS_O_TRUNC,
    LWS_O_WRONLY,
    lws_plat_file_ops,
    lws_plat_file_write_atomic,
)
from . import ws_server as _ws_server
from .ws_server import (  # noqa: F401
    lws_frame_is_binary,
    lws_is_final_fragment,
    lws_remaining_packet_payload,
)
from .wsi import ROLE_HTTP as _ROLE_HTTP
from .wsi import ROLE_WS as _ROLE_WS

_ROLES[_ROLE_HTTP] = _http_server
_ROLES[_ROLE_WS] = _ws_server
