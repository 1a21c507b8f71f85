"""Linked accounts, purchase history import and the commands around them, run as a user would
(the `voiceshop` entry point, in-process), on real SQLite files and
a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceshop.cli import main
from voiceshop.dialog.assistant import Assistant
from voiceshop.storage.database import ShopDatabase

HISTORY = """date,product_id,product,quantity,channel
2026-10-01,oat-milk,,2,in-store
2026-10-08,,Oatly Oat Milk,2,online
2026-10-15,sourdough-bread,,1,in-store
2026-10-15,oat-milk,,1,in-store
"""


def run(capsys: pytest.CaptureFixture[str], db: Path | str, *argv: str) -> tuple[int, str]:
    status = main([*argv, "--db", str(db)])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_link_import_and_shop_with_history(
    tmp_path: Path, db_url: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history.csv"
    history.write_text(HISTORY)
    status, out = run(
        capsys,
        db_url,
        "account",
        "link",
        "--store",
        "grocery",
        "--customer",
        "C-42",
        "--user",
        "Sam",
    )
    assert status == 0 and "Linked Sam's account C-42 at Green Basket Grocery" in out
    status, out = run(
        capsys, db_url, "history", "import", str(history), "--store", "grocery", "--user", "Sam"
    )
    assert status == 0 and "Imported 4 purchases" in out
    status, out = run(capsys, db_url, "history", "show", "--store", "grocery", "--user", "Sam")
    assert "2 x Oatly Oat Milk  (bought 3 times)" in out
    status, out = run(capsys, db_url, "account", "list", "--user", "Sam")
    assert "grocery: customer C-42" in out
    with ShopDatabase(db_url) as db:
        assert "Oat Milk" in Assistant(db, "Sam", "grocery").respond("add milk").text


def test_bad_history_rows_import_nothing(
    tmp_path: Path, db_url: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history.csv"
    history.write_text(
        "date,product_id,product,quantity,channel\n"
        "2026-10-01,oat-milk,,2,in-store\n"
        "2026-13-01,oat-milk,,1,in-store\n"
        "2026-10-02,no-such-thing,,1,online\n"
        "2026-10-03,oat-milk,,zero,online\n"
        "2026-10-04,oat-milk,,1,by pigeon\n"
        "2026-10-05,,zorbleflax deluxe,1,online\n"
    )
    run(capsys, db_url, "account", "link", "--store", "grocery", "--customer", "C-1")
    status, out = run(capsys, db_url, "history", "import", str(history), "--store", "grocery")
    assert status == 2
    assert "5 row(s)" in out and "nothing was imported" in out
    for line, why in [
        (3, "date must be"),
        (4, "product_id 'no-such-thing' is not in the catalog"),
        (5, "quantity must be"),
        (6, "channel must be"),
        (7, "product 'zorbleflax deluxe' does not match"),
    ]:
        assert f"history.csv:{line}: {why}" in out
    with ShopDatabase(db_url) as db:
        assert db.purchases("default", "grocery") == []


def test_history_needs_a_linked_account(
    tmp_path: Path, db_url: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history.csv"
    history.write_text(HISTORY)
    status, out = run(capsys, db_url, "history", "import", str(history), "--store", "grocery")
    assert status == 2 and "link it first" in out


def test_linking_an_unknown_store_is_refused(
    db_url: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, db_url, "account", "link", "--store", "costco", "--customer", "9")
    assert status == 2 and "costco" in out and "voiceshop catalog import" in out
    status, out = run(capsys, db_url, "account", "unlink", "--store", "grocery")
    assert status == 1 and "no account linked" in out


def test_default_store_is_where_the_user_shops(
    db_url: Path | str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _ = run(capsys, db_url, "account", "default", "--store", "coffee", "--user", "Al")
    assert status == 0
    with ShopDatabase(db_url) as db:
        assert Assistant(db, "Al").store.id == "coffee"


def test_history_of_products_no_longer_sold(tmp_path: Path, db_url: Path | str) -> None:
    store_file = tmp_path / "shop.yaml"
    store_file.write_text(
        "format: voiceshop-store/1\nstore: {id: corner, name: Corner Shop}\nproducts:\n"
        "  - {id: tea, name: Green Tea, price: 3.5}\n  - {id: jam, name: Apricot Jam, price: 4}\n"
    )
    with ShopDatabase(db_url) as db:
        main(["catalog", "import", str(store_file), "--db", str(db_url)])
        db.link_account("default", "corner", "X")
        assistant = Assistant(db, "default", "corner")
        assistant.respond("add green tea and apricot jam")
        assistant.respond("check out")
        assistant.respond("yes")
    store_file.write_text(
        "format: voiceshop-store/1\nstore: {id: corner, name: Corner Shop}\nproducts:\n"
        "  - {id: tea, name: Green Tea, price: 3.5}\n"
    )
    main(["catalog", "import", str(store_file), "--db", str(db_url)])
    with ShopDatabase(db_url) as db:
        reply = Assistant(db, "default", "corner").respond("reorder what I got last time").text
    assert "1 Green Tea" in reply
    assert "Apricot Jam is no longer sold at Corner Shop." in reply
