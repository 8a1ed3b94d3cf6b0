BOARD = {
    "name": "rp2_pico_w",
    "mpy_arch": "armv6m",
    # a planning figure, not a measurement: see heap_source
    "heap": "128k",
    "heap_source": (
        "no gc.mem_free() after boot on a Pico W running MicroPython was found published; "
        "the plain Pico (no W, no CYW43 driver or lwIP in RAM) reported 209936 bytes "
        "(MicroPython 1.20): https://github.com/micropython/micropython/issues/12557 . "
        "The rp2 port gives the GC whatever RAM the firmware's .bss and C heap leave "
        "(ports/rp2/memmap_mp_rp2040.ld), so the Pico W has less than that by the size of "
        "its network stack; 128k stays the planning figure until one is measured on a board"
    ),
    "lws": {
        "fd_limit_per_thread": 8,
        "max_http_header_pool": 4,
        "max_http_header_data": 1024,
        "pt_serv_buf_size": 2048,
        "timeout_secs": 30,
    },
    # 2 MB flash: the 848 KB LittleFS v2 filesystem of the stock firmware
    # offset: where it starts in the flash, its last 848 KB
    # (ports/rp2/rp2_flash.c MICROPY_HW_FLASH_STORAGE_BASE; XIP address 0x1012c000)
    "flash": {"fs": "lfs2", "block_size": 4096, "block_count": 212, "offset": 0x12C000},
    # make firmware: the MicroPython port and board it is built with
    "firmware": {"port": "rp2", "board": "RPI_PICO_W"},
    "network": ("firmware/boot.py: station from settings.json (wifi_ssid), "
                "access point as fallback (ap_ssid)"),
}
