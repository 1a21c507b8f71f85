"""Ranking products for a spoken phrase, and deciding: act, ask, or say it is not there.

Scoring: each spoken word is paired with its most similar name word (same word, a close
spelling, or the same sound). Two coverages are weighed by how telling each word is (idf):
how much of what was said the name explains, and how much of the name was said (an unsaid
brand counts little). The score is their weighted harmonic mean, 0..1, so a short name that
is only a part of what was said ("Bread" for "whole wheat bread") scores low, and so does a
long name of which little was said.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from rapidfuzz import fuzz, process

from voiceshop.catalog.model import Product, Store
from voiceshop.language.normalize import Normalizer
from voiceshop.matching.index import CatalogIndex, NameVariant
from voiceshop.matching.words import MatchWords


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds of the matcher's decisions (scores are 0..1)."""

    min_score: float = 0.55
    """Below this the product is not found."""
    confident_score: float = 0.8
    """At or above this (with a clear margin) the best product is taken without asking."""
    ambiguity_margin: float = 0.06
    """Products scoring within this of the best are close enough to ask about."""
    max_choices: int = 3
    """How many products a question offers at most."""
    candidate_pool: int = 300
    """How many products the index pre-selects for exact scoring."""
    word_similarity_floor: float = 0.72
    """Word pairs less similar than this count as different words."""
    said_weight: float = 1.5
    """How much more covering the spoken words matters than covering the name (F-beta's beta)."""
    personal_pool: int = 30
    """How many ranked products are searched for the shopper's usual one."""
    usual_affinity: float = 0.5
    """How much (0..1) a shopper must favour a product for it to be taken without asking."""


class MatchOutcome(StrEnum):
    """What the dialog should do with a phrase."""

    CONFIDENT = "confident"
    AMBIGUOUS = "ambiguous"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Candidate:
    """A product and how well the phrase names it."""

    product: Product
    score: float


