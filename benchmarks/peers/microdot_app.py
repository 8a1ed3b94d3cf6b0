"""The microdot peer: the same three things the lws_mp apps serve.

- GET /index.html: one static file (firmware/www/index.html, as the lws_mp
  fileserver app serves it).
- POST /formtest: the lws_mp test_server's form test, "bytes=N crc=XXXXXXXX"
  for the request body.
- /echo: a WebSocket echo (every message comes back as it came), as the
  lws_mp echo app.

Importing this module builds the app; microdot_main.py runs it.
"""

import binascii

from microdot import Microdot, send_file
from microdot.websocket import with_websocket

config = {"root": "firmware/www"}

app = Microdot()


@app.get("/index.html")
async def index(request):
    return send_file(config["root"] + "/index.html")


@app.post("/formtest")
async def formtest(request):
    body = request.body or b""
    reply = "bytes=%d crc=%08x" % (len(body), binascii.crc32(body) & 0xFFFFFFFF)
    return reply, 200, {"Content-Type": "text/plain"}


@app.route("/echo")
@with_websocket
async def echo(request, ws):
    while True:
        data = await ws.receive()
        await ws.send(data)


def run(port, iface="127.0.0.1", root=None):
    if root:
        config["root"] = root
    app.run(host=iface, port=port)
