"""Match words: normal form without stopwords, singular, and a phonetic key per word."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import jellyfish

from voiceshop.language.data import LanguageData
from voiceshop.language.normalize import Normalizer


class MatchWords:
    """Turns names and phrases into the words the matcher compares."""

    def __init__(self, normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        language: LanguageData = normalizer.language
        self._stopwords = language.stopwords
        self._plural_endings = language.plural_endings
        self._singular_endings = language.singular_endings
        self._rewrites = [(re.compile(a), b) for a, b in language.sound_rewrites]
        self._metaphone = language.sound_key == "metaphone"
        """Metaphone keys (made for English); else the spelling after the rewrites is the key."""
        self.singular = lru_cache(maxsize=200_000)(self._singular)
        self.sound_key = lru_cache(maxsize=200_000)(self._sound_key)

    def words(self, text: str) -> list[str]:
        """The content words of `text`, singular, in order."""
        return [self.singular(w) for w in self.said(text)]

    def said(self, text: str) -> list[str]:
        """The content words of `text` as written ("apples" stays plural), in order. A number
        word before a content word is one of them ("1% Milk": "one percent milk"), even where
        it is a stopword alone ("the organic one")."""
        tokens = self.normalizer.tokens(text)
        return [w for n, w in enumerate(tokens) if self._is_content(tokens, n)]

    def _is_content(self, tokens: list[str], n: int) -> bool:
        word = tokens[n]
        if word not in self._stopwords:
            return True
        following = tokens[n + 1] if n + 1 < len(tokens) else ""
        numbers = self.normalizer.numbers
        return numbers.is_number_word(word) and bool(following) and following not in self._stopwords

    def _singular(self, word: str) -> str:
        if len(word) <= 3 or word.endswith(self._singular_endings):
            return word
        for ending, replacement in self._plural_endings:
            if word.endswith(ending) and len(word) - len(ending) >= 2:
                return word[: -len(ending)] + replacement
        return word

    def _sound_key(self, word: str) -> str:
        for pattern, replacement in self._rewrites:
            word = pattern.sub(replacement, word)
        return jellyfish.metaphone(word) if self._metaphone else word


def slot_sound_key(language: LanguageData) -> Callable[[str], str]:
    """The sound key the recognizer's slot checks use for `language`: plain Metaphone for a
    language keyed by it (English), else the spelling after the language's rewrites."""
    if language.sound_key == "metaphone":
        return jellyfish.metaphone
    rewrites = [(re.compile(a), b) for a, b in language.sound_rewrites]

    def key(word: str) -> str:
        for pattern, replacement in rewrites:
            word = pattern.sub(replacement, word)
        return word

    return key
