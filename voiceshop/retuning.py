"""Keeping the recognizer tuned to the conversation as it moves between stores and people.

The recognizer listens for one store's words (its prompt, grammar and catalog checks) and learns
how the person at the microphone pauses. "Shop at the pharmacy" or "add a latte from the coffee
shop" moves the conversation to another store's words; "this is Sam" brings another person.
While a question is open ("Did you mean A or B?"), it listens for the answers
(`intents.answers`), and goes back to the store's words once the question is answered.
"""

from __future__ import annotations

from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.conversation import Reply
from voiceshop.intents.answers import OpenQuestion, answer_vocabulary
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.recognizer import Recognizer, Vocabulary


def vocabulary_for(assistant: Assistant) -> Vocabulary:
    """The vocabulary of the assistant's current store."""
    dialog = assistant.dialog
    return store_vocabulary(assistant.store, dialog.parser, dialog.matcher)


class RetuningConversation:
    """An Assistant as the voice loop's `Conversation`, keeping `recognizer` tuned to it: the
    vocabulary of the store it moved to, the answers to the question it asked, and nothing
    learned of a person who is gone.

    Without a recognizer (a server, whose recognizers are shared by many conversations), it
    only keeps track: `vocabulary()` is what a recognizer should listen for next."""

    def __init__(
        self,
        assistant: Assistant,
        recognizer: Recognizer | None,
        store_vocabularies: dict[str, Vocabulary] | None = None,
    ) -> None:
        """`store_vocabularies` (store id -> vocabulary) may be shared by conversations whose
        assistants share their stores (`dialog.shared`), so each store's is compiled once."""
        self.assistant = assistant
        self._recognizer = recognizer
        self._shared_vocabularies = store_vocabularies
        self._store_vocabulary: tuple[str, Vocabulary] | None = None
        self._question: OpenQuestion | None = None

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        """The assistant's answer; the recognizer retuned when the store, the person or the
        open question changed."""
        store, user = self.assistant.store_id, self.assistant.user
        reply = self.assistant.respond(text, confidence)
        question = self.assistant.open_question()
        if self._recognizer is not None:
            if self.assistant.user != user:
                self._recognizer.new_speaker()
            if self.assistant.store_id != store or question != self._question:
                self._recognizer.set_vocabulary(self._vocabulary(question))
        self._question = question
        return reply

    def vocabulary(self) -> Vocabulary:
        """What the next utterance should be listened for with: the answers to the open
        question, else the current store's words."""
        return self._vocabulary(self.assistant.open_question())

    def _vocabulary(self, question: OpenQuestion | None) -> Vocabulary:
        """The current store's vocabulary, or the answers to `question` within it."""
        store = self._current_store_vocabulary()
        if question is None:
            return store
        return answer_vocabulary(question, self.assistant.dialog.parser, store)

    def _current_store_vocabulary(self) -> Vocabulary:
        """The current store's vocabulary, compiled once while the conversation stays there."""
        store_id = self.assistant.store_id
        if self._store_vocabulary is None or self._store_vocabulary[0] != store_id:
            shared = self._shared_vocabularies
            if shared is None:
                vocabulary = vocabulary_for(self.assistant)
            elif store_id not in shared:
                vocabulary = shared[store_id] = vocabulary_for(self.assistant)
            else:
                vocabulary = shared[store_id]
            self._store_vocabulary = (store_id, vocabulary)
        return self._store_vocabulary[1]