@dataclass(frozen=True)
class MatchResult:
    """The ranked candidates for a phrase and the decision taken from their scores."""

    phrase: str
    outcome: MatchOutcome
    candidates: tuple[Candidate, ...]
    """Best first. CONFIDENT: the first is the product. AMBIGUOUS: the choices to offer.
    NOT_FOUND: the nearest products, for a hint."""

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class ProductMatcher:
    """Fuzzy, sound-aware product search over one store's catalog, built once per store."""

    def __init__(
        self,
        store: Store,
        normalizer: Normalizer,
        settings: MatchSettings | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or MatchSettings()
        self.words = MatchWords(normalizer)
        self.index = CatalogIndex(store.products, self.words)

    def rank(self, phrase: str, limit: int = 5) -> list[Candidate]:
        """The `limit` best products for `phrase`, best first (empty when nothing is close).

        Words said apart that the catalog writes as one ("sour dough") are tried both ways.
        """
        said = self.words.words(phrase)
        if not said:
            return []
        scores = self._scores(said)
        compound = self._compounds(said)
        if compound != said:
            for product, score in self._scores(compound).items():
                scores[product] = max(score, scores.get(product, 0.0))
        ranked: list[Candidate] = []
        seen: set[tuple[str, str]] = set()
        for product, score in sorted(scores.items(), key=lambda item: item[1], reverse=True):
            key = self.index.same_product_key(product)
            if score <= 0 or key in seen:
                continue
            seen.add(key)
            ranked.append(Candidate(self.index.products[product], round(score, 4)))
            if len(ranked) == limit:
                break
        return ranked

    def _scores(self, said: list[str]) -> dict[int, float]:
        similar = [self._similar_words(w) for w in said]
        weights = [self._said_weight(w, sims) for w, sims in zip(said, similar)]
        text = " ".join(said)
        return {
            p: self._score_product(p, similar, weights, text)
            for p in self._candidate_pool(similar, weights).tolist()
        }

    def score(self, phrase: str) -> float:
        """How well the best product matches `phrase`, 0..1."""
        ranked = self.rank(phrase, limit=1)
        return ranked[0].score if ranked else 0.0

    def match(self, phrase: str, preferences: Mapping[str, float] | None = None) -> MatchResult:
        """Rank and decide: CONFIDENT, AMBIGUOUS (with the choices) or NOT_FOUND.

        `preferences` maps product ids to how much this shopper favours them (0..1, from their
        history): among close matches the favourite ranks first, and a usual product is taken
        without asking; a clearly better spoken match still wins.
        """
        s = self.settings
        ranked = self.rank(phrase, limit=max(s.max_choices, 10))
        if not ranked or ranked[0].score < s.min_score:
            return MatchResult(phrase, MatchOutcome.NOT_FOUND, tuple(ranked[:5]))
        top = ranked[0].score
        said_exactly = top >= EXACT and (len(ranked) == 1 or ranked[1].score < EXACT)
        if said_exactly:
            return MatchResult(phrase, MatchOutcome.CONFIDENT, (ranked[0],))
        if preferences:
            usual = self._usual(phrase, self.rank(phrase, limit=s.personal_pool), preferences)
            if usual is not None:
                return MatchResult(phrase, MatchOutcome.CONFIDENT, (usual,))
        close = [c for c in ranked if c.score >= top - s.ambiguity_margin][: s.max_choices]
        if len(close) == 1 and top >= s.confident_score:
            return MatchResult(phrase, MatchOutcome.CONFIDENT, (ranked[0],))
        return MatchResult(phrase, MatchOutcome.AMBIGUOUS, tuple(close))

    def _usual(
        self, phrase: str, ranked: list[Candidate], preferences: Mapping[str, float]
    ) -> Candidate | None:
        """The shopper's favourite among the products that name everything they said."""
        said = self.words.words(phrase)
        similar = [self._similar_words(w) for w in said]
        favourites = [
            c
            for c in ranked
            if preferences.get(c.product.id, 0.0) >= self.settings.usual_affinity
            and self._covers(c.product, similar)
        ]
        if not favourites:
            return None
        return max(favourites, key=lambda c: preferences[c.product.id])

    def _covers(self, product: Product, similar: list[dict[str, float]]) -> bool:
        """Whether one name of the product contains every said word (or a close one)."""
        index = self.index
        position = index.position[product.id]
        return any(
            all(
                max((sims.get(n, 0.0) for n in v.words), default=0.0) >= FULL_COVER
                for sims in similar
            )
            for v in index.variants_of[position]
        )

    def _compounds(self, said: list[str]) -> list[str]:
        """Words said apart that the catalog writes as one ("sour dough"), and the reverse."""
        postings = self.index.postings
        result: list[str] = []
        i = 0
        while i < len(said):
            if i + 1 < len(said) and said[i] + said[i + 1] in postings:
                result.append(said[i] + said[i + 1])
                i += 2
                continue
            result.extend(self._split_unknown(said[i]))
            i += 1
        return result

    def _split_unknown(self, word: str) -> list[str]:
        postings = self.index.postings
        if word in postings:
            return [word]
        for cut in range(3, len(word) - 2):
            head, tail = word[:cut], self.words.singular(word[cut:])
            if head in postings and tail in postings:
                return [head, tail]
        return [word]

    def _similar_words(self, word: str) -> dict[str, float]:
        """Catalog words similar to a spoken word, with their similarity 0..1."""
        index = self.index
        floor = self.settings.word_similarity_floor * 100
        found: dict[str, float] = {}
        if word in index.postings:
            found[word] = 1.0
        else:
            for other, score, _ in process.extract(
                word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=floor, limit=8
            ):
                found[other] = score / 100
        known = word in index.postings
        for other in index.by_sound.get(self.words.sound_key(word), ()):
            if other != word and len(other) > 2:
                credit = KNOWN_SOUND_ALIKE_CREDIT if known else _sound_alike(word, other)
                found[other] = max(found.get(other, 0.0), credit)
        return found

    def _said_weight(self, word: str, similar: dict[str, float]) -> float:
        if word in self.index.idf:
            return self.index.idf[word]
        if similar:
            best = max(similar, key=similar.__getitem__)
            return self.index.idf[best]
        return self.index.default_idf

    def _candidate_pool(self, similar: list[dict[str, float]], weights: list[float]) -> np.ndarray:
        votes = np.zeros(len(self.index), dtype=np.float32)
        for sims, weight in zip(similar, weights):
            for other, sim in sims.items():
                votes[self.index.postings[other]] += weight * sim
        size = self.settings.candidate_pool
        hit = np.flatnonzero(votes)
        if len(hit) <= size:
            return hit
        return hit[np.argpartition(votes[hit], -size)[-size:]]

    def _score_product(
        self, product: int, similar: list[dict[str, float]], weights: list[float], text: str
    ) -> float:
        return max(
            self._score_variant(v, similar, weights, text) for v in self.index.variants_of[product]
        )

    def _score_variant(
        self,
        variant: NameVariant,
        similar: list[dict[str, float]],
        weights: list[float],
        text: str,
    ) -> float:
        said_total = sum(weights)
        said_cover = sum(
            w * max((sims.get(n, 0.0) for n in variant.words), default=0.0)
            for sims, w in zip(similar, weights)
        )
        name_cover = sum(
            nw * max(sims.get(n, 0.0) for sims in similar)
            for n, nw in zip(variant.words, variant.weights)
        )
        recall = said_cover / said_total
        precision = name_cover / sum(variant.weights)
        if recall == 0 or precision == 0:
            return 0.0
        beta2 = self.settings.said_weight**2
        f_score = (1 + beta2) * precision * recall / (beta2 * precision + recall)
        order = fuzz.ratio(text, variant.text) / 100
        return 0.97 * f_score + 0.03 * order


FULL_COVER = 0.8
"""A said word counts as named by a product when this similar to one of its words."""
EXACT = 0.9999
"""A score this high means the phrase is the name, word for word."""
SOUND_ALIKE_CREDIT = 0.8
"""Similarity credited to an unknown word that sounds like a catalog word ("serial")."""
KNOWN_SOUND_ALIKE_CREDIT = 0.6
"""Credit when the spoken word is itself a catalog word ("bread" is not "burrito")."""


def _sound_alike(word: str, other: str) -> float:
    return max(SOUND_ALIKE_CREDIT, fuzz.ratio(word, other) / 100)
