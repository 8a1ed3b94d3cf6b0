"""The dashboard's WebSocket: the hello, stats once a second, the live log
at the device's level, and the stats' figures from the context."""

import json

import pytest

import device_support as ds

pytestmark = pytest.mark.lws_heap(ds.HEAP_NEED, reason=ds.HEAP_REASON)


def _recv_json(ws):
    m = ws.recv()
    assert m.opcode == 1, m
    return json.loads(m.data)


def _pump_ticks(ctx, dev, ms):
    """Run the server and its tick for ``ms`` of real time."""
    from lws_mp import lws_service
    from lws_mp.plat._port import ticks_diff, ticks_ms

    start = last = ticks_ms()
    while ticks_diff(ticks_ms(), start) < ms:
        lws_service(ctx, 0)
        if ticks_diff(ticks_ms(), last) >= 50:
            last = ticks_ms()
            dev.tick(ctx)


def test_hello_then_stats_every_second_and_the_live_log():
    from lws_mp import lwsl_info, lwsl_notice, lwsl_warn

    with ds.running(ds.make_flash("wslive")) as (ctx, port, dev):
        c, cookie = ds.logged_in(ctx, port)
        ws = ds.client(ctx, port).ws_connect("/ws", protocol="lws-device",
                                             headers={"Cookie": cookie})
        assert ws.protocol == "lws-device"
        hello = _recv_json(ws)
        assert hello["type"] == "hello" and hello["history_step_s"] == 5
        st = hello["stats"]
        for k in ("uptime_s", "heap_free", "heap_used", "flash_used", "flash_free",
                  "connections", "header_pool_used", "header_pool_size", "requests"):
            assert k in st, k
        assert st["connections"] >= 2 and st["header_pool_size"] == 4
        assert isinstance(hello["history"], list) and isinstance(hello["log"], list)
        # stats once a second, in real time
        _pump_ticks(ctx, dev, 2300)
        got = []
        while len(got) < 2:
            m = _recv_json(ws)
            if m["type"] == "stats":
                got.append(m)
        assert got[1]["requests"] >= got[0]["requests"]
        # the log: a line logged on the device comes over the socket
        lwsl_notice("hello from the test %d", 42)
        lwsl_info("an info line the notice level hides")
        _pump_ticks(ctx, dev, 300)
        lines = []
        while not any("hello from the test 42" in t for _, t in lines):
            m = _recv_json(ws)
            if m["type"] == "log":
                lines.extend(m["lines"])
        assert ["NOTICE"] == [lv for lv, t in lines if "hello from the test" in t]
        assert not any("notice level hides" in t for _, t in lines)
        # the level is a setting: at "warn" a notice is not logged at all
        st, _, _ = ds.call(c, "POST", "/api/settings", {"log_level": "warn"}, cookie=cookie)
        assert st == 200
        seq = dev.log.seq
        lwsl_notice("not logged at warn")
        lwsl_warn("logged at warn")
        assert dev.log.seq == seq + 1 and dev.log.lines[-1][1] == "WARN"
        # logout ends the live view
        ds.call(c, "POST", "/api/logout", cookie=cookie)
        _pump_ticks(ctx, dev, 1200)
        while True:
            m = ws.recv()
            if m.opcode == 8:
                break
        assert ws.close_code == 1008


def test_the_websocket_is_only_at_ws():
    with ds.running(ds.make_flash("wspath")) as (ctx, port, dev):
        c, cookie = ds.logged_in(ctx, port)
        r = ds.client(ctx, port).ws_connect("/other", protocol="lws-device",
                                            headers={"Cookie": cookie}, expect=404)
        assert b"/ws" in r.body
        r = ds.client(ctx, port).ws_connect("/ws", headers={"Cookie": cookie}, expect=400)
        assert b"lws-device" in r.body
        st, data, _ = ds.call(c, "GET", "/api/stats?history=1", cookie=cookie)
        assert st == 200 and isinstance(data["history"], list)
