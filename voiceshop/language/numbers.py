"""Spoken numbers: reading counts from words and writing digits as words."""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.errors import VoiceShopError
from voiceshop.language.data import NumberWords

_NOT_A_NUMBER_WORD = (0, "", 0)


class Numbers:
    """Reads and writes numbers in one language's words."""

    def __init__(self, words: NumberWords) -> None:
        self._words = words
        self._longest_word = max(
            (len(k.split()) for table in (words.units, words.tens, words.scales) for k in table),
            default=1,
        )
        self._kinds: dict[str, tuple[str, int]] = {}
        for kind, table in (("scale", words.scales), ("tens", words.tens), ("unit", words.units)):
            self._kinds.update((said, (kind, value)) for said, value in table.items())
        self._single = {said: (1, kind, value) for said, (kind, value) in self._kinds.items()}
        """(words used, kind, value) of each number word said in one token."""
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

        "two hundred and five" -> (205, 4), "six hundred thousand" -> (600000, 3); with French
        data "soixante et onze" -> (71, 3), "quatre vingt dix neuf" -> (99, 4), "mille" ->
        (1000, 1). Stops at the first word that cannot continue it.
        """
        w = self._words
        total = current = 0
        used = 0
        last = ""
        last_tens = ""
        i = start
        single = self._single
        several = self._longest_word > 1
        while i < len(tokens):
            token = tokens[i]
            length, kind, value = (
                self._word_at(tokens, i) if several else single.get(token, _NOT_A_NUMBER_WORD)
            )
            teens_may_follow = (
                bool(last_tens)
                and last in ("tens", "tens_joiner")
                and (last_tens in w.tens_with_teens)
            )
            if (
                kind == "unit"
                and last in ("", "scale", "joiner", "tens", "tens_joiner")
                and not (last in ("tens", "tens_joiner") and value >= 10 and not teens_may_follow)
            ):
                if last in ("tens", "tens_joiner") and current % 10 and not teens_may_follow:
                    break
                current += value
                last = "unit"
            elif kind == "tens" and (
                last in ("", "scale", "joiner") or (teens_may_follow and value == 10)
            ):
                current += value
                last = "tens"
                last_tens = " ".join(tokens[i : i + length])
            elif kind == "scale" and (
                last in ("unit", "tens") or (last == "scale" and current and value > 100)
            ):
                total, current = _apply_scale(total, current, value)
                last = "scale"
            elif (
                kind == "scale" and token in w.bare_scales and last in ("", "scale") and not current
            ):
                total, current = _apply_scale(total, 1, value)
                last = "scale"
            elif token in w.joiners and last == "scale" and self._continues(tokens, i + 1):
                last = "joiner"
            elif (
                token in w.tens_joiners
                and last == "tens"
                and self._word_at(tokens, i + 1)[0:2] == (1, "unit")
            ):
                last = "tens_joiner"
            else:
                break
            i += length or 1
            used = i - start
        if not used or last in ("joiner", "tens_joiner"):
            return None
        return total + current, used

    def _word_at(self, tokens: Sequence[str], i: int) -> tuple[int, str, int]:
        """(words used, kind, value) of the number word at tokens[i]: kind "unit", "tens" or
        "scale", or (0, "", 0). Words of several tokens ("quatre vingt") are tried first."""
        for length in range(self._longest_word, 1, -1):
            if i + length <= len(tokens):
                found = self._kinds.get(" ".join(tokens[i : i + length]))
                if found is not None:
                    return length, *found
        if i < len(tokens):
            return self._single.get(tokens[i], _NOT_A_NUMBER_WORD)
        return _NOT_A_NUMBER_WORD

    def parse_count(self, tokens: Sequence[str], start: int = 0) -> tuple[int, int] | None:
        """A count at tokens[start:]: a number or a count phrase, times a multiplier.

        "a dozen" -> (12, 2), "two dozen" -> (24, 2), "a couple of" -> (2, 3), "minus five" ->
        (-5, 2); "one point five", "one over two" and "two one over two" hold parts of a number,
        so no count: None. "3" is never seen here: digits are words by now.
        """
        sign = -1 if start < len(tokens) and tokens[start] in self._words.negative else 1
        begin = start + (sign < 0)
        found = self._count_phrase(tokens, begin) or self.parse_number(tokens, begin)
        if found is None or self.is_part(tokens, start) or self.is_part(tokens, begin + found[1]):
            return None
        value, used = found
        nxt = begin + used
        if self._words.halves and self._half_at(tokens, nxt):
            return None
        if nxt < len(tokens) and tokens[nxt] in self._words.multipliers and used:
            value *= self._words.multipliers[tokens[nxt]]
            used += 1
        return sign * value, used + (sign < 0)

    def _half_at(self, tokens: Sequence[str], index: int) -> bool:
        """Whether a half follows a number at tokens[index]: "(un) demi" at the end, or "(deux)
        et demi"."""
        w = self._words
        if not w.halves or index >= len(tokens):
            return False
        if tokens[index] in w.halves:
            return index + 1 == len(tokens)
        joins = tokens[index] in w.joiners or tokens[index] in w.tens_joiners
        return joins and index + 1 < len(tokens) and tokens[index + 1] in w.halves

    def is_part(self, tokens: Sequence[str], start: int = 0) -> bool:
        """Whether tokens[start:] begin with a part of a number: "one point five", "one over
        two", "two one over two", or what is left of one: "point five" (a minus word may come
        first)."""
        index = start + (start < len(tokens) and tokens[start] in self._words.negative)
        for _ in range(2):  # the whole number, then a fraction's numerator
            if self._part_word_at(tokens, index):
                return True
            found = self.parse_number(tokens, index)
            if found is None:
                return False
            index += found[1]
        return self._part_word_at(tokens, index)

    def _part_word_at(self, tokens: Sequence[str], index: int) -> bool:
        return (
            index < len(tokens)
            and tokens[index] in self._words.parts
            and self.parse_number(tokens, index + 1) is not None
        )

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

    def misheard_count(self, token: str, before_unit: bool = False) -> int | None:
        """The count a recognizer may have misheard as `token` ("free" for 3), or None; a
        common word among them (`misheard_before_unit`) only `before_unit`."""
        if token in self._words.misheard_before_unit and not before_unit:
            return None
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
                bare = head == 1 and scale_name in self._words.bare_scales
                words = scale_name if bare else f"{self.to_words(head)} {scale_name}"
                return f"{words} {self.to_words(rest)}" if rest else words
        raise ValueError(f"cannot say {number}")

    def digits_to_words(self, digits: str) -> str:
        """A digit string (optionally with one decimal point) in words."""
        whole, _, fraction = digits.partition(".")
        words = self.to_words(int(whole)) if whole else self.to_words(0)
        if fraction:
            point = " ".join(self._names_under_100[int(d)] for d in fraction)
            words = f"{words} {self._words.decimal_point} {point}"
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
    """How 0..99 are written: a unit's own word, else the largest tens that the rest may follow
    (below 10, or below 20 after `tens_with_teens`), a tens joiner before `joined_units`."""
    by_value: dict[int, str] = {}
    for name, value in words.units.items():
        if name != "oh":
            by_value.setdefault(value, name)
    tens: dict[int, str] = {}
    for name, value in words.tens.items():
        tens.setdefault(value, name)
    joiner = min(words.tens_joiners, default="")
    names: list[str] = []
    for n in range(100):
        if n in by_value:
            names.append(by_value[n])
            continue
        if n in tens:
            names.append(tens[n])
            continue
        for value in sorted((v for v in tens if v < n), reverse=True):
            rest = n - value
            if rest < 10 or (rest < 20 and tens[value] in words.tens_with_teens):
                said = names[rest]
                if joiner and said in words.joined_units and tens[value] not in words.unjoined_tens:
                    said = f"{joiner} {said}"
                names.append(f"{tens[value]} {said}")
                break
        else:
            raise VoiceShopError(
                f"the language's number words cannot say {n}: language.yaml needs units "
                "for 0..9 and tens for 10..90"
            )
    return names
