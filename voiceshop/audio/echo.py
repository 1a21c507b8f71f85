"""Barge-in: hearing the person over the agent's own reply.

While a reply plays, the microphone hears the reply's echo and possibly the person. The reply's
signal is known (it was synthesised before playing), so an acoustic echo canceller removes its
echo from the microphone audio, and `InterruptionDetector` looks for speech in what is left.

- `ReplyReference`: the reply's samples on the monotonic clock, so the part played when a
  microphone chunk was captured can be handed to the canceller (zeros before, after, and once
  playback was stopped).
- `EchoCanceller`: WebRTC's AEC3 (PyPI `pywebrtc-audio`, imported lazily), fed 10 ms frames. It
  estimates the echo path's delay itself, so the timestamps need only be roughly right.
  In a trial with a synthetic room it cancelled far more of the echo from the first second on
  than speexdsp (`speexdsp-aec`), which is slow to converge on speech; hence AEC3. Its echo
  suppression also cuts into the person's words said over the reply, so the recognizer can hear
  the output of a linear canceller beside it instead (`voiceshop.audio.linear_echo`).
- `InterruptionDetector`: energy on the echo-cancelled audio, in 10 ms frames: an interruption is
  `min_speech_s` of frames within `window_s` that are above `speech_dbfs` and that the canceller
  left within `echo_margin_db` of the microphone's level.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voiceshop.audio.linear_echo import LinearEchoFilter, LinearEchoSettings
from voiceshop.audio.types import ENGINE_RATE
from voiceshop.errors import EngineUnavailableError
from voiceshop.extras import missing_extra

FRAME = ENGINE_RATE // 100
"""Samples per 10 ms frame: what AEC3 processes at a time, and the detector's frame."""


@dataclass(frozen=True)
class BargeInSettings:
    """How the agent listens while it speaks."""

    enabled: bool = False
    """True: barge-in (keep listening, cancel the echo, stop the reply when the person speaks);
    False: half-duplex (the microphone is muted while the agent speaks)."""
    speech_dbfs: float = -35.0
    """Level of a 10 ms frame of echo-cancelled audio (dB below full scale) above which it may
    be the person's speech. The echo left after cancellation reached -32 dBFS in single frames
    (-36 over 100 ms) with the reply at -12 to 0 dB at the microphone (benchmarks/barge_in.py)."""
    echo_margin_db: float = 10.0
    """A frame counts as speech only if the canceller removed less than this from it: most of
    the microphone's sound is then not the reply's echo. (6, chosen offline on tune with
    `linear_margin_db` 10, made 11 false stops in 50 live replies against 4; see
    benchmarks/barge_in_results.md.)"""
    linear_margin_db: float | None = None
    """With a number: a frame also counts as speech when the linear echo filter's output (which
    does not suppress the person as AEC3 does) stands this far above the residual that filter
    usually leaves, and is above `speech_dbfs`; only once the filter was realigned to the
    reply's echo (see `realign_linear`: at a microphone each reply's reference lands a little
    earlier or later, and misplaced taps leave echo that would pass for the person). None (the
    default): AEC3's output alone decides; 10, chosen offline on tune, stopped more replies
    nobody interrupted at the virtual microphone."""
    linear_veto_db: float | None = None
    """With a number: once the linear echo filter is aligned to the reply, a frame AEC3 lets
    through counts only if the linear filter's output also stands this far above the residual
    it usually leaves (AEC3 re-finding a moved echo passes echo for a moment; the realigned
    linear filter still explains it as echo). None: AEC3's judgement stands alone."""
    min_speech_s: float = 0.12
    """Seconds of frames above `speech_dbfs` within `window_s` that make an interruption."""
    window_s: float = 0.2
    """The sliding window in which `min_speech_s` must be reached."""
    settle_s: float = 0.2
    """Seconds at the start of each reply on which nothing is decided: AEC3 first has to find
    the reply's echo (whose delay may have moved since the last reply), and until it has, the
    echo passes for the person. Chosen offline on tune (0.2 to 0.6 s: 6 false stops in 300
    extra tune replies against 8 without, none of the tune interruptions later)."""
    hold_after_underrun_s: float = 0.8
    """Seconds without deciding after the output ran dry (an underrun, e.g. under CPU load):
    the gap it leaves shifts the echo against the reference, and the canceller needs a moment
    to find the new delay; meanwhile its leftover echo would pass for the person."""
    realign_linear: bool = True
    """True: at the start of each reply the linear echo filter measures the echo's delay afresh
    and moves its taps to it (`LinearEchoFilter.realign`), and its output counts for
    `linear_margin_db` only once it has; False: it keeps the taps where they were learnt."""
    linear_for_recognizer: bool = True
    """True: the recognizer hears the microphone minus a linear estimate of the echo
    (`LinearEchoFilter`), which leaves the person's first syllables whole; False: it hears
    AEC3's output, whose echo suppression also cuts into speech said over the reply."""
    linear_echo: LinearEchoSettings = field(default_factory=LinearEchoSettings)
    """The linear echo filter's shape (length, step)."""
    preroll_s: float = 0.5
    """Echo-cancelled audio from before the interruption was detected that the recognizer gets
    too (so the first word is not cut), at least. 1.2 s was one tune interruption better offline
    (24 of 51 against 23) and one on check: too little to change it."""
    preroll_most_s: float = 2.0
    """The pre-roll reaches further back, to `ONSET_MARGIN_S` before where the person's speech
    began as the detector's frames show it (`InterruptionDetector.onset_frames`), but never
    beyond this: a detection that came late then still hears the first words. Equal to
    `preroll_s`: a fixed pre-roll."""
    stop_words: tuple[str, ...] = ()
    """What, said over a reply, only stops it (no answer follows): the language's
    `stop_words` (voiceshop/data/<lang>/language.yaml), lowercase, no punctuation."""


