"""The lws structs a server fills in: creation info, protocols, mounts, and
the poll args it is told about (the rarer ones: core/structs_extra).

Every field has the lws name and the lws default; unset means 0 / None as a
zeroed C struct would.  Keyword arguments set fields at construction.
"""


class _Struct:
    """Fields are class attributes holding the lws defaults; an instance
    holds only the fields that were set, so an unset field costs no RAM.
    ``_fields`` names them in lws order, for positional arguments."""

    _fields = ""

    def __init__(self, *args, **kw):
        if args:
            for name, v in zip(self._fields.split(), args):
                setattr(self, name.split("=")[0], v)
        for k in kw:
            if not hasattr(self, k):
                raise AttributeError(k)
            setattr(self, k, kw[k])

    def __repr__(self):
        return "%s(%s)" % (
            self.__class__.__name__,
            ", ".join("%s=%r" % (n, getattr(self, n))
                      for n in (f.split("=")[0] for f in self._fields.split())),
        )


class _TextStruct(_Struct):
    """A struct read at set-up only (creation and connect info): its
    defaults live in the ``_fields`` text ("name=0" a number, "name=text"
    a string, a bare name None), which a board keeps in flash, instead of a
    class dict of one entry a field in RAM."""

    def __getattr__(self, name):
        t = self._fields
        n = len(name)
        i = t.find(name)
        while i >= 0:
            j = i + n
            if (i == 0 or t[i - 1] == " ") and (j == len(t) or t[j] in " ="):
                if j == len(t) or t[j] == " ":
                    return None
                k = t.find(" ", j)
                v = t[j + 1:] if k < 0 else t[j + 1:k]
                return int(v) if v[-1].isdigit() else v
            i = t.find(name, j)
        raise AttributeError(name)


class lws_protocols(_Struct):
    """One protocol: name, callback(wsi, reason, user, in_, len_) -> int.

    ``per_session_data_size``: an int gives each connection a zeroed
    bytearray of that size as ``user``; a class (any callable) gives it a
    fresh instance instead, the Python form of a C struct.
    ``rx_buffer_size``: the most RECEIVE hands over at once (0: 4096 as lws).
    """

    _fields = "name callback per_session_data_size rx_buffer_size id user"
    name = None
    callback = None
    per_session_data_size = 0
    rx_buffer_size = 0
    id = 0
    user = None


class lws_http_mount(_Struct):
    """Serve files below ``origin`` (a directory) at URL ``mountpoint``.

    ``def_`` is the file served for a URL ending in '/'.  GET and HEAD are
    served by the library; other methods on a mount get 405.
    """

    # read on every request it serves: class attributes, not _fields text
    _fields = "mountpoint origin def_ extra_mimetypes cache_max_age"
    mountpoint = "/"
    origin = None
    def_ = "index.html"
    extra_mimetypes = None
    cache_max_age = 0
    # the library's: the origin and the mountpoint as bytes, and the strs
    # they were made from
    origin_bytes = None
    origin_src = None
    mountpoint_bytes = None
    mountpoint_src = None


class lws_context_creation_info(_TextStruct):
    """Creation info: the seed's fields plus the Python-side extras.

    Extras (not in the v2.1 struct): ``pt_serv_buf_size`` (the one service
    buffer files stream through, lws' later field of that name),
    ``mounts`` (list of lws_http_mount, lws' vhost mounts), ``fops`` (file
    ops object), ``max_http_body_size`` (0: no limit; beyond it 413),
    ``listen_backlog``, ``server_string`` (the Server: header).
    """

    _fields = (
        "port=0 iface protocols extensions token_limits ssl_cert_filepath "
        "ssl_private_key_filepath ssl_ca_filepath ssl_cipher_list http_proxy_address "
        "http_proxy_port=0 gid=-1 uid=-1 options=0 user ka_time=0 ka_probes=0 "
        "ka_interval=0 provided_client_ssl_ctx max_http_header_data=0 "
        "max_http_header_pool=0 count_threads=0 fd_limit_per_thread=0 timeout_secs=0 "
        "ecdh_curve pt_serv_buf_size=0 mounts fops max_http_body_size=0 "
        "listen_backlog=0 server_string=lws_mp ws_ping_pong_interval=0 "
        "max_ws_message_size=0"
    )


class lws_pollargs(_Struct):
    """What ADD/DEL/CHANGE_MODE_POLL_FD get in ``in_``.

    ``sock`` is the socket object itself (MicroPython's poll and asyncio
    want the object, not the number).
    """

    _fields = "fd events prev_events sock"
    fd = -1
    events = 0
    prev_events = 0
    sock = None
