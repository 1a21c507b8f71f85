"""Catalog words spelled like a given word, found through a letter-pair index.

The answer is the same as comparing the word with every catalog word (rapidfuzz `fuzz.ratio`,
best first, ties in vocabulary order), but only words that could reach the similarity floor
are compared. The bound: if two words have a longest common subsequence of length L, at least
`3L - len(a) - len(b) + 1` of their letter pairs (with a start and an end mark) are shared, so
the shared pairs bound L, and L bounds the ratio `200 L / (len(a) + len(b))`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
from rapidfuzz import fuzz, process

ARRAY_NAMES = ("pairs", "pair_start", "pair_words", "pair_counts")
"""The arrays that hold a `SpellingIndex` (see `arrays()`)."""
ROUNDING_SLACK = 1e-9
"""Keeps words whose bound equals the floor but rounds just below it."""


class SpellingIndex:
    """For each letter pair, the vocabulary words holding it and how often."""

    def __init__(self, vocabulary: Sequence[str], arrays: Mapping[str, np.ndarray]) -> None:
        self.vocabulary = vocabulary
        self._arrays = {name: arrays[name] for name in ARRAY_NAMES}
        self._pair_id = {pair: i for i, pair in enumerate(arrays["pairs"].tolist())}
        self._start = arrays["pair_start"]
        self._words = arrays["pair_words"]
        self._counts = arrays["pair_counts"]
        self._lengths = np.array([len(word) for word in vocabulary], dtype=np.int32)

    @classmethod
    def build(cls, vocabulary: Sequence[str]) -> SpellingIndex:
        """Index the letter pairs of every word of `vocabulary`."""
        holders: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for word_id, word in enumerate(vocabulary):
            for pair, count in _letter_pairs(word).items():
                holders[pair].append((word_id, count))
        pairs = sorted(holders)
        entries = [entry for pair in pairs for entry in holders[pair]]
        sizes = [len(holders[pair]) for pair in pairs]
        arrays = {
            "pairs": np.array(pairs, dtype=np.str_),
            "pair_start": np.concatenate(([0], np.cumsum(sizes, dtype=np.int64))),
            "pair_words": np.array([w for w, _ in entries], dtype=np.int32),
            "pair_counts": np.array([min(c, 255) for _, c in entries], dtype=np.uint8),
        }
        return cls(vocabulary, arrays)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays this index is made of, for saving."""
        return dict(self._arrays)

    def similar(self, word: str, floor: float, limit: int) -> list[tuple[int, float]]:
        """Up to `limit` (word id, similarity 0..1) with similarity >= `floor`, best first."""
        candidates = self._candidates(word, floor)
        found = process.extract(
            word,
            [self.vocabulary[i] for i in candidates.tolist()],
            scorer=fuzz.ratio,
            score_cutoff=floor * 100,
            limit=None,
        )
        best = sorted(found, key=lambda hit: (-hit[1], hit[2]))[:limit]
        return [(int(candidates[position]), score / 100) for _, score, position in best]

    def _candidates(self, word: str, floor: float) -> np.ndarray:
        """Ids of the words whose shared letter pairs allow a similarity of at least `floor`."""
        holders, shared = [], []
        for pair, count in _letter_pairs(word).items():
            pair_id = self._pair_id.get(pair)
            if pair_id is not None:
                start, end = self._start[pair_id], self._start[pair_id + 1]
                holders.append(self._words[start:end])
                shared.append(np.minimum(self._counts[start:end], count))
        if not holders:
            return np.empty(0, dtype=np.int64)
        totals = np.bincount(
            np.concatenate(holders),
            weights=np.concatenate(shared),
            minlength=len(self.vocabulary),
        )
        candidates = np.flatnonzero(totals)
        lengths = self._lengths[candidates]
        length_sums = lengths + len(word)
        common = np.minimum(
            np.minimum(lengths, len(word)), (totals[candidates] + length_sums - 1) / 3
        )
        return candidates[2 * common / length_sums >= floor - ROUNDING_SLACK]


def _letter_pairs(word: str) -> Counter[str]:
    """The letter pairs of `word` with a start and an end mark, counted."""
    marked = f" {word} "
    return Counter(marked[i : i + 2] for i in range(len(marked) - 1))
