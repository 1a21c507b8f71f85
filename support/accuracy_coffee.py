"""The coffee-order benchmark: real recordings, their labels, and the production pipeline's reading.

Each recording is one spoken drink order, labelled with the benchmark's intent and slots
(../shared/data/speech/coffee-dev/README.md). `CoffeeListener` replays a file through the voice
loop into a fresh shopper's conversation with the bundled coffee store, exactly as at the
microphone; the order it understood is the cart it made (after a "yes" when it asked "Did you
say ...?"), read back as the benchmark's slots.

Scoring follows the benchmark: an order is accepted only when it is one drink whose every slot
equals the label, with no slot missing or extra.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from support.accuracy_audio import mix_noise, read_mono, write_mono
from support.replay import AssistantRecognizer, Exchange, replay_turn
from support.stats import percentile
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.state import ConfirmingHeard
from voiceshop.recognizer.base import Recognizer
from voiceshop.recognizer.endpoint import EndReason, Utterance
from voiceshop.recognizer.whisper_backend import WhisperRecognizer
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import CartLine

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
COFFEE_DEV = SHARED / "speech" / "coffee-dev"
KITCHEN_NOISE = SHARED / "noise" / "kitchen.wav"
STORE = "coffee"
DRINK_SLOT = "coffeeDrink"
OPTION_SLOTS = {
    "size": "size",
    "roast": "roast",
    "shots": "numberOfShots",
    "milk": "milkAmount",
    "sugar": "sugarAmount",
}
"""The coffee store's option groups, by the benchmark's slot names for them."""
INTENT_SLOT = "intent"
"""Errors where no single drink was understood are counted under this name."""


@dataclass(frozen=True)
class Recording:
    """One labelled order."""

    path: Path
    slots: dict[str, str]


@dataclass(frozen=True)
class Understanding:
    """What the pipeline made of one recording."""

    transcript: str
    asked: bool
    """The agent asked "Did you say ...?" (low confidence) before acting."""
    slots: dict[str, str] | None
    """The ordered drink as benchmark slots; None unless exactly one drink was ordered."""
    latencies: tuple[float, ...]
    """Per utterance heard: seconds to read it and answer it."""


def load_recordings(folder: Path = COFFEE_DEV) -> list[Recording]:
    """The labelled recordings, by file name; slot values trimmed as the benchmark does."""
    labels = json.loads((folder / "labels.json").read_text())
    return [
        Recording(folder / name, {slot: value.strip() for slot, value in label["slots"].items()})
        for name, label in sorted(labels.items())
    ]


SPLIT_SEED = 1403
"""The seed that splits the recordings into a tune half and a check half (`split_recordings`):
fixed, so that every figure quoted for either half is over the same files."""
SPLITS = ("tune", "check")


def split_recordings(recordings: Sequence[Recording]) -> dict[str, list[Recording]]:
    """The recordings in two fixed halves by file name: "tune", on which thresholds and levers
    are chosen, and "check", on which they are only measured."""
    names = sorted(recording.path.name for recording in recordings)
    random.Random(SPLIT_SEED).shuffle(names)
    tune = set(names[: len(names) // 2])
    return {
        "tune": [r for r in recordings if r.path.name in tune],
        "check": [r for r in recordings if r.path.name not in tune],
    }


def noisy_copies(
    recordings: Sequence[Recording], snr_db: float, seed: int, into: Path
) -> list[Recording]:
    """The recordings with kitchen noise mixed in at `snr_db`, written into `into`."""
    noise, noise_rate = read_mono(KITCHEN_NOISE)
    rng = np.random.default_rng(seed)
    copies = []
    for recording in recordings:
        speech, rate = read_mono(recording.path)
        if rate != noise_rate:
            raise ValueError(f"{recording.path}: {rate} Hz, the noise is {noise_rate} Hz")
        path = into / f"{recording.path.stem}_{snr_db:g}db.wav"
        write_mono(path, mix_noise(speech, noise, snr_db, rng), rate)
        copies.append(Recording(path, recording.slots))
    return copies


class CoffeeListener:
    """One-utterance drink orders through the voice loop and the Assistant, as at the microphone."""

    def __init__(
        self, db: ShopDatabase, recognizer_for: AssistantRecognizer, whole_file: bool = False
    ) -> None:
        self._db = db
        self._whole_file = whole_file
        self._shoppers = itertools.count(1)
        assistant = Assistant(db, "listener", STORE)
        self._store = assistant.store
        self.recognizer = recognizer_for(assistant)

    def understand(self, path: Path) -> Understanding:
        """Replay `path` to a new shopper and read back the drink it ordered."""
        assistant = Assistant(self._db, f"listener-{next(self._shoppers)}", STORE)
        if self._whole_file:
            exchanges = [whole_file_turn(path, self.recognizer, assistant)]
        else:
            exchanges = replay_turn(path, self.recognizer, assistant)
        asked = isinstance(assistant.dialog.state.pending, ConfirmingHeard)
        if asked:
            assistant.respond("yes")
        return Understanding(
            transcript=" ".join(e.transcript.text for e in exchanges),
            asked=asked,
            slots=self._order_slots(assistant.dialog.cart),
            latencies=tuple(e.latency for e in exchanges),
        )

    def _order_slots(self, cart: list[CartLine]) -> dict[str, str] | None:
        if len(cart) != 1:
            return None
        (line,) = cart
        product = self._store.product(line.product_id)
        return labelled_slots(product.name.lower() if product else line.product_id, line.options)


def whole_file_turn(path: Path, recognizer: Recognizer, assistant: Assistant) -> Exchange:
    """The whole recording read in one go, without endpointing (as a plain `transcribe` call
    on the file), and its transcript answered."""
    if not isinstance(recognizer, WhisperRecognizer):
        raise TypeError(f"whole-file reading needs Whisper, not {recognizer.name}")
    speech, _ = read_mono(path)
    pcm = np.clip(np.round(speech * 32768.0), -32768, 32767).astype("<i2").tobytes()
    transcript = recognizer.transcribe(Utterance(pcm, EndReason.END_OF_STREAM))
    started = time.perf_counter()
    reply = assistant.respond(transcript.text, transcript.confidence)
    latency = transcript.read_seconds + time.perf_counter() - started
    return Exchange(transcript, reply.text, latency)


class Latencies:
    """The median and 95th percentile of a score's `seconds`."""

    seconds: list[float]

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds) if self.seconds else 0.0

    @property
    def p95_seconds(self) -> float:
        return percentile(self.seconds, 95) or 0.0


