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
from voiceshop.dialog.choices import told_apart
from voiceshop.dialog.consent import Consent, ConsentReader
from voiceshop.dialog.conversation import Reply
from voiceshop.dialog.purchase import PurchaseGuard
from voiceshop.dialog.replies import Replies
from voiceshop.dialog.state import (
    Change,
    Choosing,
    ConfirmingCheckout,
    ConfirmingCode,
    ConfirmingCount,
    ConfirmingHeard,
    DialogState,
    PendingQuestion,
)
from voiceshop.intents.answers import OpenQuestion, Question
from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.intents.parser import MAX_UTTERANCE_WORDS, IntentParser, is_too_long
from voiceshop.language import LanguageData, Normalizer, load_language
from voiceshop.matching.matcher import MatchOutcome, MatchResult, ProductMatcher
from voiceshop.personal.profile import ShopperProfile
from voiceshop.storage.database import Placing, ShopDatabase
from voiceshop.storage.guards import CodeRequired, OverLimit
from voiceshop.storage.records import CartLine
from voiceshop.thresholds import EXACT

_DOZEN = 12
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$", re.IGNORECASE)
"""A product size of one amount and unit ("2 lb", "16 oz")."""
_ALTERNATIVES = 30
"""How many products a request found are looked through for "not that one, the organic one"."""
_SMALL_TALK = ("Greet", "Thanks")
"""Intents answered without touching an open question."""
_LEFT_TO_US = ("AnyChoice", "CheapestChoice")
"""Answers that leave the choice to the shop ("either is fine", "the cheapest one")."""
_ANSWERS = ("Choose", *_LEFT_TO_US)
"""Intents, besides bare product words, that may answer a question talked past earlier."""
_CHOICE_ANSWERS = (*_ANSWERS, "Yes", "Count", "OneItem", "SeparateItems")
"""Intents that answer a choice as what they are."""


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
    read_lines: int = 4
    """Cart lines read back in full; a longer cart is summarised ("... and 6 more items").
    Not tuned: a guess."""


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
        interface: str | None = None,
        parser: IntentParser | None = None,
    ) -> None:
        """`matcher` and `parser` (built on that matcher) may be shared between conversations
        (`dialog.shared`); by default each conversation builds its own."""
        self.store = store
        self.db = db
        self.user = user
        self.interface = interface
        """Where the conversation happens (`chat`, `voice`, ...), recorded with its orders."""
        self.matcher = matcher or ProductMatcher(store, Normalizer(load_language(language)))
        self.parser = parser or IntentParser(store, language, products=self.matcher)
        self.consent = ConsentReader(self.parser)
        self.replies = Replies(store, language)
        self.guard = PurchaseGuard(db, self.replies, self.parser.normalizer)
        self.settings = settings or DialogSettings()
        self.state = DialogState()
        self._acted: str | None = None
        """The intent the utterance being answered is acted on as (see `Reply.intent`)."""
        self._handlers: dict[str, Callable[[Intent], str]] = {
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
        }
        self._profile: ShopperProfile | None = None

    @property
    def profile(self) -> ShopperProfile:
        """What this user bought at this store (read once, refreshed after each order)."""
        if self._profile is None:
            self._profile = ShopperProfile(self.db.purchases(self.user, self.store.id))
        return self._profile

    def recall(self, state: DialogState) -> None:
        """Take up what this conversation remembered (another server may have answered its
        last turn); what was bought is read again when needed."""
        self.state, self._profile = state, None

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
        return self.answer(text, self.parser.parse(text) if text.strip() else None, confidence)

    def answer(self, text: str, intent: Intent | None, confidence: float = 1.0) -> Reply:
        """Answer an utterance this dialog's parser read as `intent`; the reply names the
        intent acted on, read in context."""
        self._acted = intent.name if intent else None
        if intent is not None and intent.name == "Repeat":
            said = self.state.last_reply or self.replies.say("nothing_to_repeat")
            return Reply(said, intent=intent.name)
        if intent is not None and intent.name == "Goodbye":
            self.state.pending = None
            goodbye = Reply(self.replies.say("goodbye"), end_conversation=True, intent=intent.name)
            return self._remember(goodbye)
        said = self._answer(text, intent, confidence)
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

    def set_aside(self) -> None:
        """Leave the open question for another request; a product question is kept as
        unanswered, to be read back at checkout."""
        pending = self.state.pending
        if isinstance(pending, Choosing) and not pending.optional:
            self.state.unanswered.append(pending)
        self.state.pending = None

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
        handler = self._handlers.get(intent.name)
        return handler(intent) if handler else self._not_understood(text)

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

    def _not_understood(self, text: str) -> str:
        self._acted = None
        if not self.parser.clean(text):
            return self.replies.say("not_heard")
        examples = self.replies.examples()
        return self.replies.say("not_understood", text=text.strip(), examples=examples)

    # Adding

    def _add_items(self, intent: Intent) -> str:
        requests = list(intent.items)
        if not requests:
            return self._add_focus(intent.quantity or 1)
        if all(not r.phrase and r.options for r in requests):
            if not self.cart:
                return self.replies.say("options_without_item")
            return self._describe_last({g: v for r in requests for g, v in r.options.items()})
        return self._add_requests(requests, implicit=intent.implicit, section=intent.section)

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

    def _add_requests(
        self, requests: list[ItemRequest], implicit: bool = False, section: str = ""
    ) -> str:
        """Add what is clear, note what is missing, then ask about the first unclear item. A
        list said without a verb ("bananas, eggs and ...", "eggs please") is taken as one only
        when it names some product, clearly or among a few to ask about, or counts something
        ("a propane tank"); then none of its items is dropped. Two items whose words, joined,
        name one product about as well are unclear too: one product, or two? An unclear item
        is taken without asking when the other items or the `section` said tell its choices
        apart ("the hot dogs and the buns", "turkey from the deli")."""
        preferences = self.profile.preferences()
        requests = [self._of_kind_talked_about(request) for request in requests]
        results = [self.matcher.match(request.phrase, preferences) for request in requests]
        requests, results = _without_appositions(requests, results, self.matcher.words.words)
        counted = any(r.quantity is not None or r.unit for r in requests)
        if implicit and not counted and all(r.outcome is MatchOutcome.NOT_FOUND for r in results):
            return self._not_understood(" ".join(r.phrase for r in requests))
        together = self._said_together(requests)
        new_lines: list[CartLine] = []
        notes: list[str] = []
        unclear: list[PendingQuestion] = []
        for index, (request, result) in enumerate(zip(requests, results, strict=True)):
            if self._too_many(request.quantity):
                unclear.append(ConfirmingCount(request, self._proposed_count(request)))
                continue
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
            told = self._told_apart(result, requests, results, index, section)
            if told is not None:
                new_lines.append(self._line_for(told, request))
            elif result.outcome is MatchOutcome.CONFIDENT:
                new_lines.append(self._line_for(result.candidates[0].product, request))
            elif result.outcome is MatchOutcome.AMBIGUOUS or result.candidates:
                unclear.append(Choosing(request, self._choices_for(request, result)))
            else:
                notes.append(self._not_found(request.phrase, result.candidates))
        added = self._apply_adds(new_lines)
        question = self._ask_first(unclear) if unclear else ""
        return " ".join(part for part in (added, *notes, question) if part)

    def _of_kind_talked_about(self, request: ItemRequest) -> ItemRequest:
        """An item said with a word standing for the product talked about last ("and two green
        ones" after a red pepper) with that product's kind, the last word of its name, added
        to its words ("green pepper"); other items as they are."""
        last = self.state.last_product
        if not request.refers or last is None:
            return request
        kind = self.parser.normalizer.normalize(last.name).split()[-1:]
        if not kind or kind[0] in request.phrase.split():
            return request
        return replace(request, phrase=f"{request.phrase} {kind[0]}".strip())

    def _choices_for(self, request: ItemRequest, result: MatchResult) -> tuple[Product, ...]:
        """The choices to offer for an unclear item: of its kind, those sold by the unit said
        when several are ("a gallon of milk": the gallon milks); else the result's."""
        if request.unit and result.outcome is MatchOutcome.AMBIGUOUS:
            sold = self.matcher.sold_in(request.phrase, request.unit)
            if len(sold) > 1:
                return tuple(sold[: self.matcher.settings.max_choices])
        return tuple(c.product for c in result.candidates)

    def _told_apart(
        self,
        result: MatchResult,
        requests: list[ItemRequest],
        results: list[MatchResult],
        index: int,
        section: str,
    ) -> Product | None:
        """The one of an unclear item's choices that what was said with it tells apart: the
        other items, where in the store, or the size of its unit; else None."""
        if result.outcome is not MatchOutcome.AMBIGUOUS:
            return None
        return (
            self._told_by_neighbours(result, requests, results, index)
            or self._in_section(result, section)
            or self._of_size(result, requests[index].size)
        )

    def _of_size(self, result: MatchResult, size: str) -> Product | None:
        """Of an unclear item's choices, the only one whose size holds the size said ("a 24
        pack of water": the 24-bottle case); else None."""
        said = set(size.split())
        if not said:
            return None
        normalize = self.parser.normalizer.normalize
        told = [
            c.product for c in result.candidates if said <= set(normalize(c.product.size).split())
        ]
        return told[0] if len(told) == 1 else None

    def _in_section(self, result: MatchResult, section: str) -> Product | None:
        """Of an unclear item's choices, the only one whose aisle or department shares a word
        with where the shopper said it is ("turkey from the deli"); else None."""
        said = set(self.matcher.words.words(section))
        if not said:
            return None
        words = self.matcher.words.words
        told = [
            c.product
            for c in result.candidates
            if said & set(words(f"{c.product.aisle} {c.product.department}"))
        ]
        return told[0] if len(told) == 1 else None

    def _told_by_neighbours(
        self,
        result: MatchResult,
        requests: list[ItemRequest],
        results: list[MatchResult],
        index: int,
    ) -> Product | None:
        """Of an unclear item's choices, the only one whose name holds all the words of
        another item said with it, a product other than that item's own ("the hot dogs and the
        buns": Hot Dog Buns, not Hamburger Buns; but "cat food, a bag of cat chow" says one
        product twice); None when the others tell none or several apart."""
        if len(requests) < 2:
            return None
        words = self.matcher.words.words
        others = [
            (set(words(r.phrase)), res.best.product.id if res.best else "")
            for n, (r, res) in enumerate(zip(requests, results, strict=True))
            if n != index
        ]
        told = [
            c.product
            for c in result.candidates
            if any(
                said and said <= set(words(c.product.display_name)) and own != c.product.id
                for said, own in others
            )
        ]
        return told[0] if len(told) == 1 else None

    def _ask_first(self, unclear: list[PendingQuestion]) -> str:
        """Ask the first question; the items of the others wait their turn. A question about
        the same words as one talked past replaces it."""
        later = tuple(r for question in unclear[1:] for r in _items_of(question))
        first = replace(unclear[0], rest=later)
        self.state.unanswered = [
            q for q in self.state.unanswered if q.item.phrase != first.item.phrase
        ]
        self.state.pending = first
        return self._ask(first)

    def _proposed_count(self, request: ItemRequest) -> int | None:
        """For a count above the limit, the sane count the parser read in it to offer ("six
        million" -> 6), when there is one."""
        sane = request.sane_quantity
        return sane if sane is not None and 0 < sane <= self.settings.max_quantity else None

    def _too_many(self, quantity: int | None) -> bool:
        return quantity is not None and quantity > self.settings.max_quantity

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
        self.state.discussed = None
        added_ids = {line.product_id for line in new_lines}
        self.state.unanswered = [
            q for q in self.state.unanswered if not added_ids & {p.id for p in q.choices}
        ]
        parts = [self.replies.say("added", lines=self.replies.lines(added))] if added else []
        parts += [self.replies.say("order_limit", name=ln.name, limit=limit) for ln in short]
        return " ".join([*parts, self.replies.cart_total(cart)])

    def _line_for(self, product: Product, request: ItemRequest) -> CartLine:
        self.state.last_product = product
        self.state.last_request = request
        allowed = set(product.options)
        options = {g: v for g, v in request.options.items() if g in allowed}
        return CartLine(
            product_id=product.id,
            name=product.display_name,
            quantity=_packs(product, request, self.parser.language),
            options=options,
            unit_price=product.price,
        )

    def _ask(self, question: PendingQuestion) -> str:
        if isinstance(question, ConfirmingCount):
            key = "ask_how_many" if question.proposed is None else "ask_count"
            return self.replies.say(
                key,
                quantity=question.item.quantity,
                proposed=question.proposed,
                limit=self.settings.max_quantity,
            )
        choices = question.choices
        if question.apart:
            apart = self.replies.join([item.phrase for item in question.apart])
            return self.replies.say(
                "ask_together", choice=self.replies.offered(choices[0]), apart=apart
            )
        if len(choices) == 1:
            return self.replies.say("ask_one", choice=self.replies.offered(choices[0]))
        return self.replies.say("ask_which", choices=self.replies.choices(choices))

    def _not_found(self, phrase: str, nearest: tuple) -> str:
        if not nearest:
            return self.replies.say("not_found", phrase=phrase, store=self.store.name)
        product = nearest[0].product
        hint = product.display_name
        if product.department:
            hint = f"{hint}, {self.replies.word('in_department')} {product.department}"
        return self.replies.say("not_found_hint", phrase=phrase, hint=hint, store=self.store.name)

    # Choosing between candidates

    def _answer_choice(self, pending: Choosing, text: str, intent: Intent | None) -> str | None:
        """The reply when the utterance answers the open question, else None (moved on)."""
        if pending.apart and self._chose_apart(pending, intent):
            self.state.pending = None
            first, second = pending.apart
            return self._add_requests([first, replace(second, joined_by=""), *pending.rest])
        if not pending.apart and self._recounts(intent):
            assert intent is not None and intent.quantity is not None
            recounted = replace(pending.item, quantity=intent.quantity)
            self.state.pending = replace(pending, item=recounted)
            return self._ask(self.state.pending)
        ruled, text, intent = self._ruled_out(pending, text, intent)
        if ruled is not pending and not text:
            self._read_as_choice(None)
            self.state.pending = ruled
            return self._ask(ruled)
        pending = ruled
        with_more = self._answer_with_more(pending, intent)
        if with_more is not None:
            return with_more
        named = self._choices_named_by_answer(pending, text, intent)
        if named:
            self._read_as_choice(intent)
        if len(named) > 1:
            self.state.pending = replace(pending, choices=named)
            return self._ask(self.state.pending)
        if not named and self._declined(pending, intent):
            self.state.pending = None
            return self._then_rest(self.replies.say("chosen_none"), pending.rest)
        if not named:
            if intent is None or intent.name in ("Yes", "Choose", "OneItem", "SeparateItems"):
                return self.replies.say(
                    "choose_together_again" if pending.apart else "choose_again",
                    ordinals=self.replies.ordinals(pending.choices),
                )
            self.set_aside()
            return None
        self.state.pending = None
        return self._then_rest(
            self._apply_adds([self._line_for(named[0], _with_count_said(pending.item, intent))]),
            pending.rest,
        )

    def _ruled_out(
        self, pending: Choosing, text: str, intent: Intent | None
    ) -> tuple[Choosing, str, Intent | None]:
        """The question without the choices the answer rules out ("brown, not organic": not
        the organic eggs; the negation holds up to a pause), the other words and their
        reading; all as they were when the answer rules out none of the choices, or all."""
        words = self.parser.normalizer.normalize(text, keep_commas=True).split()
        negations = self.parser.language.negations
        at = next((i for i, word in enumerate(words) if word in negations), None)
        if at is None:
            return pending, text, intent
        end = words.index(",", at) if "," in words[at:] else len(words)
        out = set(self.matcher.words.words(" ".join(words[at + 1 : end])))
        named = self.matcher.words.words
        kept = tuple(p for p in pending.choices if not out or not out <= set(named(p.display_name)))
        if not kept or len(kept) == len(pending.choices):
            return pending, text, intent
        said = " ".join(w for w in words[:at] + words[end + 1 :] if w != ",")
        return replace(pending, choices=kept), said, self.parser.parse(said) if said else None

    def _answer_with_more(self, pending: Choosing, intent: Intent | None) -> str | None:
        """An answer whose first item names one choice and that goes on with more items
        ("the mexican cheese and a jar of salsa"): the choice is taken and the other items
        are added after it; None when the answer is not such a list."""
        if pending.apart or intent is None or intent.name != "AddItems" or len(intent.items) < 2:
            return None
        first = replace(intent, items=intent.items[:1], text=intent.items[0].phrase)
        named = self._choices_named_by_answer(pending, first.text, first)
        if len(named) != 1:
            return None
        self.state.pending = None
        line = self._line_for(named[0], _with_count_said(pending.item, first))
        return self._then_rest(self._apply_adds([line]), (*intent.items[1:], *pending.rest))

    def _then_rest(self, reply: str, rest: tuple[ItemRequest, ...]) -> str:
        """The reply, then the items that waited for the question answered."""
        later = self._add_requests(list(rest)) if rest else ""
        return " ".join(part for part in (reply, later) if part)

    def _declined(self, pending: Choosing, intent: Intent | None) -> bool:
        """Whether the answer turns the question down: "no", "cancel", "actually, no eggs"."""
        if intent is None:
            return False
        if intent.name in ("No", "Cancel"):
            return True
        words = self.matcher.words.words
        asked = set(words(pending.item.phrase))
        return intent.name == "RemoveItems" and any(
            asked & set(words(item.phrase)) for item in intent.items
        )

    def _answer_count(self, pending: ConfirmingCount, intent: Intent | None) -> str | None:
        """ "Did you mean 6?": yes adds 6, a count adds that many, no leaves it out."""
        if intent is not None and intent.name == "Yes":
            quantity = pending.proposed
        else:
            quantity = self._count_said(intent)
        if quantity is not None:
            self.state.pending = None
            return self._add_requests([replace(pending.item, quantity=quantity), *pending.rest])
        if intent is not None and intent.name in ("No", "Cancel"):
            self.state.pending = None
            return self._then_rest(self.replies.say("chosen_none"), pending.rest)
        if intent is None or intent.name == "Yes":
            return self._ask(pending)
        self.state.pending = None
        return None

    def _count_said(self, intent: Intent | None) -> int | None:
        """A count said as an answer: "just two", "make it six", "two bananas"; "two" alone
        is read as "two items" too, so the words themselves are read as a count."""
        if intent is None:
            return None
        if intent.quantity is not None:
            return intent.quantity
        words = intent.text.split()
        counted = self.parser.normalizer.numbers.parse_count(words)
        if counted is not None and counted[1] == len(words):
            return counted[0]
        counts = [item.quantity for item in intent.items if item.quantity is not None]
        return counts[0] if len(counts) == 1 and len(intent.items) == 1 else None

    def _answer_unanswered(self, text: str, intent: Intent | None) -> str | None:
        """An answer to a question talked past earlier: a position answers the latest, words
        that name a choice answer the latest question they name."""
        if not self.state.unanswered or (
            intent is not None and intent.name not in _ANSWERS and not intent.implicit
        ):
            return None
        unanswered = self.state.unanswered
        for index in range(len(unanswered) - 1, -1, -1):
            question = unanswered[index]
            named = self._choices_named_by_answer(question, text, intent)
            if named:
                self._read_as_choice(intent)
            if len(named) == 1:
                del unanswered[index]
                return self._apply_adds([self._line_for(named[0], question.item)])
            if named:
                unanswered[index] = replace(question, choices=named)
                return self._ask(unanswered[index])
            if intent is not None and intent.name in _ANSWERS:
                return None
        return None

    def _recounts(self, intent: Intent | None) -> bool:
        """Whether the answer changes how many of the item asked about ("make it one" while
        asked which bread): a count with no product, one the shop may add."""
        return (
            intent is not None
            and intent.name == "SetQuantity"
            and not intent.product
            and intent.quantity is not None
            and 0 < intent.quantity <= self.settings.max_quantity
        )

    def _read_as_choice(self, intent: Intent | None) -> None:
        """Words that picked among the choices offered acted as a choice ("the brown ones",
        "Horizon"), whatever they read as alone; answers of their own kind ("yes", "either
        one") stay what they are."""
        if intent is None or intent.name not in _CHOICE_ANSWERS:
            self._acted = "Choose"

    @staticmethod
    def _chose_apart(pending: Choosing, intent: Intent | None) -> bool:
        """Whether the answer takes the items read apart, offered after the choices: "no",
        "separate items", "the second one", "the last one"."""
        if intent is None:
            return False
        if intent.name in ("No", "SeparateItems"):
            return True
        if intent.name == "SetQuantity" and not intent.product:
            return (intent.quantity or 0) > 1
        offered_after = (len(pending.choices) + 1, -1)
        return intent.name == "Choose" and _position(intent) in offered_after

    def _choices_named_by_answer(
        self, pending: Choosing, text: str, intent: Intent | None
    ) -> tuple[Product, ...]:
        """The choice the answer picks (one), the choices it narrows to (several), or none."""
        choices = pending.choices
        if intent is not None and intent.name in ("Yes", "Count") and len(choices) == 1:
            return choices[:1]
        if intent is not None and pending.apart and _says_one(intent):
            return choices[:1]
        if intent is not None and intent.name in _LEFT_TO_US:
            return _left_to_us(choices, intent)
        if intent is not None and intent.name == "Choose" and not intent.product:
            position = _position(intent)
            if position == -1:
                return choices[-1:]
            if position is not None and 1 <= position <= len(choices):
                return (choices[position - 1],)
            return ()
        phrase = _answer_phrase(text, intent)
        exact = self._named_exactly(pending, phrase)
        if exact:
            return exact
        named = self._choice_named(choices, phrase) or self._choice_named(choices, text)
        if named or intent is None or not (intent.product or intent.implicit):
            return named
        return self._named_beyond(pending, phrase)

    def _named_exactly(self, pending: Choosing, phrase: str) -> tuple[Product, ...]:
        """The product the answer says by its own name or alias, when it is one the question's
        words find ("folgers" for Folgers Classic Roast, though the decaf was offered); else
        none."""
        best = self.matcher.match(phrase).best
        if best is None or best.score < EXACT:
            return ()
        found = (*pending.choices, *self._alternatives(pending.item.phrase))
        return (best.product,) if best.product in found else ()

    def _named_beyond(self, pending: Choosing, phrase: str) -> tuple[Product, ...]:
        """A product the question's words find but that was not offered, which the answer
        tells apart ("the skim one" when whole, chocolate and oat milk were offered)."""
        others = [p for p in self._alternatives(pending.item.phrase) if p not in pending.choices]
        named = self._choice_named(tuple(others), phrase) if others else ()
        return (self._likest(list(named), pending.item.phrase),) if named else ()

    def _choice_named(self, choices: tuple[Product, ...], text: str) -> tuple[Product, ...]:
        """The choices the words point to: the one named ("Kraft Macaroni and Cheese"), or
        those whose telling words were said ("the brown ones")."""
        said = self._content(text)
        if not said:
            return ()
        scored = [(fuzz.token_set_ratio(said, self._content(p.display_name)), p) for p in choices]
        scored.sort(key=lambda item: item[0], reverse=True)
        best_score, best = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        if best_score >= self.settings.choice_pick_score and best_score > runner_up:
            return (best,)
        names = [self.matcher.words.words(p.display_name) for p in choices]
        told = told_apart(self.matcher.words.words(text), names)
        return tuple(choices[i] for i in told) if len(told) < len(choices) else ()

    def _content(self, text: str) -> str:
        """The words that name a product, as the matcher compares them."""
        return " ".join(self.matcher.words.words(text))

    def _choose_without_question(self, intent: Intent) -> str:
        """A choice said with no question open: "not that one, the organic one" swaps the item
        added last."""
        if intent.product:
            return self._change_choice(intent)
        return self._choose_out_of_context(intent)

    def _choose_out_of_context(self, _intent: Intent) -> str:
        return self.replies.say("yes_no_out_of_context")

    def _yes_no_out_of_context(self, _intent: Intent) -> str:
        return self.replies.say("yes_no_out_of_context")

    # Changing and reading the cart

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

    def _cart_line_named(self, cart: list[CartLine], phrase: str) -> CartLine | None:
        if not cart:
            return None
        best_score, best = max(self._scored_lines(cart, phrase), key=lambda item: item[0])
        return best if best_score >= self.settings.choice_pick_score else None

    def _cart_lines_named(self, cart: list[CartLine], phrase: str) -> list[CartLine]:
        """Every cart line the phrase names ("eggs": the white and the brown ones)."""
        floor = self.settings.choice_pick_score
        return [line for score, line in self._scored_lines(cart, phrase) if score >= floor]

    def _scored_lines(self, cart: list[CartLine], phrase: str) -> list[tuple[float, CartLine]]:
        said = self._content(phrase)
        return [
            (
                fuzz.token_set_ratio(
                    said, self._content(self.replies.described_name(ln.name, ln.options))
                ),
                ln,
            )
            for ln in cart
        ]

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

    def _set_discussed(self, discussed: Choosing, quantity: int, adding: bool = False) -> str:
        """ "make it two" after "how much is butter": that many of the product asked about,
        added when it is not in the cart (or `adding`); which one, when several were named."""
        self.state.discussed = None
        item = replace(discussed.item, quantity=quantity, unit="")
        if len(discussed.choices) > 1:
            return self._ask_first([replace(discussed, item=item)])
        product = discussed.choices[0]
        cart = self.cart
        line = next((line for line in cart if line.product_id == product.id), None)
        if line is None or adding:
            return self._apply_adds([self._line_for(product, item)])
        return self._set_line(line, quantity)

    def _set_line(self, line: CartLine, quantity: int) -> str:
        self.state.discussed = None
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
        if len(cart) > self._lines_in_full():
            return self.replies.say(
                "cart_summary", totals=self.replies.totals(cart), lines=self._said_lines(cart)
            )
        return self._read_all(_intent)

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
        lines = self._cart_lines_named(self.cart, intent.product)
        if not lines:
            return self.replies.say("none_in_cart", phrase=intent.product)
        self.state.last_line = lines[-1]
        self.state.discussed = None
        return self.replies.say("you_have", lines=self.replies.lines(lines))

    def _add_focus(self, quantity: int) -> str:
        """ "put two in" after "how much is the pineapple": that many of the product asked
        about (which one, when several were named), else of the item touched last."""
        discussed = self.state.discussed
        if discussed is not None:
            return self._set_discussed(discussed, quantity, adding=True)
        cart = self.cart
        if not cart:
            return self.replies.say("nothing_to_add_again")
        return self._apply_adds([replace(self._last_line_in(cart), quantity=quantity)])

    def _add_another(self, intent: Intent) -> str:
        """ "another one", "two more": the item touched last again."""
        cart = self.cart
        if not cart:
            return self.replies.say("nothing_to_add_again")
        line = self._last_line_in(cart)
        return self._apply_adds([replace(line, quantity=intent.quantity or 1)])

    def _change_choice(self, intent: Intent) -> str:
        """ "not that one, the organic one": the item added last swapped for another of the
        products its request found, the one the new words tell apart; else the answer to a
        question talked past that the words name; else the item added last swapped for the
        product the words name clearly ("not that, the italian bread"); else a request for
        what the words name."""
        cart = self.cart
        last, request = self.state.last_line, self.state.last_request
        line = next((ln for ln in cart if last is not None and same_item(ln, last)), None)
        swapped = self._swap(cart, line, request, intent.product) if line and request else None
        if swapped is not None:
            return swapped
        answered = self._answer_unanswered(intent.text, intent)
        if answered is not None:
            return answered
        named = self.matcher.match(intent.product)
        if line is not None and named.outcome is MatchOutcome.CONFIDENT:
            chosen = named.candidates[0].product
            if chosen.id != line.product_id:
                return self._replace_line(line, chosen, ItemRequest(intent.product))
        return self._add_requests([ItemRequest(intent.product)])

    def _swap(
        self, cart: list[CartLine], line: CartLine, request: ItemRequest, words: str
    ) -> str | None:
        """The line swapped for the product its request found that the words tell apart from
        it (among several, the one most like it, then the likeliest: "the brown ones" for white
        eggs are the same eggs, brown); None when the words name none."""
        current = self.store.product(line.product_id)
        if current is None:
            return None
        others = (p for p in self._alternatives(request.phrase) if p.id != line.product_id)
        choices = (current, *others)
        named = [p for p in self._choice_named(choices, words) if p.id != current.id]
        if not named:
            return None
        return self._replace_line(line, self._likest(named, line.name), request)

    def _replace_line(self, line: CartLine, product: Product, request: ItemRequest) -> str:
        """Take a line out of the cart and put as many of `product` in; what to say."""
        dropped = self._drop_line(line)
        wanted = replace(request, quantity=line.quantity, unit="")
        return f"{dropped} {self._apply_adds([self._line_for(product, wanted)])}"

    def _drop_line(self, line: CartLine) -> str:
        """Take a line out of the cart to be replaced; what to say about it."""
        self._update(
            lambda now: set_quantity(now, line, 0),
            self.replies.change("remove", lines=self.replies.line(line)),
        )
        self.state.last_line = None
        return self.replies.say("swapped_out", line=self.replies.line(line))

    def _alternatives(self, phrase: str) -> tuple[Product, ...]:
        """The products a phrase finds, likeliest first, beyond those a question offers."""
        return tuple(c.product for c in self.matcher.rank(phrase, limit=_ALTERNATIVES))

    def _likest(self, products: list[Product], name: str) -> Product:
        """The product sharing the most words with `name`; on a tie the first."""
        words = set(self.matcher.words.words(name))
        return max(
            products, key=lambda p: len(words & set(self.matcher.words.words(p.display_name)))
        )

    def _clear_cart(self, _intent: Intent) -> str:
        before, _ = self._update(lambda _now: [], self.replies.change("clear"))
        if not before:
            return self.replies.say("cart_empty")
        self.state.unanswered.clear()
        return self.replies.say("cleared")

    # Questions about products

    def _price(self, intent: Intent) -> str:
        if not intent.product:
            return self._price_of_focus()
        result = self.matcher.match(intent.product)
        if result.outcome is MatchOutcome.NOT_FOUND:
            return self._not_found(intent.product, result.candidates)
        products = tuple(c.product for c in result.candidates)
        if result.outcome is MatchOutcome.CONFIDENT:
            products = products[:1]
        self.state.discussed = Choosing(ItemRequest(intent.product), products)
        return self._prices_of(products)

    def _price_of_focus(self) -> str:
        """ "how much is that": the products asked about last, else the item touched last."""
        if self.state.discussed is not None:
            return self._prices_of(self.state.discussed.choices)
        cart = self.cart
        if not cart:
            return self.replies.say("price_of_nothing")
        product = self.store.product(self._last_line_in(cart).product_id)
        return self._prices_of((product,)) if product else self.replies.say("price_of_nothing")

    def _prices_of(self, products: tuple[Product, ...]) -> str:
        self.state.last_product = products[0]
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
            return self.replies.say("not_found", phrase=intent.product, store=self.store.name)
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

    # Checkout

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
        if intent is not None and intent.name in ("No", "Cancel"):
            self.state.pending = None
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

    # Confirming what was heard

    def _answer_heard(self, pending: ConfirmingHeard, intent: Intent | None) -> str:
        self.state.pending = None
        if intent is not None and intent.name == "Yes":
            heard = self.parser.parse(pending.text)
            self._acted = heard.name if heard else None
            return self._answer(pending.text, heard, 1.0)
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


