"""Playing synthesised speech: sounds played back to back as they come, on the output device."""

from __future__ import annotations

import logging
import threading
import time
import wave
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from voiceshop.errors import AudioDeviceError

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sound:
    """Mono 16-bit samples and their rate."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    @classmethod
    def from_wav(cls, path: Path) -> Sound:
        """A mono 16-bit WAV file's audio."""
        with wave.open(str(path), "rb") as wav:
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
            return cls(samples, wav.getframerate())

    def write_wav(self, path: Path) -> None:
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(self.rate)
            wav.writeframes(self.samples.tobytes())


def joined(sounds: list[Sound]) -> Sound:
    """The sounds one after the other (all at the first one's rate)."""
    return Sound(np.concatenate([sound.samples for sound in sounds]), sounds[0].rate)


class Player(Protocol):
    """Plays the sentences of a reply."""

    def play(self, sounds: Iterable[Sound]) -> float | None:
        """Play `sounds` back to back, each as soon as it comes; return when all are played.

        Returns the `time.monotonic()` at which the first audio went to the device (None if
        there was no sound). Raises AudioDeviceError when nothing can be played.
        """
        ...


@runtime_checkable
class InterruptiblePlayer(Protocol):
    """Plays a whole sound without waiting, so that it can be stopped (for barge-in)."""

    def start(self, sound: Sound) -> Playback:
        """Start playing `sound`; AudioDeviceError when it cannot be played."""
        ...


class Playback:
    """A sound being played on an output stream: poll `done`, `stop` at any time, `close`."""

    def __init__(self, stream: Any, queue: _SampleQueue) -> None:
        self._stream = stream
        self._queue = queue
        self.stopped_at: float | None = None
        """`time.monotonic()` when `stop` was called."""

    @property
    def started_at(self) -> float | None:
        """`time.monotonic()` when the first samples went to the device (None before)."""
        return self._queue.started_at

    @property
    def latency_s(self) -> float:
        """The output's latency as PortAudio reports it: after `stop`, what was already sent to
        the device may still sound for about this long."""
        return float(self._stream.latency)

    @property
    def underflows(self) -> int:
        """Callbacks PortAudio flagged so far (the output ran dry)."""
        return self._queue.underflows

    def done(self) -> bool:
        """Whether playback has ended (played out or stopped)."""
        return self._queue.drained.is_set()

    def stop(self) -> None:
        """Stop at once: the callback sends no more samples."""
        if self.stopped_at is None:
            self.stopped_at = time.monotonic()
        self._queue.stop_now()

    def wait(self, timeout: float) -> bool:
        """Wait until playback has ended; False on timeout."""
        return self._queue.drained.wait(timeout)

    def close(self) -> None:
        """Stop if still playing and release the stream."""
        self.stop()
        self._stream.close()
        _log_underflows(self._queue)


def _log_underflows(queue: _SampleQueue) -> None:
    if queue.underflows:
        _LOGGER.info("Playback: PortAudio flagged %d callbacks (underflow)", queue.underflows)


class DevicePlayer:
    """Plays on the default output device through one sounddevice stream per reply."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self._timeout_s = timeout_s
        """Longest wait for playback beyond the audio's own length."""

    def play(self, sounds: Iterable[Sound]) -> float | None:
        pending = iter(sounds)
        first = next(pending, None)
        if first is None:
            return None
        from voiceshop.audio.microphone import import_sounddevice

        sd = import_sounddevice()
        try:
            device = sd.query_devices(kind="output")
        except sd.PortAudioError as err:
            raise AudioDeviceError("No output device (no sound card or audio server)") from err
        rate = _playable_rate(sd, first.rate, device)
        try:
            return self._stream(sd, rate, first, pending)
        except sd.PortAudioError as err:
            raise AudioDeviceError(f"Cannot play on {device['name']!r}: {err}") from err

    def start(self, sound: Sound) -> Playback:
        """Start playing `sound` and return at once (see Playback)."""
        from voiceshop.audio.microphone import import_sounddevice

        sd = import_sounddevice()
        try:
            device = sd.query_devices(kind="output")
            rate = _playable_rate(sd, sound.rate, device)
            queue = _SampleQueue(sd.CallbackStop, sd.CallbackAbort)
            queue.add(_at_rate(sound, rate))
            queue.close()
            stream = sd.OutputStream(
                samplerate=rate,
                channels=1,
                dtype="int16",
                latency="high",  # underruns shift the echo off the reference; AEC3 finds the delay
                callback=queue.fill,
                finished_callback=queue.drained.set,
            )
            stream.start()
        except sd.PortAudioError as err:
            raise AudioDeviceError(f"Cannot play the reply: {err}") from err
        return Playback(stream, queue)

    def _stream(self, sd: Any, rate: int, first: Sound, rest: Iterator[Sound]) -> float | None:
        """Play `first`, then each of `rest` as it comes; wait for the device to drain."""
        queue = _SampleQueue(sd.CallbackStop)
        queue.add(_at_rate(first, rate))
        with sd.OutputStream(
            samplerate=rate,
            channels=1,
            dtype="int16",
            latency="low",
            callback=queue.fill,
            finished_callback=queue.drained.set,
        ):
            seconds = first.seconds
            for sound in rest:
                queue.add(_at_rate(sound, rate))
                seconds += sound.seconds
            queue.close()
            if not queue.drained.wait(seconds + self._timeout_s):
                _LOGGER.warning("Playback did not finish within %.1f s; cut off", self._timeout_s)
        _log_underflows(queue)
        return queue.started_at


class _SampleQueue:
    """Samples waiting to be played, consumed by the output stream's callback."""

    def __init__(self, stop: type[Exception], abort: type[Exception] | None = None) -> None:
        self._abort = abort or stop
        self._stopping = False
        self._pieces: deque[np.ndarray] = deque()
        self._position = 0
        self._closed = False
        self._stop = stop
        self.drained = threading.Event()
        self.started_at: float | None = None
        """`time.monotonic()` when the callback first took samples."""
        self.underflows = 0
        """Callbacks that PortAudio flagged (output underflow): logged, never printed."""

    def add(self, samples: np.ndarray) -> None:
        self._pieces.append(samples)

    def close(self) -> None:
        """No more samples will come: stop once these are played."""
        self._closed = True

    def stop_now(self) -> None:
        """Play nothing more: the next callback aborts the stream."""
        self._stopping = True

    def fill(self, outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        """The stream callback: the next `frames` samples, silence while the next sentence is
        still being synthesised, and a stop once all are played (or an abort once stopped)."""
        if status:
            self.underflows += 1
        if self._stopping:
            outdata[:] = 0
            raise self._abort
        written = 0
        while written < frames and self._pieces:
            piece = self._pieces[0]
            part = piece[self._position : self._position + frames - written]
            outdata[written : written + len(part), 0] = part
            written += len(part)
            self._position += len(part)
            if self._position >= len(piece):
                self._pieces.popleft()
                self._position = 0
        if written and self.started_at is None:
            self.started_at = time.monotonic()
        outdata[written:] = 0
        if self._closed and not self._pieces:
            raise self._stop


def _playable_rate(sd: Any, rate: int, device: dict[str, Any]) -> int:
    """`rate` when the device takes it, else the device's own default rate."""
    try:
        sd.check_output_settings(samplerate=rate, channels=1, dtype="int16")
    except sd.PortAudioError:
        return int(device["default_samplerate"])
    return rate


def _at_rate(sound: Sound, rate: int) -> np.ndarray:
    if sound.rate == rate:
        return sound.samples
    import soxr

    return soxr.resample(sound.samples, sound.rate, rate).astype(np.int16)
