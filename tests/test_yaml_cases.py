"""Every runner of YAML test cases refuses a key it does not know, so a misspelt expectation
fails instead of silently checking nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cases import CaseError, check_keys, sentence_cases
from support.replay import load_scripts
from tests.test_conversations import load_conversation

KEYS = {"say": True, "reply": False}


def test_check_keys_names_the_unknown_key_and_the_known_ones() -> None:
    with pytest.raises(CaseError, match=r"turn 2: unknown key 'repyl'; the keys are reply, say"):
        check_keys({"say": "hi", "repyl": "Hello"}, KEYS, "turn 2")


def test_check_keys_wants_the_required_keys_and_a_mapping() -> None:
    check_keys({"say": "hi"}, KEYS, "turn 1")
    with pytest.raises(CaseError, match="missing key 'say'"):
        check_keys({"reply": "Hello"}, KEYS, "turn 1")
    with pytest.raises(CaseError, match="expected a mapping, got list"):
        check_keys(["say"], KEYS, "turn 1")


def test_sentence_cases_refuse_an_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "xx.yaml"
    path.write_text("tests:\n  - say: add milk\n    intent: AddItems\n    quantiy: 1\n")
    with pytest.raises(CaseError, match=r"xx.yaml case 1: unknown key 'quantiy'"):
        sentence_cases(path)


def test_conversation_scripts_refuse_an_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "talk.yaml"
    path.write_text("store: grocery\nturns:\n  - say: hi\n    reply: Hello\n    carts: {}\n")
    with pytest.raises(CaseError, match=r"talk.yaml turn 1: unknown key 'carts'"):
        load_conversation(path)


def test_voice_scripts_refuse_an_unknown_key_in_an_item(tmp_path: Path) -> None:
    (tmp_path / "spoken.yaml").write_text(
        "store: grocery\nturns:\n  - wav: a.wav\n    items: [{product: milk, quantty: 2}]\n"
    )
    with pytest.raises(CaseError, match=r"spoken.yaml turn 1 item 1: unknown key 'quantty'"):
        load_scripts(tmp_path)
