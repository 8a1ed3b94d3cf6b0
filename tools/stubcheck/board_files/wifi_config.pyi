"""wifi_config.py: not in the repository; the board's owner writes it to the
flash, and firmware/boot.py imports it (if it is there) to join the WiFi."""

SSID: str
PASSWORD: str
