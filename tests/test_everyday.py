"""The everyday shopper corpus (tests/everyday), one case per dialog and backend (SQLite,
PostgreSQL).

Dialogs listed in tests/everyday/known_failures.yaml fail at the current code and are strict
xfails: a change that makes one pass must remove it from the list
(`python -m benchmarks.everyday --write-known-failures`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.everyday import (
    SETS,
    CorpusError,
    Dialog,
    batch_of,
    failure_list,
    in_batch,
    known_failures,
    load_file,
    load_set,
    run_dialog,
)

DIALOGS = [dialog for name in SETS for dialog in load_set(name)]
KNOWN = known_failures()


def _case(dialog: Dialog) -> object:
    marks = [pytest.mark.xfail(strict=True, reason="known failure")] if dialog.id in KNOWN else []
    return pytest.param(dialog, id=dialog.id, marks=marks)


@pytest.mark.parametrize("dialog", [_case(d) for d in DIALOGS])
def test_dialog(dialog: Dialog, db_url: Path | str) -> None:
    result = run_dialog(dialog, db_url)
    assert result.passed, failure_list([result])


def test_corpus_size_and_split() -> None:
    ids = [d.id for d in DIALOGS]
    assert len(ids) == len(set(ids)), "a dialog id is used in both tune and check"
    assert sum(len(d.turns) for d in DIALOGS) >= 400
    tune = load_set("tune")
    for batch in {d.batch for d in DIALOGS}:
        whole = in_batch(DIALOGS, batch)
        assert len(in_batch(tune, batch)) == len(whole) // 2, f"batch {batch} is not halved"


@pytest.mark.parametrize(
    ("name", "batch"),
    [
        ("checkout.yaml", 1),
        ("checkout_2.yaml", 2),
        ("units_and_packs_3.yaml", 3),
        ("x_12.yaml", 12),
    ],
)
def test_batch_of_file_name(name: str, batch: int) -> None:
    assert batch_of(name) == batch


def test_in_batch_keeps_one_batch(tmp_path: Path) -> None:
    for name in ("milk.yaml", "milk_3.yaml"):
        text = f"store: grocery\ndialogs:\n  - id: {name}\n    turns: [{TURN}]\n"
        (tmp_path / name).write_text(text)
    dialogs = [d for name in ("milk.yaml", "milk_3.yaml") for d in load_file(tmp_path / name)]
    assert [d.id for d in in_batch(dialogs, 3)] == ["milk_3.yaml"]
    assert [d.id for d in in_batch(dialogs, 1)] == ["milk.yaml"]
    assert in_batch(dialogs, None) == dialogs
    with pytest.raises(SystemExit, match="No dialogs of batch 2"):
        in_batch(dialogs, 2)


def test_known_failures_are_dialogs() -> None:
    assert not KNOWN - {d.id for d in DIALOGS}, "stale known failures"


TURN = "{say: add milk, intent: AddItems, reply: Added, cart: {}}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"store: grocery\ndialogs:\n  - id: d1\n    turns: [{TURN}]\n", None),
        (
            "store: grocery\ndialogs:\n  - id: d1\n    turns:\n"
            "      - {say: add milk, intent: AddItems, reply: Added, cart: {}, item: {}}\n",
            "t.yaml dialog d1 turn 1: unknown key 'item'",
        ),
        (
            "store: grocery\ndialogs:\n  - id: d1\n    turns:\n"
            "      - {say: add milk, intnet: AddItems, reply: Added, cart: {}}\n",
            "t.yaml dialog d1 turn 1: unknown key 'intnet'",
        ),
        (
            "store: grocery\ndialogs:\n  - id: d1\n    turns:\n"
            "      - {say: add milk, intent: AddItems, reply: Added}\n",
            "t.yaml dialog d1 turn 1: missing key 'cart'",
        ),
        (
            f"store: grocery\ndialogs:\n  - id: d1\n    stores: coffee\n    turns: [{TURN}]\n",
            "t.yaml dialog d1: unknown key 'stores'",
        ),
        (f"store: grocery\ndialog:\n  - id: d1\n    turns: [{TURN}]\n", "t.yaml: unknown key"),
        (
            "store: grocery\ndialogs:\n  - id: d1\n    turns:\n"
            "      - {say: add milk, intent: AddItems, reply: Added, cart: {milk: two}}\n",
            "t.yaml dialog d1 turn 1: key 'cart' must map product ids to whole numbers",
        ),
        (
            "store: grocery\ndialogs:\n  - id: d1\n    turns:\n"
            "      - {say: add milk, intent: AddItems, reply: '(', cart: {}}\n",
            "t.yaml dialog d1 turn 1: key 'reply' is not a regular expression",
        ),
    ],
    ids=[
        "valid",
        "misspelt-items",
        "misspelt-intent",
        "missing-cart",
        "misspelt-store",
        "misspelt-dialogs",
        "bad-cart",
        "bad-regex",
    ],
)
def test_strict_schema(tmp_path: Path, text: str, message: str | None) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    if message is None:
        assert [d.id for d in load_file(path)] == ["d1"]
        return
    with pytest.raises(CorpusError) as error:
        load_file(path)
    assert str(error.value).startswith(message)
