"""Whether a transcript already is a complete request, so that its utterance may end early.

The recognizer asks this in the first short pause after speech (`recognizer/interim.py`): a
complete request is answered after 0.3 s of silence instead of the endpointer's full trailing
silence, while an incomplete one ("add two ...", "a large latte with ...") waits for the full
silence, so the person can go on.

Whisper's punctuation is no guide to where a sentence ends here: prompted with the store's
comma-separated vocabulary, it often ends a finished request with a comma ("remove the eggs,").
What counts is whether the words can end a request.
"""

from __future__ import annotations

from voiceshop.dialog.assistant import Assistant
from voiceshop.matching import MatchOutcome

TRAILING_OFF = ("...", "…", "-", "—")
"""How Whisper ends a transcript whose speech broke off."""
OPEN_ENDINGS = frozenset({"with", "of", "a", "an", "the", "some", "or", "to", "for", "and"})
"""Words after which an English request goes on (item separators come from the language data;
only Whisper tiny.en, an English model, ends utterances early)."""


class CompleteRequest:
    """A `RequestCheck` for the assistant's current store: the transcript does not break off or
    end on a word that leads on, it parses as an intent, and every product it asks for is in
    the catalog (after the count: "add a dozen eggs and two" waits for what comes in two)."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant

    def __call__(self, text: str) -> bool:
        parser = self._assistant.dialog.parser
        words = parser.normalizer.normalize(text).split()
        if not words or text.rstrip().endswith(TRAILING_OFF) or self._leads_on(words):
            return False
        intent = parser.parse(text)
        if intent is None:
            return False
        if intent.items and parser.normalizer.numbers.is_number_word(words[-1]):
            return False
        matcher = self._assistant.dialog.matcher
        return all(
            matcher.match(item.phrase).outcome is not MatchOutcome.NOT_FOUND
            for item in intent.items
        )

    def _leads_on(self, words: list[str]) -> bool:
        """Whether the last words join or lead to more ("and", "as well as", "with a")."""
        separators = self._assistant.dialog.parser.language.item_separators
        return words[-1] in OPEN_ENDINGS or any(
            words[-len(separator.split()) :] == separator.split() for separator in separators
        )
