"""Replies cut into sentences, so that the first is spoken while the rest is synthesised."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[\"'(«]?(?:[0-9$€£]|[^\W\d_](?<=[^\W\d_a-zß-ÿ])))")
"""A sentence end: ".", "!" or "?", then space, then what starts a sentence."""
_ABBREVIATIONS = frozenset({"dr.", "mr.", "mrs.", "ms.", "st.", "no.", "vs.", "approx.", "ca."})
"""Words ending in "." that end no sentence ("St. Dalfour", "No. 5")."""


def sentences(text: str) -> list[str]:
    """The sentences of `text` in order, whitespace tidied; [] for blank text."""
    parts: list[str] = []
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        before = text[start : boundary.start()].split()
        if before and before[-1].lower() not in _ABBREVIATIONS:
            parts.append(" ".join(before))
            start = boundary.end()
    rest = " ".join(text[start:].split())
    return [*parts, rest] if rest else parts
