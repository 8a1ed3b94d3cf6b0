BOARD = {
    "name": "esp32_generic",
    "mpy_arch": "xtensawin",
    # what a firmware can count on after WiFi is up on a module without PSRAM
    "heap": "96k",
    "lws": {
        "fd_limit_per_thread": 10,
        "max_http_header_pool": 4,
        "max_http_header_data": 1024,
        "pt_serv_buf_size": 2048,
        "timeout_secs": 30,
    },
    # the default 4 MB flash: a 2 MB LittleFS v2 partition
    "flash": {"fs": "lfs2", "block_size": 4096, "block_count": 512},
    "network": "network.WLAN(network.STA_IF) from firmware/boot.py with wifi_config.py",
}
