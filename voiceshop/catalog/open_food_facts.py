"""Read an Open Food Facts product list (a `barcode,product_name` CSV) into a `Store`.

The list is noisy, so rows that cannot be products are skipped and counted by reason: an empty
name, a name in another script (no Latin letters), a name of fewer than two Latin letters
(digits and signs only, "c"), a barcode that is not 8 to 14 digits, a barcode listed before, a
row without a name field. Names are kept as written (French and Spanish names, "Brand, Product"),
apart from runs of spaces collapsed. Ids are the barcodes; prices are unknown.
"""

from __future__ import annotations

import csv
import logging
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from voiceshop.catalog.model import Product, Store
from voiceshop.catalog.store_file import is_valid_store_id
from voiceshop.errors import CatalogError

COLUMNS = ("barcode", "product_name")
STORE_ID = "open-food-facts"
STORE_NAME = "Open Food Facts"
PROGRESS_EVERY = 5000
"""Rows read between two calls of the progress callback."""
BARCODE_DIGITS = range(8, 15)
"""GTIN lengths: EAN-8, UPC-A (12), EAN-13, GTIN-14."""

_LOGGER = logging.getLogger(__name__)


class Skip(StrEnum):
    """Why a row is not imported."""

    EMPTY_NAME = "with an empty name"
    OTHER_SCRIPT = "with a name in another script (no Latin letters)"
    TOO_FEW_LETTERS = "with a name of fewer than two Latin letters"
    BAD_BARCODE = "with a barcode that is not 8 to 14 digits"
    REPEATED_BARCODE = "with a barcode listed before"
    MISSING_FIELD = "without a name field"


@dataclass
class ReadReport:
    """How many rows a product list had and which were skipped, by reason."""

    rows: int = 0
    skipped: Counter[Skip] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line: rows imported and skipped, with the reasons, most frequent first."""
        imported = self.rows - self.skipped.total()
        line = f"imported {imported:,} of {self.rows:,} rows"
        if not self.skipped:
            return line
        reasons = ", ".join(f"{count:,} {reason}" for reason, count in self.skipped.most_common())
        return f"{line}; skipped {self.skipped.total():,}: {reasons}"


def is_open_food_facts_header(columns: set[str]) -> bool:
    """Whether a CSV header names the columns of an Open Food Facts product list."""
    return set(COLUMNS) <= columns


def read_open_food_facts(
    path: Path,
    *,
    store_id: str = STORE_ID,
    name: str = STORE_NAME,
    progress: Callable[[int], None] | None = None,
    on_report: Callable[[ReadReport], None] | None = None,
) -> Store:
    """Read the product list at `path`; the skipped rows are logged as a warning.

    `progress`, if given, is called with the number of rows read so far every
    `PROGRESS_EVERY` rows and once at the end; `on_report`, if given, with the report of the
    rows read and skipped. Raises CatalogError for an unreadable file or a header without the
    columns.
    """
    if not is_valid_store_id(store_id):
        raise CatalogError(
            f"store id {store_id!r} is not valid: use lowercase letters, digits and dashes"
        )
    products, report = read_products(path, progress)
    if report.skipped:
        _LOGGER.warning("%s: %s", path, report.summary())
    if on_report is not None:
        on_report(report)
    return Store(id=store_id, name=name, products=products, source=str(path))


def read_products(
    path: Path, progress: Callable[[int], None] | None = None
) -> tuple[tuple[Product, ...], ReadReport]:
    """The products of the list at `path`, and the report of what was read and skipped."""
    report = ReadReport()
    seen: set[str] = set()
    products = []
    for fields in _rows(path):
        report.rows += 1
        problem = _problem(fields, seen)
        if problem is None:
            barcode, product_name = fields
            seen.add(barcode)
            products.append(Product(id=barcode, name=" ".join(product_name.split())))
        else:
            report.skipped[problem] += 1
        if progress and report.rows % PROGRESS_EVERY == 0:
            progress(report.rows)
    if progress:
        progress(report.rows)
    return tuple(products), report


def _problem(fields: list[str], seen: set[str]) -> Skip | None:
    """Why a row (its barcode and name fields) cannot be imported, or None."""
    if len(fields) < len(COLUMNS):
        return Skip.MISSING_FIELD
    barcode, product_name = fields
    if not (barcode.isascii() and barcode.isdigit() and len(barcode) in BARCODE_DIGITS):
        return Skip.BAD_BARCODE
    if barcode in seen:
        return Skip.REPEATED_BARCODE
    if not product_name.strip():
        return Skip.EMPTY_NAME
    latin = _latin_letters(product_name, enough=2)
    if latin == 0 and any(char.isalpha() for char in product_name):
        return Skip.OTHER_SCRIPT
    if latin < 2:
        return Skip.TOO_FEW_LETTERS
    return None


def _latin_letters(text: str, enough: int) -> int:
    """How many letters of the Latin alphabet (accented or not) `text` has, up to `enough`."""
    count = 0
    for char in text:
        if char.isalpha() and (char.isascii() or unicodedata.name(char, "").startswith("LATIN")):
            count += 1
            if count == enough:
                break
    return count


def _rows(path: Path) -> Iterator[list[str]]:
    """The stripped barcode and name fields of each non-blank row (none if the row is short)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file)
            try:
                header = [column.strip() for column in next(reader, [])]
                if not is_open_food_facts_header(set(header)):
                    raise CatalogError(
                        f"{path}:1: expected the columns {','.join(COLUMNS)}, "
                        f"got {','.join(header) or 'nothing'}"
                    )
                indexes = [header.index(column) for column in COLUMNS]
                for row in reader:
                    if row:
                        yield [row[i].strip() for i in indexes] if len(row) > max(indexes) else []
            except csv.Error as exc:
                raise CatalogError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise CatalogError(
                    f"{path}:{reader.line_num + 1}: not UTF-8 text; save the file as UTF-8"
                ) from exc
    except FileNotFoundError as exc:
        raise CatalogError(f"{path} not found") from exc
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror or exc}") from exc
