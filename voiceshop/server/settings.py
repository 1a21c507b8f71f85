"""What a `voiceshop serve` process listens on, how much work it takes on, and who may shop."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from voiceshop.errors import ServerError
from voiceshop.recognizer import RecognizerSettings

DEFAULT_URI = "tcp://127.0.0.1:10700"
"""Loopback only: a server others may reach is opted into with --uri tcp://0.0.0.0:PORT.
10700 is the Wyoming port Home Assistant's voice add-ons leave free for conversation agents."""


def default_workers() -> int:
    """One recognition worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Limits:
    """What one connection may send, and how much work waits before new work is refused."""

    max_audio_seconds: float = 30.0
    """Longest utterance (audio-start to audio-stop) recognized; longer ones get an error."""
    max_message_bytes: int = 256 * 1024
    """Largest event (JSON data plus payload); a larger one ends the connection. (Its header
    line is held to asyncio's 64 KiB line limit.)"""
    max_text_chars: int = 1000
    """Longest transcript to handle or text to synthesize."""
    recognition_queue: int = 8
    """Utterances that may wait for a free recognition worker; beyond that: "busy"."""
    synthesis_queue: int = 8
    """Replies that may wait for a free speech worker; beyond that: "busy"."""
    dialog_queue: int = 64
    """Turns that may wait for the dialog thread; beyond that: "busy"."""
    max_sessions: int = 256
    """Conversations kept in memory; the least recently used one is dropped beyond that (what it
    remembers is in the database: its next turn takes it up again)."""
    max_connections: int = 256
    """Connections open at once (Wyoming and page together); one more is answered "busy" and
    closed."""
    idle_timeout_s: float = 300.0
    """A connection that sends nothing for this long is told so and closed (its conversation
    stays in the database)."""


@dataclass(frozen=True)
class ServerSettings:
    """One server: address, database, store, accounts and pools."""

    uri: str | None = DEFAULT_URI
    """tcp://HOST:PORT or unix://PATH of the Wyoming server; None: no Wyoming (the page only)."""
    http: str | None = None
    """[HOST:]PORT of the browser page (`server.web`); None: no page."""
    db: Path | str = Path("voiceshop.db")
    """The database of carts and orders: a SQLite file or a postgresql:// URL."""
    store: str = "grocery"
    """The store conversations start at, whose words the recognizer listens for."""
    tokens: Path | None = None
    """Token file (`voiceshop token`): each conversation must show a token, which decides
    whose cart it is. None: every conversation is `household_user`'s."""
    household_user: str = "default"
    """Whose carts conversations use when there is no token file (one household, a trusted
    network: what Home Assistant, which sends no tokens, can use)."""
    satellites: tuple[tuple[str, str], ...] = ()
    """(user, URI) of Wyoming listeners whose every conversation is that user's, without a
    token: for clients that cannot send one (Home Assistant), each shopper's voice pipeline
    pointed at their own port. The address is the credential: bind it where only that
    shopper's Home Assistant can reach it."""
    recognizer: RecognizerSettings = field(default_factory=RecognizerSettings)
    recognition_workers: int = field(default_factory=default_workers)
    """Utterances recognized at the same time."""
    synthesis_workers: int = 1
    """Replies synthesized at the same time (each in its own espeak-ng process)."""
    limits: Limits = field(default_factory=Limits)


def parse_satellite(value: str) -> tuple[str, str]:
    """(user, URI) of `--satellite USER=tcp://HOST:PORT`; ServerError says what is wrong."""
    user, sign, uri = value.partition("=")
    if not sign or not user.strip() or any(c in user for c in "\t\n\r"):
        raise ServerError(
            f"--satellite {value!r}: give USER=tcp://HOST:PORT (e.g. ann=tcp://0.0.0.0:10701)"
        )
    parse_uri(uri)
    return user.strip(), uri


def parse_uri(uri: str) -> tuple[str, str, int | None]:
    """(scheme, host or path, port) of a server URI; ServerError says what is wrong."""
    parsed = urlparse(uri)
    if parsed.scheme == "unix":
        if not parsed.path:
            raise ServerError(f"{uri!r} names no socket file: use unix:///path/to/socket")
        return "unix", parsed.path, None
    if parsed.scheme != "tcp":
        raise ServerError(
            f"{uri!r} is not a server address: use tcp://HOST:PORT (e.g. {DEFAULT_URI}) "
            "or unix:///path/to/socket"
        )
    try:
        port = parsed.port
    except ValueError:
        port = -1
    if not parsed.hostname or port is None or not 0 <= port <= 65535:
        raise ServerError(
            f"{uri!r} needs a host and a port from 0 to 65535: tcp://HOST:PORT, e.g. "
            f"{DEFAULT_URI} (0 picks a free port)"
        )
    return "tcp", parsed.hostname, port