ONSET_MARGIN_S = 0.2
"""Audio kept before the estimated start of the person's speech (its first sounds are weak)."""
ONSET_REMOVED_DB = 20.0
ONSET_DBFS = -50.0
"""Looking back from a detection, a frame may be the person's when AEC3 removed less than
`ONSET_REMOVED_DB` from it and left more than `ONSET_DBFS`, or when the linear filter (aligned,
and usually removing at least `ONSET_LINEAR_USUAL_DB`) left `ONSET_LINEAR_DB` over its usual
residual and more than `ONSET_DBFS`. Chosen offline on the tune half's frames against the
fixtures' known speech starts (benchmarks/barge_in_results.md): the estimate is a median 3 ms
after the true start, within 50 ms in 6 of the 10 detections that came over 400 ms late."""
ONSET_LINEAR_USUAL_DB = -6.0
ONSET_LINEAR_DB = 6.0
ONSET_GAP_S = 0.2
"""The person's speech may pause this long (between words) and still count as one stretch."""

LEAD_S = 0.05
"""The reference is handed to the canceller this much ahead of the capture clock: an echo can
only be cancelled from a reference that comes no later than it."""
REANCHOR_S = 0.1
"""When the capture clock runs this far ahead of the samples received (the microphone lost
audio), the reference jumps forward to match."""


class ReplyReference:
    """A reply's 16 kHz samples placed on the monotonic clock from when playback started."""

    def __init__(self, samples: np.ndarray, started_at: float, rate: int = ENGINE_RATE) -> None:
        self._samples = samples.astype(np.int16, copy=False)
        self._rate = rate
        self.started_at = started_at
        self.played = len(samples)
        """Samples actually played: less once `stop_at` was called."""
        self._position: int | None = None

    @property
    def ends_at(self) -> float:
        """Clock time at which the (possibly stopped) playback ends."""
        return self.started_at + self.played / self._rate

    def stop_at(self, moment: float) -> None:
        """Playback was stopped at clock time `moment`: nothing after it is played."""
        played = round((moment - self.started_at) * self._rate)
        self.played = max(0, min(self.played, played))

    def segment(self, captured_at: float, count: int) -> np.ndarray:
        """The `count` reply samples playing up to clock time `captured_at` + LEAD_S (zeros
        where none).

        The first call places the microphone on the reply's timeline by `captured_at`; the next
        calls continue where the last one ended, as microphone chunks follow each other without
        gaps. (Capture times jitter by tens of milliseconds when the audio server delivers
        blocks in bursts, and an echo canceller loses its hold on a reference that jumps about.)
        Only when the capture clock runs more than REANCHOR_S ahead, as when the microphone
        dropped audio, does the reference jump forward to it."""
        placed = round((captured_at + LEAD_S - self.started_at) * self._rate) - count
        if self._position is None or placed - self._position > REANCHOR_S * self._rate:
            self._position = placed
        start = self._position
        end = self._position = start + count
        out = np.zeros(count, np.int16)
        lo, hi = max(start, 0), min(end, self.played)
        if hi > lo:
            out[lo - start : hi - start] = self._samples[lo:hi]
        return out


