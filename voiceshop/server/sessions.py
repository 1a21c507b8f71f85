"""The conversations a server holds: one Assistant per (user, conversation id).

All of it lives in the server's dialog thread, which alone uses the database connection
(`ShopDatabase` is single-threaded): a `Desk` is that thread's resource, and every turn is one
job on it. The key includes the signed-in user, so one shopper's conversation id can never reach
another shopper's conversation, and each Assistant is fixed to its user ("this is Sam" does not
switch carts). Stores, matchers, parsers and vocabularies are built once and shared by all
conversations (they are read-only once built, and all used from this one thread).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.conversation import Reply
from voiceshop.dialog.shared import SharedStores
from voiceshop.recognizer import Vocabulary
from voiceshop.retuning import RetuningConversation
from voiceshop.storage.database import ShopDatabase

INTERFACE = "wyoming"
"""Recorded with the orders placed through the server."""

SessionKey = tuple[str, str]
"""(user, conversation id)."""


@dataclass(frozen=True)
class Turn:
    """A reply and the conversation it belongs to."""

    reply: Reply
    user: str
    conversation_id: str


class Desk:
    """The dialog thread's database connection and conversations."""

    def __init__(self, db: ShopDatabase, store: str, max_sessions: int) -> None:
        self.db = db
        self._store = store
        self._max_sessions = max_sessions
        self._sessions: OrderedDict[SessionKey, RetuningConversation] = OrderedDict()
        self._shared = SharedStores(db)
        """Stores, matchers and parsers built once for all conversations."""
        self._vocabularies: dict[str, Vocabulary] = {}
        """Each store's recognizer vocabulary, compiled once for all conversations."""

    def respond(
        self, user: str, conversation_id: str, text: str, interface: str = INTERFACE
    ) -> Turn:
        """The conversation's answer to `text` (the conversation starts if it is new, its orders
        recorded as placed through `interface`)."""
        conversation = self._session((user, conversation_id), create=True, interface=interface)
        assert conversation is not None
        return Turn(conversation.respond(text), user, conversation_id)

    def vocabulary(self, user: str, conversation_id: str) -> Vocabulary | None:
        """What the conversation listens for next; None for a conversation not held."""
        conversation = self._session((user, conversation_id), create=False)
        return conversation.vocabulary() if conversation is not None else None

    def conversation(self, user: str, conversation_id: str) -> RetuningConversation | None:
        """The conversation held under (user, conversation id), if any (to read its state)."""
        return self._session((user, conversation_id), create=False)

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    def close(self) -> None:
        self._sessions.clear()
        self.db.close()

    def _session(
        self, key: SessionKey, *, create: bool, interface: str = INTERFACE
    ) -> RetuningConversation | None:
        conversation = self._sessions.get(key)
        if conversation is not None:
            self._sessions.move_to_end(key)
            return conversation
        if not create:
            return None
        user = key[0]
        store = self.db.default_store(user) or self._store
        assistant = Assistant(
            self.db, user, store, interface=interface, user_fixed=True, shared=self._shared
        )
        conversation = RetuningConversation(assistant, None, self._vocabularies)
        self._sessions[key] = conversation
        while len(self._sessions) > self._max_sessions:
            self._sessions.popitem(last=False)
        return conversation
