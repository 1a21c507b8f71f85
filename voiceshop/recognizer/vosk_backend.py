"""Vosk behind the Recognizer interface, constrained by the store's words where the model allows.

Grammar mode: when the vocabulary has at most `grammar_word_limit` words and the model has a
lookahead graph, the recognizer is built with the vocabulary's words (those the model knows, plus
"[unk]" if it has it) as its grammar. Grammars bias rather than bind (out-of-grammar speech comes
out as the nearest grammar words or "[unk]"), so transcripts still need checking downstream, and
the token "[unk]" may appear in them (UNKNOWN_WORD).

Endpointing: an utterance ends when our Endpointer (Silero VAD, `trailing_silence_seconds`,
`max_utterance_seconds`) ends it, or when Vosk's own endpoint fires while the Endpointer hears no
speech. A Vosk endpoint inside speech the Endpointer still follows (Vosk 0.3.45's endpoint rules
come from the model's conf/model.conf, often 0.5 s) only closes a segment; segments are joined
into the utterance, so a pause in "add two ... apples" does not split the command.

Confidence: with `max_alternatives` > 0 (the default) it is the best reading's share of the
n-best probability mass, softmax over the alternatives' log-likelihoods; with 0 it is the mean
of the per-word confidences. Both are 0..1; the n-best share overstates certainty when the
alternatives are few.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from voiceshop.audio.convert import require_engine_format
from voiceshop.audio.types import ENGINE_FORMAT, Chunk
from voiceshop.errors import EngineUnavailableError, ModelNotFoundError
from voiceshop.extras import missing_extra
from voiceshop.recognizer import RecognizerSettings
from voiceshop.recognizer.base import Recognizer, Transcript, join_transcripts
from voiceshop.recognizer.endpoint import Endpointer
from voiceshop.recognizer.models import (
    FIX_HINT,
    check_vosk_model,
    find_vosk_model,
    fix_hint,
    require_vosk_model,
)
from voiceshop.rescoring.protocol import Vocabulary

if TYPE_CHECKING:
    import vosk

_LOGGER = logging.getLogger(__name__)

UNKNOWN_WORD = "[unk]"
"""What Vosk writes for out-of-grammar speech, in models that have it."""
_PIECE_BYTES = ENGINE_FORMAT.bytes_per_second // 10
"""Audio is given to Vosk 0.1 s at a time, so an endpoint is noticed within 0.1 s."""
_START_TIMEOUT_SECONDS = 5.0
"""Kaldi's rule 1: silence without speech after which Vosk ends an (empty) utterance."""
_MISSING_WORDS_SHOWN = 20


class VoskRecognizer(Recognizer):
    """Streaming Vosk recognition with our endpointing, in grammar mode when it fits.

    `grammar` holds the grammar's words, or is None when recognition is free.
    """

    name = "vosk"

    def __init__(self, settings: RecognizerSettings, vocabulary: Vocabulary) -> None:
        self.settings = settings
        path = require_vosk_model(_model_path(settings))
        engine = _import_vosk()
        engine.SetLogLevel(settings.vosk.log_level)
        self._model = _load_model(path)
        self._grammar_support = check_vosk_model(path).grammar_support
        self.set_vocabulary(vocabulary)
        self._endpointer = Endpointer(settings.endpoint)
        self._held: list[Transcript] = []
        self._segment_bytes = 0

    def feed(self, chunk: Chunk) -> Transcript | None:
        require_engine_format(chunk)
        finished = [
            self._feed_piece(chunk.pcm[start : start + _PIECE_BYTES])
            for start in range(0, len(chunk.pcm), _PIECE_BYTES)
        ]
        return join_transcripts([t for t in finished if t is not None])

    def partial(self) -> str:
        current = json.loads(self._recognizer.PartialResult()).get("partial", "")
        return " ".join(text for text in [*(t.text for t in self._held), current] if text)

    def flush(self) -> Transcript | None:
        self._endpointer.flush()
        self._hold(self._recognizer.FinalResult())
        return self._release()

    def set_vocabulary(self, vocabulary: Vocabulary) -> None:
        self.grammar = grammar_words(
            vocabulary,
            self._model.vosk_model_find_word,
            self.settings.vosk.grammar_word_limit,
            self._grammar_support,
        )
        self._recognizer = self._new_recognizer(_import_vosk())

    def reset(self) -> None:
        self._recognizer.Reset()
        self._endpointer.reset()
        self._held.clear()
        self._segment_bytes = 0

    def _feed_piece(self, pcm: bytes) -> Transcript | None:
        ended = self._endpointer.feed(Chunk(pcm))
        self._segment_bytes += len(pcm)
        if self._recognizer.AcceptWaveform(pcm):
            self._hold(self._recognizer.Result())
            if not ended and not self._endpointer.in_utterance:
                return self._release()
        if ended:
            self._hold(self._recognizer.FinalResult())
            return self._release()
        return None

    def _hold(self, result_json: str) -> None:
        """Keep a finished segment's reading until the utterance ends (silence is dropped)."""
        segment = parse_result(result_json, self._segment_bytes / ENGINE_FORMAT.bytes_per_second)
        self._segment_bytes = 0
        if segment.text:
            self._held.append(segment)

    def _release(self) -> Transcript | None:
        transcript = join_transcripts(self._held)
        self._held.clear()
        return transcript

    def _new_recognizer(self, engine: ModuleType) -> vosk.KaldiRecognizer:
        rate = ENGINE_FORMAT.rate
        if self.grammar is None:
            recognizer = engine.KaldiRecognizer(self._model, rate)
        else:
            grammar = json.dumps(list(self.grammar), ensure_ascii=False)
            recognizer = engine.KaldiRecognizer(self._model, rate, grammar)
        recognizer.SetWords(True)
        recognizer.SetMaxAlternatives(self.settings.vosk.max_alternatives)
        if hasattr(recognizer, "SetEndpointerDelays"):  # vosk > 0.3.45
            endpoint = self.settings.endpoint
            recognizer.SetEndpointerDelays(
                _START_TIMEOUT_SECONDS,
                endpoint.trailing_silence_seconds,
                endpoint.max_utterance_seconds,
            )
        return recognizer


