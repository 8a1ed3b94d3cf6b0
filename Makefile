# lws_mp: the two commands are `make run` and `make test`.
#
#   make run  [APP=fileserver|echo|test_server] [PORT=8080] [PY=micropython|cpython]
#             [HEAP=192k] [BOARD=esp32_generic] [IFACE=127.0.0.1] [ARGS="--pool 2 ..."]
#   make test            everything: lint, mpy-cross, stub check, all tests
#                        (CPython, MicroPython, Autobahn, lws test client, Chromium)
#   make autobahn        Autobahn|Testsuite against the echo app on both interpreters
#   make bench           benchmarks against microdot (figures and ratios)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
MPY := $(VENV)/bin/micropython
STAMP := $(VENV)/.installed

# the app: the device web UI on CPython and on the simulated board (make run
# alone: mk/simboard.mk), the file server on the 64-bit unix port
APP ?= $(if $(filter cpython,$(PY)),device,fileserver)
PORT ?= 8080
# loopback unless asked (IFACE=0.0.0.0 to reach it from another machine)
IFACE ?= 127.0.0.1
PY ?= micropython
HEAP ?=
ARGS ?=

BOARD ?=
# With BOARD=, the firmware runs on that board's own board interpreter
# (build/board/$(BOARD)/micropython, mk/board.mk: 32-bit, lws_mp and the
# firmware frozen in, built first if needed) at exactly the board's heap
# (boards/$(BOARD)/board.py), or at HEAP= if given.  Without BOARD=, the
# 64-bit unix port from the venv, capped only by HEAP=.
BOARD_HEAP := $(if $(BOARD),$(shell $(PYTHON) -c "import runpy; print(runpy.run_path('boards/$(BOARD)/board.py')['BOARD']['heap'] or '')" 2>/dev/null))
RUN_HEAP := $(or $(HEAP),$(BOARD_HEAP))
RUN_NEEDS := $(if $(filter cpython,$(PY)),,$(if $(BOARD),board-interpreter,$(if $(RUN_HEAP),mpy-host)))

ARCHS := xtensawin armv6m
LIB_SOURCES := $(shell find lws_mp -name '*.py' | sort)

.DEFAULT_GOAL := all
# each area's own targets (board interpreter, device, clients, ...)
include $(sort $(wildcard mk/*.mk))

.PHONY: all run test venv deps lint mpy mpy-host stubcheck pytest autobahn bench clean

all: test

$(STAMP): requirements-dev.txt pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

deps:
	@tools/deps/install.sh

# The device web UI app on the MicroPython unix port, its flash a LittleFS
# image built from the app's assets (PY=cpython serves the directory).
run: venv $(RUN_NEEDS)
ifeq ($(SIM_RUN),1)
	@$(SIM_RUN_CMD)
else ifeq ($(PY),cpython)
	$(VPY) firmware/main.py --app $(APP) --port $(PORT) --iface $(IFACE) $(ARGS)
else ifneq ($(BOARD),)
	@mkdir -p build
	$(BOARD_MPY) $(if $(RUN_HEAP),-X heapsize=$(RUN_HEAP)) firmware/main.py --frozen \
		--app $(APP) --port $(PORT) --iface $(IFACE) \
		--flash build/flash-$(APP).img --board $(BOARD) $(ARGS)
else
	@mkdir -p build
	$(MPY) $(if $(RUN_HEAP),-X heapsize=$(RUN_HEAP)) firmware/main.py --app $(APP) \
		--port $(PORT) --iface $(IFACE) \
		--flash build/flash-$(APP).img $(if $(RUN_HEAP),--lib build/mpy/host) $(ARGS)
endif

lint: venv
	$(VENV)/bin/ruff check .

# Every library module must compile for the boards' architectures.
mpy: venv
	@set -e; for arch in $(ARCHS); do \
		rm -rf build/mpy/$$arch; \
		for f in $(LIB_SOURCES); do \
			mkdir -p build/mpy/$$arch/$$(dirname $$f); \
			$(VENV)/bin/mpy-cross -march=$$arch -O2 $$f -o build/mpy/$$arch/$${f%.py}.mpy; \
		done; \
		echo "mpy-cross: $$(find build/mpy/$$arch -name '*.mpy' | wc -l) modules for $$arch"; \
	done

# The same .mpy set for the host's MicroPython (capped-heap runs load these,
# as a board loads its deployed .mpy files, instead of compiling sources).
mpy-host: venv
	@rm -rf build/mpy/host && mkdir -p build/mpy/host/apps
	@set -e; for f in $(LIB_SOURCES); do mkdir -p build/mpy/host/$$(dirname $$f); \
		$(VENV)/bin/mpy-cross -march=x64 -O2 $$f -o build/mpy/host/$${f%.py}.mpy; done
	@set -e; for f in firmware/apps/*.py; do \
		$(VENV)/bin/mpy-cross -march=x64 -O2 $$f -o build/mpy/host/apps/$$(basename $$f .py).mpy; done
	@set -e; for f in firmware/runner.py firmware/host_flash.py; do \
		$(VENV)/bin/mpy-cross -march=x64 -O2 $$f -o build/mpy/host/$$(basename $$f .py).mpy; done
	@echo "mpy-cross: host .mpy in build/mpy/host"

# Nothing in lws_mp or in what the firmware runs on a board may call what the
# ESP32 / RP2 ports do not have.  Host-only, so not checked: lws_mp's
# _port_cpython.py (CPython), firmware/host_flash.py (the simulated board's
# flash) and firmware/heap_need.py (measures heaps on the unix port).
STUBCHECK_PATHS := lws_mp firmware/main.py firmware/boot.py firmware/runner.py firmware/apps
stubcheck: venv
	tools/stubcheck/run.sh esp32 --exclude '*/_port_cpython.py' $(STUBCHECK_PATHS)
	tools/stubcheck/run.sh rp2 --exclude '*/_port_cpython.py' $(STUBCHECK_PATHS)

pytest: venv deps mpy-host
	@$(MAKE) --no-print-directory pytest-interpreters

autobahn: venv
	tools/autobahn/setup.sh
	$(VPY) -m pytest -q host_tests/test_autobahn.py

test: lint mpy stubcheck
	tools/autobahn/setup.sh
	$(MAKE) --no-print-directory pytest

# figures and ratios against microdot on the same interpreter (no pass/fail)
bench: venv
	benchmarks/run.sh

clean:
	rm -rf build .pytest_cache
