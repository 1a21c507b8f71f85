"""The speaker interface: reply text in, speech out."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Speaker(ABC):
    """Speaks replies. `say` blocks until the reply has been played (or written)."""

    name: str = "speaker"

    @abstractmethod
    def say(self, text: str) -> None:
        """Speak `text`; never raises for engine trouble (falls back to printing)."""

    def close(self) -> None:
        """Release the engine."""
