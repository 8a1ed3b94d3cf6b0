# The client roles (docs/CLIENT.md).
#
#   make client-test       the client library tests on CPython, the 64-bit MicroPython
#                          and the board interpreter (at esp32_generic's 105k heap)
#   make client-interop    test_client against the C libwebsockets test server
#                          and through tinyproxy (make deps installs both)
#   make autobahn-client   Autobahn's fuzzingserver against the client: CPython,
#                          the 64-bit MicroPython and the board interpreter
#   make run APP=test_client ARGS="ws://127.0.0.1:7681"    the test client
#
# `make autobahn` runs autobahn-client too.

.PHONY: client-test client-interop autobahn-client

CLIENT_TESTS := tests/test_client_ws.py tests/test_client_ws_raw.py tests/test_client_http.py

client-test: venv
	$(VPY) -m pytest -q $(CLIENT_TESTS)
	$(VPY) -m pytest -q --lws-interpreter=micropython $(CLIENT_TESTS)
	@$(MAKE) --no-print-directory board-interpreter BOARD=esp32_generic
	$(VPY) -m pytest -q --lws-interpreter=board:esp32_generic $(CLIENT_TESTS)

client-interop: venv deps
	$(VPY) -m pytest -q host_tests/test_client_interop.py

autobahn-client: venv
	tools/autobahn/setup.sh
	$(VPY) -m pytest -q host_tests/test_client_autobahn.py

autobahn: autobahn-client
