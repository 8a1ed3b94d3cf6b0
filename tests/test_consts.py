"""The lws v2.1 values: module-private copies agree with the public ones,
and the header-name lookup agrees with the token table."""

import support

import lws_mp
from lws_mp.core import consts
from lws_mp.codec.header_names import name_of, token_of


def _library_modules():
    """Every module of lws_mp by dotted name (CPython only: it walks files)."""
    import os

    root = os.path.dirname(lws_mp.__file__)
    for d, _, files in os.walk(root):
        for f in sorted(files):
            # (_viper is MicroPython's own code: it does not import on CPython)
            if f.endswith(".py") and f not in ("__init__.py", "_viper.py"):
                rel = os.path.relpath(os.path.join(d, f[:-3]), root)
                yield rel.replace(os.sep, ".")


def test_private_consts_match_the_public_values():
    if support.IS_MICROPYTHON:
        support.skip("MicroPython folds module-private const()s away at compile time")
    from lws_mp.core import role_ops, wsi

    checked = own = 0
    for name in _library_modules():
        mod = __import__("lws_mp." + name, None, None, ["_"])
        for attr in dir(mod):
            if not (attr.startswith("_") and attr[1:].isupper()):
                continue
            # lws' values (core/consts) and lws_mp's own states and roles
            for src in (consts, wsi, role_ops):
                if hasattr(src, attr[1:]):
                    assert getattr(mod, attr) == getattr(src, attr[1:]), (name, attr)
                    checked += 1
                    own += src is not consts
                    break
    assert checked > 50
    assert own >= 15  # LWSS_* and ROLE_* in the service loop and the roles


def test_header_names_lookup_matches_the_token_table():
    n = 0
    for i, name in enumerate(consts.HEADER_TOKEN_NAMES):
        if name.endswith(b":") and not name.startswith(b":"):
            assert token_of(name[:-1]) == i
            assert name_of(i) == name[:-1]
            n += 1
    assert n > 60
    assert token_of(b"x-unknown") is None
    assert token_of(b"accept") == consts.WSI_TOKEN_HTTP_ACCEPT  # not accept-encoding
    assert name_of(consts.WSI_TOKEN_GET_URI) is None


def test_names_load_on_demand_from_the_package():
    assert lws_mp.LWS_CALLBACK_RECEIVE == 6
    assert lws_mp.WSI_TOKEN_HOST == 3
    assert lws_mp.LWS_PRE == 16
    assert lws_mp.HTTP_STATUS_NOT_FOUND == 404
    from lws_mp.core.write import lws_write

    assert lws_mp.lws_write is lws_write  # the function itself, not a stand-in
    # an unknown name raises AttributeError (hasattr lets nothing else pass)
    assert not hasattr(lws_mp, "lws_no_such_function")


def test_constant_tables_resolve_every_name_to_its_own_value():
    names = consts.names()
    assert len(names) > 250
    assert len(set(names)) == len(names)
    for name in names:
        assert isinstance(consts.value(name), int), name
    # names that are prefixes of others, or share a suffix, stay apart
    assert consts.LWS_CALLBACK_CLOSED == 4 and consts.LWS_CALLBACK_CLOSED_HTTP == 5
    assert consts.LWS_CALLBACK_RECEIVE == 6 and consts.LWS_CALLBACK_CLIENT_RECEIVE == 8
    assert consts.LWS_CALLBACK_USER == 1000
    assert consts.LWS_WRITE_NO_FIN == 0x40 and consts.LWS_PRE == 16
    assert consts.CONTEXT_PORT_NO_LISTEN == -1
    assert consts.WSI_TOKEN_COUNT == 86 and consts.LLL_COUNT == 10
    assert consts.HTTP_STATUS_REQ_RANGE_NOT_SATISFIABLE == 416
    assert consts.LWS_SERVER_OPTION_DISABLE_IPV6 == 1 << 5
    for bad in ("LWS_CALLBACK_", "LWS_CALLBACK_NOPE", "LWS_PR", "RECEIVE", "WSI_TOKEN_HOST_"):
        try:
            consts.value(bad)
        except AttributeError:
            continue
        raise AssertionError("%s must not resolve" % bad)
