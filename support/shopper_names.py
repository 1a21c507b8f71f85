"""The shopper product-naming corpus (tests/shopper_names/): how people name products out loud.

Each phrase says which product a clerk would hand over (one id), which products it would ask
about (several ids), or that the store does not carry it. `load_names("tune")` or
`load_names("check")` reads one half of every store, refusing unknown keys, unknown product ids
and malformed entries with the file and phrase named.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from voiceshop.catalog.store_file import load_store_file

CORPUS_DIR = Path(__file__).resolve().parent.parent / "tests" / "shopper_names"
STORES_DIR = Path(__file__).resolve().parent.parent / "voiceshop" / "data" / "stores"
HALVES = ("tune", "check")
NOT_CARRIED = "not carried"
_FILE_KEYS = frozenset({"store", "phrases"})
_PHRASE_KEYS = frozenset({"say", "expect", "why"})


class CorpusError(ValueError):
    """A corpus file breaks the format; the message names the file and the phrase."""


@dataclass(frozen=True)
class NamedPhrase:
    """Product words as a shopper says them, and what a fair clerk would do with them."""

    store: str
    say: str
    expect_ids: tuple[str, ...]
    """One id: hand it over; several: ask between them; none: not carried."""
    not_carried: bool

    @property
    def is_ask(self) -> bool:
        """Several products fit about equally, so the clerk asks."""
        return len(self.expect_ids) > 1


def load_names(half: str) -> list[NamedPhrase]:
    """All phrases of one half ("tune" or "check") across the stores, in file order."""
    if half not in HALVES:
        raise CorpusError(f"unknown half {half!r}: expected one of {', '.join(HALVES)}")
    phrases: list[NamedPhrase] = []
    for path in sorted((CORPUS_DIR / half).glob("*.yaml")):
        phrases.extend(load_file(path))
    return phrases


def load_file(path: Path) -> list[NamedPhrase]:
    """The phrases of one corpus file, checked against its store's catalog."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise CorpusError(f"{path}: expected a mapping with 'store' and 'phrases'")
    _check_keys(document, _FILE_KEYS, f"{path}")
    store = document.get("store")
    entries = document.get("phrases")
    if not isinstance(store, str) or not isinstance(entries, list):
        raise CorpusError(f"{path}: 'store' must be a store id and 'phrases' a list")
    known = catalog_ids(store)
    return [
        _phrase(entry, store, known, f"{path} phrase {n}") for n, entry in enumerate(entries, 1)
    ]


def catalog_ids(store: str) -> frozenset[str]:
    """The product ids of a bundled store, read by voiceshop's own store loader."""
    return frozenset(
        product.id for product in load_store_file(STORES_DIR / f"{store}.yaml").products
    )


def _phrase(entry: Any, store: str, known: frozenset[str], where: str) -> NamedPhrase:
    if not isinstance(entry, dict):
        raise CorpusError(f"{where}: expected a mapping with 'say' and 'expect'")
    say = entry.get("say")
    if not isinstance(say, str) or not say.strip():
        raise CorpusError(f"{where}: 'say' must be non-empty text")
    where = f"{where} ({say!r})"
    _check_keys(entry, _PHRASE_KEYS, where)
    if "why" in entry and not isinstance(entry["why"], str):
        raise CorpusError(f"{where}: 'why' must be text")
    expect = entry.get("expect")
    if expect == NOT_CARRIED:
        return NamedPhrase(store, say, (), not_carried=True)
    ids = _expect_ids(expect, where)
    unknown = [product_id for product_id in ids if product_id not in known]
    if unknown:
        raise CorpusError(
            f"{where}: unknown product id(s) in store {store!r}: {', '.join(unknown)}"
        )
    return NamedPhrase(store, say, ids, not_carried=False)


def _expect_ids(expect: Any, where: str) -> tuple[str, ...]:
    if isinstance(expect, str) and expect:
        return (expect,)
    if (
        isinstance(expect, list)
        and len(expect) > 1
        and all(isinstance(item, str) and item for item in expect)
        and len(set(expect)) == len(expect)
    ):
        return tuple(expect)
    raise CorpusError(
        f"{where}: 'expect' must be a product id, a list of two or more distinct ids, "
        f"or {NOT_CARRIED!r}"
    )


def _check_keys(mapping: dict[Any, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(str(key) for key in mapping if key not in allowed)
    if unknown:
        raise CorpusError(f"{where}: unknown key(s) {', '.join(unknown)}")