def _without_appositions(
    requests: list[ItemRequest],
    results: list[MatchResult],
    words: Callable[[str], list[str]],
) -> tuple[list[ItemRequest], list[MatchResult]]:
    """The items with each apposition folded into the item before it: an item after a comma,
    with no count or unit when the one before has one, that names the product the one before
    names or offers ("a loaf of white bread, the wonder bread"), or one of the same kind
    named more fully ("cat food, a bag of cat chow"), is that item said again, more precisely.
    `words` gives a phrase's match words."""
    kept_requests: list[ItemRequest] = []
    kept_results: list[MatchResult] = []
    for request, result in zip(requests, results, strict=True):
        if kept_requests and _restates(request, result, kept_requests[-1], kept_results[-1], words):
            first = kept_requests[-1]
            kept_requests[-1] = replace(
                first,
                phrase=request.phrase,
                options={**request.options, **first.options},
                quantity=first.quantity if first.quantity is not None else request.quantity,
                unit=first.unit or request.unit,
            )
            kept_results[-1] = result
            continue
        kept_requests.append(request)
        kept_results.append(result)
    return kept_requests, kept_results


def _restates(
    request: ItemRequest,
    result: MatchResult,
    first: ItemRequest,
    before: MatchResult,
    words: Callable[[str], list[str]],
) -> bool:
    """Whether `request` only names again, after a comma, the product of the item `first`
    before it (found as `before`), or one of its kind more fully: a name that holds all its
    words and ends with the same one ("cat food": Indoor Dry Cat Food)."""
    counted = request.quantity is not None or bool(request.unit)
    if request.joined_by or (counted and (first.quantity is not None or first.unit)):
        return False
    if result.outcome is not MatchOutcome.CONFIDENT or not before.candidates:
        return False
    product = result.candidates[0].product
    said, name = words(first.phrase), words(product.display_name)
    if said and set(said) <= set(name) and said[-1] == name[-1]:
        return True
    if before.outcome is MatchOutcome.CONFIDENT:
        return before.candidates[0].product.id == product.id
    return any(c.product.id == product.id for c in before.candidates)


