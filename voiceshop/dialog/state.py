"""What the dialog is waiting for between utterances."""

from __future__ import annotations

from dataclasses import dataclass, field

from voiceshop.catalog.model import Product
from voiceshop.intents.model import ItemRequest
from voiceshop.storage.records import CartLine


@dataclass(frozen=True)
class Choosing:
    """A question "Did you mean A or B?" is open for `item`; `rest` waits its turn."""

    item: ItemRequest
    choices: tuple[Product, ...]
    rest: tuple[ItemRequest, ...] = ()
    apart: tuple[ItemRequest, ...] = ()
    """The items `item` names when its words are read as several, offered after `choices`
    ("minced garlic and extra virgin olive oil": one product, or two)."""
    optional: bool = False
    """An offer the shopper may let go ("I have 12 kinds of bread, like ..."), not a question
    kept when talked past."""


@dataclass(frozen=True)
class ConfirmingCount:
    """A count above what one request may add was heard; "Did you mean 6?" is open, or "How
    many would you like?" when no sane reading of the count was found."""

    item: ItemRequest
    proposed: int | None
    rest: tuple[ItemRequest, ...] = ()


@dataclass(frozen=True)
class ConfirmingCheckout:
    """The order was read back; only a clear yes places it, and only what was read back."""

    lines: tuple[CartLine, ...] = ()
    key: str = ""
    """The read-back's idempotency key: it places at most one order."""
    attempts: int = 0


@dataclass(frozen=True)
class ConfirmingCode:
    """The order was confirmed and the user has a purchase code: "Please say your purchase
    code" is open. What is said to it is secret (never shown or logged)."""

    read_back: ConfirmingCheckout
    unheard: int = 0
    """Answers so far with no code in them."""


@dataclass(frozen=True)
class ConfirmingHeard:
    """The recognizer was unsure; "Did you say ...?" is open."""

    text: str


PendingQuestion = Choosing | ConfirmingCount
"""A question about what to add."""

Pending = Choosing | ConfirmingCount | ConfirmingCheckout | ConfirmingCode | ConfirmingHeard


@dataclass(frozen=True)
class Change:
    """An undoable cart change: the cart just before and just after it, and how to describe
    it. Undo takes back only the difference, not other changes made since."""

    before: tuple[CartLine, ...]
    after: tuple[CartLine, ...]
    description: str


@dataclass
class DialogState:
    """The conversation's memory: what is pending, what can be undone, what was said last."""

    pending: Pending | None = None
    changes: list[Change] = field(default_factory=list)
    last_reply: str = ""
    last_line: CartLine | None = None
    """The cart line touched last, for "make it three" and "another one"."""
    last_request: ItemRequest | None = None
    """What was asked for when the last product was put in the cart, for "not that one"."""
    last_product: Product | None = None
    """The product talked about last, for "where is it cheaper?"."""
    discussed: Choosing | None = None
    """Products asked about since the cart last changed ("how much is butter"): "make it two"
    means them, not the line touched last."""
    unanswered: list[Choosing] = field(default_factory=list)
    """Questions the shopper talked past, kept until answered, replaced or checked out."""
    last_question: str = ""
    """The intent of the question about a product asked last ("Price"), for "what about beer";
    "" once the cart changed since."""
    priced: tuple[Product, ...] = ()
    """The products whose price was said, one per answer, last the most recent (a few), for
    "how much for both"."""
    lines_read: int = 0
    """How many cart lines the last read-back said before "and N more", for "what else"."""
