"""The voice loop: audio in, spoken replies out. One code path for the microphone and WAV replay.

    chunks -> MicGate -> Recognizer.feed -> final Transcript -> Conversation.respond
           -> Speaker.say inside MicGate.speaking() -> Recognizer.reset()

With barge-in (`LoopSettings.barge_in.enabled`), the gate is not used: every chunk goes through
an echo canceller fed with the reply being played (`Speaker.start`), and while a reply plays the
loop keeps reading the microphone; when the person speaks over it (`InterruptionDetector`) the
reply is stopped at once and what they say (from a short pre-roll on) goes to the recognizer.
A stop word said over a reply ("stop", "cancel") only stops it.

The loop reports what happens through `on_event` (partial and final transcripts, replies, errors)
so a front end can show them. A failing turn is answered with an apology and the loop goes on; it
stops on a goodbye, at the end of the source (after flushing the recognizer), or on Ctrl+C.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import partial
from pathlib import Path

import numpy as np

from voiceshop.audio.echo import (
    ONSET_MARGIN_S,
    BargeInSettings,
    EchoCanceller,
    InterruptionDetector,
    ReplyReference,
)
from voiceshop.audio.gate import GateSettings, MicGate, TimedChunk
from voiceshop.audio.listening import Level, ListenState, LiveStatus, StateChanged, StatusHandler
from voiceshop.audio.types import ENGINE_FORMAT, Chunk
from voiceshop.audio.wav import MAX_UTTERANCE_SECONDS, wav_chunks
from voiceshop.dialog.conversation import Conversation, Reply
from voiceshop.dialog.purchase import MASK
from voiceshop.errors import AudioInputError
from voiceshop.recognizer.base import Recognizer, Transcript
from voiceshop.speaker.base import Speaker, SpeechPlayback

_LOGGER = logging.getLogger(__name__)

UNKNOWN_WORD = "[unk]"
"""Vosk's token for a word outside its grammar."""
_LEVEL_FRAME_S = 0.02
"""Frame length for measuring whether audio held speech."""
_RATE = ENGINE_FORMAT.rate


@dataclass(frozen=True)
class Partial:
    """The recognizer's text so far in the current utterance."""

    text: str


@dataclass(frozen=True)
class Heard:
    """A finished utterance with words in it (unknown-word tokens removed)."""

    transcript: Transcript


@dataclass(frozen=True)
class Said:
    """A reply, reported just before it is spoken."""

    reply: Reply


@dataclass(frozen=True)
class Error:
    """Something failed during a turn; the loop carried on."""

    message: str


@dataclass(frozen=True)
class BargedIn:
    """The person spoke over the reply, and it was stopped."""

    stopped_at: float
    """The loop's clock (`time.monotonic()` unless given) when the reply was stopped."""


LoopEvent = Partial | Heard | Said | Error | BargedIn
EventHandler = Callable[[LoopEvent], None]


@dataclass(frozen=True)
class Turn:
    """One answered utterance, for a recorder: its audio, what was heard, the reply, timings."""

    audio: bytes
    """The utterance's engine-format PCM (16 kHz mono int16): the audio fed to the recognizer
    since the previous turn (at most `LoopSettings.kept_audio_s`); empty when `secret`."""
    transcript: Transcript
    """What the recognizer heard (when `secret`: its text masked, its alternatives dropped)."""
    reply: Reply
    secret: bool = False
    """The utterance answered a question for a secret: its words and audio are withheld."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds: `audio` (utterance length), `read` (the recognizer's reading), `respond` (the
    conversation), `speak` (saying the reply), and for live audio `heard_to_reply` (from the
    capture of the utterance's last chunk to the reply being ready)."""


TurnHandler = Callable[[Turn], None]


class StopReason(StrEnum):
    """Why `VoiceLoop.run` returned."""

    GOODBYE = "goodbye"
    """The conversation ended (Reply.end_conversation)."""
    SOURCE_ENDED = "source ended"
    """The audio ran out (end of file, or the microphone was stopped)."""
    INTERRUPTED = "interrupted"
    """Ctrl+C."""
    RECOGNIZER_FAILED = "recognizer failed"
    """The recognizer raised on `LoopSettings.recognizer_failures` chunks in a row."""


