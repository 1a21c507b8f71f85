"""The shop-wide conversation: who is speaking, which store, prices across stores, checkout
at every store with a cart, and orders after checkout. Store-level talk goes to that store's
DialogManager."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from rapidfuzz import fuzz

from voiceshop.catalog.model import Product, Store
from voiceshop.dialog.consent import Consent
from voiceshop.dialog.conversation import Reply
from voiceshop.dialog.manager import DialogManager
from voiceshop.dialog.shared import SharedStores
from voiceshop.dialog.state import (
    ConfirmingCheckout,
    ConfirmingCode,
    ConfirmingHeard,
    DialogState,
)
from voiceshop.intents.answers import OpenQuestion, Question
from voiceshop.intents.model import Intent
from voiceshop.intents.parser import is_too_long
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import MatchOutcome, ProductMatcher
from voiceshop.settings import Settings
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import Order, OrderStatus
from voiceshop.storage.stores import bundled_store_names, open_store

_LOGGER = logging.getLogger(__name__)
_ANSWER_WORDS = ("Yes", "No")
"""Intents that answer a question; with none open, their words may make another request."""
DEFAULT_STORE = "grocery"
STORE_NAME_SCORE = 85.0
"""How closely (0..100) a spoken store name must match a store's name or id.
Not tuned: a guess, checked on test fixtures only."""


@dataclass(frozen=True)
class _CancellingOrder:
    """ "Cancel order N?" is open."""

    order: Order


class Assistant:
    """One household's voice shopping across stores; a `Conversation` for the voice loop."""

    def __init__(
        self,
        db: ShopDatabase,
        user: str = "default",
        store: str | None = None,
        language: str | None = None,
        interface: str | None = None,
        user_fixed: bool = False,
        shared: SharedStores | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.db = db
        self.user = user
        self.chosen_language = language
        """The language asked for (`--language`); None: each store's own, else English."""
        self.user_fixed = user_fixed
        """The user was signed in by the caller (a server checked their token): "this is Sam"
        does not switch to Sam's cart."""
        self._shared = shared
        """Stores, matchers and parsers shared with other conversations; None: its own."""
        self.settings = settings or Settings()
        """The conversation's and the matcher's settings (those of `shared`, where given)."""
        self.interface = interface
        """Where the conversation happens (`chat`, `voice`, `replay`, ...), kept with orders."""
        self._stores: dict[str, Store] = {}
        self._dialogs: dict[tuple[str, str], DialogManager] = {}
        self.store_id = self._load(store or db.default_store(user) or DEFAULT_STORE).id
        self._checkout_queue: list[str] = []
        self._cancelling: _CancellingOrder | None = None
        self._handlers: dict[str, Callable[[Intent], str]] = {
            "SwitchUser": self._switch_user,
            "SelectStore": self._select_store,
            "WhereCheaper": self._where_cheaper,
            "WhatDidIOrder": self._what_did_i_order,
            "OrderStatus": self._order_status,
            "CancelOrder": self._cancel_order,
            "Checkout": self._checkout,
        }

    @property
    def dialog(self) -> DialogManager:
        """The current user's conversation with the current store."""
        return self._dialog_at(self._stores[self.store_id])

    @property
    def language(self) -> str:
        """The language spoken at the current store."""
        return self.language_at(self.store)

    def language_at(self, store: Store) -> str:
        """The language asked for, else the store's, else English."""
        return self.chosen_language or store.language or "en"

    @property
    def store(self) -> Store:
        return self._stores[self.store_id]

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        """Answer one utterance; a reply asking for the purchase code says the answer is
        secret."""
        reply = self._respond(text, confidence)
        return replace(reply, secret_answer=self.asks_code())

    def asks_code(self) -> bool:
        """Whether the open question is the purchase code (its answer is secret)."""
        question = self.open_question()
        return question is not None and question.kind is Question.CODE

    def _respond(self, text: str, confidence: float) -> Reply:
        if is_too_long(text):
            return self.dialog.respond(text, confidence)
        intent = self._parse(text)
        if intent is None or (intent.name != "SelectStore" and (intent.items or intent.product)):
            rest = self._take_store_suffix(text)
            if rest != text:  # at the store named, read by its parser
                text, intent = rest, self._parse(rest)
        intent = self._in_context(intent)
        name = intent.name if intent else None
        if self._cancelling is not None:
            return Reply(self._answer_cancel(text, intent), intent=name)
        if self._checkout_queue or self._checking_out():
            answered = self.dialog.answer(text, intent, confidence)
            return replace(answered, text=self._continue_checkout(answered.text))
        if intent is not None and intent.name in self._handlers and self._may_interrupt():
            self.dialog.set_aside()
            reply = Reply(self._handlers[intent.name](intent), intent=name)
            self.dialog.state.last_reply = reply.text
            return reply
        return self.dialog.answer(text, intent, confidence)

    def _in_context(self, intent: Intent | None) -> Intent | None:
        """An answer said with no question open, read as the request its words also make
        ("that's it": yes to a question, else done shopping); else the intent as read."""
        if intent is None or intent.name not in _ANSWER_WORDS or self.open_question():
            return intent
        return self.dialog.parser.read_otherwise(intent, _ANSWER_WORDS) or intent

    def _parse(self, text: str) -> Intent | None:
        started = time.perf_counter()
        intent = self.dialog.parser.parse(text) if text.strip() else None
        name = intent.name if intent else None
        _LOGGER.debug("parser: intent %s (%.3f s)", name, time.perf_counter() - started)
        return intent

    def memory(self) -> dict[str, Any]:
        """What the conversation must remember for its next turn, which another process may
        answer (`dialog.memory` writes it as JSON): the store it is at, each store's open
        question, read-back, last item and undo steps, the stores left to check out, and the
        order it asked to cancel."""
        return {
            "store": self.store_id,
            "checkout_queue": list(self._checkout_queue),
            "cancelling": self._cancelling.order if self._cancelling is not None else None,
            "dialogs": {
                store_id: {"state": dialog.state}
                for (user, store_id), dialog in self._dialogs.items()
                if user == self.user
            },
        }

    def recall(self, memory: dict[str, Any]) -> None:
        """Take up what `memory()` returned after an earlier turn (in this process or
        another); stores it does not mention forget what they held."""
        for dialog in self._dialogs.values():
            dialog.recall(DialogState())
        for store_id, saved in memory["dialogs"].items():
            self._dialog_at(self._load(store_id)).recall(saved["state"])
        self.store_id = self._load(memory["store"]).id
        self._checkout_queue = list(memory["checkout_queue"])
        order = memory["cancelling"]
        self._cancelling = _CancellingOrder(order) if order is not None else None

    def open_question(self) -> OpenQuestion | None:
        """The question waiting for an answer, if any ("Cancel order 3?", or the store's)."""
        if self._cancelling is not None:
            return OpenQuestion(Question.CONFIRM)
        return self.dialog.open_question()

    def _may_interrupt(self) -> bool:
        """Shop-wide requests may leave an open product question, not a confirmation."""
        return not isinstance(
            self.dialog.state.pending, (ConfirmingCheckout, ConfirmingCode, ConfirmingHeard)
        )

    # Users and stores

    def _switch_user(self, intent: Intent) -> str:
        if self.user_fixed:
            return self.dialog.replies.say("user_fixed", user=self.user)
        said = intent.person.strip().title()
        self.user = self.db.user_named(said) or said
        default = self.db.default_store(self.user)
        if default:
            self.store_id = self._load(default).id
        return self.dialog.replies.say(
            "hello_user", user=self.user, store=self.store.name, cart=self._cart_sentence()
        )

    def _select_store(self, intent: Intent) -> str:
        store_id = self._store_named(intent.store)
        if store_id is None:
            return self._unknown_store(intent.store)
        self.store_id = self._load(store_id).id
        return self.dialog.replies.say(
            "store_selected", store=self.store.name, cart=self._cart_sentence()
        )

    def _take_store_suffix(self, text: str) -> str:
        """Switch store on "add milk from the pharmacy" and return the text without it. Only
        for text not understood or naming products: "what's in my basket" names no store."""
        words = self.dialog.parser.normalizer.normalize(text).split()
        for start in range(len(words) - 1, 0, -1):
            if words[start] not in self.dialog.parser.language.store_prepositions:
                continue
            store_id = self._store_named(" ".join(words[start + 1 :]))
            rest = " ".join(words[:start])
            if store_id is not None and self.dialog.parser.parse(rest) is not None:
                self.store_id = self._load(store_id).id
                return " ".join(words[:start])
        return text

    def _store_named(self, said: str) -> str | None:
        generic = self.dialog.parser.language.store_words
        wanted = " ".join(w for w in said.split() if w not in generic)
        if not wanted:
            return None
        normalize = self.dialog.parser.normalizer.normalize
        best, best_score = None, 0.0
        for store_id, name in self._known_stores().items():
            score = max(
                fuzz.token_set_ratio(wanted, normalize(name)),
                fuzz.ratio(wanted, normalize(store_id.replace("-", " "))),
            )
            if score > best_score:
                best, best_score = store_id, score
        return best if best_score >= STORE_NAME_SCORE else None

    def _known_stores(self) -> dict[str, str]:
        names = {name: self._load(name).name for name in bundled_store_names()}
        names.update(self.db.store_names())
        return names

    def _unknown_store(self, said: str) -> str:
        stores = self.dialog.replies.join(sorted(self._known_stores().values()))
        return self.dialog.replies.say("store_unknown", phrase=said, stores=stores)

    def _load(self, store_id: str) -> Store:
        if store_id not in self._stores:
            store = self._shared.store(store_id) if self._shared else open_store(store_id, self.db)
            self._stores[store.id] = store
            return store
        return self._stores[store_id]

    def _cart_sentence(self) -> str:
        lines = self.dialog.cart
        replies = self.dialog.replies
        return replies.cart_total(lines) if lines else replies.say("cart_empty")

    # Prices across stores

    def _where_cheaper(self, intent: Intent) -> str:
        replies = self.dialog.replies
        phrase = intent.product or self._last_product_name()
        if not phrase:
            return replies.say("cheaper_nothing")
        offers = sorted(self._offers(phrase), key=lambda offer: offer[0])
        if not offers:
            return replies.say("cheaper_none", phrase=phrase)
        (price, store, product), *others = offers
        if not others:
            return replies.say(
                "cheaper_only",
                product=product.display_name,
                offer=self._offer(price, store, product),
            )
        return replies.say(
            "cheaper",
            product=product.display_name,
            best=self._offer(price, store, product),
            others=replies.join([self._offer(*offer) for offer in others]),
        )

    def _offer(self, price: float, store: Store, product: Product) -> str:
        replies = self.dialog.replies
        if product.size:
            return replies.say(
                "cheaper_other_sized",
                price=replies.money(price),
                size=product.size,
                store=store.name,
            )
        return replies.say("cheaper_other", price=replies.money(price), store=store.name)

    def _offers(self, phrase: str) -> list[tuple[float, Store, Product]]:
        """Each known store's price for the product the phrase names clearly there."""
        offers = []
        for store_id in self._known_stores():
            store = self._load(store_id)
            result = self._dialog_at(store).matcher.match(phrase)
            if result.outcome is not MatchOutcome.CONFIDENT:
                continue
            product = result.candidates[0].product
            if product.price is not None:
                offers.append((product.price, store, product))
        return offers

    def _last_product_name(self) -> str:
        product = self.dialog.state.last_product
        return product.display_name if product else ""

    def _dialog_at(self, store: Store) -> DialogManager:
        key = (self.user, store.id)
        if key not in self._dialogs:
            matcher, parser = (
                self._shared.understanding(store, self.language_at(store))
                if self._shared is not None
                else (self._new_matcher(store), None)
            )
            self._dialogs[key] = DialogManager(
                store,
                self.db,
                self.user,
                self.language_at(store),
                matcher=matcher,
                settings=self.settings.dialog,
                interface=self.interface,
                parser=parser,
            )
        return self._dialogs[key]

    def _new_matcher(self, store: Store) -> ProductMatcher:
        language = load_language(self.language_at(store))
        return ProductMatcher(store, Normalizer(language), self.settings.match)

    # Checkout across stores

    def _checkout(self, intent: Intent) -> str:
        stores = self.db.carts(self.user)
        if len(stores) <= 1:
            if stores:
                self.store_id = self._load(stores[0]).id
            return self.dialog.answer(intent.text, intent).text
        first = self.store_id if self.store_id in stores else stores[0]
        self._checkout_queue = [s for s in stores if s != first]
        self.store_id = self._load(first).id
        several = self.dialog.replies.say("several_carts", count=len(stores))
        return f"{several} {self.dialog.answer(intent.text, intent).text}"

    def _checking_out(self) -> bool:
        return isinstance(self.dialog.state.pending, (ConfirmingCheckout, ConfirmingCode))

    def _continue_checkout(self, reply: str) -> str:
        """After each store's read-back is answered, read back the next store's order."""
        if self._checking_out() or not self._checkout_queue:
            return reply
        self.store_id = self._load(self._checkout_queue.pop(0)).id
        nxt = self.dialog.replies.say("next_store", store=self.store.name)
        return f"{reply} {nxt} {self.dialog.respond('check out').text}"

    # Orders after checkout

    def _last_order(self) -> Order | None:
        orders = self.db.orders(self.user)
        return orders[0] if orders else None

    def _what_did_i_order(self, _intent: Intent) -> str:
        order = self._last_order()
        replies = self.dialog.replies
        if order is None:
            return replies.say("no_orders")
        return replies.say(
            "last_order",
            number=order.id,
            store=self._load(order.store_id).name,
            date=order.placed_at[:10],
            lines=self._order_lines(order),
        )

    def _order_status(self, _intent: Intent) -> str:
        order = self._last_order()
        replies = self.dialog.replies
        if order is None:
            return replies.say("no_orders")
        key = (
            "order_status_placed"
            if order.status is OrderStatus.PLACED
            else ("order_status_cancelled")
        )
        return replies.say(
            key, number=order.id, store=self._load(order.store_id).name, date=order.placed_at[:10]
        )

    def _cancel_order(self, intent: Intent) -> str:
        placed = [o for o in self.db.orders(self.user) if o.status is OrderStatus.PLACED]
        if intent.quantity is not None:
            placed = [o for o in placed if o.id == intent.quantity]
        replies = self.dialog.replies
        if not placed:
            return replies.say("no_order_to_cancel")
        order = placed[0]
        self._cancelling = _CancellingOrder(order)
        return replies.say(
            "confirm_cancel_order",
            number=order.id,
            store=self._load(order.store_id).name,
            lines=self._order_lines(order),
        )

    def _order_lines(self, order: Order) -> str:
        """The order's lines, said with the units of the store it was placed at."""
        return self._dialog_at(self._load(order.store_id)).replies.lines(order.lines)

    def _answer_cancel(self, text: str, intent: Intent | None) -> str:
        assert self._cancelling is not None
        order = self._cancelling.order
        replies = self.dialog.replies
        consent = self.dialog.consent.read(text)
        if consent is Consent.GIVEN:
            self._cancelling = None
            self.db.set_order_status(order.id, OrderStatus.CANCELLED)
            return replies.say("order_cancelled", number=order.id)
        if consent is Consent.NOT_YES and intent is not None and intent.name in ("No", "Cancel"):
            self._cancelling = None
            return replies.say("order_kept", number=order.id)
        return replies.say(
            "confirm_cancel_order",
            number=order.id,
            store=self._load(order.store_id).name,
            lines=self._order_lines(order),
        )