@dataclass(frozen=True)
class Cancelled:
    """Microphone audio after echo cancelling, two ways (equal lengths)."""

    suppressed: np.ndarray
    """AEC3's output: the echo cancelled and what is left of it suppressed."""
    linear: np.ndarray | None
    """The microphone minus the linear estimate of the echo (None without a linear filter)."""


class EchoCanceller:
    """WebRTC AEC3 over 16 kHz int16 audio of any length (frames buffered to 10 ms), and beside
    it (with `linear`) a `LinearEchoFilter` that subtracts without suppressing."""

    def __init__(self, linear: bool = True, settings: LinearEchoSettings | None = None) -> None:
        self.linear = LinearEchoFilter(settings) if linear else None
        try:
            import pywebrtc_audio
        except ImportError as err:
            raise EngineUnavailableError(
                missing_extra("echo", "barge-in's echo canceller", err)
            ) from err
        self._aec: Any = pywebrtc_audio.EchoCanceller(ENGINE_RATE, 1, 0)
        self._near = np.zeros(0, np.int16)
        self._far = np.zeros(0, np.int16)

    def cancel(self, near: np.ndarray, far: np.ndarray) -> Cancelled:
        """Both cancelled versions of the microphone audio, for whole 10 ms frames so far."""
        suppressed: list[np.ndarray] = []
        linear: list[np.ndarray] = []
        for near_frame, far_frame in self._frames(near, far):
            cleaned = np.asarray(self._aec.process(near_frame, far_frame), np.int16)
            suppressed.append(cleaned)
            if self.linear is not None:
                linear.append(self.linear.process(near_frame, far_frame))
        if self.linear is None:
            return Cancelled(_joined(suppressed), None)
        return Cancelled(_joined(suppressed), _joined(linear))

    def process(self, near: np.ndarray, far: np.ndarray) -> np.ndarray:
        """AEC3's echo-cancelled microphone audio for whole 10 ms frames so far (the rest
        waits)."""
        frames = self._frames(near, far)
        return _joined([np.asarray(self._aec.process(n, f), np.int16) for n, f in frames])

    def _frames(self, near: np.ndarray, far: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """The whole 10 ms frames of microphone and reference so far (the rest waits)."""
        if len(near) != len(far):
            raise ValueError(f"near and far differ in length: {len(near)} != {len(far)}")
        self._near = np.concatenate([self._near, near.astype(np.int16, copy=False)])
        self._far = np.concatenate([self._far, far.astype(np.int16, copy=False)])
        whole = len(self._near) // FRAME * FRAME
        frames = [
            (self._near[i : i + FRAME], self._far[i : i + FRAME]) for i in range(0, whole, FRAME)
        ]
        self._near, self._far = self._near[whole:], self._far[whole:]
        return frames


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int16) if parts else np.zeros(0, np.int16)


