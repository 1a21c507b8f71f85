"""Finding a store by what the user typed, and importing catalogs into the database."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from voiceshop.catalog import open_food_facts
from voiceshop.catalog.instacart import PRODUCT_COLUMNS, read_instacart
from voiceshop.catalog.model import Store
from voiceshop.catalog.store_file import STORE_FILE_SUFFIXES, is_valid_store_id, load_store_file
from voiceshop.errors import CatalogError, StoreNotFoundError
from voiceshop.storage.database import ShopDatabase

_LOGGER = logging.getLogger(__name__)
BUNDLED_STORES_DIR = Path(__file__).resolve().parents[1] / "data" / "stores"
"""The store files shipped with voiceshop; each is known by its file name without suffix."""

INSTACART_STORE_ID = "instacart"
INSTACART_STORE_NAME = "Instacart"
MIN_KEPT_SHARE = 0.5
"""An import keeping less than this share of an imported store's products needs `replace`."""
IMPORT_HINT = "import one with `voiceshop catalog import FILE`"


def bundled_store_names() -> list[str]:
    """The names of the bundled stores, sorted."""
    return sorted(path.stem for path in _bundled_store_files())


def open_store(spec: str, db: ShopDatabase | None) -> Store:
    """The store `spec` names, looked up in this order:

    a path to an existing .yaml/.yml/.json store file; the id of a store imported into `db`;
    the name of a bundled store. Raises StoreNotFoundError, listing the choices, otherwise.
    """
    path = Path(spec).expanduser()
    if path.suffix.lower() in STORE_FILE_SUFFIXES and path.is_file():
        return load_store_file(path)
    imported = db.load_store(spec) if db is not None else None
    if imported is not None:
        return imported
    bundled = {path.stem: path for path in _bundled_store_files()}
    if spec in bundled:
        return load_store_file(bundled[spec])
    raise StoreNotFoundError(_not_found_message(spec, path, db))


def import_catalog(
    source: Path,
    db: ShopDatabase,
    *,
    store_id: str | None = None,
    name: str | None = None,
    language: str | None = None,
    progress: Callable[[int], None] | None = None,
    replace: bool = False,
    on_read: Callable[[ReadSummary], None] | None = None,
    replaced: Callable[[int], None] | None = None,
) -> Store:
    """Read a store file, an Instacart products.csv or an Open Food Facts product list and save
    it into `db`, replacing any store with the same id. Returns the store saved.

    A file without products is refused, and so, unless `replace`, is one that would leave an
    imported store with less than MIN_KEPT_SHARE of its products (a file cut short, most likely);
    any smaller catalog is logged as a warning.

    `store_id` and `name` override the file's own (Instacart: "instacart", "Instacart"; Open
    Food Facts: "open-food-facts", "Open Food Facts"); so does `language`, else a store file's
    `language:`, else English.
    `progress` is called with the number of products saved so far; `on_read`, if given, once
    the file is read (before saving), with what it held and what was skipped; `replaced` with
    the number of products the store had before (0 for a new store) once the import is saved.
    """
    if store_id is not None and not is_valid_store_id(store_id):
        raise CatalogError(
            f"store id {store_id!r} is not valid: use lowercase letters, digits and dashes"
        )
    reports: list[open_food_facts.ReadReport] = []
    if not source.is_file():
        raise CatalogError(f"no file at {source}; give the path of a store file or products.csv")
    if _is_instacart_csv(source):
        store = read_instacart(
            source,
            store_id=store_id or INSTACART_STORE_ID,
            name=name or INSTACART_STORE_NAME,
        )
    elif open_food_facts.is_open_food_facts_header(_header_columns(source)):
        store = open_food_facts.read_open_food_facts(
            source,
            store_id=store_id or open_food_facts.STORE_ID,
            name=name or open_food_facts.STORE_NAME,
            on_report=reports.append,
        )
    elif source.suffix.lower() in STORE_FILE_SUFFIXES:
        store = load_store_file(source)
        store = dataclasses.replace(store, id=store_id or store.id, name=name or store.name)
    else:
        raise CatalogError(
            f"{source} is neither a store file ({', '.join(STORE_FILE_SUFFIXES)}) nor an "
            f"Instacart products.csv (header {','.join(PRODUCT_COLUMNS)}) nor an Open Food Facts "
            f"list (header {','.join(open_food_facts.COLUMNS)})"
        )
    store = dataclasses.replace(store, language=language or store.language or "en")
    if on_read is not None:
        on_read(_summary(store, reports[0] if reports else None))
    if not store.products:
        raise CatalogError(f"{source} holds no products; nothing was imported")
    before: list[int] = []
    check = _shrink_check(source, store, replace)

    def check_and_note(existing: int) -> None:
        check(existing)
        before.append(existing)

    db.save_store(store, progress=progress, check_replaced=check_and_note)
    if replaced is not None:
        replaced(before[0])
    return store


@dataclasses.dataclass(frozen=True)
class ReadSummary:
    """What an imported file held: its products, and the rows skipped by reason."""

    products: int
    skipped: dict[str, int] = dataclasses.field(default_factory=dict)
    """Reason ("with an empty name") -> rows, most frequent first; empty when none were
    skipped (store files and Instacart lists refuse a bad row instead of skipping it)."""

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def _summary(store: Store, report: open_food_facts.ReadReport | None) -> ReadSummary:
    skipped = {} if report is None else {str(r): n for r, n in report.skipped.most_common()}
    return ReadSummary(len(store.products), skipped)


def _shrink_check(source: Path, store: Store, replace: bool) -> Callable[[int], None]:
    """A check that warns when `store` has fewer products than the catalog it replaces, and
    refuses one with less than MIN_KEPT_SHARE of them unless `replace`."""

    def check(existing: int) -> None:
        count = len(store.products)
        if count < existing * MIN_KEPT_SHARE and not replace:
            raise CatalogError(
                f"{source} has {count:,} products, less than {MIN_KEPT_SHARE:.0%} of the "
                f"{existing:,} in the imported store '{store.id}' (is the file cut short?); "
                "nothing was changed; add --replace to replace it anyway"
            )
        if count < existing:
            _LOGGER.warning(
                "store '%s' now has %s products, %s fewer than before",
                store.id,
                count,
                existing - count,
            )

    return check


def _bundled_store_files() -> list[Path]:
    if not BUNDLED_STORES_DIR.is_dir():
        return []
    return [
        path
        for path in BUNDLED_STORES_DIR.iterdir()
        if path.suffix.lower() in STORE_FILE_SUFFIXES and path.is_file()
    ]


def _is_instacart_csv(path: Path) -> bool:
    """Whether the file's first line is a CSV header with the Instacart product columns."""
    return set(PRODUCT_COLUMNS) <= _header_columns(path)


def _header_columns(path: Path) -> set[str]:
    """The column names in the file's first line, read as a CSV header."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as file:
            header = file.readline()
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return {column.strip() for column in header.split(",")}


def _not_found_message(spec: str, path: Path, db: ShopDatabase | None) -> str:
    if path.suffix.lower() in STORE_FILE_SUFFIXES:
        problem = f"no store file at {path}"
    else:
        problem = f"no store called {spec!r}"
    bundled = ", ".join(bundled_store_names()) or "none"
    imported = (", ".join(db.store_ids()) if db is not None else "") or "none"
    return (
        f"{problem}. Bundled stores: {bundled}. Imported stores: {imported}. "
        f"Give the path of a store file, or {IMPORT_HINT}."
    )
