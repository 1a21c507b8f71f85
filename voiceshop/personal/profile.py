"""A shopper's profile at one store, drawn from their purchases: favourites, usual basket,
last shop."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from voiceshop.storage.records import Purchase

FAVOURITE_OCCASIONS = 3
"""A product bought on this many shopping occasions is fully a favourite (recency aside)."""
RECENCY_HALF_LIFE_DAYS = 180
"""A favourite bought this long ago counts half."""
USUAL_MIN_OCCASIONS = 2
"""A product is in the usual basket when bought on at least this many occasions..."""
USUAL_MIN_SHARE = 0.3
"""... and on at least this share of all occasions."""


@dataclass(frozen=True)
class UsualItem:
    """A product the shopper keeps buying, and how many they usually take."""

    product_id: str
    name: str
    quantity: int
    occasions: int


class ShopperProfile:
    """Preferences of one shopper at one store. An occasion is one order or one day's shop."""

    def __init__(self, purchases: Sequence[Purchase], today: date | None = None) -> None:
        self._purchases = list(purchases)
        self._today = today or datetime.now(UTC).date()
        self._occasions: dict[tuple[str, str], list[Purchase]] = defaultdict(list)
        for purchase in self._purchases:
            self._occasions[(purchase.purchased_at[:10], purchase.channel)].append(purchase)
        self._product_occasions: Counter[str] = Counter()
        self._last_bought: dict[str, date] = {}
        for (day, _), bought in self._occasions.items():
            for product_id in {p.product_id for p in bought}:
                self._product_occasions[product_id] += 1
                self._last_bought[product_id] = max(
                    self._last_bought.get(product_id, date.min), date.fromisoformat(day)
                )

    def __bool__(self) -> bool:
        return bool(self._purchases)

    def preferences(self) -> dict[str, float]:
        """Product id -> how much the shopper favours it, 0..1 (often and recently bought)."""
        return {product_id: self.affinity(product_id) for product_id in self._product_occasions}

    def affinity(self, product_id: str) -> float:
        occasions = self._product_occasions.get(product_id, 0)
        if not occasions:
            return 0.0
        age = (self._today - self._last_bought[product_id]).days
        recency = 0.5 ** (max(age, 0) / RECENCY_HALF_LIFE_DAYS)
        return min(1.0, occasions / FAVOURITE_OCCASIONS) * recency

    def usual(self) -> list[UsualItem]:
        """The usual basket, most often bought first, each in its most common quantity."""
        total = len(self._occasions)
        quantities: dict[str, Counter[int]] = defaultdict(Counter)
        names: dict[str, str] = {}
        for purchase in self._purchases:
            quantities[purchase.product_id][purchase.quantity] += 1
            names[purchase.product_id] = purchase.name
        usual = [
            UsualItem(pid, names[pid], quantities[pid].most_common(1)[0][0], count)
            for pid, count in self._product_occasions.most_common()
            if count >= USUAL_MIN_OCCASIONS and count / total >= USUAL_MIN_SHARE
        ]
        return usual

    def last_occasion(self) -> list[Purchase]:
        """What was bought on the most recent occasion."""
        if not self._occasions:
            return []
        latest = max(
            self._occasions, key=lambda key: max(p.purchased_at for p in self._occasions[key])
        )
        return self._occasions[latest]

    def bought(self, product_id: str) -> list[Purchase]:
        """Every purchase of the product, oldest first."""
        return [p for p in self._purchases if p.product_id == product_id]