@dataclass(frozen=True)
class LoopSettings:
    """What the loop says on its own account, and when it thinks it heard speech."""

    not_heard_reply: str = "Sorry, I didn't catch that."
    """Answer to an utterance that held speech but no recognisable words."""
    failure_reply: str = "Sorry, something went wrong on my side. Please say that again."
    """Answer when the conversation raised an error."""
    speech_dbfs: float = -40.0
    """Level (dB below full scale, over 20 ms) above which audio counts as possible speech."""
    min_speech_s: float = 0.2
    """Seconds above `speech_dbfs` an utterance needs before an empty transcript gets
    `not_heard_reply`; with less, it was noise and is ignored."""
    recognizer_failures: int = 5
    """Failures of the recognizer in a row (without a chunk read well between them) after which
    the loop gives up; each streak is apologised for once."""
    kept_audio_s: float = 35.0
    """With a turn handler: the most audio kept for one turn (the recognizer ends an utterance
    by 30 s; older audio of a long silence is dropped)."""
    barge_in: BargeInSettings = field(default_factory=BargeInSettings)
    """Half-duplex (the default) or barge-in while the agent speaks."""


@dataclass(frozen=True)
class _Cleaned(Chunk):
    """Audio that already went through the echo canceller (the pre-roll of a barge-in)."""


@dataclass(frozen=True)
class _Cancelled:
    """One microphone chunk after echo cancelling."""

    heard: _Cleaned
    """What the recognizer hears (see `BargeInSettings.linear_for_recognizer`)."""
    suppressed: np.ndarray
    """AEC3's output (echo cancelled and suppressed), which the detector judges."""
    linear: np.ndarray | None
    """The linear filter's output (None without one)."""


def _ignore(_event: LoopEvent) -> None:
    """The default event handler."""


def _ignore_status(_status: LiveStatus) -> None:
    """The default status handler."""


