"""The shared core of one store's conversation: its cart, state and the helpers every part uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz

from voiceshop.catalog.model import Store
from voiceshop.dialog.cart import (
    same_item,
    set_quantity,
)
from voiceshop.dialog.consent import ConsentReader
from voiceshop.dialog.purchase import PurchaseGuard
from voiceshop.dialog.replies import Replies
from voiceshop.dialog.state import (
    Change,
    DialogState,
)
from voiceshop.intents.model import Intent
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.matching.matcher import ProductMatcher
from voiceshop.personal.profile import ShopperProfile
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import CartLine


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


class DialogCore:
    """The cart, state and stages of one user's conversation with one store, and what every part
    of `DialogManager` uses: finding cart lines by their words, changing the cart with undo."""

    _handlers: dict[str, Callable[[Intent], str]]
    """What answers each intent this store's dialog handles (`_intent_handlers`)."""

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
        self._text = ""
        """The utterance being answered, as said."""
        self._profile: ShopperProfile | None = None
        self._handlers = self._intent_handlers()

    def _intent_handlers(self) -> dict[str, Callable[[Intent], str]]:
        """The table of `_handlers`, given by the dialog that dispatches the turns."""
        raise NotImplementedError

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

    @property
    def cart(self) -> list[CartLine]:
        """The user's cart at this store, as saved."""
        return self.db.cart(self.user, self.store.id)

    def _not_understood(self, text: str) -> str:
        self._acted = None
        if not self.parser.clean(text):
            return self.replies.say("not_heard")
        examples = self.replies.examples()
        return self.replies.say("not_understood", text=text.strip(), examples=examples)

    def _last_line_in(self, cart: list[CartLine]) -> CartLine:
        last = self.state.last_line
        if last is not None:
            for line in cart:
                if same_item(line, last):
                    return line
        return cart[-1]

    def _content(self, text: str) -> str:
        """The words that name a product, as the matcher compares them."""
        return " ".join(self.matcher.words.words(text))

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
