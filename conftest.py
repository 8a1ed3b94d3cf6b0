# Makes the checkout importable (lws_mp, firmware) for pytest, and loads the
# lws_mp pytest plugin from the checkout's sources unless pytest has loaded it
# already (lws_mp installed: through its pytest11 entry point).
import sys

if "lws_mp_pytest.plugin" not in sys.modules:
    pytest_plugins = ["lws_mp_pytest.plugin"]
