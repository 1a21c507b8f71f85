"""Stand-ins the tests share."""

from __future__ import annotations

from voiceshop.audio.types import Chunk
from voiceshop.recognizer.base import Recognizer, Transcript


class FakeClock:
    """A clock that moves only when told to (set `now`, or `advance`)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FeedOnlyRecognizer(Recognizer):
    """A stand-in recognizer that answers only through `feed` (this one hears nothing): no
    partial text, nothing left at a flush, nothing to reset."""

    def feed(self, chunk: Chunk) -> Transcript | None:
        return None

    def partial(self) -> str:
        return ""

    def flush(self) -> Transcript | None:
        return None

    def reset(self) -> None:
        pass
