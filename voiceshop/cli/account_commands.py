"""Linked store accounts, default stores and purchase history: `voiceshop account|history`."""

from __future__ import annotations

import argparse
from pathlib import Path

from voiceshop.catalog.model import Store
from voiceshop.cli.common import open_db, open_shop, shop_options
from voiceshop.errors import StoreNotFoundError
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.personal.history_csv import read_history
from voiceshop.personal.profile import ShopperProfile
from voiceshop.storage.database import ShopDatabase


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `account` and `history`."""
    shop = shop_options()
    account = commands.add_parser("account", help="link store accounts, set the default store")
    actions = account.add_subparsers(dest="account_command", required=True, metavar="ACTION")
    link = actions.add_parser("link", parents=[shop], help="link your customer account at --store")
    link.add_argument("--customer", required=True, help="your customer id at that store")
    link.set_defaults(run=run_link)
    actions.add_parser("list", parents=[shop], help="list linked accounts").set_defaults(
        run=run_list
    )
    actions.add_parser("unlink", parents=[shop], help="remove the link to --store").set_defaults(
        run=run_unlink
    )
    actions.add_parser(
        "default", parents=[shop], help="shop at --store unless another store is named"
    ).set_defaults(run=run_default)

    history = commands.add_parser("history", help="purchase history from linked accounts")
    steps = history.add_subparsers(dest="history_command", required=True, metavar="ACTION")
    imported = steps.add_parser(
        "import",
        parents=[shop],
        help="import past purchases at --store from a CSV",
        description="CSV columns: date, product_id or product, quantity, channel (in-store or "
        "online). Every row must match the store's catalog, or nothing is imported.",
    )
    imported.add_argument("file", type=Path)
    imported.set_defaults(run=run_history_import)
    steps.add_parser(
        "show", parents=[shop], help="your usual basket and favourites at --store"
    ).set_defaults(run=run_history_show)


def run_link(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        store = _existing_store(args, db)
        account = db.link_account(args.user, store.id, args.customer)
    print(f"Linked {account.user}'s account {account.customer_id} at {store.name}.")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        accounts = db.accounts(args.user)
        default = db.default_store(args.user)
    if not accounts:
        print(
            f"{args.user} has no linked accounts: `voiceshop account link --store S --customer ID`"
        )
    for account in accounts:
        print(f"{account.store_id}: customer {account.customer_id} (linked {account.linked_at})")
    print(f"default store: {default or 'none'}")
    return 0


def run_unlink(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        store_id = args.store or ""
        removed = db.unlink_account(args.user, store_id)
    if not removed:
        print(f"{args.user} has no account linked at {store_id or '(no --store given)'}.")
        return 1
    print(f"Unlinked {args.user}'s account at {store_id}; their history stays.")
    return 0


def run_default(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        store = _existing_store(args, db)
        db.set_default_store(args.user, store.id)
    print(f"{args.user} now shops at {store.name} unless they name another store.")
    return 0


def run_history_import(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        store = _existing_store(args, db)
        if store.id not in {a.store_id for a in db.accounts(args.user)}:
            raise StoreNotFoundError(
                f"{args.user} has no account linked at {store.id}: link it first with "
                f"`voiceshop account link --store {store.id} --customer ID`"
            )
        matcher = ProductMatcher(store, Normalizer(load_language()))
        purchases = read_history(args.file, store, matcher)
        db.add_purchases(args.user, store.id, purchases)
    print(f"Imported {len(purchases)} purchases for {args.user} at {store.name}.")
    return 0


def run_history_show(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        store = _existing_store(args, db)
        profile = ShopperProfile(db.purchases(args.user, store.id))
    if not profile:
        print(f"No purchases of {args.user} at {store.name} yet.")
        return 0
    print("usual basket:")
    for item in profile.usual():
        print(f"  {item.quantity} x {item.name}  (bought {item.occasions} times)")
    favourites = sorted(profile.preferences().items(), key=lambda kv: kv[1], reverse=True)[:10]
    print("favourites:")
    for product_id, affinity in favourites:
        product = store.product(product_id)
        name = product.display_name if product else f"{product_id} (no longer sold)"
        print(f"  {affinity:.2f}  {name}")
    return 0


def _existing_store(args: argparse.Namespace, db: ShopDatabase) -> Store:
    if not args.store:
        raise StoreNotFoundError("name the store with --store (see `voiceshop catalog list`)")
    return open_shop(args, db)
