"""The conversations a server holds: one Assistant per (user, conversation id).

All of it lives in the server's dialog thread, which alone uses the database connection
(`ShopDatabase` is single-threaded): a `Desk` is that thread's resource, and every turn is one
job on it. The key includes the signed-in user, so one shopper's conversation id can never reach
another shopper's conversation, and each Assistant is fixed to its user ("this is Sam" does not
switch carts). Stores, matchers, parsers and vocabularies are built once and shared by all
conversations (they are read-only once built, and all used from this one thread).

What a conversation remembers between turns (its open question, the read-back waiting for a
yes, the last item, its store) is saved in the database with each turn and read back at the
start of the next, so servers sharing one PostgreSQL database are interchangeable: a shopper's
next turn may land on any of them. The conversations held in memory only save rebuilding.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass

from voiceshop.dialog import memory
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.conversation import Reply
from voiceshop.dialog.shared import SharedStores
from voiceshop.errors import VoiceShopError
from voiceshop.recognizer import Vocabulary
from voiceshop.retuning import RetuningConversation
from voiceshop.storage.conversations import SavedConversation
from voiceshop.storage.database import ShopDatabase

_LOGGER = logging.getLogger(__name__)

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


@dataclass
class _Held:
    """A conversation held in memory, and the version of its saved memory it holds."""

    conversation: RetuningConversation
    version: int = 0


class Desk:
    """The dialog thread's database connection and conversations."""

    def __init__(self, db: ShopDatabase, store: str, max_sessions: int) -> None:
        self.db = db
        self._store = store
        self._max_sessions = max_sessions
        self._sessions: OrderedDict[SessionKey, _Held] = OrderedDict()
        self._shared = SharedStores(db)
        """Stores, matchers and parsers built once for all conversations."""
        self._vocabularies: dict[str, Vocabulary] = {}
        """Each store's recognizer vocabulary, compiled once for all conversations."""
        self._catalogs = db.catalog_generation()
        """The database's catalog generation the stores held were loaded at."""

    def respond(
        self, user: str, conversation_id: str, text: str, interface: str = INTERFACE
    ) -> Turn:
        """The conversation's answer to `text` (the conversation starts if it is new, its orders
        recorded as placed through `interface`). The turn is one transaction: what the
        conversation remembered is read from the database, and what it remembers now is saved
        with its cart changes, so its next turn may be answered by any server."""
        key = (user, conversation_id)
        self._refresh_stores()
        try:
            with self.db.conversation_turn(user, conversation_id) as turn:
                held = self._synced(key, turn.saved, create=True, interface=interface)
                assert held is not None
                reply = held.conversation.respond(text)
                version = turn.save(memory.dumps(held.conversation.assistant.memory()))
        except BaseException:
            self._sessions.pop(key, None)  # its memory may be ahead of what was committed
            raise
        held.version = version
        return Turn(reply, user, conversation_id)

    def vocabulary(self, user: str, conversation_id: str) -> Vocabulary | None:
        """What the conversation listens for next; None for a conversation never answered."""
        conversation = self.conversation(user, conversation_id)
        return conversation.vocabulary() if conversation is not None else None

    def conversation(self, user: str, conversation_id: str) -> RetuningConversation | None:
        """The conversation under (user, conversation id) as its last turn left it, if it had
        one (to read its state)."""
        self._refresh_stores()
        saved = self.db.saved_conversation(user, conversation_id)
        held = self._synced((user, conversation_id), saved, create=False)
        return held.conversation if held is not None else None

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    def _refresh_stores(self) -> None:
        """After a catalog was imported or removed (by any process), load stores and build
        conversations again; what conversations remember is kept in the database."""
        generation = self.db.catalog_generation()
        if generation == self._catalogs:
            return
        _LOGGER.info("a catalog changed: stores are loaded again")
        self._catalogs = generation
        self._sessions.clear()
        self._vocabularies.clear()
        self._shared.forget()

    def close(self) -> None:
        self._sessions.clear()
        self.db.close()

    def _synced(
        self,
        key: SessionKey,
        saved: SavedConversation | None,
        *,
        create: bool,
        interface: str = INTERFACE,
    ) -> _Held | None:
        """The conversation held under `key`, brought up to its `saved` memory (which another
        server may have written); a new one when `create`."""
        held = self._sessions.get(key)
        if held is not None and held.version == (saved.version if saved is not None else 0):
            self._sessions.move_to_end(key)
            return held
        if saved is None and not create:
            return None
        if held is None or saved is None:
            held = _Held(self._start(key[0], interface))
        if saved is not None:
            try:
                held.conversation.assistant.recall(memory.loads(saved.state))
            except (VoiceShopError, ValueError, KeyError, TypeError) as err:
                _LOGGER.warning("conversation %r starts afresh: %s", key[1], err)
                held = _Held(self._start(key[0], interface))
            held.version = saved.version
        self._sessions[key] = held
        self._sessions.move_to_end(key)
        while len(self._sessions) > self._max_sessions:
            self._sessions.popitem(last=False)
        return held

    def _start(self, user: str, interface: str) -> RetuningConversation:
        store = self.db.default_store(user) or self._store
        assistant = Assistant(
            self.db, user, store, interface=interface, user_fixed=True, shared=self._shared
        )
        return RetuningConversation(assistant, None, self._vocabularies)
