"""Build the scale-test catalogs from the real product lists in ../shared (never committed).

    python -m benchmarks.make_catalogs [--shared DIR] [--out DIR] [--force]

Writes two store files (`voiceshop-store/1`, JSON, importable with `voiceshop catalog import`)
to benchmarks/out/, which git ignores:

- combined.json: the Instacart catalog and the Open Food Facts US list (less its junk rows) as
  one store, about 236,000 products;
- million.json: 1,000,000 products: the combined catalog sold by five regional stores, each
  carrying most of it in package sizes of its own.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from support.make_catalogs import OUT, SHARED_CATALOGS, make_catalogs


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--shared", type=Path, default=SHARED_CATALOGS, help="real catalogs")
    options.add_argument("--out", type=Path, default=OUT, help="where to write (git-ignored)")
    options.add_argument("--force", action="store_true", help="rebuild existing files")
    args = options.parse_args()
    for path in make_catalogs(args.shared, args.out, args.force):
        print(f"{path} ({path.stat().st_size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
