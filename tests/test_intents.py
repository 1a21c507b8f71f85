"""The intent parser against sentences written as data (tests/intents/en.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from support.cases import sentence_cases
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.templates import TemplateCompiler, TemplateError
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.storage.stores import open_store

CASES = sentence_cases(Path(__file__).parent / "intents" / "en.yaml")


@cache
def parser_for(store_name: str) -> IntentParser:
    store = open_store(store_name, None)
    matcher = ProductMatcher(store, Normalizer(load_language()))
    return IntentParser(store, products=matcher)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["say"] or "(empty)")
def test_sentence(case: dict) -> None:
    intent = parser_for(case.get("store", "grocery")).parse(case["say"])
    if case["intent"] is None:
        assert intent is None
        return
    assert intent is not None, f"not understood: {case['say']!r}"
    assert intent.name == case["intent"]
    if "items" in case:
        read = [[i.phrase, i.quantity, i.unit, i.options] for i in intent.items]
        expected = [[*e, *[None, "", {}][len(e) - 1 :]][:4] for e in case["items"]]
        assert read == expected
    for attribute in ("product", "quantity", "ordinal", "implicit"):
        if attribute in case:
            assert getattr(intent, attribute) == case[attribute]


def test_sentence_data_quotes_yes_and_no() -> None:
    names = [name for name, _ in parser_for("grocery").sentences.intents]
    assert "Yes" in names and "No" in names


@pytest.mark.parametrize(
    "template", ["(add|put milk", "add milk]", "<nope> milk", "{a} and {a}"], ids=str
)
def test_malformed_templates_are_refused(template: str) -> None:
    compiler = TemplateCompiler({}, {}, Normalizer(load_language()).normalize)
    with pytest.raises(TemplateError):
        compiler.compile(template)


def test_template_slots_and_optional_words() -> None:
    compiler = TemplateCompiler(
        {"verb": "(add|put)"}, {"colour": ["red", "green"]}, Normalizer(load_language()).normalize
    )
    template = compiler.compile("<verb> [the] {colour} {thing} [please]")
    assert template.match("put the green apples") == {"colour": "green", "thing": "apples"}
    assert template.match("add red , pears please") == {"colour": "red", "thing": "pears"}
    assert template.match("remove red apples") is None


def test_commas_may_follow_every_word_of_a_rule_used_twice() -> None:
    """Rules are built once per compiler and alternatives take their commas after the group:
    a comma still fits after any word, and each use of the rule reads on its own."""
    compiler = TemplateCompiler(
        {"yes": "(yes|yeah|of course)", "verb": "(add|put in)"},
        {},
        Normalizer(load_language()).normalize,
    )
    template = compiler.compile("<yes> [<yes>] <verb> {thing} [(please|thanks)]")
    assert template.match("yes , yeah , put , in , eggs , please") == {"thing": "eggs ,"}
    assert template.match(", of , course add bread") == {"thing": "bread"}
    assert template.match("yeah of course of course add milk") is None
    again = compiler.compile("<verb> <yes>")
    assert again.match("put in yeah ,") == {}
    assert again.match("put yeah") is None


@dataclass(frozen=True)
class ScoredNames:
    """Product names as a parser asks about them: a score per phrase, and the product each
    phrase names best (the phrase itself unless `products` says otherwise)."""

    scores: dict[str, float]
    products: dict[str, str] = field(default_factory=dict)

    def score(self, phrase: str) -> float:
        return self.scores.get(phrase, 0.0)

    def product_id(self, phrase: str) -> str | None:
        return self.products.get(phrase, phrase) if phrase in self.scores else None

    def product_name(self, phrase: str) -> str | None:
        return self.product_id(phrase)

    def sold_by(self, phrase: str, unit: str) -> str | None:
        return None


def item_phrases(names: ScoredNames) -> Callable[[str], list[str]]:
    """The item phrases a parser reads from a text, asking `names` about product words."""
    parser = IntentParser(products=names)

    def phrases(text: str) -> list[str]:
        intent = parser.parse(text)
        assert intent is not None
        return [item.phrase for item in intent.items]

    return phrases


def test_a_part_naming_nothing_alone_belongs_to_the_name_around_it() -> None:
    """A misheard "herb and wild mushroom rice" names one product; "bananas and zorblax" two."""
    scores = {
        "herb": 0.3,
        "wild mushroom rice": 0.8,
        "herb and wild mushroom rice": 0.75,
        "bananas": 0.9,
        "zorblax": 0.0,
        "bananas and zorblax": 0.4,
    }
    phrases = item_phrases(ScoredNames(scores))

    assert phrases("add herb and wild mushroom rice") == ["herb and wild mushroom rice"]
    assert phrases("add bananas and zorblax") == ["bananas", "zorblax"]


def test_parts_with_and_between_are_one_product_when_that_is_the_likelier_reading() -> None:
    """Misheard, "sea salt and burger maked corn" and "sea salt and butter maked corn" each name
    one product, and "low and green tea scented hand soap" the soap, as "low" alone names
    nothing well; "salt and vinegar chips and macaroni" are two items, as together they name
    only the chips and "macaroni" alone names a product fairly well; so are "apples and purple
    stuff", as together they name nothing fairly well."""
    corn = "Sea Salt & Butter Baked Corn"
    scores = {
        "sea salt": 1.0,
        "burger maked corn": 0.53,
        "sea salt and burger maked corn": 0.77,
        "butter maked corn": 0.73,
        "sea salt and butter maked corn": 0.95,
        "corn": 0.9,
        "salt and vinegar chips": 1.0,
        "macaroni": 0.79,
        "salt and vinegar chips and macaroni": 0.8,
        "low": 0.66,
        "green tea scented hand soap": 0.9,
        "low and green tea scented hand soap": 0.84,
        "apples": 1.0,
        "purple stuff": 0.55,
        "apples and purple stuff": 0.6,
        "stuff": 0.5,
    }
    products = {
        "sea salt and burger maked corn": corn,
        "butter maked corn": corn,
        "sea salt and butter maked corn": corn,
        "salt and vinegar chips and macaroni": "salt and vinegar chips",
        "low and green tea scented hand soap": "green tea scented hand soap",
    }
    phrases = item_phrases(ScoredNames(scores, products))

    assert phrases("add sea salt and burger maked corn") == ["sea salt and burger maked corn"]
    assert phrases("add sea salt and butter maked corn") == ["sea salt and butter maked corn"]
    assert phrases("add low and green tea scented hand soap") == [
        "low and green tea scented hand soap"
    ]
    assert phrases("add salt and vinegar chips and macaroni") == [
        "salt and vinegar chips",
        "macaroni",
    ]
    assert phrases("add apples and purple stuff") == ["apples", "purple stuff"]
