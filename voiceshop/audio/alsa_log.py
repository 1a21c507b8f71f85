"""ALSA library messages ("ALSA lib pcm.c:8570:(snd_pcm_recover) underrun occurred") go to the
log instead of the terminal, where they would break into the conversation.

libasound prints them through a replaceable error handler; this installs one that logs the
message's source position and format (the printf arguments of a variadic C call cannot be read
through ctypes) at DEBUG level. Without libasound (not Linux) nothing happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from typing import Any

_LOGGER = logging.getLogger("voiceshop.alsa")

_HANDLER_TYPE = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
)
_installed: list[Any] = []
"""The installed C callback, kept alive for as long as libasound may call it."""


def _log_alsa(
    file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None
) -> None:
    def text(value: bytes | None) -> str:
        return value.decode(errors="replace") if value else "?"

    _LOGGER.debug("ALSA %s:%d (%s) %s [error %d]", text(file), line, text(function), text(fmt), err)


def route_alsa_messages_to_log() -> bool:
    """Install the handler once; True when libasound was found."""
    if _installed:
        return True
    name = ctypes.util.find_library("asound")
    if name is None:
        return False
    try:
        library = ctypes.CDLL(name)
        handler = _HANDLER_TYPE(_log_alsa)
        library.snd_lib_error_set_handler(handler)
    except (OSError, AttributeError):
        return False
    _installed.append(handler)
    return True
