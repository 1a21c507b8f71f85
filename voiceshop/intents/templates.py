"""Sentence templates: a small hassil-like syntax compiled to regular expressions.

Syntax: `(a|b)` one of, `[x]` optional, `<rule>` a named rule, `{slot}` a slot. Slots are either
wildcards (any words, captured) or typed lists given to the compiler as alternatives. Templates
and text are compared in normal form (see `voiceshop.language.normalize`), where a comma is a
word of its own; a comma may follow any template word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from voiceshop.errors import VoiceShopError

_TOKEN = re.compile(r"\(|\)|\[|\]|\||<[^>]+>|\{[^}]+\}|[^\s()\[\]|<>{}]+")
_COMMA = "(?:, )*"


class TemplateError(VoiceShopError):
    """A sentence template is malformed."""


@dataclass(frozen=True)
class CompiledTemplate:
    """One template, ready to match normalised text."""

    source: str
    pattern: re.Pattern[str]
    slots: tuple[str, ...]

    def match(self, text: str) -> dict[str, str] | None:
        """The slot values when `text` matches the whole template, else None; an optional slot
        left out is empty."""
        found = self.pattern.fullmatch(text + " ")
        if found is None:
            return None
        return {name: (found.group(name) or "").strip() for name in self.slots}


class TemplateCompiler:
    """Compiles templates given the rules and the typed slot lists of a language."""

    def __init__(
        self,
        rules: Mapping[str, str],
        slot_lists: Mapping[str, Sequence[str]],
        normalize: Callable[[str], str],
    ) -> None:
        self._rules = dict(rules)
        self._lists = {name: [normalize(v) for v in values] for name, values in slot_lists.items()}
        self._normalize = normalize
        self._rule_regex: dict[str, str] = {}
        """Rule name -> its regex, for rules without slots (each is used by many templates)."""
        self._word_regex: dict[str, str] = {}
        """Template word -> its regex (normal form, each word followed by optional commas)."""

    def compile(self, template: str) -> CompiledTemplate:
        """Compile one template; raises TemplateError naming the template when malformed."""
        slots: list[str] = []
        try:
            tokens = _TOKEN.findall(template)
            regex, end = self._sequence(tokens, 0, slots, depth=0)
        except RecursionError as err:
            raise TemplateError(f"template {template!r}: rules refer to each other") from err
        if end != len(tokens):
            raise TemplateError(f"template {template!r}: unbalanced {tokens[end]!r}")
        return CompiledTemplate(template, re.compile(_COMMA + regex), tuple(slots))

    def plainest(self, template: str) -> list[str]:
        """The shortest ways to say `template`: every choice of its alternatives, rules and
        typed slot values, its optional parts left out; none when it has a wildcard slot."""
        phrases, _ = self._plain_sequence(_TOKEN.findall(template), 0)
        return list(dict.fromkeys(" ".join(p.split()) for p in phrases if p.strip()))

    def _plain_sequence(self, tokens: list[str], i: int) -> tuple[list[str], int]:
        """The plainest phrases of the alternatives up to a closing bracket, and its index."""
        alternatives: list[str] = []
        current = [""]
        while i < len(tokens) and tokens[i] not in ")]":
            if tokens[i] == "|":
                alternatives += current
                current, i = [""], i + 1
                continue
            pieces, i = self._plain_element(tokens, i)
            current = [f"{head} {piece}" for head in current for piece in pieces]
        return alternatives + current, i

    def _plain_element(self, tokens: list[str], i: int) -> tuple[list[str], int]:
        token = tokens[i]
        if token in "([":
            inner, end = self._plain_sequence(tokens, i + 1)
            return (inner if token == "(" else [""]), end + 1
        if token.startswith("<"):
            return self._plain_sequence(_TOKEN.findall(self._rules[token[1:-1]]), 0)[0], i + 1
        if token.startswith("{"):
            return list(self._lists.get(token[1:-1], [])), i + 1
        return [self._normalize(token)], i + 1

    def _sequence(self, tokens: list[str], i: int, slots: list[str], depth: int) -> tuple[str, int]:
        """Parse alternatives until a closing bracket; returns (regex, index of the closer)."""
        alternatives: list[str] = []
        current: list[str] = []
        while i < len(tokens):
            token = tokens[i]
            if token in ")]":
                if depth == 0:
                    raise TemplateError(f"unexpected {token!r}")
                break
            if token == "|":
                alternatives.append("".join(current))
                current = []
                i += 1
                continue
            piece, i = self._element(tokens, i, slots, depth)
            current.append(piece)
        alternatives.append("".join(current))
        if len(alternatives) == 1:
            return alternatives[0], i
        return _alternation(alternatives), i

    def _element(self, tokens: list[str], i: int, slots: list[str], depth: int) -> tuple[str, int]:
        token = tokens[i]
        if token in "([":
            closer = ")" if token == "(" else "]"
            inner, end = self._sequence(tokens, i + 1, slots, depth + 1)
            if end >= len(tokens) or tokens[end] != closer:
                raise TemplateError(f"{token!r} is not closed by {closer!r}")
            return (f"(?:{inner})?" if token == "[" else inner), end + 1
        if token.startswith("<"):
            return self._rule(token[1:-1], slots, depth), i + 1
        if token.startswith("{"):
            return self._slot(token[1:-1], slots), i + 1
        return self._word(token), i + 1

    def _word(self, token: str) -> str:
        if token not in self._word_regex:
            words = self._normalize(token).split()
            self._word_regex[token] = "".join(re.escape(w) + " " + _COMMA for w in words)
        return self._word_regex[token]

    def _rule(self, name: str, slots: list[str], depth: int) -> str:
        if name in self._rule_regex:
            return self._rule_regex[name]
        if name not in self._rules:
            raise TemplateError(f"unknown rule <{name}>")
        tokens = _TOKEN.findall(self._rules[name])
        filled = len(slots)
        regex, _ = self._sequence(tokens, 0, slots, depth + 1)
        if len(slots) == filled:
            self._rule_regex[name] = regex
        return regex

    def _slot(self, name: str, slots: list[str]) -> str:
        if name in slots:
            raise TemplateError(f"slot {{{name}}} used twice")
        slots.append(name)
        if name in self._lists:
            words = sorted(self._lists[name], key=len, reverse=True)
            alternatives = "|".join(re.escape(w) + " " for w in words)
            return f"(?P<{name}>(?:{alternatives}))" + _COMMA
        return f"(?P<{name}>.+? )"


def _alternation(alternatives: list[str]) -> str:
    """A group of one of the alternatives. When each ends in optional commas, they follow the
    group once instead: the same matches, tried in the same order, in a smaller regex that
    compiles faster."""
    if all(a.endswith(_COMMA) for a in alternatives):
        cut = len(_COMMA)
        return "(?:" + "|".join(a[:-cut] for a in alternatives) + ")" + _COMMA
    return "(?:" + "|".join(alternatives) + ")"
