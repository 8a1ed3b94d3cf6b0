"""The sans-IO codecs: bytes and a state object in, what happened out.

Nothing here touches a socket, a clock or a file, or imports another layer
of lws_mp, so each codec is tested (and fuzzed) without a network.
"""

# @micropython.native (hot parsers as machine code, their frames on the C
# stack): MicroPython's compiler takes the decorator; on CPython a no-op
try:
    import micropython
    from micropython import const
except ImportError:  # CPython

    class micropython:
        native = staticmethod(lambda fn: fn)

    def const(x):
        return x
