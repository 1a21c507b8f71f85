"""The matching index: same answers as scoring every product, saved and loaded, rebuilt when bad."""

from __future__ import annotations

import itertools
import logging
import math
import random
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from voiceshop import thresholds
from voiceshop.catalog.model import Product, Store
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher, scoring, search
from voiceshop.matching.index import NameVariant
from voiceshop.matching.index_cache import IndexCache
from voiceshop.matching.spelling import SpellingIndex

NORMALIZER = Normalizer(load_language())
WORDS = (
    *("milk", "whole", "organic", "skim", "almond", "oat", "soy", "bread", "sourdough", "wheat"),
    *("rye", "white", "brown", "eggs", "large", "free", "range", "cheddar", "cheese", "sharp"),
    *("mild", "greek", "yogurt", "vanilla", "strawberry", "honey", "nut", "cereal", "oats"),
    *("peanut", "butter", "crunchy", "creamy", "chocolate", "chip", "cookies", "dough", "sea"),
    *("salt", "potato", "chips", "hole", "serial", "flour", "flower", "thyme", "time", "pear"),
    *("pair", "beet", "beat", "mussel", "muscle", "dark", "roast", "coffee", "ground", "bean"),
    *("black", "sweet", "corn", "tortillas", "ice", "cream", "cookie", "caramel", "swirl", "bar"),
    *("bars", "protein"),
)
BRANDS = ("Fage", "Chobani", "Tillamook", "Kerrygold", "Nature Valley", "Kind", "")


def generated_store(count: int = 1000, seed: int = 5) -> Store:
    """Products named by random runs of grocery words, with brands, aliases, sizes and twins,
    and names that differ only in word order."""
    rng = random.Random(seed)
    products = [
        Product(f"order-{i}-{j}", " ".join(words).title())
        for i in range(4)
        for j, words in enumerate(itertools.permutations(rng.sample(WORDS, 4)))
    ]
    for i in range(count):
        name = " ".join(rng.sample(WORDS, rng.randint(1, 6))).title()
        aliases = (" ".join(rng.sample(WORDS, 2)),) if i % 9 == 0 else ()
        size = rng.choice(("", "12 oz", "1 gal"))
        products.append(Product(str(i), name, brand=rng.choice(BRANDS), size=size, aliases=aliases))
    twins = [Product(f"twin-{p.id}", p.name, brand=p.brand, size=p.size) for p in products[-40:]]
    return Store("generated", "Generated", (*products, *twins))


def spoken_queries(store: Store, count: int = 70, seed: int = 9) -> list[str]:
    """Names changed the way speech changes them: words dropped, swapped, misheard, misspelled."""
    rng = random.Random(seed)
    queries = ["milk", "organic", "zorbleflax", "sour dough bread", "hole milk", "choclate chip"]
    queries += [
        p.name.lower() for p in store.products if p.id.startswith("order-") and p.id.endswith("-5")
    ]
    for product in rng.sample(store.products, count):
        words = product.name.lower().split()
        change = rng.randrange(4)
        if change == 0 and len(words) > 1:
            del words[rng.randrange(len(words))]
        elif change == 1 and len(words) > 1:
            words.reverse()
        elif change == 2:
            i = rng.randrange(len(words))
            words[i] = words[i][:-1] + "x" if len(words[i]) > 3 else words[i]
        else:
            words.append(rng.choice(("please", "serial", "flower", "beat", "grean")))
        queries.append(" ".join(words))
    return queries


def reference_scores(found: ProductMatcher, phrase: str) -> dict[int, float]:
    """The matcher's scoring written out plainly and applied to every product of the catalog."""
    index = found.index
    best: dict[int, float] = {}
    for said in found.phrasings(phrase):
        similar = [reference_similar(found, word) for word in said]
        weights = [reference_weight(found, word, sims) for word, sims in zip(said, similar)]
        for product in range(len(index)):
            for variant in index.variants_of[product]:
                score = reference_score(variant, similar, weights, " ".join(said))
                if score > 0:
                    best[product] = max(score, best.get(product, 0.0))
    return best


def reference_rank(
    found: ProductMatcher, scores: dict[int, float], limit: int, within: float
) -> list[float]:
    """The scores of the `limit` best products, offering twins once, leaving out those more
    than `within` below the best (as shown, to four decimals)."""
    ranked: list[float] = []
    seen = set()
    for product, score in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
        key = found.index.same_product_key(product)
        if key not in seen and len(ranked) < limit:
            seen.add(key)
            ranked.append(score)
    return [s for s in ranked if round(s, 4) >= round(ranked[0], 4) - within]


def reference_similar(found: ProductMatcher, word: str) -> dict[str, float]:
    """Catalog words similar to a spoken word, by comparing it with every catalog word."""
    index = found.index
    floor = found.settings.word_similarity_floor
    known = word in index.word_id
    similar = {word: 1.0} if known else {}
    if not known:
        for other, score, _ in process.extract(
            word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=floor * 100, limit=8
        ):
            similar[other] = score / 100
    for other_id in index.by_sound.get(found.words.sound_key(word), ()):
        other = index.vocabulary[other_id]
        if other != word and len(other) > 2:
            credit = (
                thresholds.KNOWN_SOUND_ALIKE_CREDIT
                if known
                else max(thresholds.SOUND_ALIKE_CREDIT, fuzz.ratio(word, other) / 100)
            )
            similar[other] = max(similar.get(other, 0.0), credit)
    return similar


