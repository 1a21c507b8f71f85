"""Real coffee orders (../shared/data/speech/coffee-dev) through the voice loop, the embedded
Whisper and the Assistant, scored as the benchmark scores them (intent and every labelled slot).

The test holds a regression floor on the share understood exactly; the goal (99% clean, issue 6)
and the per-condition figures are measured by `python -m benchmarks.accuracy`."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.accuracy_coffee import COFFEE_DEV, CoffeeListener, load_recordings
from support.replay import replay_recognizer
from tests.test_whisper_recognizer import needs_whisper
from voiceshop.recognizer import InterimSettings, RecognizerSettings, WhisperSettings
from voiceshop.storage.database import ShopDatabase

RECORDINGS = load_recordings() if (COFFEE_DEV / "labels.json").is_file() else []
WHISPER = RecognizerSettings(asr="whisper", interim=InterimSettings(draft_every_seconds=None))
"""The embedded Whisper as `voiceshop replay` runs it, without partial transcripts (which do not
change the final readings) to save time."""


@pytest.fixture(scope="module")
def listener(tmp_path_factory: pytest.TempPathFactory) -> CoffeeListener:
    db = ShopDatabase(tmp_path_factory.mktemp("coffee") / "voiceshop.db")
    return CoffeeListener(db, replay_recognizer(WHISPER))


ACCEPTANCE_FLOOR = 0.95
"""Share of clean recordings that must be understood exactly."""


@pytest.mark.skipif(
    not RECORDINGS, reason=f"the coffee recordings are absent: {COFFEE_DEV} (lives in ../shared)"
)
@needs_whisper
def test_clean_orders_are_understood_as_labelled(listener: CoffeeListener) -> None:
    misses = []
    for recording in RECORDINGS:
        understood = listener.understand(recording.path)
        if understood.slots != recording.slots:
            misses.append(
                f"{recording.path.name}: heard {understood.transcript!r}, "
                f"read {understood.slots}, labelled {recording.slots}"
            )
    accepted = 1 - len(misses) / len(RECORDINGS)

    assert accepted >= ACCEPTANCE_FLOOR, "\n".join(misses)


def test_labels_use_the_benchmark_slots() -> None:
    if not RECORDINGS:
        pytest.skip(f"the coffee recordings are absent: {COFFEE_DEV} (lives in ../shared)")
    slots = {slot for recording in RECORDINGS for slot in recording.slots}

    assert slots <= {"coffeeDrink", "size", "roast", "numberOfShots", "milkAmount", "sugarAmount"}
    assert all(Path(r.path).is_file() for r in RECORDINGS)


@pytest.mark.skipif(
    not RECORDINGS, reason=f"the coffee recordings are absent: {COFFEE_DEV} (lives in ../shared)"
)
@needs_whisper
def test_the_stock_baseline_reads_each_whole_recording_once(tmp_path: Path) -> None:
    """The accuracy report's baseline: faster-whisper's own transcribe of the whole file (no
    endpointer), one transcript per recording, then the parser."""
    stock = RecognizerSettings(
        asr="whisper",
        interim=InterimSettings(draft_every_seconds=None),
        whisper=WhisperSettings(decoding="stock"),
    )
    listener = CoffeeListener(
        ShopDatabase(tmp_path / "voiceshop.db"), replay_recognizer(stock), True
    )
    results = [(r, listener.understand(r.path)) for r in RECORDINGS[:4]]

    assert all(len(understood.latencies) == 1 for _, understood in results)
    assert sum(understood.slots == r.slots for r, understood in results) >= 3
