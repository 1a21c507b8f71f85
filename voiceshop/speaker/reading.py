"""How replies are read aloud: written amounts and measures said in words, as the language's
data (`reading:` in language.yaml) says ("4,99 €" -> "4 euros 99", "250 g" -> "250 grammes")."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MoneyWords:
    """The words of one currency: its unit and its hundredth, each singular and plural."""

    one: str
    many: str
    cent_one: str
    cent_many: str


@dataclass(frozen=True)
class Reading:
    """The language's rules for reading written forms aloud; empty: text is read as written."""

    money: dict[str, MoneyWords] = field(default_factory=dict, hash=False)
    """Currency symbol written after the amount -> its words."""
    measures: dict[str, tuple[str, str]] = field(default_factory=dict, hash=False)
    """Abbreviation written after a number ("kg") -> the word, singular and plural."""
    decimal_mark: str = "."
    times: str = ""
    """The word for "x" between two numbers ("4 x 125 g"); "": left as written."""
    plural_from: float = 2
    """The smallest amount said with a plural noun (2 in French: "1,5 kilo")."""

    @classmethod
    def from_data(cls, raw: dict[str, Any]) -> Reading:
        return cls(
            money={symbol: MoneyWords(*words) for symbol, words in raw.get("money", {}).items()},
            measures={short: (one, many) for short, (one, many) in raw.get("measures", {}).items()},
            decimal_mark=raw.get("decimal_mark", "."),
            times=raw.get("times", ""),
            plural_from=float(raw.get("plural_from", 2)),
        )

    def spoken(self, text: str) -> str:
        """`text` with amounts of money, measures and "x" between numbers in words."""
        mark = re.escape(self.decimal_mark)
        for symbol, words in self.money.items():
            amount = re.compile(rf"(\d+)(?:{mark}(\d{{1,2}}))?\s*{re.escape(symbol)}")
            text = amount.sub(functools.partial(self._money, words=words), text)
        if self.measures:
            shorts = "|".join(re.escape(s) for s in sorted(self.measures, key=len, reverse=True))
            measure = re.compile(rf"(\d+(?:{mark}\d+)?)\s*({shorts})\b", re.IGNORECASE)
            text = measure.sub(self._measure, text)
        if self.times:
            text = re.sub(r"(?<=\d)\s*[x\u00d7]\s*(?=\d)", f" {self.times} ", text)
        return text

    def _money(self, match: re.Match[str], words: MoneyWords) -> str:
        whole = int(match[1])
        cents = int(match[2].ljust(2, "0")) if match[2] else 0
        if not cents:
            return f"{whole} {self._noun(whole, words.one, words.many)}"
        if not whole:
            return f"{cents} {self._noun(cents, words.cent_one, words.cent_many)}"
        return f"{whole} {self._noun(whole, words.one, words.many)} {cents}"

    def _measure(self, match: re.Match[str]) -> str:
        one, many = self.measures[match[2].lower()]
        amount = float(match[1].replace(self.decimal_mark, "."))
        return f"{match[1]} {self._noun(amount, one, many)}"

    def _noun(self, amount: float, one: str, many: str) -> str:
        return many if amount >= self.plural_from else one
