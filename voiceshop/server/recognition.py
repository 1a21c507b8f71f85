"""Recognition on the server: whole utterances through the same recognizers as the voice loop.

A Wyoming client streams an utterance (audio-start, audio-chunks, audio-stop); the server keeps
it until audio-stop and only then queues it for a recognition worker, so a worker is never held
for the real-time length of someone's speech: it reads the whole utterance at once. Each worker
owns one recognizer (`load_recognizer`, the same engine, endpointing and vocabulary tuning as
`voiceshop listen`); Whisper workers share one model that decodes on as many threads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from voiceshop.audio.convert import Resampler
from voiceshop.audio.types import ENGINE_FORMAT, AudioFormat, Chunk
from voiceshop.recognizer import (
    InterimSettings,
    Recognizer,
    RecognizerSettings,
    Transcript,
    Vocabulary,
    load_recognizer,
)
from voiceshop.recognizer.base import join_transcripts

FEED_SECONDS = 0.1
"""Audio handed to the recognizer per `feed`, as a microphone would."""


@dataclass(frozen=True)
class Utterance:
    """One utterance as a client sent it, and what to listen for."""

    pcm: bytes
    fmt: AudioFormat
    vocabulary: Vocabulary | None = None
    """The conversation's vocabulary (an open question's answers, its store's words); None: the
    server store's words."""

    @property
    def seconds(self) -> float:
        return len(self.pcm) / self.fmt.bytes_per_second


def server_recognizer_settings(settings: RecognizerSettings, workers: int) -> RecognizerSettings:
    """`settings` for a pool of `workers`: no partial drafts (no one sees them before audio-stop),
    one CPU thread per utterance, as many utterances at once as there are workers."""
    whisper = replace(settings.whisper, cpu_threads=1, workers=workers)
    return replace(settings, interim=InterimSettings(draft_every_seconds=None), whisper=whisper)


class Listener:
    """A worker's recognizer and the vocabulary it is tuned to."""

    def __init__(self, settings: RecognizerSettings, vocabulary: Vocabulary) -> None:
        self.recognizer: Recognizer = load_recognizer(settings, vocabulary)
        self.default_vocabulary = vocabulary
        self._tuned_to = vocabulary

    def recognize(self, utterance: Utterance) -> Transcript | None:
        """Everything said in the utterance, or None when no words were heard."""
        vocabulary = utterance.vocabulary or self.default_vocabulary
        if vocabulary is not self._tuned_to:
            self.recognizer.set_vocabulary(vocabulary)
            self._tuned_to = vocabulary
        pcm = _engine_pcm(utterance)
        self.recognizer.reset()
        step = round(FEED_SECONDS * ENGINE_FORMAT.bytes_per_second)
        parts = [
            heard
            for start in range(0, len(pcm), step)
            if (heard := self.recognizer.feed(Chunk(pcm[start : start + step]))) is not None
        ]
        last = self.recognizer.flush()
        return join_transcripts([*parts, last] if last is not None else parts)


def _engine_pcm(utterance: Utterance) -> bytes:
    """The utterance as 16 kHz mono 16-bit PCM."""
    if utterance.fmt == ENGINE_FORMAT:
        return utterance.pcm
    resampler = Resampler(utterance.fmt)
    return resampler.convert(Chunk(utterance.pcm, utterance.fmt)).pcm + resampler.flush().pcm
