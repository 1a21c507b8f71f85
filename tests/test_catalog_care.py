"""`catalog remove`, the import's progress total and skipped rows, and options that mean nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from voiceshop.cli import main
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.stores import ReadSummary, import_catalog

PRODUCT_LIST = (
    "barcode,product_name\n"
    "0123456789012,Oat Milk\n"
    "0123456789013,\n"  # empty name
    "12,Tiny Barcode\n"  # not 8-14 digits
    "0123456789012,Oat Milk Again\n"  # repeated barcode
    "0123456789014,Rye Bread\n"
)


@pytest.fixture
def imported(tmp_path: Path, db_path: Path) -> Path:
    """A database with the product list imported as store 'off'."""
    source = tmp_path / "products.csv"
    source.write_text(PRODUCT_LIST)
    with ShopDatabase(db_path) as db:
        import_catalog(source, db, store_id="off")
    return db_path


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_remove_with_yes_removes_the_catalog(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "remove", "off", "--yes", "--db", str(imported)]) == 0
    assert "Removed store 'off' (Open Food Facts, 2 products)" in capsys.readouterr().out
    with ShopDatabase(imported) as db:
        assert db.store_ids() == []


@pytest.mark.parametrize(("answer", "removed"), [("y\n", True), ("n\n", False), ("\n", False)])
def test_remove_asks_at_the_terminal(
    imported: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    removed: bool,
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    status = main(["catalog", "remove", "off", "--db", str(imported)])
    assert status == (0 if removed else 1)
    assert "Remove store 'off' (Open Food Facts, 2 products)" in capsys.readouterr().out
    with ShopDatabase(imported) as db:
        assert (db.store_ids() == []) is removed


def test_remove_without_a_terminal_needs_yes(
    imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert main(["catalog", "remove", "off", "--db", str(imported)]) == 2
    assert "add --yes" in capsys.readouterr().err
    with ShopDatabase(imported) as db:
        assert db.store_ids() == ["off"]


def test_remove_unsets_it_as_a_default_store(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ShopDatabase(imported) as db:
        db.set_default_store("sam", "off")
        db.set_default_store("kim", "coffee")
    assert main(["catalog", "remove", "off", "--yes", "--db", str(imported)]) == 0
    assert "It was the default store of sam" in capsys.readouterr().out
    with ShopDatabase(imported) as db:
        assert (db.default_store("sam"), db.default_store("kim")) == (None, "coffee")
    assert main(["cart", "--user", "sam", "--db", str(imported)]) == 0
    assert "Green Basket Grocery" in capsys.readouterr().out


def test_remove_refuses_a_bundled_store_clearly(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "remove", "grocery", "--yes", "--db", str(db_path)]) == 2
    err = capsys.readouterr().err
    assert "'grocery' is a bundled store" in err
    assert "only stores imported with `voiceshop catalog import` can" in err


def test_remove_of_an_unknown_store_lists_the_imported_ones(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "remove", "of", "--yes", "--db", str(imported)]) == 2
    assert "no imported store 'of'" in (err := capsys.readouterr().err)
    assert "(imported stores: off)" in err


def test_an_imported_store_shadowing_a_bundled_one_can_be_removed(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "products.csv"
    source.write_text(PRODUCT_LIST)
    assert main(["catalog", "import", str(source), "--id", "coffee", "--db", str(db_path)]) == 0
    assert main(["catalog", "remove", "coffee", "--yes", "--db", str(db_path)]) == 0
    assert "The bundled store 'coffee' is used again." in capsys.readouterr().out


def test_import_reports_the_total_and_the_skipped_rows(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "products.csv"
    source.write_text(PRODUCT_LIST)
    assert main(["catalog", "import", str(source), "--id", "off", "--db", str(db_path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == (
        "Imported 2 products as store 'off' (Open Food Facts); skipped 3 rows: "
        "1 with an empty name, 1 with a barcode that is not 8 to 14 digits, "
        "1 with a barcode listed before. Use it with --store off."
    )
    assert "2/2" in captured.err  # the progress bar had a total


def test_on_read_tells_the_total_before_saving(tmp_path: Path, db_path: Path) -> None:
    source = tmp_path / "products.csv"
    source.write_text(PRODUCT_LIST)
    events: list[object] = []
    with ShopDatabase(db_path) as db:
        import_catalog(source, db, store_id="off", on_read=events.append, progress=events.append)
    assert isinstance(events[0], ReadSummary)
    assert events[0].products == 2
    assert events[0].skipped_total == 3
    assert events[-1] == 2


def test_a_store_file_import_skips_nothing(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from voiceshop.storage.stores import BUNDLED_STORES_DIR

    store_file = str(BUNDLED_STORES_DIR / "coffee.yaml")
    assert main(["catalog", "import", store_file, "--id", "my-coffee", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Imported 10 products as store 'my-coffee'")
    assert "skipped" not in out


@pytest.mark.parametrize(
    "argv",
    [
        ["catalog", "list", "--store", "coffee"],
        ["catalog", "list", "--user", "sam"],
        ["account", "list", "--store", "coffee"],
    ],
    ids=" ".join,
)
def test_list_commands_refuse_options_they_would_ignore(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_account_list_still_takes_user_and_db(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["account", "list", "--user", "sam", "--db", str(db_path)]) == 0
    assert "sam has no linked accounts" in capsys.readouterr().out
