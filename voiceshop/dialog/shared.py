"""Stores and what understands them, built once and shared by many conversations.

A server holds hundreds of conversations; each would otherwise load its store and compile the
sentence templates again (0.1-0.3 s and about a megabyte each). The store, its product matcher
and its intent parser are not changed by a conversation once built, so conversations used from
one thread (the server's dialog thread) can share them. A store imported into the database
while they are shared is seen by conversations started after `forget()`.
"""

from __future__ import annotations

from voiceshop.catalog.model import Store
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import MatchSettings, ProductMatcher
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.stores import open_store


class SharedStores:
    """Stores by the name they were asked for, and each store's matcher and parser."""

    def __init__(self, db: ShopDatabase, match: MatchSettings | None = None) -> None:
        self._db = db
        self._match = match or MatchSettings()
        self._stores: dict[str, Store] = {}
        self._understanding: dict[tuple[str, str], tuple[ProductMatcher, IntentParser]] = {}

    def store(self, spec: str) -> Store:
        """The store `spec` names (as `open_store` finds it), loaded once."""
        if spec not in self._stores:
            store = open_store(spec, self._db)
            self._stores[spec] = self._stores.setdefault(store.id, store)
        return self._stores[spec]

    def understanding(self, store: Store, language: str) -> tuple[ProductMatcher, IntentParser]:
        """The store's product matcher and the intent parser built on it for `language`, made
        once."""
        key = (store.id, language)
        if key not in self._understanding:
            matcher = ProductMatcher(store, Normalizer(load_language(language)), self._match)
            parser = IntentParser(store, language, products=matcher)
            self._understanding[key] = (matcher, parser)
        return self._understanding[key]

    def forget(self) -> None:
        """Load stores again from the next conversation on (after a catalog import)."""
        self._stores.clear()
        self._understanding.clear()
