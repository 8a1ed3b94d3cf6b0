# The library suite on the three interpreters, through the lws_mp pytest
# plugin (lws_mp_pytest, docs/TESTING.md).  Included by the Makefile; the
# pytest target runs pytest-interpreters.

PYTEST_BOARD ?= esp32_generic
PYTEST_ARGS ?=
PYTEST_JOBS ?= 2
LWS_PYTEST = $(VPY) -m pytest -q $(PYTEST_ARGS)

.PHONY: pytest-cpython pytest-micropython pytest-board pytest-board-roomy pytest-interpreters pytest-heap-probe

## tests/ and host_tests/ on CPython, two files at a time (most host tests wait on a server process)
##   PYTEST_ARGS  more pytest arguments, e.g. "-k websocket -x"
##   PYTEST_JOBS  how many test files run at once (pytest-xdist; 1: one after the other)
pytest-cpython: venv
	$(LWS_PYTEST) $(if $(filter-out 1,$(PYTEST_JOBS)),-n $(PYTEST_JOBS) --dist loadfile) \
		--durations=15 tests host_tests

## tests/ on the MicroPython unix port (64-bit), each test as its own pytest item
##   PYTEST_ARGS  more pytest arguments
pytest-micropython: venv
	$(LWS_PYTEST) --lws-interpreter=micropython tests

## tests/ on a board interpreter (32-bit, lws_mp frozen) at the board's heap; built first
##   PYTEST_BOARD  the board of boards/
##   PYTEST_ARGS   more pytest arguments
pytest-board: venv
	@$(MAKE) --no-print-directory board-interpreter BOARD=$(PYTEST_BOARD)
	$(LWS_PYTEST) --lws-interpreter=board:$(PYTEST_BOARD) tests

## tests/ on the same 32-bit board interpreter with a heap that limits nothing: every library test runs on the board's build (the tests that need more than the board's heap say so, and skip, in pytest-board)
##   PYTEST_BOARD  the board of boards/
pytest-board-roomy: venv
	@$(MAKE) --no-print-directory board-interpreter BOARD=$(PYTEST_BOARD)
	$(LWS_PYTEST) --lws-interpreter=board:$(PYTEST_BOARD) --lws-heap=2m tests

## the three above one after the other (all run; the status says if one failed); the board interpreter is built first (host_tests/test_plugin_*.py run on it too)
##   PYTEST_BOARD  the board of boards/
pytest-interpreters: venv
	@$(MAKE) --no-print-directory board-interpreter BOARD=$(PYTEST_BOARD)
	@status=0; \
	for t in pytest-cpython pytest-micropython pytest-board pytest-board-roomy; do \
		$(MAKE) --no-print-directory $$t || status=1; \
	done; exit $$status

## tests/ on a board interpreter; a test failing at the board's heap is run again to find the smallest heap it passes with (lines for tests/board_heap_needs.txt)
##   PYTEST_BOARD  the board of boards/
pytest-heap-probe: venv
	@$(MAKE) --no-print-directory board-interpreter BOARD=$(PYTEST_BOARD)
	$(LWS_PYTEST) --lws-interpreter=board:$(PYTEST_BOARD) --lws-heap-probe tests
