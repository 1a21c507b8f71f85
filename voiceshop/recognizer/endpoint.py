"""Endpointing: where an utterance starts and ends in a stream of engine-format audio.

The stream is cut into 32 ms frames (512 samples, what Silero VAD needs at 16 kHz); a
`SpeechDetector` gives each frame a speech probability, and the `Endpointer` state machine turns
those into utterances: speech for `min_speech_seconds` starts one (with `pre_roll_seconds` of
audio before it), `trailing_silence_seconds` of non-speech ends it, and `max_utterance_seconds`
cuts it regardless.

The default detector is the Silero VAD model that faster-whisper ships, driven frame by frame with
its recurrent state (about 0.1 ms of CPU per frame). `EnergyDetector`, a level-above-noise-floor
detector, is the fallback when faster-whisper is absent and the detector tests use.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import numpy as np

from voiceshop.audio.convert import require_engine_format
from voiceshop.audio.types import ENGINE_FORMAT, Chunk
from voiceshop.errors import EngineUnavailableError
from voiceshop.extras import missing_extra

if TYPE_CHECKING:
    import onnxruntime

_LOGGER = logging.getLogger(__name__)

FRAME_SAMPLES = 512
"""Samples per detector frame: Silero VAD takes exactly 512 at 16 kHz."""
FRAME_SECONDS = FRAME_SAMPLES / ENGINE_FORMAT.rate
_FRAME_BYTES = FRAME_SAMPLES * ENGINE_FORMAT.width


class SpeechDetector(Protocol):
    """Scores 32 ms frames: how likely each one is speech."""

    def speech_probability(self, frame: np.ndarray) -> float:
        """0..1 for one frame of FRAME_SAMPLES float32 samples in [-1, 1), fed in stream order."""
        ...

    def reset(self) -> None:
        """Forget the stream so far."""
        ...


@dataclass(frozen=True)
class EndpointSettings:
    """When an utterance starts and ends."""

    speech_threshold: float = 0.5
    """A frame whose speech probability reaches this counts as speech (Silero's usual 0.5).
    Not tuned: Silero's usual value."""
    release_threshold: float = 0.35
    """Inside an utterance, frames at or above this still count as speech (hysteresis).
    Not tuned: a guess, checked on synthetic test audio only."""
    min_speech_seconds: float = 0.1
    """Speech must last this long to start an utterance; shorter clicks and knocks are ignored.
    Not tuned: a guess, checked on synthetic test audio only."""
    trailing_silence_seconds: float = 0.7
    """Non-speech that ends an utterance; shorter cuts "add two ... apples" in the pause.
    Not tuned: a guess, checked on synthetic test audio only."""
    max_utterance_seconds: float = 15.0
    """An utterance is cut at this length even if the speaker goes on.
    Not tuned: a guess, checked on synthetic test audio only."""
    pre_roll_seconds: float = 0.3
    """Audio kept from before speech was detected, so the first syllable is not clipped.
    Not tuned: a guess, checked on synthetic test audio only."""


class EndReason(StrEnum):
    """Why an utterance ended."""

    SILENCE = "silence"
    MAX_LENGTH = "max_length"
    END_OF_STREAM = "end_of_stream"
    EARLY = "early"
    """Ended by the caller (`Endpointer.end_utterance`) before the trailing silence was over."""


@dataclass(frozen=True)
class Utterance:
    """One utterance's engine-format audio: pre-roll, speech and trailing silence.

    It is never longer than the `max_utterance_seconds` it was cut with.
    """

    pcm: bytes
    reason: EndReason

    @property
    def seconds(self) -> float:
        return len(self.pcm) / ENGINE_FORMAT.bytes_per_second


class Endpointer:
    """Splits a stream of engine-format chunks into utterances."""

    _leftover: bytes
    """Audio short of a whole frame, kept for the next chunk (set by `reset`)."""

    def __init__(
        self, settings: EndpointSettings | None = None, detector: SpeechDetector | None = None
    ) -> None:
        self.settings = settings or EndpointSettings()
        self.detector = detector or default_detector()
        self._pre_roll_frames = math.ceil(self.settings.pre_roll_seconds / FRAME_SECONDS)
        self._onset_frames = max(1, math.ceil(self.settings.min_speech_seconds / FRAME_SECONDS))
        self._silence_frames = math.ceil(self.settings.trailing_silence_seconds / FRAME_SECONDS)
        self._max_frames = max(1, math.floor(self.settings.max_utterance_seconds / FRAME_SECONDS))
        self.reset()

    @property
    def in_utterance(self) -> bool:
        """True between the start of speech and the end of its utterance."""
        return bool(self._utterance)

    @property
    def utterance_seconds(self) -> float:
        """Length of the utterance in progress so far, pre-roll included (0 outside one)."""
        return len(self._utterance) * FRAME_SECONDS

    @property
    def silence_seconds(self) -> float:
        """Non-speech at the end of the utterance in progress so far (0 outside one)."""
        return self._silence_run * FRAME_SECONDS if self._utterance else 0.0

    @property
    def silence_left_seconds(self) -> float:
        """Further non-speech that would end the utterance in progress (0 outside one)."""
        if not self._utterance:
            return 0.0
        return (self._silence_frames - self._silence_run) * FRAME_SECONDS

    def utterance_pcm(self) -> bytes:
        """The audio of the utterance in progress so far (empty outside one)."""
        return b"".join(self._utterance)

    def feed(self, chunk: Chunk) -> list[Utterance]:
        """Accept audio; return the utterances that ended within it.

        That is usually none, and at most one for chunks shorter than the trailing silence.
        """
        return [utterance for utterance in self.frames(chunk) if utterance is not None]

    def frames(self, chunk: Chunk) -> Iterator[Utterance | None]:
        """Accept audio one frame at a time: after each frame, the utterance it ended or None.

        Between frames the caller may look at the utterance so far or end it early.
        """
        require_engine_format(chunk)
        pcm = self._leftover + chunk.pcm
        whole = len(pcm) - len(pcm) % _FRAME_BYTES
        self._leftover = pcm[whole:]
        for start in range(0, whole, _FRAME_BYTES):
            yield self._step(pcm[start : start + _FRAME_BYTES])

    def end_utterance(self) -> Utterance | None:
        """End the utterance in progress now (None outside one); the detector keeps its state."""
        return self._end(EndReason.EARLY) if self._utterance else None

    def flush(self) -> Utterance | None:
        """End of stream: the utterance in progress, if any. The Endpointer is then reset."""
        pending = self._utterance
        tail = self._leftover
        self.reset()
        if not pending:
            return None
        pcm = (b"".join(pending) + tail)[: self._max_frames * _FRAME_BYTES]
        return Utterance(pcm, EndReason.END_OF_STREAM)

    def reset(self) -> None:
        """Drop all audio and state (after the agent spoke, or on barge-in)."""
        self.detector.reset()
        self._leftover = b""
        self._pre_roll: deque[bytes] = deque(maxlen=self._pre_roll_frames)
        self._onset: list[bytes] = []
        self._utterance: list[bytes] = []
        self._silence_run = 0

    def _step(self, frame: bytes) -> Utterance | None:
        samples = np.frombuffer(frame, "<i2").astype(np.float32) / 32768.0
        probability = self.detector.speech_probability(samples)
        if self._utterance:
            return self._continue(frame, probability >= self.settings.release_threshold)
        self._wait_for_speech(frame, probability >= self.settings.speech_threshold)
        return None

    def _wait_for_speech(self, frame: bytes, is_speech: bool) -> None:
        if not is_speech:
            self._remember_before_speech(frame)
            return
        self._onset.append(frame)
        if len(self._onset) >= self._onset_frames:
            self._utterance = [*self._pre_roll, *self._onset]
            self._pre_roll.clear()
            self._onset = []
            self._silence_run = 0

    def _remember_before_speech(self, frame: bytes) -> None:
        self._pre_roll.extend(self._onset)
        self._pre_roll.append(frame)
        self._onset = []

    def _continue(self, frame: bytes, is_speech: bool) -> Utterance | None:
        self._utterance.append(frame)
        self._silence_run = 0 if is_speech else self._silence_run + 1
        if self._silence_run >= self._silence_frames:
            return self._end(EndReason.SILENCE)
        if len(self._utterance) >= self._max_frames:
            return self._end(EndReason.MAX_LENGTH)
        return None

    def _end(self, reason: EndReason) -> Utterance:
        utterance = Utterance(b"".join(self._utterance), reason)
        self._utterance = []
        self._silence_run = 0
        return utterance


@dataclass(frozen=True)
class EnergySettings:
    """How the energy detector separates speech from background."""

    margin_db: float = 10.0
    """A frame this far above the noise floor scores 0.5; twice as far scores 1.
    Not tuned: a guess, checked on synthetic test audio only."""
    floor_rise_db_per_second: float = 1.0
    """How fast the noise floor follows louder background (it follows quieter at once).
    Not tuned: a guess, checked on synthetic test audio only."""
    min_floor_db: float = -60.0
    """The floor never drops below this (dBFS), so digital silence does not make clicks speech.
    Not tuned: a guess, checked on synthetic test audio only."""


class EnergyDetector:
    """Speech = frame level well above an adaptive noise floor.

    The floor starts at the first frame's level, drops at once to any quieter frame and rises
    slowly, so steady background (fans, hum, hiss) never counts as speech.
    """

    def __init__(self, settings: EnergySettings | None = None) -> None:
        self.settings = settings or EnergySettings()
        self._rise_per_frame = self.settings.floor_rise_db_per_second * FRAME_SECONDS
        self._floor_db: float | None = None

    def speech_probability(self, frame: np.ndarray) -> float:
        level = _level_db(frame)
        floor = self._update_floor(level)
        return float(np.clip((level - floor) / (2 * self.settings.margin_db), 0.0, 1.0))

    def reset(self) -> None:
        self._floor_db = None

    def _update_floor(self, level_db: float) -> float:
        previous = level_db if self._floor_db is None else self._floor_db
        floor = min(level_db, previous + self._rise_per_frame)
        self._floor_db = max(floor, self.settings.min_floor_db)
        return self._floor_db


class SileroDetector:
    """Silero VAD (faster-whisper's bundled ONNX model) run one frame at a time, keeping its
    LSTM state and the 64-sample context that the model expects before each frame."""

    _CONTEXT_SAMPLES = 64
    _STATE_SHAPE = (1, 1, 128)
    _h: np.ndarray
    _c: np.ndarray
    """The LSTM state (set by `reset`)."""
    _context: np.ndarray
    """The last samples of the previous frame (set by `reset`)."""

    def __init__(self) -> None:
        self._session = _silero_session()
        self.reset()

    def speech_probability(self, frame: np.ndarray) -> float:
        window = np.concatenate([self._context, frame]).astype(np.float32)[np.newaxis, :]
        output, self._h, self._c = self._session.run(
            None, {"input": window, "h": self._h, "c": self._c}
        )
        self._context = frame[-self._CONTEXT_SAMPLES :]
        return float(np.ravel(output)[0])

    def reset(self) -> None:
        self._h = np.zeros(self._STATE_SHAPE, np.float32)
        self._c = np.zeros(self._STATE_SHAPE, np.float32)
        self._context = np.zeros(self._CONTEXT_SAMPLES, np.float32)


def default_detector() -> SpeechDetector:
    """Silero VAD when faster-whisper is installed, else the energy detector (with a warning)."""
    try:
        return SileroDetector()
    except EngineUnavailableError as err:
        _LOGGER.warning("%s; falling back to the less robust energy-based endpointing", err)
        return EnergyDetector()


def _silero_session() -> onnxruntime.InferenceSession:
    try:
        from faster_whisper.vad import get_vad_model

        session = get_vad_model().session
    except (ImportError, RuntimeError) as err:
        raise EngineUnavailableError(missing_extra("whisper", "Silero VAD", err)) from err
    inputs = {node.name for node in session.get_inputs()}
    if inputs != {"input", "h", "c"}:
        raise EngineUnavailableError(
            f"this faster-whisper's Silero VAD takes inputs {sorted(inputs)}, not input/h/c; "
            "pip install 'faster-whisper>=1.1,<1.3'"
        )
    return session


def _level_db(frame: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64))))
    return 20 * math.log10(max(rms, 1e-10))
