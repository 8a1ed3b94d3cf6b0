"""The `websockets` library's echo server (CPython only): the peer lws_mp's
WebSocket echo is measured against on CPython.

    .venv/bin/python benchmarks/peers/websockets_echo.py --port 5000 [--python-mask]

--python-mask: without the library's C extension (websockets.speedups),
so that it masks with its own Python fallback, as lws_mp masks on CPython.
Every message comes back as it came (text as text), on any path; no
compression (lws_mp's echo app negotiates none either).
"""

import asyncio
import sys

if "--python-mask" in sys.argv:
    sys.modules["websockets.speedups"] = None  # its import fails: the fallback
from websockets.asyncio.server import serve  # noqa: E402


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main(port):
    async with serve(echo, "127.0.0.1", port, compression=None, max_size=None):
        print("websockets echo on port %d" % port, flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1])
    asyncio.run(main(port))
