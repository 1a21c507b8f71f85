"""Answers to open questions: which product of a choice, how many; a choice changed later."""

from __future__ import annotations

from dataclasses import replace

from rapidfuzz import fuzz

from voiceshop.catalog.model import Product
from voiceshop.dialog.adding import ItemAdding
from voiceshop.dialog.cart import (
    same_item,
    set_quantity,
)
from voiceshop.dialog.choices import told_apart
from voiceshop.dialog.state import (
    Choosing,
    ConfirmingCount,
)
from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.matching.matcher import MatchOutcome
from voiceshop.storage.records import CartLine
from voiceshop.thresholds import EXACT

_ALTERNATIVES = 30
"""How many products a request found are looked through for "not that one, the organic one"."""
_LEFT_TO_US = ("AnyChoice", "CheapestChoice")
"""Answers that leave the choice to the shop ("either is fine", "the cheapest one")."""
_ANSWERS = ("Choose", *_LEFT_TO_US)
"""Intents, besides bare product words, that may answer a question talked past earlier."""
_CHOICE_ANSWERS = ("Choose", "AnyChoice", "Yes", "Count", "OneItem", "SeparateItems")
"""Intents that answer a choice as what they are; "the cheapest one" names one of the choices
(by its price, as "the brown ones" does by its colour), so it acts as a choice."""


class ChoiceAnswers(ItemAdding):
    """Reading answers to open questions (a choice, a count) and to ones talked past earlier, and
    swapping an item added for another choice ("not that one, the organic one")."""

    def set_aside(self) -> None:
        """Leave the open question for another request; a product question is kept as
        unanswered, to be read back at checkout."""
        pending = self.state.pending
        if isinstance(pending, Choosing) and not pending.optional:
            self.state.unanswered.append(pending)
        self.state.pending = None

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
            if intent is None or intent.name in (
                "Yes",
                "Choose",
                "OneItem",
                "SeparateItems",
                "Count",
            ):
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
        """Whether the answer changes how many of the item asked about ("make it one", "ok
        gimme three" while asked which bread): a count with no product, one the shop may add."""
        if intent is None or intent.quantity is None:
            return False
        count_alone = (intent.name == "SetQuantity" and not intent.product) or (
            intent.name == "AddItems" and not intent.items
        )
        return count_alone and 0 < intent.quantity <= self.settings.max_quantity

    def _read_as_choice(self, intent: Intent | None) -> None:
        """Words that picked among the choices offered acted as a choice ("the brown ones",
        "Horizon", "the cheapest one"), whatever they read as alone; answers of their own kind
        ("yes", "either one") stay what they are."""
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

    def _choose_without_question(self, intent: Intent) -> str:
        """A choice said with no question open: "not that one, the organic one" swaps the item
        added last."""
        if intent.product:
            return self._change_choice(intent)
        return self._choose_out_of_context(intent)

    def _choose_out_of_context(self, intent: Intent) -> str:
        """An answer with no question open; a count ("one of those then", "two please") right
        after a product was asked about adds that many of it."""
        if intent.name == "Count" and intent.quantity and self.state.discussed is not None:
            self._acted = "AddItems"
            return self._add_focus(intent.quantity)
        return self.replies.say("yes_no_out_of_context")

    def _yes_no_out_of_context(self, _intent: Intent) -> str:
        return self.replies.say("yes_no_out_of_context")

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


def _left_to_us(choices: tuple[Product, ...], intent: Intent) -> tuple[Product, ...]:
    """The choice an answer leaving it to the shop takes: the cheapest priced one when asked
    for, else the first offered (the best match)."""
    priced = [p for p in choices if p.price is not None]
    if intent.name == "CheapestChoice" and priced:
        return (min(priced, key=lambda p: p.price or 0.0),)
    return choices[:1]


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
