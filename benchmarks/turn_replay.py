"""Replaying turns through the voice loop, at the pace of a microphone, with every stage timed.

A `Pipeline` is what answers: a recognizer per store, a speaker, and how a shopper's
conversation is opened. `replay` feeds each turn's audio in 0.1 s chunks, each released when
its last sample would have been captured (`paced=True`; otherwise as fast as the loop takes
them), and stops feeding once the reply is out. All times are `time.monotonic()`:

    speech end    the source's start + the turn's speech_end_s
    endpoint      the recognizer decided that the utterance ended (its `ended_at`)
    transcript    the loop reported the final transcript (Heard)
    reply         the loop reported the reply text, just before speaking it (Said)
    first audio   the speaker's first audio went to its player (`first_audio_at`)

The speakers play into `FirstSoundPlayer`: it notes when the first sentence's samples are
handed to it, the moment a sound card would start playing them, and plays nothing.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from benchmarks.turn_material import Turn
from voiceshop.audio.gate import GateSettings, MicGate
from voiceshop.audio.microphone import MicSettings
from voiceshop.audio.types import ENGINE_FORMAT, Chunk
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.state import ConfirmingHeard
from voiceshop.recognizer.base import Recognizer, Transcript
from voiceshop.speaker.playback import Sound
from voiceshop.speaker.pyttsx3_speaker import Pyttsx3Speaker
from voiceshop.storage.database import ShopDatabase
from voiceshop.voice_loop import Heard, LoopEvent, Partial, Said, VoiceLoop

CHUNK_S = MicSettings().block_s
"""Seconds per chunk, as the microphone delivers them."""


@dataclass
class Pipeline:
    """One way of answering turns: its recognizers, its speaker, its name."""

    name: str
    recognizers: dict[str, Recognizer]
    """By store id."""
    speaker: Pyttsx3Speaker
    ended_at: Callable[[Recognizer], float]
    """When a recognizer of this pipeline decided its latest utterance had ended."""


@dataclass
class TurnResult:
    """What one turn gave, and when."""

    turn: Turn
    speech_end: float = 0.0
    endpoint: float = 0.0
    heard: list[tuple[float, Transcript]] = field(default_factory=list)
    said: list[tuple[float, str]] = field(default_factory=list)
    first_audio: float | None = None
    partials: int = 0
    """Partial transcripts the loop reported."""
    recognizer_seconds: float = 0.0
    """Time spent inside the recognizer's feed and flush."""
    audio_seconds: float = 0.0
    """Audio fed to it."""
    cart: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    """(product id, options) per cart line after the turn."""

    @property
    def transcript(self) -> str:
        return " ".join(transcript.text for _, transcript in self.heard)

    def stages(self) -> dict[str, float] | None:
        """Seconds of each stage of the first reply (None when the turn got no reply)."""
        if not self.heard or not self.said or self.first_audio is None:
            return None
        heard, said = self.heard[0][0], self.said[0][0]
        return {
            "speech end → endpoint": self.endpoint - self.speech_end,
            "endpoint → transcript": heard - self.endpoint,
            "transcript → reply text": said - heard,
            "reply text → first audio": self.first_audio - said,
            "speech end → first audio": self.first_audio - self.speech_end,
        }


class FirstSoundPlayer:
    """A player without a device: notes when the first sound was handed over, plays nothing."""

    def play(self, sounds: Iterable[Sound]) -> float | None:
        started = None
        for _sound in sounds:
            started = started or time.monotonic()
        return started


class TimedRecognizer(Recognizer):
    """A recognizer whose work is timed: `busy_seconds` inside feed and flush."""

    def __init__(self, inner: Recognizer) -> None:
        self.inner = inner
        self.busy_seconds = 0.0
        self.audio_seconds = 0.0

    def feed(self, chunk: Chunk) -> Transcript | None:
        started = time.monotonic()
        try:
            return self.inner.feed(chunk)
        finally:
            self.busy_seconds += time.monotonic() - started
            self.audio_seconds += chunk.seconds

    def partial(self) -> str:
        return self.inner.partial()

    def flush(self) -> Transcript | None:
        started = time.monotonic()
        try:
            return self.inner.flush()
        finally:
            self.busy_seconds += time.monotonic() - started

    def reset(self) -> None:
        self.inner.reset()


class PacedSource:
    """A turn's audio in chunks, released at a microphone's pace or at once; stops on request."""

    def __init__(self, pcm: bytes, paced: bool) -> None:
        self._pcm = pcm
        self._paced = paced
        self.started_at = 0.0
        self.stopped = False

    def __iter__(self) -> Iterator[Chunk]:
        step = round(CHUNK_S * ENGINE_FORMAT.rate) * ENGINE_FORMAT.width
        self.started_at = time.monotonic()
        for index, start in enumerate(range(0, len(self._pcm), step)):
            if self.stopped:
                return
            if self._paced:
                _sleep_until(self.started_at + (index + 1) * CHUNK_S)
            yield Chunk(self._pcm[start : start + step])


def replay(
    pipeline: Pipeline, turns: Sequence[Turn], db: ShopDatabase, paced: bool
) -> list[TurnResult]:
    """Each turn through the voice loop, a conversation's turns with one shopper."""
    shoppers = itertools.count(1)
    assistants: dict[str, Assistant] = {}
    results = []
    for turn in turns:
        key = turn.conversation or f"shopper {next(shoppers)}"
        if key not in assistants:
            assistants[key] = Assistant(db, f"{pipeline.name} {key}", turn.store)
            pipeline.recognizers[turn.store].new_speaker()
        results.append(_replay_turn(pipeline, turn, assistants[key], paced))
    return results


def _replay_turn(pipeline: Pipeline, turn: Turn, assistant: Assistant, paced: bool) -> TurnResult:
    result = TurnResult(turn)
    source = PacedSource(turn.pcm, paced)
    inner = pipeline.recognizers[turn.store]
    recognizer = TimedRecognizer(inner)
    recognizer.reset()

    def on_event(event: LoopEvent) -> None:
        now = time.monotonic()
        if isinstance(event, Partial):
            result.partials += 1
        elif isinstance(event, Heard):
            result.heard.append((now, event.transcript))
            result.endpoint = result.endpoint or pipeline.ended_at(inner)
        elif isinstance(event, Said):
            result.said.append((now, event.reply.text))
            source.stopped = True

    pipeline.speaker.first_audio_at = None
    gate = MicGate(GateSettings(tail_s=0.0))
    VoiceLoop(source, recognizer, assistant, pipeline.speaker, gate, on_event).run()
    result.speech_end = source.started_at + turn.speech_end_s
    result.first_audio = pipeline.speaker.first_audio_at
    result.recognizer_seconds = recognizer.busy_seconds
    result.audio_seconds = recognizer.audio_seconds
    if isinstance(assistant.dialog.state.pending, ConfirmingHeard):
        assistant.respond("yes")  # the agent asked "Did you say ...?"
    result.cart = [(line.product_id, dict(line.options)) for line in assistant.dialog.cart]
    return result


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
