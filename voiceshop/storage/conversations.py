"""What a server conversation remembers between turns, kept per (user, conversation id).

A turn runs in one write transaction (`ShopDatabase.conversation_turn`): it reads what the
conversation remembered, changes carts and orders, and saves what it remembers now, all or
nothing; the user's row is locked first, so two servers never answer one user's turns at once.
The memory itself is a JSON document the dialog writes (`dialog.memory`); `version` counts the
turns saved, so a server holding the conversation knows whether another one answered since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from voiceshop.storage.backend import Connection


@dataclass(frozen=True)
class SavedConversation:
    """A conversation's memory as the last turn saved it."""

    version: int
    state: str


class ConversationTurn:
    """One turn of a conversation inside its transaction: the memory saved before it, and
    `save` for what it remembers after it."""

    def __init__(
        self,
        connection: Connection,
        user_id: int,
        conversation_id: str,
        saved: SavedConversation | None,
    ) -> None:
        self._connection = connection
        self._user_id = user_id
        self._conversation_id = conversation_id
        self.saved = saved
        self.version = saved.version if saved is not None else 0
        """The version saved by this turn once `save` ran, else the one read."""

    def save(self, state: str) -> int:
        """Keep `state` as the conversation's memory (committed with the turn); its version."""
        self.version += 1
        self._connection.execute(
            "INSERT INTO conversations (user_id, id, version, state, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, id) DO UPDATE SET"
            " version = excluded.version, state = excluded.state,"
            " updated_at = excluded.updated_at",
            (
                self._user_id,
                self._conversation_id,
                self.version,
                state,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )
        return self.version


def read_saved(
    connection: Connection, user_id: int, conversation_id: str
) -> SavedConversation | None:
    """The conversation's saved memory, or None when none was saved."""
    row = connection.execute(
        "SELECT version, state FROM conversations WHERE user_id = ? AND id = ?",
        (user_id, conversation_id),
    ).fetchone()
    return SavedConversation(int(row[0]), str(row[1])) if row is not None else None
