# MicroPython on an emulated Cortex-M (ports/qemu) with the codecs and their
# tests frozen in as armv6m code: tools/qemu/build.sh, run by make test
# before the host tests (host_tests/test_qemu_codecs.py runs it).
#
#   make qemu-firmware     build/qemu/firmware.elf (cached)
#   make qemu-test         the codec tests on it, printed

.PHONY: qemu-firmware qemu-test

## MicroPython on an emulated Cortex-M with the codecs and their tests frozen in (build/qemu/firmware.elf)
qemu-firmware:
	@tools/qemu/build.sh

## the codec tests on the emulated Cortex-M, printed
qemu-test: qemu-firmware
	@python3 tools/qemu/run.py build/qemu/firmware.elf
