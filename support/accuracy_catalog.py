"""Long product names from a big catalog: real Instacart names said inside order sentences.

Two fixed-seed samples of multi-word names from ../shared/data/catalog/products.csv, a tune
sample (the seed given) and a check sample (CHECK_SEED_OFFSET further, no name of the tune
sample), are put into order sentences and synthesised with several voices, speeds and pitches
(Piper joe and espeak-ng, through scripts/make_fixtures.py), clean and with kitchen noise. Each
utterance goes through the recognizer tuned to the imported catalog's vocabulary, the intent
parser and the product matcher over all names, as `voiceshop understand` does, and is scored on
the product it names. When the agent would ask, the choices are those the dialog offers
(`ProductMatcher.widened`), also for a phrase that names no product well enough but has close
names, and the one product that two items said with "and" between them may name
(`ProductMatcher.together`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import numpy as np

from support.accuracy_audio import RATE, Voice, noisy_copies, write_mono
from support.accuracy_coffee import SHARED, Latencies
from support.stats import word_errors
from voiceshop.audio.wav import wav_chunks
from voiceshop.catalog.instacart import read_instacart
from voiceshop.catalog.model import Product, Store
from voiceshop.dialog.adding import one_product_for
from voiceshop.dialog.core import DialogSettings
from voiceshop.intents.model import ItemRequest
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import MatchOutcome, ProductMatcher
from voiceshop.recognizer import RecognizerSettings, load_recognizer
from voiceshop.recognizer.base import join_transcripts

PRODUCTS = SHARED / "catalog" / "products.csv"
LEAD_S, TRAIL_S = 0.3, 0.7
NAME_WORDS = (3, 8)
"""Names with this many words (in normal form), inclusive: the long ones."""
SENTENCES = (
    "add {count} {name}",
    "can I get {count} {name}",
    "I need {count} {name}",
    "put {count} {name} in my cart",
    "I'd like {count} {name}",
)
COUNTS = ("a", "two", "a", "three")
VOICES = (
    Voice("piper:joe"),
    Voice("espeak:en-us+f2", 1.0, 62),
    Voice("piper:joe", 1.25),
    Voice("espeak:en-us+klatt", 0.9, 40),
    Voice("piper:joe", 0.85),
    Voice("espeak:en-gb-x-rp"),
)
"""The voices in turn; Piper's are left out when piper-tts is not installed."""
CHECK_SEED_OFFSET = 1000
"""The check sample is drawn with the tune sample's seed plus this."""


class Outcome(StrEnum):
    """What the agent would do with one utterance."""

    RIGHT = "right product, confident"
    CHECKED_RIGHT = 'right product after "did you say ...?"'
    OFFERED = "asked, right one among the choices"
    ASKED_WRONG = "asked, right one not offered"
    CHECKED_WRONG = 'wrong product after "did you say ...?"'
    CONFIDENT_WRONG = "wrong product, confident"
    NOT_FOUND = "nothing found or not understood"


_CHECKED = {Outcome.RIGHT: Outcome.CHECKED_RIGHT, Outcome.CONFIDENT_WRONG: Outcome.CHECKED_WRONG}
"""What a product added without a question becomes when "Did you say ...?" comes first."""


@dataclass(frozen=True)
class Utterance:
    """One synthesised order of one catalog product."""

    text: str
    product_name: str
    voice: Voice
    path: Path


@dataclass
class CatalogScore(Latencies):
    """Results over one set of utterances (one noise condition)."""

    condition: str
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    word_errors: int = 0
    reference_words: int = 0
    seconds: list[float] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    def share(self, *outcomes: Outcome) -> float:
        return sum(self.outcomes[o] for o in outcomes) / self.total if self.total else 0.0

    @property
    def word_error_rate(self) -> float:
        return self.word_errors / self.reference_words if self.reference_words else 0.0


def load_catalog(path: Path = PRODUCTS) -> Store:
    return read_instacart(path, store_id="instacart", name="Instacart")


def sample_names(
    store: Store,
    count: int,
    seed: int,
    normalize: Callable[[str], str],
    leave_out: Set[str] = frozenset(),
) -> list[str]:
    """`count` distinct long product names, drawn with a fixed seed, none of `leave_out`."""
    low, high = NAME_WORDS
    names = sorted(
        {p.name for p in store.products if low <= len(normalize(p.name).split()) <= high}
        - leave_out
    )
    picks = np.random.default_rng(seed).choice(
        len(names), size=min(count, len(names)), replace=False
    )
    return [names[i] for i in sorted(picks)]


