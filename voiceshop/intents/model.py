"""What the intent parser produces: typed values handed to the matcher and the dialog."""

from __future__ import annotations

from dataclasses import dataclass, field

MOST_SOLD_AT_ONCE = 99
"""The largest count of one product a store sells at once."""


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
    size: str = ""
    """The size of the unit said before it, in normal form ("twenty four" of "a 24 pack"), or
    ""."""
    refers: bool = False
    """Whether the words end in one standing for the product talked about ("two green ones"):
    the kind is that product's."""
    sane_quantity: int | None = None
    """For a count above what a store sells at once (see `implausible`), the count the
    recognizer likely heard as a scaled number ("six million" -> 6), for the dialog to offer;
    None otherwise."""

    @property
    def implausible(self) -> bool:
        """Whether the count said is more than a store sells at once: never add it, ask."""
        return self.quantity is not None and self.quantity > MOST_SOLD_AT_ONCE


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
    unit: str = ""
    """A counting unit said in place of the product, singular ("how many bottles": bottle)."""
    quantity: int | None = None
    """The number for SetQuantity and Choose; for Price, how many are asked about ("how much
    would three of those be", "how much are 3 avocados"), with their `unit`."""
    ordinal: int | None = None
    """1-based position for Choose; -1 for "the last one"."""
    implicit: bool = False
    """True when AddItems matched only a bare product list: no verb, and no count or unit in
    it ("whole milk", not "a bag of ice")."""
    bare: bool = False
    """True when AddItems matched the bare item list, said without a verb ("two packs"), and
    not after a separator ("and two packs")."""
    person: str = ""
    """Who is speaking, for SwitchUser ("this is Sam")."""
    store: str = ""
    """The store named, as said, for SelectStore."""
    section: str = ""
    """Where in the store the items are, as said, for AddItems ("from the deli")."""
