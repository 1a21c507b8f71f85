"""Speakers: pyttsx3 (espeak-ng) when it works, else printed replies (or none, without echo)."""

from __future__ import annotations

import logging

from voiceshop.errors import EngineUnavailableError
from voiceshop.speaker.base import Speaker
from voiceshop.speaker.print_speaker import NullSpeaker, PrintSpeaker
from voiceshop.speaker.pyttsx3_speaker import Pyttsx3Speaker, SpeakerSettings

__all__ = [
    "NullSpeaker",
    "PrintSpeaker",
    "Pyttsx3Speaker",
    "Speaker",
    "SpeakerSettings",
    "load_speaker",
]

_LOGGER = logging.getLogger(__name__)


def load_speaker(settings: SpeakerSettings | None = None) -> Speaker:
    """A Pyttsx3Speaker when its engine starts, else (with a warning saying why) a PrintSpeaker,
    or a NullSpeaker when `settings.echo` is off."""
    settings = settings or SpeakerSettings()
    try:
        return Pyttsx3Speaker(settings)
    except EngineUnavailableError as err:
        _LOGGER.warning("Speech output unavailable (%s); replies will only be shown as text", err)
        return PrintSpeaker() if settings.echo else NullSpeaker()
