"""Live microphone input through sounddevice (PortAudio), as engine-format chunks.

The PortAudio callback only stamps and queues the raw bytes (H10); conversion to 16 kHz mono and
everything else happens in the reader. The queue is bounded: when the reader falls behind, the
oldest audio is dropped and counted, and the counts are logged when the microphone closes (P10).
sounddevice is imported only inside this module's functions, and every PortAudio failure becomes
an AudioDeviceError that says how to fix it (P9).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType, TracebackType
from typing import Any

from voiceshop.audio.convert import Resampler
from voiceshop.audio.gate import TimedChunk
from voiceshop.audio.types import ENGINE_RATE, AudioFormat, Chunk
from voiceshop.errors import AudioDeviceError
from voiceshop.extras import missing_extra

_LOGGER = logging.getLogger(__name__)

_POLL_S = 0.1
"""How often a waiting reader checks for stop() and for a dead stream."""

NO_INPUT_DEVICE = "No input device: connect a microphone or use `voiceshop replay FILE.wav`"
LIST_DEVICES_HINT = "`voiceshop devices` lists the input devices; pass one with --device NAME|INDEX"


@dataclass(frozen=True)
class DeviceInfo:
    """An audio input device as PortAudio reports it."""

    index: int
    """PortAudio device index (usable as `device`)."""
    name: str
    """Device name; any unique part of it is usable as `device`."""
    channels: int
    """Most input channels it offers."""
    default_rate: int
    """Its default sample rate (Hz)."""
    is_default: bool
    """Whether it is the system's default input."""


@dataclass(frozen=True)
class MicSettings:
    """How the microphone stream is read."""

    block_s: float = 0.032
    """Seconds of audio per PortAudio callback, and so per chunk: one speech-detector frame, so
    that the end of an utterance is decided as soon as its last frame is captured (0.1 s blocks
    add 50 ms to a turn on average)."""
    rate: int | None = None
    """Capture rate (Hz); None: the engine's 16 kHz when the device offers it, else its default."""
    buffer_s: float = 30.0
    """Audio held for a reader that falls behind (e.g. while a reply plays); beyond it the oldest
    audio is dropped and counted."""


@dataclass
class MicStats:
    """Trouble counted while the stream ran, reported when the microphone closes."""

    dropped_blocks: int = 0
    """Blocks discarded because the reader fell more than `buffer_s` behind."""
    status_flags: Counter[str] = field(default_factory=Counter)
    """PortAudio callback flags (e.g. "input overflow") and how often each was raised."""


def import_sounddevice() -> ModuleType:
    """The sounddevice module, or AudioDeviceError saying what to install."""
    try:
        import sounddevice
    except OSError as err:
        raise AudioDeviceError(
            "PortAudio library not found: sudo apt-get install libportaudio2"
        ) from err
    except ImportError as err:
        raise AudioDeviceError(
            missing_extra("mic", "audio input and output (sounddevice)", err)
        ) from err
    return sounddevice


def refresh_devices() -> None:
    """Re-scan audio devices: PortAudio lists them once, when it starts.

    Call after plugging in a device or starting an audio server; not while a stream is open.
    """
    sd = import_sounddevice()
    sd._terminate()
    sd._initialize()


def list_input_devices() -> list[DeviceInfo]:
    """Every device that can record, in PortAudio's order."""
    sd = import_sounddevice()
    default_index = sd.default.device[0]
    return [
        DeviceInfo(
            index=device["index"],
            name=device["name"],
            channels=device["max_input_channels"],
            default_rate=int(device["default_samplerate"]),
            is_default=device["index"] == default_index,
        )
        for device in sd.query_devices()
        if device["max_input_channels"] > 0
    ]


