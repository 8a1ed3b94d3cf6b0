# Makes the checkout importable (lws_mp, firmware) for pytest.
