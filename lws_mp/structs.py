"""The lws structs a firmware fills in: creation info, protocols, limits.

Every field has the lws name and the lws default; unset means 0 / None as a
zeroed C struct would.  Keyword arguments set fields at construction.
"""


class _Struct:
    _defaults = ()

    def __init__(self, *args, **kw):
        for i, (name, default) in enumerate(self._defaults):
            setattr(self, name, args[i] if i < len(args) else default)
        for k in kw:
            if not hasattr(self, k):
                raise AttributeError(k)
            setattr(self, k, kw[k])

    def __repr__(self):
        return "%s(%s)" % (
            self.__class__.__name__,
            ", ".join("%s=%r" % (n, getattr(self, n)) for n, _ in self._defaults),
        )


class lws_protocols(_Struct):
    """One protocol: name, callback(wsi, reason, user, in_, len_) -> int.

    ``per_session_data_size``: an int gives each connection a zeroed
    bytearray of that size as ``user``; a class (any callable) gives it a
    fresh instance instead, the Python form of a C struct.
    ``rx_buffer_size``: the most RECEIVE hands over at once (0: 4096 as lws).
    """

    _defaults = (
        ("name", None),
        ("callback", None),
        ("per_session_data_size", 0),
        ("rx_buffer_size", 0),
        ("id", 0),
        ("user", None),
    )


class lws_token_limits(_Struct):
    """Per-token length limits: token_len[WSI_TOKEN_*] = max bytes."""

    _defaults = (("token_len", None),)


class lws_http_mount(_Struct):
    """Serve files below ``origin`` (a directory) at URL ``mountpoint``.

    ``def_`` is the file served for a URL ending in '/'.  GET and HEAD are
    served by the library; other methods on a mount get 405.
    """

    _defaults = (
        ("mountpoint", "/"),
        ("origin", None),
        ("def_", "index.html"),
        ("extra_mimetypes", None),
        ("cache_max_age", 0),
    )


class lws_extension(_Struct):
    _defaults = (("name", None), ("callback", None), ("client_offer", None))


class lws_context_creation_info(_Struct):
    """Creation info: the seed's fields plus the Python-side extras.

    Extras (not in the v2.1 struct): ``pt_serv_buf_size`` (the one service
    buffer files stream through, lws' later field of that name),
    ``mounts`` (list of lws_http_mount, lws' vhost mounts), ``fops`` (file
    ops object), ``max_http_body_size`` (0: no limit; beyond it 413),
    ``listen_backlog``, ``server_string`` (the Server: header).
    """

    _defaults = (
        ("port", 0),
        ("iface", None),
        ("protocols", None),
        ("extensions", None),
        ("token_limits", None),
        ("ssl_cert_filepath", None),
        ("ssl_private_key_filepath", None),
        ("ssl_ca_filepath", None),
        ("ssl_cipher_list", None),
        ("http_proxy_address", None),
        ("http_proxy_port", 0),
        ("gid", -1),
        ("uid", -1),
        ("options", 0),
        ("user", None),
        ("ka_time", 0),
        ("ka_probes", 0),
        ("ka_interval", 0),
        ("provided_client_ssl_ctx", None),
        ("max_http_header_data", 0),
        ("max_http_header_pool", 0),
        ("count_threads", 0),
        ("fd_limit_per_thread", 0),
        ("timeout_secs", 0),
        ("ecdh_curve", None),
        # Python-side extras
        ("pt_serv_buf_size", 0),
        ("mounts", None),
        ("fops", None),
        ("max_http_body_size", 0),
        ("listen_backlog", 0),
        ("server_string", "lws_mp"),
        ("ws_ping_pong_interval", 0),
        ("max_ws_message_size", 0),
    )


class lws_pollargs(_Struct):
    """What ADD/DEL/CHANGE_MODE_POLL_FD get in ``in_``.

    ``sock`` is the socket object itself (MicroPython's poll and asyncio
    want the object, not the number).
    """

    _defaults = (("fd", -1), ("events", 0), ("prev_events", 0), ("sock", None))
    fd: int
    events: int
    prev_events: int
    sock: object


class lws_pollfd(_Struct):
    """The pollfd handed to lws_service_fd: fd (number or socket object),
    events, revents."""

    _defaults = (("fd", -1), ("events", 0), ("revents", 0))
    fd: object
    events: int
    revents: int


class lws_tokens(_Struct):
    _defaults = (("token", None), ("token_len", 0))
