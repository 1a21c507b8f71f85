"""The everyday shopper corpus (tests/everyday): typed shopping dialogs loaded, replayed and
scored, for the tests and for `python -m benchmarks.everyday`.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from support.cases import HISTORY_KEYS, CaseError, check_keys
from voiceshop.dialog.assistant import Assistant
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import Channel, OrderStatus, Purchase
from voiceshop.storage.stores import open_store

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "everyday"
BATCH_SUFFIX = re.compile(r"_(\d+)\.yaml$")
SETS = ("tune", "check")
KNOWN_FAILURES = CORPUS / "known_failures.yaml"

FILE_KEYS = {"store": True, "user": False, "history": False, "dialogs": True}
DIALOG_KEYS = {"id": True, "turns": True, "store": False, "history": False}
TURN_KEYS = {
    "say": True,
    "intent": True,
    "reply": True,
    "cart": True,
    "items": False,
    "orders": False,
    "store": False,
    "ends": False,
}


class CorpusError(CaseError):
    """A corpus file that does not follow the format."""


@dataclass(frozen=True)
class Turn:
    """One thing the shopper says and what a good assistant does."""

    say: str
    intent: str
    reply: str
    cart: dict[str, int]
    items: dict[str, int] | None = None
    orders: int | None = None
    store: str | None = None
    ends: bool = False


@dataclass(frozen=True)
class History:
    """Past purchases of one user at one store: [date, product id, quantity, channel] rows."""

    user: str
    store: str
    rows: tuple[tuple, ...]


@dataclass(frozen=True)
class Dialog:
    """A short conversation, started on a fresh database."""

    id: str
    file: str
    store: str
    user: str
    history: tuple[History, ...]
    turns: tuple[Turn, ...]

    @property
    def batch(self) -> int:
        """The batch the dialog was written in: N for `<theme>_N.yaml`, 1 for `<theme>.yaml`."""
        return batch_of(self.file)


@dataclass
class TurnResult:
    """How one turn went: its own check failures (empty when it did what was expected)."""

    turn: Turn
    problems: list[str] = field(default_factory=list)


@dataclass
class DialogResult:
    """How one dialog went, turn by turn."""

    dialog: Dialog
    turns: list[TurnResult]

    @property
    def turns_passed(self) -> int:
        """Turns that passed with every earlier turn of the dialog."""
        passed = 0
        for result in self.turns:
            if result.problems:
                break
            passed += 1
        return passed

    @property
    def passed(self) -> bool:
        return self.turns_passed == len(self.turns)


# Loading


def batch_of(file_name: str) -> int:
    """The batch of a corpus file name: `checkout_3.yaml` is batch 3, `checkout.yaml` batch 1."""
    found = BATCH_SUFFIX.search(file_name)
    return int(found.group(1)) if found else 1


def load_set(name: str, root: Path = CORPUS) -> list[Dialog]:
    """Every dialog of one set (tune or check), in file order."""
    dialogs = [d for path in sorted((root / name).glob("*.yaml")) for d in load_file(path)]
    seen: set[str] = set()
    for dialog in dialogs:
        if dialog.id in seen:
            raise CorpusError(f"{dialog.file}: dialog id {dialog.id!r} is used twice")
        seen.add(dialog.id)
    return dialogs


def load_file(path: Path) -> list[Dialog]:
    """The dialogs of one corpus file; raises CorpusError naming file, dialog and key."""
    data = yaml.safe_load(path.read_text())
    where = path.name
    check_keys(data, FILE_KEYS, where, CorpusError)
    history = _histories(data.get("history", []), where)
    return [
        _dialog(raw, where, data["store"], data.get("user", "default"), history)
        for raw in _list(data["dialogs"], f"{where}: dialogs")
    ]


def _dialog(raw: object, where: str, store: str, user: str, history: tuple) -> Dialog:
    slug = raw.get("id", "?") if isinstance(raw, dict) else "?"
    here = f"{where} dialog {slug}"
    check_keys(raw, DIALOG_KEYS, here, CorpusError)
    turns = tuple(_turn(t, f"{here} turn {n}") for n, t in enumerate(_list(raw["turns"], here), 1))
    if not turns:
        raise CorpusError(f"{here}: no turns")
    own_history = _histories(raw.get("history", []), here)
    return Dialog(
        str(raw["id"]), where, raw.get("store", store), user, history + own_history, turns
    )


def _turn(raw: object, where: str) -> Turn:
    check_keys(raw, TURN_KEYS, where, CorpusError)
    try:
        re.compile(raw["reply"])
    except (re.error, TypeError) as error:
        raise CorpusError(f"{where}: key 'reply' is not a regular expression: {error}") from None
    for key in ("say", "intent", "reply"):
        _expect(raw[key], str, where, key)
    for key in ("cart", "items"):
        if key in raw:
            _quantities(raw[key], where, key)
    _expect(raw.get("orders", 0), int, where, "orders")
    _expect(raw.get("store", ""), str, where, "store")
    _expect(raw.get("ends", False), bool, where, "ends")
    return Turn(**raw)


def _histories(raw: object, where: str) -> tuple[History, ...]:
    entries = []
    for entry in _list(raw, f"{where}: history"):
        check_keys(entry, HISTORY_KEYS, f"{where} history", CorpusError)
        rows = _list(entry["rows"], f"{where} history rows")
        if not all(isinstance(row, list) and len(row) == 4 for row in rows):
            raise CorpusError(f"{where}: key 'rows' needs [date, product, quantity, channel]")
        entries.append(History(entry["user"], entry["store"], tuple(map(tuple, rows))))
    return tuple(entries)


def _list(raw: object, where: str) -> list:
    if not isinstance(raw, list):
        raise CorpusError(f"{where}: expected a list")
    return raw


def _expect(value: object, kind: type, where: str, key: str) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CorpusError(f"{where}: key {key!r} must be {kind.__name__}")


def _quantities(value: object, where: str, key: str) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(q, int) and not isinstance(q, bool) for q in value.values()
    ):
        raise CorpusError(f"{where}: key {key!r} must map product ids to whole numbers")


# Replaying


def run_dialog(dialog: Dialog, db_path: Path | str) -> DialogResult:
    """Replay one dialog on a fresh database at `db_path` and check every turn."""
    with ShopDatabase(db_path) as db:
        _add_history(db, dialog.history)
        assistant = Assistant(db, dialog.user, dialog.store)
        return DialogResult(dialog, [_play(assistant, db, turn) for turn in dialog.turns])


def _play(assistant: Assistant, db: ShopDatabase, turn: Turn) -> TurnResult:
    before = {(assistant.user, assistant.store_id): _cart(db, assistant.user, assistant.store_id)}
    try:
        reply = assistant.respond(turn.say)
    except Exception as error:  # a crash fails the turn, not the whole run
        return TurnResult(turn, [f"raised {type(error).__name__}: {error}"])
    user, store = assistant.user, assistant.store_id
    cart = _cart(db, user, store)
    result = TurnResult(turn)
    _check(result, reply.intent == turn.intent, "intent", turn.intent, reply.intent)
    _check(result, bool(re.search(turn.reply, reply.text)), "reply", turn.reply, reply.text)
    _check(result, cart == turn.cart, "cart", turn.cart, cart)
    if turn.items is not None:
        delta = _delta(before.get((user, store), {}), cart)
        _check(result, delta == turn.items, "items", turn.items, delta)
    if turn.orders is not None:
        placed = [o for o in db.orders(user) if o.status is OrderStatus.PLACED]
        _check(result, len(placed) == turn.orders, "orders", turn.orders, len(placed))
    if turn.store is not None:
        _check(result, store == turn.store, "store", turn.store, store)
    ends = reply.end_conversation
    _check(result, ends == turn.ends, "ends", turn.ends, ends)
    return result


def _check(result: TurnResult, ok: bool, what: str, expected: object, got: object) -> None:
    if not ok:
        result.problems.append(f"{what}: expected {expected!r}, got {got!r}")


def _cart(db: ShopDatabase, user: str, store: str) -> dict[str, int]:
    return {line.product_id: line.quantity for line in db.cart(user, store)}


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    changes = {pid: after.get(pid, 0) - before.get(pid, 0) for pid in {*before, *after}}
    return {pid: change for pid, change in sorted(changes.items()) if change}


def _add_history(db: ShopDatabase, history: tuple[History, ...]) -> None:
    for entry in history:
        store = open_store(entry.store, db)
        db.link_account(entry.user, store.id, f"customer-{entry.user}")
        purchases = [
            Purchase(
                pid,
                store.product(pid).name if store.product(pid) else pid,
                qty,
                str(day),
                Channel(channel),
            )
            for day, pid, qty, channel in entry.rows
        ]
        db.add_purchases(entry.user, store.id, purchases)


def run_set(dialogs: list[Dialog]) -> list[DialogResult]:
    """Replay every dialog, each on its own fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        return [run_dialog(d, Path(folder) / f"{n}.db") for n, d in enumerate(dialogs)]


