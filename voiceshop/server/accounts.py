"""Who a conversation belongs to: a shopper's token, or the one household of a trusted server.

A token file holds one line per token, `USER<TAB>SHA-256 of the token`; the tokens themselves
are shown once, when `voiceshop token` makes them, and never stored. A client puts its token in
the `context` of each `transcript` it sends (`{"conversation_id": ..., "token": ...}`); the
server keeps each conversation under (user, conversation id), so a conversation id said with
another user's token reaches another conversation, never the first user's cart.

Tokens are 32 random bytes: too many to guess, so wrong tokens are simply refused (no lock to
trip, unlike the 4-8 digit purchase code, which still guards each order on top of the token).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from voiceshop.errors import ServerError

TOKEN_CONTEXT_KEY = "token"
"""Where a client puts its token in an event's context."""
_TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_token(path: Path, user: str) -> str:
    """A new token for `user`, its hash appended to the token file (made readable by its owner
    only); the token itself is returned to be shown once."""
    user = user.strip()
    if not user or any(c in user for c in "\t\n\r"):
        raise ServerError(f"{user!r} is not a user name a token can be made for")
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as lines:
        lines.write(f"{user}\t{_digest(token)}\n")
    return token


class TokenBook:
    """The token file, read again whenever it changes (new tokens work without a restart,
    deleted lines stop working)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._users: dict[str, str] = {}
        self._reload()

    def user_for(self, token: str) -> str | None:
        """The user whose token this is, or None."""
        self._reload()
        return self._users.get(_digest(token))

    def _reload(self) -> None:
        try:
            stat = self.path.stat()
        except OSError as err:
            raise ServerError(
                f"cannot read the token file {self.path} ({err.strerror}); make one with "
                f"`voiceshop token --tokens {self.path} --user NAME`"
            ) from err
        if self._seen == (stat.st_mtime_ns, stat.st_size):
            return
        users: dict[str, str] = {}
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            user, _, digest = line.partition("\t")
            if not user.strip() or len(digest) != 64:
                raise ServerError(
                    f"{self.path}, line {number}: expected USER<TAB>SHA-256 (as written by "
                    "`voiceshop token`)"
                )
            users[digest] = user.strip()
        self._users = users
        self._seen = (stat.st_mtime_ns, stat.st_size)


class Accounts:
    """Decides whose conversation an event's context belongs to."""

    def __init__(self, tokens: TokenBook | None, household_user: str = "default") -> None:
        self._tokens = tokens
        self._household_user = household_user

    @property
    def needs_token(self) -> bool:
        return self._tokens is not None

    def user_for(self, context: Mapping[str, object] | None) -> str | None:
        """The signed-in user, or None when a token is needed and missing or unknown."""
        if self._tokens is None:
            return self._household_user
        token = context.get(TOKEN_CONTEXT_KEY) if isinstance(context, Mapping) else None
        if not isinstance(token, str) or not token:
            return None
        return self._tokens.user_for(token)
