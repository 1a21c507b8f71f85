"""French speech at Épicerie Verte: what French shoppers say, by synthetic French voices.

The requests of benchmarks/french_requests.yaml (adding with counts and units, questions,
choices, oui/non) are said by each voice of `VOICES` (espeak-ng French at several paces and
pitches), clean and with kitchen noise mixed the coffee benchmark's way. Each utterance goes
through the French recognizer, the French intent parser and the product matcher of the
`epicerie` store, as `voiceshop understand --language fr` runs them, and is scored on its
intent and on the product it names. The requests are split into a tune half (where levers
are chosen) and a check half (where they are only measured) by `FRENCH_SPLIT_SEED`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import yaml

from support.accuracy_audio import RATE, Voice, noisy_copies, write_mono
from support.accuracy_coffee import Latencies
from voiceshop.audio.wav import wav_chunks
from voiceshop.catalog.model import Store
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.language import Normalizer, load_language
from voiceshop.matching import ProductMatcher
from voiceshop.recognizer import Recognizer, RecognizerSettings, load_recognizer
from voiceshop.storage.stores import open_store

REQUESTS = Path(__file__).resolve().parents[1] / "benchmarks" / "french_requests.yaml"
STORE = "epicerie"
LANGUAGE = "fr"
FRENCH_SPLIT_SEED = 1789
"""The seed that splits the requests into tune and check halves (`split_requests`)."""
VOICES = (
    Voice("espeak:fr-fr", 0.9),
    Voice("espeak:fr-be", 1.1, 35),
)
"""Each request is said by every voice: espeak-ng's French at 158 words a minute and its
Belgian French at 192, at a low pitch."""
LEAD_S, TRAIL_S = 0.3, 0.7
NUMBER_WORDS = ("un", "une", "deux", "trois", "quatre", "cinq", "six", "douze", "litres")
NUMBER_WORDS += ("bouteilles", "paquets", "kilo")
"""Listed before the store's words by the prompt lever `PromptWords.NUMBERS` (not chosen: on
the tune half it understood fewer products than the written names alone)."""


class PromptWords(StrEnum):
    """How the recognizer's prompt lists the store's words."""

    NORMAL = "normal form"
    WRITTEN = "as written"
    NUMBERS = "as written, after the number words"


def prompt_phrases(store: Store, prompt: PromptWords) -> tuple[str, ...]:
    """The phrases the prompt lists (`Vocabulary.written`; empty: the normal forms)."""
    if prompt is PromptWords.NORMAL:
        return ()
    said = [s.lower() for p in store.products for s in (p.name, *p.aliases)]
    numbers = list(NUMBER_WORDS) if prompt is PromptWords.NUMBERS else []
    return tuple(dict.fromkeys([*numbers, *said]))


@dataclass(frozen=True)
class Request:
    """One labelled French request."""

    say: str
    intent: str
    product: str | None
    """The product id it names, or None when it names none (or several would fit)."""


@dataclass(frozen=True)
class FrenchUtterance:
    """One request said by one voice, in one noise condition."""

    request: Request
    voice: Voice
    path: Path


@dataclass
class FrenchScore(Latencies):
    """Intent and product accuracy over one half in one noise condition."""

    split: str
    condition: str
    utterances: int = 0
    intents_right: int = 0
    products_expected: int = 0
    products_right: int = 0
    seconds: list[float] = field(default_factory=list)

    @property
    def intent_share(self) -> float:
        return self.intents_right / self.utterances if self.utterances else 0.0

    @property
    def product_share(self) -> float:
        return self.products_right / self.products_expected if self.products_expected else 0.0


def load_requests(path: Path = REQUESTS) -> list[Request]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["requests"]
    return [Request(e["say"], e["intent"], e.get("product")) for e in entries]


def split_requests(requests: Sequence[Request]) -> dict[str, list[Request]]:
    """The requests in two fixed halves by their words: "tune" and "check"."""
    said = sorted(r.say for r in requests)
    random.Random(FRENCH_SPLIT_SEED).shuffle(said)
    tune = set(said[: len(said) // 2])
    return {
        "tune": [r for r in requests if r.say in tune],
        "check": [r for r in requests if r.say not in tune],
    }


def synthesize_requests(requests: Sequence[Request], into: Path) -> list[FrenchUtterance]:
    """Every request said by every available voice, kept in `into` between runs under a name
    made of the words and the voice."""
    into.mkdir(parents=True, exist_ok=True)
    utterances = []
    for request in requests:
        for voice in (v for v in VOICES if v.available):
            key = hashlib.sha256(f"{voice.label}|{request.say}".encode()).hexdigest()[:16]
            path = into / f"fr_{key}.wav"
            if not path.is_file():
                write_mono(path, voice.say(request.say, LEAD_S, TRAIL_S), RATE)
            utterances.append(FrenchUtterance(request, voice, path))
    return utterances


def noisy_requests(
    utterances: Sequence[FrenchUtterance], noise_path: Path, snr_db: float, seed: int, into: Path
) -> list[FrenchUtterance]:
    """The utterances with noise mixed in at `snr_db` (the coffee benchmark's rule)."""
    paths = [u.path for u in utterances]
    copies = noisy_copies(paths, noise_path, snr_db, seed, into, f"_seed{seed}")
    return [replace(u, path=copy) for u, copy in zip(utterances, copies, strict=True)]


class Readings:
    """Transcripts and decoding times of one variant, kept in a JSON file between runs (and
    between processes running other variants), keyed by the audio file's name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known = self._stored()

    def _stored(self) -> dict[str, tuple[str, float]]:
        if not self.path.is_file():
            return {}
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        return {name: (text, seconds) for name, (text, seconds) in raw.items()}

    def save(self) -> None:
        """Write the readings, with those another process wrote meanwhile."""
        self.known = {**self._stored(), **self.known}
        scratch = self.path.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps(self.known, ensure_ascii=False, indent=0))
        scratch.replace(self.path)


def readings_for(folder: Path, settings: RecognizerSettings, prompt: PromptWords) -> Readings:
    """The readings kept for exactly these settings and prompt (any prompt words alike when
    the settings send no prompt)."""
    listed = prompt if settings.whisper.prompt_token_limit else PromptWords.NORMAL
    key = hashlib.sha256(f"{settings!r}|{listed.name}".encode()).hexdigest()[:16]
    return Readings(folder / f"readings-{key}.json")


class FrenchListener:
    """The French recognizer, parser and matcher of the epicerie store."""

    def __init__(
        self, settings: RecognizerSettings, prompt: PromptWords, readings: Readings
    ) -> None:
        self.readings = readings
        self._settings = settings
        self._recognizer: Recognizer | None = None
        store = open_store(STORE, None)
        self.normalizer = Normalizer(load_language(LANGUAGE))
        self.matcher = ProductMatcher(store, self.normalizer)
        self.parser = IntentParser(store, LANGUAGE, products=self.matcher)
        vocabulary = store_vocabulary(store, self.parser, self.matcher)
        self._vocabulary = replace(vocabulary, written=prompt_phrases(store, prompt))

    def score(
        self,
        utterances: Sequence[FrenchUtterance],
        split: str,
        condition: str,
        on_miss: Callable[[str], None] | None = None,
    ) -> FrenchScore:
        result = FrenchScore(split, condition)
        for utterance in utterances:
            transcript, seconds = self._read(utterance.path)
            started = time.perf_counter()
            intent, product = self._understood(transcript)
            result.seconds.append(seconds + time.perf_counter() - started)
            wanted = utterance.request
            right = intent == wanted.intent
            result.utterances += 1
            result.intents_right += right
            if wanted.product is not None:
                result.products_expected += 1
                result.products_right += right and product == wanted.product
            if on_miss and not (right and product == wanted.product):
                on_miss(
                    f"[fr {split} {condition}] {wanted.say!r} ({utterance.voice.label}) heard "
                    f"{transcript!r}: {intent} {product}"
                )
        return result

    def _read(self, path: Path) -> tuple[str, float]:
        """The transcript of `path` and the time it took, decoded once per variant."""
        if path.name not in self.readings.known:
            started = time.perf_counter()
            transcript = self._transcribe(path)
            self.readings.known[path.name] = (transcript, time.perf_counter() - started)
            self.readings.save()
        return self.readings.known[path.name]

    def _transcribe(self, path: Path) -> str:
        if self._recognizer is None:
            self._recognizer = load_recognizer(self._settings, self._vocabulary)
        recognizer = self._recognizer
        recognizer.reset()
        texts = [t.text for chunk in wav_chunks(path) if (t := recognizer.feed(chunk))]
        final = recognizer.flush()
        texts += [final.text] if final else []
        return " ".join(texts).strip()

    def _understood(self, transcript: str) -> tuple[str | None, str | None]:
        """The intent's name and the id of the best product for what it names (None if none)."""
        intent = self.parser.parse(transcript)
        if intent is None:
            return None, None
        phrase = intent.items[0].phrase if intent.items else intent.product
        best = self.matcher.match(phrase).best if phrase else None
        return intent.name, best.product.id if best else None
