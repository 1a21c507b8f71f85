"""The spoken test sets of the accuracy report: the short answers split by voice, their
scoring, and the catalog names' tune and check samples."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from support.accuracy_answers import (
    ANSWERS,
    CLIP_S,
    VOICES,
    AnswerScore,
    ShortAnswer,
    Split,
    Variant,
    Verdict,
    answers_table,
    clipped,
    count_said,
    noisy_answers,
    synthesize_answers,
    verdict,
    voice_splits,
    voices_table,
)
from support.accuracy_audio import RATE, Voice, read_mono, write_mono
from support.accuracy_catalog import CatalogListener, Outcome, Utterance, sample_names
from support.accuracy_coffee import KITCHEN_NOISE
from support.accuracy_french import STORE as FRENCH_STORE
from support.accuracy_french import (
    FrenchListener,
    PromptWords,
    load_requests,
    readings_for,
    split_requests,
)
from voiceshop.dialog.assistant import Assistant
from voiceshop.intents.answers import Question
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.recognizer import RecognizerSettings
from voiceshop.recognizer.base import Recognizer, Transcript
from voiceshop.rescoring.reading_policy import ANSWER_MARGIN_NATS
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.stores import open_store

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def test_no_voice_is_in_both_parts_and_each_part_has_several() -> None:
    splits = voice_splits()
    tune = {v for v, split in splits.items() if split is Split.TUNE}
    check = {v for v, split in splits.items() if split is Split.CHECK}

    assert len(tune) >= 2 and len(check) >= 2
    assert not {v.name for v in tune} & {v.name for v in check}, "a voice in both parts"
    assert any(v.name == "piper:joe" for v in VOICES)
    assert len({(v.speed, v.pitch) for v in VOICES if v.name.startswith("espeak:")}) >= 3


def test_the_set_holds_every_kind_of_answer_once() -> None:
    texts = [a.text for a in ANSWERS]

    assert len(texts) == len(set(texts))
    assert {"yes", "nope", "undo", "stop", "the brown ones", "go ahead", "twelve"} <= set(texts)
    assert [a.count for a in ANSWERS if a.question is Question.COUNT] == list(range(1, 13))


@needs_espeak
def test_each_voice_says_each_answer_in_a_one_second_clip(tmp_path: Path) -> None:
    voices = (Voice("espeak:en-us", 1.25, 35), Voice("espeak:en-gb"))

    utterances = synthesize_answers(tmp_path, voices)

    assert len(utterances) == 2 * len(ANSWERS)
    assert {u.split for u in utterances} == {Split.TUNE, Split.CHECK}
    samples, rate = read_mono(utterances[0].path)
    assert rate == RATE
    assert len(samples) == round(CLIP_S * RATE)
    assert not samples[:10].any() and not samples[-10:].any()
    assert np.abs(samples).max() == pytest.approx(0.5, abs=1e-3)


def test_a_clip_centres_a_short_word_and_pads_a_long_one() -> None:
    short, long = np.ones(RATE // 4, np.float32), np.ones(2 * RATE, np.float32)

    assert len(clipped(short)) == round(CLIP_S * RATE)
    assert np.flatnonzero(clipped(short))[0] == (round(CLIP_S * RATE) - len(short)) // 2
    assert len(clipped(long)) == 2 * RATE + round(0.1 * RATE)


@needs_espeak
@pytest.mark.skipif(not KITCHEN_NOISE.is_file(), reason="needs ../shared kitchen noise")
def test_noisy_answers_keep_their_answer_and_split(tmp_path: Path) -> None:
    clean = synthesize_answers(tmp_path, (Voice("espeak:en-us"),))[:2]

    noisy = noisy_answers(clean, 12, 7, tmp_path)

    assert [(u.answer, u.split, u.condition) for u in noisy] == [
        (u.answer, Split.CHECK, "12 dB") for u in clean
    ]
    assert all(read_mono(u.path)[0][:100].any() for u in noisy), "noise in the silence too"


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    return Assistant(ShopDatabase(tmp_path / "shop.db"), store="grocery")


def test_a_choice_is_judged_by_the_product_the_dialog_picks(assistant: Assistant) -> None:
    brown = next(a for a in ANSWERS if a.text == "the brown ones")
    first = next(a for a in ANSWERS if a.text == "the first one")
    assistant.respond("add a dozen large eggs")

    assistant.respond("The brown ones.")

    assert verdict(brown, "The brown ones.", assistant) is Verdict.UNDERSTOOD
    assert verdict(first, "The brown ones.", assistant) is Verdict.MISTAKEN


def test_a_yes_or_no_is_judged_by_its_intent(assistant: Assistant) -> None:
    yes = ShortAnswer("yeah", Question.CONFIRM, intent="Yes")

    assert verdict(yes, "Yeah.", assistant) is Verdict.UNDERSTOOD
    assert verdict(yes, "Nope.", assistant) is Verdict.MISTAKEN
    assert verdict(yes, "And you.", assistant) is Verdict.NOT_UNDERSTOOD
    assert verdict(yes, "", assistant) is Verdict.NOT_UNDERSTOOD


def test_a_number_heard_as_another_is_mistaken(assistant: Assistant) -> None:
    four = ShortAnswer("four", Question.COUNT, count=4)

    assert verdict(four, "Four. Four.", assistant) is Verdict.UNDERSTOOD
    assert verdict(four, "Fourteen.", assistant) is Verdict.MISTAKEN
    assert verdict(four, "for", assistant) is Verdict.NOT_UNDERSTOOD


def test_a_number_is_read_whole_or_from_its_first_sentence() -> None:
    parser = IntentParser()

    assert count_said("Twelve.", parser) == 12
    assert count_said("7", parser) == 7
    assert count_said("Four. Four.", parser) == 4
    assert count_said("for", parser) is None
    assert count_said("", parser) is None


def _score(
    split: Split, condition: str, variant: Variant, *counts: int, is_answer: bool = True
) -> AnswerScore:
    total, understood, mistaken, empty = counts
    return AnswerScore(
        split,
        condition,
        variant,
        2.0,
        is_answer,
        total=total,
        understood=understood,
        mistaken=mistaken,
        empty=empty,
        seconds=[0.2, 0.3],
    )


def test_the_table_has_a_row_per_split_condition_set_and_variant() -> None:
    scores = [
        _score(Split.TUNE, "clean", Variant.BASELINE, 4, 3, 1, 0),
        _score(Split.CHECK, "12 dB", Variant.ANSWERS, 2, 2, 0, 1),
        _score(Split.CHECK, "12 dB", Variant.ANSWERS, 5, 4, 1, 0, is_answer=False),
    ]

    rows = answers_table("whisper", scores)[-3:]

    assert rows[0].startswith("| tune | clean | answers | baseline")
    assert "75.0% (3/4) | 1 | 0 |" in rows[0]
    assert rows[1].startswith("| check | 12 dB | answers | answers of the open question, margin 2")
    assert "100.0% (2/2) | 0 | 1 |" in rows[1]
    assert rows[2].startswith("| check | 12 dB | non-answers | answers of the open question")
    assert "80.0% (4/5) | 1 | 0 |" in rows[2]


def test_a_non_answer_is_wrong_only_when_taken_as_an_answer(assistant: Assistant) -> None:
    total = ShortAnswer("what's the total", Question.CONFIRM, is_answer=False)

    assert verdict(total, "What's the total?", assistant) is Verdict.UNDERSTOOD
    assert verdict(total, "Go ahead.", assistant) is Verdict.MISTAKEN
    assert verdict(total, "", assistant) is Verdict.UNDERSTOOD


def test_the_check_sample_of_names_leaves_out_the_tune_sample() -> None:
    store = open_store("grocery", None)
    normalize = IntentParser(store).normalizer.normalize
    tune = sample_names(store, 10, 7, normalize)

    check = sample_names(store, 10, 1007, normalize, set(tune))

    assert len(tune) == len(check) == 10
    assert not set(tune) & set(check)
    assert sample_names(store, 10, 7, normalize) == tune, "the same seed draws the same names"


def test_the_voices_table_has_a_row_per_voice_with_its_share_in_each_condition() -> None:
    voice = next(v for v, split in voice_splits().items() if split is Split.TUNE)
    score = _score(Split.TUNE, "clean", Variant.ANSWERS, 4, 3, 0, 0)
    score.margin = ANSWER_MARGIN_NATS
    score.said[voice.label] = 4
    score.understood_by_voice[voice.label] = 3

    rows = voices_table([score])

    assert f"| {voice.label} | tune | 75.0% (3/4) |" in rows
    assert len([r for r in rows if r.startswith("| ") and "---" not in r]) == 1 + len(VOICES)


def test_french_requests_split_into_fixed_disjoint_halves() -> None:
    requests = load_requests()
    halves = split_requests(requests)
    tune, check = ({r.say for r in halves[h]} for h in ("tune", "check"))
    assert not tune & check
    assert len(tune) + len(check) == len(requests) == len({r.say for r in requests})
    assert {r.say for r in split_requests(requests[::-1])["tune"]} == tune


def test_french_labels_are_what_the_text_itself_is_understood_as() -> None:
    """Labels agree with the parser and matcher on the written request, so a speech miss is the
    recognizer's; every labelled product is one of the store's."""
    listener = FrenchListener.__new__(FrenchListener)
    store = open_store(FRENCH_STORE, None)
    listener.matcher = ProductMatcher(store, Normalizer(load_language("fr")))
    listener.parser = IntentParser(store, "fr", products=listener.matcher)
    ids = {p.id for p in store.products}
    for request in load_requests():
        assert request.product is None or request.product in ids, request
        intent, product = listener._understood(request.say)
        assert intent == request.intent, request
        assert request.product is None or product == request.product, request


def test_french_readings_are_kept_per_settings(tmp_path: Path) -> None:
    plain = RecognizerSettings(language="fr")
    first = readings_for(tmp_path, plain, PromptWords.NORMAL)
    first.known["a.wav"] = ("bonjour", 0.5)
    first.save()
    assert readings_for(tmp_path, plain, PromptWords.NORMAL).known == {"a.wav": ("bonjour", 0.5)}
    assert readings_for(tmp_path, plain, PromptWords.WRITTEN).known == {}


class _Heard(Recognizer):
    """Hears the same words at a set confidence, whatever the audio."""

    def __init__(self, text: str, confidence: float) -> None:
        self.heard = Transcript(text, confidence)

    def feed(self, chunk: object) -> Transcript | None:
        return None

    def partial(self) -> str:
        return ""

    def flush(self) -> Transcript | None:
        return self.heard

    def reset(self) -> None:
        pass


@pytest.mark.parametrize(
    ("heard", "confidence", "outcome"),
    [
        ("add a dozen large brown eggs", 0.9, Outcome.RIGHT),
        ("add a dozen large brown eggs", 0.3, Outcome.CHECKED_RIGHT),
        ("add two bananas", 0.9, Outcome.CONFIDENT_WRONG),
        ("add two bananas", 0.3, Outcome.CHECKED_WRONG),
    ],
)
def test_an_add_heard_unsure_is_scored_as_asked_did_you_say_first(
    heard: str, confidence: float, outcome: Outcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "support.accuracy_catalog.load_recognizer", lambda *_: _Heard(heard, confidence)
    )
    store = open_store("grocery", None)
    brown = next(p.name for p in store.products if "Brown Eggs" in p.name)
    listener = CatalogListener(store, RecognizerSettings(), confirm_below=0.5)
    path = tmp_path / "said.wav"
    write_mono(path, np.full(RATE // 10, 0.1, np.float32), RATE)

    score = listener.score([Utterance(f"add a {brown}", brown, Voice("espeak:en-us"), path)], "x")

    assert score.outcomes == {outcome: 1}
