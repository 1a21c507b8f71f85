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


@dataclass(frozen=True)
class ConfirmingCheckout:
    """The order was read back; only a clear yes places it, and only what was read back."""

    lines: tuple[CartLine, ...] = ()
    key: str = ""
    """The read-back's idempotency key: it places at most one order."""
    attempts: int = 0


@dataclass(frozen=True)
class ConfirmingHeard:
    """The recognizer was unsure; "Did you say ...?" is open."""

    text: str


Pending = Choosing | ConfirmingCheckout | ConfirmingHeard


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
    """The cart line touched last, for "make it three"."""
    last_product: Product | None = None
    """The product talked about last, for "where is it cheaper?"."""
