"""Adding items: requests matched to products, counts checked, unclear items asked about."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace

from voiceshop.catalog.model import Product
from voiceshop.dialog.cart import (
    add_line,
    same_item,
    what_was_added,
)
from voiceshop.dialog.core import DialogCore
from voiceshop.dialog.state import (
    Choosing,
    ConfirmingCount,
    PendingQuestion,
)
from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.language import LanguageData
from voiceshop.matching.matcher import MatchOutcome, MatchResult, ProductMatcher
from voiceshop.storage.records import CartLine

_DOZEN = 12
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$", re.IGNORECASE)
"""A product size of one amount and unit ("2 lb", "16 oz")."""


class ItemAdding(DialogCore):
    """Adding what was asked for: clear items go in the cart, unclear ones become questions."""

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
        to its words ("green pepper"); with no words of its own ("two packs") that product;
        other items as they are."""
        last = self.state.last_product
        if not request.refers or last is None:
            return request
        if not request.phrase:
            return replace(request, phrase=self.parser.normalizer.normalize(last.name))
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
            quantity=packs(product, request, self.parser.language),
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
        phrase = self.parser.normalizer.as_said(phrase, self._text)
        if not nearest:
            return self.replies.say("not_found", phrase=phrase, store=self.store.name)
        product = nearest[0].product
        hint = product.display_name
        if product.department:
            hint = f"{hint}, {self.replies.word('in_department')} {product.department}"
        return self.replies.say("not_found_hint", phrase=phrase, hint=hint, store=self.store.name)

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


def _items_of(question: PendingQuestion) -> tuple[ItemRequest, ...]:
    """The items a question is about: both items of "one item, or two?", else its one item."""
    if isinstance(question, Choosing) and question.apart:
        return question.apart
    return (question.item,)


def _pack_count(language: LanguageData) -> re.Pattern[str]:
    """A number and a word after it that counts pieces ("12 ct", "18 eggs")."""
    words = "|".join(re.escape(w) for w in language.pack_count_words) or "(?!)"
    return re.compile(rf"(\d+)\s*(?:{words})\b", re.IGNORECASE)


def packs(product: Product, request: ItemRequest, language: LanguageData) -> int:
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
