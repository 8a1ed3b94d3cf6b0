"""The lws v2.1 values: module-private copies agree with the public ones,
and the header-name lookup agrees with the token table."""

import support

import lws_mp
from lws_mp import consts
from lws_mp.header_names import name_of, token_of

MODULES = ("aio", "context", "hdr", "header_table", "http_parser", "http_response",
           "http_server", "log", "serve_file", "service", "write", "ws_server")


def test_private_consts_match_the_public_values():
    if support.IS_MICROPYTHON:
        support.skip("MicroPython folds module-private const()s away at compile time")
    checked = 0
    for name in MODULES:
        mod = __import__("lws_mp." + name, None, None, ["_"])
        for attr in dir(mod):
            if attr.startswith("_") and hasattr(consts, attr[1:]):
                assert getattr(mod, attr) == getattr(consts, attr[1:]), (name, attr)
                checked += 1
    assert checked > 50


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
    assert lws_mp.lws_write is not None
    try:
        assert lws_mp.lws_no_such_function is None
    except AttributeError:
        pass
    else:
        raise AssertionError("unknown names must raise AttributeError")
