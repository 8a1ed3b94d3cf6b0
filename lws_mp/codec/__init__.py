"""The sans-IO codecs: bytes and a state object in, what happened out.

Nothing here touches a socket, a clock or a file, or imports another layer
of lws_mp, so each codec is tested (and fuzzed) without a network.
"""

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x
