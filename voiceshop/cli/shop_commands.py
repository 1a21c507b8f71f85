"""Text-side commands: chat, cart, orders, catalog import/search/list."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from voiceshop.cli.common import (
    db_options,
    language_of,
    open_assistant,
    open_db,
    open_shop,
    settings_of,
    shop_options,
)
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.conversation import Reply
from voiceshop.dialog.purchase import MASK
from voiceshop.errors import CatalogError, StoreNotFoundError
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import CartLine, Order
from voiceshop.storage.stores import ReadSummary, bundled_store_names, import_catalog
from voiceshop.voice_loop import LoopSettings

_LOGGER = logging.getLogger(__name__)


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register the text-side subcommands."""
    shop = shop_options()
    chat = commands.add_parser(
        "chat",
        parents=[shop],
        help="talk to the shop in text (interactive, or one line per utterance on stdin)",
        description="A text conversation with the same replies voiceshop speaks. Reads lines "
        "from stdin when it is not a terminal, one utterance per line.",
    )
    chat.set_defaults(run=run_chat)

    cart = commands.add_parser("cart", parents=[shop], help="show the current cart")
    cart.add_argument("--json", action="store_true", help="machine-readable output")
    cart.set_defaults(run=run_cart)

    orders = commands.add_parser("orders", parents=[shop], help="list placed orders")
    orders.add_argument("--json", action="store_true", help="machine-readable output")
    orders.add_argument("--all-stores", action="store_true", help="orders from every store")
    orders.set_defaults(run=run_orders)

    catalog = commands.add_parser("catalog", help="import, search and list store catalogs")
    actions = catalog.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    imported = actions.add_parser(
        "import",
        parents=[shop],
        help="import a store file or an Instacart products.csv into the database",
        description="Import a store file (YAML/JSON, see docs/store-format.md) or an "
        "Instacart-style products.csv (with aisles.csv and departments.csv beside it). "
        "A store with the same id is replaced (a file with less than half its products only with "
        "--replace); --language gives the language of its names and shoppers (default: a store "
        "file's language:, else en), which its conversations then speak; a file without "
        "products and a failed import change nothing.",
    )
    imported.add_argument("file", type=Path, help="store file or products.csv")
    imported.add_argument("--id", dest="store_id", help="store id to save it under")
    imported.add_argument("--name", help="store name to say")
    imported.add_argument(
        "--replace",
        action="store_true",
        help="replace the store even when the file has less than half its products",
    )
    imported.set_defaults(run=run_catalog_import)

    search = actions.add_parser(
        "search",
        parents=[shop],
        help="rank products for a spoken phrase",
        description="Rank the store's products for a phrase. With --json and the phrase '-', "
        "read one phrase per line from stdin and write one JSON line per phrase.",
    )
    search.add_argument("phrase", help="what a shopper might say, or - with --json for stdin")
    search.add_argument("--limit", type=int, default=5, help="how many products (default: 5)")
    search.add_argument("--json", action="store_true", help="machine-readable output")
    search.set_defaults(run=run_catalog_search)

    listed = actions.add_parser(
        "list", parents=[db_options()], help="list bundled and imported stores"
    )
    listed.set_defaults(run=run_catalog_list)

    removed = actions.add_parser(
        "remove",
        parents=[db_options()],
        help="remove an imported store's catalog (asks first; carts and orders stay)",
        description="Remove the catalog of a store imported with `catalog import`. Asks for "
        "confirmation unless --yes. Carts, orders and purchase history at the store stay; the "
        "bundled stores cannot be removed.",
    )
    removed.add_argument("store_id", metavar="ID", help="the imported store's id")
    removed.add_argument("--yes", action="store_true", help="remove without asking")
    removed.set_defaults(run=run_catalog_remove)


