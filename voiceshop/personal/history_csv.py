"""Reading a linked account's purchase history from CSV.

Columns (header required): `date` (YYYY-MM-DD, or ISO date and time), `product_id` or
`product` (the catalog name; one of them per row), `quantity` (whole number >= 1, default 1),
`channel` (`in-store` or `online`). Modelled on the Instacart order files.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from voiceshop.catalog.model import Product, Store
from voiceshop.errors import CatalogError
from voiceshop.matching import MatchOutcome, ProductMatcher
from voiceshop.storage.records import Channel, Purchase

MAX_REPORTED_ROWS = 10


@dataclass(frozen=True)
class HistoryProblem:
    """A row that cannot be imported."""

    line: int
    message: str


def read_history(path: Path, store: Store, matcher: ProductMatcher) -> list[Purchase]:
    """All purchases in the file; raises CatalogError listing the bad rows (file:line: why)."""
    purchases: list[Purchase] = []
    problems: list[HistoryProblem] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            _check_header(path, reader.fieldnames)
            for row in reader:
                try:
                    purchases.append(_purchase(row, store, matcher))
                except ValueError as err:
                    problems.append(HistoryProblem(reader.line_num, str(err)))
    except OSError as err:
        raise CatalogError(f"cannot read {path}: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise CatalogError(f"{path} is not a UTF-8 text file: {err}") from err
    if problems:
        raise CatalogError(_report(path, problems))
    return purchases


def _check_header(path: Path, fields: Sequence[str] | None) -> None:
    names = set(fields or ())
    if "date" not in names or not names & {"product_id", "product"}:
        raise CatalogError(
            f"{path}:1: the header needs 'date' and 'product_id' or 'product' "
            "(optional: 'quantity', 'channel')"
        )


def _purchase(row: dict[str, str], store: Store, matcher: ProductMatcher) -> Purchase:
    product = _product(row, store, matcher)
    return Purchase(
        product_id=product.id,
        name=product.display_name,
        quantity=_quantity(row.get("quantity") or "1"),
        purchased_at=_date(row.get("date") or ""),
        channel=_channel(row.get("channel") or "in-store"),
    )


def _product(row: dict[str, str], store: Store, matcher: ProductMatcher) -> Product:
    product_id = (row.get("product_id") or "").strip()
    if product_id:
        found = store.product(product_id)
        if found is None:
            raise ValueError(f"product_id {product_id!r} is not in the catalog of {store.id}")
        return found
    name = (row.get("product") or "").strip()
    if not name:
        raise ValueError("no product_id and no product name")
    result = matcher.match(name)
    if result.outcome is not MatchOutcome.CONFIDENT:
        raise ValueError(f"product {name!r} does not match one product of {store.id} clearly")
    return result.candidates[0].product


def _quantity(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"quantity must be a whole number >= 1, got {text!r}")
    return int(text)


def _date(text: str) -> str:
    text = text.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"date must be YYYY-MM-DD, got {text!r}") from None


def _channel(text: str) -> Channel:
    try:
        return Channel(text.strip().lower())
    except ValueError:
        raise ValueError(f"channel must be in-store or online, got {text!r}") from None


def _report(path: Path, problems: list[HistoryProblem]) -> str:
    shown = [f"{path}:{p.line}: {p.message}" for p in problems[:MAX_REPORTED_ROWS]]
    more = len(problems) - len(shown)
    tail = f"\n... and {more} more" if more else ""
    return (
        f"{len(problems)} row(s) of {path} cannot be imported; nothing was imported:\n"
        + "\n".join(shown)
        + tail
    )
