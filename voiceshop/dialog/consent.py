"""Reading the answer to the order read-back: only a whole, clear yes places the order.

Recognizers write one spoken answer as several sentences ("Yes. No, wait."), so the answer is
read as one utterance: each of its clauses, and all of it together. A yes anywhere together with
a retraction word anywhere (the `retraction_word` rule of the sentence data) or a no is not
consent.
"""

from __future__ import annotations

import re
from enum import Enum

from voiceshop.intents.parser import IntentParser
from voiceshop.intents.templates import TemplateCompiler

_CLAUSE_END = re.compile(r"[.?!,;:…]+")
_REFUSALS = frozenset({"No", "Cancel"})


class Consent(Enum):
    """What an answer to "Shall I place the order?" says."""

    GIVEN = "given"
    """A clear yes and nothing else: place the order."""
    WAVERING = "wavering"
    """A yes taken back, put off or mixed with something else: ask again."""
    NOT_YES = "not yes"
    """No yes at all (a no, another request, or nothing understood)."""


class ConsentReader:
    """Judges whole answers to the order read-back in one language."""

    def __init__(self, parser: IntentParser) -> None:
        self._parser = parser
        compiler = TemplateCompiler(parser.sentences.rules, {}, parser.normalizer.normalize)
        self._retraction = compiler.compile("[{before}] <retraction_word> [{after}]")

    def read(self, text: str) -> Consent:
        """Whether `text`, all of it, consents to placing the order."""
        clauses = [c for c in _CLAUSE_END.split(text) if self._parser.clean(c)]
        if not clauses:
            return Consent.NOT_YES
        names = {self._intent_name(clause) for clause in clauses}
        whole = " ".join(clauses)
        whole_is_yes = self._intent_name(whole) == "Yes"
        if "Yes" not in names and not whole_is_yes:
            return Consent.NOT_YES
        if names & _REFUSALS or self._takes_back(" ".join(_CLAUSE_END.split(text))):
            return Consent.WAVERING
        if names == {"Yes"} or whole_is_yes:
            return Consent.GIVEN
        return Consent.WAVERING

    def _intent_name(self, text: str) -> str | None:
        intent = self._parser.parse(text)
        return intent.name if intent is not None else None

    def _takes_back(self, text: str) -> bool:
        normal = self._parser.normalizer.normalize(text)
        return self._retraction.match(normal) is not None
