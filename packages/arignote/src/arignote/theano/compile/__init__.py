"""``theano.compile``: ``function``, ``shared``, ``In``, ``Out``, ``Mode`` and the mode names."""

from .function_module import function
from .io import In, Out
from .mode import MODE_NAMES, DebugMode, Mode, NanGuardMode, get_default_mode, get_mode
from .sharedvalue import shared

__all__ = ["MODE_NAMES", "DebugMode", "In", "Mode", "NanGuardMode", "Out", "function", "get_default_mode",
           "get_mode", "shared"]
