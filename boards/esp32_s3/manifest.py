# Freeze lws_mp and the firmware into a MicroPython build for this board:
#   make -C ports/<port> BOARD=<board> FROZEN_MANIFEST=$(pwd)/manifest.py
include("$(PORT_DIR)/boards/manifest.py")
package("lws_mp", base_path="../..")
module("main.py", base_path="../../firmware")
module("runner.py", base_path="../../firmware")
package("apps", base_path="../../firmware")
