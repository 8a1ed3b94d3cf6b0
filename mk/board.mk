# The board interpreter: a 32-bit MicroPython unix port with a board's
# manifest frozen in, built from Debian's micropython source package by
# tools/board/build.sh (cached; rebuilt only when the manifest or a frozen
# file changes).  Included by the Makefile (mk/*.mk).
#
#   make board-interpreter [BOARD=esp32_generic|esp32_s3|rp2_pico_w|unix]
#   make board-interpreter-microdot     microdot 2.7.0 frozen in instead
#
# BOARD_MPY is the binary for $(BOARD) (esp32_generic when BOARD is empty),
# MICRODOT_MPY the microdot build.

BOARD_INTERPRETER_BOARD = $(or $(BOARD),esp32_generic)
BOARD_MPY = build/board/$(BOARD_INTERPRETER_BOARD)/micropython
MICRODOT_MPY = build/board/microdot/micropython

BOARDS := $(notdir $(patsubst %/manifest.py,%,$(wildcard boards/*/manifest.py)))

.PHONY: board-interpreter board-interpreter-microdot board-interpreters

## every board's interpreter, one after the other (each cached)
board-interpreters:
	@set -e; for b in $(BOARDS); do tools/board/build.sh $$b; done

## a board's 32-bit interpreter with its manifest frozen in (build/board/BOARD/micropython)
##   BOARD  the board of boards/ (esp32_generic if empty)
board-interpreter:
	@tools/board/build.sh $(BOARD_INTERPRETER_BOARD)

## the same interpreter with microdot 2.7.0 frozen in instead, for make bench
board-interpreter-microdot:
	@tools/board/build.sh --microdot