def reference_weight(found: ProductMatcher, word: str, similar: dict[str, float]) -> float:
    index = found.index
    if word in index.word_id:
        return float(index.idf[index.word_id[word]])
    if similar:
        return float(index.idf[index.word_id[max(similar, key=similar.__getitem__)]])
    return index.default_idf


def reference_score(
    variant: NameVariant, similar: list[dict[str, float]], weights: list[float], text: str
) -> float:
    said_cover = sum(
        w * max((sims.get(n, 0.0) for n in variant.words), default=0.0)
        for sims, w in zip(similar, weights)
    )
    name_cover = sum(
        nw * max(sims.get(n, 0.0) for sims in similar)
        for n, nw in zip(variant.words, variant.weights)
    )
    recall = said_cover / sum(weights)
    precision = name_cover / sum(variant.weights)
    if recall == 0 or precision == 0:
        return 0.0
    beta2 = 1.5**2
    f_score = (1 + beta2) * precision * recall / (beta2 * precision + recall)
    return 0.97 * f_score + 0.03 * fuzz.ratio(text, variant.text) / 100


@pytest.fixture(scope="module")
def generated() -> ProductMatcher:
    return ProductMatcher(generated_store(), NORMALIZER)


@pytest.fixture(scope="module")
def reference(generated: ProductMatcher) -> dict[str, dict[int, float]]:
    """Each spoken query's score of every product."""
    return {q: reference_scores(generated, q) for q in spoken_queries(generated.store)}


@pytest.mark.parametrize("eager", [False, True], ids=["as tuned", "eager pruning"])
def test_ranking_equals_scoring_every_product(
    generated: ProductMatcher,
    reference: dict[str, dict[int, float]],
    eager: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eager: even this small catalog's levels are visited one by one, and variants scored one
    at a time, so that every bound is put to use."""
    if eager:
        monkeypatch.setattr(search, "VISIT_OVERHEAD", 0)
        monkeypatch.setattr(search, "FIRST_RANKED", 1)
        monkeypatch.setattr(scoring, "FIRST_SCORED", 1)
    for phrase, scores in reference.items():
        by_id = {generated.index.products[p].id: s for p, s in scores.items()}
        for limit, within in ((1, math.inf), (3, math.inf), (10, math.inf), (3, 0.06), (10, 0.2)):
            ranked = generated.rank(phrase, limit, within)
            expected = reference_rank(generated, scores, limit, within)
            assert [c.score for c in ranked] == pytest.approx(expected, abs=1e-4), phrase
            for candidate in ranked:
                assert by_id[candidate.product.id] == pytest.approx(candidate.score, abs=1e-4)


def test_close_spellings_are_those_of_a_full_comparison(generated: ProductMatcher) -> None:
    vocabulary = generated.index.vocabulary
    spelling = SpellingIndex.build(vocabulary)
    rng = random.Random(2)
    for word in rng.sample(vocabulary, 60):
        for changed in (word[1:], word + "e", word[::-1], word[:2] + "x" + word[3:]):
            expected = process.extract(
                changed, vocabulary, scorer=fuzz.ratio, score_cutoff=72, limit=8
            )
            found = spelling.similar(changed, 0.72, limit=8)
            assert [(vocabulary[i], s) for i, s in found] == [(w, s / 100) for w, s, _ in expected]


def test_saved_index_loads_the_same(tmp_path: Path) -> None:
    store = generated_store(300)
    cache = IndexCache(tmp_path, min_products=0)
    built = ProductMatcher(store, NORMALIZER, index_cache=cache)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    loaded = ProductMatcher(store, NORMALIZER, index_cache=cache)
    for name, array in built.index.arrays().items():
        np.testing.assert_array_equal(loaded.index.arrays()[name], array, err_msg=name)
    for phrase in spoken_queries(store, count=20):
        assert loaded.rank(phrase) == built.rank(phrase)


def test_small_catalogs_are_not_saved(tmp_path: Path) -> None:
    ProductMatcher(generated_store(50), NORMALIZER, index_cache=IndexCache(tmp_path))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "damage",
    [
        lambda path, other: path.write_bytes(b"not an index"),
        lambda path, other: path.write_bytes(path.read_bytes()[:-500]),
        lambda path, other: path.write_bytes(other.read_bytes()),
    ],
    ids=["garbage", "truncated", "another catalog"],
)
def test_a_bad_index_file_is_built_again(tmp_path: Path, caplog, damage) -> None:
    store, other_store = generated_store(300), generated_store(200, seed=6)
    cache = IndexCache(tmp_path, min_products=0)
    ProductMatcher(store, NORMALIZER, index_cache=cache)
    ProductMatcher(other_store, NORMALIZER, index_cache=cache)
    words = ProductMatcher(store, NORMALIZER, index_cache=cache).words
    path, other = cache.path_for(store.products, words), cache.path_for(other_store.products, words)
    damage(path, other)
    with caplog.at_level(logging.WARNING):
        rebuilt = ProductMatcher(store, NORMALIZER, index_cache=cache)
        assert "building it again" in caplog.text
        assert rebuilt.rank("organic milk")
        caplog.clear()
        ProductMatcher(store, NORMALIZER, index_cache=cache)
        assert not caplog.text


def test_an_unwritable_cache_only_warns(tmp_path: Path, caplog) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING):
        found = ProductMatcher(generated_store(300), NORMALIZER, index_cache=IndexCache(blocked, 0))
    assert "Cannot save the match index" in caplog.text
    assert found.rank("organic milk")