def synthesize_utterances(names: Sequence[str], into: Path) -> list[Utterance]:
    """Each name in an order sentence, in turn through the sentences, counts and voices."""
    voices = [v for v in VOICES if v.available]
    utterances = []
    for n, name in enumerate(names):
        count = COUNTS[n % len(COUNTS)]
        if count == "a" and name[:1].lower() in "aeiou":
            count = "an"
        text = SENTENCES[n % len(SENTENCES)].format(count=count, name=name)
        voice = voices[n % len(voices)]
        path = into / f"name_{n:03d}.wav"
        write_mono(path, voice.say(text, LEAD_S, TRAIL_S), RATE)
        utterances.append(Utterance(text, name, voice, path))
    return utterances


def noisy_utterances(
    utterances: Sequence[Utterance], noise_path: Path, snr_db: float, seed: int, into: Path
) -> list[Utterance]:
    """The utterances with noise mixed in at `snr_db` (the coffee benchmark's rule)."""
    copies = noisy_copies([u.path for u in utterances], noise_path, snr_db, seed, into)
    return [replace(u, path=copy) for u, copy in zip(utterances, copies, strict=True)]


class CatalogListener:
    """Recognizer, parser and matcher for one big catalog, as `voiceshop understand` runs them."""

    def __init__(
        self,
        store: Store,
        settings: RecognizerSettings,
        confirm_below: float = DialogSettings().confirm_below,
    ) -> None:
        self.confirm_below = confirm_below
        """Below this confidence the agent asks "Did you say ...?" first."""
        self.normalizer = Normalizer(load_language())
        self.matcher = ProductMatcher(store, self.normalizer)
        self.parser = IntentParser(store, products=self.matcher)
        self.recognizer = load_recognizer(settings, store_vocabulary(store, self.parser))

    def score(
        self,
        utterances: Sequence[Utterance],
        condition: str,
        on_miss: Callable[[str], None] | None = None,
    ) -> CatalogScore:
        """Each utterance's outcome; `on_miss` gets a line for each that is not RIGHT."""
        result = CatalogScore(condition)
        for utterance in utterances:
            started = time.perf_counter()
            transcript, confidence = self._transcribe(utterance.path)
            outcome = self._outcome(transcript, utterance.product_name)
            if confidence < self.confirm_below:
                outcome = _CHECKED.get(outcome, outcome)
            result.seconds.append(time.perf_counter() - started)
            result.outcomes[outcome] += 1
            if on_miss and outcome is not Outcome.RIGHT:
                on_miss(
                    f"[{condition}] {utterance.text!r} ({utterance.voice.label})"
                    f" heard {transcript!r} (confidence {confidence:.2f}): {outcome.value}"
                )
            said = self.normalizer.normalize(utterance.text).split()
            result.word_errors += word_errors(said, transcript.split())
            result.reference_words += len(said)
        return result

    def _transcribe(self, path: Path) -> tuple[str, float]:
        """The normalized transcript and its confidence (the lowest piece's, as
        `join_transcripts` gives it; 0 when nothing was heard)."""
        self.recognizer.reset()
        heard = [t for chunk in wav_chunks(path) if (t := self.recognizer.feed(chunk))]
        final = self.recognizer.flush()
        heard += [final] if final else []
        joined = join_transcripts(heard)
        if joined is None:
            return "", 0.0
        return self.normalizer.normalize(joined.text), joined.confidence

    def _outcome(self, transcript: str, wanted: str) -> Outcome:
        intent = self.parser.parse(transcript)
        if intent is None or not intent.items:
            return Outcome.NOT_FOUND
        result = self.matcher.widened(self.matcher.match(intent.items[0].phrase))
        wanted_words = self.normalizer.normalize(wanted)
        found = [
            self.normalizer.normalize(c.product.name) == wanted_words for c in result.candidates
        ]
        together = self._said_together(intent.items)
        if together is not None:
            one = self.normalizer.normalize(together.name) == wanted_words
            apart = result.outcome is MatchOutcome.CONFIDENT and found[0]
            return Outcome.OFFERED if one or apart else Outcome.ASKED_WRONG
        if result.outcome is MatchOutcome.CONFIDENT:
            return Outcome.RIGHT if found[0] else Outcome.CONFIDENT_WRONG
        if result.candidates:
            return Outcome.OFFERED if any(found) else Outcome.ASKED_WRONG
        return Outcome.NOT_FOUND

    def _said_together(self, items: Sequence[ItemRequest]) -> Product | None:
        """The one product the first two items may name together, which the dialog asks about
        (one item, or separate items?); None when it would not ask."""
        return one_product_for(self.matcher, *items[:2]) if len(items) > 1 else None
