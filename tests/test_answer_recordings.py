"""Short spoken answers while a question is open, through the voice loop with the recognizer
tuned to the answers (`RetuningConversation`), as `voiceshop listen` and `replay` run it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from support.accuracy_answers import ANSWERS, AnswerListener, Variant, Verdict
from support.accuracy_audio import read_mono, write_mono
from tests.test_whisper_recognizer import needs_whisper
from voiceshop.recognizer import InterimSettings, RecognizerSettings, WhisperSettings
from voiceshop.storage.database import ShopDatabase

AUDIO = Path(__file__).parent / "fixtures" / "audio"
RECORDINGS = {
    "answer_no_espeak_fast_low.wav": "no",
    "answer_sure_espeak_british_slow.wav": "sure",
    "answer_the_second_one_espeak_f3_high.wav": "the second one",
    "answer_yes_tight_piper.wav": "yes",
    "answer_yes_tight_espeak_us.wav": "yes",
    "answer_yes_tight_espeak_f3_high.wav": "yes",
}
"""Recordings of scripts/fixtures.yaml (set "answers") and the answer each says."""


TIGHT_GATE = (0.15, -0.5)
"""A no-speech gate tuned on coffee orders, which dropped one-word answers."""
TIGHT_ANSWERS = sorted(r for r in RECORDINGS if "_tight_" in r)


def _listener(tmp_path: Path, whisper: WhisperSettings) -> AnswerListener:
    quiet = RecognizerSettings(
        asr="whisper", interim=InterimSettings(draft_every_seconds=None), whisper=whisper
    )
    return AnswerListener(ShopDatabase(tmp_path / "voiceshop.db"), quiet)


@pytest.fixture(scope="module")
def listener(tmp_path_factory: pytest.TempPathFactory) -> AnswerListener:
    return _listener(tmp_path_factory.mktemp("answers"), WhisperSettings())


@pytest.fixture(scope="module")
def tight_listener(tmp_path_factory: pytest.TempPathFactory) -> AnswerListener:
    return _listener(tmp_path_factory.mktemp("tight"), WhisperSettings(no_speech_gate=TIGHT_GATE))


@pytest.mark.parametrize("recording", sorted(RECORDINGS))
@needs_whisper
def test_a_short_answer_is_understood_while_its_question_is_open(
    listener: AnswerListener, recording: str
) -> None:
    answer = next(a for a in ANSWERS if a.text == RECORDINGS[recording])

    heard, taken, _ = listener.hear(answer, AUDIO / recording, Variant.ANSWERS)

    assert taken is Verdict.UNDERSTOOD, f"{recording}: heard {heard!r}"


@pytest.mark.parametrize("recording", TIGHT_ANSWERS)
@needs_whisper
def test_a_tight_gate_does_not_drop_a_clear_one_word_answer_while_its_question_is_open(
    tight_listener: AnswerListener, recording: str
) -> None:
    """The audio clearly holds speech, so the no-speech gate keeps it (`speech_stands_out`)."""
    answer = next(a for a in ANSWERS if a.text == RECORDINGS[recording])

    heard, taken, _ = tight_listener.hear(answer, AUDIO / recording, Variant.ANSWERS)

    assert taken is Verdict.UNDERSTOOD, f"{recording}: heard {heard!r}"


SHORTEST_S = 0.45
"""A tight "yes" cut to under half a second: its word (about 0.38 s) and 35 ms either side."""


@pytest.mark.parametrize("recording", TIGHT_ANSWERS)
@needs_whisper
def test_a_tight_gate_does_not_drop_a_yes_of_under_half_a_second(
    tight_listener: AnswerListener, recording: str, tmp_path: Path
) -> None:
    samples, rate = read_mono(AUDIO / recording)
    spoken = np.flatnonzero(np.abs(samples) > 0.02)
    middle = (spoken[0] + spoken[-1]) // 2
    half = round(SHORTEST_S * rate / 2)
    short = tmp_path / recording
    write_mono(short, samples[max(0, middle - half) : middle + half], rate)
    answer = next(a for a in ANSWERS if a.text == RECORDINGS[recording])

    heard, taken, _ = tight_listener.hear(answer, short, Variant.ANSWERS)

    assert taken is Verdict.UNDERSTOOD, f"{recording} cut to {SHORTEST_S} s: heard {heard!r}"
