"""The dialog manager: turns each understood utterance into cart changes and a short reply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from voiceshop.dialog.buying_again import BuyingAgain
from voiceshop.dialog.cart_changes import CartChanges
from voiceshop.dialog.checkout import Checkout
from voiceshop.dialog.conversation import Reply
from voiceshop.dialog.state import (
    Choosing,
    ConfirmingCheckout,
    ConfirmingCode,
    ConfirmingCount,
    ConfirmingHeard,
)
from voiceshop.intents.answers import OpenQuestion, Question
from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.intents.parser import MAX_UTTERANCE_WORDS, is_too_long

_SMALL_TALK = ("Greet", "Thanks")
"""Intents answered without touching an open question."""
_ASKED_AGAIN = ("Price", "ListKinds", "HowMany", "ReadCart", "WhereCheaper")
"""Questions about a product that "what about X" asks again of another product."""
_CART_CHANGES = ("AddItems", "RemoveItems", "SetQuantity", "AddAnother", "ClearCart", "Undo")


class DialogManager(Checkout, CartChanges, BuyingAgain):
    """One user's conversation with one store, keeping the cart in the database."""

    def _intent_handlers(self) -> dict[str, Callable[[Intent], str]]:
        return {
            "AddItems": self._add_items,
            "RemoveItems": self._remove_items,
            "SetQuantity": self._set_quantity,
            "ReadCart": self._read_cart,
            "ClearCart": self._clear_cart,
            "Price": self._price,
            "ListKinds": self._list_kinds,
            "Checkout": self._checkout,
            "Choose": self._choose_without_question,
            "AnyChoice": self._choose_out_of_context,
            "CheapestChoice": self._choose_out_of_context,
            "Count": self._choose_out_of_context,
            "OneItem": self._choose_out_of_context,
            "SeparateItems": self._choose_out_of_context,
            "Yes": self._yes_no_out_of_context,
            "No": self._yes_no_out_of_context,
            "Cancel": self._cancel,
            "Undo": self._undo,
            "Help": lambda _: self.replies.say("help"),
            "Greet": lambda _: self.replies.say("greeting"),
            "Thanks": lambda _: self.replies.say("welcome"),
            "CartTotal": self._cart_total,
            "HowMany": self._how_many,
            "AddAnother": self._add_another,
            "ReadAll": self._read_all,
            "ReadRest": self._read_rest,
            "OrderUsual": self._order_usual,
            "ReorderLast": self._reorder_last,
            "BuyAgain": self._buy_again,
            "WhatAbout": self._what_about,
        }

    def _what_about(self, intent: Intent) -> str:
        """ "what about beer": the question asked last, of this product; an add when the last
        turn asked none."""
        asked = self.state.last_question
        if asked not in _ASKED_AGAIN or asked not in self._handlers:
            asked = "AddItems"
        self._acted = asked
        request = ItemRequest(intent.product)
        return self._handlers[asked](replace(intent, name=asked, items=(request,)))

    def _note_question(self, acted: str | None) -> None:
        """Remember the question about a product just answered, forget it once the cart
        changes."""
        if acted in _ASKED_AGAIN:
            self.state.last_question = acted
        elif acted in _CART_CHANGES:
            self.state.last_question = ""

    def handles(self, intent: Intent) -> bool:
        """Whether this store's dialog answers the intent (the others are shop-wide)."""
        return intent.name in self._handlers or intent.name in ("Repeat", "Goodbye")

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        """Answer one utterance. Never raises for anything the user says."""
        if is_too_long(text):
            return self._remember(Reply(self.replies.say("too_long", words=MAX_UTTERANCE_WORDS)))
        return self.answer(text, self.parser.parse(text) if text.strip() else None, confidence)

    def answer(self, text: str, intent: Intent | None, confidence: float = 1.0) -> Reply:
        """Answer an utterance this dialog's parser read as `intent`; the reply names the
        intent acted on, read in context."""
        self._acted = intent.name if intent else None
        self._text = text
        if intent is not None and intent.name == "Repeat":
            said = self.state.last_reply or self.replies.say("nothing_to_repeat")
            return Reply(said, intent=intent.name)
        if intent is not None and intent.name == "Goodbye":
            self.state.pending = None
            goodbye = Reply(self.replies.say("goodbye"), end_conversation=True, intent=intent.name)
            return self._remember(goodbye)
        said = self._answer(text, intent, confidence)
        self._note_question(self._acted)
        reply = Reply(
            said, secret_answer=isinstance(self.state.pending, ConfirmingCode), intent=self._acted
        )
        return self._remember(reply)

    def open_question(self) -> OpenQuestion | None:
        """The question waiting for an answer, if any: a choice, or a yes or no."""
        pending = self.state.pending
        if pending is None:
            return None
        if isinstance(pending, Choosing):
            offered = [p.display_name for p in pending.choices]
            return OpenQuestion(Question.CHOOSE, (*offered, *(i.phrase for i in pending.apart)))
        if isinstance(pending, ConfirmingCount) and pending.proposed is None:
            return OpenQuestion(Question.COUNT)
        if isinstance(pending, ConfirmingCode):
            return OpenQuestion(Question.CODE)
        return OpenQuestion(Question.CONFIRM)

    def _remember(self, reply: Reply) -> Reply:
        self.state.last_reply = reply.text
        return reply

    def _answer(self, text: str, intent: Intent | None, confidence: float) -> str:
        pending = self.state.pending
        if intent is not None and intent.name in _SMALL_TALK:
            return self._small_talk(intent)
        if isinstance(pending, ConfirmingCheckout):
            return self._answer_checkout(pending, text, intent)
        if isinstance(pending, ConfirmingCode):
            return self._answer_code(pending, text, intent)
        if isinstance(pending, ConfirmingHeard):
            return self._answer_heard(pending, intent)
        answered = self._answer_question(pending, text, intent) if pending else None
        if answered is None and pending is None and not (intent and intent.product):
            answered = self._answer_unanswered(text, intent)
        if answered is not None:
            return answered
        if intent is None:
            return self._not_understood(text)
        if confidence < self.settings.confirm_below and intent.name in (
            "AddItems",
            "RemoveItems",
            "ClearCart",
            "Checkout",
        ):
            self.state.pending = ConfirmingHeard(text)
            return self.replies.say("did_you_say", text=intent.text)
        intent = self._count_alone_corrects(intent)
        self._acted = intent.name
        handler = self._handlers.get(intent.name)
        return handler(intent) if handler else self._not_understood(text)

    def _count_alone_corrects(self, intent: Intent) -> Intent:
        """A count and unit said alone, without a verb ("two packs", "3 bags then"), right
        after the product they stand for went in the cart corrects its count (SetQuantity);
        after a product was only asked about, or with a verb ("add two packs"), it adds."""
        if intent.name != "AddItems" or not intent.bare or len(intent.items) != 1:
            return intent
        item, line, product = intent.items[0], self.state.last_line, self.state.last_product
        if not item.refers or item.phrase or item.quantity is None or item.implausible:
            return intent
        if self.state.discussed is not None or line is None or product is None:
            return intent
        if line.product_id != product.id:
            return intent
        return replace(intent, name="SetQuantity", items=(), quantity=item.quantity, unit=item.unit)

    def _small_talk(self, intent: Intent) -> str:
        """A greeting or thanks, then the open question again so that it is not lost."""
        pending = self.state.pending
        if isinstance(pending, ConfirmingHeard):
            self.state.pending = None
        reply = self._handlers[intent.name](intent)
        again = self._open_question(pending)
        return f"{reply} {again}".strip()

    def _open_question(self, pending: object) -> str:
        if isinstance(pending, Choosing | ConfirmingCount):
            return self._ask(pending)
        if isinstance(pending, ConfirmingCheckout):
            return self.replies.say("confirm_again")
        return ""

    def _answer_question(self, pending: object, text: str, intent: Intent | None) -> str | None:
        if isinstance(pending, ConfirmingCount):
            return self._answer_count(pending, intent)
        if isinstance(pending, Choosing):
            return self._answer_choice(pending, text, intent)
        return None

    def _answer_heard(self, pending: ConfirmingHeard, intent: Intent | None) -> str:
        self.state.pending = None
        if intent is not None and intent.name == "Yes":
            heard = self.parser.parse(pending.text)
            self._acted = heard.name if heard else None
            return self._answer(pending.text, heard, 1.0)
        if intent is not None and intent.name in ("No", "Cancel"):
            return self.replies.say("say_again")
        return self._answer("", intent, 1.0) if intent else self.replies.say("say_again")