def _left_to_us(choices: tuple[Product, ...], intent: Intent) -> tuple[Product, ...]:
    """The choice an answer leaving it to the shop takes: the cheapest priced one when asked
    for, else the first offered (the best match)."""
    priced = [p for p in choices if p.price is not None]
    if intent.name == "CheapestChoice" and priced:
        return (min(priced, key=lambda p: p.price or 0.0),)
    return choices[:1]


def _items_of(question: PendingQuestion) -> tuple[ItemRequest, ...]:
    """The items a question is about: both items of "one item, or two?", else its one item."""
    if isinstance(question, Choosing) and question.apart:
        return question.apart
    return (question.item,)


def _says_one(intent: Intent) -> bool:
    """Whether an answer to "one item, or separate items?" says one: "one item", "just one"."""
    return intent.name == "OneItem" or (
        intent.name == "SetQuantity" and not intent.product and intent.quantity == 1
    )


def _with_count_said(item: ItemRequest, answer: Intent | None) -> ItemRequest:
    """The item asked about with the count its answer says ("yes, four please", "red, 2
    bags"); as it was when the answer says none."""
    if answer is None:
        return item
    if answer.name in ("Yes", "Count") and answer.quantity is not None:
        return replace(item, quantity=answer.quantity, unit="")
    counted = (
        [i for i in answer.items if i.quantity is not None] if answer.name == "AddItems" else []
    )
    if counted:
        return replace(item, quantity=counted[0].quantity, unit=counted[0].unit)
    return item


