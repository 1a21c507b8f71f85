"""The `voiceshop` command as a user runs it: help, text chat, cart, orders and catalogs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CATALOG_DIR, require_shared
from voiceshop.cli import main
from voiceshop.cli.main import build_parser
from voiceshop.dialog.assistant import Assistant
from voiceshop.storage.database import ShopDatabase


def voiceshop(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voiceshop", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stdin_of(data: bytes, encoding: str = "utf-8") -> io.TextIOWrapper:
    """A stand-in for a piped stdin holding `data`, read in `encoding` as the locale's would."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding)


def subcommands() -> list[list[str]]:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    found = [[name] for name in commands]
    for name, sub in commands.items():
        if sub._subparsers is not None:
            found += [[name, action] for action in sub._subparsers._group_actions[0].choices]
    return found


@pytest.mark.parametrize("argv", subcommands(), ids=" ".join)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    assert "usage: voiceshop" in capsys.readouterr().out


@pytest.mark.e2e
def test_chat_reads_utterances_from_stdin(db_path: Path) -> None:
    said = "add two cartons of organic whole milk\ncheck out\nyes\n"
    result = voiceshop("chat", "--db", str(db_path), stdin=said)
    assert result.returncode == 0, result.stderr
    replies = result.stdout.splitlines()
    assert replies[0].startswith("Added 2 cartons of Horizon Organic Whole Milk.")
    assert replies[1].endswith("Shall I place the order?")
    assert replies[2].startswith("Order 1 is placed: 2 items")
    orders = json.loads(voiceshop("orders", "--json", "--db", str(db_path)).stdout)
    assert orders[0]["lines"][0]["product_id"] == "organic-whole-milk"
    assert orders[0]["lines"][0]["quantity"] == 2


def test_cart_json(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ShopDatabase(db_path) as db:
        Assistant(db, "default", "coffee").respond("a large latte with a bit of soy milk")
    assert main(["cart", "--json", "--store", "coffee", "--db", str(db_path)]) == 0
    cart = json.loads(capsys.readouterr().out)
    assert cart["lines"] == [
        {
            "product_id": "latte",
            "name": "Latte",
            "quantity": 1,
            "options": {"size": "large", "milk": "a bit of soy milk"},
            "price": cart["lines"][0]["price"],
        }
    ]


def test_search_many_phrases_in_one_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", stdin_of(b"hole milk\nsour dough bread\n"))
    assert main(["catalog", "search", "--json", "-", "--db", str(db_path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["candidates"][0]["product_id"] for line in lines] == [
        "whole-milk",
        "sourdough-bread",
    ]
    assert all(0 < c["score"] <= 1 for line in lines for c in line["candidates"])


def test_malformed_catalog_names_file_line_and_field(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "format: voiceshop-store/1\nstore: {id: bad, name: Bad}\nproducts:\n"
        "  - {id: a, name: Apple, price: 1}\n  - {id: b, name: Pear, price: cheap}\n"
    )
    assert main(["catalog", "import", str(bad), "--db", str(db_path)]) == 2
    assert "bad.yaml:5" in capsys.readouterr().err
    assert main(["catalog", "list", "--db", str(db_path)]) == 0
    assert "imported: none" in capsys.readouterr().out


def test_unknown_store_says_what_to_do(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cart", "--store", "costco", "--db", str(db_path)]) == 2
    assert "voiceshop catalog import" in capsys.readouterr().err


@pytest.mark.slow
def test_import_and_search_the_real_instacart_catalog(db_path: Path) -> None:
    products = require_shared(CATALOG_DIR / "products.csv")
    result = voiceshop("catalog", "import", str(products), "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    assert "Imported 49,688 products as store 'instacart'" in result.stdout
    found = voiceshop(
        "catalog",
        "search",
        "lindora sorted chocolate truffles",
        "--store",
        "instacart",
        "--json",
        "--db",
        str(db_path),
    )
    assert json.loads(found.stdout)["candidates"][0]["name"] == (
        "Lindor Assorted Chocolate Truffles"
    )


@pytest.mark.parametrize("argv", subcommands(), ids=" ".join)
def test_every_command_is_in_the_readme(argv: list[str]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    if len(argv) == 1:
        assert f"`voiceshop {argv[0]}" in readme
    else:
        parent, action = argv
        assert f"{parent} {action}" in readme or f"{parent} [{action}]" in readme
