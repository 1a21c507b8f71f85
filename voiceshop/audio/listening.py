"""The listening state and input level the voice loop reports as it goes, for whatever shows
them live (the terminal's state line, the earcons)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class ListenState(StrEnum):
    """What the loop is doing, for a live state line."""

    LISTENING = "listening"
    HEARD = "heard you"
    THINKING = "thinking"
    SPEAKING = "speaking"


@dataclass(frozen=True)
class StateChanged:
    """The loop moved to another state."""

    state: ListenState


@dataclass(frozen=True)
class Level:
    """The level of the latest chunk the recognizer could hear (dB below full scale)."""

    dbfs: float


LiveStatus = StateChanged | Level
StatusHandler = Callable[[LiveStatus], None]
"""Gets the loop's state and every chunk's level, for a live state line (many calls a second:
keep it cheap)."""
