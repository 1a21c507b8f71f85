"""The reply names the intent the dialog acted on, read in context, not the words alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceshop.dialog.assistant import Assistant
from voiceshop.storage.database import ShopDatabase


def intents(db_path: Path, *said: str) -> list[str | None]:
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, "shopper", "grocery")
        return [assistant.respond(text).intent for text in said]


@pytest.mark.parametrize("answer", ["the brown ones please", "organic", "eggland's best"])
def test_words_that_pick_an_offered_choice_act_as_a_choice(db_path: Path, answer: str) -> None:
    assert intents(db_path, "could you add some eggs", answer) == ["AddItems", "Choose"]


def test_the_same_words_with_no_question_open_are_an_item(db_path: Path) -> None:
    assert intents(db_path, "brown eggs") == ["AddItems"]


def test_answers_of_their_own_kind_keep_their_intent(db_path: Path) -> None:
    said = ("some eggs for me", "whichever is cheapest", "what's in my cart", "no thanks")
    assert intents(db_path, *said) == ["AddItems", "CheapestChoice", "ReadCart", "No"]


def test_not_understood_has_no_intent_and_shop_wide_requests_name_theirs(db_path: Path) -> None:
    assert intents(db_path, "", "go to the pharmacy") == [None, "SelectStore"]
