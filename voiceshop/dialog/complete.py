"""How far a transcript is a request, so that its utterance may end before the full silence.

The recognizer asks this in the first short pause after speech (`recognizer/interim.py`): a
closed request ("yes", "check out") is answered after 0.3 s of silence; an open one, naming
products, after 0.35 s ("add a dozen eggs"), or 0.5 s when a product added takes options that
were not said ("an espresso ... with a bit of whole milk"), and longer for a person who pauses
longer inside requests; all instead of the endpointer's full 0.7 s. An unfinished one ("add two
...", "a large latte with ...") waits for the full silence, so the person can go on.

Whisper's punctuation is no guide to where a sentence ends here: prompted with the store's
comma-separated vocabulary, it often ends a finished request with a comma ("remove the eggs,").
What counts is whether the words can end a request.
"""

from __future__ import annotations

from voiceshop.dialog.assistant import Assistant
from voiceshop.intents.model import ItemRequest
from voiceshop.matching import MatchOutcome
from voiceshop.rescoring.protocol import Request

TRAILING_OFF = ("...", "…", "-", "—")
"""How Whisper ends a transcript whose speech broke off."""
ADDING = "AddItems"
"""The intent whose products may be followed by their options."""


class CompleteRequest:
    """A `RequestCheck` for the assistant's current store.

    Unfinished: the transcript breaks off or ends on a word that leads on, does not parse, asks
    for a product the catalog lacks, ends on a count ("add a dozen eggs and two"), or adds a
    count of nothing named yet ("add two", which may mean the product just asked about but
    usually goes on). Closed: a
    request without products ("yes", "check out", "the second one"). Options may follow: a
    product added takes options that were not said ("a large latte"). Open: the rest, requests
    for products, which may go on with more products.
    """

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant

    def __call__(self, text: str) -> Request:
        parser = self._assistant.dialog.parser
        words = parser.normalizer.normalize(text).split()
        if not words or text.rstrip().endswith(TRAILING_OFF) or self._leads_on(words):
            return Request.UNFINISHED
        intent = parser.parse(text)
        if intent is None or (intent.name == ADDING and not intent.items):
            return Request.UNFINISHED
        if not intent.items:
            return Request.CLOSED
        if parser.normalizer.numbers.is_number_word(words[-1]):
            return Request.UNFINISHED
        options_left = [self._options_left(item) for item in intent.items]
        if None in options_left:
            return Request.UNFINISHED
        if intent.name == ADDING and any(options_left):
            return Request.OPTIONS_MAY_FOLLOW
        return Request.OPEN

    def _options_left(self, item: ItemRequest) -> int | None:
        """How many of the item's product's option groups were not said; None when the catalog
        has no such product."""
        result = self._assistant.dialog.matcher.match(item.phrase)
        if result.outcome is MatchOutcome.NOT_FOUND or result.best is None:
            return None
        return len(set(result.best.product.options) - set(item.options))

    def _leads_on(self, words: list[str]) -> bool:
        """Whether the last words join or lead to more ("and", "as well as", "with a")."""
        language = self._assistant.dialog.parser.language
        separators = language.item_separators
        return words[-1] in language.open_endings or any(
            words[-len(separator.split()) :] == separator.split() for separator in separators
        )
