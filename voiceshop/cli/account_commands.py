"""Linked store accounts, default stores and purchase history: `voiceshop account|history`."""

from __future__ import annotations

import argparse
import getpass
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from voiceshop.catalog.model import Store
from voiceshop.cli.common import db_options, open_db, open_shop, settings_of, shop_options
from voiceshop.errors import AccountError, StoreNotFoundError
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.personal.history_csv import read_history
from voiceshop.personal.profile import ShopperProfile
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.guards import CODE_DIGITS, CodeCheck, Limits, valid_code

_NO_LIMIT = "none"


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `account` and `history`."""
    shop = shop_options()
    account = commands.add_parser("account", help="link store accounts, set the default store")
    actions = account.add_subparsers(dest="account_command", required=True, metavar="ACTION")
    link = actions.add_parser("link", parents=[shop], help="link your customer account at --store")
    link.add_argument("--customer", required=True, help="your customer id at that store")
    link.set_defaults(run=run_link)
    actions.add_parser(
        "list", parents=[db_options(with_user=True)], help="list linked accounts"
    ).set_defaults(run=run_list)
    actions.add_parser("unlink", parents=[shop], help="remove the link to --store").set_defaults(
        run=run_unlink
    )
    actions.add_parser(
        "default", parents=[shop], help="shop at --store unless another store is named"
    ).set_defaults(run=run_default)
    _add_guard_commands(actions, shop)

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


def _add_guard_commands(actions: argparse._SubParsersAction, shop: argparse.ArgumentParser) -> None:
    """Register `account code set|clear` and `account limit`."""
    code = actions.add_parser("code", help="the purchase code asked for before each order")
    steps = code.add_subparsers(dest="code_command", required=True, metavar="ACTION")
    steps.add_parser(
        "set",
        parents=[shop],
        help=f"set --user's purchase code ({CODE_DIGITS[0]}-{CODE_DIGITS[-1]} digits, asked twice)",
    ).set_defaults(run=run_code_set)
    steps.add_parser("clear", parents=[shop], help="remove --user's purchase code").set_defaults(
        run=run_code_clear
    )
    limit = actions.add_parser(
        "limit",
        parents=[shop],
        help="--user's spending limits",
        description="Set the most one order, and all of one day's orders, may cost (in the "
        f"stores' currency; '{_NO_LIMIT}' removes a limit). Without options: show them.",
    )
    limit.add_argument("--per-order", type=_amount, metavar="AMOUNT")
    limit.add_argument("--per-day", type=_amount, metavar="AMOUNT")
    limit.set_defaults(run=run_limit)


def run_code_set(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        _known_user(args.user, db)
        _current_code_given(args.user, db)
        code = getpass.getpass(f"New purchase code for {args.user}: ")
        if not valid_code(code):
            raise AccountError(
                f"a purchase code is {CODE_DIGITS[0]} to {CODE_DIGITS[-1]} digits (0-9) and "
                "nothing else; the code was not changed"
            )
        if getpass.getpass("Say it again: ") != code:
            raise AccountError("the two codes differ; the code was not changed")
        db.set_purchase_code(args.user, code)
    print(f"{args.user} now needs the purchase code to place an order.")
    return 0


def run_code_clear(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        _known_user(args.user, db)
        had = db.has_purchase_code(args.user)
        _current_code_given(args.user, db)
        db.set_purchase_code(args.user, None)
    print(f"{args.user} {'no longer needs' if had else 'had no'} purchase code.")
    return 0


def run_limit(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        _known_user(args.user, db)
        current = db.limits(args.user)
        wanted = Limits(
            current.per_order if args.per_order is None else args.per_order.amount,
            current.per_day if args.per_day is None else args.per_day.amount,
        )
        if wanted != current:
            _current_code_given(args.user, db)
            db.set_limits(args.user, wanted)
    for name, amount in (("per order", wanted.per_order), ("per day", wanted.per_day)):
        print(f"{name}: {_NO_LIMIT if amount is None else f'{amount:.2f}'}")
    return 0


@dataclass(frozen=True)
class _Amount:
    """A limit given on the command line: an amount, or None for no limit."""

    amount: float | None


def _amount(text: str) -> _Amount:
    """Parse a limit: a finite amount of 0 or more with at most 2 decimals, or 'none'."""
    if text.strip().lower() == _NO_LIMIT:
        return _Amount(None)
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount (like 50 or 12.50)") from None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value.is_signed() or (isinstance(exponent, int) and exponent < -2):
        raise argparse.ArgumentTypeError(
            f"{text!r}: a limit is 0 or more with at most 2 decimals, or '{_NO_LIMIT}'"
        )
    amount = float(value)
    if not math.isfinite(amount):
        raise argparse.ArgumentTypeError(f"{text!r} is too large")
    return _Amount(amount)


def _current_code_given(user: str, db: ShopDatabase) -> None:
    """With a purchase code set, what guards it changes only after it is typed: a wrong code
    counts towards the lock as a spoken one does."""
    if not db.has_purchase_code(user):
        return
    checked = db.check_purchase_code(user, getpass.getpass(f"Current purchase code for {user}: "))
    if checked is CodeCheck.LOCKED:
        raise AccountError(
            f"too many wrong purchase codes: {user}'s purchasing and account guards are locked "
            "for a while; try again later; nothing was changed"
        )
    if checked is not CodeCheck.ACCEPTED:
        raise AccountError(f"that is not {user}'s purchase code; nothing was changed")


def _known_user(user: str, db: ShopDatabase) -> None:
    """Refuse a --user that has never shopped here (a typo would guard nobody)."""
    users = db.users()
    if user not in users:
        known = ", ".join(users) or "none yet"
        raise AccountError(
            f"there is no user {user!r} in {db.path} (users: {known}); a user is made by "
            f"shopping, e.g. `voiceshop chat --user {user}`; nothing was changed"
        )


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
        language = load_language(store.language or "en")
        matcher = ProductMatcher(store, Normalizer(language), settings_of(args).match)
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
