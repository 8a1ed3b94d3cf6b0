BOARD = {
    "name": "esp32_s3",
    "mpy_arch": "xtensawin",
    "heap": "150k",
    "lws": {
        "fd_limit_per_thread": 16,
        "max_http_header_pool": 8,
        "max_http_header_data": 2048,
        "pt_serv_buf_size": 4096,
        "timeout_secs": 30,
    },
    # 8 MB flash: a 6 MB LittleFS v2 partition
    "flash": {"fs": "lfs2", "block_size": 4096, "block_count": 1536},
    "network": "network.WLAN(network.STA_IF) from firmware/boot.py with wifi_config.py",
}