@dataclass
class CoffeeScore(Latencies):
    """Results over one set of recordings (one noise condition)."""

    condition: str
    normalize: Callable[[str], str]
    total: int = 0
    accepted: int = 0
    asked: int = 0
    """Orders the agent asked to confirm (low confidence), right or wrong."""
    asked_right: int = 0
    """Of those, the ones it had understood right (asking was not needed)."""
    wrong_unasked: int = 0
    """Wrong orders acted on without asking: the costly errors."""
    slot_words: int = 0
    slot_words_missed: int = 0
    heard_wrong: Counter[str] = field(default_factory=Counter)
    """Slot errors where the transcript already lacks the labelled words (or adds others)."""
    read_wrong: Counter[str] = field(default_factory=Counter)
    """Slot errors where the transcript has the labelled words but the parser read them wrong."""
    seconds: list[float] = field(default_factory=list)

    def add(self, recording: Recording, understood: Understanding) -> bool:
        """Count one result; True when the order was understood exactly."""
        right = understood.slots == recording.slots
        self.total += 1
        self.accepted += right
        self.asked += understood.asked
        self.asked_right += understood.asked and right
        self.wrong_unasked += not right and not understood.asked
        self.seconds += understood.latencies
        said = self.normalize(understood.transcript).split()
        wanted = [w for value in recording.slots.values() for w in self.normalize(value).split()]
        self.slot_words += len(wanted)
        self.slot_words_missed += sum((Counter(wanted) - Counter(said)).values())
        for slot, in_transcript in self._slot_errors(recording, understood, said):
            (self.read_wrong if in_transcript else self.heard_wrong)[slot] += 1
        return right

    def _slot_errors(
        self, recording: Recording, understood: Understanding, said: list[str]
    ) -> list[tuple[str, bool]]:
        """(slot, whether the transcript agrees with the label there) for each wrong slot."""
        if understood.slots is None:
            heard_all = all(_contains(said, self.normalize(v)) for v in recording.slots.values())
            return [(INTENT_SLOT, heard_all)]
        errors = []
        for slot in sorted(recording.slots.keys() | understood.slots.keys()):
            label, read = recording.slots.get(slot), understood.slots.get(slot)
            if label == read:
                continue
            label_heard = label is None or _contains(said, self.normalize(label))
            extra_heard = (
                read is not None and label is None and _contains(said, self.normalize(read))
            )
            errors.append((slot, label_heard and not extra_heard))
        return errors

    @property
    def acceptance(self) -> float:
        return self.accepted / self.total if self.total else 0.0

    @property
    def slot_word_miss_rate(self) -> float:
        return self.slot_words_missed / self.slot_words if self.slot_words else 0.0


def labelled_slots(drink: str, options: Mapping[str, str]) -> dict[str, str]:
    """A drink and its options (by the store's group ids) as the recordings' slots."""
    return {DRINK_SLOT: drink, **{OPTION_SLOTS[group]: value for group, value in options.items()}}


def _contains(words: list[str], phrase: str) -> bool:
    """Whether `phrase`'s words occur together, in order, in `words`."""
    wanted = phrase.split()
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))