class VoiceLoop:
    """Runs the conversation over one audio source until goodbye, its end, or Ctrl+C."""

    def __init__(
        self,
        source: Iterable[Chunk],
        recognizer: Recognizer,
        conversation: Conversation,
        speaker: Speaker,
        gate: MicGate,
        on_event: EventHandler = _ignore,
        settings: LoopSettings | None = None,
        on_turn: TurnHandler | None = None,
        secret: bool = False,
        on_status: StatusHandler = _ignore_status,
        canceller: EchoCanceller | None = None,
        clock: Callable[[], float] = time.monotonic,
        detector: InterruptionDetector | None = None,
    ) -> None:
        """`on_turn`, if given, gets a Turn for every utterance answered (after the reply was
        spoken): the audio is kept only then. `secret`: the conversation's last reply (before
        this loop) asked for a secret, so what is heard first is shown masked; `VoiceLoop.secret`
        says it after `run`. `canceller`: the echo canceller for barge-in (one that has already
        heard the room cancels the echo from the first reply on). `clock`: the time on which chunks
        are captured and replies start (an offline evaluation runs on the audio's own);
        `detector`: the interruption detector (given, its history can be read after a reply)."""
        self._source = source
        self._recognizer = recognizer
        self._conversation = conversation
        self._speaker = speaker
        self._gate = gate
        self._emit = on_event
        self._status = on_status
        self._clock = clock
        self._settings = settings or LoopSettings()
        self._speech_s = 0.0
        self._last_partial = ""
        self._secret = secret
        """The last reply asked for a secret: what is heard now is shown masked."""
        self._on_turn = on_turn
        self._failures = 0
        """The recognizer's failures since it last read a chunk."""
        self._audio: deque[bytes] = deque()
        self._audio_bytes = 0
        self._last_captured_at: float | None = None
        self._barge_in = self._settings.barge_in
        self._canceller = None
        if self._barge_in.enabled:
            linear = self._barge_in.linear_for_recognizer
            self._canceller = canceller or EchoCanceller(linear, self._barge_in.linear_echo)
        self._detector = detector or InterruptionDetector(self._barge_in)
        self._reference: ReplyReference | None = None
        """The latest reply, for the echo canceller."""
        self._pushed: deque[Chunk] = deque()
        """Audio to hear before the source's next chunk (a barge-in's pre-roll)."""
        self._chunks: Iterator[Chunk] = iter(())
        self._barged_in = False
        """The utterance being heard began over a reply."""
        self._heard_speech = False

    @property
    def secret(self) -> bool:
        """The last reply asked for a secret (the purchase code): what comes next is masked."""
        return self._secret

    def run(self) -> StopReason:
        """Listen and answer until goodbye, the end of the source, or Ctrl+C."""
        self._chunks = iter(self._source)
        self._set_state(ListenState.LISTENING)
        try:
            for chunk in self._all_chunks():
                transcript = self._recognized(partial(self._hear, chunk))
                if self._failures >= self._settings.recognizer_failures:
                    return self._give_up()
                if transcript is not None and self._answer(transcript):
                    return StopReason.GOODBYE
            transcript = self._recognized(self._recognizer.flush)
            if transcript is not None and self._answer(transcript):
                return StopReason.GOODBYE
        except KeyboardInterrupt:
            _LOGGER.info("Interrupted: stopping the voice loop")
            return StopReason.INTERRUPTED
        return StopReason.SOURCE_ENDED

    def _all_chunks(self) -> Iterator[Chunk]:
        """Pushed-back audio first, then the source's."""
        while True:
            while self._pushed:
                yield self._pushed.popleft()
            chunk = next(self._chunks, None)
            if chunk is None:
                return
            yield chunk

    def _set_state(self, state: ListenState) -> None:
        self._status(StateChanged(state))

    def _recognized(self, step: Callable[[], Transcript | None]) -> Transcript | None:
        """`step()`'s transcript; if the recognizer raises, the utterance is dropped, the
        recognizer reset, and the first failure of a streak reported and apologised for (a
        question for a secret stays asked)."""
        try:
            transcript = step()
        except Exception as err:
            self._failures += 1
            _LOGGER.exception("The recognizer failed (%d in a row)", self._failures)
            self._speech_s = 0.0
            self._last_partial = ""
            self._forget_audio()
            self._reset_recognizer()
            if self._failures == 1:
                self._emit(Error(f"could not recognize the speech: {err}"))
                self._speak(Reply(self._settings.failure_reply, secret_answer=self._secret))
            return None
        self._failures = 0
        return transcript

    def _reset_recognizer(self) -> None:
        try:
            self._recognizer.reset()
        except Exception:
            _LOGGER.exception("The recognizer failed to reset")

    def _give_up(self) -> StopReason:
        self._emit(
            Error(
                f"speech recognition failed {self._failures} times in a row; stopping. "
                "Run `voiceshop doctor` to check the speech model"
            )
        )
        return StopReason.RECOGNIZER_FAILED

    def _hear(self, chunk: Chunk) -> Transcript | None:
        """Gate and feed one chunk; the Transcript if it ended an utterance."""
        if not isinstance(chunk, _Cleaned):
            # with barge-in the gate still mutes what `say` played (a speaker that could not
            # start a stoppable reply) and earcons
            chunk = self._gate.filter(chunk)
            if self._canceller is not None:
                chunk = self._cancel_echo(chunk).heard
        self._speech_s += _seconds_above(chunk, self._settings.speech_dbfs)
        self._status(Level(_dbfs(chunk)))
        if not self._heard_speech and self._speech_s >= self._settings.min_speech_s:
            self._heard_speech = True
            self._set_state(ListenState.HEARD)
        if self._on_turn is not None:
            self._keep(chunk)
        transcript = self._recognizer.feed(chunk)
        if transcript is None:
            self._report_partial()
        return transcript

    def _keep(self, chunk: Chunk) -> None:
        """Keep the chunk's audio for the turn, dropping the oldest beyond `kept_audio_s`."""
        if isinstance(chunk, TimedChunk):
            self._last_captured_at = chunk.captured_at
        if chunk.fmt != ENGINE_FORMAT:
            return
        self._audio.append(chunk.pcm)
        self._audio_bytes += len(chunk.pcm)
        most = int(self._settings.kept_audio_s * ENGINE_FORMAT.bytes_per_second)
        while self._audio_bytes > most and len(self._audio) > 1:
            self._audio_bytes -= len(self._audio.popleft())

    def _report_partial(self) -> None:
        text = self._recognizer.partial()
        if text and text != self._last_partial:
            self._emit(Partial(self._shown(text)))
        self._last_partial = text

    def _answer(self, transcript: Transcript) -> bool:
        """Reply to a finished utterance; True when the conversation has ended."""
        speech_s, self._speech_s = self._speech_s, 0.0
        self._heard_speech = False
        barged_in, self._barged_in = self._barged_in, False
        had_speech = speech_s >= self._settings.min_speech_s
        self._last_partial = ""
        text = _words(transcript.text)
        shown = replace(transcript, text=self._shown(text))
        _LOGGER.debug(
            "recognizer: utterance of %.2f s read in %.3f s as %r (confidence %.2f)",
            transcript.audio_seconds,
            transcript.read_seconds,
            shown.text,
            transcript.confidence,
        )
        started = time.perf_counter()
        if text and barged_in and _normal(text) in self._barge_in.stop_words:
            self._emit(Heard(shown))
            _LOGGER.debug("loop: %r said over the reply: it only stopped the reply", shown.text)
            self._forget_audio()
            self._set_state(ListenState.LISTENING)
            return False
        if text:
            self._emit(Heard(shown))
            self._set_state(ListenState.THINKING)
            reply = self._respond(text, transcript.confidence)
        elif had_speech:
            _LOGGER.debug("loop: %.2f s of speech but no words: not heard", speech_s)
            reply = Reply(self._settings.not_heard_reply)
        else:
            least = self._settings.min_speech_s
            _LOGGER.debug("loop: no words and under %.2f s of speech: ignored as noise", least)
            self._forget_audio()
            return False
        responded = time.perf_counter()
        _LOGGER.debug("conversation: answered in %.3f s: %r", responded - started, reply.text)
        heard_to_reply = self._clock() - self._last_captured_at if self._last_captured_at else None
        secret = self._secret
        try:
            self._speak(reply)
        finally:  # Ctrl+C while the reply is said: the turn is still reported
            spoken = time.perf_counter() - responded
            _LOGGER.debug("speaker: said the reply in %.3f s", spoken)
            if self._on_turn is not None:
                timings = {
                    "audio": round(transcript.audio_seconds, 3),
                    "read": round(transcript.read_seconds, 3),
                    "respond": round(responded - started, 3),
                    "speak": round(spoken, 3),
                }
                if heard_to_reply is not None:
                    timings["heard_to_reply"] = round(heard_to_reply, 3)
                audio = b"" if secret else b"".join(self._audio)
                heard = replace(shown, alternatives=()) if secret else shown
                self._report_turn(Turn(audio, heard, reply, secret, timings))
            self._forget_audio()
        return reply.end_conversation

    def _report_turn(self, turn: Turn) -> None:
        assert self._on_turn is not None
        try:
            self._on_turn(turn)
        except Exception as err:
            _LOGGER.exception("Could not record the turn")
            self._emit(Error(f"could not record the turn: {err}"))

    def _forget_audio(self) -> None:
        self._audio.clear()
        self._audio_bytes = 0

    def _respond(self, text: str, confidence: float) -> Reply:
        try:
            return self._conversation.respond(text, confidence)
        except Exception as err:
            shown = self._shown(text)
            _LOGGER.exception("The conversation failed to answer %r", shown)
            self._emit(Error(f"could not answer {shown!r}: {err}"))
            # a question for a secret stays asked: what is said next is still masked
            return Reply(self._settings.failure_reply, secret_answer=self._secret)

    def _shown(self, text: str) -> str:
        """`text` as it may be shown or logged: masked while a secret is asked for."""
        return MASK if self._secret else text

    def _speak(self, reply: Reply) -> None:
        """Say the reply with the microphone muted, then start a fresh utterance."""
        self._secret = reply.secret_answer
        self._emit(Said(reply))
        self._set_state(ListenState.SPEAKING)
        preroll: list[Chunk] = []
        try:
            playback = self._speaker.start(reply.text) if self._canceller else None
            if playback is None:
                with self._gate.speaking():
                    self._speaker.say(reply.text)
            else:
                preroll = self._speak_over(playback)
        except Exception as err:
            _LOGGER.exception("The speaker failed to say %r", reply.text)
            self._emit(Error(f"could not say the reply: {err}"))
        finally:
            self._reset_recognizer()
        self._pushed.extend(preroll)
        self._set_state(ListenState.HEARD if preroll else ListenState.LISTENING)

    def _speak_over(self, playback: SpeechPlayback) -> list[Chunk]:
        """Listen while the reply plays; stop it when the person speaks over it. Returns the
        echo-cancelled pre-roll to hear then (empty when the reply played out)."""
        self._detector.reset()
        self._detector.hold(self._barge_in.settle_s)
        self._reference = None
        self._freeze_linear(False)
        kept: deque[_Cleaned] = deque()
        kept_samples = 0
        most = round(max(self._barge_in.preroll_s, self._barge_in.preroll_most_s) * _RATE)
        underflows = 0
        try:
            while not playback.done():
                if playback.underflows > underflows:
                    underflows = playback.underflows
                    self._detector.hold(self._barge_in.hold_after_underrun_s)
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                if self._reference is None and playback.started_at is not None:
                    self._reference = ReplyReference(playback.reference, playback.started_at)
                    self._realign_linear()
                cancelled = self._cancel_echo(chunk)
                kept.append(cancelled.heard)
                kept_samples += len(cancelled.heard.pcm) // 2
                while kept_samples - len(kept[0].pcm) // 2 >= most:
                    kept_samples -= len(kept.popleft().pcm) // 2
                near = np.frombuffer(chunk.pcm, np.int16)
                if self._detector.feed(near, cancelled.suppressed, *self._linear_levels(cancelled)):
                    playback.stop()
                    self._freeze_linear(True)
                    stopped_at = self._clock()
                    if self._reference is not None:
                        self._reference.stop_at(stopped_at)
                    _LOGGER.debug("loop: the person spoke over the reply: stopped it")
                    self._emit(BargedIn(stopped_at))
                    self._barged_in = True
                    return _latest(kept, self._preroll_samples())
            return []
        finally:
            playback.close()

    def _preroll_samples(self) -> int:
        """How much audio from before the detection the recognizer gets: back to a little
        before the person's estimated first sound, at least `preroll_s`, at most
        `preroll_most_s`."""
        settings = self._barge_in
        onset_s = self._detector.onset_frames() / 100 + ONSET_MARGIN_S
        seconds = max(settings.preroll_s, min(onset_s, settings.preroll_most_s))
        return round(seconds * _RATE)

    def _cancel_echo(self, chunk: Chunk) -> _Cancelled:
        """The chunk with the latest reply's echo removed, for the recognizer and the
        detector."""
        assert self._canceller is not None
        near = np.frombuffer(chunk.pcm, np.int16)
        captured_at = chunk.captured_at if isinstance(chunk, TimedChunk) else self._clock()
        if self._reference is None:
            far = np.zeros(len(near), np.int16)
        else:
            far = self._reference.segment(captured_at, len(near))
        cancelled = self._canceller.cancel(near, far)
        heard = cancelled.suppressed
        if self._barge_in.linear_for_recognizer and cancelled.linear is not None:
            heard = cancelled.linear
        return _Cancelled(
            _Cleaned(heard.tobytes(), chunk.fmt), cancelled.suppressed, cancelled.linear
        )

    def _linear_levels(self, cancelled: _Cancelled) -> tuple[np.ndarray | None, float]:
        """The linear filter's output for the detector, and the residual it usually leaves."""
        linear = self._canceller.linear if self._canceller is not None else None
        if linear is None or cancelled.linear is None or not linear.aligned:
            return None, 0.0
        return cancelled.linear, linear.usual_db

    def _realign_linear(self) -> None:
        """A reply starts: the linear echo filter measures the echo's delay afresh (it may have
        moved since the last reply)."""
        linear = self._canceller.linear if self._canceller is not None else None
        if linear is not None and self._barge_in.realign_linear:
            linear.realign()

    def _freeze_linear(self, frozen: bool) -> None:
        """Pause the linear echo filter's learning while the person talks after a barge-in (its
        voice would pull the filter away from the room's response)."""
        if self._canceller is not None and self._canceller.linear is not None:
            self._canceller.linear.frozen = frozen


