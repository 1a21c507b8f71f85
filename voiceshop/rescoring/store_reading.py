"""The store's side of rescoring: one `StoreReader` made of the store's grammar and catalog."""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.catalog.model import Store
from voiceshop.intents.parser import IntentParser
from voiceshop.matching import MatchOutcome, ProductMatcher
from voiceshop.rescoring.catalog_slots import CatalogSlots
from voiceshop.rescoring.order_slots import OrderSlots
from voiceshop.rescoring.protocol import MisheardSlot, Understood, Vocabulary


class StoreReading:
    """A `StoreReader` for one store: misheard stretches by its order grammar (`OrderSlots`)
    over its slot groups and unclear product phrases (`CatalogSlots`), names and readings by
    its catalog, and how far its parser and matcher understand a transcript."""

    def __init__(
        self, store: Store, vocabulary: Vocabulary, parser: IntentParser, matcher: ProductMatcher
    ) -> None:
        self._parser = parser
        self._matcher = matcher
        self._catalog = CatalogSlots(vocabulary, parser, matcher)
        self._grammar = OrderSlots(store, parser, vocabulary.words, matcher.score, self._catalog)

    def misheard(self, text: str) -> Sequence[MisheardSlot]:
        return self._grammar(text)

    def names_for(self, text: str) -> Sequence[str]:
        return self._catalog.names_for(text)

    def with_products_of(self, text: str, again: str) -> str:
        return self._catalog.with_products_of(text, again)

    def twin_readings(self, text: str) -> Sequence[str]:
        return self._catalog.twin_readings(text)

    def understanding(self, text: str) -> Understood:
        intent = self._parser.parse(text)
        if intent is None or not intent.items:
            return Understood.NO_PRODUCTS
        outcomes = {self._matcher.match(item.phrase).outcome for item in intent.items}
        if MatchOutcome.NOT_FOUND in outcomes:
            return Understood.MISSING
        return Understood.UNCLEAR if MatchOutcome.AMBIGUOUS in outcomes else Understood.CLEAR
