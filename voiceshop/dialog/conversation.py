"""What the dialog gives back for each utterance, and the interface the voice loop talks to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Reply:
    """The agent's answer to one utterance."""

    text: str
    """What to say (and print)."""
    end_conversation: bool = False
    """True after "goodbye": the loop stops listening."""
    secret_answer: bool = False
    """The reply asks for a secret (the purchase code): what is said next must not be shown,
    printed or logged."""
    intent: str | None = None
    """The intent the dialog acted on, read in context: "the brown ones" answering an open
    choice is `Choose`, though the words alone read as `AddItems`; None when not understood."""


class Conversation(Protocol):
    """Anything that answers utterances: the dialog manager, or a test double."""

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        """Answer one utterance; `confidence` (0..1) is the recognizer's."""
        ...
