"""Buying again from the shopper's history: the usual, the last order, a product bought before."""

from __future__ import annotations

from voiceshop.catalog.model import Product
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
        """Each product said ("my usual eggs and bread") as bought here before, the favourite of
        those it names; one never bought is said so and added as asked."""
        phrases = [item.phrase for item in intent.items] or [intent.product]
        wanted: list[tuple[str, str, int]] = []
        new: list[str] = []
        for phrase in phrases:
            favourite = self._bought_before(phrase)
            if favourite is None:
                new.append(phrase)
                continue
            last = self.profile.bought(favourite.id)[-1]
            wanted.append((favourite.id, favourite.display_name, last.quantity))
        parts = [self._add_again(wanted, "added")] if wanted else []
        if new:
            missing = self.replies.say(
                "not_in_history", phrase=self.replies.join(new), store=self.store.name
            )
            parts += [missing, self._add_requests([ItemRequest(phrase) for phrase in new])]
        return " ".join(parts)

    def _bought_before(self, phrase: str) -> Product | None:
        """Of the products the phrase names, the one bought here most; None when none was."""
        preferences = self.profile.preferences()
        floor = self.matcher.settings.min_score
        bought = [
            c.product
            for c in self.matcher.rank(phrase, limit=30)
            if c.score >= floor and preferences.get(c.product.id, 0.0) > 0
        ]
        return max(bought, key=lambda p: preferences[p.id]) if bought else None

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
