"""The header names lws knows, looked up without a table in RAM.

One bytes constant (in flash when frozen): each entry is the name's length,
the name, ':' and its WSI_TOKEN_* index + 0x80, and a 0 length ends them.  A
look-up is one ``find``, or a walk from length to length, and costs no dict
of name objects.  The names and numbers are lws v2.1's (lextable-strings.h).
"""

NAMES = (
    b'\x04host:\x83'
    b'\x0aconnection:\x84'
    b'\x07upgrade:\x85'
    b'\x06origin:\x86'
    b'\x13sec-websocket-draft:\x87'
    b'\x18sec-websocket-extensions:\x89'
    b'\x12sec-websocket-key1:\x8a'
    b'\x12sec-websocket-key2:\x8b'
    b'\x16sec-websocket-protocol:\x8c'
    b'\x14sec-websocket-accept:\x8d'
    b'\x13sec-websocket-nonce:\x8e'
    b'\x0ehttp2-settings:\x90'
    b'\x06accept:\x91'
    b'\x1eaccess-control-request-headers:\x92'
    b'\x11if-modified-since:\x93'
    b'\x0dif-none-match:\x94'
    b'\x0faccept-encoding:\x95'
    b'\x0faccept-language:\x96'
    b'\x06pragma:\x97'
    b'\x0dcache-control:\x98'
    b'\x0dauthorization:\x99'
    b'\x06cookie:\x9a'
    b'\x0econtent-length:\x9b'
    b'\x0ccontent-type:\x9c'
    b'\x04date:\x9d'
    b'\x05range:\x9e'
    b'\x07referer:\x9f'
    b'\x11sec-websocket-key:\xa0'
    b'\x15sec-websocket-version:\xa1'
    b'\x14sec-websocket-origin:\xa2'
    b'\x0eaccept-charset:\xa8'
    b'\x0daccept-ranges:\xa9'
    b'\x1baccess-control-allow-origin:\xaa'
    b'\x03age:\xab'
    b'\x05allow:\xac'
    b'\x13content-disposition:\xad'
    b'\x10content-encoding:\xae'
    b'\x10content-language:\xaf'
    b'\x10content-location:\xb0'
    b'\x0dcontent-range:\xb1'
    b'\x04etag:\xb2'
    b'\x06expect:\xb3'
    b'\x07expires:\xb4'
    b'\x04from:\xb5'
    b'\x08if-match:\xb6'
    b'\x08if-range:\xb7'
    b'\x13if-unmodified-since:\xb8'
    b'\x0dlast-modified:\xb9'
    b'\x04link:\xba'
    b'\x08location:\xbb'
    b'\x0cmax-forwards:\xbc'
    b'\x12proxy-authenticate:\xbd'
    b'\x13proxy-authorization:\xbe'
    b'\x07refresh:\xbf'
    b'\x0bretry-after:\xc0'
    b'\x06server:\xc1'
    b'\x0aset-cookie:\xc2'
    b'\x19strict-transport-security:\xc3'
    b'\x11transfer-encoding:\xc4'
    b'\x0auser-agent:\xc5'
    b'\x04vary:\xc6'
    b'\x03via:\xc7'
    b'\x10www-authenticate:\xc8'
    b'\x09x-real-ip:\xce'
    b"\x00"
)


def token_of(name):
    """WSI_TOKEN_* of a lowercase header ``name`` (bytes, no colon), or None."""
    n = len(name)
    if not n or n > 31:
        return None
    i = NAMES.find(bytes((n,)) + name + b":")
    if i < 0:
        return None
    return NAMES[i + n + 2] - 0x80


# byte -> itself lowercased if it may be in a header name (RFC 7230 tchar),
# else 0; a bytes constant (in flash when frozen)
LOWER_TCHAR = (
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


def name_of(token):
    """The lowercase name (bytes, no colon) of header token ``token``, or None."""
    if token < 0 or token > 0x7F:
        return None
    p = 0
    ln = NAMES[0]
    while ln:
        if NAMES[p + ln + 2] == token + 0x80:
            return NAMES[p + 1:p + 1 + ln]
        p += ln + 3
        ln = NAMES[p]
    return None


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
