"""Finding a store's option values ("large", "a bit of soy milk") inside spoken words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voiceshop.catalog.model import OptionGroup, OptionKind


@dataclass(frozen=True)
class OptionSpan:
    """Words [start, end) that name one option value."""

    start: int
    end: int
    group: str
    value: str
    """The store's value, prefixed by the spoken amount for add-ons ("a bit of soy milk")."""


class OptionSpotter:
    """Spots the option values of a store's option groups in a list of words."""

    def __init__(self, groups: Sequence[OptionGroup], normalize: Callable[[str], str]) -> None:
        self._phrases: list[tuple[tuple[str, ...], str, str]] = []
        self._amounts: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for group in groups:
            for option in group.values:
                for said in (option.value, *option.aliases):
                    words = tuple(normalize(said).split())
                    self._phrases.append((words, group.id, option.value))
            if group.kind is OptionKind.ADDON:
                self._amounts[group.id] = [
                    (said, amount)
                    for amount in group.amounts
                    for said in _amount_forms(tuple(normalize(amount).split()))
                ]
        self._phrases.sort(key=lambda p: len(p[0]), reverse=True)
        every_amount = {a for amounts in self._amounts.values() for a in amounts}
        self._amount_list = sorted(every_amount, key=lambda a: len(a[0]), reverse=True)

    def __bool__(self) -> bool:
        return bool(self._phrases)

    def spot(self, words: Sequence[str]) -> list[OptionSpan]:
        """Non-overlapping option spans, left to right, longest phrase first at each place."""
        spans: list[OptionSpan] = []
        i = 0
        while i < len(words):
            span = self._span_at(words, i)
            if span is None:
                i += 1
                continue
            spans.append(span)
            i = span.end
        return spans

    def _span_at(self, words: Sequence[str], i: int) -> OptionSpan | None:
        for amount_words, amount in self._amount_list:
            j = _phrase_end(words, i, amount_words)
            if j is None:
                continue
            found = self._value_at(words, _after_commas(words, j), addon_only=True)
            if found and (amount_words, amount) in self._amounts[found[1]]:
                end, group, value = found
                return OptionSpan(i, end, group, f"{amount} {value}")
        found = self._value_at(words, i, addon_only=False)
        if found is None:
            return None
        end, group, value = found
        return OptionSpan(i, end, group, value)

    def _value_at(
        self, words: Sequence[str], i: int, *, addon_only: bool
    ) -> tuple[int, str, str] | None:
        for phrase, group, value in self._phrases:
            if addon_only and group not in self._amounts:
                continue
            end = _phrase_end(words, i, phrase)
            if end is not None:
                return end, group, value
        return None


def _amount_forms(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """An amount as said in full, and with its last word swallowed when two or more remain
    ("a lot" for "a lot of")."""
    return [words, words[:-1]] if len(words) > 2 else [words]


def _phrase_end(words: Sequence[str], i: int, phrase: tuple[str, ...]) -> int | None:
    """Where `phrase` ends when it is said from words[i], commas inside it allowed ("dark, roast"
    as Whisper punctuates it); None when it is not said there."""
    at = i
    for n, wanted in enumerate(phrase):
        if n:
            at = _after_commas(words, at)
        if at >= len(words) or words[at] != wanted:
            return None
        at += 1
    return at


def _after_commas(words: Sequence[str], i: int) -> int:
    while i < len(words) and words[i] == ",":
        i += 1
    return i
