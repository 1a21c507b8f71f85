"""WAV files through the whole pipeline (the real Whisper recognizer, the assistant, a real
SQLite file), the way `voiceshop replay` and `voiceshop demo` run them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from voiceshop.cli.voice_commands import DEMO_DIR
from voiceshop.dialog.assistant import Assistant
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.recognizer import RecognizerSettings, load_recognizer
from voiceshop.speaker import NullSpeaker
from voiceshop.storage.database import ShopDatabase
from voiceshop.voice_loop import Heard, LoopEvent, Said, replay_files

pytestmark = pytest.mark.audio

DEMO_HEARD = [
    "add two cartons of organic whole milk and a dozen eggs",
    "the large brown eggs",
    "add a loaf of sourdough bread",
    "remove the eggs",
    "whats in my cart",
    "check out",
    "yes",
]


def words(text: str) -> str:
    return re.sub(r"[^a-z ]", "", text.lower()).strip()


def test_the_demo_conversation_ends_in_the_right_order(db_path: Path) -> None:
    events: list[LoopEvent] = []
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, "demo", "grocery")
        recognizer = load_recognizer(
            RecognizerSettings(asr="whisper"),
            store_vocabulary(assistant.store, assistant.dialog.parser),
        )
        replay_files(
            sorted(DEMO_DIR.glob("*.wav")), recognizer, assistant, NullSpeaker(), events.append
        )
        orders = db.orders("demo", "grocery")
    heard = [words(e.transcript.text) for e in events if isinstance(e, Heard)]
    assert heard == DEMO_HEARD
    said = [e.reply.text for e in events if isinstance(e, Said)]
    assert said[-1].startswith("Order 1 is placed: 3 items")
    assert len(orders) == 1
    assert {line.product_id: line.quantity for line in orders[0].lines} == {
        "organic-whole-milk": 2,
        "sourdough-bread": 1,
    }


@pytest.mark.e2e
def test_replay_reports_a_bad_file_and_goes_on(tmp_path: Path, db_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    first, second = sorted(DEMO_DIR.glob("*.wav"))[:2]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "voiceshop",
            "replay",
            str(first),
            str(bad),
            str(second),
            "--quiet",
            "--db",
            str(db_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert f"{bad} is not a WAV file" in result.stderr
    assert "Added 1 carton of Green Basket Large Brown Eggs" in result.stdout
