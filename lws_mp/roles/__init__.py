"""The roles layer, and the one place where roles and optional parts load.

``load(n)`` is the loader behind the core's role-ops table: a role's module
is imported the first time a connection takes that role.  ``part(name)``
loads an optional part (file serving, mounts, file ops, mime types, TLS,
the chunked body decoder) the first time a connection needs it.  Below the package's own table of
public names (lws_mp/__init__), nothing else in lws_mp imports lazily.
"""

from ..core import role_ops

_parts = {}


def part(name):
    """The module ``lws_mp.<name>`` (for example ``"roles.serve_file"``)."""
    m = _parts.get(name)
    if m is None:
        m = _parts[name] = __import__("lws_mp." + name, None, None, ["_"])
    return m


# role number -> the module whose OPS fills its slot
_ROLE_MODULES = ("roles.listen", "roles.http_server", "roles.ws_server", "roles.listen",
                 "roles.http_client", "roles.ws_client", "roles.tls")


def load(n):
    m = part(_ROLE_MODULES[n])
    return m.RAW_OPS if n == role_ops.ROLE_RAW else m.OPS


role_ops.loader = load
