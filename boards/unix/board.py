BOARD = {
    "name": "unix",
    "mpy_arch": None,  # the host runs plain .py / bytecode .mpy
    "heap": None,
    "heap_source": "the host: as given by HEAP=",
    "lws": {
        "fd_limit_per_thread": 32,
        "max_http_header_pool": 4,
        "max_http_header_data": 4096,
        "pt_serv_buf_size": 4096,
        "timeout_secs": 20,
    },
    "flash": {"fs": "lfs2", "block_size": 4096, "block_count": 256},
    # make firmware: the MicroPython port and variant it is built with
    "firmware": {"port": "unix", "board": "standard"},
    "network": "the host's loopback and interfaces; nothing to bring up",
}