def run_chat(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        assistant = open_assistant(args, db, "chat")
        interactive = sys.stdin.isatty()
        if interactive:
            print(f"voiceshop: {assistant.store.name}. Type what you'd say; 'goodbye' to leave.")
        secret = [False]
        for line in _typed_lines(secret) if interactive else _stdin_lines():
            reply = _answer(assistant, line.strip(), secret[0])
            secret[0] = reply.secret_answer
            print(f"voiceshop: {reply.text}" if interactive else reply.text, flush=True)
            if reply.end_conversation:
                break
    return 0


def _typed_lines(secret: list[bool]) -> Iterator[str]:
    """Lines typed at the terminal until end of input or Ctrl-C; undecodable ones are skipped.
    While `secret[0]` is set (the purchase code is asked for) the typing is not echoed."""
    while True:
        try:
            yield getpass.getpass("code> ") if secret[0] else input("you> ")
        except UnicodeDecodeError as err:
            print(_undecodable(err, "that line"), file=sys.stderr)
        except (EOFError, KeyboardInterrupt):
            print()
            return


def _stdin_lines() -> Iterator[str]:
    """The lines of stdin, decoded; a line that does not decode is skipped with a message."""
    encoding = sys.stdin.encoding or "utf-8"
    for number, raw in enumerate(sys.stdin.buffer, 1):
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError as err:
            print(_undecodable(err, f"line {number} of the input"), file=sys.stderr, flush=True)


def _undecodable(err: UnicodeDecodeError, where: str) -> str:
    return (
        f"voiceshop: skipped {where}: not valid {err.encoding} text (byte {err.start + 1}); "
        f"write it as {err.encoding}"
    )


def _answer(assistant: Assistant, text: str, secret: bool) -> Reply:
    """The reply to one typed line; a failure is logged (the line masked when it answers a
    secret question) and apologised for, never fatal; a secret question stays asked."""
    try:
        return assistant.respond(text)
    except Exception:
        _LOGGER.exception("The conversation failed to answer %r", MASK if secret else text)
        return Reply(_failure_reply(assistant), secret_answer=secret)


def _failure_reply(assistant: Assistant) -> str:
    """The apology for a failed answer, in the assistant's language if its replies load."""
    try:
        return assistant.dialog.replies.say("failure")
    except Exception:
        return LoopSettings().failure_reply


def run_cart(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        store = open_shop(args, db)
        lines = db.cart(args.user, store.id)
    if args.json:
        print(json.dumps({"store": store.id, "user": args.user, "lines": _lines_json(lines)}))
        return 0
    if not lines:
        print(f"The cart at {store.name} is empty.")
        return 0
    for line in lines:
        print(_line_text(line))
    print(_total_text(lines))
    return 0


def run_orders(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        store_id = None if args.all_stores else open_shop(args, db).id
        orders = db.orders(args.user, store_id)
    if args.json:
        print(json.dumps([_order_json(o) for o in orders]))
        return 0
    if not orders:
        print("No orders yet.")
    for order in orders:
        total = f"${order.total:.2f}" if order.total is not None else "price unknown"
        print(
            f"Order {order.id}  {order.placed_at}  {order.store_id}  {order.status}  "
            f"{order.item_count} items  {total}"
        )
        for line in order.lines:
            print(f"  {_line_text(line)}")
    return 0


def run_catalog_import(args: argparse.Namespace) -> int:
    summaries: list[ReadSummary] = []
    before: list[int] = []
    with (
        open_db(args) as db,
        tqdm(desc=f"reading {args.file.name}", unit=" products") as bar,
    ):

        def read(summary: ReadSummary) -> None:
            summaries.append(summary)
            bar.set_description(f"saving {args.file.name}")
            bar.reset(total=summary.products)

        def progress(done: int) -> None:
            bar.update(done - bar.n)

        store = import_catalog(
            args.file,
            db,
            store_id=args.store_id,
            name=args.name,
            language=args.language,
            progress=progress,
            replace=args.replace,
            on_read=read,
            replaced=before.append,
        )
        bar.update(len(store.products) - bar.n)
    count = len(store.products)
    skipped = _skipped_text(summaries[0]) if summaries else ""
    print(
        f"Imported {count:,} products as store '{store.id}' ({store.name}){skipped}. "
        f"Use it with --store {store.id}."
    )
    if before and count < before[0]:
        print(
            f"voiceshop: warning: store '{store.id}' now has {before[0] - count:,} products fewer "
            f"than the {before[0]:,} it had (is {args.file} cut short?). Carts and orders keep "
            "the products left out; import the whole file again to sell them again.",
            file=sys.stderr,
        )
    return 0


def _skipped_text(summary: ReadSummary) -> str:
    """ "; skipped 12 rows: 10 with an empty name, 2 ..." or "" when no row was skipped."""
    if not summary.skipped:
        return ""
    reasons = ", ".join(f"{count:,} {reason}" for reason, count in summary.skipped.items())
    plural = "s" if summary.skipped_total != 1 else ""
    return f"; skipped {summary.skipped_total:,} row{plural}: {reasons}"


def run_catalog_remove(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        names = db.store_names()
        if args.store_id not in names:
            raise StoreNotFoundError(_not_removable(args.store_id, names, db.path))
        products = len(store.products) if (store := db.load_store(args.store_id)) else 0
        what = f"store '{args.store_id}' ({names[args.store_id]}, {products:,} products)"
        if not args.yes and not _confirmed(f"Remove {what} from {db.path}? [y/N] "):
            print("Nothing was removed.")
            return 1
        db.delete_store(args.store_id)
        bundled = args.store_id in bundled_store_names()
        cleared = [] if bundled else _clear_default_store(db, args.store_id)
    again = f" The bundled store '{args.store_id}' is used again." if bundled else ""
    print(f"Removed {what}; its carts, orders and history stay.{again}")
    if cleared:
        print(
            f"It was the default store of {', '.join(cleared)}: they now shop at the config "
            "file's store, else grocery (`voiceshop account default --store S` sets another)."
        )
    return 0


def _clear_default_store(db: ShopDatabase, store_id: str) -> list[str]:
    """Unset `store_id` as anyone's default store (it could no longer be opened); who had it."""
    users = [user for user in db.users() if db.default_store(user) == store_id]
    for user in users:
        db.set_default_store(user, None)
    return users


def _not_removable(store_id: str, imported: dict[str, str], db_path: Path | str) -> str:
    if store_id in bundled_store_names():
        return (
            f"'{store_id}' is a bundled store, shipped with voiceshop: it cannot be removed, "
            "only stores imported with `voiceshop catalog import` can"
        )
    known = ", ".join(sorted(imported)) or "none"
    return (
        f"no imported store '{store_id}' in {db_path} (imported stores: {known}); "
        "`voiceshop catalog list` shows them"
    )


def _confirmed(question: str) -> bool:
    """The user's yes to `question` at the terminal; without a terminal, a refusal that names
    --yes."""
    if not sys.stdin.isatty():
        raise CatalogError(
            "catalog remove asks before removing, but there is no terminal to ask at; "
            "add --yes to remove without asking"
        )
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def run_catalog_search(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        store = open_shop(args, db)
    language = load_language(language_of(args, store))
    matcher = ProductMatcher(store, Normalizer(language), settings_of(args).match)
    if args.json and args.phrase == "-":
        for line in _stdin_lines():
            print(json.dumps(_search_json(matcher, line.strip(), args.limit)), flush=True)
        return 0
    if args.json:
        print(json.dumps(_search_json(matcher, args.phrase, args.limit)))
        return 0
    result = matcher.match(args.phrase)
    print(f"{result.outcome.value}:")
    for candidate in matcher.rank(args.phrase, args.limit):
        product = candidate.product
        price = f"${product.price:.2f}" if product.price is not None else "price unknown"
        print(
            f"  {candidate.score:.3f}  {product.id:>12}  {product.display_name}  "
            f"({product.department or 'no department'}, {price})"
        )
    return 0


def run_catalog_list(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        imported = db.store_ids()
    print("bundled: " + ", ".join(bundled_store_names()))
    print("imported: " + (", ".join(imported) if imported else "none"))
    return 0


def _search_json(matcher: ProductMatcher, phrase: str, limit: int) -> dict:
    result = matcher.match(phrase)
    return {
        "phrase": phrase,
        "outcome": result.outcome.value,
        "candidates": [
            {"product_id": c.product.id, "name": c.product.display_name, "score": c.score}
            for c in matcher.rank(phrase, limit)
        ],
    }


def _lines_json(lines: list[CartLine]) -> list[dict]:
    return [
        {
            "product_id": line.product_id,
            "name": line.name,
            "quantity": line.quantity,
            "options": line.options,
            "price": line.unit_price,
        }
        for line in lines
    ]


def _order_json(order: Order) -> dict:
    return {
        "id": order.id,
        "store": order.store_id,
        "user": order.user,
        "placed_at": order.placed_at,
        "status": str(order.status),
        "total": order.total,
        "interface": order.interface,
        "code_given": order.code_given,
        "lines": _lines_json(list(order.lines)),
    }


def _line_text(line: CartLine) -> str:
    options = ", ".join(line.options.values())
    price = f"${line.price:.2f}" if line.price is not None else "price unknown"
    extra = f" ({options})" if options else ""
    return f"{line.quantity} x {line.name}{extra}  {price}"


def _total_text(lines: list[CartLine]) -> str:
    known = [line.price for line in lines if line.price is not None]
    count = sum(line.quantity for line in lines)
    return f"{count} items, ${sum(known):.2f}" if known else f"{count} items"
