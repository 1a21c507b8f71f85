"""Stand-ins the tests share."""

from __future__ import annotations


class FakeClock:
    """A clock that moves only when told to (set `now`, or `advance`)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
