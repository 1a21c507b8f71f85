"""A conversation's memory as JSON, to keep in the database between a server's turns.

What the dialog remembers is made of a few kinds of frozen values (products, item requests,
cart lines, the open questions of `dialog.state`); each is written as a JSON object naming its
type, and read back only as one of the types listed here, so a stored document can never make
anything else. A document of another `FORMAT` is not read (the conversation starts afresh).
"""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any

from voiceshop.catalog.model import Product
from voiceshop.dialog.state import (
    Change,
    Choosing,
    ConfirmingCheckout,
    ConfirmingCode,
    ConfirmingCount,
    ConfirmingHeard,
    DialogState,
)
from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.storage.records import CartLine, Order, OrderStatus

FORMAT = 1
"""Raise when a remembered type changes its fields, so older documents are not misread."""
_TYPE = "~type"
_VALUES = "~values"
_RECORDS: dict[str, type[Any]] = {
    kind.__name__: kind
    for kind in (
        Change,
        CartLine,
        Choosing,
        ConfirmingCheckout,
        ConfirmingCode,
        ConfirmingCount,
        ConfirmingHeard,
        DialogState,
        Intent,
        ItemRequest,
        Order,
        Product,
    )
}
_ENUMS: dict[str, type[Enum]] = {OrderStatus.__name__: OrderStatus}


class UnreadableMemory(ValueError):
    """A stored memory this version of voiceshop does not read."""


def dumps(memory: dict[str, Any]) -> str:
    """`memory` (plain values and the types listed above) as a JSON document."""
    return json.dumps({"format": FORMAT, "memory": _encode(memory)}, ensure_ascii=False)


def loads(document: str) -> dict[str, Any]:
    """The memory `dumps` wrote; UnreadableMemory when it is not one this version reads."""
    try:
        whole = json.loads(document)
        if not isinstance(whole, dict) or whole.get("format") != FORMAT:
            raise UnreadableMemory(f"not a conversation memory of format {FORMAT}")
        memory = _decode(whole["memory"])
    except (KeyError, TypeError, ValueError) as err:
        raise UnreadableMemory(f"unreadable conversation memory: {err}") from err
    if not isinstance(memory, dict):
        raise UnreadableMemory("a conversation memory must be an object")
    return memory


def _encode(value: Any) -> Any:
    if isinstance(value, Enum):
        return {_TYPE: type(value).__name__, "value": value.value}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple):
        return {_TYPE: "tuple", _VALUES: [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {_TYPE: "dict", _VALUES: {str(k): _encode(v) for k, v in value.items()}}
    name = type(value).__name__
    if dataclasses.is_dataclass(value) and _RECORDS.get(name) is type(value):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {_TYPE: name, **fields}
    raise TypeError(f"a conversation memory cannot hold a {name}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    name = value[_TYPE]
    if name == "tuple":
        return tuple(_decode(item) for item in value[_VALUES])
    if name == "dict":
        return {k: _decode(v) for k, v in value[_VALUES].items()}
    if name in _ENUMS:
        return _ENUMS[name](value["value"])
    if name not in _RECORDS:
        raise ValueError(f"unknown type {name!r}")
    fields = {k: _decode(v) for k, v in value.items() if k != _TYPE}
    return _RECORDS[name](**fields)
