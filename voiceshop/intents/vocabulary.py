"""The store's spoken vocabulary, compiled from the catalog and the sentence templates.

The same grammar that drives the parser constrains or prompts the recognizer: every literal
template word, every number word, and every product name, alias, option value and amount.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from voiceshop.catalog.model import Store
from voiceshop.intents.parser import IntentParser
from voiceshop.language import LanguageData
from voiceshop.matching import ProductMatcher
from voiceshop.matching.words import slot_sound_key
from voiceshop.rescoring.protocol import Vocabulary
from voiceshop.rescoring.store_reading import StoreReading

_TEMPLATE_WORDS = re.compile(r"[^\W\d_](?:[^\W\d_]|')*")


SLOT_GROUP_LIMIT = 500
"""Product names form a slot group only in stores with at most this many names and aliases."""


def store_vocabulary(
    store: Store, parser: IntentParser, matcher: ProductMatcher | None = None
) -> Vocabulary:
    """Phrases (names, aliases, option values; command phrases last), all their words, the
    groups of phrases that fill the same slot (see `slot_groups`), and the store's grammar and
    catalog as the recognizer asks them about a transcript (`StoreReading`, with `matcher`, or
    a new matcher for the store)."""
    normalize = parser.normalizer.normalize
    said: list[str] = []
    for product in store.products:
        said.append(product.name)
        said.extend(product.aliases)
    for group in store.option_groups.values():
        said.extend(group.amounts)
        for option in group.values:
            said.append(option.value)
            said.extend(option.aliases)
    phrases = _distinct(normalize(s) for s in said)
    written = (
        _distinct(s.lower() for s in said) if parser.language.prompt_spelling == "written" else ()
    )
    words = {w for phrase in phrases for w in phrase.split()}
    words |= _template_words(parser)
    vocabulary = Vocabulary(
        phrases,
        frozenset(words),
        slot_groups(store, normalize),
        followers(store, normalize),
        parser.language.add_on_leads,
        sound_key=slot_sound_key(parser.language),
        written=written,
    )
    matcher = matcher or ProductMatcher(store, parser.normalizer)
    return replace(vocabulary, reader=StoreReading(store, vocabulary, parser, matcher))


def _prompt_phrases(said: list[str], language: LanguageData) -> tuple[str, ...]:
    """The catalog's words as written (lowercase), for a language that prompts them so; else
    none (the normal forms are prompted)."""
    if language.prompt_spelling != "written":
        return ()
    return _distinct(s.lower() for s in said)


def slot_groups(store: Store, normalize: Callable[[str], str]) -> tuple[tuple[str, ...], ...]:
    """Each option group's values (with aliases), every amount, and the product names (with
    aliases) when there are at most SLOT_GROUP_LIMIT of them; groups of one are left out."""
    groups = [
        _distinct(normalize(s) for option in group.values for s in (option.value, *option.aliases))
        for group in store.option_groups.values()
    ]
    groups.append(_distinct(normalize(a) for g in store.option_groups.values() for a in g.amounts))
    if sum(1 + len(p.aliases) for p in store.products) <= SLOT_GROUP_LIMIT:
        groups.append(_distinct(normalize(s) for p in store.products for s in (p.name, *p.aliases)))
    return tuple(group for group in groups if len(group) > 1)


def followers(
    store: Store, normalize: Callable[[str], str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each add-on amount with the values (and aliases) of every add-on group it measures."""
    values: dict[str, list[str]] = {}
    for group in store.option_groups.values():
        said = [normalize(s) for option in group.values for s in (option.value, *option.aliases)]
        for amount in group.amounts:
            values.setdefault(normalize(amount), []).extend(said)
    return tuple((amount, _distinct(said)) for amount, said in values.items() if amount)


def _distinct(phrases: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in phrases if p))


def _template_words(parser: IntentParser) -> set[str]:
    language = parser.language
    sources = [*parser.sentences.rules.values()]
    sources += [t for _, templates in parser.sentences.intents for t in templates]
    words: set[str] = set()
    for source in sources:
        literal = re.sub(r"\{[^}]+\}|<[^>]+>", " ", source)
        words.update(
            parser.normalizer.normalize(" ".join(_TEMPLATE_WORDS.findall(literal))).split()
        )
    numbers = language.numbers
    for table in (numbers.units, numbers.tens, numbers.scales, numbers.phrases, numbers.ordinals):
        words.update(w for key in table for w in key.split())
    for unit, plural in language.units.items():
        words.update(unit.split() + plural.split())
    return words
