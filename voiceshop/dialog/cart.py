"""Cart arithmetic on lists of CartLine: pure functions, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from voiceshop.storage.records import CartLine


def same_item(a: CartLine, b: CartLine) -> bool:
    """Lines for the same product with the same options are one cart item."""
    return a.product_id == b.product_id and a.options == b.options


def quantity_of(cart: Sequence[CartLine], item: CartLine) -> int:
    """How many of `item` the cart holds (0 when none)."""
    return sum(line.quantity for line in cart if same_item(line, item))


def add_line(cart: Sequence[CartLine], new: CartLine, limit: int | None = None) -> list[CartLine]:
    """The cart with `new` added, merged into an equal item when there is one; with `limit`, an
    item never grows past it (what would pass it is not added)."""
    result = list(cart)
    for i, line in enumerate(result):
        if same_item(line, new):
            result[i] = replace(line, quantity=_capped(line.quantity + new.quantity, limit))
            return result
    result.append(replace(new, quantity=_capped(new.quantity, limit)))
    return result


def set_quantity(cart: Sequence[CartLine], target: CartLine, quantity: int) -> list[CartLine]:
    """The cart with `target`'s quantity set; 0 removes it."""
    result: list[CartLine] = []
    for line in cart:
        if not same_item(line, target):
            result.append(line)
        elif quantity > 0:
            result.append(replace(line, quantity=quantity))
    return result


def undo_change(
    cart: Sequence[CartLine],
    before: Sequence[CartLine],
    after: Sequence[CartLine],
    limit: int | None = None,
) -> list[CartLine]:
    """`cart` with the change from `before` to `after` taken back item by item, keeping every
    change made since (by this conversation or anyone else): each item's quantity moves back by
    what the change moved it, never below 0."""
    result = list(cart)
    for item in _items(list(before) + list(after)):
        moved = quantity_of(after, item) - quantity_of(before, item)
        if moved == 0:
            continue
        wanted = _capped(max(quantity_of(result, item) - moved, 0), limit)
        if quantity_of(result, item):
            result = set_quantity(result, item, wanted)
        elif wanted:
            result.append(replace(item, quantity=wanted))
    return result


def what_was_added(
    before: Sequence[CartLine], after: Sequence[CartLine], wanted: Sequence[CartLine]
) -> tuple[list[CartLine], list[CartLine]]:
    """Of the lines `wanted` added to `before`, giving `after`: the lines as far as they were
    added, and the wanted lines that were not added in full (an item at its limit)."""
    gained = {id(item): quantity_of(after, item) - quantity_of(before, item) for item in wanted}
    added: list[CartLine] = []
    short: list[CartLine] = []
    for line in wanted:
        item = next(other for other in wanted if same_item(other, line))
        taken = min(line.quantity, gained[id(item)])
        gained[id(item)] -= taken
        if taken > 0:
            added.append(replace(line, quantity=taken))
        if taken < line.quantity:
            short.append(line)
    return added, short


def _items(lines: Sequence[CartLine]) -> list[CartLine]:
    """One line per distinct item, the first seen."""
    items: list[CartLine] = []
    for line in lines:
        if not any(same_item(line, seen) for seen in items):
            items.append(line)
    return items


def _capped(quantity: int, limit: int | None) -> int:
    return quantity if limit is None else min(quantity, limit)
