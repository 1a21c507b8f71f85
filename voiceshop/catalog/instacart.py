"""Read the Instacart Online Grocery Shopping catalog into a `Store`.

The export is three CSV files in one folder: `products.csv`
(product_id,product_name,aisle_id,department_id), `aisles.csv` (aisle_id,aisle) and
`departments.csv` (department_id,department). It has no prices or brands, so products get none.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from voiceshop.catalog.model import Product, Store
from voiceshop.catalog.store_file import is_valid_store_id
from voiceshop.errors import CatalogError

PRODUCT_COLUMNS = ("product_id", "product_name", "aisle_id", "department_id")
PROGRESS_EVERY = 5000
"""Rows read between two calls of the progress callback."""


def read_instacart(
    products_csv: Path,
    *,
    store_id: str,
    name: str,
    progress: Callable[[int], None] | None = None,
) -> Store:
    """Read `products_csv` and the `aisles.csv` and `departments.csv` beside it.

    `progress`, if given, is called with the number of product rows read so far every
    `PROGRESS_EVERY` rows and once more at the end. Raises CatalogError naming file, line and
    field for a missing file or a malformed row.
    """
    if not is_valid_store_id(store_id):
        raise CatalogError(
            f"store id {store_id!r} is not valid: use lowercase letters, digits and dashes"
        )
    aisles = _NameTable.read(products_csv.with_name("aisles.csv"), "aisle_id", "aisle")
    departments = _NameTable.read(
        products_csv.with_name("departments.csv"), "department_id", "department"
    )
    products = _read_products(products_csv, aisles, departments, progress or _ignore)
    return Store(id=store_id, name=name, products=products, source=str(products_csv))


def _ignore(_rows_read: int) -> None:
    """A progress callback that does nothing."""


def _read_products(
    path: Path,
    aisles: _NameTable,
    departments: _NameTable,
    progress: Callable[[int], None],
) -> tuple[Product, ...]:
    first_line_of: dict[str, int] = {}
    products = []
    for line, (product_id, name, aisle_id, department_id) in _rows(path, PRODUCT_COLUMNS):
        if not product_id:
            raise CatalogError(f"{path}:{line}: product_id is empty")
        subject = f"{path}:{line}: product {product_id}"
        if product_id in first_line_of:
            raise CatalogError(
                f"{subject}: product_id is used twice (first at line {first_line_of[product_id]})"
            )
        if not name:
            raise CatalogError(f"{subject}: product_name is empty")
        products.append(
            Product(
                id=product_id,
                name=name,
                aisle=aisles.name_of(aisle_id, subject),
                department=departments.name_of(department_id, subject),
            )
        )
        first_line_of[product_id] = line
        if len(products) % PROGRESS_EVERY == 0:
            progress(len(products))
    progress(len(products))
    return tuple(products)


@dataclass(frozen=True)
class _NameTable:
    """An id -> name table from a two-column CSV such as aisles.csv."""

    path: Path
    id_column: str
    names: dict[int, str]

    @classmethod
    def read(cls, path: Path, id_column: str, name_column: str) -> _NameTable:
        names: dict[int, str] = {}
        for line, (raw_id, name) in _rows(path, (id_column, name_column)):
            subject = f"{path}:{line}"
            key = _whole_number(raw_id, id_column, subject)
            if key in names:
                raise CatalogError(f"{subject}: {id_column} {raw_id} is listed twice")
            if not name:
                raise CatalogError(f"{subject}: {name_column} is empty")
            names[key] = name
        return cls(path, id_column, names)

    def name_of(self, raw_id: str, subject: str) -> str:
        """The name `raw_id` stands for; `subject` says where `raw_id` was read, for errors."""
        name = self.names.get(_whole_number(raw_id, self.id_column, subject))
        if name is None:
            raise CatalogError(f"{subject}: {self.id_column} {raw_id} is not listed in {self.path}")
        return name


def _whole_number(text: str, field: str, subject: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise CatalogError(f"{subject}: {field} must be a whole number, got {text!r}")
    return int(text)


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, stripped values of `columns`) for each non-blank row of a CSV file."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file)
            try:
                header = [name.strip() for name in next(reader, [])]
                indexes = _column_indexes(path, header, columns)
                for row in reader:
                    if row:
                        _check_width(path, reader.line_num, row, header)
                        yield reader.line_num, [row[i].strip() for i in indexes]
            except csv.Error as exc:
                raise CatalogError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise CatalogError(
                    f"{path}:{reader.line_num + 1}: not UTF-8 text; save the file as UTF-8"
                ) from exc
    except FileNotFoundError as exc:
        raise CatalogError(
            f"{path} not found: an Instacart catalog is products.csv, aisles.csv and "
            "departments.csv in one folder"
        ) from exc
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _column_indexes(path: Path, header: list[str], columns: tuple[str, ...]) -> list[int]:
    missing = [column for column in columns if column not in header]
    if missing:
        raise CatalogError(
            f"{path}:1: the header lacks {', '.join(missing)}; "
            f"expected columns {','.join(columns)}, got {','.join(header) or 'nothing'}"
        )
    return [header.index(column) for column in columns]


def _check_width(path: Path, line: int, row: list[str], header: list[str]) -> None:
    if len(row) < len(header):
        raise CatalogError(
            f"{path}:{line}: {header[len(row)]} is missing "
            f"(the row has {len(row)} of {len(header)} fields)"
        )
    if len(row) > len(header):
        raise CatalogError(
            f"{path}:{line}: the row has {len(row)} fields but the header has {len(header)}; "
            "quote names that contain commas"
        )
