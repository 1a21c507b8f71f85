"""Questions about the cart and the store: contents, totals, prices, kinds of a product."""

from __future__ import annotations

from dataclasses import replace

from voiceshop.catalog.model import Product
from voiceshop.dialog.adding import ItemAdding, packs
from voiceshop.dialog.state import (
    Choosing,
)
from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.matching.matcher import MatchOutcome
from voiceshop.storage.records import CartLine

PRICED_KEPT = 4
"""How many products priced last are kept for "how much are they together"."""


class CartQuestions(ItemAdding):
    """Answering questions: the cart read back, totals, how many of an item, prices, kinds sold."""

    def _read_cart(self, intent: Intent) -> str:
        cart = self.cart
        if not cart:
            return self.replies.say("cart_empty")
        if intent.product:
            return self._read_kind(cart, intent.product)
        if len(cart) > self._lines_in_full():
            return self.replies.say(
                "cart_summary", totals=self.replies.totals(cart), lines=self._said_lines(cart)
            )
        return self._read_all(intent)

    def _read_kind(self, cart: list[CartLine], phrase: str) -> str:
        """ "what fruit is in my cart": the lines the phrase names, or of the kind it names."""
        lines = self._cart_lines_named(cart, phrase) or self._cart_lines_of_kind(cart, phrase)
        return self._lines_said(lines, phrase)

    def _lines_said(self, lines: list[CartLine], asked: str) -> str:
        """The cart lines a question asked about, or that there are none of what was asked."""
        if not lines:
            return self.replies.say("none_in_cart", phrase=asked)
        self.state.last_line = lines[-1]
        self.state.discussed = None
        return self.replies.say("you_have", lines=self.replies.lines(lines))

    def _cart_lines_of_kind(self, cart: list[CartLine], phrase: str) -> list[CartLine]:
        """The cart lines whose product is of the kind `phrase` names (`kinds` in the
        sentences): its department or aisle holds a word of the kind, or its name ends in one."""
        said = [*self.matcher.words.words(phrase), *phrase.split()]
        kinds = self.parser.sentences.kinds
        words = set(said) | {w for kind in said for w in kinds.get(kind, ())}
        words |= {w for word in list(words) for w in kinds.get(word, ())}
        return [line for line in cart if self._of_kind(line, words)]

    def _of_kind(self, line: CartLine, words: set[str]) -> bool:
        product = self.store.product(line.product_id)
        if product is None:
            return False
        where = self.matcher.words.words(f"{product.department} {product.aisle}")
        name = self.matcher.words.words(product.name)
        return bool(words.intersection(where)) or bool(name and name[-1] in words)

    def _read_all(self, _intent: Intent) -> str:
        cart = self.cart
        if not cart:
            return self.replies.say("cart_empty")
        self.state.lines_read = len(cart)
        contents = self.replies.say("cart_contents", lines=self.replies.lines(cart))
        return f"{contents} {self.replies.cart_total(cart)}"

    def _read_rest(self, intent: Intent) -> str:
        """ "what else": the lines after those a summary said, else the whole cart."""
        cart = self.cart
        read = self.state.lines_read
        if not 0 < read < len(cart):
            return self._read_all(intent)
        self.state.lines_read = len(cart)
        rest = self.replies.lines(cart[read:])
        return self.replies.say("cart_rest", lines=rest, total=self.replies.cart_total(cart))

    def _lines_in_full(self) -> int:
        """The most lines read in full; one more than the summary's lines, since "and 1 more
        item" would be no shorter."""
        return self.settings.read_lines + 1

    def _said_lines(self, cart: list[CartLine]) -> str:
        """The cart's lines as a read-back says them: all of a short cart, else the first few
        and how many more items."""
        if len(cart) <= self._lines_in_full():
            self.state.lines_read = len(cart)
            return self.replies.lines(cart)
        shown = cart[: self.settings.read_lines]
        self.state.lines_read = len(shown)
        more = sum(line.quantity for line in cart[len(shown) :])
        said = [self.replies.line(line) for line in shown]
        more_items = self.replies.say("more_items", count=more, items=self.replies.items_word(more))
        return self.replies.join([*said, more_items])

    def _cart_total(self, _intent: Intent) -> str:
        cart = self.cart
        return self.replies.cart_total(cart) if cart else self.replies.say("cart_empty")

    def _how_many(self, intent: Intent) -> str:
        """ "how many lemons do I have", "do I have any dairy": the lines the product or kind
        names; with a unit alone ("how many bottles have I got"), the lines sold in that unit."""
        cart = self.cart
        if intent.unit:
            lines = self._lines_in_unit(cart, intent.unit)
            return self._lines_said(lines, self.replies.counted(intent.unit, 2))
        return self._read_kind(cart, intent.product)

    def _lines_in_unit(self, cart: list[CartLine], unit: str) -> list[CartLine]:
        products = [self.store.product(line.product_id) for line in cart]
        return [
            line
            for line, product in zip(cart, products)
            if product is not None and product.unit == unit
        ]

    def _price(self, intent: Intent) -> str:
        if not intent.product:
            if intent.quantity is not None:
                focus = self._focus()
                if focus is not None:
                    return self._price_counted(focus, intent)
            return (
                self._price_together(intent)
                or self._price_of_last_added()
                or self._price_of_focus()
            )
        result = self.matcher.match(intent.product)
        if result.outcome is MatchOutcome.NOT_FOUND:
            return self._not_found(intent.product, result.candidates)
        products = tuple(c.product for c in result.candidates)
        if result.outcome is MatchOutcome.CONFIDENT:
            products = products[:1]
        self.state.discussed = Choosing(ItemRequest(intent.product), products)
        if len(products) == 1 and intent.quantity is not None:
            return self._price_counted(products[0], intent)
        return self._prices_of(products)

    def _focus(self) -> Product | None:
        """The one product talked about last: asked about, else the item touched last."""
        discussed = self.state.discussed
        if discussed is not None:
            return discussed.choices[0] if len(discussed.choices) == 1 else None
        cart = self.cart
        return self.store.product(self._last_line_in(cart).product_id) if cart else None

    def _price_counted(self, product: Product, intent: Intent) -> str:
        """What a count of one product comes to ("how much would three of those be": "3 Hass
        Avocados come to $5.97"), packs counted as they would go in the cart; its one price
        when the count is one or the product has none."""
        request = ItemRequest(product.display_name, intent.quantity, intent.unit)
        count = packs(product, request, self.parser.language)
        if count < 2 or product.price is None:
            return self._prices_of((product,))
        self.state.last_product = product
        line = CartLine(product.id, product.display_name, count, unit_price=product.price)
        total = self.replies.money(product.price * count)
        return self.replies.say("prices_together", lines=self.replies.lines([line]), total=total)

    def _price_of_focus(self) -> str:
        """ "how much is that": the products asked about last, else the item touched last."""
        if self.state.discussed is not None:
            return self._prices_of(self.state.discussed.choices)
        cart = self.cart
        if not cart:
            return self.replies.say("price_of_nothing")
        product = self.store.product(self._last_line_in(cart).product_id)
        return self._prices_of((product,)) if product else self.replies.say("price_of_nothing")

    def _price_together(self, intent: Intent) -> str | None:
        """ "how much for both", "how much are they together": what the products priced last,
        or else the items just added, come to; None when the question asks of one product or
        fewer than two are known."""
        counts = self.parser.sentences.together
        asked = [counts[w] for w in intent.text.split() if w in counts]
        if not asked:
            return None
        many = max(asked) or PRICED_KEPT
        lines = [CartLine(p.id, p.display_name, 1, unit_price=p.price) for p in self.state.priced]
        if len(lines) < 2:
            lines = self._last_added()
        return self._come_to(lines[-many:])

    def _price_of_last_added(self) -> str | None:
        """ "how much is that" right after several items went in the cart, none asked about
        since: what they come to, or the cart's total (CartTotal) when they are all of it."""
        if self.state.discussed is not None:
            return None
        added = self._last_added()
        if len(added) < 2:
            return None
        cart = self.cart
        if {(ln.product_id, ln.quantity) for ln in added} == {
            (ln.product_id, ln.quantity) for ln in cart
        }:
            self._acted = "CartTotal"
            return self.replies.cart_total(cart)
        return self._come_to(added)

    def _come_to(self, lines: list[CartLine]) -> str | None:
        """What several lines come to together; None for fewer than two or an unpriced one."""
        if len(lines) < 2 or any(line.unit_price is None for line in lines):
            return None
        total = sum((line.unit_price or 0.0) * line.quantity for line in lines)
        return self.replies.say(
            "prices_together", lines=self.replies.lines(lines), total=self.replies.money(total)
        )

    def _last_added(self) -> list[CartLine]:
        """The lines the last cart change added to, each with the count it added."""
        if not self.state.changes:
            return []
        change = self.state.changes[-1]
        before = {line.product_id: line.quantity for line in change.before}
        return [
            replace(line, quantity=line.quantity - before.get(line.product_id, 0))
            for line in change.after
            if line.quantity > before.get(line.product_id, 0)
        ]

    def _prices_of(self, products: tuple[Product, ...]) -> str:
        self.state.last_product = products[0]
        if len(products) == 1:
            kept = [p for p in self.state.priced if p.id != products[0].id]
            self.state.priced = (*kept, products[0])[-PRICED_KEPT:]
        said = [self._price_of(product) for product in products]
        if len(said) == 1:
            return said[0]
        return self.replies.say("prices", prices=self.replies.join([s.rstrip(".") for s in said]))

    def _price_of(self, product: Product) -> str:
        if product.price is None:
            return self.replies.say("price_unknown", name=product.display_name)
        name = f"{product.display_name}, {product.size}," if product.size else product.display_name
        return self.replies.say("price", name=name, price=self.replies.money(product.price))

    def _list_kinds(self, intent: Intent) -> str:
        """The kinds of a product the store has ("do you have tofu"), offered as a choice; a
        product the store does not carry is said so."""
        if not self.matcher.carried(intent.product):
            phrase = self.parser.normalizer.as_said(intent.product, self._text)
            return self.replies.say("not_found", phrase=phrase, store=self.store.name)
        floor = self.matcher.settings.min_score
        kinds = [c.product for c in self.matcher.rank(intent.product, limit=30) if c.score >= floor]
        if not kinds:
            return self.replies.say("kinds_none", phrase=intent.product)
        offered = tuple(kinds[: self.matcher.settings.max_choices])
        self.state.pending = Choosing(ItemRequest(intent.product), offered, optional=True)
        key = "kinds_one" if len(kinds) == 1 else "kinds"
        return self.replies.say(
            key, count=len(kinds), phrase=intent.product, choices=self.replies.choices(offered)
        )
