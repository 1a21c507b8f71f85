"""The speaker interface: reply text in, speech out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol

import numpy as np


class SpeechPlayback(Protocol):
    """A reply being played, for barge-in: what is played, since when, and a way to stop it."""

    @property
    def reference(self) -> np.ndarray:
        """The reply's samples, 16 kHz mono int16, as played (before the room)."""
        ...

    @property
    def started_at(self) -> float | None:
        """`time.monotonic()` when the first samples went to the device (None before)."""
        ...

    @property
    def underflows(self) -> int:
        """How often the output ran dry so far (each shifts the echo against `reference`)."""
        ...

    def done(self) -> bool:
        """Whether playback has ended."""
        ...

    def stop(self) -> None:
        """Stop playing at once."""
        ...

    def close(self) -> None:
        """Release the output (stops it first)."""
        ...


class Speaker(ABC):
    """Speaks replies. `say` blocks until the reply has been played (or written)."""

    name: str = "speaker"

    @abstractmethod
    def say(self, text: str) -> None:
        """Speak `text`; never raises for engine trouble (falls back to printing)."""

    def start(self, text: str) -> SpeechPlayback | None:
        """Start speaking `text` without waiting (for barge-in); None when this speaker cannot
        (the caller then uses `say`)."""
        return None

    def close(self) -> None:
        """Release the engine."""
