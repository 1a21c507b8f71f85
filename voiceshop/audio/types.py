"""Audio as values that carry their format: the currency between audio stages."""

from __future__ import annotations

from dataclasses import dataclass

ENGINE_RATE = 16_000
"""Sample rate every recognizer receives (Hz)."""


@dataclass(frozen=True)
class AudioFormat:
    """PCM layout: samples per second, bytes per sample, interleaved channels."""

    rate: int = ENGINE_RATE
    width: int = 2
    channels: int = 1

    @property
    def bytes_per_second(self) -> int:
        return self.rate * self.width * self.channels


ENGINE_FORMAT = AudioFormat()
"""16 kHz, 16-bit, mono: what recognizers are fed."""


@dataclass(frozen=True)
class Chunk:
    """A piece of PCM audio and its format."""

    pcm: bytes
    fmt: AudioFormat = ENGINE_FORMAT

    @property
    def seconds(self) -> float:
        return len(self.pcm) / self.fmt.bytes_per_second
