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


def name_of(token):
    """The lowercase name (bytes, no colon) of header token ``token``, or None."""
    if token < 0 or token > 0x7F:
        return None
    i = _NAMES.find(bytes((token + 0x80,)))
    if i < 0:
        return None
    return _NAMES[_NAMES.rfind(b"\n", 0, i) + 1:i - 1]
