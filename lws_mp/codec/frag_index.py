"""A header table's fragment index: each token's values, in arrival order,
as (offset, length, next) triples of 16-bit words into the table's bytes.

Fragment 0 means "none"; its words hold how many fragments are in use and
how many fit, so that the parser's machine code (plat/_viper.header_block)
adds fragments itself, as ``add_frag`` does.
"""

from . import micropython  # @micropython.native


@micropython.native
def add_frag(frags, fidx, token, off, length):
    """A fragment of ``token`` (``fidx``: each token's first fragment):
    False when there is no room."""
    n = frags[0]
    if n >= frags[1]:
        return False
    frags[3 * n] = off
    frags[3 * n + 1] = length
    frags[3 * n + 2] = 0
    first = fidx[token]
    if not first:
        fidx[token] = n
    else:
        while frags[3 * first + 2]:
            first = frags[3 * first + 2]
        frags[3 * first + 2] = n
    frags[0] = n + 1
    return True
