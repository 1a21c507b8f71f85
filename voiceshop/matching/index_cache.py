"""Saved word indexes, so that a restart loads a large catalog's index instead of building it.

One file per catalog in a cache folder, named by a hash of everything the index is made from:
the products' names, brands and aliases, the language data, and the code that turns them into
words. A file that cannot be read, or that was made from something else, is built again with a
warning; a file that cannot be written only costs the next start its speed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from voiceshop.catalog.model import Product
from voiceshop.language import normalize, numbers
from voiceshop.matching import index, spelling, words
from voiceshop.matching.index import CatalogIndex
from voiceshop.matching.words import MatchWords

CACHE_MIN_PRODUCTS = 20_000
"""Smaller catalogs are indexed about as fast as a saved index is loaded: they are not saved."""
KEEP_FILES = 4
"""How many index files the folder keeps, the most recently used."""
INDEX_CODE: tuple[ModuleType, ...] = (normalize, numbers, words, index, spelling)
"""The modules whose code decides what an index holds."""
SUFFIX = ".npz"
KEY_ARRAY = "catalog_key"
UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)
"""What reading a damaged or foreign index file raises."""

_LOGGER = logging.getLogger(__name__)


class IndexCache:
    """A folder of saved indexes, one per catalog."""

    def __init__(self, folder: Path, min_products: int = CACHE_MIN_PRODUCTS) -> None:
        self.folder = folder
        self.min_products = min_products

    @classmethod
    def default(cls) -> IndexCache:
        """The user's cache folder: `$XDG_CACHE_HOME/voiceshop/match-index` (or ~/.cache)."""
        cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return cls(cache_home / "voiceshop" / "match-index")

    def path_for(self, products: Sequence[Product], match_words: MatchWords) -> Path:
        """Where the index of `products` is saved."""
        return self.folder / f"{catalog_key(products, match_words)}{SUFFIX}"

    def load_or_build(self, products: Sequence[Product], match_words: MatchWords) -> CatalogIndex:
        """The saved index of `products` if there is a good one, else a new one (then saved)."""
        if len(products) < self.min_products:
            return CatalogIndex.build(products, match_words)
        key = catalog_key(products, match_words)
        path = self.folder / f"{key}{SUFFIX}"
        if path.exists():
            try:
                return _load(path, key, products, match_words)
            except UNREADABLE as exc:
                _LOGGER.warning(
                    "The match index %s is unusable (%s); building it again.", path, exc
                )
        built = CatalogIndex.build(products, match_words)
        self._save(path, key, built)
        return built

    def _save(self, path: Path, key: str, built: CatalogIndex) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, {**built.arrays(), KEY_ARRAY: np.array(key)})
        except OSError as exc:
            _LOGGER.warning("Cannot save the match index in %s (%s).", self.folder, exc)
            return
        self._forget_old_files()

    def _forget_old_files(self) -> None:
        """Delete all but the KEEP_FILES most recently used index files."""
        saved = sorted(self.folder.glob(f"*{SUFFIX}"), key=_used_at, reverse=True)
        for old in saved[KEEP_FILES:]:
            old.unlink(missing_ok=True)


def catalog_key(products: Sequence[Product], match_words: MatchWords) -> str:
    """A hash of what an index of `products` is made from: their names, brands, sizes and
    aliases, the language data and the code that makes words of them."""
    digest = hashlib.blake2b(digest_size=20)
    language = dataclasses.asdict(match_words.normalizer.language)
    digest.update(json.dumps(language, sort_keys=True, default=sorted).encode())
    for module in INDEX_CODE:
        digest.update(Path(module.__file__ or "").read_bytes())
    names = "\x1e".join(
        "\x1f".join((p.name, p.brand, p.size, *p.aliases)) + f"\x1f{len(p.aliases)}"
        for p in products
    )
    digest.update(names.encode())
    return digest.hexdigest()


def _load(
    path: Path, key: str, products: Sequence[Product], match_words: MatchWords
) -> CatalogIndex:
    with np.load(path, allow_pickle=False) as saved:
        arrays = {name: saved[name] for name in saved.files}
    if str(arrays.pop(KEY_ARRAY)) != key:
        raise ValueError("it was made from another catalog")
    loaded = CatalogIndex(products, match_words, arrays)
    with contextlib.suppress(OSError):
        os.utime(path)
    return loaded


def _write_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write `arrays` to `path`: readers see the old file or the whole new one."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        # Any: savez's own keyword (allow_pickle) shares the namespace of the array names, so a
        # typed dict of arrays cannot be checked against it; the names here are index fields.
        named: dict[str, Any] = dict(arrays)
        with os.fdopen(descriptor, "wb") as file:
            np.savez(file, **named)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _used_at(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
