"""Board boot: bring the network up, and give main.py its options.

The network comes up from the device's settings (settings.json on the flash,
the device app's file, docs/DEVICE_API.md): station mode when ``wifi_ssid``
is set, and, when there is none or it does not connect, an access point
(``ap_ssid``, ``ap_password``; open without one) if ``ap_fallback`` is on,
so the web UI can still be reached to set the WiFi.  The unix port (the
simulated board) has no ``network`` module: the host's network is up.

A board has no command line: main.args on the flash (written by make deploy
and make fs-image) holds main.py's options, for example ``--app device
--board rp2_pico_w --root /www``.  They go into sys.argv ahead of what is
there already (the simulated board's ``--port``), so main.py reads them as if
they were typed, and a later option wins.
"""

import sys

try:
    import network
except ImportError:  # the unix port: the host's network is already up
    network = None


def main_args(path="main.args"):
    try:
        with open(path) as f:
            words = f.read().split()
    except OSError:
        return
    if not sys.argv:
        sys.argv.append("main.py")
    sys.argv[1:1] = words


def settings(path="settings.json"):
    try:
        import json

        with open(path) as f:
            s = json.load(f)
        return s if isinstance(s, dict) else {}
    except (OSError, ValueError):
        return {}


# under the 10 s mpremote waits for the raw REPL after the soft reset it
# starts with (boot.py runs again then)
STATION_TIMEOUT_MS = 8000


def station(net, ssid, password, timeout_ms=STATION_TIMEOUT_MS):
    import time

    sta = net.WLAN(net.STA_IF)
    sta.active(True)
    if not sta.isconnected():
        sta.connect(ssid, password)
        start = time.ticks_ms()
        while not sta.isconnected():
            if time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
                sta.active(False)
                print("boot: WiFi %r did not connect" % ssid)
                return None
            time.sleep_ms(100)
    print("boot: network up", sta.ifconfig()[0])
    return sta


def access_point(net, ssid, password):
    ap = net.WLAN(net.AP_IF)
    try:
        if password:
            ap.config(ssid=ssid, key=password)
        else:
            ap.config(ssid=ssid, security=0)
    except (TypeError, ValueError, OSError):
        ap.config(essid=ssid, password=password)  # ports before MicroPython 1.20
    ap.active(True)
    print("boot: access point %r up" % ssid, ap.ifconfig()[0])
    return ap


def connect():
    if network is None:
        return None
    s = settings()
    if s.get("wifi_ssid"):
        sta = station(network, s["wifi_ssid"], s.get("wifi_password", ""))
        if sta is not None:
            return sta
    else:
        print("boot: no WiFi set (settings.json wifi_ssid)")
    if s.get("ap_fallback", True):
        return access_point(network, s.get("ap_ssid") or "lws_mp-setup", s.get("ap_password", ""))
    return None


main_args()
connect()
