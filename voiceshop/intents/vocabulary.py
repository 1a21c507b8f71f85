"""The store's spoken vocabulary, compiled from the catalog and the sentence templates.

The same grammar that drives the parser constrains or prompts the recognizer: every literal
template word, every number word, and every product name, alias, option value and amount.
"""

from __future__ import annotations

import re

from voiceshop.catalog.model import Store
from voiceshop.intents.parser import IntentParser
from voiceshop.recognizer.base import Vocabulary

_TEMPLATE_WORDS = re.compile(r"[a-z][a-z']*")


def store_vocabulary(store: Store, parser: IntentParser) -> Vocabulary:
    """Phrases (names, aliases, option values; command phrases last) and all their words."""
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
    phrases = list(dict.fromkeys(p for p in (normalize(s) for s in said) if p))
    words = {w for phrase in phrases for w in phrase.split()}
    words |= _template_words(parser)
    return Vocabulary(phrases=tuple(phrases), words=frozenset(words))


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
