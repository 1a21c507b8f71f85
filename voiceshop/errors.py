"""The errors voiceshop raises for broken set-up or bad input files.

Each message says what went wrong, where, and what to do about it. "Not understood" and "not
found" are ordinary outcomes, never exceptions.
"""


class VoiceShopError(Exception):
    """Base class for voiceshop errors; the CLI prints the message and exits non-zero."""


class CatalogError(VoiceShopError):
    """A store file or catalog import is malformed; the message names file, line and field."""


class StoreNotFoundError(VoiceShopError):
    """No bundled, imported or file store has the requested name."""


class DatabaseError(VoiceShopError):
    """The SQLite database cannot be opened or is from a newer voiceshop."""


class ModelNotFoundError(VoiceShopError):
    """A speech model directory is missing or incomplete."""


class AudioInputError(VoiceShopError):
    """An audio file cannot be read, or holds no usable audio."""


class AudioDeviceError(VoiceShopError):
    """PortAudio is missing or no input device can be opened."""


class EngineUnavailableError(VoiceShopError):
    """A speech engine's package or native library is not installed."""


class AccountError(VoiceShopError):
    """An account setting (purchase code, spending limit) was refused; nothing changed."""


class ServerError(VoiceShopError):
    """`voiceshop serve` cannot start: a bad address, a port in use, a missing token file."""
