"""The scale-test catalogs: regional copies with their own sizes, written as store files."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from support.make_catalogs import REGIONS, million_store, sample_store, write_store_file
from voiceshop.catalog.model import Product, Store
from voiceshop.catalog.store_file import load_store_file

SMALL = Store(
    "small", "Small", tuple(Product(str(i), f"Product {i}", aisle="a") for i in range(100))
)


def test_regional_copies_have_sizes_of_their_own() -> None:
    store = million_store(SMALL, size=400)
    assert len(store.products) == len({p.id for p in store.products}) == 400
    sizes = defaultdict(list)
    for product in store.products:
        region, original = product.id.split("-", 1)
        assert region in REGIONS
        assert product.name == f"Product {original}" and product.aisle == "a"
        sizes[original].append(product.size)
    assert all(len(set(s)) == len(s) for s in sizes.values())


def test_store_file_round_trip(tmp_path: Path) -> None:
    store = sample_store(million_store(SMALL, size=300), 50)
    write_store_file(store, tmp_path / "sample.json")
    loaded = load_store_file(tmp_path / "sample.json")
    assert loaded.products == store.products
    assert loaded.id == store.id
