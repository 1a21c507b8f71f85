"""Recognition work while the person speaks: partial transcripts, and the final one early.

Whisper reads whole utterances, so a recognizer built on it would have nothing to show until the
endpoint, and would only then start its final reading. `LookaheadTranscriber` drives the
`Endpointer` one 32 ms frame at a time and uses the time the person is speaking or pausing:

- Drafts: after every `draft_every_seconds` of utterance, on a speech frame, a cheap greedy
  reading of the utterance so far becomes `partial()`. Nothing final depends on drafts, and none
  is started in a pause, where the final reading is due.
- Lookahead: once the speech has paused for `lookahead_silence_seconds`, the utterance so far
  gets its final reading, its pause made up to the endpointer's trailing silence by repeating
  the pause heard so far: Whisper reads some endings differently after a shorter pause
  ("wherever it is cheaper." for "Where is it cheaper?") and some words differently before
  digital silence than before the room's own sound ("a double shot milk" for "a double shot
  mocha"). When the pause lasts until the endpoint, that reading is the utterance's transcript,
  so nothing is left to decode when the endpoint is decided; when speech resumes, it is
  dropped.
- Early end: when the lookahead's text already is a request (`check_request`), the utterance
  ends before the endpointer's trailing silence: a closed request ("yes", "check out") once the
  pause has lasted `closed_silence_seconds`, an open one, which names products and may go on
  ("add a dozen eggs ... and milk"), after `open_silence_seconds`, and one whose product's
  options may follow ("an espresso ... with a bit of whole milk") after
  `options_silence_seconds`. "Add two ...
  apples" stays one utterance: "add two" is unfinished, so the pause after it gets the whole
  trailing silence.
- Pause habit: a person who pauses inside requests gets the time they take. An open request
  waits `habit_margin_seconds` longer than the longest pause inside the person's last
  `habit_utterances` utterances (never longer than the endpointer's trailing silence), so
  after "add two ... apples" with a 0.6 s pause, the next "a dozen eggs ... and milk" is not
  cut at 0.35 s.

Decoding is synchronous: audio that arrives meanwhile waits in the source's queue (the
microphone's buffer) and is caught up on at once, as the detector needs ~0.1 ms per frame. So
drafts and final readings never compete for the CPU, and every decision is made on audio alone:
the same stream gives the same transcripts however fast it is fed.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from voiceshop.audio.types import ENGINE_FORMAT, Chunk
from voiceshop.recognizer.base import Transcript
from voiceshop.recognizer.endpoint import Endpointer, EndReason, Utterance
from voiceshop.rescoring.protocol import Request, RequestCheck

if TYPE_CHECKING:
    from voiceshop.recognizer import RecognizerSettings


UtteranceReader = Callable[[Utterance], Transcript]
"""The final reading of an utterance."""
DraftReader = Callable[[bytes], str]
"""A quick reading of the engine-format audio of an utterance so far."""


@dataclass(frozen=True)
class InterimSettings:
    """What the recognizer does before the endpoint."""

    draft_every_seconds: float | None = 0.8
    """Utterance audio between two drafts for `partial()`; None: no drafts.
    Not tuned: a guess; no figures quoted."""
    draft_window_seconds: float = 8.0
    """Decoder window of the drafts; longer utterances are drafted in several windows.
    Not tuned: a guess; no figures quoted."""
    lookahead_silence_seconds: float = 0.1
    """Pause after which the utterance so far gets its final reading, ahead of the endpoint.
    Not tuned: a guess; no figures quoted."""
    closed_silence_seconds: float = 0.3
    """Pause that ends an utterance whose lookahead reading is a closed request.
    Not tuned: a guess; no figures quoted."""
    open_silence_seconds: float = 0.35
    """Pause that ends an utterance whose lookahead reading is an open request, for a person
    not (yet) known to pause longer inside requests.
    Tuned on: the turn benchmarks (demo turns, coffee-dev before the split, paused requests)."""
    options_silence_seconds: float = 0.5
    """The same when options may follow: longer than the pauses people make before them.
    Tuned on: pauses in coffee-dev, all 124 recordings, before the tune/check split, and the turn
    benchmarks."""
    habit_margin_seconds: float = 0.15
    """How much longer than the person's longest recent pause inside a request an open request
    waits.
    Tuned on: the turn benchmarks (demo turns, coffee-dev before the split, paused requests)."""
    habit_utterances: int = 5
    """Recent utterances whose inner pauses make the person's pause habit.
    Tuned on: the turn benchmarks (demo turns, coffee-dev before the split, paused requests)."""


class _HasText(Protocol):
    @property
    def text(self) -> str: ...


class WindowReader(Protocol):
    """A decoder that reads audio (float samples at 16 kHz) in windows."""

    def decode(self, audio: np.ndarray) -> Sequence[_HasText]: ...


def draft_settings(settings: RecognizerSettings) -> RecognizerSettings:
    """The settings of a draft decoder: greedy, in windows of `draft_window_seconds` (a window
    decoder's window is as long as the longest utterance it expects)."""
    interim = settings.interim
    return replace(
        settings,
        whisper=replace(settings.whisper, beam_size=1),
        endpoint=replace(settings.endpoint, max_utterance_seconds=interim.draft_window_seconds),
    )


def draft_reader(decoder: WindowReader) -> DraftReader:
    """A DraftReader that joins the texts of `decoder`'s windows."""

    def read(pcm: bytes) -> str:
        audio = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
        return " ".join(window.text for window in decoder.decode(audio) if window.text)

    return read


@dataclass(frozen=True)
class _Lookahead:
    """The final reading of the utterance up to a pause that is still going on."""

    transcript: Transcript
    ends_after: float
    """The pause that ends the utterance with this reading (infinite: the endpointer's)."""


class LookaheadTranscriber:
    """Utterances from a stream, with drafts while they are spoken and their transcripts read
    in the pause that ends them (see the module docstring)."""

    # The utterance in progress (set by `reset`):
    _lookahead: _Lookahead | None
    """The reading done in the current pause, if any."""
    _partial: str
    """The latest draft reading."""
    _drafted_at: float
    """Seconds into the utterance of the latest draft."""

    def __init__(
        self,
        endpointer: Endpointer,
        read: UtteranceReader,
        draft: DraftReader | None,
        settings: InterimSettings,
        check_request: RequestCheck | None = None,
    ) -> None:
        self._endpointer = endpointer
        self._read = read
        self._draft = draft
        self._settings = settings
        self._check_request = check_request
        self.ended_at = 0.0
        """`time.monotonic()` when the end of the latest utterance was decided."""
        self._inner_pauses: deque[float] = deque(maxlen=settings.habit_utterances)
        """The longest pause inside each recent utterance (seconds): the person's habit."""
        self._longest_pause = 0.0
        """The longest pause inside the utterance so far (seconds)."""
        self._pause = 0.0
        """The pause going on (seconds; 0 while speaking)."""
        self.reset()

    def feed(self, chunk: Chunk) -> list[Transcript]:
        """Accept audio; the transcripts of the utterances that ended within it."""
        transcripts = []
        for ended in self._endpointer.frames(chunk):
            transcript = self._finish(ended) if ended else self._between_frames()
            if transcript is not None:
                transcripts.append(transcript)
        return transcripts

    def partial(self) -> str:
        """The latest reading of the utterance in progress ("" before the first)."""
        return self._partial

    def flush(self) -> Transcript | None:
        """End of stream: the transcript of the utterance in progress, if there is one."""
        lookahead = self._lookahead
        utterance = self._endpointer.flush()
        self._forget_utterance()
        if utterance is None:
            return None
        self.ended_at = time.monotonic()
        return lookahead.transcript if lookahead else self._read(utterance)

    def reset(self) -> None:
        """Drop the utterance in progress and its readings."""
        self._endpointer.reset()
        self._forget_utterance()

    def forget_habit(self) -> None:
        """Forget the person's pauses: the next open request ends after the default pause."""
        self._inner_pauses.clear()
        self._longest_pause = 0.0

    def _between_frames(self) -> Transcript | None:
        """Drafts, lookahead and early end, after a frame that ended no utterance."""
        endpointer = self._endpointer
        if not endpointer.in_utterance:
            return None
        pause = endpointer.silence_seconds
        if pause == 0:
            self._longest_pause = max(self._longest_pause, self._pause)
            self._pause = 0.0
            self._lookahead = None
            self._draft_if_due()
            return None
        self._pause = pause
        if self._lookahead is None and pause >= self._settings.lookahead_silence_seconds:
            self._lookahead = self._look_ahead()
        if self._lookahead is not None and pause >= self._lookahead.ends_after:
            return self._end_early(self._lookahead.transcript)
        return None

    def _draft_if_due(self) -> None:
        every = self._settings.draft_every_seconds
        seconds = self._endpointer.utterance_seconds
        if self._draft is not None and every is not None and seconds - self._drafted_at >= every:
            self._drafted_at = seconds
            self._partial = self._draft(self._endpointer.utterance_pcm()) or self._partial

    def _look_ahead(self) -> _Lookahead:
        """The final reading of the utterance so far, its pause made up to the trailing silence
        with more of the same pause."""
        endpointer = self._endpointer
        pcm = endpointer.utterance_pcm()
        pause = pcm[len(pcm) - _bytes(endpointer.silence_seconds) :]
        padding = _repeated(pause, _bytes(endpointer.silence_left_seconds))
        transcript = self._read(Utterance(pcm + padding, EndReason.EARLY))
        self._partial = transcript.text or self._partial
        return _Lookahead(transcript, self._pause_to_end(transcript.text))

    def _pause_to_end(self, text: str) -> float:
        """How long a pause ends an utterance read as `text`."""
        request = self._check_request(text) if self._check_request and text else None
        if request is Request.CLOSED:
            return self._settings.closed_silence_seconds
        if request is Request.OPEN:
            return self._open_pause(self._settings.open_silence_seconds)
        if request is Request.OPTIONS_MAY_FOLLOW:
            return self._open_pause(self._settings.options_silence_seconds)
        return math.inf

    def _open_pause(self, default: float) -> float:
        """The pause that ends an open request: the default, or longer for a person who pauses
        longer inside requests (infinite: as long as the endpointer's trailing silence)."""
        habit = max([self._longest_pause, *self._inner_pauses])
        pause = max(default, habit + self._settings.habit_margin_seconds)
        return pause if pause < self._endpointer.settings.trailing_silence_seconds else math.inf

    def _end_early(self, transcript: Transcript) -> Transcript:
        self._endpointer.end_utterance()
        self.ended_at = time.monotonic()
        self._forget_utterance()
        return transcript

    def _finish(self, utterance: Utterance) -> Transcript:
        """The transcript of an utterance the endpointer ended."""
        self.ended_at = time.monotonic()
        lookahead = self._lookahead if utterance.reason is EndReason.SILENCE else None
        self._forget_utterance()
        return lookahead.transcript if lookahead else self._read(utterance)

    def _forget_utterance(self) -> None:
        if self._longest_pause > 0:
            self._inner_pauses.append(self._longest_pause)
        self._longest_pause = self._pause = 0.0
        self._lookahead = None
        self._partial = ""
        self._drafted_at = 0.0


def _bytes(seconds: float) -> int:
    """The length of `seconds` of engine-format audio, in whole samples (0 for less)."""
    return max(0, round(seconds * ENGINE_FORMAT.rate)) * ENGINE_FORMAT.width


def _repeated(pcm: bytes, length: int) -> bytes:
    """`pcm` over and over, cut to `length` bytes (digital silence when `pcm` is empty)."""
    if not pcm:
        return bytes(length)
    return (pcm * (length // len(pcm) + 1))[:length]
