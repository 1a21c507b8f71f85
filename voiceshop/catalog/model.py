"""Value types of a store's catalog: products, their option groups, the store itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class OptionKind(StrEnum):
    """How an option group's values are chosen."""

    CHOICE = "choice"
    """Exactly one value at most (a coffee's size, a pizza's crust)."""
    ADDON = "addon"
    """A value that may be preceded by a spoken amount ("a bit of soy milk")."""


@dataclass(frozen=True)
class OptionValue:
    """One value of an option group, with the other ways people say it."""

    value: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class OptionGroup:
    """A group of options a product can take, such as `size` or `milk`."""

    id: str
    kind: OptionKind
    values: tuple[OptionValue, ...]
    amounts: tuple[str, ...] = ()
    """Spoken amounts that may precede an add-on value ("a little bit of", "lots of")."""

    def value(self, name: str) -> OptionValue | None:
        """The value called `name`, or None."""
        return next((v for v in self.values if v.value == name), None)


@dataclass(frozen=True)
class Product:
    """A product a store sells. `price` is None when the source does not give one."""

    id: str
    name: str
    brand: str = ""
    department: str = ""
    aisle: str = ""
    price: float | None = None
    size: str = ""
    unit: str = ""
    """What one of it is called when counted ("carton", "loaf"); empty for plain items."""
    aliases: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    """Ids of the store's option groups this product takes."""

    @property
    def display_name(self) -> str:
        """The name as said back to the user, with the brand when the name lacks it."""
        brand, name = self.brand.split(), self.name.split()
        if not brand or [w.lower() for w in name[: len(brand)]] == [w.lower() for w in brand]:
            return self.name
        if name and brand[-1].lower() == name[0].lower():
            brand = brand[:-1]
        return " ".join([*brand, *name])


@dataclass(frozen=True)
class Store:
    """A store and its catalog."""

    id: str
    name: str
    products: tuple[Product, ...]
    option_groups: dict[str, OptionGroup] = field(default_factory=dict)
    currency: str = "USD"
    language: str = ""
    """The language its catalog is written and its shoppers speak in ("fr"); "" when the
    store file does not say (English)."""
    source: str = ""
    """Where the catalog came from (a file path or `db:<id>`), for messages."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: p for p in self.products})

    def product(self, product_id: str) -> Product | None:
        """The product with this id, or None."""
        by_id: dict[str, Product] = self._by_id  # type: ignore[attr-defined]
        return by_id.get(product_id)

    def groups_of(self, product: Product) -> list[OptionGroup]:
        """The option groups the product takes, in declaration order."""
        return [self.option_groups[g] for g in product.options if g in self.option_groups]
