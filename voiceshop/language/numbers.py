"""Spoken numbers: reading counts from words and writing digits as words."""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.language.data import NumberWords


class Numbers:
    """Reads and writes numbers in one language's words."""

    def __init__(self, words: NumberWords) -> None:
        self._words = words
        self._names_under_100 = _names_under_100(words)
        self._phrases = sorted(
            ((tuple(p.split()), v) for p, v in words.phrases.items()),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def is_number_word(self, token: str) -> bool:
        """True for a word that can be part of a spoken number."""
        w = self._words
        return token in w.units or token in w.tens or token in w.scales

    def parse_number(self, tokens: Sequence[str], start: int = 0) -> tuple[int, int] | None:
        """The number spoken at tokens[start:] as (value, tokens used), or None.

        "two hundred and five" -> (205, 4), "six hundred thousand" -> (600000, 3); stops at the
        first word that cannot continue it.
        """
        w = self._words
        total = current = 0
        used = 0
        last = ""
        i = start
        while i < len(tokens):
            token = tokens[i]
            if (
                token in w.units
                and last in ("", "scale", "joiner", "tens")
                and not (last == "tens" and w.units[token] >= 10)
            ):
                if last == "tens" and current % 10:
                    break
                current += w.units[token]
                last = "unit"
            elif token in w.tens and last in ("", "scale", "joiner"):
                current += w.tens[token]
                last = "tens"
            elif token in w.scales and (
                last in ("unit", "tens") or (last == "scale" and current and w.scales[token] > 100)
            ):
                total, current = _apply_scale(total, current, w.scales[token])
                last = "scale"
            elif token in w.joiners and last == "scale" and self._continues(tokens, i + 1):
                last = "joiner"
            else:
                break
            i += 1
            used = i - start
        if not used or last == "joiner":
            return None
        return total + current, used

    def parse_count(self, tokens: Sequence[str], start: int = 0) -> tuple[int, int] | None:
        """A count at tokens[start:]: a number or a count phrase, times a multiplier.

        "a dozen" -> (12, 2), "two dozen" -> (24, 2), "a couple of" -> (2, 3), "3" is never
        seen here: digits are words by now.
        """
        found = self._count_phrase(tokens, start) or self.parse_number(tokens, start)
        if found is None:
            return None
        value, used = found
        nxt = start + used
        if nxt < len(tokens) and tokens[nxt] in self._words.multipliers and used:
            value *= self._words.multipliers[tokens[nxt]]
            used += 1
        return value, used

    def scaled_reading(self, tokens: Sequence[str], most: int) -> int | None:
        """For a number above `most` said as a count and one scale word after it ("six
        million", "2 thousand", "a thousand"), the count before the scale (6, 2, 1) when it is
        1..`most`: what a recognizer likely heard a scale word into. None for any other number
        ("one hundred fifty")."""
        found = self.parse_count(tokens)
        if found is None or found[0] <= most:
            return None
        used = found[1]
        if used < 2 or tokens[used - 1] not in self._words.scales:
            return None
        head = self.parse_count(tokens[: used - 1])
        if head is None or head[1] != used - 1 or not 1 <= head[0] <= most:
            return None
        return head[0]

    def misheard_count(self, token: str) -> int | None:
        """The count a recognizer may have misheard as `token` ("free" for 3), or None."""
        return self._words.misheard.get(token)

    def parse_ordinal(self, token: str) -> int | None:
        """1 for "first", -1 for "last", None for a word that is no ordinal."""
        return self._words.ordinals.get(token)

    def to_words(self, number: int) -> str:
        """A non-negative integer in words: 1205 -> "one thousand two hundred five"."""
        if number < 100:
            return self._names_under_100[number]
        for scale_name, scale in sorted(self._words.scales.items(), key=lambda s: -s[1]):
            if number >= scale:
                head, rest = divmod(number, scale)
                words = f"{self.to_words(head)} {scale_name}"
                return f"{words} {self.to_words(rest)}" if rest else words
        raise ValueError(f"cannot say {number}")

    def digits_to_words(self, digits: str) -> str:
        """A digit string (optionally with one decimal point) in words."""
        whole, _, fraction = digits.partition(".")
        words = self.to_words(int(whole)) if whole else self.to_words(0)
        if fraction:
            point = " ".join(self._names_under_100[int(d)] for d in fraction)
            words = f"{words} point {point}"
        return words

    def _count_phrase(self, tokens: Sequence[str], start: int) -> tuple[int, int] | None:
        for phrase, value in self._phrases:
            if tuple(tokens[start : start + len(phrase)]) == phrase:
                longer = self.parse_number(tokens, start)
                if longer and longer[1] > len(phrase):
                    return longer
                return value, len(phrase)
        return None

    def _continues(self, tokens: Sequence[str], index: int) -> bool:
        w = self._words
        return index < len(tokens) and (tokens[index] in w.units or tokens[index] in w.tens)


def _apply_scale(total: int, current: int, scale: int) -> tuple[int, int]:
    if scale == 100:
        return total, current * scale
    return total + current * scale, 0


def _names_under_100(words: NumberWords) -> list[str]:
    by_value = {v: k for k, v in words.units.items() if k != "oh"}
    tens = {v: k for k, v in words.tens.items()}
    names = []
    for n in range(100):
        if n in by_value:
            names.append(by_value[n])
        else:
            ten, unit = divmod(n, 10)
            names.append(f"{tens[ten * 10]} {by_value[unit]}" if unit else tens[ten * 10])
    return names
