"""The voice loop: audio in, spoken replies out. One code path for the microphone and WAV replay.

    chunks -> MicGate -> Recognizer.feed -> final Transcript -> Conversation.respond
           -> Speaker.say inside MicGate.speaking() -> Recognizer.reset()

The loop reports what happens through `on_event` (partial and final transcripts, replies, errors)
so a front end can show them. A failing turn is answered with an apology and the loop goes on; it
stops on a goodbye, at the end of the source (after flushing the recognizer), or on Ctrl+C.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np

from voiceshop.audio.gate import GateSettings, MicGate
from voiceshop.audio.types import Chunk
from voiceshop.audio.wav import MAX_UTTERANCE_SECONDS, wav_chunks
from voiceshop.dialog.purchase import MASK
from voiceshop.dialog.reply import Conversation, Reply
from voiceshop.errors import AudioInputError
from voiceshop.recognizer.base import Recognizer, Transcript
from voiceshop.speaker.base import Speaker

_LOGGER = logging.getLogger(__name__)

UNKNOWN_WORD = "[unk]"
"""Vosk's token for a word outside its grammar."""
_LEVEL_FRAME_S = 0.02
"""Frame length for measuring whether audio held speech."""


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


LoopEvent = Partial | Heard | Said | Error
EventHandler = Callable[[LoopEvent], None]


class StopReason(StrEnum):
    """Why `VoiceLoop.run` returned."""

    GOODBYE = "goodbye"
    """The conversation ended (Reply.end_conversation)."""
    SOURCE_ENDED = "source ended"
    """The audio ran out (end of file, or the microphone was stopped)."""
    INTERRUPTED = "interrupted"
    """Ctrl+C."""


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


def _ignore(_event: LoopEvent) -> None:
    """The default event handler."""


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
        secret: bool = False,
    ) -> None:
        """`secret`: the conversation's last reply (before this loop) asked for a secret, so
        what is heard first is shown masked; `VoiceLoop.secret` says it after `run`."""
        self._source = source
        self._recognizer = recognizer
        self._conversation = conversation
        self._speaker = speaker
        self._gate = gate
        self._emit = on_event
        self._settings = settings or LoopSettings()
        self._speech_s = 0.0
        self._last_partial = ""
        self._secret = secret
        """The last reply asked for a secret: what is heard now is shown masked."""

    @property
    def secret(self) -> bool:
        """The last reply asked for a secret (the purchase code): what comes next is masked."""
        return self._secret

    def run(self) -> StopReason:
        """Listen and answer until goodbye, the end of the source, or Ctrl+C."""
        try:
            for chunk in self._source:
                transcript = self._hear(chunk)
                if transcript is not None and self._answer(transcript):
                    return StopReason.GOODBYE
            transcript = self._recognizer.flush()
            if transcript is not None and self._answer(transcript):
                return StopReason.GOODBYE
        except KeyboardInterrupt:
            _LOGGER.info("Interrupted: stopping the voice loop")
            return StopReason.INTERRUPTED
        return StopReason.SOURCE_ENDED

    def _hear(self, chunk: Chunk) -> Transcript | None:
        """Gate and feed one chunk; the Transcript if it ended an utterance."""
        chunk = self._gate.filter(chunk)
        self._speech_s += _seconds_above(chunk, self._settings.speech_dbfs)
        transcript = self._recognizer.feed(chunk)
        if transcript is None:
            self._report_partial()
        return transcript

    def _report_partial(self) -> None:
        text = self._recognizer.partial()
        if text and text != self._last_partial:
            self._emit(Partial(self._shown(text)))
        self._last_partial = text

    def _answer(self, transcript: Transcript) -> bool:
        """Reply to a finished utterance; True when the conversation has ended."""
        had_speech = self._speech_s >= self._settings.min_speech_s
        self._speech_s = 0.0
        self._last_partial = ""
        text = _words(transcript.text)
        if text:
            self._emit(Heard(replace(transcript, text=self._shown(text))))
            reply = self._respond(text, transcript.confidence)
        elif had_speech:
            reply = Reply(self._settings.not_heard_reply)
        else:
            return False
        self._speak(reply)
        return reply.end_conversation

    def _respond(self, text: str, confidence: float) -> Reply:
        try:
            return self._conversation.respond(text, confidence)
        except Exception as err:
            shown = self._shown(text)
            _LOGGER.exception("The conversation failed to answer %r", shown)
            self._emit(Error(f"could not answer {shown!r}: {err}"))
            return Reply(self._settings.failure_reply)

    def _shown(self, text: str) -> str:
        """`text` as it may be shown or logged: masked while a secret is asked for."""
        return MASK if self._secret else text

    def _speak(self, reply: Reply) -> None:
        """Say the reply with the microphone muted, then start a fresh utterance."""
        self._secret = reply.secret_answer
        self._emit(Said(reply))
        try:
            with self._gate.speaking():
                self._speaker.say(reply.text)
        except Exception as err:
            _LOGGER.exception("The speaker failed to say %r", reply.text)
            self._emit(Error(f"could not say the reply: {err}"))
        finally:
            self._recognizer.reset()


def replay_files(
    paths: Sequence[Path],
    recognizer: Recognizer,
    conversation: Conversation,
    speaker: Speaker,
    on_event: EventHandler = _ignore,
    settings: LoopSettings | None = None,
) -> StopReason:
    """One turn per WAV file, through the same loop as the microphone; stops early on goodbye.

    A file that cannot be used (not audio, truncated, empty, silent) is reported as an Error
    event and skipped; the conversation goes on with the next file. A recording cannot hear
    the agent, so the gate has no tail: nothing in a file is muted. A file answering a secret
    question (the purchase code asked at the end of the one before) is shown masked.
    """
    gate = MicGate(GateSettings(tail_s=0.0))
    secret = False
    for path in paths:
        try:
            source = wav_chunks(path, max_seconds=MAX_UTTERANCE_SECONDS)
        except AudioInputError as err:
            on_event(Error(str(err)))
            continue
        loop = VoiceLoop(
            source, recognizer, conversation, speaker, gate, on_event, settings, secret=secret
        )
        reason = loop.run()
        secret = loop.secret
        if reason is not StopReason.SOURCE_ENDED:
            return reason
    return StopReason.SOURCE_ENDED


def _words(text: str) -> str:
    """The transcript's words without unknown-word tokens."""
    return " ".join(word for word in text.split() if word != UNKNOWN_WORD)


def _seconds_above(chunk: Chunk, dbfs: float) -> float:
    """How much of the chunk (in 20 ms frames) is louder than `dbfs`."""
    frame = max(1, round(chunk.fmt.rate * _LEVEL_FRAME_S))
    samples = np.frombuffer(chunk.pcm, np.int16).astype(np.float32) / 32768.0
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame)
    if not len(frames):
        return 0.0
    rms = np.sqrt((frames**2).mean(axis=1))
    return float(np.count_nonzero(rms > 10 ** (dbfs / 20))) * _LEVEL_FRAME_S
