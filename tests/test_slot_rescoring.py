"""Misheard slot phrases: finding them in a transcript, and choosing the best fit by scores."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from voiceshop.recognizer.whisper_backend import without_repetition
from voiceshop.rescoring.protocol import MisheardSlot, Vocabulary
from voiceshop.rescoring.readback import MAX_SENTENCES, rewrite_slots
from voiceshop.rescoring.slots import misheard_slots, misheard_tail, sounds_alike

SHOTS = ("single shot", "double shot", "triple shot")
MILKS = ("milk", "skim milk", "whole milk", "soy milk")
DRINKS = ("latte", "iced mocha", "iced coffee", "house coffee")
SIZES = ("small", "large", "twelve ounce", "twenty ounce")
ROASTS = ("light roast", "blonde roast", "dark roast")
AMOUNTS = ("some", "a bit of", "a lot of")
GROUPS = (SHOTS, MILKS, DRINKS, SIZES, ROASTS, AMOUNTS)
WORDS = frozenset({"a", "with", "may", "i", "have", "of", "and"}) | {
    w for group in GROUPS for phrase in group for w in phrase.split()
}
COFFEE = Vocabulary(tuple(p for g in GROUPS for p in g), WORDS, GROUPS)


def found(text: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(text[s.start : s.end], s.choices) for s in misheard_slots(text, COFFEE)]


def test_a_phrase_with_one_misheard_word_is_a_slot_with_its_group_of_that_length() -> None:
    assert found("May I have a dull shot of drip coffee?") == [("dull shot", SHOTS)]
    assert found("a latte with home milk") == [("home milk", MILKS[1:])]


def test_exact_phrases_and_unlike_words_are_left_alone() -> None:
    assert found("a double shot latte with whole milk") == []
    assert found("two or twenty ounce") == []
    assert found("a shot of espresso") == []


def test_words_run_together_stand_for_a_phrase_one_word_longer() -> None:
    assert found("brown sugar and skimmer") == [("skimmer", MILKS[1:])]
    assert found("and a big whole milk") == [("a big", AMOUNTS[1:])]
    assert found("oh god I feel like a kid") == []


def test_phrases_heard_all_wrong_need_every_word_closely_alike() -> None:
    assert found("a triple shot well once dark roast") == [("well once", SIZES[2:])]
    assert found("a bun stuck") == []


def test_overlaps_go_to_the_phrase_with_words_heard_right() -> None:
    assert found("for a bun stock roast latte") == [("stock roast", ROASTS)]


def test_words_the_store_uses_are_not_misheard() -> None:
    assert found("with a milk") == []


def test_overlapping_slots_keep_the_leftmost() -> None:
    text = "a dull shot milk"
    slots = misheard_slots(text, COFFEE)

    assert [text[s.start : s.end] for s in slots] == ["dull shot"]


ADDONS = (*MILKS, "sugar", "sweetener")
LEADING = replace(COFFEE, followers=tuple((amount, ADDONS) for amount in AMOUNTS))


def test_words_after_an_amount_that_are_no_add_on_stand_for_one() -> None:
    def after_amount(text: str) -> list[tuple[str, tuple[str, ...]]]:
        return [(text[s.start : s.end], s.choices) for s in misheard_slots(text, LEADING)]

    assert after_amount("a latte with a bit of sweet.") == [("sweet", ADDONS)]
    assert after_amount("with a lot of, some milk") == [("some milk", ADDONS)]
    assert after_amount("a lot of skim") == [("skim", ADDONS)]
    assert after_amount("a bit of sweet milk") == [
        ("sweet milk", (*MILKS[1:], "milk", "sugar", "sweetener"))
    ], "a milk misheard, or the amount's add-on: the audio chooses among both"
    assert after_amount("a latte with a bit of whole milk") == []
    assert after_amount("a lot of latte") == []
    assert after_amount("some latte with some coffee") == []
    assert after_amount("a cappuccino, for a lot of,") == [
        ("a lot of", tuple(f"a lot of {add_on}" for add_on in ADDONS))
    ]


def test_known_words_before_a_phrase_end_are_misheard_only_when_much_alike() -> None:
    assert found("a shot of espresso and a twenty ounce latte") == []
    assert misheard_slots("some coffee", LEADING) == [], "an amount leads on to what it measures"


def test_a_phrase_before_a_phrase_end_of_another_group_may_stand_for_one_of_its_phrases() -> None:
    text = "a latte, milk shot"
    (slot,) = misheard_slots(text, LEADING)

    assert text[slot.start : slot.end] == "milk shot"
    assert set(slot.choices) == set(SHOTS)
    assert slot.heard_may_stay, "'milk' is not much like 'single': only the audio can tell"


def test_the_words_a_reading_leaves_out_may_stand_for_any_phrase_after_a_lead() -> None:
    leading = replace(COFFEE, leads=("with",))
    tail = misheard_tail("A latte, raspberry.", "a latte,", leading)
    assert tail is not None
    assert "A latte, raspberry."[tail.start : tail.end] == "raspberry"
    assert tail.heard_may_stay
    assert {"skim milk", "with skim milk", "large", "with large"} <= set(tail.choices)


@pytest.mark.parametrize(
    ("heard", "kept"),
    [
        ("I like a lot of sugar", "I like latte with sugar"),
        ("a latte with milk", "a latte with milk."),
        ("a latte", "a latte with milk"),
    ],
)
def test_no_tail_where_the_kept_reading_does_not_begin_the_heard_one(heard: str, kept: str) -> None:
    assert misheard_tail(heard, kept, COFFEE) is None


def test_sounds_alike_uses_spelling_or_sound() -> None:
    assert sounds_alike("dull", "double") >= 0.6
    assert sounds_alike("full", "whole") >= 0.4
    assert sounds_alike("or", "shots") < 0.4


class FakeWhisper:
    """Tokens are words; a scripted log-probability for some words after some prefixes."""

    def __init__(self, likes: dict[tuple[str, ...], dict[str, float]], words: int = 100) -> None:
        """`words`: how many distinct words the texts read back may hold."""
        self.vocabulary: list[str] = []
        self.likes = likes
        self.passes = 0
        self.words = words

    def encode(self, text: str) -> list[int]:
        ids = []
        for word in text.split():
            if word not in self.vocabulary:
                self.vocabulary.append(word)
            ids.append(self.vocabulary.index(word))
        return ids

    def distributions(self, tokens: list[int]) -> list[np.ndarray]:
        self.passes += 1
        rows = []
        for end in range(len(tokens) + 1):
            prefix = tuple(self.vocabulary[t] for t in tokens[:end])
            row = np.full(self.words, -20.0)
            for word, logprob in self.likes.get(prefix, {}).items():
                row[self.encode(word)[0]] = logprob
            rows.append(row)
        return rows


def test_the_choice_the_audio_fits_best_replaces_the_misheard_words() -> None:
    whisper = FakeWhisper({("a",): {"double": -0.5, "single": -2.0, "triple": -3.0}})
    text = "a dull shot latte"

    rewritten = rewrite_slots(
        text, [MisheardSlot(2, 11, SHOTS)], whisper.encode, whisper.distributions
    )

    assert rewritten == "a double shot latte"
    assert whisper.passes == 1


def test_choices_sharing_a_first_word_are_told_apart_by_the_next() -> None:
    whisper = FakeWhisper(
        {
            ("An",): {"iced": -0.2, "house": -3.0},
            ("An", "iced"): {"coffee": -0.3, "mocha": -1.5},
        }
    )

    rewritten = rewrite_slots(
        "An ice coffee.", [MisheardSlot(3, 13, DRINKS[1:])], whisper.encode, whisper.distributions
    )

    assert rewritten == "An iced coffee."
    assert whisper.passes == 2


def test_capitalised_slots_stay_capitalised() -> None:
    whisper = FakeWhisper({(): {"Double": -0.1}})

    assert (
        rewrite_slots(
            "Dull shot.", [MisheardSlot(0, 9, SHOTS)], whisper.encode, whisper.distributions
        )
        == "Double shot."
    )


@pytest.mark.parametrize(
    ("heard", "kept"),
    [
        ("Add milk and eggs. Add milk and eggs.", "Add milk and eggs."),
        ("I want a small coffee. I want a small coffee", "I want a small coffee."),
        ("may have a latte, may have a latte, may have", "may have a latte,"),
        ("yes yes", "yes yes"),
        ("Add milk. Add eggs.", "Add milk. Add eggs."),
    ],
)
def test_a_transcript_written_over_again_is_kept_once(heard: str, kept: str) -> None:
    assert without_repetition(heard) == kept


def test_a_catalog_name_replaces_heard_words_only_when_it_reads_about_as_well() -> None:
    whisper = FakeWhisper(
        {
            ("add",): {"oatmilk": -0.5, "whole": -1.5, "oat": -6.0},
            ("add", "whole"): {"milk": -0.2},
            ("add", "oat"): {"milk": -0.2},
        }
    )
    slot = MisheardSlot(4, 11, ("whole milk", "oat milk"), heard_may_stay=True)

    assert rewrite_slots("add oatmilk", [slot], whisper.encode, whisper.distributions) == (
        "add whole milk"
    )
    far = MisheardSlot(4, 11, ("oat milk",), heard_may_stay=True)
    assert rewrite_slots("add oatmilk", [far], whisper.encode, whisper.distributions) == (
        "add oatmilk"
    )


def test_a_lone_choice_replaces_the_heard_words_only_when_the_audio_allows_it() -> None:
    """With one choice there is nothing to tell apart token by token: "Brewer" (for "brew a")
    is not "brown sugar" just because that is the only phrase it sounds like."""
    whisper = FakeWhisper(
        {
            (): {"brewer": -0.5, "brown": -9.0, "dull": -2.0, "double": -0.5},
            ("brown",): {"sugar": -0.2},
            ("double",): {"shot": -0.1},
            ("dull",): {"shot": -0.1},
        }
    )
    lone = MisheardSlot(0, 6, ("brown sugar",))
    assert rewrite_slots("brewer latte", [lone], whisper.encode, whisper.distributions) == (
        "brewer latte"
    )
    alike = MisheardSlot(0, 9, ("double shot",))
    assert rewrite_slots("dull shot latte", [alike], whisper.encode, whisper.distributions) == (
        "double shot latte"
    )


def test_of_many_choices_only_the_likeliest_few_are_read_as_whole_sentences() -> None:
    whisper = FakeWhisper({("a",): {"double": -0.5, "dull": -1.0}, ("a", "double"): {"shot": -0.1}})
    many = tuple(f"{word} shot" for word in ("double", *(f"w{n}" for n in range(20))))
    batches: list[int] = []

    def plain(token_lists: list[list[int]]) -> list[list[np.ndarray]]:
        batches.append(len(token_lists))
        return [whisper.distributions(tokens) for tokens in token_lists]

    slot = MisheardSlot(2, 11, many, heard_may_stay=True)
    rewritten = rewrite_slots("a dull shot", [slot], whisper.encode, whisper.distributions, plain)

    assert rewritten == "a double shot"
    assert batches == [MAX_SENTENCES + 1]
