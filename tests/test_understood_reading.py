"""Taking the reading the store understands: the grammar chooses among the beam's readings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.test_slot_rescoring import FakeWhisper
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.matching import ProductMatcher
from voiceshop.rescoring.protocol import Understood, Vocabulary
from voiceshop.rescoring.reading_policy import UNDERSTOOD_MARGIN, ReadingPolicy
from voiceshop.storage.stores import open_store


@pytest.fixture(scope="module")
def coffee() -> Vocabulary:
    store = open_store("coffee", None)
    matcher = ProductMatcher(store, IntentParser(store).normalizer)
    return store_vocabulary(store, IntentParser(store, products=matcher), matcher)


@pytest.mark.parametrize(
    ("said", "understood"),
    [
        ("I'd like a latte with sugar", Understood.CLEAR),
        ("I like a lot of sugar and a bit of whole milk", Understood.MISSING),
        ("a large latte and an espresso", Understood.CLEAR),
        ("a cappuccino, raspberry", Understood.MISSING),
        ("yes", Understood.NO_PRODUCTS),
        ("check out", Understood.NO_PRODUCTS),
    ],
)
def test_understanding_of_a_transcript(
    coffee: Vocabulary, said: str, understood: Understood
) -> None:
    assert coffee.reader is not None
    assert coffee.reader.understanding(said) is understood


def decoder_for(vocabulary: Vocabulary, whisper: FakeWhisper | None = None) -> ReadingPolicy:
    """The policy over a decoder whose token ids are the texts themselves (only the choice is
    tested), reading texts back with `whisper`'s scripted log-probabilities."""
    whisper = whisper or FakeWhisper({})
    decoder = SimpleNamespace(
        text=lambda tokens: tokens[0],
        token_ids=whisper.encode,
        distributions=lambda _, tokens, **__: whisper.distributions(tokens),
        readings=lambda _, lists, **__: [whisper.distributions(t) for t in lists],
    )
    return ReadingPolicy(decoder, vocabulary)  # type: ignore[arg-type]


def readings(*texts: str, scores: tuple[float, ...] = ()) -> SimpleNamespace:
    """Beam results, likeliest first (each 0.1 less likely than the one before by default)."""
    return SimpleNamespace(
        sequences_ids=[[text] for text in texts],
        scores=list(scores) or [-0.3 - 0.1 * n for n in range(len(texts))],
    )


def test_a_reading_missing_a_product_gives_way_to_a_clear_one(coffee: Vocabulary) -> None:
    decoder = decoder_for(coffee)
    beam = readings(
        "I like a lot of sugar, and a bit of whole milk.",
        "I like a lot of sugar and a bit of whole milk.",
        "I like latte with sugar, and a bit of whole milk.",
    )
    understood = decoder.understood_reading(beam, None)
    assert understood == "I like latte with sugar, and a bit of whole milk."


@pytest.mark.parametrize(
    "first",
    [
        "I'd like a drip coffee with a bit of sweetener.",
        "Yes.",
    ],
)
def test_the_likeliest_reading_stays_unless_it_misses_a_product(
    coffee: Vocabulary, first: str
) -> None:
    decoder = decoder_for(coffee)
    beam = readings(first, "I'd like a drip, coffee with a bit of sweetener.", "Add a latte.")
    assert decoder.understood_reading(beam, None) == first


def test_without_a_clear_reading_the_likeliest_stays(coffee: Vocabulary) -> None:
    decoder = decoder_for(coffee)
    beam = readings("Blue and iced coffee.", "brew on iced coffee.")
    assert decoder.understood_reading(beam, None) == "Blue and iced coffee."


def test_a_clear_reading_far_less_likely_is_not_taken(coffee: Vocabulary) -> None:
    decoder = decoder_for(coffee)
    beam = readings("you", "Add a latte.", scores=(-0.6, -0.6 - UNDERSTOOD_MARGIN - 0.1))
    assert decoder.understood_reading(beam, None) == "you"


@pytest.mark.parametrize(
    ("with_likes", "understood"),
    [(-0.5, "I want a cappuccino, with cream."), (-9.0, "I want a cappuccino,")],
)
def test_words_a_clear_reading_leaves_out_are_read_again_as_a_store_phrase(
    coffee: Vocabulary, with_likes: float, understood: str
) -> None:
    """ "raspberry" is no product: the clear reading drops it, unless the audio reads it about
    as well as one of the store's phrases, which then takes its place."""
    said = ("I", "want", "a", "cappuccino,")
    whisper = FakeWhisper(
        {
            said: {"raspberry": -1.0, "with": with_likes},
            (*said, "raspberry"): {".": -0.1},
            (*said, "with"): {"cream": -0.3},
            (*said, "with", "cream"): {".": -0.1},
        }
    )
    decoder = decoder_for(coffee, whisper)
    beam = readings("I want a cappuccino, raspberry.", "I want a cappuccino,")
    assert decoder.understood_reading(beam, None) == understood
