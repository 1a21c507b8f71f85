"""The scale-test catalogs of `python -m benchmarks.make_catalogs` (described there): the real
product lists combined into one store, a million-product store of regional stores made from
it, fixed-seed samples, and store files written.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from voiceshop.catalog.instacart import read_instacart
from voiceshop.catalog.model import Product, Store
from voiceshop.catalog.open_food_facts import read_products
from voiceshop.catalog.store_file import FORMAT

SHARED_CATALOGS = Path(__file__).resolve().parents[2] / "shared" / "data" / "catalog"
OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "out"
COMBINED_FILE = "combined.json"
MILLION_FILE = "million.json"
MILLION = 1_000_000
REGIONS = ("north", "south", "east", "west", "central")
PACKAGE_SIZES = (
    *("4 oz", "6 oz", "8 oz", "12 oz", "16 oz", "24 oz", "32 oz", "48 oz", "64 oz"),
    *("1 lb", "2 lb", "5 lb", "1 gal", "1 qt", "6 ct", "12 ct", "24 ct", "500 g", "1 kg"),
)
SEED = 2017


def combined_store(catalogs: Path) -> Store:
    """The Instacart catalog and the Open Food Facts US list in one store."""
    instacart = read_instacart(catalogs / "products.csv", store_id="instacart", name="Instacart")
    open_food_facts, _ = read_products(catalogs / "off_lifyzer_us_products.csv")
    products = instacart.products + open_food_facts
    if len({p.id for p in products}) != len(products):
        raise ValueError("an Instacart id equals an Open Food Facts barcode")
    return Store(id="combined", name="Instacart and Open Food Facts", products=products)


def million_store(combined: Store, size: int = MILLION, seed: int = SEED) -> Store:
    """`size` products: `combined`'s in several regional stores, each with its own sizes.

    Every product is offered by a random choice of regions, each region in a different size;
    products keep their name, department and aisle, and get the id `<region>-<id>`.
    """
    rng = random.Random(seed)
    offers = [(region, product) for product in combined.products for region in REGIONS]
    kept = sorted(rng.sample(range(len(offers)), size))
    sizes = {product.id: rng.sample(PACKAGE_SIZES, len(REGIONS)) for product in combined.products}
    products = tuple(_regional(*offers[i], sizes) for i in kept)
    return Store(id="million", name="Five regional stores", products=products)


def sample_store(store: Store, size: int, seed: int = SEED) -> Store:
    """`size` products of `store`, drawn at random, in catalog order."""
    chosen = sorted(random.Random(seed).sample(range(len(store.products)), size))
    products = tuple(store.products[i] for i in chosen)
    return Store(id=f"{store.id}-{size}", name=f"{store.name} ({size:,})", products=products)


def write_store_file(store: Store, path: Path) -> None:
    """Write `store` as a JSON store file."""
    document = {
        "format": FORMAT,
        "store": {"id": store.id, "name": store.name},
        "products": [_product_entry(p) for p in store.products],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)


def make_catalogs(catalogs: Path, out: Path, force: bool = False) -> tuple[Path, Path]:
    """Write the combined and the million-product store files unless they exist (or `force`)."""
    combined_path, million_path = out / COMBINED_FILE, out / MILLION_FILE
    if force or not (combined_path.exists() and million_path.exists()):
        combined = combined_store(catalogs)
        write_store_file(combined, combined_path)
        write_store_file(million_store(combined), million_path)
    return combined_path, million_path


def _regional(region: str, product: Product, sizes: dict[str, list[str]]) -> Product:
    return Product(
        id=f"{region}-{product.id}",
        name=product.name,
        department=product.department,
        aisle=product.aisle,
        size=sizes[product.id][REGIONS.index(region)],
    )


def _product_entry(product: Product) -> dict[str, str]:
    entry = {"id": product.id, "name": product.name}
    for field in ("department", "aisle", "size"):
        if getattr(product, field):
            entry[field] = getattr(product, field)
    return entry
