"""Keeping the recognizer tuned to the conversation as it moves between stores and people.

The recognizer listens for one store's words (its prompt, grammar and catalog checks) and learns
how the person at the microphone pauses. "Shop at the pharmacy" or "add a latte from the coffee
shop" moves the conversation to another store's words; "this is Sam" brings another person.
"""

from __future__ import annotations

from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.reply import Reply
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.recognizer.base import Recognizer, Vocabulary


def vocabulary_for(assistant: Assistant) -> Vocabulary:
    """The vocabulary of the assistant's current store."""
    dialog = assistant.dialog
    return store_vocabulary(assistant.store, dialog.parser, dialog.matcher)


class RetuningConversation:
    """An Assistant as the voice loop's `Conversation`, keeping `recognizer` tuned to it: the
    vocabulary of the store it moved to, and nothing learned of a person who is gone."""

    def __init__(self, assistant: Assistant, recognizer: Recognizer) -> None:
        self.assistant = assistant
        self._recognizer = recognizer

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        """The assistant's answer; the recognizer retuned when the store or person changed."""
        store, user = self.assistant.store_id, self.assistant.user
        reply = self.assistant.respond(text, confidence)
        if self.assistant.user != user:
            self._recognizer.new_speaker()
        if self.assistant.store_id != store:
            self._recognizer.set_vocabulary(vocabulary_for(self.assistant))
        return reply