def _answer_phrase(text: str, intent: Intent | None) -> str:
    """The words of an answer that name a choice when it has product words ("not that one, the
    organic one": "organic one"), else all it said."""
    if intent is None:
        return text
    phrases = [intent.product] if intent.product else [item.phrase for item in intent.items]
    return " ".join(phrases) if any(phrases) else text


def _position(intent: Intent) -> int | None:
    """The position a Choose answer names: "the second one", "number two"."""
    return intent.ordinal if intent.ordinal is not None else intent.quantity


def _pack_count(language: LanguageData) -> re.Pattern[str]:
    """A number and a word after it that counts pieces ("12 ct", "18 eggs")."""
    words = "|".join(re.escape(w) for w in language.pack_count_words) or "(?!)"
    return re.compile(rf"(\d+)\s*(?:{words})\b", re.IGNORECASE)


def _packs(product: Product, request: ItemRequest, language: LanguageData) -> int:
    """How many of the product to put in the cart for what was asked.

    "a dozen eggs" is one carton of 12; "two dozen" of an 18-count pack is two packs. A weight
    counts the product's packs of a weight, the nearest number of them, at least one ("two
    pounds" of a 2 lb package is one, of a 1 lb one two).
    """
    quantity = request.quantity or 1
    if language.dozen_unit and request.unit == language.dozen_unit:
        pack = _pack_count(language).search(f"{product.size} {product.name}")
        if pack is None:
            return quantity * _DOZEN
        return max(1, math.ceil(quantity * _DOZEN / int(pack.group(1))))
    wanted = language.weight(quantity, request.unit)
    size = _SIZE.match(product.size)
    held = language.weight(float(size.group(1)), size.group(2).lower()) if size else None
    if wanted is None or not held:
        return quantity
    return max(1, round(wanted / held))
