BOARD = {
    "name": "rp2_pico_w",
    "mpy_arch": "armv6m",
    # the RP2040's 264 KB less the CYW43 driver and lwIP
    "heap": "128k",
    "lws": {
        "fd_limit_per_thread": 8,
        "max_http_header_pool": 4,
        "max_http_header_data": 1024,
        "pt_serv_buf_size": 2048,
        "timeout_secs": 30,
    },
    # 2 MB flash: the 848 KB LittleFS v2 filesystem of the stock firmware
    "flash": {"fs": "lfs2", "block_size": 4096, "block_count": 212},
    "network": "network.WLAN(network.STA_IF) from firmware/boot.py with wifi_config.py",
}
