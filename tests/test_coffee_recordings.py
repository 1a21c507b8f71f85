"""Real coffee orders (../shared/data/speech/coffee-dev) through the voice loop, the embedded
Whisper and the Assistant: every clean recording's order is understood exactly as labelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.accuracy_coffee import COFFEE_DEV, CoffeeListener, Recording, load_recordings
from benchmarks.accuracy_scripts import replay_recognizer
from tests.test_whisper_recognizer import needs_whisper
from voiceshop.recognizer import InterimSettings, RecognizerSettings
from voiceshop.storage.database import ShopDatabase

RECORDINGS = load_recordings() if (COFFEE_DEV / "labels.json").is_file() else []
WHISPER = RecognizerSettings(asr="whisper", interim=InterimSettings(draft_every_seconds=None))
"""The embedded Whisper as `voiceshop replay` runs it, without partial transcripts (which do not
change the final readings) to save time."""


@pytest.fixture(scope="module")
def listener(tmp_path_factory: pytest.TempPathFactory) -> CoffeeListener:
    db = ShopDatabase(tmp_path_factory.mktemp("coffee") / "voiceshop.db")
    return CoffeeListener(db, replay_recognizer(WHISPER))


@pytest.mark.skipif(
    not RECORDINGS, reason=f"the coffee recordings are absent: {COFFEE_DEV} (lives in ../shared)"
)
@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda r: r.path.stem[:8])
@needs_whisper
def test_order_is_understood_as_labelled(listener: CoffeeListener, recording: Recording) -> None:
    understood = listener.understand(recording.path)

    assert understood.slots == recording.slots, f"heard {understood.transcript!r}"


def test_labels_use_the_benchmark_slots() -> None:
    if not RECORDINGS:
        pytest.skip(f"the coffee recordings are absent: {COFFEE_DEV} (lives in ../shared)")
    slots = {slot for recording in RECORDINGS for slot in recording.slots}

    assert slots <= {"coffeeDrink", "size", "roast", "numberOfShots", "milkAmount", "sugarAmount"}
    assert all(Path(r.path).is_file() for r in RECORDINGS)
