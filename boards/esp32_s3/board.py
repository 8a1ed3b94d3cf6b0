BOARD = {
    "name": "esp32_s3",
    "mpy_arch": "xtensawin",
    # gc.mem_free() after boot on an ESP32-S3 without PSRAM (ESP-IDF 4.4)
    "heap": "244k",
    "heap_source": (
        "250784 bytes = 62432 free + 188352 'max new split' (esp32's gc.mem_free() counts "
        "both), micropython.mem_info() in the pull request that made the esp32 heap grow on "
        "demand, tested on GENERIC_SPIRAM and GENERIC_S3; a 188352-byte split is internal "
        "RAM, so this is the S3 without PSRAM, before WiFi, ESP-IDF 4.4: "
        "https://github.com/micropython/micropython/pull/12141 . No ESP-IDF 5 figure was "
        "found for the S3; on the ESP32 ESP-IDF 5 cut the split by 60 KB (pull 12952). "
        "With 8 MB PSRAM (UM ProS3) the split is 8257536, i.e. MBs of heap: "
        "https://github.com/micropython/micropython/issues/12237 ; "
        "this profile is the no-PSRAM module"
    ),
    "lws": {
        "fd_limit_per_thread": 16,
        "max_http_header_pool": 8,
        "max_http_header_data": 2048,
        "pt_serv_buf_size": 4096,
        "timeout_secs": 30,
    },
    # 8 MB flash: a 6 MB LittleFS v2 partition
    # offset: where it starts in the flash, the "vfs" partition of the port's
    # partitions-8MiB.csv (make fs-image's image goes there with esptool)
    "flash": {"fs": "lfs2", "block_size": 4096, "block_count": 1536, "offset": 0x200000},
    # make firmware: the MicroPython port and board it is built with
    "firmware": {"port": "esp32", "board": "ESP32_GENERIC_S3"},
    "network": ("firmware/boot.py: station from settings.json (wifi_ssid), "
                "access point as fallback (ap_ssid)"),
}
