"""A simulated room for barge-in: the agent's reply reaching the microphone as echo, a person
speaking over it, and the real `VoiceLoop` run over the mix on the audio's own clock (no sound
device, no real time). `benchmarks.barge_in_offline` scores many such trials; the tests run a few.

Each trial is one reply reaching the microphone through a simulated room (delay, level, an
exponentially decaying noise impulse response) over a little microphone noise; in an interruption
trial a person's recording starts during the reply. The loop runs in barge-in mode as at the
microphone (echo canceller fed with the reply's reference, interruption detector, pre-roll, the
given recognizer); stopping the reply stops its echo from then on. The canceller has heard one
earlier reply in the same room (a conversation in progress), whose echo came a little earlier or
later against its reference (`DELAY_CHANGE_MS`), as at a real microphone.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from support.fakes import FeedOnlyRecognizer
from support.stats import word_error_rate, words
from voiceshop.audio.echo import (
    FRAME,
    BargeInSettings,
    EchoCanceller,
    FrameLevels,
    InterruptionDetector,
)
from voiceshop.audio.gate import MicGate, TimedChunk
from voiceshop.audio.types import ENGINE_RATE, Chunk
from voiceshop.dialog.conversation import Reply
from voiceshop.intents.model import Intent
from voiceshop.recognizer.base import Recognizer, Transcript
from voiceshop.speaker.base import Speaker, SpeechPlayback
from voiceshop.voice_loop import BargedIn, Heard, LoopEvent, LoopSettings, VoiceLoop

SPLIT_SEED = 18
BLOCK = 480
"""Samples per microphone chunk (30 ms): whole canceller frames, so that each detector frame
falls in one known chunk."""
DELAYS_MS = (20.0, 150.0)
ECHO_DB = (-20.0, -6.0)
"""The reply's level at the microphone relative to the reply as synthesised."""
DELAY_CHANGE_MS = 50.0
"""The echo's delay (against the reply's reference) in the reply before the trial's is up to this
much shorter or longer: at a real microphone each reply is placed on the capture clock anew, and
the placement moves by tens of milliseconds from reply to reply."""
RT60_S = (0.1, 0.4)
PERSON_DB = (-12.0, -3.0)
"""The person's level relative to the fixture (which peaks near full scale)."""
NOISE_DBFS = -65.0
"""The microphone's own noise."""
OUTPUT_LATENCY_S = 0.03
"""Sound already sent to the device when the reply is stopped still plays for this long."""
LISTEN_AFTER_S = 2.0
"""Audio after the person's last sound (for the recognizer's end of utterance)."""


@dataclass(frozen=True)
class Utterance:
    name: str
    text: str
    samples: np.ndarray
    onset: int
    """Samples before the speech starts (see `onset`)."""


@dataclass(frozen=True)
class Room:
    delay_ms: float
    echo_db: float
    rt60_s: float
    seed: int

    def echo(self, reply: np.ndarray) -> np.ndarray:
        """`reply` as the microphone hears it (float samples, delayed and reverberated)."""
        rng = np.random.default_rng(self.seed)
        taps = max(1, round(self.rt60_s * ENGINE_RATE))
        t = np.arange(taps) / ENGINE_RATE
        response = rng.standard_normal(taps) * np.exp(-6.9 * t / self.rt60_s)
        response[0] += 3.0
        response *= 10 ** (self.echo_db / 20) / np.sqrt((response**2).sum())
        delay = np.zeros(round(self.delay_ms * ENGINE_RATE / 1000))
        return np.concatenate([delay, np.convolve(reply.astype(np.float64), response)])

    def heard_before(self) -> Room:
        """The room as the reply before was heard in it: its delay up to DELAY_CHANGE_MS off."""
        change = np.random.default_rng([self.seed, 1]).uniform(-DELAY_CHANGE_MS, DELAY_CHANGE_MS)
        return replace(self, delay_ms=max(0.0, self.delay_ms + float(change)))


@dataclass(frozen=True)
class Trial:
    number: int
    reply: int
    warmup: int
    """The reply the canceller heard before, in the same room."""
    room: Room
    person: Utterance | None
    offset_s: float = 0.0
    """When the person's WAV starts, after the reply started."""
    person_db: float = 0.0
    split: str = "tune"


