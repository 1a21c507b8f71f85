"""One normal form for everything compared: utterances, templates, product names, options.

Lowercase words without accents (Latin letters become ASCII: "Bœuf" -> "boeuf") but those the
language keeps because they change the word (`kept_accents`: French "pâté" -> "paté", apart from
"pâte" -> "pate"), separated by single spaces; elided words split off and said in full
("l'eau" -> "le eau", by the language's `elisions`); digits spoken ("2%" -> "two percent");
contractions expanded; words of other regions said as stores print them ("spuds" ->
"potatoes"); unit abbreviations after numbers and count words spelled out ("12 oz" ->
"twelve ounce", "a lb" -> "a pound").
"""

from __future__ import annotations

import re
import unicodedata

from voiceshop.language.data import LanguageData
from voiceshop.language.numbers import Numbers

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_DIGITS_PLURAL = re.compile(r"(?<=[a-z]\d)s\b|(?<=[a-z]\d\d)s\b")
"""A plural "s" after a name ending in digits ("v8s"): the name is the same one."""
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_MINUS_SIGN = re.compile(r"(?<![\w.])-(?=\d)")
_FRACTION_BAR = re.compile(r"(?<=\d)\s*[/\u2044]\s*(?=\d)")
_SHARES = re.compile(r"\b(\d{1,2})(?:\s*/\s*|[ -])(\d{1,2})\b")
"""Two whole numbers across a bar, a hyphen or a space, which may be shares of a hundred
("80/20", "80-20", "80 20": 80% lean)."""
_VULGAR_FRACTION = re.compile(r"(?<=\d)([\u00bc-\u00be\u2150-\u215e])")
"""One-character fractions after digits ("2½"), kept apart from them before they decompose."""
_NOT_WORD = re.compile(r"(?:[^\w' ]|_)+")
_NOT_WORD_OR_COMMA = re.compile(r"(?:[^\w', ]|_)+")
_ASCII_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_ASCII_NOT_WORD_OR_COMMA = re.compile(r"[^a-z0-9', ]+")
"""The same for ASCII text (lowercase by then), where they are faster."""
_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l"}
)
"""Letters that Unicode does not decompose into a base letter and an accent."""