class Microphone:
    """Chunks from a live input device, in the engine format, stamped with their capture time.

    Use as a context manager, and iterate inside it; `stop()` (from any thread) ends iteration:

        with Microphone("pulse") as mic:
            for chunk in mic: ...
    """

    def __init__(
        self, device: str | int | None = None, settings: MicSettings | None = None
    ) -> None:
        self._settings = settings or MicSettings()
        self._sd = import_sounddevice()
        info = _find_input_device(self._sd, device)
        self.device_name: str = info["name"]
        """Name of the device being recorded."""
        self.rate: int = self._settings.rate or _pick_rate(
            self._sd, info["index"], int(info["default_samplerate"])
        )
        """Sample rate the device is read at (Hz), before conversion to the engine's 16 kHz."""
        self.stats = MicStats()
        self._device_index: int = info["index"]
        self._format = AudioFormat(rate=self.rate)
        blocks = math.ceil(self._settings.buffer_s / self._settings.block_s)
        self._queue: queue.Queue[tuple[float, bytes]] = queue.Queue(maxsize=blocks)
        self._stopped = threading.Event()
        self._stream: Any = None

    def __enter__(self) -> Microphone:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Start recording; AudioDeviceError when the device cannot be opened."""
        try:
            self._stream = self._sd.RawInputStream(
                device=self._device_index,
                samplerate=self.rate,
                channels=1,
                dtype="int16",
                blocksize=round(self.rate * self._settings.block_s),
                callback=self._on_audio,
            )
            self._stream.start()
        except self._sd.PortAudioError as err:
            self.close()
            raise AudioDeviceError(
                f"Cannot open input device {self.device_name!r} at {self.rate} Hz ({err}): "
                f"close other programs using it, or pick another; {LIST_DEVICES_HINT}"
            ) from err

    def stop(self) -> None:
        """End iteration soon (safe from any thread or a signal handler)."""
        self._stopped.set()

    def close(self) -> None:
        """Stop recording, release the device and log any dropped audio."""
        self.stop()
        if self._stream is not None:
            self._stream.close()
            self._stream = None
            self._report_trouble()

    def __iter__(self) -> Iterator[Chunk]:
        if self._stream is None:
            raise RuntimeError("open the microphone first: `with Microphone(...) as mic:`")
        resampler = Resampler(self._format)
        while not self._stopped.is_set():
            try:
                captured_at, pcm = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                self._check_alive()
                continue
            chunk = resampler.convert(Chunk(pcm, self._format))
            if chunk.pcm:
                yield TimedChunk(chunk.pcm, captured_at=captured_at)

    def _on_audio(self, indata: Any, _frames: int, _time: Any, status: Any) -> None:
        """PortAudio thread: stamp and queue the bytes, nothing else."""
        if status:
            self.stats.status_flags[str(status)] += 1
        block = (time.monotonic(), bytes(indata))
        while True:
            try:
                self._queue.put_nowait(block)
                return
            except queue.Full:
                self._drop_oldest()

    def _drop_oldest(self) -> None:
        try:
            self._queue.get_nowait()
            self.stats.dropped_blocks += 1
        except queue.Empty:
            pass

    def _check_alive(self) -> None:
        if self._stream is not None and not self._stream.active and not self._stopped.is_set():
            raise AudioDeviceError(
                f"Input device {self.device_name!r} stopped delivering audio "
                f"(unplugged?): reconnect it, or pick another; {LIST_DEVICES_HINT}"
            )

    def _report_trouble(self) -> None:
        if self.stats.dropped_blocks:
            _LOGGER.warning(
                "Microphone: dropped %.1f s of audio because the reader fell behind",
                self.stats.dropped_blocks * self._settings.block_s,
            )
        for flag, count in self.stats.status_flags.items():
            _LOGGER.warning("Microphone: PortAudio reported %r %d times", flag, count)


def _find_input_device(sd: ModuleType, device: str | int | None) -> dict[str, Any]:
    """PortAudio's description of the chosen input device (a digit string is an index)."""
    wanted = int(device) if isinstance(device, str) and device.isdigit() else device
    try:
        return sd.query_devices(wanted, "input")
    except ValueError as err:
        raise AudioDeviceError(f"{err}: {LIST_DEVICES_HINT}") from err
    except sd.PortAudioError as err:
        if wanted is None:
            raise AudioDeviceError(NO_INPUT_DEVICE) from err
        raise AudioDeviceError(f"No input device {device!r}: {LIST_DEVICES_HINT}") from err


def _pick_rate(sd: ModuleType, index: int, default_rate: int) -> int:
    """The engine's 16 kHz when the device offers it (no resampling), else its default rate."""
    try:
        sd.check_input_settings(device=index, samplerate=ENGINE_RATE, channels=1, dtype="int16")
    except (sd.PortAudioError, ValueError):
        return default_rate
    return ENGINE_RATE
