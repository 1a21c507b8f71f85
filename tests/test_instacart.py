"""Reading the Instacart CSV triple: a small written copy, each malformed row, the real file."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import CATALOG_DIR, require_shared
from voiceshop.catalog.instacart import read_instacart
from voiceshop.errors import CatalogError

AISLES = "aisle_id,aisle\n61,cookies cakes\n38,frozen meals\n100,missing\n"
DEPARTMENTS = "department_id,department\n19,snacks\n1,frozen\n21,missing\n"
HEADER = "product_id,product_name,aisle_id,department_id\n"
GOOD_ROW = "1,Chocolate Sandwich Cookies,61,19\n"
PRODUCTS = textwrap.dedent(
    """\
    product_id,product_name,aisle_id,department_id
    1,Chocolate Sandwich Cookies,61,19
    30,"Three Cheese Ziti, Marinara with Meatballs",38,1
    48,"Easy Grab 9\\""x13\\"" Oblong Glass Bakeware",100,21
    """
)


def write_catalog(folder: Path, products: str = PRODUCTS) -> Path:
    """Write the CSV triple into `folder`; the path of products.csv."""
    (folder / "aisles.csv").write_text(AISLES, encoding="utf-8")
    (folder / "departments.csv").write_text(DEPARTMENTS, encoding="utf-8")
    products_csv = folder / "products.csv"
    products_csv.write_text(products, encoding="utf-8")
    return products_csv


def test_reads_products_with_aisle_and_department_names(tmp_path: Path) -> None:
    products_csv = write_catalog(tmp_path)

    store = read_instacart(products_csv, store_id="instacart", name="Instacart")

    assert (store.id, store.name, store.source) == ("instacart", "Instacart", str(products_csv))
    cookies, ziti, bakeware = store.products
    assert (cookies.id, cookies.name, cookies.aisle, cookies.department) == (
        "1",
        "Chocolate Sandwich Cookies",
        "cookies cakes",
        "snacks",
    )
    assert ziti.name == "Three Cheese Ziti, Marinara with Meatballs"
    assert bakeware.name == 'Easy Grab 9\\"x13\\" Oblong Glass Bakeware'
    assert all(product.price is None for product in store.products)


def test_reports_progress_and_the_final_count(tmp_path: Path) -> None:
    rows = "".join(f"{n},Product {n},61,19\n" for n in range(1, 12_001))
    products_csv = write_catalog(
        tmp_path, "product_id,product_name,aisle_id,department_id\n" + rows
    )
    reported: list[int] = []

    read_instacart(products_csv, store_id="big", name="Big", progress=reported.append)

    assert reported == [5000, 10000, 12000]


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("2,Oreo,61\n", "department_id is missing (the row has 3 of 4 fields)"),
        ("2,Oreo, Double Stuf,61,19\n", "the row has 5 fields but the header has 4"),
        ("2,Oreo,sixty,19\n", "product 2: aisle_id must be a whole number, got 'sixty'"),
        ("2,Oreo,999,19\n", "product 2: aisle_id 999 is not listed in"),
        ("2,Oreo,61,77\n", "product 2: department_id 77 is not listed in"),
        ("2,  ,61,19\n", "product 2: product_name is empty"),
        (",Oreo,61,19\n", "product_id is empty"),
        ("1,Oreo,61,19\n", "product 1: product_id is used twice (first at line 2)"),
    ],
)
def test_malformed_row_names_file_line_and_field(
    tmp_path: Path, bad_row: str, message: str
) -> None:
    products_csv = write_catalog(tmp_path, HEADER + GOOD_ROW + bad_row)

    with pytest.raises(CatalogError) as caught:
        read_instacart(products_csv, store_id="instacart", name="Instacart")

    assert str(caught.value).startswith(f"{products_csv}:3: ")
    assert message in str(caught.value)


def test_header_without_the_product_columns_is_refused(tmp_path: Path) -> None:
    products_csv = write_catalog(tmp_path, "id,name\n1,Cookies\n")

    with pytest.raises(CatalogError, match=r"products\.csv:1: the header lacks product_id"):
        read_instacart(products_csv, store_id="instacart", name="Instacart")


def test_missing_aisles_file_says_what_the_export_holds(tmp_path: Path) -> None:
    products_csv = write_catalog(tmp_path)
    (tmp_path / "aisles.csv").unlink()

    with pytest.raises(CatalogError, match=r"aisles\.csv not found"):
        read_instacart(products_csv, store_id="instacart", name="Instacart")


def test_bad_row_in_aisles_file_names_it(tmp_path: Path) -> None:
    products_csv = write_catalog(tmp_path)
    (tmp_path / "aisles.csv").write_text("aisle_id,aisle\n61,cookies\n61,biscuits\n")

    with pytest.raises(CatalogError, match=r"aisles\.csv:3: aisle_id 61 is listed twice"):
        read_instacart(products_csv, store_id="instacart", name="Instacart")


@pytest.mark.slow
def test_reads_the_real_instacart_catalog() -> None:
    products_csv = require_shared(CATALOG_DIR / "products.csv")

    store = read_instacart(products_csv, store_id="instacart", name="Instacart")

    assert len(store.products) == 49_688
    assert len({product.id for product in store.products}) == 49_688
    departments = Counter(product.department for product in store.products)
    assert len(departments) == 21
    assert departments["personal care"] == 6563
    assert departments["bulk"] == 38
    coffee = store.product("8806")
    assert coffee is not None
    assert (coffee.name, coffee.aisle, coffee.department) == (
        "Original Roast Coffee",
        "coffee",
        "beverages",
    )
    jerky = store.product("37304")
    assert jerky is not None
    assert jerky.name == "Jerky, Real Chicken, Honey Barbecue"
