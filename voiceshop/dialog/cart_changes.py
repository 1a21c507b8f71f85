"""Changing the cart: removing items, setting counts, clearing, undo and cancel."""

from __future__ import annotations

from voiceshop.dialog.adding import ItemAdding
from voiceshop.dialog.cart import (
    set_quantity,
    undo_change,
)
from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.storage.records import CartLine


class CartChanges(ItemAdding):
    """Removing items, changing how many, clearing the cart, undo and cancel."""

    def _remove_items(self, intent: Intent) -> str:
        """Remove what was named; "remove it" removes the item touched last."""
        if not self.cart and not intent.items:
            return self.replies.say("cart_empty")
        before, cart = self.db.update_cart(
            self.user, self.store.id, lambda now: self._removal(now, intent)[0]
        )
        _, removed, missing = self._removal(before, intent)
        parts = list(missing)
        if removed:
            lines = self.replies.lines(removed)
            self._record_change(before, cart, self.replies.change("remove", lines=lines))
            parts.insert(
                0, f"{self.replies.say('removed', lines=lines)} {self.replies.cart_total(cart)}"
            )
        return " ".join(parts)

    def _removal(
        self, cart: list[CartLine], intent: Intent
    ) -> tuple[list[CartLine], list[CartLine], list[str]]:
        """The cart without the items the request names (the item touched last for "remove
        it"), the lines taken out, and what to say about items not in the cart."""
        removed: list[CartLine] = []
        missing: list[str] = []
        for request in intent.items or self._last_named(cart, intent.quantity):
            line = self._cart_line_named(cart, request.phrase)
            if line is None:
                missing.append(self.replies.say("not_in_cart", phrase=request.phrase))
                continue
            keep = line.quantity - request.quantity if request.quantity else 0
            cart = set_quantity(cart, line, max(keep, 0))
            gone = request.quantity if request.quantity and keep > 0 else line.quantity
            removed.append(
                CartLine(line.product_id, line.name, gone, line.options, line.unit_price)
            )
        return cart, removed, missing

    def _last_named(
        self, cart: list[CartLine], quantity: int | None = None
    ) -> tuple[ItemRequest, ...]:
        """The item touched last, asked for by its name ("remove it"), `quantity` of it ("take
        one off"); none in an empty cart."""
        if not cart:
            return ()
        last = self._last_line_in(cart)
        name = self.replies.described_name(last.name, last.options)
        return (ItemRequest(name, quantity=quantity),)

    def _set_quantity(self, intent: Intent) -> str:
        quantity = intent.quantity or 0
        problem = self._quantity_problem(quantity) if quantity else ""
        if problem:
            return problem
        discussed = self.state.discussed
        if not intent.product and discussed is not None and quantity:
            return self._set_discussed(discussed, quantity)
        cart = self.cart
        if not cart:
            return self.replies.say("nothing_to_change")
        if intent.product and intent.product not in self.parser.language.unit_forms:
            line = self._cart_line_named(cart, intent.product)
            if line is None:
                return self.replies.say("not_in_cart", phrase=intent.product)
        else:
            line = self._last_line_in(cart)
        return self._set_line(line, quantity)

    def _clear_cart(self, _intent: Intent) -> str:
        before, _ = self._update(lambda _now: [], self.replies.change("clear"))
        if not before:
            return self.replies.say("cart_empty")
        self.state.unanswered.clear()
        return self.replies.say("cleared")

    def _undo(self, _intent: Intent) -> str:
        if not self.state.changes:
            return self.replies.say("nothing_to_undo")
        change = self.state.changes.pop()
        limit = self.settings.max_order_quantity
        self.db.update_cart(
            self.user,
            self.store.id,
            lambda now: undo_change(now, change.before, change.after, limit),
        )
        self.state.last_line = None
        return self.replies.say("undone", change=change.description)

    def _cancel(self, _intent: Intent) -> str:
        if self.state.pending is None:
            return self.replies.say("nothing_to_cancel")
        self.state.pending = None
        return self.replies.say("cancelled")
