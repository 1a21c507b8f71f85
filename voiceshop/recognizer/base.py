"""The recognizer interface the pipeline sees: PCM in, partial and final transcripts out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from voiceshop.audio.types import Chunk
from voiceshop.rescoring.protocol import Vocabulary


@dataclass(frozen=True)
class Transcript:
    """What a recognizer heard in one utterance."""

    text: str
    confidence: float = 1.0
    """0..1; how sure the engine is (engines that give none report 1.0)."""
    alternatives: tuple[str, ...] = ()
    """Other readings, best first, where the engine gives them."""
    audio_seconds: float = 0.0
    """Length of the utterance's audio."""
    read_seconds: float = 0.0
    """Time the engine took for the reading that gave this text (0 where not measured)."""


class Recognizer(ABC):
    """Streaming speech recognizer with endpointing.

    Feed 16 kHz mono 16-bit chunks with `feed`; it returns a final Transcript when it decides the
    utterance has ended (silence after speech, or the maximum length), else None. `partial` is the
    text so far. `flush` ends the stream and returns what is pending. `reset` drops all state.
    """

    name: str = "recognizer"

    @abstractmethod
    def feed(self, chunk: Chunk) -> Transcript | None:
        """Accept audio; return a Transcript when the utterance has ended."""

    @abstractmethod
    def partial(self) -> str:
        """Text heard so far in the current utterance."""

    @abstractmethod
    def flush(self) -> Transcript | None:
        """End of audio: the pending utterance's Transcript, or None if nothing was said."""

    @abstractmethod
    def reset(self) -> None:
        """Forget the current utterance (after the agent spoke, or on barge-in)."""

    def new_speaker(self) -> None:
        """Forget what was learned of the person speaking (someone else is at the microphone);
        nothing, for a recognizer that learns nothing of them."""

    def set_vocabulary(self, vocabulary: Vocabulary) -> None:
        """Listen for another store's words from the next utterance on; nothing, for a
        recognizer that takes no vocabulary."""


def join_transcripts(parts: Sequence[Transcript]) -> Transcript | None:
    """One Transcript for consecutive pieces of speech, or None if all are empty.

    Texts are joined in order; confidence is the lowest piece's (one unsure piece makes the whole
    unsure); alternatives swap one piece's text for each of its alternatives.
    """
    heard = [part for part in parts if part.text]
    if not heard:
        return None
    texts = [part.text for part in heard]
    alternatives = tuple(
        " ".join([*texts[:index], alternative, *texts[index + 1 :]])
        for index, part in enumerate(heard)
        for alternative in part.alternatives
    )
    return Transcript(
        text=" ".join(texts),
        confidence=min(part.confidence for part in heard),
        alternatives=alternatives,
        audio_seconds=sum(part.audio_seconds for part in parts),
        read_seconds=sum(part.read_seconds for part in parts),
    )
