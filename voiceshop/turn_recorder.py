"""`--record-dir DIR`: every answered utterance kept as a WAV file and a line of turns.jsonl.

For bug reports, and for building test fixtures from real use. Each line of DIR/turns.jsonl:

    {"turn": 3, "time": "2026-12-03T08:15:02+00:00", "source": "mic", "wav": "turn-0003.wav",
     "transcript": "add milk", "confidence": 0.93, "alternatives": [], "intent": "AddItems",
     "reply": "Added ...", "timings": {"audio": 2.1, "read": 0.31, "respond": 0.01, ...}}

A turn that answers a question for a secret (the purchase code) keeps neither words nor audio:
"transcript" is masked, "wav" is null and "secret" is true. Numbering continues after the turns
already in DIR, so several sessions can share it.
"""

from __future__ import annotations

import json
import re
import wave
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from voiceshop.audio.types import ENGINE_FORMAT
from voiceshop.errors import VoiceShopError
from voiceshop.voice_loop import Turn

JOURNAL = "turns.jsonl"
_NUMBERED = re.compile(r"^turn-(\d+)\.wav$")


class TurnRecorder:
    """Writes each Turn into `folder`, with the intent its reply acted on; `source_of()` names
    where it came from (a file name in replay, "mic" at the microphone)."""

    def __init__(self, folder: Path, source_of: Callable[[], str] = lambda: "mic") -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / JOURNAL
            probe.touch()
        except OSError as err:
            raise VoiceShopError(
                f"--record-dir {folder}: cannot write there ({err.strerror or err}); "
                "give a folder you can write to"
            ) from err
        self.folder = folder
        self._source_of = source_of
        self._count = _last_number(folder)

    def __call__(self, turn: Turn) -> None:
        self._count += 1
        wav_name = None
        if not turn.secret and turn.audio:
            wav_name = f"turn-{self._count:04d}.wav"
            _write_wav(self.folder / wav_name, turn.audio)
        record = {
            "turn": self._count,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": self._source_of(),
            "wav": wav_name,
            "transcript": turn.transcript.text,
            "confidence": round(turn.transcript.confidence, 3),
            "alternatives": [] if turn.secret else list(turn.transcript.alternatives),
            "intent": turn.reply.intent,
            "reply": turn.reply.text,
            "timings": turn.timings,
        }
        if turn.secret:
            record["secret"] = True
        with (self.folder / JOURNAL).open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(record) + "\n")


def _write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(ENGINE_FORMAT.channels)
        wav.setsampwidth(ENGINE_FORMAT.width)
        wav.setframerate(ENGINE_FORMAT.rate)
        wav.writeframes(pcm)


def _last_number(folder: Path) -> int:
    """The highest turn number already in the folder (its WAVs or its journal), else 0."""
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := _NUMBERED.match(p.name))]
    journal = folder / JOURNAL
    for line in journal.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            numbers.append(int(json.loads(line)["turn"]))
        except (ValueError, KeyError, TypeError):
            continue
    return max(numbers, default=0)
