"""The speaker of last resort: replies as text on the terminal."""

from __future__ import annotations

import sys
from typing import TextIO

from voiceshop.speaker.base import Speaker


class PrintSpeaker(Speaker):
    """Prints each reply as "voiceshop: <text>"."""

    name = "print"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def say(self, text: str) -> None:
        print(f"voiceshop: {text}", file=self._stream or sys.stdout, flush=True)


class NullSpeaker(Speaker):
    """Says nothing: for callers that show every reply themselves, and for tests."""

    name = "none"

    def say(self, text: str) -> None:
        """Do nothing."""