@dataclass
class Outcome:
    trial: Trial
    stopped_at: int | None = None
    """Sample (from the reply's start) at which the loop stopped the reply."""
    heard: str = ""
    frames: list[FrameLevels] = field(default_factory=list)

    @property
    def onset(self) -> int | None:
        """Sample (from the reply's start) of the person's first sound."""
        person = self.trial.person
        if person is None:
            return None
        return round(self.trial.offset_s * ENGINE_RATE) + person.onset

    @property
    def detected(self) -> bool:
        onset = self.onset
        return onset is not None and self.stopped_at is not None and self.stopped_at >= onset

    @property
    def false_stop(self) -> bool:
        """Stopped with nobody speaking (yet)."""
        onset = self.onset
        return self.stopped_at is not None and (onset is None or self.stopped_at < onset)

    @property
    def understood(self) -> bool:
        person = self.trial.person
        return (
            person is not None
            and self.detected
            and bool(self.heard)
            and word_error_rate(words(person.text), words(self.heard)) <= 0.25
        )

    def understood_request(self, read: Reader) -> bool:
        """Understood, or heard as the same request as said (`same_request`)."""
        person = self.trial.person
        return self.understood or (
            person is not None and self.detected and same_request(person.text, self.heard, read)
        )

    @property
    def stop_ms(self) -> float | None:
        onset = self.onset
        if not self.detected or onset is None or self.stopped_at is None:
            return None
        return (self.stopped_at - onset) * 1000 / ENGINE_RATE


Reader = Callable[[str], Hashable | None]
"""What a text asks for, in a form compared by equality (None: not read as a request)."""


def request(intent: Intent | None) -> Hashable | None:
    """The parts of an intent that decide what the agent does: its name, each item's words,
    count, unit and options, and the product, count, position, person and store it names."""
    if intent is None:
        return None
    items = tuple(
        (item.phrase, item.quantity, item.unit, tuple(sorted(item.options.items())))
        for item in intent.items
    )
    return (
        intent.name,
        items,
        intent.product,
        intent.unit,
        intent.quantity,
        intent.ordinal,
        intent.person,
        intent.store,
    )


def grocery_reader() -> Reader:
    """What the bundled grocery store's intent parser reads a text as (`request`)."""
    import tempfile
    from pathlib import Path

    from voiceshop.dialog.assistant import Assistant
    from voiceshop.storage.database import ShopDatabase

    folder = Path(tempfile.mkdtemp(prefix="barge-in-"))
    parser = Assistant(ShopDatabase(folder / "shop.db"), "bench", "grocery").dialog.parser
    return lambda text: request(parser.parse(text))


def same_request(said: str, heard: str, read: Reader) -> bool:
    """`heard` asks for what `said` asks for, as `read` reads both; False when `said` is not
    read as a request (then only the words can count)."""
    wanted = read(said)
    return wanted is not None and bool(heard) and read(heard) == wanted


