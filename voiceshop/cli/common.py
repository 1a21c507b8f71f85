"""Options every subcommand understands the same way, and the objects they build."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from voiceshop.catalog.model import Store
from voiceshop.catalog.resolve import open_store
from voiceshop.dialog.assistant import DEFAULT_STORE, Assistant
from voiceshop.errors import VoiceShopError
from voiceshop.storage.backend import database_target, shown_target
from voiceshop.storage.database import ShopDatabase


def default_db_path() -> Path | str:
    """`$VOICESHOP_DB` (a file path or a `postgresql://` URL), else voiceshop.db in the user's
    data directory."""
    if os.environ.get("VOICESHOP_DB"):
        return database_target(os.environ["VOICESHOP_DB"])
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "voiceshop" / "voiceshop.db"


def _shown_default() -> Path | str:
    return shown_target(default_db_path())


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
        type=database_target,
        default=None,
        metavar="FILE|URL",
        help="the SQLite database file, or a PostgreSQL database as postgresql://USER@HOST/NAME "
        f"(default: $VOICESHOP_DB or {_shown_default()})",
    )
    group.add_argument("--user", default="default", help="whose cart and orders (default: default)")
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


def open_assistant(args: argparse.Namespace, db: ShopDatabase, interface: str) -> Assistant:
    """The conversation for --user, starting at --store, with carts and orders in `db`;
    `interface` (`chat`, `voice`, ...) is recorded with the orders it places."""
    return Assistant(db, user=args.user, store=store_spec(args, db), interface=interface)
