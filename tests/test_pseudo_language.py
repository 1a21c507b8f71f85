"""A language added by data alone: Plimsk, made up, lives in tests/pseudo_language (language,
sentences, replies and a store) and no Python knows its words."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from voiceshop.dialog.assistant import Assistant
from voiceshop.language import Normalizer, load_language
from voiceshop.storage.database import ShopDatabase

PACK = Path(__file__).parent / "pseudo_language"
STORE = PACK / "store.yaml"

SHOP = [
    (
        "zib bi flaskos da zorbel milko en tri glimps",
        "Zibbo 2 flaskos da zorbel milko en 3 glimps. Totta 5 zaks, 8:50 zlot.",
        {"milko": 2, "glimp": 3},
    ),
    ("milko", "Wich: blu milko o zorbel milko?", {"milko": 2, "glimp": 3}),
    (
        "biva",
        "Zibbo 1 flasko da zorbel milko. Totta 6 zaks, 9:75 zlot.",
        {"milko": 3, "glimp": 3},
    ),
    ("kosi ga glimp", "Glimp kosi 2:00 zlot.", {"milko": 3, "glimp": 3}),
    ("krov glimps", "Krovvo 3 glimps. Totta 3 zaks, 3:75 zlot.", {"milko": 3}),
    ("ruvo", "Ruvod: krov 3 glimps.", {"milko": 3, "glimp": 3}),
    (
        "fimblo",
        "Ordo Grobbo Shop: 3 flaskos da zorbel milko en 3 glimps. Totta 6 zaks, 9:75 zlot. Fimblo?",
        {"milko": 3, "glimp": 3},
    ),
    ("yoop", "Ordo 1 fimblod: 6 zaks, 9:75 zlot. Fanko!", {}),
]


def test_a_whole_shop_in_a_made_up_language(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, store=str(STORE), language=str(PACK))
        for said, reply, cart in SHOP:
            assert assistant.respond(said).text == reply, said
            assert {line.product_id: line.quantity for line in assistant.dialog.cart} == cart
        assert assistant.respond("add two glimps").text == "Nix kapi add two glimps."


def test_made_up_numbers_both_ways() -> None:
    numbers = Normalizer(load_language(str(PACK))).numbers
    assert numbers.parse_count(["biki", "tri", "glimps"]) == (23, 2)
    assert numbers.parse_count(["tri", "hunda", "seki", "bi"]) == (372, 4)
    assert numbers.to_words(372) == "tri hunda seki bi"


@pytest.mark.e2e
def test_chat_in_a_made_up_language(db_path: Path) -> None:
    command = ["chat", "--language", str(PACK), "--store", str(STORE), "--db", str(db_path)]
    result = subprocess.run(
        [sys.executable, "-m", "voiceshop", *command],
        input="zib bi glimps\nfimblo\nyoop\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Ordo 1 fimblod: 2 zaks, 4:00 zlot. Fanko!"
