"""Chat spellings ("kinda", "u", "n") and words with a letter held ("sooo", "yesss") read as the
words they stand for (`everyday_spellings` and `drawn_out` in language.yaml)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.storage.stores import open_store


def normal(text: str) -> str:
    return Normalizer(load_language("en")).normalize(text)


def parser() -> IntentParser:
    store = open_store("grocery", None)
    return IntentParser(store, products=ProductMatcher(store, Normalizer(load_language())))


@pytest.fixture
def spellings_off() -> Iterator[None]:
    Normalizer.everyday_spellings = False
    yield
    Normalizer.everyday_spellings = True


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("hmmmm ok", "hmm ok"),
        ("yesssss", "yes"),
        ("nooo thanks", "no thanks"),
        ("okaaay sooo", "okay so"),
        ("pleeeeease", "please"),
        ("what sorta bread u got", "what sort of bread you got"),
        ("mac 'n' cheese n crackers", "mac and cheese and crackers"),
    ],
)
def test_chat_spellings_read_as_words(said: str, meant: str) -> None:
    assert normal(said) == meant


def test_other_words_keep_their_letters() -> None:
    assert normal("too to cool zzzquil brrr") == "too to cool zzzquil brrr"


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("yesss", "Yes"),
        ("ummmm add a lemon", "AddItems"),
        ("what kinda cheese do u have", "ListKinds"),
        ("thx", "Thanks"),
    ],
)
def test_requests_in_chat_spelling_are_understood(said: str, intent: str) -> None:
    read = parser().parse(said)
    assert read is not None and read.name == intent


@pytest.mark.usefixtures("spellings_off")
def test_the_lever_off_keeps_the_spellings() -> None:
    assert normal("yesss kinda") == "yesss kinda"
