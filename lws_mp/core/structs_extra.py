"""The lws structs a server rarely touches: the client's connect info,
lws_pollfd (an outside poll loop), extensions, token limits and lws_tokens.

Apart from core/structs so that a server's import does not hold their
classes (a class is a type object and a table in the heap); the package
loads this module the first time one of them is named.
"""

from .structs import _Struct, _TextStruct


class lws_token_limits(_TextStruct):
    """Per-token length limits: token_len[WSI_TOKEN_*] = max bytes."""

    _fields = "token_len"


class lws_extension(_TextStruct):
    _fields = "name callback client_offer"


class lws_client_connect_info(_TextStruct):
    """What lws_client_connect_via_info connects to (the seed's fields).

    ``ssl_connection``: 0 plain, 1 TLS, 2 TLS allowing a self-signed
    certificate.  ``path`` is the URI path ("/" if unset), ``host`` the
    Host: header (``address`` if unset), ``origin`` the Origin: header,
    ``protocol`` the comma-separated WebSocket protocols to offer.
    ``userdata``: used as the connection's ``user`` instead of one made from
    the protocol's per_session_data_size.  ``client_exts``: the extensions
    to ask protocols[0] about (CLIENT_CONFIRM_EXTENSION_SUPPORTED).
    ``method`` ("GET", "POST", ...): an HTTP client connection instead of a
    WebSocket.  See docs/CLIENT.md.
    """

    _fields = (
        "context address port=0 ssl_connection=0 path host origin protocol "
        "ietf_version_or_minus_one=0 userdata client_exts method"
    )


class lws_pollfd(_Struct):
    """The pollfd handed to lws_service_fd: fd (number or socket object),
    events, revents."""

    _fields = "fd events revents"
    fd = -1
    events = 0
    revents = 0


class lws_tokens(_TextStruct):
    _fields = "token token_len=0"
