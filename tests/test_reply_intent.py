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
    said = ("some eggs for me", "either one is fine", "what's in my cart", "no thanks")
    assert intents(db_path, *said) == ["AddItems", "AnyChoice", "ReadCart", "No"]


@pytest.mark.parametrize("answer", ["whichever is cheapest", "the cheapest one", "cheaper one"])
def test_the_cheapest_names_one_of_the_choices_and_acts_as_a_choice(
    db_path: Path, answer: str
) -> None:
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, "shopper", "grocery")
        assistant.respond("some eggs for me")
        assert assistant.respond(answer).intent == "Choose"
        assert [line.product_id for line in db.cart("shopper", "grocery")] == ["large-white-eggs"]


def test_not_understood_has_no_intent_and_shop_wide_requests_name_theirs(db_path: Path) -> None:
    assert intents(db_path, "", "go to the pharmacy") == [None, "SelectStore"]


def replies(db_path: Path, *said: str) -> list[str]:
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, "shopper", "grocery")
        return [assistant.respond(text).text for text in said]


def test_words_that_say_done_check_out_when_no_question_is_open(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, "shopper", "grocery")
        assistant.respond("a couple of limes")
        done = assistant.respond("that is it")
        assert (done.intent, "place the order" in done.text) == ("Checkout", True)
        assert assistant.respond("yep").text.startswith("Order 1 is placed")


def test_the_same_words_answer_a_question_that_is_open(db_path: Path) -> None:
    assert intents(db_path, "I need some eggs", "that is it") == ["AddItems", "Yes"]


def test_checkout_with_only_an_unanswered_choice_says_it(db_path: Path) -> None:
    reply = replies(db_path, "some eggs please", "okay I am ready to pay")[1]
    assert reply.startswith("You haven't chosen which eggs")
    assert "Shall I place" not in reply


def test_not_understood_offers_requests_with_a_product_of_the_store(db_path: Path) -> None:
    reply = replies(db_path, "zibber zabber quux")[0]
    assert reply.startswith("Sorry, I didn't catch that. You can say things like add a")
    assert "what's in my cart" in reply


def test_a_new_count_while_asked_which_one_counts_the_item_asked_about(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, "shopper", "grocery")
        asked = assistant.respond("could I get a few yogurts").text
        assert assistant.respond("actually make that four").text == asked
        assistant.respond("the dannon one")
        assert [(line.product_id, line.quantity) for line in db.cart("shopper", "grocery")] == [
            ("vanilla-yogurt", 4)
        ]
