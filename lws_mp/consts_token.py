"""lws v2.1 values: WSI_TOKEN_* (enum lws_token_indexes) and the header names by token.

The same numbers as libwebsockets v2.1.0's lib/libwebsockets.h.
"""

from ._port import const

# enum lws_token_indexes -- v2.1.0 declares every token unconditionally (the
# http2 ones, 16 and 35..39, are NOT under LWS_USE_HTTP2), so this numbering
# is the same for HTTP2-off (default) and HTTP2-on builds.
WSI_TOKEN_GET_URI = const(0)
WSI_TOKEN_POST_URI = const(1)
WSI_TOKEN_OPTIONS_URI = const(2)
WSI_TOKEN_HOST = const(3)
WSI_TOKEN_CONNECTION = const(4)
WSI_TOKEN_UPGRADE = const(5)
WSI_TOKEN_ORIGIN = const(6)
WSI_TOKEN_DRAFT = const(7)
WSI_TOKEN_CHALLENGE = const(8)
WSI_TOKEN_EXTENSIONS = const(9)
WSI_TOKEN_KEY1 = const(10)
WSI_TOKEN_KEY2 = const(11)
WSI_TOKEN_PROTOCOL = const(12)
WSI_TOKEN_ACCEPT = const(13)
WSI_TOKEN_NONCE = const(14)
WSI_TOKEN_HTTP = const(15)
WSI_TOKEN_HTTP2_SETTINGS = const(16)
WSI_TOKEN_HTTP_ACCEPT = const(17)
WSI_TOKEN_HTTP_AC_REQUEST_HEADERS = const(18)
WSI_TOKEN_HTTP_IF_MODIFIED_SINCE = const(19)
WSI_TOKEN_HTTP_IF_NONE_MATCH = const(20)
WSI_TOKEN_HTTP_ACCEPT_ENCODING = const(21)
WSI_TOKEN_HTTP_ACCEPT_LANGUAGE = const(22)
WSI_TOKEN_HTTP_PRAGMA = const(23)
WSI_TOKEN_HTTP_CACHE_CONTROL = const(24)
WSI_TOKEN_HTTP_AUTHORIZATION = const(25)
WSI_TOKEN_HTTP_COOKIE = const(26)
WSI_TOKEN_HTTP_CONTENT_LENGTH = const(27)
WSI_TOKEN_HTTP_CONTENT_TYPE = const(28)
WSI_TOKEN_HTTP_DATE = const(29)
WSI_TOKEN_HTTP_RANGE = const(30)
WSI_TOKEN_HTTP_REFERER = const(31)
WSI_TOKEN_KEY = const(32)
WSI_TOKEN_VERSION = const(33)
WSI_TOKEN_SWORIGIN = const(34)
WSI_TOKEN_HTTP_COLON_AUTHORITY = const(35)
WSI_TOKEN_HTTP_COLON_METHOD = const(36)
WSI_TOKEN_HTTP_COLON_PATH = const(37)
WSI_TOKEN_HTTP_COLON_SCHEME = const(38)
WSI_TOKEN_HTTP_COLON_STATUS = const(39)
WSI_TOKEN_HTTP_ACCEPT_CHARSET = const(40)
WSI_TOKEN_HTTP_ACCEPT_RANGES = const(41)
WSI_TOKEN_HTTP_ACCESS_CONTROL_ALLOW_ORIGIN = const(42)
WSI_TOKEN_HTTP_AGE = const(43)
WSI_TOKEN_HTTP_ALLOW = const(44)
WSI_TOKEN_HTTP_CONTENT_DISPOSITION = const(45)
WSI_TOKEN_HTTP_CONTENT_ENCODING = const(46)
WSI_TOKEN_HTTP_CONTENT_LANGUAGE = const(47)
WSI_TOKEN_HTTP_CONTENT_LOCATION = const(48)
WSI_TOKEN_HTTP_CONTENT_RANGE = const(49)
WSI_TOKEN_HTTP_ETAG = const(50)
WSI_TOKEN_HTTP_EXPECT = const(51)
WSI_TOKEN_HTTP_EXPIRES = const(52)
WSI_TOKEN_HTTP_FROM = const(53)
WSI_TOKEN_HTTP_IF_MATCH = const(54)
WSI_TOKEN_HTTP_IF_RANGE = const(55)
WSI_TOKEN_HTTP_IF_UNMODIFIED_SINCE = const(56)
WSI_TOKEN_HTTP_LAST_MODIFIED = const(57)
WSI_TOKEN_HTTP_LINK = const(58)
WSI_TOKEN_HTTP_LOCATION = const(59)
WSI_TOKEN_HTTP_MAX_FORWARDS = const(60)
WSI_TOKEN_HTTP_PROXY_AUTHENTICATE = const(61)
WSI_TOKEN_HTTP_PROXY_AUTHORIZATION = const(62)
WSI_TOKEN_HTTP_REFRESH = const(63)
WSI_TOKEN_HTTP_RETRY_AFTER = const(64)
WSI_TOKEN_HTTP_SERVER = const(65)
WSI_TOKEN_HTTP_SET_COOKIE = const(66)
WSI_TOKEN_HTTP_STRICT_TRANSPORT_SECURITY = const(67)
WSI_TOKEN_HTTP_TRANSFER_ENCODING = const(68)
WSI_TOKEN_HTTP_USER_AGENT = const(69)
WSI_TOKEN_HTTP_VARY = const(70)
WSI_TOKEN_HTTP_VIA = const(71)
WSI_TOKEN_HTTP_WWW_AUTHENTICATE = const(72)
WSI_TOKEN_PATCH_URI = const(73)
WSI_TOKEN_PUT_URI = const(74)
WSI_TOKEN_DELETE_URI = const(75)
WSI_TOKEN_HTTP_URI_ARGS = const(76)
WSI_TOKEN_PROXY = const(77)
WSI_TOKEN_HTTP_X_REAL_IP = const(78)
WSI_TOKEN_HTTP1_0 = const(79)

