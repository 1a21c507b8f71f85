"""The shopper naming corpus loads, names only real products, and keeps its halves apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.shopper_names import CorpusError, catalog_ids, load_file, load_names


@pytest.mark.parametrize("half", ["tune", "check"])
def test_every_expected_id_is_in_its_store_catalog(half: str) -> None:
    phrases = load_names(half)
    assert {phrase.store for phrase in phrases} == {"grocery", "pharmacy", "warehouse"}
    for phrase in phrases:
        assert set(phrase.expect_ids) <= catalog_ids(phrase.store), phrase
        assert phrase.not_carried == (not phrase.expect_ids), phrase


def test_halves_are_disjoint_and_each_holds_every_kind() -> None:
    tune, check = load_names("tune"), load_names("check")
    said_in_tune = {(phrase.store, phrase.say) for phrase in tune}
    assert not said_in_tune & {(phrase.store, phrase.say) for phrase in check}
    for half in (tune, check):
        assert any(phrase.not_carried for phrase in half)
        assert any(phrase.is_ask for phrase in half)
        assert any(len(phrase.expect_ids) == 1 for phrase in half)


def test_unknown_half_is_refused() -> None:
    with pytest.raises(CorpusError, match="unknown half"):
        load_names("train")


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("  - say: oat milk\n    expect: oatly-oat-milk\n", "unknown product id.*oatly-oat-milk"),
        ("  - say: oat milk\n    expect: oat-milk\n    note: x\n", "unknown key.*note"),
        ("  - say: oat milk\n    expect: [oat-milk]\n", "'expect' must be"),
        ("  - say: oat milk\n", "'expect' must be"),
    ],
)
def test_a_bad_phrase_is_named_with_its_file(tmp_path: Path, phrase: str, problem: str) -> None:
    path = tmp_path / "grocery.yaml"
    path.write_text("store: grocery\nphrases:\n" + phrase, encoding="utf-8")
    with pytest.raises(CorpusError, match=problem) as caught:
        load_file(path)
    assert str(path) in str(caught.value)
    assert "'oat milk'" in str(caught.value)
