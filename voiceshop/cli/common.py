"""Options every subcommand understands the same way, and the objects they build."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from voiceshop.catalog.model import Store
from voiceshop.config import KEYS, load_config, resolve
from voiceshop.dialog.assistant import DEFAULT_STORE, Assistant
from voiceshop.errors import VoiceShopError
from voiceshop.settings import Settings, settings_from
from voiceshop.storage.backend import database_target, shown_target
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.stores import open_store


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
    """A parent parser with --store, --db, --user and --language."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("shop")
    group.add_argument(
        "--store",
        default=None,
        help="a bundled store (grocery, coffee, pharmacy, warehouse), an imported store id, or "
        "a store file path (default: the user's default store, else the config file's store, "
        f"else {DEFAULT_STORE})",
    )
    _add_db(group)
    _add_user(group)
    group.add_argument(
        "--language",
        default=None,
        help="the language spoken: a code with data in voiceshop/data/<code>/ (en, fr), or a "
        "language pack folder (default: the config's, else the store's language, else en)",
    )
    return parent


def db_options(with_user: bool = False) -> argparse.ArgumentParser:
    """A parent parser with --db only, or --db and --user: for commands that need no store."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("database")
    _add_db(group)
    if with_user:
        _add_user(group)
    return parent


def _add_db(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--db",
        type=database_target,
        default=None,
        metavar="FILE|URL",
        help="the SQLite database file, or a PostgreSQL database as postgresql://USER@HOST/NAME "
        f"(default: $VOICESHOP_DB or {_shown_default()})",
    )


def _add_user(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--user", default=None, help="whose cart and orders (default: the config's, else default)"
    )


def apply_config(args: argparse.Namespace) -> None:
    """Fill the options not given on the command line from the config file, else the built-in
    defaults; the config's store is kept as `args.config_store` (see `store_spec`), the settings
    tree built from it as `args.settings` (see `settings_of`). ConfigError when the file is
    malformed."""
    config = load_config()
    given = {name: getattr(args, name, None) for name in KEYS}
    for name, setting in resolve(given, config).items():
        if name != "store" and hasattr(args, name):
            setattr(args, name, setting.value)
    args.config_store = config.get("store")
    args.settings = settings_from(config)


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings tree `apply_config` built; the built-in settings where it did not run."""
    settings: Settings | None = getattr(args, "settings", None)
    return settings or Settings()


def open_db(args: argparse.Namespace) -> ShopDatabase:
    """The database of --db, once --user (where the command has it) is known to name someone."""
    user: str | None = getattr(args, "user", None)
    if user is not None and not user.strip():
        raise VoiceShopError(
            f"--user {user!r} names no one; give a name, or leave --user out for 'default'"
        )
    db = ShopDatabase(args.db or default_db_path())
    meant = db.user_named(user) if user is not None else None
    if meant is not None and meant != user:
        db.close()
        raise VoiceShopError(
            f"--user {user!r} is not a user in {db.path}, but {meant!r} is: give the name "
            "as it is written there (a new user's name must differ in more than case and "
            "spaces); nothing was changed"
        )
    return db


def store_spec(args: argparse.Namespace, db: ShopDatabase) -> str:
    """--store, else the user's default store, else the config file's store, else the bundled
    grocery store."""
    return (
        args.store
        or db.default_store(args.user)
        or getattr(args, "config_store", None)
        or DEFAULT_STORE
    )


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
        settings=settings_of(args),
    )