def onset(samples: np.ndarray, lead_s: float) -> int:
    """First sample of the speech: the first 10 ms frame from `lead_s` on (the silence or
    noise the fixture was made with before it) within 30 dB of the loudest frame."""
    frames = samples[: len(samples) // FRAME * FRAME].astype(np.float64).reshape(-1, FRAME)
    power = (frames**2).mean(axis=1) + 1e-9
    first = round(lead_s * 100)
    loud = np.flatnonzero(power[first:] > power.max() * 10 ** (-30 / 10))
    return (first + int(loud[0])) * FRAME if len(loud) else first * FRAME


def make_trials(
    people: Sequence[Utterance],
    replies: Sequence[np.ndarray],
    interruptions: int,
    quiet: int,
    seed: int = SPLIT_SEED,
) -> list[Trial]:
    """`interruptions` trials cycling through `people`, and `quiet` replies nobody interrupts;
    rooms, offsets and levels drawn from `seed`. Half the people (by name) and half the quiet
    replies are "tune", the rest "check"."""
    rng = np.random.default_rng(seed)
    names = sorted(p.name for p in people)
    tune_names = set(rng.permutation(names)[: len(names) // 2].tolist())
    quiet_tune = set(rng.permutation(quiet)[: quiet // 2].tolist())
    trials = []
    for number in range(interruptions + quiet):
        reply = int(rng.integers(len(replies)))
        room = Room(
            float(rng.uniform(*DELAYS_MS)),
            float(rng.uniform(*ECHO_DB)),
            float(rng.uniform(*RT60_S)),
            seed * 10_000 + number,
        )
        trial = Trial(number, reply, (reply + 1) % len(replies), room, None)
        if number < interruptions:
            person = people[number % len(people)]
            latest = max(0.3, len(replies[reply]) / ENGINE_RATE - 1.0)
            trial = replace(
                trial,
                person=person,
                offset_s=float(rng.uniform(0.3, latest)),
                person_db=float(rng.uniform(*PERSON_DB)),
                split="tune" if person.name in tune_names else "check",
            )
        else:
            trial = replace(
                trial, split="tune" if number - interruptions in quiet_tune else "check"
            )
        trials.append(trial)
    return trials


class _Playback:
    """A reply 'playing' on the simulated clock."""

    def __init__(self, room: _Simulation, reference: np.ndarray) -> None:
        self._room = room
        self._reference = reference

    @property
    def reference(self) -> np.ndarray:
        return self._reference

    @property
    def started_at(self) -> float | None:
        start = self._room.reply_at
        return None if start is None else start / ENGINE_RATE

    @property
    def underflows(self) -> int:
        return 0

    def done(self) -> bool:
        return self._room.reply_done()

    def stop(self) -> None:
        self._room.stop_reply()

    def close(self) -> None:
        pass


class _Simulation(Speaker):
    """The room: speaks the trial's reply when asked (as the loop's speaker) and makes the
    microphone's chunks from it and the person (as the loop's source)."""

    def __init__(self, trial: Trial, reply: np.ndarray, rng: np.random.Generator) -> None:
        self.trial = trial
        self._reply = reply
        self._echo = trial.room.echo(reply)
        self._rng = rng
        self.position = 0
        self.reply_at: int | None = None
        self.stopped_at: int | None = None
        self._started = False

    def say(self, text: str) -> None:
        """Replies said without barge-in (the loop's answer after an interruption): unheard."""

    def start(self, text: str) -> SpeechPlayback | None:
        if self._started or not text:
            return None
        self._started = True
        self.reply_at = self.position
        return _Playback(self, self._reply)

    def close(self) -> None:
        pass

    def stop_reply(self) -> None:
        assert self.reply_at is not None
        self.stopped_at = self.position - self.reply_at
        played = self.stopped_at + round(OUTPUT_LATENCY_S * ENGINE_RATE)
        self._echo = self.trial.room.echo(self._reply[: max(0, played)])

    def reply_done(self) -> bool:
        if self.stopped_at is not None or self.reply_at is None:
            return self.stopped_at is not None
        return self.position - self.reply_at >= len(self._reply)

    def end(self) -> int:
        """Where the microphone audio ends (from the reply's start)."""
        person = self.trial.person
        if person is None:
            return len(self._echo) + BLOCK
        start = round(self.trial.offset_s * ENGINE_RATE)
        return max(len(self._reply), start + len(person.samples)) + round(
            LISTEN_AFTER_S * ENGINE_RATE
        )

    def chunks(self) -> Iterator[TimedChunk]:
        """Microphone chunks: silence until the reply starts, then echo, person and noise."""
        while self.reply_at is None or self.position - self.reply_at < self.end():
            start = self.position
            block = self._rng.standard_normal(BLOCK) * 32768 * 10 ** (NOISE_DBFS / 20)
            if self.reply_at is not None:
                block += self._slice(self._echo, start - self.reply_at)
                block += self._person(start - self.reply_at)
            self.position += BLOCK
            pcm = np.clip(np.round(block), -32768, 32767).astype(np.int16)
            yield TimedChunk(pcm.tobytes(), captured_at=self.position / ENGINE_RATE)

    def _person(self, at: int) -> np.ndarray:
        person = self.trial.person
        if person is None:
            return np.zeros(BLOCK)
        start = round(self.trial.offset_s * ENGINE_RATE)
        gain = 10 ** (self.trial.person_db / 20)
        return self._slice(person.samples.astype(np.float64) * gain, at - start)

    @staticmethod
    def _slice(signal: np.ndarray, at: int) -> np.ndarray:
        out = np.zeros(BLOCK)
        lo, hi = max(at, 0), min(at + BLOCK, len(signal))
        if hi > lo:
            out[lo - at : hi - at] = signal[lo:hi]
        return out


class Deaf(FeedOnlyRecognizer):
    """Hears nothing (the warm-up reply)."""


def run_trial(
    trial: Trial,
    replies: Sequence[np.ndarray],
    settings: BargeInSettings,
    recognizer: Recognizer,
) -> Outcome:
    """One trial through `VoiceLoop`, after a warm-up reply that trains the canceller (played
    out whatever `settings` would decide on it, so that the trial starts from the same canceller
    for every candidate and replaying its frames stays exact)."""
    canceller = EchoCanceller(settings=settings.linear_echo)
    warm = replace(trial, person=None, reply=trial.warmup, room=trial.room.heard_before())
    _loop(warm, replies[trial.warmup], NEVER, Deaf(), canceller)
    return _loop(trial, replies[trial.reply], settings, recognizer, canceller)


def _loop(
    trial: Trial,
    reply: np.ndarray,
    settings: BargeInSettings,
    recognizer: Recognizer,
    canceller: EchoCanceller,
) -> Outcome:
    simulation = _Simulation(trial, reply, np.random.default_rng(trial.room.seed))
    outcome = Outcome(trial)
    detector = InterruptionDetector(settings)

    def on_event(event: LoopEvent) -> None:
        if isinstance(event, Heard) and event.transcript.text != "trigger":
            outcome.heard = outcome.heard or event.transcript.text
        elif isinstance(event, BargedIn):
            outcome.frames = list(detector.history)

    loop = VoiceLoop(
        simulation.chunks(),
        FirstTurnRecognizer(recognizer),
        OneReply("reply"),
        simulation,
        MicGate(),
        on_event,
        LoopSettings(barge_in=settings),
        canceller=canceller,
        clock=lambda: simulation.position / ENGINE_RATE,
        detector=detector,
    )
    loop.run()
    recognizer.reset()
    outcome.stopped_at = simulation.stopped_at
    if not outcome.frames:
        outcome.frames = list(detector.history)
    return outcome


NEVER = BargeInSettings(enabled=True, speech_dbfs=100.0)
"""Detects nothing: the reply plays out, and the detector's history holds every frame."""


def first_stop(frames: Sequence[FrameLevels], settings: BargeInSettings) -> int | None:
    """Sample (from the reply's start) at which `settings` would stop the reply, replaying
    the frames through a fresh detector: the end of the microphone chunk that completed the
    interruption."""
    detector = InterruptionDetector(settings)
    detector.hold(settings.settle_s)
    for index, levels in enumerate(frames):
        if detector.step(levels):
            return (index * FRAME // BLOCK + 1) * BLOCK
    return None


@dataclass(frozen=True)
class Score:
    detected: int
    interruptions: int
    false_stops: int
    quiet: int
    understood: int = 0
    stop_ms: tuple[float, ...] = ()
    understood_request: int | None = None
    """Interruptions understood or heard as the same request (None: not scored)."""

    @property
    def false_per_50(self) -> float:
        return self.false_stops * 50 / max(1, self.quiet)

    def row(self, name: str, heard: bool = True) -> str:
        n = max(1, self.interruptions)
        stops = sorted(self.stop_ms)
        median = f"{statistics.median(stops):.0f}" if stops else "-"
        p90 = f"{stops[min(len(stops) - 1, int(0.9 * len(stops)))]:.0f}" if stops else "-"
        understood = f"{self.understood}/{n} ({100 * self.understood / n:.0f} %)" if heard else "-"
        same = self.understood_request
        request = f"{same}/{n} ({100 * same / n:.0f} %)" if heard and same is not None else "-"
        return (
            f"| {name} | {self.detected}/{n} ({100 * self.detected / n:.0f} %) | {understood} "
            f"| {request} "
            f"| {self.false_stops} in {self.quiet} ({self.false_per_50:.1f}) "
            f"| {median} / {p90} |"
        )


def score(outcomes: Sequence[Outcome], read: Reader | None = None) -> Score:
    """The outcomes counted; with `read`, also the interruptions heard as the same request."""
    interrupted = [o for o in outcomes if o.trial.person is not None]
    quiet = [o for o in outcomes if o.trial.person is None]
    same = None if read is None else sum(o.understood_request(read) for o in interrupted)
    return Score(
        detected=sum(o.detected for o in interrupted),
        interruptions=len(interrupted),
        false_stops=sum(o.false_stop for o in outcomes),
        quiet=len(quiet),
        understood=sum(o.understood for o in interrupted),
        stop_ms=tuple(o.stop_ms for o in interrupted if o.stop_ms is not None),
        understood_request=same,
    )


def replayed(outcomes: Sequence[Outcome], settings: BargeInSettings) -> list[Outcome]:
    """The outcomes' stops as `settings` would have decided them (nothing heard)."""
    return [Outcome(o.trial, first_stop(o.frames, settings), "", o.frames) for o in outcomes]


class FirstTurnRecognizer(Recognizer):
    """Answers the first chunk with a fixed transcript (so the agent replies at once), then is
    the real recognizer."""

    def __init__(self, real: Recognizer) -> None:
        self._real = real
        self._triggered = False

    def feed(self, chunk: Chunk) -> Transcript | None:
        if not self._triggered:
            self._triggered = True
            return Transcript("trigger", confidence=1.0)
        return self._real.feed(chunk)

    def partial(self) -> str:
        return self._real.partial() if self._triggered else ""

    def flush(self) -> Transcript | None:
        return self._real.flush()

    def reset(self) -> None:
        self._real.reset()


class OneReply:
    """Says `reply` to the trigger; ends the conversation on whatever is heard next."""

    def __init__(self, reply: str) -> None:
        self._reply = reply
        self.heard: list[str] = []

    def respond(self, text: str, confidence: float) -> Reply:
        if text == "trigger":
            return Reply(self._reply)
        self.heard.append(text)
        return Reply("", end_conversation=True)
