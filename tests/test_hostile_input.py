"""Hostile and clumsy input stays bounded: each is refused with one clear line, never a hang."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.test_cli import stdin_of
from voiceshop.cli import main
from voiceshop.dialog.assistant import Assistant
from voiceshop.intents.parser import MAX_UTTERANCE_CHARS, MAX_UTTERANCE_WORDS, IntentParser
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.schema import APPLICATION_ID


@pytest.fixture
def assistant(db_path: Path) -> Iterator[Assistant]:
    with ShopDatabase(db_path) as db:
        yield Assistant(db, store="grocery")


@pytest.mark.parametrize(
    "text",
    [
        "add a lemon. " * (4000 // len("add a lemon. ")),
        "at " * (MAX_UTTERANCE_WORDS + 1),
        "7" * 4000,
        "add " + "a" * MAX_UTTERANCE_CHARS,
    ],
    ids=["sentences", "words", "digits", "one-long-word"],
)
def test_an_overlong_utterance_is_refused_unread(
    assistant: Assistant, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never_parse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an overlong utterance reached the intent parser")

    monkeypatch.setattr(IntentParser, "parse", never_parse)
    reply = assistant.respond(text).text
    assert reply == assistant.dialog.replies.say("too_long", words=MAX_UTTERANCE_WORDS)
    assert assistant.dialog.cart == []


def test_an_utterance_within_the_limit_is_understood(assistant: Assistant) -> None:
    text = "add a lemon, " * 4 + "and a banana"
    assert len(text.split()) <= MAX_UTTERANCE_WORDS
    assistant.respond(text)
    assert {line.name for line in assistant.dialog.cart} >= {"Lemon", "Banana"}


def test_chat_skips_an_undecodable_stdin_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", stdin_of(b"add a lemon\n\xff\xfe add eggs\nadd a banana\n"))

    assert main(["chat", "--db", str(db_path)]) == 0
    out, err = capsys.readouterr()
    assert [line.split(".")[0] for line in out.splitlines()] == ["Added 1 Lemon", "Added 1 Banana"]
    assert err.strip() == (
        "voiceshop: skipped line 2 of the input: not valid utf-8 text (byte 1); write it as utf-8"
    )


def write_instacart(folder: Path, products: int) -> Path:
    """An Instacart-style products.csv with `products` rows, and its aisles and departments."""
    (folder / "aisles.csv").write_text("aisle_id,aisle\n1,fresh fruits\n", encoding="utf-8")
    (folder / "departments.csv").write_text("department_id,department\n1,produce\n")
    rows = "".join(f"{n},Fruit Number {n},1,1\n" for n in range(1, products + 1))
    path = folder / "products.csv"
    path.write_text("product_id,product_name,aisle_id,department_id\n" + rows, encoding="utf-8")
    return path


def import_args(path: Path, db_url: Path | str, *extra: str) -> list[str]:
    return ["catalog", "import", str(path), "--id", "fruit", "--db", str(db_url), *extra]


def product_count(db_url: Path | str) -> int:
    with ShopDatabase(db_url) as db:
        store = db.load_store("fruit")
    return len(store.products) if store else 0


@pytest.mark.parametrize("kept", [0, 9])
def test_an_import_that_empties_or_halves_a_catalog_is_refused(
    tmp_path: Path, db_url: Path | str, capsys: pytest.CaptureFixture[str], kept: int
) -> None:
    assert main(import_args(write_instacart(tmp_path, 20), db_url)) == 0
    capsys.readouterr()

    assert main(import_args(write_instacart(tmp_path, kept), db_url)) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "voiceshop:" in line]
    assert len(errors) == 1
    assert "nothing was" in errors[0]
    assert product_count(db_url) == 20


def test_replace_takes_a_smaller_catalog_but_never_an_empty_one(
    tmp_path: Path, db_url: Path | str
) -> None:
    assert main(import_args(write_instacart(tmp_path, 20), db_url)) == 0
    assert main(import_args(write_instacart(tmp_path, 0), db_url, "--replace")) == 2
    assert main(import_args(write_instacart(tmp_path, 9), db_url, "--replace")) == 0
    assert product_count(db_url) == 9
    assert main(import_args(write_instacart(tmp_path, 10), db_url)) == 0
    assert product_count(db_url) == 10


def test_a_smaller_catalog_is_warned_about(
    tmp_path: Path, db_url: Path | str, caplog: pytest.LogCaptureFixture
) -> None:
    assert main(import_args(write_instacart(tmp_path, 20), db_url)) == 0
    assert main(import_args(write_instacart(tmp_path, 12), db_url)) == 0
    assert caplog.messages == ["store 'fruit' now has 12 products, 8 fewer than before"]


def test_a_store_file_without_products_is_refused(
    tmp_path: Path, db_url: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("format: voiceshop-store/1\nstore: {id: fruit, name: Fruit}\nproducts: []\n")

    assert main(import_args(path, db_url)) == 2
    assert f"voiceshop: {path} holds no products; nothing was imported" in capsys.readouterr().err


def test_another_programs_database_is_refused_and_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.db"
    with closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        other.execute("PRAGMA user_version = 3")
        other.commit()
    before = path.read_bytes()

    assert main(["cart", "--db", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"voiceshop: the database {path} belongs to another program (it has tables notes but "
        "no voiceshop mark); it was left untouched; give --db a new file or a voiceshop database"
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def test_a_database_from_before_the_mark_is_still_opened_and_marked(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        Assistant(db, store="grocery").respond("add a lemon")
    with closing(sqlite3.connect(db_path)) as raw:
        raw.execute("PRAGMA application_id = 0")
        raw.commit()

    with ShopDatabase(db_path) as db:
        assert [line.name for line in db.cart("default", "grocery")] == ["Lemon"]
    with closing(sqlite3.connect(db_path)) as raw:
        assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


@pytest.mark.parametrize("user", ["", "   ", "\t"])
def test_an_empty_user_name_is_refused(
    user: str, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cart", "--user", user, "--db", str(db_path)]) == 2
    assert capsys.readouterr().err == (
        f"voiceshop: --user {user!r} names no one; give a name, or leave --user out for 'default'\n"
    )
    assert not db_path.exists()


@pytest.mark.parametrize(
    "said",
    [
        "change the bananas to -5",
        "make it minus 3",
        "add -2 bananas",
        "add ½ banana",
        "add 1/2 banana",
        "add 2½ bananas",
        "add 1.5 bananas",
    ],
)
def test_negative_and_fractional_counts_are_refused(assistant: Assistant, said: str) -> None:
    assistant.respond("add two bananas")

    assert assistant.respond(said).text == assistant.dialog.replies.say("not_a_count")
    assert [(line.name, line.quantity) for line in assistant.dialog.cart] == [("Banana", 2)]


def test_numbers_in_names_still_name_products(assistant: Assistant) -> None:
    assistant.respond("add a 2 liter coke")
    assert [line.quantity for line in assistant.dialog.cart] == [1]


def test_a_smaller_catalog_is_said_after_the_import_and_carts_and_orders_keep_its_products(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(import_args(write_instacart(tmp_path, 20), db_path)) == 0
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, store="fruit")
        assistant.respond("add fruit number 17")
        assistant.respond("check out")
        assert assistant.respond("yes").text.startswith("Order 1 is placed")
        assistant.respond("add two fruit number 18")
    capsys.readouterr()

    assert main(import_args(write_instacart(tmp_path, 12), db_path)) == 0

    out, err = capsys.readouterr()
    assert out.strip().startswith("Imported 12 products as store 'fruit'")
    assert err.strip().splitlines()[-1] == (
        f"voiceshop: warning: store 'fruit' now has 8 products fewer than the 20 it had (is "
        f"{tmp_path / 'products.csv'} cut short?). Carts and orders keep the products left out; "
        "import the whole file again to sell them again."
    )
    with ShopDatabase(db_path) as db:
        assert product_count(db_path) == 12
        assert [(line.name, line.quantity) for line in db.cart("default", "fruit")] == [
            ("Fruit Number 18", 2)
        ]
        [order] = db.orders("default")
        assert [(line.name, line.quantity) for line in order.lines] == [("Fruit Number 17", 1)]