class Normalizer:
    """Turns any text into the normal form of one language."""

    def __init__(self, language: LanguageData) -> None:
        self.language = language
        self.numbers = Numbers(language.numbers)
        self._symbols = {k: v for k, v in language.abbreviations.items() if not k.isalpha()}
        self._unit_abbreviations = {k: v for k, v in language.abbreviations.items() if k.isalpha()}
        self._count_words = frozenset(p for p in language.numbers.phrases if " " not in p)
        self._accents = _KeptAccents(language.kept_accents)
        self._regional = {tuple(k.split()): v.split() for k, v in language.regional_words.items()}
        self._regional_longest = max(map(len, self._regional), default=0)

    def _counts(self, word: str) -> bool:
        """Whether a unit abbreviation after `word` is a unit: after a number or a one-word
        count ("12 oz", "a lb")."""
        return self.numbers.is_number_word(word) or word in self._count_words

    def normalize(self, text: str, *, keep_commas: bool = False, regional: bool = True) -> str:
        """The normal form of `text`; with `keep_commas`, each comma stays as a word ","; with
        `regional` False, words of other regions stay as they were said."""
        text = _SHARES.sub(_first_share, self._accents.fold(text))
        for symbol, word in self._symbols.items():
            text = text.replace(symbol, f" {word} ")
        if self.language.numbers.decimal_mark == ",":
            text = _DECIMAL_COMMA.sub(".", text)
        else:
            text = _THOUSANDS.sub("", text)
        text = _DIGITS_PLURAL.sub("", text)
        text = _DIGIT_LETTER.sub(" ", text)
        text = self._spell_signs(text)
        text = _NUMBER.sub(lambda m: f" {self.numbers.digits_to_words(m.group())} ", text)
        text = text.replace("-", " ")
        ascii_only = text.isascii()
        if keep_commas:
            not_word = _ASCII_NOT_WORD_OR_COMMA if ascii_only else _NOT_WORD_OR_COMMA
            text = not_word.sub(" ", text).replace(",", " , ")
        else:
            text = (_ASCII_NOT_WORD if ascii_only else _NOT_WORD).sub(" ", text)
        words = self._words(text.split())
        return " ".join(self._said_here(words) if regional else words)

    def as_said(self, phrase: str, text: str) -> str:
        """`phrase` (normal form, read from `text`) with the words of another region that
        `text` holds put back as said ("zucchini" read from "two courgettes": "courgettes"),
        so a reply repeats the shopper's words."""
        said = f" {self.normalize(text, regional=False)} "
        phrase = f" {phrase} "
        for words, replacement in self._regional.items():
            here, there = f" {' '.join(replacement)} ", f" {' '.join(words)} "
            if there in said and here in phrase:
                phrase = phrase.replace(here, there)
        return phrase.strip()

    def tokens(self, text: str) -> list[str]:
        """The words of `text`'s normal form."""
        return self.normalize(text).split()

    def _spell_signs(self, text: str) -> str:
        """A minus sign before digits and a fraction bar between them as words."""
        words = self.language.numbers
        if words.minus_sign:
            text = _MINUS_SIGN.sub(f" {words.minus_sign} ", text)
        if words.fraction_bar:
            text = _FRACTION_BAR.sub(f" {words.fraction_bar} ", text)
        return text

    def _words(self, raw: list[str]) -> list[str]:
        words: list[str] = []
        for token in raw:
            token = self.language.contractions.get(token, token)
            if "'" in token and self.language.elisions:
                token = self._unelided(token)
            token = token.replace("'", "")
            if not token:
                continue
            if words and self._counts(words[-1]):
                token = self._unit_abbreviations.get(token, token)
            words.extend(token.split())
        return words

    def _said_here(self, words: list[str]) -> list[str]:
        """`words` with each regional word or phrase (longest first) as stores print it."""
        if not self._regional:
            return words
        out: list[str] = []
        start = 0
        while start < len(words):
            for size in range(min(self._regional_longest, len(words) - start), 0, -1):
                replacement = self._regional.get(tuple(words[start : start + size]))
                if replacement is not None:
                    out.extend(replacement)
                    start += size
                    break
            else:
                out.append(words[start])
                start += 1
        return out

    def _unelided(self, token: str) -> str:
        """An elided word said in full and apart from the word after it: "l'eau" -> "le eau",
        "qu'est" -> "que est"."""
        head, _, rest = token.partition("'")
        word = self.language.elisions.get(f"{head}'")
        return f"{word} {rest}" if word is not None and rest else token


def _first_share(match: re.Match[str]) -> str:
    """Shares of a hundred ("80/20", said of lean and fat) as the first one's percentage, as
    product names write it ("80%"); without a bar only the larger share first ("80 20", not
    "5 95"); other numbers as they are."""
    first, second = int(match.group(1)), int(match.group(2))
    barred = "/" in match.group()
    shares = first + second == 100 and (barred or first > second)
    return f"{first}%" if shares else match.group()


class _KeptAccents:
    """Lowercasing and dropping accents, but those a language's rewrites keep."""

    _HIDDEN = 0xE000
    """First private-use code point: the kept letters hide there while accents are dropped."""

    def __init__(self, rules: tuple[tuple[str, str], ...]) -> None:
        kept = sorted({c for _, replacement in rules for c in replacement if not c.isascii()})
        hidden = {c: chr(self._HIDDEN + n) for n, c in enumerate(kept)}
        hide = str.maketrans("".join(hidden), "".join(hidden.values()))
        self._rules = [(re.compile(a), b.translate(hide)) for a, b in rules]
        self._shown = str.maketrans("".join(hidden.values()), "".join(hidden))

    def fold(self, text: str) -> str:
        """Lowercase, without accents ("Crème" -> "creme") but the kept ones; ASCII text only
        needs lowering."""
        if text.isascii():
            return text.lower()
        text = _VULGAR_FRACTION.sub(r" \1", text.replace("\u2019", "'")).lower()
        if self._rules:
            text = unicodedata.normalize("NFC", text)
        for pattern, replacement in self._rules:
            text = pattern.sub(replacement, text)
        decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
        return folded.translate(self._shown) if self._rules else folded
