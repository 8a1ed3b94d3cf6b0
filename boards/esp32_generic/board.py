BOARD = {
    "name": "esp32_generic",
    "mpy_arch": "xtensawin",
    # gc.mem_free() after boot on a Generic ESP32 module without PSRAM, ESP-IDF 5
    "heap": "105k",
    "heap_source": (
        "108000 bytes = 58848 free in the first 64000-byte heap area + 49152 'max new split' "
        "(esp32's gc.mem_free() counts both), micropython.mem_info() on a Generic ESP32 "
        "module (no PSRAM), MicroPython v1.22.0-preview built with ESP-IDF 5.0.4, before WiFi; "
        "the same board with ESP-IDF 4.4 reported 58992 + 110592 = 169584: "
        "https://github.com/micropython/micropython/pull/12952 (comment of 2023-11-23). "
        "MicroPython 1.25 starts the ESP32 heap at 56 KB and grows it on demand "
        "(ports/esp32/mpconfigport.h, MICROPY_GC_INITIAL_HEAP_SIZE)"
    ),
    "lws": {
        "fd_limit_per_thread": 10,
        "max_http_header_pool": 4,
        "max_http_header_data": 1024,
        "pt_serv_buf_size": 2048,
        "timeout_secs": 30,
    },
    # the default 4 MB flash: a 2 MB LittleFS v2 partition
    # offset: where it starts in the flash, the "vfs" partition of the port's
    # partitions-4MiB.csv (make fs-image's image goes there with esptool)
    "flash": {"fs": "lfs2", "block_size": 4096, "block_count": 512, "offset": 0x200000},
    # make firmware: the MicroPython port and board it is built with
    "firmware": {"port": "esp32", "board": "ESP32_GENERIC"},
    "network": ("firmware/boot.py: station from settings.json (wifi_ssid), "
                "access point as fallback (ap_ssid)"),
}
