"""Checkout: the order read back, confirmed (with the purchase code when set) and placed once."""

from __future__ import annotations

import uuid
from dataclasses import replace

from voiceshop.dialog.answering import ChoiceAnswers
from voiceshop.dialog.consent import Consent
from voiceshop.dialog.questions import CartQuestions
from voiceshop.dialog.state import (
    ConfirmingCheckout,
    ConfirmingCode,
)
from voiceshop.intents.model import Intent
from voiceshop.storage.database import Placing
from voiceshop.storage.guards import CodeRequired, OverLimit


class Checkout(CartQuestions, ChoiceAnswers):
    """Reading the order back, reading the answer, and placing exactly what was read back."""

    def _checkout(self, _intent: Intent | None) -> str:
        cart = self.cart
        if not cart and self.state.unanswered:
            return self.replies.say("checkout_only_unchosen", open=self._not_chosen())
        if not cart:
            return self.replies.say("checkout_empty")
        self.state.pending = ConfirmingCheckout(tuple(cart), uuid.uuid4().hex)
        key = "read_back" if len(cart) <= self._lines_in_full() else "read_back_summary"
        return self.replies.say(
            key,
            store=self.store.name,
            lines=self._said_lines(cart),
            totals=self.replies.totals(cart),
            total_sentence=self.replies.cart_total(cart),
            open=self._not_chosen(),
        )

    def _not_chosen(self) -> str:
        """The questions talked past, said before the order is confirmed."""
        said = [
            self.replies.say(
                "not_chosen", phrase=q.item.phrase, choices=self.replies.choices(q.choices)
            )
            for q in self.state.unanswered
        ]
        return "".join(f"{sentence} " for sentence in said)

    def _answer_checkout(
        self, pending: ConfirmingCheckout, text: str, intent: Intent | None
    ) -> str:
        consent = self.consent.read(text)
        if consent is Consent.GIVEN:
            self.state.pending = None
            return self._place_order(pending)
        if consent is Consent.WAVERING:
            return self._confirm_again(pending)
        if intent is not None and _declines(intent):
            self.state.pending = None
            if intent.name == "CancelOrder":
                self._acted = "Cancel"  # the order asked about, not one placed before
            return self.replies.say("order_not_placed")
        if intent is not None and intent.name in ("ReadAll", "ReadRest"):
            read = self._handlers[intent.name](intent)
            return f"{read} {self.replies.say('place_order_question')}"
        open_before = len(self.state.unanswered)
        answered = self._answer_unanswered(text, intent)
        if answered is not None and len(self.state.unanswered) < open_before:
            return f"{answered} {self._checkout(intent)}"
        if answered is not None:
            return answered
        if (
            intent is None
            or intent.implicit
            or intent.name not in self._handlers
            or intent.name in ("Choose", "Count")
        ):
            return self._confirm_again(pending)
        self.state.pending = None
        handled = self._handlers[intent.name](intent)
        if intent.name == "Checkout":
            return handled
        return f"{self.replies.say('checkout_dropped')} {handled}"

    def _confirm_again(self, pending: ConfirmingCheckout) -> str:
        attempts = pending.attempts + 1
        if attempts >= self.settings.max_confirm_attempts:
            self.state.pending = None
            return self.replies.say("order_not_placed")
        self.state.pending = replace(pending, attempts=attempts)
        return self.replies.say("confirm_again")

    def _answer_code(self, pending: ConfirmingCode, text: str, intent: Intent | None) -> str:
        answer = self.guard.answer(self.user, pending, text, intent)
        self.state.pending = answer.pending
        if answer.accepted:
            return self._place_order(pending.read_back, code_given=True)
        return answer.reply

    def _place_order(self, read_back: ConfirmingCheckout, code_given: bool = False) -> str:
        """Place exactly what was read back, once, after the user's purchase code when they
        have one and within their spending limits; read the cart back again if it changed."""
        if not code_given and self.db.has_purchase_code(self.user):
            asked = self.guard.ask(self.user, read_back)
            self.state.pending = asked.pending
            return asked.reply
        placing = Placing(self.interface, code_given)
        try:
            order = self.db.checkout(
                self.user, self.store.id, read_back.lines, read_back.key, placing
            )
        except OverLimit as over:
            return self.guard.over_limit(over, sum(line.price or 0.0 for line in read_back.lines))
        except CodeRequired:
            return self.guard.locked()
        if order is None:
            if not self.cart:
                return self.replies.say("checkout_empty")
            return f"{self.replies.say('cart_changed')} {self._checkout(None)}"
        self._profile = None
        self.state.changes.clear()
        self.state.last_line = None
        self.state.unanswered.clear()
        self.state.discussed = None
        total = order.total
        return self.replies.say(
            "order_placed",
            number=order.id,
            count=order.item_count,
            items=self.replies.items_word(order.item_count),
            total_part=f", {self.replies.money(total)}" if total is not None else "",
        )


def _declines(intent: Intent) -> bool:
    """Whether `intent` answers the order read-back with a no: "no", "cancel", or "cancel the
    order" with no order number (the order asked about, not one placed before)."""
    return intent.name in ("No", "Cancel") or (
        intent.name == "CancelOrder" and intent.quantity is None
    )