def replay_files(
    paths: Sequence[Path],
    recognizer: Recognizer,
    conversation: Conversation,
    speaker: Speaker,
    on_event: EventHandler = _ignore,
    settings: LoopSettings | None = None,
    on_turn: TurnHandler | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> StopReason:
    """One turn per WAV file, through the same loop as the microphone; stops early on goodbye.

    A file that cannot be used (not audio, truncated, empty, silent) is reported as an Error
    event and skipped; the conversation goes on with the next file. A recording cannot hear
    the agent, so the gate has no tail: nothing in a file is muted. A file answering a secret
    question (the purchase code asked at the end of the one before) is shown masked.
    `on_file`, if given, is told each file before it is read.
    """
    gate = MicGate(GateSettings(tail_s=0.0))
    secret = False
    for path in paths:
        if on_file is not None:
            on_file(path)
        try:
            source = wav_chunks(path, max_seconds=MAX_UTTERANCE_SECONDS)
        except AudioInputError as err:
            on_event(Error(str(err)))
            continue
        loop = VoiceLoop(
            source, recognizer, conversation, speaker, gate, on_event, settings, on_turn, secret
        )
        reason = loop.run()
        secret = loop.secret
        if reason is not StopReason.SOURCE_ENDED:
            return reason
    return StopReason.SOURCE_ENDED


def _latest(chunks: Iterable[_Cleaned], samples: int) -> list[Chunk]:
    """The last `samples` samples of `chunks` (the first chunk cut at its start if need be)."""
    kept: list[Chunk] = []
    left = samples
    for chunk in reversed(list(chunks)):
        if left <= 0:
            break
        count = len(chunk.pcm) // 2
        if count > left:
            chunk = _Cleaned(chunk.pcm[(count - left) * 2 :], chunk.fmt)
        kept.append(chunk)
        left -= count
    return kept[::-1]


def _words(text: str) -> str:
    """The transcript's words without unknown-word tokens."""
    return " ".join(word for word in text.split() if word != UNKNOWN_WORD)


def _normal(text: str) -> str:
    """Lower-case words without punctuation."""
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def _dbfs(chunk: Chunk) -> float:
    """The chunk's level in dB below full scale (-120 for silence or nothing)."""
    samples = np.frombuffer(chunk.pcm, np.int16).astype(np.float32) / 32768.0
    if not len(samples):
        return -120.0
    return float(20 * np.log10(max(float(np.sqrt((samples**2).mean())), 1e-6)))


def _seconds_above(chunk: Chunk, dbfs: float) -> float:
    """How much of the chunk (in 20 ms frames) is louder than `dbfs`."""
    frame = max(1, round(chunk.fmt.rate * _LEVEL_FRAME_S))
    samples = np.frombuffer(chunk.pcm, np.int16).astype(np.float32) / 32768.0
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame)
    if not len(frames):
        return 0.0
    rms = np.sqrt((frames**2).mean(axis=1))
    return float(np.count_nonzero(rms > 10 ** (dbfs / 20))) * _LEVEL_FRAME_S
