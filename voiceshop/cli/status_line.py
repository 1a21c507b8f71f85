"""A live state line for `listen`: what the loop does and a level meter, on one terminal line.

On a terminal the line is redrawn in place with a carriage return (at most `_REDRAW_S` apart for
the meter), and cleared before anything else is printed, so the transcript stays clean. When the
output is not a terminal (a pipe, a log file) nothing is written.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from voiceshop.audio.listening import Level, ListenState, LiveStatus, StateChanged

_REDRAW_S = 0.1
"""Least time between two redraws for a level change alone."""
METER_WIDTH = 20
METER_FLOOR_DBFS = -60.0
"""The meter's empty end; full is 0 dBFS."""


def meter(dbfs: float, width: int = METER_WIDTH) -> str:
    """A bar of `width` cells for a level between METER_FLOOR_DBFS and 0 dBFS."""
    share = min(1.0, max(0.0, (dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS))
    filled = round(share * width)
    return "#" * filled + "." * (width - filled)


class StatusLine:
    """Shows the loop's state and level on one line of a terminal."""

    def __init__(
        self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream or sys.stderr
        self.enabled = bool(getattr(self._stream, "isatty", lambda: False)())
        self._state = ListenState.LISTENING
        self._level = METER_FLOOR_DBFS
        self._drawn_at = float("-inf")
        self._shown = False
        self._clock = clock

    def update(self, status: LiveStatus) -> None:
        """Take a state change or a level (a StatusHandler)."""
        if not self.enabled:
            return
        now = self._clock()
        if isinstance(status, StateChanged):
            self._state = status.state
        elif isinstance(status, Level):
            self._level = status.dbfs
            if now - self._drawn_at < _REDRAW_S:
                return
        self._draw(now)

    def clear(self) -> None:
        """Blank the line (call before printing anything else)."""
        if self.enabled and self._shown:
            self._stream.write("\r\x1b[2K")
            self._stream.flush()
            self._shown = False
            self._drawn_at = float("-inf")

    def _draw(self, now: float) -> None:
        self._stream.write(f"\r\x1b[2K[{self._state.value:^9}] {meter(self._level)}")
        self._stream.flush()
        self._shown = True
        self._drawn_at = now
