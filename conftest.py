# Makes the checkout importable (lws_mp, firmware) for pytest, and loads the
# lws_mp pytest plugin from the checkout's sources unless lws_mp is installed
# (then pytest loads it itself, through the pytest11 entry point).
from importlib import metadata


def _installed():
    try:
        eps = metadata.entry_points(group="pytest11")
    except TypeError:  # Python < 3.10
        eps = metadata.entry_points().get("pytest11", ())
    return any(ep.value == "lws_mp_pytest.plugin" for ep in eps)


if not _installed():
    pytest_plugins = ["lws_mp_pytest.plugin"]
