"""No utterance makes the parser raise: hostile words, lone separators, random text."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceshop.catalog.resolve import open_store
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher


@cache
def grocery_parser() -> IntentParser:
    store = open_store("grocery", None)
    return IntentParser(store, products=ProductMatcher(store, Normalizer(load_language())))


@cache
def grammar_words() -> list[str]:
    """Every word of the sentence templates, the language data and a few product names."""
    parser = grocery_parser()
    language = parser.language
    texts = [t for _, templates in parser.sentences.intents for t in templates]
    texts += list(parser.sentences.rules.values())
    texts += [*language.item_separators, *language.edge_fillers, *language.stopwords]
    texts += [*language.numbers.units, *language.numbers.scales, *language.numbers.phrases]
    texts += [*language.units, *language.numbers.misheard, ",", "&", "%", "$6", "2%"]
    texts += [p.name for p in open_store("grocery", None).products[:20]]
    words = {w for text in texts for w in text.replace("|", " ").split()}
    return sorted(w.strip("()[]<>{}") or w for w in words)


@pytest.mark.parametrize("text", ["and", "also", "and then", "&", ", ,", "and and", "a", "of"])
def test_lone_connectors_parse_without_error(text: str) -> None:
    grocery_parser().parse(text)


_FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FAST
@given(st.text(max_size=40))
def test_random_text_never_raises(text: str) -> None:
    grocery_parser().parse(text)


@_FAST
@given(st.lists(st.sampled_from(grammar_words()), max_size=8))
def test_random_grammar_words_never_raise(words: list[str]) -> None:
    grocery_parser().parse(" ".join(words))


_THOROUGH = settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.slow
@_THOROUGH
@given(st.text(max_size=200))
def test_random_text_never_raises_in_5000_examples(text: str) -> None:
    grocery_parser().parse(text)


@pytest.mark.slow
@_THOROUGH
@given(st.lists(st.sampled_from(grammar_words()), max_size=20))
def test_random_grammar_words_never_raise_in_5000_examples(words: list[str]) -> None:
    grocery_parser().parse(" ".join(words))
