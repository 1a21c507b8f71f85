"""Values that cross the database boundary: cart lines and orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order stands. Compares equal to its plain string ("placed", "cancelled")."""

    PLACED = "placed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CartLine:
    """One line of a cart or order: a product, how many, and the options asked for.

    `name` and `unit_price` are a snapshot taken when the line was added, so a line never depends
    on the catalog. `options` maps an option group id to the value as spoken
    (`{"milk": "a bit of soy milk"}`). The line keeps its own copy of `options`; treat it as
    read-only. Lines are hashable: the hash ignores `options`, equality does not.
    """

    product_id: str
    name: str
    quantity: int
    options: dict[str, str] = field(default_factory=dict, hash=False)
    unit_price: float | None = None

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError(f"a cart line needs a quantity of at least 1, got {self.quantity}")
        object.__setattr__(self, "options", dict(self.options))

    @property
    def price(self) -> float | None:
        """quantity x unit price, or None when the unit price is unknown."""
        return None if self.unit_price is None else self.quantity * self.unit_price


@dataclass(frozen=True)
class Order:
    """A placed order: a snapshot of the cart lines at the time it was confirmed."""

    id: int
    user: str
    store_id: str
    placed_at: str
    """When the order was placed, ISO 8601 in UTC (`2024-05-01T12:30:00+00:00`)."""
    status: OrderStatus
    lines: tuple[CartLine, ...]
    interface: str | None = None
    """Where the order was confirmed (`chat`, `voice`, `replay`, ...); None for orders placed
    before voiceshop recorded it, or through the library without naming one."""
    code_given: bool = False
    """Whether the user's purchase code was said to place it."""

    @property
    def total(self) -> float | None:
        """The sum of the prices that are known, or None when no line has a price."""
        prices = [line.price for line in self.lines if line.price is not None]
        return sum(prices) if prices else None

    @property
    def item_count(self) -> int:
        """How many items the order holds (quantities added up)."""
        return sum(line.quantity for line in self.lines)


class Channel(StrEnum):
    """Where a past purchase was made."""

    IN_STORE = "in-store"
    ONLINE = "online"


@dataclass(frozen=True)
class Account:
    """A user's customer account at a store, linked to voiceshop."""

    user: str
    store_id: str
    customer_id: str
    linked_at: str


@dataclass(frozen=True)
class Purchase:
    """One product bought once: from a linked account's history, or a voiceshop order."""

    product_id: str
    name: str
    quantity: int
    purchased_at: str
    """ISO 8601 date or date and time."""
    channel: Channel
