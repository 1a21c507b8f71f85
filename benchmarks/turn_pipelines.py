"""The ways of answering a turn that the turn benchmarks compare, from the baseline to ours.

- baseline: voiceshop before the turn-latency work, with faster-whisper's stock
  `WhisperModel.transcribe` (30 s window, beam 5, the store's prompt) reading each utterance once
  the endpointer's 0.7 s of silence has ended it, and each reply synthesised in one piece by an
  engine process started when the reply comes.
- the levers, one added at a time: the 15 s window decoder (voiceshop's `WindowDecoder`) reading
  at the endpoint; then the final reading in the first pause with drafts while speaking
  (`LookaheadTranscriber`, no early end); then ours: an early end for complete requests, and
  replies spoken sentence by sentence by an engine process started ahead of time. And, to
  weigh against it, ours as it was before the pause habit: requests that name products ended
  after 0.5 s of pause for everyone.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from benchmarks.turn_replay import FirstSoundPlayer, Pipeline
from voiceshop.audio.types import Chunk
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.complete import CompleteRequest
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.recognizer import InterimSettings, RecognizerSettings
from voiceshop.recognizer.base import Recognizer, Transcript, join_transcripts
from voiceshop.recognizer.endpoint import Endpointer, Utterance
from voiceshop.recognizer.models import embedded_whisper_model
from voiceshop.recognizer.whisper_backend import DecodedWindow, WhisperRecognizer, window_confidence
from voiceshop.speaker import Pyttsx3Speaker, SpeakerSettings
from voiceshop.storage.database import ShopDatabase

STORES = ("grocery", "coffee")
AT_THE_ENDPOINT = InterimSettings(draft_every_seconds=None, lookahead_silence_seconds=math.inf)
"""No work before the endpoint: how WhisperRecognizer read utterances before interim.py."""
ONE_PIECE = SpeakerSettings(by_sentence=False, prewarm=False)
"""The speaker before the turn-latency work: one process per reply, started when it comes."""


@dataclass(frozen=True)
class Variant:
    """One way of answering: the recognizer's work before the endpoint, and the speaker."""

    name: str
    interim: InterimSettings | None
    """None: the stock transcribe baseline."""
    early_end: bool
    speaker: SpeakerSettings


BASELINE = Variant("baseline", None, False, ONE_PIECE)
WINDOW_15S = Variant("15 s window, read at the endpoint", AT_THE_ENDPOINT, False, ONE_PIECE)
LOOKAHEAD = Variant(
    "+ read in the first pause, drafts",
    InterimSettings(),
    False,
    ONE_PIECE,
)
OURS = Variant("ours", InterimSettings(), True, SpeakerSettings())
PATIENT = Variant(
    "open requests ended after 0.5 s for everyone",
    InterimSettings(open_silence_seconds=0.5, habit_utterances=0),
    True,
    SpeakerSettings(),
)
"""Ours before the pause habit: fewer requests cut off, every open request answered later."""


class StockWhisper(Recognizer):
    """The baseline recognizer: endpointed utterances read by `WhisperModel.transcribe`."""

    name = "stock whisper"

    def __init__(self, prompt: str | None, settings: RecognizerSettings) -> None:
        from faster_whisper import WhisperModel

        whisper = settings.whisper
        self._model = WhisperModel(
            str(embedded_whisper_model()),
            device="cpu",
            compute_type=whisper.compute_type,
            cpu_threads=whisper.cpu_threads,
        )
        self._beam_size = whisper.beam_size
        self._prompt = prompt
        self._endpointer = Endpointer(settings.endpoint)
        self.ended_at = 0.0

    def feed(self, chunk: Chunk) -> Transcript | None:
        ended = self._endpointer.feed(chunk)
        if ended:
            self.ended_at = time.monotonic()
        return join_transcripts([self._read(utterance) for utterance in ended])

    def partial(self) -> str:
        return ""

    def flush(self) -> Transcript | None:
        utterance = self._endpointer.flush()
        if utterance is None:
            return None
        self.ended_at = time.monotonic()
        return join_transcripts([self._read(utterance)])

    def reset(self) -> None:
        self._endpointer.reset()

    def _read(self, utterance: Utterance) -> Transcript:
        audio = np.frombuffer(utterance.pcm, "<i2").astype(np.float32) / 32768.0
        segments, _ = self._model.transcribe(
            audio,
            language="en",
            beam_size=self._beam_size,
            initial_prompt=self._prompt,
            condition_on_previous_text=False,
            without_timestamps=True,
        )
        windows = [
            DecodedWindow(s.text.strip(), s.avg_logprob, s.no_speech_prob, len(s.tokens))
            for s in segments
        ]
        heard = [window for window in windows if window.text]
        return Transcript(
            " ".join(window.text for window in heard),
            window_confidence(heard),
            audio_seconds=utterance.seconds,
        )


def build(variant: Variant, db: ShopDatabase) -> Pipeline:
    """The variant's pipeline: a recognizer for each store, and its speaker."""
    recognizers = {
        store: _recognizer(variant, Assistant(db, "listener", store)) for store in STORES
    }
    speaker = Pyttsx3Speaker(variant.speaker, player=FirstSoundPlayer())
    return Pipeline(variant.name, recognizers, speaker, _ended_at)


def _recognizer(variant: Variant, listener: Assistant) -> Recognizer:
    vocabulary = store_vocabulary(listener.store, listener.dialog.parser, listener.dialog.matcher)
    ours = WhisperRecognizer(
        RecognizerSettings(asr="whisper", interim=variant.interim or AT_THE_ENDPOINT),
        vocabulary,
        CompleteRequest(listener) if variant.early_end else None,
    )
    return ours if variant.interim is not None else StockWhisper(ours.prompt, ours.settings)


def _ended_at(recognizer: Recognizer) -> float:
    if isinstance(recognizer, WhisperRecognizer):
        return recognizer.stream.ended_at
    assert isinstance(recognizer, StockWhisper)
    return recognizer.ended_at
