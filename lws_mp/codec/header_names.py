"""The header names lws knows, looked up without a table in RAM.

One bytes constant: each name is preceded by a newline and followed by its
WSI_TOKEN_* index + 0x80, so a lookup is one ``find`` and costs no dict of
name objects.  The names and numbers are lws v2.1's (lextable-strings.h).
"""

_NAMES = (
    b'\nhost:\x83'
    b'\nconnection:\x84'
    b'\nupgrade:\x85'
    b'\norigin:\x86'
    b'\nsec-websocket-draft:\x87'
    b'\nsec-websocket-extensions:\x89'
    b'\nsec-websocket-key1:\x8a'
    b'\nsec-websocket-key2:\x8b'
    b'\nsec-websocket-protocol:\x8c'
    b'\nsec-websocket-accept:\x8d'
    b'\nsec-websocket-nonce:\x8e'
    b'\nhttp2-settings:\x90'
    b'\naccept:\x91'
    b'\naccess-control-request-headers:\x92'
    b'\nif-modified-since:\x93'
    b'\nif-none-match:\x94'
    b'\naccept-encoding:\x95'
    b'\naccept-language:\x96'
    b'\npragma:\x97'
    b'\ncache-control:\x98'
    b'\nauthorization:\x99'
    b'\ncookie:\x9a'
    b'\ncontent-length:\x9b'
    b'\ncontent-type:\x9c'
    b'\ndate:\x9d'
    b'\nrange:\x9e'
    b'\nreferer:\x9f'
    b'\nsec-websocket-key:\xa0'
    b'\nsec-websocket-version:\xa1'
    b'\nsec-websocket-origin:\xa2'
    b'\naccept-charset:\xa8'
    b'\naccept-ranges:\xa9'
    b'\naccess-control-allow-origin:\xaa'
    b'\nage:\xab'
    b'\nallow:\xac'
    b'\ncontent-disposition:\xad'
    b'\ncontent-encoding:\xae'
    b'\ncontent-language:\xaf'
    b'\ncontent-location:\xb0'
    b'\ncontent-range:\xb1'
    b'\netag:\xb2'
    b'\nexpect:\xb3'
    b'\nexpires:\xb4'
    b'\nfrom:\xb5'
    b'\nif-match:\xb6'
    b'\nif-range:\xb7'
    b'\nif-unmodified-since:\xb8'
    b'\nlast-modified:\xb9'
    b'\nlink:\xba'
    b'\nlocation:\xbb'
    b'\nmax-forwards:\xbc'
    b'\nproxy-authenticate:\xbd'
    b'\nproxy-authorization:\xbe'
    b'\nrefresh:\xbf'
    b'\nretry-after:\xc0'
    b'\nserver:\xc1'
    b'\nset-cookie:\xc2'
    b'\nstrict-transport-security:\xc3'
    b'\ntransfer-encoding:\xc4'
    b'\nuser-agent:\xc5'
    b'\nvary:\xc6'
    b'\nvia:\xc7'
    b'\nwww-authenticate:\xc8'
    b'\nx-real-ip:\xce'
    b"\n"
)


def token_of(name):
    """WSI_TOKEN_* of a lowercase header ``name`` (bytes, no colon), or None."""
    key = b"\n" + name + b":"
    i = _NAMES.find(key)
    if i < 0:
        return None
    return _NAMES[i + len(key)] - 0x80


# byte -> itself lowercased if it may be in a header name (RFC 7230 tchar),
# else 0; a bytes constant (in flash when frozen)
_LOWER_TCHAR = (
    b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
    b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
    b'\x00\x21\x00\x23\x24\x25\x26\x27\x00\x00\x2a\x2b\x00\x2d\x2e\x00'
    b'\x30\x31\x32\x33\x34\x35\x36\x37\x38\x39\x00\x00\x00\x00\x00\x00'
    b'\x00\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f'
    b'\x70\x71\x72\x73\x74\x75\x76\x77\x78\x79\x7a\x00\x00\x00\x5e\x5f'
    b'\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f'
    b'\x70\x71\x72\x73\x74\x75\x76\x77\x78\x79\x7a\x00\x7c\x00\x7e\x00'
    b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
    b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
    b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
    b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
    b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
    b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
    b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
    b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
)


_key = bytearray(32)  # token_in's copy of the name it looks up (none is longer)


def token_in(data, pos, end):
    """WSI_TOKEN_* of the header name data[pos:end] (a bytearray), None for
    a name lws does not know, -1 if it is not a token.

    The name is lowercased in place (names are case-insensitive and the
    table keeps values only), and into one buffer kept for the look-up: no
    copy of it is made."""
    n = end - pos
    if not n:
        return -1
    t = _LOWER_TCHAR
    key = _key
    short = n <= 32
    if short:
        key[0:] = b""  # emptied: its room stays for the appends
    for i in range(pos, end):
        c = t[data[i]]
        if not c:
            return -1
        data[i] = c
        if short:
            key.append(c)
    if not short:
        return None  # longer than any name lws knows
    names = _NAMES
    i = names.find(key)
    while i >= 0:
        if names[i - 1] == 10 and names[i + n] == 58:
            return names[i + n + 1] - 0x80
        i = names.find(key, i + 1)
    return None


def name_of(token):
    """The lowercase name (bytes, no colon) of header token ``token``, or None."""
    if token < 0 or token > 0x7F:
        return None
    i = _NAMES.find(bytes((token + 0x80,)))
    if i < 0:
        return None
    return _NAMES[_NAMES.rfind(b"\n", 0, i) + 1:i - 1]


def token_list_has(value, word):
    """True if the comma-separated header ``value`` (bytes, or None) holds
    ``word`` (lowercase bytes), case-insensitively: ``Connection: Upgrade``."""
    if value is None:
        return False
    for item in bytes(value).split(b","):
        if item.strip().lower() == word:
            return True
    return False


def value_bounds(data, start, end):
    """(start, end) of a field value in ``data[start:end]`` without its
    leading and trailing spaces and tabs (RFC 9112 OWS)."""
    while start < end and (data[start] == 32 or data[start] == 9):
        start += 1
    while end > start and (data[end - 1] == 32 or data[end - 1] == 9):
        end -= 1
    return start, end
