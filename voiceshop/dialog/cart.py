"""Cart arithmetic on lists of CartLine: pure functions, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from voiceshop.storage.records import CartLine


def same_item(a: CartLine, b: CartLine) -> bool:
    """Lines for the same product with the same options are one cart item."""
    return a.product_id == b.product_id and a.options == b.options


def add_line(cart: Sequence[CartLine], new: CartLine) -> list[CartLine]:
    """The cart with `new` added, merged into an equal item when there is one."""
    result = list(cart)
    for i, line in enumerate(result):
        if same_item(line, new):
            result[i] = replace(line, quantity=line.quantity + new.quantity)
            return result
    result.append(new)
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