# internal client stash slots: plain ints, since MicroPython hides _names set via const()
_WSI_TOKEN_CLIENT_SENT_PROTOCOLS = 80
_WSI_TOKEN_CLIENT_PEER_ADDRESS = 81
_WSI_TOKEN_CLIENT_URI = 82
_WSI_TOKEN_CLIENT_HOST = 83
_WSI_TOKEN_CLIENT_ORIGIN = 84
_WSI_TOKEN_CLIENT_METHOD = 85
WSI_TOKEN_COUNT = const(86)
WSI_TOKEN_NAME_PART = const(87)
WSI_TOKEN_SKIPPING = const(88)
WSI_TOKEN_SKIPPING_SAW_CR = const(89)
WSI_PARSING_COMPLETE = const(90)
WSI_INIT_TOKEN_MUXURL = const(91)

# lib/lextable-strings.h set[]: HEADER_TOKEN_NAMES[i] names token index i (0..79);
# lws' trailing unmatchable "" sentinel entry is left out.
HEADER_TOKEN_NAMES = (
    b"get ",
    b"post ",
    b"options ",
    b"host:",
    b"connection:",
    b"upgrade:",
    b"origin:",
    b"sec-websocket-draft:",
    b"\r\n",
    b"sec-websocket-extensions:",
    b"sec-websocket-key1:",
    b"sec-websocket-key2:",
    b"sec-websocket-protocol:",
    b"sec-websocket-accept:",
    b"sec-websocket-nonce:",
    b"http/1.1 ",
    b"http2-settings:",
    b"accept:",
    b"access-control-request-headers:",
    b"if-modified-since:",
    b"if-none-match:",
    b"accept-encoding:",
    b"accept-language:",
    b"pragma:",
    b"cache-control:",
    b"authorization:",
    b"cookie:",
    b"content-length:",
    b"content-type:",
    b"date:",
    b"range:",
    b"referer:",
    b"sec-websocket-key:",
    b"sec-websocket-version:",
    b"sec-websocket-origin:",
    b":authority",
    b":method",
    b":path",
    b":scheme",
    b":status",
    b"accept-charset:",
    b"accept-ranges:",
    b"access-control-allow-origin:",
    b"age:",
    b"allow:",
    b"content-disposition:",
    b"content-encoding:",
    b"content-language:",
    b"content-location:",
    b"content-range:",
    b"etag:",
    b"expect:",
    b"expires:",
    b"from:",
    b"if-match:",
    b"if-range:",
    b"if-unmodified-since:",
    b"last-modified:",
    b"link:",
    b"location:",
    b"max-forwards:",
    b"proxy-authenticate:",
    b"proxy-authorization:",
    b"refresh:",
    b"retry-after:",
    b"server:",
    b"set-cookie:",
    b"strict-transport-security:",
    b"transfer-encoding:",
    b"user-agent:",
    b"vary:",
    b"via:",
    b"www-authenticate:",
    b"patch",
    b"put",
    b"delete",
    b"uri-args",
    b"proxy ",
    b"x-real-ip:",
    b"http/1.0 ",
)
