"""`--record-dir`: each answered utterance as a WAV and a JSON line."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from voiceshop.audio.wav import read_wav
from voiceshop.cli import main
from voiceshop.cli.voice_commands import DEMO_DIR
from voiceshop.dialog.conversation import Reply
from voiceshop.dialog.purchase import MASK
from voiceshop.errors import VoiceShopError
from voiceshop.recognizer.base import Transcript
from voiceshop.turn_recorder import JOURNAL, TurnRecorder
from voiceshop.voice_loop import Turn

SPEECH = b"\x10\x27" * 16_000
"""One second of 16 kHz audio."""


def journal(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / JOURNAL).read_text().splitlines()]


def test_a_turn_is_kept_as_a_wav_and_a_json_line(tmp_path: Path) -> None:
    recorder = TurnRecorder(tmp_path / "rec", lambda: "a.wav")
    timings = {"audio": 1.0, "read": 0.2, "respond": 0.01, "speak": 1.5}
    reply = Reply("Added.", intent="AddItems")
    recorder(Turn(SPEECH, Transcript("add milk", 0.8, ("at milk",)), reply, False, timings))

    [line] = journal(tmp_path / "rec")
    assert line["wav"] == "turn-0001.wav"
    assert (line["transcript"], line["confidence"], line["intent"]) == ("add milk", 0.8, "AddItems")
    assert (line["reply"], line["source"], line["alternatives"]) == ("Added.", "a.wav", ["at milk"])
    assert line["timings"] == timings
    assert read_wav(tmp_path / "rec" / "turn-0001.wav").pcm == SPEECH


def test_a_secret_answer_keeps_neither_words_nor_audio(tmp_path: Path) -> None:
    recorder = TurnRecorder(tmp_path)
    recorder(Turn(b"", Transcript(MASK, 0.9, ("one two three four",)), Reply("Ordered."), True))
    [line] = journal(tmp_path)
    assert line["secret"] is True
    assert line["wav"] is None
    assert line["transcript"] == MASK
    assert line["alternatives"] == []
    assert not list(tmp_path.glob("*.wav"))


def test_numbering_continues_after_the_turns_already_there(tmp_path: Path) -> None:
    for _session in range(2):
        recorder = TurnRecorder(tmp_path)
        recorder(Turn(SPEECH, Transcript("hi"), Reply("Hello.")))
    assert [line["turn"] for line in journal(tmp_path)] == [1, 2]
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == ["turn-0001.wav", "turn-0002.wav"]


def test_a_folder_that_cannot_be_written_is_refused_clearly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(VoiceShopError, match=r"--record-dir .*file.*give a folder you can write"):
        TurnRecorder(blocker / "rec")


@pytest.mark.audio
def test_replay_records_each_turn(
    tmp_path: Path, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = [DEMO_DIR / "01_add_milk_and_eggs.wav", DEMO_DIR / "05_whats_in_my_cart.wav"]
    folder = tmp_path / "rec"
    with caplog.at_level(logging.DEBUG, logger="voiceshop"):
        status = main(
            ["replay", "--quiet", "--db", str(db_path), "--record-dir", str(folder)]
            + [str(f) for f in files]
        )
    assert status == 0
    lines = journal(folder)
    assert [line["source"] for line in lines] == [str(f) for f in files]
    assert [line["intent"] for line in lines] == ["AddItems", "ReadCart"]
    assert "milk" in lines[0]["transcript"].lower()
    assert lines[0]["reply"].startswith("Added 2 cartons")
    for line, source in zip(lines, files):
        # the file's audio up to where the recognizer ended the utterance (16 kHz mono files)
        kept, whole = read_wav(folder / line["wav"]).pcm, read_wav(source).pcm
        assert whole.startswith(kept)
        assert len(kept) >= 32_000  # at least 1 s: the utterance, not a stray chunk
        assert line["timings"]["read"] > 0
        assert line["timings"]["audio"] > 0
    # --debug: each stage's decision with its time
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("recognizer: utterance of") for m in messages)
    assert any(m.startswith("parser: intent AddItems (") for m in messages)
    assert any(m.startswith("conversation: answered in") for m in messages)
    assert any(m.startswith("speaker: said the reply in") for m in messages)
