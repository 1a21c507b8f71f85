"""Half-duplex microphone gate: the agent must not hear itself (pitfall P13).

While the agent speaks, and for a short tail afterwards, microphone audio is replaced by silence
of the same length ("soft mute"), so the recognizer's sense of time stays intact.

The voice loop blocks while the speaker plays, and the microphone keeps queueing audio meanwhile,
so a chunk is judged by when it was *captured*, not when it is read: chunks that know their capture
time (`TimedChunk`, from the microphone) are muted exactly; plain chunks count as captured now.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from voiceshop.audio.types import Chunk

Clock = Callable[[], float]
"""Seconds on a monotonic clock (`time.monotonic` in production, a fake in tests)."""


@dataclass(frozen=True)
class TimedChunk(Chunk):
    """A chunk that knows when its last sample was captured."""

    captured_at: float = 0.0
    """Clock time (`time.monotonic`) at the end of the chunk."""


@dataclass(frozen=True)
class GateSettings:
    """How long the microphone stays muted around the agent's speech."""

    tail_s: float = 0.4
    """Seconds still muted after playback ends (room echo, device latency); 0 disables the tail."""


_REMEMBERED_WINDOWS = 8
"""Muted windows kept for judging chunks that were queued a while ago."""


class MicGate:
    """Soft-mutes microphone audio captured while the agent speaks, plus a tail."""

    def __init__(self, settings: GateSettings | None = None, clock: Clock = time.monotonic) -> None:
        self._tail_s = (settings or GateSettings()).tail_s
        self._clock = clock
        self._speaking_since: float | None = None
        self._windows: deque[tuple[float, float]] = deque(maxlen=_REMEMBERED_WINDOWS)
        self.muted_seconds = 0.0
        """Total audio replaced by silence so far."""

    @contextmanager
    def speaking(self) -> Iterator[None]:
        """Mute for the duration of the `with` block (wrap the blocking playback in it)."""
        started = self._speaking_since = self._clock()
        try:
            yield
        finally:
            self._windows.append((started, self._clock() + self._tail_s))
            self._speaking_since = None

    def is_muted(self, at: float | None = None) -> bool:
        """Whether audio captured at clock time `at` (default: now) must be silenced."""
        moment = self._clock() if at is None else at
        if self._speaking_since is not None and moment >= self._speaking_since:
            return True
        return any(start <= moment <= end for start, end in self._windows)

    def filter(self, chunk: Chunk) -> Chunk:
        """The chunk itself, or silence of the same length and format when muted."""
        captured_at = chunk.captured_at if isinstance(chunk, TimedChunk) else None
        if not self.is_muted(captured_at):
            return chunk
        self.muted_seconds += chunk.seconds
        return Chunk(bytes(len(chunk.pcm)), chunk.fmt)
