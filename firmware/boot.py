"""Board boot: bring the network up before main.py serves.

Reads wifi_config.py (SSID, PASSWORD) from the flash; the unix port has
nothing to do here.
"""

try:
    import network
except ImportError:  # the unix port: the host's network is already up
    network = None


def connect(timeout_ms=15000):
    if network is None:
        return None
    try:
        import wifi_config
    except ImportError:
        print("boot: no wifi_config.py, network left down")
        return None
    import time

    sta = network.WLAN(network.STA_IF)
    sta.active(True)
    if not sta.isconnected():
        sta.connect(wifi_config.SSID, wifi_config.PASSWORD)
        start = time.ticks_ms()
        while not sta.isconnected():
            if time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
                print("boot: WiFi did not connect")
                return None
            time.sleep_ms(100)
    print("boot: network up", sta.ifconfig()[0])
    return sta


connect()
