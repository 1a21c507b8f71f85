"""The Open Food Facts importer: products kept as written, junk rows skipped and counted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.conftest import CATALOG_DIR, require_shared
from voiceshop.catalog.open_food_facts import Skip, read_open_food_facts, read_products
from voiceshop.errors import CatalogError
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.stores import import_catalog

ROWS = """barcode,product_name
0001000004005,Crème de marrons
0001000008218,"Bazzini, Yogurt  Almonds"
0001000008706,
0001006530676,うどん
0001006530677,Мука льняная
0001006530678,"1,2,"
0001006530679,c
0001006530680,Glico pejoy 牛奶味注心饼干
0001000004005,Duplicate Of The First
12AB,Bad Barcode Bread
0001006530681
0001006530682,Ajo picado Del Monte
"""


@pytest.fixture
def product_list(tmp_path: Path) -> Path:
    path = tmp_path / "off.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def test_names_are_kept_and_junk_is_counted(product_list: Path) -> None:
    products, report = read_products(product_list)
    assert [(p.id, p.name) for p in products] == [
        ("0001000004005", "Crème de marrons"),
        ("0001000008218", "Bazzini, Yogurt Almonds"),
        ("0001006530680", "Glico pejoy 牛奶味注心饼干"),
        ("0001006530682", "Ajo picado Del Monte"),
    ]
    assert all(p.price is None for p in products)
    assert report.rows == 12
    assert report.skipped == {
        Skip.EMPTY_NAME: 1,
        Skip.OTHER_SCRIPT: 2,
        Skip.TOO_FEW_LETTERS: 2,
        Skip.REPEATED_BARCODE: 1,
        Skip.BAD_BARCODE: 1,
        Skip.MISSING_FIELD: 1,
    }
    assert report.summary().startswith("imported 4 of 12 rows; skipped 8: 2 with a name in")


def test_import_detects_the_header_and_warns_of_skipped_rows(
    product_list: Path, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    done: list[int] = []
    with ShopDatabase(db_path) as db, caplog.at_level(logging.WARNING):
        store = import_catalog(product_list, db, progress=done.append)
        saved = db.load_store("open-food-facts")
    assert store.name == "Open Food Facts"
    assert saved is not None and len(saved.products) == 4
    assert done[-1] == 4
    assert "imported 4 of 12 rows; skipped 8" in caplog.text


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("code,name\n1,Milk\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="expected the columns barcode,product_name"):
        read_open_food_facts(path)


def test_read_progress_counts_rows(product_list: Path) -> None:
    seen: list[int] = []
    read_products(product_list, progress=seen.append)
    assert seen == [12]


@pytest.mark.slow
def test_the_real_list() -> None:
    path = require_shared(CATALOG_DIR / "off_lifyzer_us_products.csv")
    products, report = read_products(path)
    assert report.rows == 186_851
    assert len(products) == report.rows - report.skipped.total()
    assert report.skipped.total() < 100
    assert set(report.skipped) <= {Skip.OTHER_SCRIPT, Skip.TOO_FEW_LETTERS}