def grammar_words(
    vocabulary: Vocabulary,
    find_word: Callable[[str], int],
    word_limit: int,
    grammar_support: bool,
) -> tuple[str, ...] | None:
    """The grammar for `vocabulary`: the words the model knows (find_word >= 0), sorted, plus
    UNKNOWN_WORD when the model has it; None (free recognition) when a grammar cannot be used."""
    words = sorted(vocabulary.words)
    if not words:
        return None
    if len(words) > word_limit:
        _LOGGER.warning(
            "the vocabulary has %d words, over the grammar limit of %d: recognising freely",
            len(words),
            word_limit,
        )
        return None
    if not grammar_support:
        _LOGGER.warning(
            "this Vosk model has no lookahead graph (graph/HCLr.fst + graph/Gr.fst), so it "
            "cannot take a grammar: recognising freely; use a small or lgraph model for grammars"
        )
        return None
    known = [word for word in words if find_word(word) >= 0]
    _warn_missing(sorted(set(words) - set(known)))
    if not known:
        return None
    if find_word(UNKNOWN_WORD) >= 0:
        return (*known, UNKNOWN_WORD)
    _LOGGER.warning(
        "this Vosk model has no %s word: speech outside the vocabulary will come out as the "
        "nearest vocabulary words",
        UNKNOWN_WORD,
    )
    return tuple(known)


def parse_result(result_json: str, audio_seconds: float = 0.0) -> Transcript:
    """A Transcript from Vosk's Result()/FinalResult() JSON, one-best or n-best."""
    result = json.loads(result_json)
    if "alternatives" in result:
        return _parse_alternatives(result["alternatives"], audio_seconds)
    text = result.get("text", "")
    confidences = [word["conf"] for word in result.get("result", []) if "conf" in word]
    confidence = sum(confidences) / len(confidences) if confidences else float(bool(text))
    return Transcript(text, confidence, audio_seconds=audio_seconds)


def _parse_alternatives(alternatives: Sequence[dict[str, Any]], seconds: float) -> Transcript:
    if not alternatives or not alternatives[0].get("text"):
        return Transcript("", 0.0, audio_seconds=seconds)
    likelihoods = [alternative["confidence"] for alternative in alternatives]
    top = max(likelihoods)
    share = math.exp(likelihoods[0] - top) / sum(math.exp(v - top) for v in likelihoods)
    best = alternatives[0]["text"]
    others = dict.fromkeys(a["text"] for a in alternatives[1:] if a["text"] and a["text"] != best)
    return Transcript(best, share, tuple(others), seconds)


def _warn_missing(missing: Sequence[str]) -> None:
    if missing:
        shown = ", ".join(missing[:_MISSING_WORDS_SHOWN])
        more = (
            f" and {len(missing) - _MISSING_WORDS_SHOWN} more"
            if len(missing) > _MISSING_WORDS_SHOWN
            else ""
        )
        _LOGGER.warning(
            "%d vocabulary words are not in the Vosk model and were left out of the grammar: %s%s",
            len(missing),
            shown,
            more,
        )


def _model_path(settings: RecognizerSettings) -> Path:
    path = find_vosk_model(settings.language, settings.model)
    if path is None:
        raise ModelNotFoundError(
            f"no Vosk model for language {settings.language!r} is installed; "
            f"{fix_hint(settings.language)}"
        )
    return path


def _import_vosk() -> ModuleType:
    try:
        import vosk
    except (ImportError, OSError) as err:
        raise EngineUnavailableError(missing_extra("vosk", "Vosk recognition", err)) from err
    return vosk


@functools.lru_cache(maxsize=2)
def _load_model(path: Path) -> vosk.Model:
    """The model at `path`, loaded once per process and shared by recognizers (Vosk allows it)."""
    try:
        return _import_vosk().Model(str(path))
    except Exception as err:  # vosk raises a bare Exception("Failed to create a model")
        raise ModelNotFoundError(
            f"Vosk could not load the model at {path} ({err}); {FIX_HINT}"
        ) from err
