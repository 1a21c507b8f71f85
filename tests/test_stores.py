"""Finding stores by file path, imported id or bundled name, and importing catalogs."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CATALOG_DIR, require_shared
from voiceshop.errors import CatalogError, StoreNotFoundError
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.stores import (
    BUNDLED_STORES_DIR,
    bundled_store_names,
    import_catalog,
    open_store,
)

PANTRY = textwrap.dedent(
    """\
    format: voiceshop-store/1
    store: {id: pantry, name: The Pantry}
    products:
      - {id: rice, name: Basmati Rice, price: 4.5, aliases: [rice]}
      - {id: beans, name: Black Beans}
    """
)
INSTACART = {
    "products.csv": 'product_id,product_name,aisle_id,department_id\n1,"Beans, Black",2,3\n',
    "aisles.csv": "aisle_id,aisle\n2,canned meals beans\n",
    "departments.csv": "department_id,department\n3,canned goods\n",
}


@pytest.fixture
def db(db_path: Path) -> Iterator[ShopDatabase]:
    with ShopDatabase(db_path) as database:
        yield database


@pytest.fixture
def pantry_file(tmp_path: Path) -> Path:
    path = tmp_path / "pantry.yaml"
    path.write_text(PANTRY, encoding="utf-8")
    return path


@pytest.fixture
def instacart_csv(tmp_path: Path) -> Path:
    for name, text in INSTACART.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path / "products.csv"


@pytest.mark.parametrize("name", bundled_store_names())
def test_every_bundled_store_loads_by_name(name: str) -> None:
    store = open_store(name, None)

    assert store.products
    assert store.source == str(next(BUNDLED_STORES_DIR.glob(f"{name}.*")))


def test_store_file_path_is_loaded(pantry_file: Path, db: ShopDatabase) -> None:
    store = open_store(str(pantry_file), db)

    assert (store.id, store.name, len(store.products)) == ("pantry", "The Pantry", 2)


def test_imported_store_is_found_by_id_before_a_bundled_one(
    pantry_file: Path, db: ShopDatabase
) -> None:
    import_catalog(pantry_file, db, store_id="coffee", name="My Coffee")

    store = open_store("coffee", db)

    assert (store.name, store.source) == ("My Coffee", "db:coffee")


def test_unknown_store_lists_the_choices_and_how_to_import(
    pantry_file: Path, db: ShopDatabase
) -> None:
    import_catalog(pantry_file, db)

    with pytest.raises(StoreNotFoundError) as caught:
        open_store("bakery", db)

    message = str(caught.value)
    assert "no store called 'bakery'" in message
    assert f"Bundled stores: {', '.join(bundled_store_names()) or 'none'}." in message
    assert "Imported stores: pantry." in message
    assert "voiceshop catalog import FILE" in message


def test_missing_store_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError, match="no store file at"):
        open_store(str(tmp_path / "absent.yaml"), None)


def test_import_store_file_saves_it(pantry_file: Path, db: ShopDatabase) -> None:
    saved = import_catalog(pantry_file, db)

    assert db.store_ids() == ["pantry"]
    loaded = db.load_store("pantry")
    assert loaded is not None
    assert loaded.products == saved.products


def test_import_instacart_csv_is_detected_by_header(instacart_csv: Path, db: ShopDatabase) -> None:
    reported: list[int] = []

    store = import_catalog(instacart_csv, db, progress=reported.append)

    assert (store.id, store.name) == ("instacart", "Instacart")
    assert reported == [1]
    loaded = db.load_store("instacart")
    assert loaded is not None
    (beans,) = loaded.products
    assert (beans.name, beans.aisle, beans.department, beans.price) == (
        "Beans, Black",
        "canned meals beans",
        "canned goods",
        None,
    )


def test_import_refuses_other_files_and_bad_ids(tmp_path: Path, db: ShopDatabase) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("milk, eggs\n")

    with pytest.raises(CatalogError, match="neither a store file"):
        import_catalog(other, db)
    with pytest.raises(CatalogError, match="no file at"):
        import_catalog(tmp_path / "absent.yaml", db)
    with pytest.raises(CatalogError, match="store id 'My Store' is not valid"):
        import_catalog(other, db, store_id="My Store")


@pytest.mark.slow
def test_import_the_real_instacart_catalog(db: ShopDatabase) -> None:
    products_csv = require_shared(CATALOG_DIR / "products.csv")

    import_catalog(products_csv, db)

    loaded = db.load_store("instacart")
    assert loaded is not None
    assert len(loaded.products) == 49_688
