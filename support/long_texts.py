"""The long texts `python -m benchmarks.long_utterances` times: patterns repeated up to the
longest text the parser reads, and its first half."""

from __future__ import annotations

HOSTILE = ("add a lemon. ", "at ", "7")
"""The issue's patterns, timed at 4,000 characters and at the limit."""
SLOWEST = ("things. ", "last, ", "oh ", "make and ")
"""The slowest patterns of the grammar's words, timed at the limit."""


def repeated(pattern: str, chars: int) -> str:
    """`pattern` repeated and cut to `chars` characters."""
    return (pattern * (chars // len(pattern) + 1))[:chars]


def longest_accepted(pattern: str) -> str:
    """The pattern repeated up to the limit the parser reads: 60 words or 500 characters."""
    from voiceshop.intents.parser import MAX_UTTERANCE_CHARS, MAX_UTTERANCE_WORDS

    words = repeated(pattern, MAX_UTTERANCE_CHARS).split()[:MAX_UTTERANCE_WORDS]
    text = " ".join(words)
    while len(text) > MAX_UTTERANCE_CHARS:
        text = text.rsplit(" ", 1)[0]
    return text


def first_half(text: str) -> str:
    """The first half of the words, or of the characters of a single word."""
    words = text.split()
    if len(words) == 1:
        return text[: len(text) // 2]
    return " ".join(words[: len(words) // 2])