def frame_dbfs(samples: np.ndarray) -> np.ndarray:
    """Level of each whole 10 ms frame of int16 samples, in dB below full scale."""
    frames = samples[: len(samples) // FRAME * FRAME].astype(np.float32).reshape(-1, FRAME)
    rms = np.sqrt(((frames / 32768.0) ** 2).mean(axis=1)) if len(frames) else np.zeros(0)
    return np.asarray(20 * np.log10(np.maximum(rms, 1e-6)))


@dataclass(frozen=True)
class FrameLevels:
    """One 10 ms frame as the detector sees it (dB below full scale)."""

    near_dbfs: float
    """The microphone."""
    cleaned_dbfs: float
    """The microphone after echo cancelling."""
    linear_dbfs: float | None = None
    """The microphone minus the linear echo estimate (None without a linear filter)."""
    linear_usual_db: float = 0.0
    """The residual the linear filter usually leaves, dB against the microphone."""


class InterruptionDetector:
    """Decides, frame by frame, whether the person speaks over the reply."""

    def __init__(self, settings: BargeInSettings) -> None:
        self._settings = settings
        self._window: deque[bool] = deque(maxlen=max(1, round(settings.window_s * 100)))
        self._needed = max(1, round(settings.min_speech_s * 100))
        self._near = np.zeros(0, np.int16)
        self._cleaned = np.zeros(0, np.int16)
        self._linear = np.zeros(0, np.int16)
        self._near_levels: deque[float] = deque()
        """Levels of microphone frames whose echo-cancelled frame has not come yet."""
        self._held = 0
        """Frames still to be ignored (see `hold`)."""
        self.history: list[FrameLevels] = []
        """Every frame decided on since the last reset (an offline evaluation replays them)."""

    def hold(self, seconds: float) -> None:
        """Decide nothing on the next `seconds` of audio."""
        self._window.clear()
        self._held = max(self._held, round(seconds * 100))

    def reset(self) -> None:
        self._window.clear()
        self._held = 0
        self._near = np.zeros(0, np.int16)
        self._cleaned = np.zeros(0, np.int16)
        self._linear = np.zeros(0, np.int16)
        self._near_levels.clear()
        self.history = []

    def feed(
        self,
        near: np.ndarray,
        cleaned: np.ndarray,
        linear: np.ndarray | None = None,
        linear_usual_db: float = 0.0,
    ) -> bool:
        """Add microphone audio and the echo-cancelled audio made of it (which may lag by up
        to a frame), and the linear filter's output (as long as `cleaned`) with the residual it
        usually leaves; True when they complete an interruption."""
        self._near, near_levels = _levels(self._near, near)
        self._near_levels.extend(near_levels)
        self._cleaned, levels = _levels(self._cleaned, cleaned)
        linear_levels: list[float | None] = [None] * len(levels)
        if linear is not None:
            self._linear, found_levels = _levels(self._linear, linear)
            linear_levels = [*found_levels, *linear_levels][: len(levels)]
        found = False
        for level, linear_level in zip(levels, linear_levels, strict=True):
            mic = self._near_levels.popleft() if self._near_levels else level
            frame = FrameLevels(mic, level, linear_level, linear_usual_db)
            found = self.step(frame) or found
        return found

    def step(self, levels: FrameLevels) -> bool:
        """Decide on one frame; True when it completes an interruption."""
        self.history.append(levels)
        if self._held:
            self._held -= 1
            return False
        self._window.append(self.sounds_like_person(levels))
        if sum(self._window) >= self._needed:
            self._window.clear()
            return True
        return False

    def onset_frames(self) -> int:
        """Frames from the estimated start of the person's speech to the latest frame: the
        stretch of frames that may be theirs (`may_be_person`), with pauses up to
        ONSET_GAP_S, that ends with the latest frame (at least 1)."""
        gap_most = round(ONSET_GAP_S * 100)
        start = len(self.history) - 1
        gap = 0
        for index in range(len(self.history) - 2, -1, -1):
            if may_be_person(self.history[index]):
                start, gap = index, 0
                continue
            gap += 1
            if gap > gap_most:
                break
        return max(1, len(self.history) - start)

    def sounds_like_person(self, levels: FrameLevels) -> bool:
        """The frame may be the person: loud enough after cancelling, and mostly not the
        reply's echo (by AEC3, unless `linear_veto_db` and the linear filter say it is; or with
        `linear_margin_db` by the linear filter)."""
        speech = self._settings.speech_dbfs
        if (
            levels.cleaned_dbfs > speech
            and levels.cleaned_dbfs > levels.near_dbfs - self._settings.echo_margin_db
            and not _stands_below(levels, self._settings.linear_veto_db)
        ):
            return True
        margin = self._settings.linear_margin_db
        linear = levels.linear_dbfs
        return (
            margin is not None
            and linear is not None
            and linear > speech
            and linear - levels.near_dbfs > levels.linear_usual_db + margin
        )


def may_be_person(levels: FrameLevels) -> bool:
    """Looser than the detector: the frame may hold the person's speech (see ONSET_DBFS)."""
    if levels.cleaned_dbfs > ONSET_DBFS and (
        levels.cleaned_dbfs > levels.near_dbfs - ONSET_REMOVED_DB
    ):
        return True
    linear = levels.linear_dbfs
    return (
        linear is not None
        and levels.linear_usual_db < ONSET_LINEAR_USUAL_DB
        and linear > ONSET_DBFS
        and linear - levels.near_dbfs > levels.linear_usual_db + ONSET_LINEAR_DB
    )


def _stands_below(levels: FrameLevels, margin: float | None) -> bool:
    """The aligned linear filter's output is not `margin` above the residual it usually
    leaves (False without a margin or an aligned filter's output)."""
    linear = levels.linear_dbfs
    if margin is None or linear is None:
        return False
    return linear - levels.near_dbfs <= levels.linear_usual_db + margin


def _levels(pending: np.ndarray, samples: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Samples left over (less than a frame), and the levels of the whole frames."""
    data = np.concatenate([pending, samples.astype(np.int16, copy=False)])
    levels = frame_dbfs(data)
    return data[len(levels) * FRAME :], [float(level) for level in levels]
