"""The dialog manager: turns each understood utterance into cart changes and a short reply."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from voiceshop.catalog.model import Product, Store
from voiceshop.dialog.cart import (
    add_line,
    same_item,
    set_quantity,
    undo_change,
    what_was_added,
)
from voiceshop.dialog.consent import Consent, ConsentReader
from voiceshop.dialog.replies import Replies
from voiceshop.dialog.reply import Reply
from voiceshop.dialog.state import (
    Change,
    Choosing,
    ConfirmingCheckout,
    ConfirmingHeard,
    DialogState,
)
from voiceshop.intents.answers import OpenQuestion, Question
from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.intents.parser import MAX_UTTERANCE_WORDS, IntentParser, is_too_long
from voiceshop.language import Normalizer, load_language
from voiceshop.matching.matcher import MatchOutcome, ProductMatcher
from voiceshop.personal.profile import ShopperProfile
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import CartLine

_PACK_COUNT = re.compile(r"(\d+)\s*(?:ct|count|pk|pack|eggs)\b", re.IGNORECASE)
_DOZEN = 12


@dataclass(frozen=True)
class DialogSettings:
    """Limits and thresholds of the conversation."""

    max_quantity: int = 99
    """The most of one item a single request may add."""
    max_order_quantity: int = 99
    """The most of one item one order (the cart) may hold, however many requests add it."""
    confirm_below: float = 0.5
    """Recognizer confidence under which cart-changing requests are confirmed first.
    Not tuned: a guess, checked on the conversation test fixtures."""
    max_confirm_attempts: int = 3
    """Unclear answers to the order read-back before checkout is dropped."""
    choice_pick_score: float = 80.0
    """How closely (0..100) an answer must name one of the offered choices to pick it.
    Not tuned: a guess, checked on the conversation test fixtures."""


class DialogManager:
    """One user's conversation with one store, keeping the cart in the database."""

    def __init__(
        self,
        store: Store,
        db: ShopDatabase,
        user: str = "default",
        language: str = "en",
        matcher: ProductMatcher | None = None,
        settings: DialogSettings | None = None,
    ) -> None:
        self.store = store
        self.db = db
        self.user = user
        self.matcher = matcher or ProductMatcher(store, Normalizer(load_language(language)))
        self.parser = IntentParser(store, language, products=self.matcher)
        self.consent = ConsentReader(self.parser)
        self.replies = Replies(store, language)
        self.settings = settings or DialogSettings()
        self.state = DialogState()
        self.last_intent: Intent | None = None
        self._handlers: dict[str, Callable[[Intent], str]] = {
            "AddItems": self._add_items,
            "RemoveItems": self._remove_items,
            "SetQuantity": self._set_quantity,
            "ReadCart": self._read_cart,
            "ClearCart": self._clear_cart,
            "Price": self._price,
            "ListKinds": self._list_kinds,
            "Checkout": self._checkout,
            "Choose": self._choose_out_of_context,
            "OneItem": self._choose_out_of_context,
            "SeparateItems": self._choose_out_of_context,
            "Yes": self._yes_no_out_of_context,
            "No": self._yes_no_out_of_context,
            "Cancel": self._cancel,
            "Undo": self._undo,
            "Help": lambda _: self.replies.say("help"),
            "OrderUsual": self._order_usual,
            "ReorderLast": self._reorder_last,
            "BuyAgain": self._buy_again,
        }
        self._profile: ShopperProfile | None = None

    @property
    def profile(self) -> ShopperProfile:
        """What this user bought at this store (read once, refreshed after each order)."""
        if self._profile is None:
            self._profile = ShopperProfile(self.db.purchases(self.user, self.store.id))
        return self._profile

    def handles(self, intent: Intent) -> bool:
        """Whether this store's dialog answers the intent (the others are shop-wide)."""
        return intent.name in self._handlers or intent.name in ("Repeat", "Goodbye")

    @property
    def cart(self) -> list[CartLine]:
        """The user's cart at this store, as saved."""
        return self.db.cart(self.user, self.store.id)

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        """Answer one utterance. Never raises for anything the user says."""
        if is_too_long(text):
            return self._remember(Reply(self.replies.say("too_long", words=MAX_UTTERANCE_WORDS)))
        intent = self.parser.parse(text) if text.strip() else None
        self.last_intent = intent
        if intent is not None and intent.name == "Repeat":
            return Reply(self.state.last_reply or self.replies.say("nothing_to_repeat"))
        if intent is not None and intent.name == "Goodbye":
            self.state.pending = None
            return self._remember(Reply(self.replies.say("goodbye"), end_conversation=True))
        return self._remember(Reply(self._answer(text, intent, confidence)))

    def open_question(self) -> OpenQuestion | None:
        """The question waiting for an answer, if any: a choice, or a yes or no."""
        pending = self.state.pending
        if pending is None:
            return None
        if isinstance(pending, Choosing):
            offered = [p.display_name for p in pending.choices]
            return OpenQuestion(Question.CHOOSE, (*offered, *(i.phrase for i in pending.apart)))
        return OpenQuestion(Question.CONFIRM)

    def _remember(self, reply: Reply) -> Reply:
        self.state.last_reply = reply.text
        return reply

    def _answer(self, text: str, intent: Intent | None, confidence: float) -> str:
        pending = self.state.pending
        if isinstance(pending, ConfirmingCheckout):
            return self._answer_checkout(pending, text, intent)
        if isinstance(pending, ConfirmingHeard):
            return self._answer_heard(pending, intent)
        if isinstance(pending, Choosing):
            answered = self._answer_choice(pending, text, intent)
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
        handler = self._handlers.get(intent.name)
        return handler(intent) if handler else self._not_understood(text)

    def _not_understood(self, text: str) -> str:
        if not self.parser.clean(text):
            return self.replies.say("not_heard")
        return self.replies.say("not_understood", text=text.strip())

    # Adding

    def _add_items(self, intent: Intent) -> str:
        requests = list(intent.items)
        if all(not r.phrase and r.options for r in requests):
            if not self.cart:
                return self.replies.say("options_without_item")
            return self._describe_last({g: v for r in requests for g, v in r.options.items()})
        return self._add_requests(requests, implicit=intent.implicit)

    def _describe_last(self, options: dict[str, str]) -> str:
        """Options said alone ("give it a bit of sweetener") describe the item added last."""
        cart = self.cart
        line = self._last_line_in(cart)
        product = self.store.product(line.product_id)
        allowed = set(product.options) if product else set()
        given = {group: value for group, value in options.items() if group in allowed}
        if not given:
            return self.replies.say("options_not_taken", line=self.replies.line(line))
        changed = replace(line, options={**line.options, **given})
        self._update(
            lambda now: [changed if same_item(other, line) else other for other in now],
            self.replies.change("set_options", line=self.replies.line(line)),
        )
        self.state.last_line = changed
        return self.replies.say("options_set", line=self.replies.line(changed))

    def _add_requests(self, requests: list[ItemRequest], implicit: bool = False) -> str:
        """Add what is clear, note what is missing, then ask about the first unclear item. A
        list said without a verb ("bananas, eggs and ...") is taken as one only when it names
        some product clearly; then none of its items is dropped. Two items whose words, joined,
        name one product about as well are unclear too: one product, or two?"""
        preferences = self.profile.preferences()
        results = [self.matcher.match(request.phrase, preferences) for request in requests]
        if implicit and all(r.outcome is not MatchOutcome.CONFIDENT for r in results):
            return self._not_understood(" ".join(r.phrase for r in requests))
        together = self._said_together(requests)
        new_lines: list[CartLine] = []
        notes: list[str] = []
        unclear: list[Choosing] = []
        for index, (request, result) in enumerate(zip(requests, results, strict=True)):
            problem = self._quantity_problem(request.quantity, request.phrase)
            if problem:
                notes.append(problem)
                continue
            if index in together:
                unclear.append(together[index])
                continue
            if index - 1 in together:
                continue
            result = self.matcher.widened(result)
            if result.outcome is MatchOutcome.CONFIDENT:
                new_lines.append(self._line_for(result.candidates[0].product, request))
            elif result.outcome is MatchOutcome.AMBIGUOUS or result.candidates:
                unclear.append(Choosing(request, tuple(c.product for c in result.candidates)))
            else:
                notes.append(self._not_found(request.phrase, result.candidates))
        question = ""
        if unclear:
            later = tuple(r for choosing in unclear[1:] for r in choosing.apart or (choosing.item,))
            self.state.pending = replace(unclear[0], rest=later)
            question = self._ask(unclear[0])
        return " ".join(part for part in (self._apply_adds(new_lines), *notes, question) if part)

    def _said_together(self, requests: list[ItemRequest]) -> dict[int, Choosing]:
        """Questions, by the position of the first of two items, where the two may be one
        product said with "and" inside ("minced garlic and extra virgin olive oil"); not when
        the second has a count of its own, nor for a count that cannot be added."""
        questions: dict[int, Choosing] = {}
        for index in range(len(requests) - 1):
            first, second = requests[index], requests[index + 1]
            if index - 1 in questions or self._quantity_problem(first.quantity):
                continue
            whole = one_product_for(self.matcher, first, second)
            if whole is not None:
                phrase = f"{first.phrase} {second.joined_by} {second.phrase}"
                item = replace(first, phrase=phrase, options={**second.options, **first.options})
                questions[index] = Choosing(item, (whole,), apart=(first, second))
        return questions

    def _quantity_problem(self, quantity: int | None, phrase: str = "") -> str:
        """What is wrong with the count said, or "" (a phrase starting with a part of a number,
        "one over two lemon", had no count read from it)."""
        if quantity is None:
            numbers = self.parser.normalizer.numbers
            return self.replies.say("not_a_count") if numbers.is_part(phrase.split()) else ""
        if quantity < 0:
            return self.replies.say("not_a_count")
        if quantity == 0:
            return self.replies.say("zero_quantity")
        if quantity > self.settings.max_quantity:
            return self.replies.say("too_many", quantity=quantity, limit=self.settings.max_quantity)
        return ""

    def _apply_adds(self, new_lines: list[CartLine]) -> str:
        if not new_lines:
            return ""
        limit = self.settings.max_order_quantity

        def add_all(cart: list[CartLine]) -> list[CartLine]:
            for line in new_lines:
                cart = add_line(cart, line, limit)
            return cart

        before, cart = self.db.update_cart(self.user, self.store.id, add_all)
        added, short = what_was_added(before, cart, new_lines)
        if added:
            lines = self.replies.lines(added)
            self._record_change(before, cart, self.replies.change("add", lines=lines))
        self.state.last_line = new_lines[-1]
        parts = [self.replies.say("added", lines=self.replies.lines(added))] if added else []
        parts += [self.replies.say("order_limit", name=ln.name, limit=limit) for ln in short]
        return " ".join([*parts, self.replies.cart_total(cart)])

    def _line_for(self, product: Product, request: ItemRequest) -> CartLine:
        self.state.last_product = product
        allowed = set(product.options)
        options = {g: v for g, v in request.options.items() if g in allowed}
        return CartLine(
            product_id=product.id,
            name=product.display_name,
            quantity=_packs(product, request),
            options=options,
            unit_price=product.price,
        )

    def _ask(self, question: Choosing) -> str:
        choices = question.choices
        if question.apart:
            apart = self.replies.join([item.phrase for item in question.apart])
            return self.replies.say("ask_together", choice=choices[0].display_name, apart=apart)
        if len(choices) == 1:
            return self.replies.say("ask_one", choice=choices[0].display_name)
        return self.replies.say("ask_which", choices=self.replies.choices(choices))

    def _not_found(self, phrase: str, nearest: tuple) -> str:
        if not nearest:
            return self.replies.say("not_found", phrase=phrase)
        product = nearest[0].product
        hint = product.display_name
        if product.department:
            hint = f"{hint}, in {product.department}"
        return self.replies.say("not_found_hint", phrase=phrase, hint=hint)

    # Choosing between candidates

    def _answer_choice(self, pending: Choosing, text: str, intent: Intent | None) -> str | None:
        """The reply when the utterance answers the open question, else None (moved on)."""
        if pending.apart and self._chose_apart(pending, intent):
            self.state.pending = None
            first, second = pending.apart
            return self._add_requests([first, replace(second, joined_by=""), *pending.rest])
        picked = self._picked(pending, text, intent)
        if picked is None and intent is not None and intent.name in ("No", "Cancel"):
            self.state.pending = None
            rest = self._add_requests(list(pending.rest)) if pending.rest else ""
            return " ".join(p for p in (self.replies.say("chosen_none"), rest) if p)
        if picked is None:
            if intent is None or intent.name in ("Yes", "Choose", "OneItem", "SeparateItems"):
                return self.replies.say(
                    "choose_together_again" if pending.apart else "choose_again"
                )
            self.state.pending = None
            return None
        self.state.pending = None
        added = self._apply_adds([self._line_for(picked, pending.item)])
        rest = self._add_requests(list(pending.rest)) if pending.rest else ""
        return " ".join(p for p in (added, rest) if p)

    @staticmethod
    def _chose_apart(pending: Choosing, intent: Intent | None) -> bool:
        """Whether the answer takes the items read apart, offered after the choices: "no",
        "separate items", "the second one", "the last one"."""
        if intent is None:
            return False
        if intent.name in ("No", "SeparateItems"):
            return True
        offered_after = (len(pending.choices) + 1, -1)
        return intent.name == "Choose" and _position(intent) in offered_after

    def _picked(self, pending: Choosing, text: str, intent: Intent | None) -> Product | None:
        choices = pending.choices
        if intent is not None and intent.name == "Yes" and len(choices) == 1:
            return choices[0]
        if intent is not None and intent.name == "OneItem" and pending.apart:
            return choices[0]
        if intent is not None and intent.name == "Choose":
            position = _position(intent)
            if position == -1:
                return choices[-1]
            if position is not None and 1 <= position <= len(choices):
                return choices[position - 1]
            return None
        return self._choice_named(choices, text)

    def _choice_named(self, choices: tuple[Product, ...], text: str) -> Product | None:
        said = self._content(text)
        if not said:
            return None
        scored = [(fuzz.token_set_ratio(said, self._content(p.display_name)), p) for p in choices]
        scored.sort(key=lambda item: item[0], reverse=True)
        best_score, best = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        if best_score >= self.settings.choice_pick_score and best_score > runner_up:
            return best
        return None

    def _content(self, text: str) -> str:
        """The words that name a product, as the matcher compares them."""
        return " ".join(self.matcher.words.words(text))

    def _choose_out_of_context(self, _intent: Intent) -> str:
        return self.replies.say("yes_no_out_of_context")

    def _yes_no_out_of_context(self, _intent: Intent) -> str:
        return self.replies.say("yes_no_out_of_context")

    # Changing and reading the cart

    def _remove_items(self, intent: Intent) -> str:
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
        """The cart without the items the request names, the lines taken out, and what to say
        about items not in the cart."""
        removed: list[CartLine] = []
        missing: list[str] = []
        for request in intent.items:
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

    def _cart_line_named(self, cart: list[CartLine], phrase: str) -> CartLine | None:
        if not cart:
            return None
        said = self._content(phrase)
        scored = [
            (
                fuzz.token_set_ratio(
                    said, self._content(self.replies.described_name(ln.name, ln.options))
                ),
                ln,
            )
            for ln in cart
        ]
        best_score, best = max(scored, key=lambda item: item[0])
        return best if best_score >= self.settings.choice_pick_score else None

    def _set_quantity(self, intent: Intent) -> str:
        cart = self.cart
        if not cart:
            return self.replies.say("nothing_to_change")
        quantity = intent.quantity or 0
        problem = self._quantity_problem(quantity) if quantity else ""
        if problem:
            return problem
        if intent.product:
            line = self._cart_line_named(cart, intent.product)
            if line is None:
                return self.replies.say("not_in_cart", phrase=intent.product)
        else:
            line = self._last_line_in(cart)
        _, cart = self._update(
            lambda now: set_quantity(now, line, quantity),
            self.replies.change("set_quantity", line=self.replies.line(line)),
        )
        if quantity == 0:
            return (
                f"{self.replies.say('removed', lines=self.replies.line(line))} "
                f"{self.replies.cart_total(cart)}"
            )
        changed = CartLine(line.product_id, line.name, quantity, line.options, line.unit_price)
        self.state.last_line = changed
        return (
            f"{self.replies.say('quantity_set', line=self.replies.line(changed))} "
            f"{self.replies.cart_total(cart)}"
        )

    def _last_line_in(self, cart: list[CartLine]) -> CartLine:
        last = self.state.last_line
        if last is not None:
            for line in cart:
                if same_item(line, last):
                    return line
        return cart[-1]

    def _read_cart(self, _intent: Intent) -> str:
        cart = self.cart
        if not cart:
            return self.replies.say("cart_empty")
        contents = self.replies.say("cart_contents", lines=self.replies.lines(cart))
        return f"{contents} {self.replies.cart_total(cart)}"

    def _clear_cart(self, _intent: Intent) -> str:
        before, _ = self._update(lambda _now: [], self.replies.change("clear"))
        if not before:
            return self.replies.say("cart_empty")
        return self.replies.say("cleared")

    # Questions about products

    def _price(self, intent: Intent) -> str:
        result = self.matcher.match(intent.product)
        if result.outcome is MatchOutcome.NOT_FOUND:
            return self._not_found(intent.product, result.candidates)
        said = [self._price_of(c.product) for c in result.candidates]
        self.state.last_product = result.candidates[0].product
        if len(said) == 1:
            return said[0]
        return self.replies.say("prices", prices=self.replies.join([s.rstrip(".") for s in said]))

    def _price_of(self, product: Product) -> str:
        if product.price is None:
            return self.replies.say("price_unknown", name=product.display_name)
        name = f"{product.display_name}, {product.size}," if product.size else product.display_name
        return self.replies.say("price", name=name, price=self.replies.money(product.price))

    def _list_kinds(self, intent: Intent) -> str:
        floor = self.matcher.settings.min_score
        kinds = [c.product for c in self.matcher.rank(intent.product, limit=30) if c.score >= floor]
        if not kinds:
            return self.replies.say("kinds_none", phrase=intent.product)
        offered = tuple(kinds[: self.matcher.settings.max_choices])
        self.state.pending = Choosing(ItemRequest(intent.product), offered)
        return self.replies.say(
            "kinds", count=len(kinds), phrase=intent.product, choices=self.replies.choices(offered)
        )

    # Checkout

    def _checkout(self, _intent: Intent | None) -> str:
        cart = self.cart
        if not cart:
            return self.replies.say("checkout_empty")
        self.state.pending = ConfirmingCheckout(tuple(cart), uuid.uuid4().hex)
        return self.replies.say(
            "read_back",
            store=self.store.name,
            lines=self.replies.lines(cart),
            total_sentence=self.replies.cart_total(cart),
        )

    def _answer_checkout(
        self, pending: ConfirmingCheckout, text: str, intent: Intent | None
    ) -> str:
        consent = self.consent.read(text)
        if consent is Consent.GIVEN:
            self.state.pending = None
            return self._place_order(pending)
        if consent is Consent.WAVERING:
            return self._confirm_again(pending)
        if intent is not None and intent.name in ("No", "Cancel"):
            self.state.pending = None
            return self.replies.say("order_not_placed")
        if (
            intent is None
            or intent.implicit
            or intent.name not in self._handlers
            or (intent.name == "Choose")
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

    def _place_order(self, read_back: ConfirmingCheckout) -> str:
        """Place exactly what was read back, once; read the cart back again if it changed."""
        order = self.db.checkout(self.user, self.store.id, read_back.lines, read_back.key)
        if order is None:
            if not self.cart:
                return self.replies.say("checkout_empty")
            return f"{self.replies.say('cart_changed')} {self._checkout(None)}"
        self._profile = None
        self.state.changes.clear()
        self.state.last_line = None
        total = order.total
        return self.replies.say(
            "order_placed",
            number=order.id,
            count=order.item_count,
            items=self.replies.items_word(order.item_count),
            total_part=f", {self.replies.money(total)}" if total is not None else "",
        )

    # Confirming what was heard

    def _answer_heard(self, pending: ConfirmingHeard, intent: Intent | None) -> str:
        self.state.pending = None
        if intent is not None and intent.name == "Yes":
            return self._answer(pending.text, self.parser.parse(pending.text), 1.0)
        if intent is not None and intent.name in ("No", "Cancel"):
            return self.replies.say("say_again")
        return self._answer("", intent, 1.0) if intent else self.replies.say("say_again")

    # Buying again

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
            verb = "is" if len(gone) == 1 else "are"
            parts.append(
                self.replies.say(
                    "not_sold_anymore",
                    names=self.replies.join(gone),
                    verb=verb,
                    store=self.store.name,
                )
            )
        return " ".join(parts)

    # Undo and cancel

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

    def _update(
        self, change: Callable[[list[CartLine]], list[CartLine]], description: str
    ) -> tuple[list[CartLine], list[CartLine]]:
        """Apply `change` to the cart as it is in the database now (one transaction), remember
        it for undo; the cart before and after."""
        before, after = self.db.update_cart(self.user, self.store.id, change)
        self._record_change(before, after, description)
        return before, after

    def _record_change(
        self, before: list[CartLine], after: list[CartLine], description: str
    ) -> None:
        if before != after:
            self.state.changes.append(Change(tuple(before), tuple(after), description))


def one_product_for(
    matcher: ProductMatcher, first: ItemRequest, second: ItemRequest
) -> Product | None:
    """The one product that an item and the next may name together, the agent's question
    ("one item, or separate items?"): said with a word such as "and" between them, the second
    without a count of its own, and named together as well (`ProductMatcher.together`)."""
    if not second.joined_by or second.quantity is not None:
        return None
    whole = matcher.together(first.phrase, second.joined_by, second.phrase)
    return whole.product if whole else None


def _position(intent: Intent) -> int | None:
    """The position a Choose answer names: "the second one", "number two"."""
    return intent.ordinal if intent.ordinal is not None else intent.quantity


def _packs(product: Product, request: ItemRequest) -> int:
    """How many of the product to put in the cart for what was asked.

    "a dozen eggs" is one carton of 12; "two dozen" of an 18-count pack is two packs.
    """
    quantity = request.quantity or 1
    if request.unit != "dozen":
        return quantity
    pack = _PACK_COUNT.search(f"{product.size} {product.name}")
    if pack is None:
        return quantity * _DOZEN
    return max(1, math.ceil(quantity * _DOZEN / int(pack.group(1))))