# Reporting


def in_batch(dialogs: list[Dialog], batch: int | None) -> list[Dialog]:
    """The dialogs of one batch (all of them for None); exits when the batch has none."""
    if batch is None:
        return dialogs
    chosen = [d for d in dialogs if d.batch == batch]
    if not chosen:
        raise SystemExit(
            f"No dialogs of batch {batch} in {CORPUS}: name its files <theme>_{batch}.yaml"
        )
    return chosen


def score_table(results: dict[str, list[DialogResult]]) -> str:
    """Markdown: dialogs and turns passed per set."""
    lines = ["| set | dialogs passed | turns passed |", "| --- | --- | --- |"]
    for name, outcome in results.items():
        dialogs = sum(r.passed for r in outcome)
        turns = sum(r.turns_passed for r in outcome)
        total = sum(len(r.turns) for r in outcome)
        lines.append(f"| {name} | {_share(dialogs, len(outcome))} | {_share(turns, total)} |")
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    percent = 100 * part / whole if whole else 0.0
    return f"{part}/{whole} ({percent:.1f}%)"


def failure_list(outcome: list[DialogResult]) -> str:
    """Each turn that failed its own checks, with what was expected and what happened."""
    lines = []
    for result in outcome:
        for n, turn in enumerate(result.turns, 1):
            if turn.problems:
                lines.append(
                    f"- {result.dialog.file} {result.dialog.id} turn {n}: {turn.turn.say!r}"
                )
                lines.extend(f"  - {problem}" for problem in turn.problems)
    return "\n".join(lines) or "(none)"


def write_known_failures(results: dict[str, list[DialogResult]]) -> None:
    """Record the dialogs that fail today, for the tests to expect."""
    failing = sorted(r.dialog.id for outcome in results.values() for r in outcome if not r.passed)
    header = (
        "# Dialogs of tests/everyday that fail at the current code, written by\n"
        "# `python -m benchmarks.everyday --write-known-failures`; a fix removes its dialogs.\n"
    )
    KNOWN_FAILURES.write_text(header + yaml.safe_dump({"failing": failing}, sort_keys=False))


def known_failures() -> set[str]:
    """The dialog ids expected to fail today."""
    if not KNOWN_FAILURES.exists():
        return set()
    return set(yaml.safe_load(KNOWN_FAILURES.read_text()).get("failing") or [])
