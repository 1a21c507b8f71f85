"""The config file: where it is, what it sets, what overrides it, and how a bad one is reported."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from voiceshop.cli import main
from voiceshop.cli.common import apply_config, open_assistant, open_db
from voiceshop.cli.main import build_parser
from voiceshop.config import ConfigError, config_path, load_config
from voiceshop.storage.database import ShopDatabase


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("VOICESHOP_CONFIG", str(path))
    return path


def parsed(*argv: str) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    apply_config(args)
    return args


def test_the_file_lives_in_the_platforms_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("VOICESHOP_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "voiceshop" / "config.toml"
    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "xdg" / "voiceshop" / "config.toml")


def test_without_a_file_the_built_in_defaults_apply(config_file: Path) -> None:
    """No language: the store's own language applies (en for the bundled English stores)."""
    assert load_config() == {}
    args = parsed("listen")
    assert (args.user, args.language, args.rate, args.device, args.voice) == (
        "default", None, 170, None, None
    )  # fmt: skip


def test_the_file_sets_defaults_and_the_command_line_wins(config_file: Path) -> None:
    config_file.write_text(
        'user = "sam"\nlanguage = "en"\ndevice = "pulse"\nvoice = "en-us"\nrate = 150\n'
    )
    args = parsed("listen")
    assert (args.user, args.device, args.voice, args.rate) == ("sam", "pulse", "en-us", 150)
    args = parsed("listen", "--user", "kim", "--device", "3", "--rate", "200")
    assert (args.user, args.device, args.voice, args.rate) == ("kim", "3", "en-us", 200)
    assert parsed("replay", "a.wav").rate == 150
    assert parsed("cart").user == "sam"


def test_barge_in_comes_from_the_file_and_the_command_line_can_turn_it_off(
    config_file: Path,
) -> None:
    assert parsed("listen").barge_in is False
    config_file.write_text("barge_in = true\n")
    assert parsed("listen").barge_in is True
    assert parsed("listen", "--no-barge-in").barge_in is False
    config_file.write_text("barge_in = false\n")
    assert parsed("listen", "--barge-in").barge_in is True


def test_barge_in_must_be_true_or_false(config_file: Path) -> None:
    config_file.write_text('rate = 150\nbarge_in = "yes"\n')
    with pytest.raises(ConfigError, match=r"line 2: barge_in must be true or false"):
        load_config()


def test_the_demo_keeps_its_own_user(config_file: Path) -> None:
    config_file.write_text('user = "sam"\n')
    assert parsed("demo").user == "demo"


def test_the_files_store_comes_after_store_and_the_users_default(
    config_file: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file.write_text('store = "coffee"\n')
    assert main(["cart", "--db", str(db_path)]) == 0
    assert "Corner Coffee" in capsys.readouterr().out
    assert main(["cart", "--db", str(db_path), "--store", "pharmacy"]) == 0
    assert "Corner Coffee" not in capsys.readouterr().out
    with ShopDatabase(db_path) as db:
        db.set_default_store("default", "grocery")
    assert main(["cart", "--db", str(db_path)]) == 0
    assert "Green Basket Grocery" in capsys.readouterr().out


def test_config_show_says_where_each_setting_came_from(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file.write_text('store = "coffee"\nrate = 150\n')
    assert main(["config", "show", "--rate", "210"]) == 0
    out = capsys.readouterr().out
    assert f"config file: {config_file} (found)" in out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "'coffee'" in lines["store"] and "# config file" in lines["store"]
    assert "210" in lines["rate"] and "# command line" in lines["rate"]
    assert "'default'" in lines["user"] and "# built-in default" in lines["user"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('store = "coffee"\nrate = 160 wpm\n', r"not valid TOML: .*at line 2"),
        ('store = "coffee"\n\nrat = 160\n', r"config.toml, line 3: unknown setting 'rat'"),
        ('rate = "fast"\n', r"config.toml, line 1: rate must be a whole number, not 'fast'"),
        ("store = 3\n", r"line 1: store must be a quoted text"),
        ("rate = true\n", r"line 1: rate must be a whole number"),
        ('user = "  "\n', r"line 1: user is empty"),
        ("rate = 5\n", r"line 1: rate 5 is outside 50-500"),
        ("[store]\nid = 1\n", r"line 1: store must be a quoted text"),
        ("rate = 160\n[match]\nmin_scor = 0.6\n", r"line 2: \[match\] has no setting 'min_scor'"),
        ("[dialog]\nmax_quantity = 1.5\n", r"\[dialog\] max_quantity must be a whole number"),
        ('[match]\nmin_score = "high"\n', r"\[match\] min_score must be a number"),
        ("dialog = 3\n", r"line 1: dialog must be a table of settings"),
    ],
    ids=[
        "syntax",
        "unknown",
        "type",
        "number-for-text",
        "bool",
        "empty",
        "range",
        "table",
        "unknown-in-table",
        "fraction-for-count",
        "text-for-number",
        "value-for-table",
    ],
)
def test_a_malformed_file_names_the_file_the_line_and_what_to_do(
    config_file: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    config_file.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        load_config()
    assert main(["cart"]) == 2
    err = capsys.readouterr().err
    assert str(config_file) in err
    assert any(hint in err for hint in ("remove", "fix", "e.g.", "give a value", "outside"))


def test_config_show_takes_only_the_settings_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["config", "show", "--db", "x.db"])
    assert "unrecognized arguments: --db" in capsys.readouterr().err
    assert main(["config", "show", "--store", "coffee", "--user", "sam", "--device", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("# command line") == 3


def test_config_path_works_even_when_the_file_is_malformed(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file.write_text("rate = = 3\n")
    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(config_file)
    assert main(["config", "show"]) == 2


def test_doctor_reports_a_malformed_file_and_checks_the_rest(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from voiceshop import doctor

    monkeypatch.setattr(doctor, "ALL_CHECKS", [doctor.check_config, doctor.check_python])
    config_file.write_text("rat = 3\n")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "problem config file:" in out and "unknown setting 'rat'" in out
    assert "ok      python:" in out


def test_dialog_and_match_settings_in_the_file_reach_the_conversation_and_matcher(
    config_file: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file.write_text("[dialog]\nmax_quantity = 5\n[match]\nmin_score = 0.65\n")
    args = parsed("chat", "--db", str(db_path), "--store", "grocery")
    with open_db(args) as db:
        dialog = open_assistant(args, db, "chat").dialog
        assert dialog.settings.max_quantity == 5
        assert dialog.matcher.settings.min_score == 0.65
        dialog.respond("add seven bananas")
        assert not db.cart("default", "grocery"), "7 is over the file's most of one item"
        dialog.respond("add five bananas")
        assert [line.quantity for line in db.cart("default", "grocery")] == [5]
    assert main(["config", "show"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "5" in lines["dialog.max_quantity"] and "# config file" in lines["dialog.max_quantity"]
    assert "# built-in default" in lines["match.max_choices"]


def test_without_tables_the_conversation_keeps_the_built_in_settings(
    config_file: Path, db_path: Path
) -> None:
    args = parsed("chat", "--db", str(db_path), "--store", "grocery")
    with open_db(args) as db:
        dialog = open_assistant(args, db, "chat").dialog
        dialog.respond("add seven bananas")
        assert [line.quantity for line in db.cart("default", "grocery")] == [7]
