"""Voice conversations (tests/voice_conversations/*.yaml) replayed through the voice loop with
the embedded Whisper recognizer and the Assistant: what was understood, replied and carted."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.replay import (
    AUDIO_DIR,
    VoiceScript,
    load_scripts,
    replay_recognizer,
    replay_script,
)
from tests.test_whisper_recognizer import needs_whisper
from voiceshop.recognizer import RecognizerSettings
from voiceshop.storage.database import ShopDatabase

SCRIPTS = load_scripts()


def test_every_turn_names_a_committed_recording() -> None:
    named = {turn["wav"] for script in SCRIPTS for turn in script.turns}

    assert named
    assert sorted(name for name in named if not (AUDIO_DIR / name).is_file()) == []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
@needs_whisper
def test_voice_conversation(script: VoiceScript, db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        whisper = replay_recognizer(RecognizerSettings(asr="whisper"))
        for number, turn in enumerate(replay_script(script, db, whisper), 1):
            problems = turn.problems()
            assert not problems, f"{script.name} turn {number}, {turn.describe()}: {problems}"
