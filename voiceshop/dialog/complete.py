"""Whether a transcript already is a complete request, so that its utterance may end early.

The recognizer asks this in the first short pause after speech (`recognizer/interim.py`): a
complete request is answered after a third of a second of silence instead of the endpointer's
full trailing silence. Incomplete ones ("add two ...", "can I get a large latte with ...") wait
for the full silence, so the person can go on.
"""

from __future__ import annotations

from voiceshop.dialog.assistant import Assistant
from voiceshop.matching import MatchOutcome

SENTENCE_ENDS = (".", "?", "!")
"""Whisper ends a transcript with one of these when it heard the sentence end; it writes ",",
"..." or nothing when the speech seems to go on."""


class CompleteRequest:
    """A `RequestCheck` for the assistant's current store: the transcript ends a sentence,
    parses as an intent, and every product it asks for is found in the catalog."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant

    def __call__(self, text: str) -> bool:
        if not text.rstrip().endswith(SENTENCE_ENDS):
            return False
        dialog = self._assistant.dialog
        intent = dialog.parser.parse(text)
        if intent is None:
            return False
        return all(
            dialog.matcher.match(item.phrase).outcome is not MatchOutcome.NOT_FOUND
            for item in intent.items
        )
