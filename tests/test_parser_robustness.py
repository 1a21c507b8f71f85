"""No utterance makes the parser raise: hostile words, lone separators, random text."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.storage.stores import open_store


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


class _CountingNames:
    """The grocery matcher as the parser's phrase scorer, counting the words of each phrase
    it is asked about: the parser's share of the work, whatever the machine's speed."""

    def __init__(self, matcher: ProductMatcher) -> None:
        self._matcher = matcher
        self.words = 0

    def _asked(self, phrase: str) -> None:
        self.words += len(phrase.split())

    def score(self, phrase: str) -> float:
        self._asked(phrase)
        return self._matcher.score(phrase)

    def product_id(self, phrase: str) -> str | None:
        self._asked(phrase)
        return self._matcher.product_id(phrase)

    def product_name(self, phrase: str) -> str | None:
        self._asked(phrase)
        return self._matcher.product_name(phrase)

    def sold_by(self, phrase: str, unit: str) -> str | None:
        self._asked(phrase)
        return self._matcher.sold_by(phrase, unit)


def _words_scored(pattern: str, words: int) -> int:
    store = open_store("grocery", None)
    names = _CountingNames(ProductMatcher(store, Normalizer(load_language())))
    IntentParser(store, products=names).parse(" ".join((pattern * words).split()[:words]))
    return names.words


@pytest.mark.parametrize("pattern", ["things. ", "hello. ", "add a lemon. ", "yes. ", "x. "])
def test_reading_many_sentences_grows_linearly(pattern: str) -> None:
    """Many short sentences, up to the word limit: twice the words, at most about twice the
    phrase words scored (reading every leading part of "things. things. ..." scored 4 times
    as many). Still quadratic, and small: leading carrier words ("oh oh oh ...", 1,830 words
    scored at 60) and names joined by "and" ("make and make and ...", 841)."""
    half, whole = (_words_scored(pattern, n) for n in (30, 60))
    assert whole <= 2.5 * half, (half, whole)
