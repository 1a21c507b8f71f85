"""What the intent parser produces: typed values handed to the matcher and the dialog."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemRequest:
    """One product as asked for: "two cartons of organic whole milk"."""

    phrase: str
    """The product words, in normal form ("organic whole milk")."""
    quantity: int | None = None
    """The count said, or None when none was said."""
    unit: str = ""
    """The counting unit said, singular ("carton"), or ""."""
    options: dict[str, str] = field(default_factory=dict)
    """Option group id -> value as the store names it, add-ons with their spoken amount."""
    joined_by: str = ""
    """The word said between this item and the one before ("and"), "" after a comma or first."""


@dataclass(frozen=True)
class Intent:
    """What an utterance asks for."""

    name: str
    """One of the intents of `voiceshop/data/<lang>/sentences.yaml` (AddItems, Checkout, ...)."""
    text: str
    """The utterance in normal form, fillers removed."""
    items: tuple[ItemRequest, ...] = ()
    product: str = ""
    """The product phrase for Price, ListKinds and SetQuantity."""
    quantity: int | None = None
    """The number for SetQuantity and Choose."""
    ordinal: int | None = None
    """1-based position for Choose; -1 for "the last one"."""
    implicit: bool = False
    """True when AddItems matched only a bare product list, with no verb."""
    person: str = ""
    """Who is speaking, for SwitchUser ("this is Sam")."""
    store: str = ""
    """The store named, as said, for SelectStore."""
