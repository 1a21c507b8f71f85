"""Consent to the order read-back: generated answers, each said after "check out".

Recognizers write one spoken answer as several sentences, so every yes form is combined with
every retraction form, both ways round, with the punctuation a recognizer may put between them.
None of those may place an order; every plain yes form, alone or doubled, must.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.consent import Consent, ConsentReader
from voiceshop.dialog.manager import DialogManager
from voiceshop.intents.parser import IntentParser
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.stores import open_store

YES_FORMS = (
    "Yes",
    "Yeah",
    "Sure",
    "Okay",
    "Right",
    "Perfect",
    "Go ahead",
    "Place it",
    "Yes please",
    "Of course",
)
RETRACTIONS = (
    "No",
    "Nope",
    "Wait",
    "No, wait",
    "Wait, no",
    "Hold on",
    "Actually, no",
    "Actually",
    "Don't place it",
    "Do not place the order",
    "Cancel that",
    "Not yet",
    "Never mind",
    "Hang on",
)
BETWEEN = (". ", "! ", "? ", "... ", ", ")
"""What a recognizer writes between two parts of one answer."""
ENDINGS = (".", "!", "")


def _retracted() -> list[str]:
    answers = []
    for yes, taken_back in itertools.product(YES_FORMS, RETRACTIONS):
        answers += [f"{yes}{between}{taken_back}." for between in BETWEEN]
        answers.append(f"{taken_back}, {yes.lower()}!")
    return answers


def _clear_yes() -> list[str]:
    single = [f"{yes}{end}" for yes, end in itertools.product(YES_FORMS, ENDINGS)]
    doubled = [
        f"{first}{between}{second.lower()}."
        for first, second in itertools.product(YES_FORMS, YES_FORMS)
        for between in (". ", ", ")
        if first != second
    ]
    return single + doubled


RETRACTED = _retracted()
CLEAR_YES = _clear_yes()


@pytest.fixture(scope="module")
def dialog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DialogManager]:
    with ShopDatabase(tmp_path_factory.mktemp("consent") / "shop.db") as db:
        yield DialogManager(open_store("grocery", db), db)


def _answer_read_back(dialog: DialogManager, answer: str) -> tuple[str, int]:
    """Fill the cart, check out, answer; the reply and how many orders it placed."""
    if not dialog.cart:
        dialog.respond("add a banana")
    before = len(dialog.db.orders(dialog.user))
    assert "Shall I place the order?" in dialog.respond("check out").text
    reply = dialog.respond(answer).text
    placed = len(dialog.db.orders(dialog.user)) - before
    dialog.state.pending = None
    return reply, placed


def test_the_generated_sets_are_large() -> None:
    assert len(RETRACTED) >= 500
    assert len(CLEAR_YES) >= 150


def test_no_retracted_answer_places_an_order(dialog: DialogManager) -> None:
    answered = {answer: _answer_read_back(dialog, answer) for answer in RETRACTED}
    assert [answer for answer, (_, placed) in answered.items() if placed] == []
    nothing_placed = {dialog.replies.say("confirm_again"), dialog.replies.say("order_not_placed")}
    assert {a: reply for a, (reply, _) in answered.items() if reply not in nothing_placed} == {}


def test_a_yes_taken_back_asks_again(dialog: DialogManager) -> None:
    for answer in ("Yes. No, wait.", "Sure. Hold on.", "Place it? No.", "Yes... no."):
        reply, placed = _answer_read_back(dialog, answer)
        assert (reply, placed) == (dialog.replies.say("confirm_again"), 0), answer


def test_every_clear_yes_places_the_order(dialog: DialogManager) -> None:
    not_placed = [answer for answer in CLEAR_YES if _answer_read_back(dialog, answer)[1] != 1]
    assert not_placed == []


@pytest.mark.parametrize(
    ("answer", "consent"),
    [
        ("Yes.", Consent.GIVEN),
        ("Yes, thanks.", Consent.GIVEN),
        ("Sure! Place the order.", Consent.GIVEN),
        ("Yes, hmm.", Consent.WAVERING),
        ("Yes. Add milk.", Consent.WAVERING),
        ("Perfect. Actually no.", Consent.WAVERING),
        ("No.", Consent.NOT_YES),
        ("Add milk.", Consent.NOT_YES),
        ("", Consent.NOT_YES),
        ("I do.", Consent.NOT_YES),
    ],
)
def test_consent_reads_the_whole_answer(answer: str, consent: Consent) -> None:
    assert ConsentReader(IntentParser()).read(answer) is consent


def test_several_stores_a_taken_back_yes_places_nothing(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        assistant = Assistant(db, store="grocery")
        assistant.respond("add a banana")
        assistant.respond("add a toothbrush from the pharmacy")
        assert len(db.carts("default")) == 2
        for answer in ("check out", "Yes. Wait.", "no", "no"):
            assistant.respond(answer)
        assert db.orders("default") == []


def test_a_taken_back_yes_cancels_no_order(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as db:
        assistant = Assistant(db, store="grocery")
        for said in ("add a banana", "check out", "yes"):
            assistant.respond(said)
        assert assistant.respond("cancel my last order").text.startswith("Cancel order 1")
        assert assistant.respond("Yes. No, wait.").text.startswith("Cancel order 1")
        assert [order.status for order in db.orders("default")] == ["placed"]
        assistant.respond("Yes.")
        assert [order.status for order in db.orders("default")] == ["cancelled"]
