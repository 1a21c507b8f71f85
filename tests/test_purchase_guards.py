"""Purchase code, wrong-code lock, spending limits and the order audit, on SQLite and on
PostgreSQL (tests taking `db_url` run once per backend)."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from support.raw_sql import raw_rows
from voiceshop.cli.main import main
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.manager import DialogManager
from voiceshop.dialog.purchase import spoken_code
from voiceshop.language import Normalizer, load_language
from voiceshop.storage import database
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.guards import CodeCheck, CodeRequired, Limits
from voiceshop.storage.schema import MIGRATIONS, SCHEMA_VERSION
from voiceshop.storage.stores import open_store

CODE = "0472"


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("one two three four", "1234"),
        ("twelve thirty-four", "1234"),
        ("1234", "1234"),
        ("0123", "0123"),
        ("oh four seven two", "0472"),
        ("my code is 4 5 6 7", "4567"),
        ("yes", ""),
    ],
)
def test_a_code_is_read_from_any_spoken_form(said: str, code: str) -> None:
    assert spoken_code(said, Normalizer(load_language("en"))) == code


def _confirmed(assistant: Assistant) -> str:
    assistant.respond("add two lemons")
    assistant.respond("check out")
    return assistant.respond("yes").text


def test_an_order_waits_for_the_right_code_and_records_it(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.set_purchase_code("default", CODE)
        assistant = Assistant(db, store="grocery", interface="chat")
        asked = assistant.respond("add two lemons"), assistant.respond("check out")
        assert not any(reply.secret_answer for reply in asked)
        question = assistant.respond("yes")
        assert question.text == "Please say your purchase code."
        assert question.secret_answer
        assert db.orders("default") == []
        placed = assistant.respond("oh four seven two")
        assert placed.text.startswith("Order 1 is placed")
        assert not placed.secret_answer
        order = db.orders("default")[0]
        assert (order.interface, order.code_given) == ("chat", True)
        [row] = raw_rows(db_url, "SELECT code_hash FROM purchase_guards")
        assert row[0].startswith("$argon2") and CODE not in row[0]


def test_three_wrong_codes_lock_purchasing_for_fifteen_minutes(
    db_url: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ShopDatabase(db_url) as db:
        db.set_purchase_code("default", CODE)
        assistant = Assistant(db, store="grocery")
        _confirmed(assistant)
        replies = [assistant.respond(code).text for code in ("1111", "2222", "3333")]
        assert (
            replies[0]
            == replies[1]
            == ("That code isn't right. Please say your purchase code again.")
        )
        assert "locked for 15 minutes" in replies[2]
        again = Assistant(db, store="grocery")
        again.respond("check out")
        assert "locked" in again.respond("yes").text
        assert db.orders("default") == []
        later = database._utc_now() + timedelta(minutes=16)
        monkeypatch.setattr(database, "_utc_now", lambda: later)
        again.respond("check out")
        assert again.respond("yes").text == "Please say your purchase code."
        assert again.respond(CODE).text.startswith("Order 1 is placed")


def test_a_switched_user_needs_their_own_code(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.set_purchase_code("Sam", "9876")
        assistant = Assistant(db, store="grocery")
        assert _confirmed(assistant).startswith("Order 1 is placed")
        assistant.respond("this is Sam")
        assert _confirmed(assistant) == "Please say your purchase code."
        assert "isn't right" in assistant.respond("one two three four").text
        assert assistant.respond("nine eight seven six").text.startswith("Order 2 is placed")
        assert [o.code_given for o in db.orders("Sam")] == [True]


def test_checkout_without_the_code_is_refused_in_the_database(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        dialog = DialogManager(open_store("grocery", db), db)
        dialog.respond("add two lemons")
        db.set_purchase_code("default", CODE)
        cart = db.cart("default", "grocery")
        with pytest.raises(CodeRequired):
            db.checkout("default", "grocery", cart, "key")
        assert db.orders("default") == [] and db.cart("default", "grocery") == cart


def test_wrong_codes_said_at_once_in_many_places_all_count(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.set_purchase_code("default", CODE)
    barrier = threading.Barrier(5)
    outcomes: list[CodeCheck] = []

    def say_a_wrong_code() -> None:
        with ShopDatabase(db_url) as db:
            barrier.wait()
            outcomes.append(db.check_purchase_code("default", "1111"))

    threads = [threading.Thread(target=say_a_wrong_code) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcome.value for outcome in outcomes) == ["locked"] * 3 + ["wrong"] * 2
    with ShopDatabase(db_url) as db:
        assert db.purchasing_locked("default")


def test_cancel_at_the_code_question_places_nothing(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.set_purchase_code("default", CODE)
        assistant = Assistant(db, store="grocery")
        _confirmed(assistant)
        assert "haven't placed" in assistant.respond("cancel").text
        assert db.orders("default") == [] and db.cart("default", "grocery")


def test_an_order_over_the_per_order_limit_is_not_placed(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.set_limits("default", Limits(per_order=1.00))
        assistant = Assistant(db, store="grocery")
        reply = _confirmed(assistant)
        assert (
            reply
            == "This order is $1.38, over your limit of $1.00 per order, so I haven't placed it."
        )
        assert db.orders("default") == [] and db.cart("default", "grocery")


def test_two_concurrent_checkouts_over_the_daily_limit_place_one_order(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.set_limits("default", Limits(per_day=2.00))
    barrier = threading.Barrier(2)
    replies: dict[str, str] = {}

    def shop(store_id: str, line: str) -> None:
        with ShopDatabase(db_url) as db:
            dialog = DialogManager(open_store(store_id, db), db)
            dialog.respond(line)
            dialog.respond("check out")
            barrier.wait()
            replies[store_id] = dialog.respond("yes").text

    threads = [
        threading.Thread(target=shop, args=("grocery", "add two lemons")),
        threading.Thread(target=shop, args=("grocery-copy", "add two lemons")),
    ]
    with ShopDatabase(db_url) as db:
        store = open_store("grocery", db)
        db.save_store(replace(store, id="grocery-copy"))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with ShopDatabase(db_url) as db:
        assert len(db.orders("default")) == 1
    refused = [text for text in replies.values() if "daily limit" in text]
    assert refused == [
        "You've spent $1.38 today; with this order of $1.38 that's over your daily limit of"
        " $2.00, so I haven't placed it."
    ]


def test_account_commands_set_the_code_and_limits(
    db_url: Path | str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ShopDatabase(db_url) as db:
        db.save_cart("ann", "grocery", [])
    base = ["account", "--db", str(db_url), "--user", "ann"]
    typed = iter(["12a4", "4321", "4322", "4321", "4321"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert main([base[0], "code", "set", *base[1:]]) == 2
    assert main([base[0], "code", "set", *base[1:]]) == 2
    assert main([base[0], "code", "set", *base[1:]]) == 0
    out = capsys.readouterr()
    assert "4321" not in out.out + out.err
    ghost = ["account", "code", "set", "--db", str(db_url), "--user", "ghost"]
    assert main(ghost) == 2
    assert "no user 'ghost'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["account", "limit", "--db", str(db_url), "--user", "ann", "--per-day", "-5"])
    with pytest.raises(SystemExit):
        main(["account", "limit", "--db", str(db_url), "--user", "ann", "--per-day", "1.234"])
    typed = iter(["4321"])
    limit = ["account", "limit", "--db", str(db_url), "--user", "ann"]
    assert main([*limit, "--per-order", "40", "--per-day", "100.50"]) == 0
    with ShopDatabase(db_url) as db:
        assert db.has_purchase_code("ann") and not db.has_purchase_code("ghost")
        assert db.limits("ann") == Limits(40.0, 100.5)
        assert "ghost" not in db.users()
    typed = iter(["4321"])
    assert main([base[0], "code", "clear", *base[1:]]) == 0
    with ShopDatabase(db_url) as db:
        assert not db.has_purchase_code("ann")


def test_with_a_code_set_the_guards_change_only_after_the_current_code(
    db_url: Path | str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ShopDatabase(db_url) as db:
        db.save_cart("ann", "grocery", [])
        db.set_purchase_code("ann", "4321")
    typed = iter(["1111", "0000", "99999", "99999", "4321"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    base = ["--db", str(db_url), "--user", "ann"]
    assert main(["account", "code", "clear", *base]) == 2
    assert "not ann's purchase code; nothing was changed" in capsys.readouterr().err
    assert main(["account", "limit", *base, "--per-order", "1000"]) == 2
    assert main(["account", "code", "set", *base]) == 2
    assert main(["account", "code", "set", *base]) == 2
    assert "locked" in capsys.readouterr().err
    with ShopDatabase(db_url) as db:
        assert db.has_purchase_code("ann") and db.limits("ann") == Limits()
        assert db.check_purchase_code("ann", "4321") is CodeCheck.LOCKED
    assert main(["account", "limit", *base]) == 0


@pytest.mark.e2e
def test_chat_takes_the_code_without_showing_it_and_orders_json_audits(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        db.set_purchase_code("default", "8642")
    command = [sys.executable, "-m", "voiceshop"]
    chat = subprocess.run(
        [*command, "chat", "--db", str(db_url), "--store", "grocery"],
        input="add two lemons\ncheck out\nyes\neight six four two\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert "8642" not in chat.stdout + chat.stderr and "eight six" not in chat.stdout
    listed = subprocess.run(
        [*command, "orders", "--json", "--db", str(db_url), "--store", "grocery"],
        capture_output=True,
        text=True,
        check=True,
    )
    [order] = json.loads(listed.stdout)
    assert (order["user"], order["interface"], order["code_given"]) == ("default", "chat", True)
    assert order["placed_at"]


def test_a_version_3_database_is_migrated_with_its_orders_kept(db_path: Path) -> None:
    connection = sqlite3.connect(db_path)
    for statements in MIGRATIONS[:3]:
        for statement in statements:
            connection.execute(statement)
    connection.execute("INSERT INTO users (name, created_at) VALUES ('ann', '2024-01-01')")
    connection.execute(
        "INSERT INTO orders (user_id, store_id, placed_at, status) VALUES (1, 'grocery',"
        " '2024-01-01T00:00:00+00:00', 'placed')"
    )
    connection.execute("INSERT INTO order_lines VALUES (1, 0, 'lemon', 'Lemon', 1, '{}', 0.69)")
    connection.execute("PRAGMA user_version = 3")
    connection.commit()
    connection.close()
    with ShopDatabase(db_path) as db:
        [order] = db.orders("ann")
        assert (order.interface, order.code_given, order.item_count) == (None, False, 1)
        assert db.limits("ann") == Limits() and not db.has_purchase_code("ann")
    version = sqlite3.connect(db_path).execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION == 6


def _dump(db_path: Path) -> list[str]:
    connection = sqlite3.connect(db_path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["account", "code", "set", "--user", "ghost"], "there is no user 'ghost'"),
        (["account", "code", "clear", "--user", "ghost"], "there is no user 'ghost'"),
        (["account", "limit", "--user", "ghost", "--per-day", "5"], "there is no user 'ghost'"),
        (["account", "limit", "--user", "", "--per-day", "5"], "--user '' names no one"),
        (["account", "code", "clear", "--user", "  "], "--user '  ' names no one"),
        (["chat", "--user", " "], "--user ' ' names no one"),
        (["account", "limit", "--user", "ANN", "--per-day", "5"], "but 'ann' is"),
        (["account", "code", "clear", "--user", " ann"], "but 'ann' is"),
        (["chat", "--user", "Ann"], "but 'ann' is"),
        (["chat", "--user", "ann "], "but 'ann' is"),
    ],
)
def test_unknown_blank_and_lookalike_users_are_refused_and_change_nothing(
    command: list[str], message: str, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ShopDatabase(db_path) as db:
        db.save_cart("ann", "grocery", [])
        db.set_purchase_code("ann", CODE)
    before = _dump(db_path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO("add two lemons\ncheck out\nyes\n"))
        assert main([*command, "--db", str(db_path)]) == 2

    assert message in capsys.readouterr().err
    assert _dump(db_path) == before


@pytest.mark.parametrize(
    "amount", ["-5", "-0", "-0.00", "abc", "", "nan", "inf", "1e400", "12.345", "$50", "1,000"]
)
def test_a_malformed_or_negative_limit_is_refused_and_changes_nothing(
    amount: str, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ShopDatabase(db_path) as db:
        db.save_cart("ann", "grocery", [])
        db.set_limits("ann", Limits(per_order=40.0))
    before = _dump(db_path)

    for option in ("--per-order", "--per-day"):
        with pytest.raises(SystemExit) as refused:
            main(["account", "limit", "--db", str(db_path), "--user", "ann", option, amount])
        assert refused.value.code == 2
        assert f"argument {option}: {amount!r}" in capsys.readouterr().err

    assert _dump(db_path) == before


def test_saying_a_users_name_in_another_case_needs_their_code(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        db.save_cart("sam", "grocery", [])
        db.set_purchase_code("sam", "9876")
        assistant = Assistant(db, store="grocery")
        assert assistant.respond("this is Sam").text.startswith("Hi sam!")
        assert _confirmed(assistant) == "Please say your purchase code."
        assert db.users() == ["sam"]
        assert db.orders("sam") == []
