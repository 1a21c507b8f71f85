"""Buying again from the shopper's history: the usual, the last order, a product bought before."""

from __future__ import annotations

from voiceshop.dialog.adding import ItemAdding
from voiceshop.intents.model import Intent, ItemRequest


class BuyingAgain(ItemAdding):
    """Adding from what the shopper bought here before."""

    def _order_usual(self, _intent: Intent) -> str:
        if not self.profile:
            return self.replies.say("no_history", store=self.store.name)
        usual = self.profile.usual()
        if not usual:
            return self.replies.say("no_usual")
        return self._add_again([(u.product_id, u.name, u.quantity) for u in usual], "usual_added")

    def _reorder_last(self, _intent: Intent) -> str:
        last = self.profile.last_occasion()
        if not last:
            return self.replies.say("no_history", store=self.store.name)
        return self._add_again([(p.product_id, p.name, p.quantity) for p in last], "last_added")

    def _buy_again(self, intent: Intent) -> str:
        preferences = self.profile.preferences()
        floor = self.matcher.settings.min_score
        bought = [
            c.product
            for c in self.matcher.rank(intent.product, limit=30)
            if c.score >= floor and preferences.get(c.product.id, 0.0) > 0
        ]
        if not bought:
            missing = self.replies.say(
                "not_in_history", phrase=intent.product, store=self.store.name
            )
            return f"{missing} {self._add_requests([ItemRequest(intent.product)])}"
        favourite = max(bought, key=lambda p: preferences[p.id])
        last = self.profile.bought(favourite.id)[-1]
        return self._add_again([(favourite.id, favourite.display_name, last.quantity)], "added")

    def _add_again(self, wanted: list[tuple[str, str, int]], reply: str) -> str:
        """Add products by id, saying which are no longer sold here."""
        lines, gone = [], []
        for product_id, name, quantity in wanted:
            product = self.store.product(product_id)
            if product is None:
                gone.append(name)
                continue
            lines.append(self._line_for(product, ItemRequest(product.name, quantity)))
        parts = []
        if lines:
            added = self._apply_adds(lines)
            if reply == "added":
                parts.append(added)
            else:
                cart_total = self.replies.cart_total(self.cart)
                parts.append(
                    self.replies.say(reply, lines=self.replies.lines(lines), total=cart_total)
                )
        if gone:
            verb = self.replies.word("is" if len(gone) == 1 else "are")
            parts.append(
                self.replies.say(
                    "not_sold_anymore",
                    names=self.replies.join(gone),
                    verb=verb,
                    store=self.store.name,
                )
            )
        return " ".join(parts)
