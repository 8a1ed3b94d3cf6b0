"""Every libwebsockets v2.1.0 enum and define value lws_mp uses or shows.

The values live in four small modules so a firmware loads only the groups
it names (``from lws_mp import LWS_CALLBACK_RECEIVE`` loads just the
callback reasons); importing this module loads them all.
"""

from .consts_callback import *  # noqa: F401,F403
from .consts_core import *  # noqa: F401,F403
from .consts_misc import *  # noqa: F401,F403
from .consts_token import *  # noqa: F401,F403
from .consts_token import HEADER_TOKEN_NAMES  # noqa: F401
