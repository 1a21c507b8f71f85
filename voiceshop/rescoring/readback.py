"""Whisper's side of rescoring: let the audio choose the phrase a misheard stretch stands for.

Whisper reads the transcript back against the encoded audio (one forced decoding pass, prompt
included) and gives, at every token, the log-probability of each possible next token. At a
misheard slot (`slots.misheard_slots`) the choices are compared by those probabilities token by
token, only as far as they differ: "single", "double" and "triple shot" by their first token,
"iced mocha" and "iced coffee" by their second (one more pass with "iced" as the prefix). Choices
far behind the best at a token are dropped there. The transcript gets the winner, written with
the misheard text's capitalisation.

Where the heard words may be right (`MisheardSlot.heard_may_stay`: a product phrase the catalog
finds unclear, with its closest names as choices), or where there is a lone choice ("brown
sugar" for "Brewer", which stood for "brew a"), whole sentences are compared instead: the
transcript with the heard words, and with each choice in their place, each read back in full.
A choice replaces the heard words only when it reads within `KEEP_MARGIN_NATS` of them (less for
a choice of fewer words), so that the agent still asks when the audio does not clearly say a
catalog name. These readings leave out the store's prompt: it weighs all sentences alike, and
without it a reading takes a third of the time. Of more than `MAX_SENTENCES` choices (the words
a clear reading leaves out may stand for any of the store's phrases), the token walk picks the
few read in full.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voiceshop.rescoring.protocol import MisheardSlot

PRUNE_NATS = 4.0
"""Choices whose next token is this much less likely (in log-probability) than the best one's
are not followed further.
Tuned on: coffee-dev, all 124 recordings, before the tune/check split (examples only, no figures
quoted)."""
KEEP_MARGIN_NATS = 5.0
"""How much less likely (log-probability of the whole sentence) a catalog name may read than
the heard words it replaces.
Tuned on: long names, seed-9 dev sample (80 names; not today's tune or check sample); was 3."""
SHORTER_KEEP_MARGIN_NATS = 3.0
"""The same for a name of fewer words than the heard ones: fewer tokens to pay for make a
reading likelier, whatever was said.
Tuned on: long names, seed-9 dev sample (80 names; not today's tune or check sample)."""

MAX_SENTENCES = 4
"""At most this many choices are read back as whole sentences; where a slot has more (a dropped
tail may stand for any phrase of the store's), the token walk picks the likeliest first.
Tuned on: coffee-dev, all 124 recordings, before the tune/check split: the time of one recording
at 6 dB (665b11d2); was 8."""

Encode = Callable[[str], list[int]]
Distributions = Callable[[list[int]], list[np.ndarray]]
"""Token ids -> the log-probability rows for predicting each of them and the token after."""
Readings = Callable[[Sequence[list[int]]], list[list[np.ndarray]]]
"""`Distributions` of several token lists at once."""


@dataclass(frozen=True)
class _Choice:
    text: str
    tokens: tuple[int, ...]


def rewrite_slots(
    text: str,
    slots: Sequence[MisheardSlot],
    encode: Encode,
    distributions: Distributions,
    plain_readings: Readings | None = None,
) -> str:
    """`text` with each misheard slot replaced by its likeliest choice.

    `encode` gives the tokens of a text (Whisper writes a space before each word);
    `distributions` reads tokens back against the audio after the decoding prompt, and
    `plain_readings` (default: the same, one list after another) reads several token lists
    without it, which is enough, and cheaper, to compare whole sentences.
    """
    if not slots:
        return text
    plain = plain_readings or (lambda token_lists: [distributions(t) for t in token_lists])
    reading = _Reading(text, encode, distributions, plain)
    parts, done = [], 0
    for slot in slots:
        parts += [text[done : slot.start], reading.best(slot)]
        done = slot.end
    return "".join([*parts, text[done:]])


class _Reading:
    """One transcript read back by Whisper; further prefixes are read on demand and cached."""

    def __init__(
        self, text: str, encode: Encode, distributions: Distributions, plain: Readings
    ) -> None:
        self._text = text
        self._encode = encode
        self._distributions = distributions
        self._plain = plain
        self._tokens = encode(" " + text)
        self._transcript_rows: list[np.ndarray] | None = None
        self._rows_after_prefix: dict[tuple[int, ...], np.ndarray] = {}

    @property
    def _rows(self) -> list[np.ndarray]:
        """Rows for the transcript's own tokens, read once when first needed."""
        if self._transcript_rows is None:
            self._transcript_rows = self._distributions(self._tokens)
        return self._transcript_rows

    def best(self, slot: MisheardSlot) -> str:
        """The slot's likeliest choice (or its heard words, where they may stay, or where there
        is only one choice to compare them with, and read better); the heard words when
        Whisper's context cannot hold the reading."""
        try:
            if slot.heard_may_stay or len(slot.choices) == 1:
                return self._kept_or_best(slot)
            return self._best_by_token_walk(slot)
        except _OutOfContext:
            return self._text[slot.start : slot.end]

    def _best_by_token_walk(self, slot: MisheardSlot) -> str:
        """The choice the token walk scores highest (`_walk`)."""
        scores = self._walk_scores(self._before(slot), self._choices_cased_like_heard(slot))
        return max(scores, key=lambda text: scores[text])

    def _kept_or_best(self, slot: MisheardSlot) -> str:
        """The heard words, or the choice read best as a whole sentence where it reads within
        the keep margin of them (`_keep_margin`)."""
        before = self._before(slot)
        after = self._encode(self._text[slot.end :]) if slot.end < len(self._text) else []
        heard = self._text[slot.start : slot.end]
        written = self._choices_cased_like_heard(slot)
        if len(written) > MAX_SENTENCES:
            written = self._likeliest_few(before, written)
        middles = [self._words(phrase) for phrase in (heard, *written)]
        kept, *read = self._sentences(before, middles, after)
        scores = dict(zip(written, read, strict=True))
        close = [c for c in scores if scores[c] >= kept - _keep_margin(heard, c)]
        return max(close, key=lambda text: scores[text]) if close else heard

    def _likeliest_few(self, before: list[int], written: list[str]) -> list[str]:
        """The `MAX_SENTENCES` choices the token walk finds likeliest after `before`."""
        scores = self._walk_scores(before, written)
        return sorted(written, key=lambda text: -scores[text])[:MAX_SENTENCES]

    def _walk_scores(self, before: list[int], written: list[str]) -> dict[str, float]:
        """Each choice's score from the token walk after `before` (`_walk`)."""
        scores: dict[str, float] = {}
        choices = [_Choice(text, tuple(self._words(text))) for text in written]
        self._walk(before, choices, (), 0.0, scores)
        return scores

    def _sentences(
        self, before: list[int], middles: list[list[int]], after: list[int]
    ) -> list[float]:
        """For each middle, the log-probability of the tokens from it on, read back after
        `before` (without the decoding prompt); all read in one batch."""
        token_lists = [[*before, *middle, *after] for middle in middles]
        scores = []
        for tokens, rows in zip(token_lists, self._plain(token_lists), strict=True):
            if len(rows) < len(tokens):
                raise _OutOfContext
            scores.append(sum(float(rows[n][t]) for n, t in enumerate(tokens) if n >= len(before)))
        return scores

    def _before(self, slot: MisheardSlot) -> list[int]:
        said = self._text[: slot.start].rstrip()
        return self._encode(" " + said) if said else []

    def _words(self, phrase: str) -> list[int]:
        return self._encode(" " + phrase)

    def _choices_cased_like_heard(self, slot: MisheardSlot) -> list[str]:
        """The choices, capitalised like the heard words."""
        capital = self._text[slot.start : slot.start + 1].isupper()
        return [c[:1].upper() + c[1:] if capital else c for c in slot.choices]

    def _walk(
        self,
        before: list[int],
        group: list[_Choice],
        path: tuple[int, ...],
        score: float,
        scores: dict[str, float],
    ) -> None:
        """Score the choices that share `path`, descending only where they still differ."""
        if len(group) == 1:
            scores[group[0].text] = score
            return
        depth = len(path)
        following: dict[int, list[_Choice]] = {}
        for choice in group:
            if depth < len(choice.tokens):
                following.setdefault(choice.tokens[depth], []).append(choice)
            else:
                scores[choice.text] = score
        if not following:
            return
        row = self._row(before, path)
        best = max(row[token] for token in following)
        for token, subgroup in following.items():
            token_score = score + float(row[token])
            if row[token] < best - PRUNE_NATS:
                scores.update((choice.text, token_score) for choice in subgroup)
            else:
                self._walk(before, subgroup, (*path, token), token_score, scores)

    def _row(self, before: list[int], path: tuple[int, ...]) -> np.ndarray:
        """Log-probabilities of the token after before + path."""
        prefix = [*before, *path]
        if self._tokens[: len(prefix)] == prefix and len(prefix) < len(self._rows):
            return self._rows[len(prefix)]
        key = tuple(prefix)
        if key not in self._rows_after_prefix:
            rows = self._distributions(prefix)
            if len(rows) <= len(prefix):
                raise _OutOfContext
            self._rows_after_prefix[key] = rows[len(prefix)]
        return self._rows_after_prefix[key]


def sentence_logprobs(texts: Sequence[str], encode: Encode, plain: Readings) -> list[float]:
    """How likely Whisper finds each text for the audio, read back without a prompt, all in one
    batch (sum of its tokens' log-probabilities; minus infinity when its context cannot hold
    them)."""
    token_lists = [encode(" " + text) for text in texts]
    return [
        sum(float(rows[n][token]) for n, token in enumerate(tokens))
        if len(rows) >= len(tokens)
        else -math.inf
        for tokens, rows in zip(token_lists, plain(token_lists), strict=True)
    ]


def _keep_margin(heard: str, choice: str) -> float:
    """How much less likely than the heard words `choice` may read and still replace them."""
    shorter = len(choice.split()) < len(heard.split())
    return SHORTER_KEEP_MARGIN_NATS if shorter else KEEP_MARGIN_NATS


class _OutOfContext(Exception):
    """The prompt and the transcript leave no room in Whisper's context for a reading."""


def log_softmax(logits: Any) -> np.ndarray:
    """Log-probabilities from one row of logits."""
    values = np.asarray(logits, dtype=np.float64).reshape(-1)
    shifted = values - values.max()
    return shifted - np.log(np.exp(shifted).sum())
