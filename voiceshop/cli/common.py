"""Options every subcommand understands the same way, and the objects they build."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from voiceshop.catalog.model import Store
from voiceshop.catalog.resolve import open_store
from voiceshop.dialog.assistant import DEFAULT_STORE, Assistant
from voiceshop.errors import VoiceShopError
from voiceshop.storage.database import ShopDatabase


def default_db_path() -> Path:
    """`$VOICESHOP_DB`, else voiceshop.db in the user's data directory."""
    if os.environ.get("VOICESHOP_DB"):
        return Path(os.environ["VOICESHOP_DB"])
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "voiceshop" / "voiceshop.db"


def shop_options() -> argparse.ArgumentParser:
    """A parent parser with --store, --db and --user."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("shop")
    group.add_argument(
        "--store",
        default=None,
        help="a bundled store (grocery, coffee, pharmacy, warehouse), an imported store id, or "
        f"a store file path (default: the user's default store, else {DEFAULT_STORE})",
    )
    group.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"the SQLite database file (default: $VOICESHOP_DB or {default_db_path()})",
    )
    group.add_argument("--user", default="default", help="whose cart and orders (default: default)")
    group.add_argument(
        "--language",
        default=None,
        help="the language spoken: a code with data in voiceshop/data/<code>/ (en, fr), or a "
        "language pack folder (default: the store's language, else en)",
    )
    return parent


def open_db(args: argparse.Namespace) -> ShopDatabase:
    """The database of --db, once --user is known to name someone."""
    if not args.user.strip():
        raise VoiceShopError(
            f"--user {args.user!r} names no one; give a name, or leave --user out for 'default'"
        )
    return ShopDatabase(args.db or default_db_path())


def store_spec(args: argparse.Namespace, db: ShopDatabase) -> str:
    """--store, else the user's default store, else the bundled grocery store."""
    return args.store or db.default_store(args.user) or DEFAULT_STORE


def open_shop(args: argparse.Namespace, db: ShopDatabase) -> Store:
    return open_store(store_spec(args, db), db)


def language_of(args: argparse.Namespace, store: Store) -> str:
    """--language, else the store's language, else English."""
    return getattr(args, "language", None) or store.language or "en"


def open_assistant(args: argparse.Namespace, db: ShopDatabase, interface: str) -> Assistant:
    """The conversation for --user, starting at --store, in --language (else each store's),
    with carts and orders in `db`; `interface` (`chat`, `voice`, ...) is recorded with the
    orders it places."""
    return Assistant(
        db,
        user=args.user,
        store=store_spec(args, db),
        language=getattr(args, "language", None),
        interface=interface,
    )
