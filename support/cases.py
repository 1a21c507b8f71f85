"""Test cases written as YAML: every runner checks each mapping's keys, so a misspelt key
("repyl:") fails loudly instead of silently checking nothing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


class CaseError(ValueError):
    """A YAML case has a key its runner does not know, or lacks one it needs."""


def check_keys(
    raw: object, keys: Mapping[str, bool], where: str, error: type[CaseError] = CaseError
) -> None:
    """Raise `error` when `raw` is not a mapping, has a key not in `keys`, or lacks a key
    `keys` marks as required (True)."""
    if not isinstance(raw, dict):
        raise error(f"{where}: expected a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        raise error(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(sorted(keys))}")
    missing = [key for key, required in keys.items() if required and key not in raw]
    if missing:
        raise error(f"{where}: missing key {missing[0]!r}")


SENTENCE_FILE_KEYS = {"tests": True}
SENTENCE_CASE_KEYS = {
    "say": True,
    "intent": True,
    "store": False,
    "items": False,
    "product": False,
    "quantity": False,
    "ordinal": False,
    "implicit": False,
}
"""A sentence case of tests/intents/<language>.yaml: what is said and what the parser makes of
it."""
HISTORY_KEYS = {"user": True, "store": True, "rows": True}
"""A past-purchases entry of a conversation script: rows of [date, product, quantity, channel]."""


def sentence_cases(path: Path) -> list[dict[str, Any]]:
    """The checked cases of a sentence test file (tests/intents/<language>.yaml)."""
    data = yaml.safe_load(path.read_text())
    check_keys(data, SENTENCE_FILE_KEYS, path.name)
    for number, case in enumerate(data["tests"], 1):
        check_keys(case, SENTENCE_CASE_KEYS, f"{path.name} case {number}")
    return list(data["tests"])
