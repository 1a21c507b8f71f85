"""Short spoken answers while a question is open, through the voice loop with the recognizer
tuned to the answers (`RetuningConversation`), as `voiceshop listen` and `replay` run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.accuracy_answers import ANSWERS, AnswerListener, Variant, Verdict
from tests.test_whisper_recognizer import needs_whisper
from voiceshop.recognizer import InterimSettings, RecognizerSettings
from voiceshop.storage.database import ShopDatabase

AUDIO = Path(__file__).parent / "fixtures" / "audio"
RECORDINGS = {
    "answer_no_espeak_fast_low.wav": "no",
    "answer_sure_espeak_british_slow.wav": "sure",
    "answer_the_second_one_espeak_f3_high.wav": "the second one",
}
"""Recordings of scripts/fixtures.yaml (set "answers") and the answer each says."""


@pytest.fixture(scope="module")
def listener(tmp_path_factory: pytest.TempPathFactory) -> AnswerListener:
    quiet = RecognizerSettings(asr="whisper", interim=InterimSettings(draft_every_seconds=None))
    db = ShopDatabase(tmp_path_factory.mktemp("answers") / "voiceshop.db")
    return AnswerListener(db, quiet)


@pytest.mark.parametrize("recording", sorted(RECORDINGS))
@needs_whisper
def test_a_short_answer_is_understood_while_its_question_is_open(
    listener: AnswerListener, recording: str
) -> None:
    answer = next(a for a in ANSWERS if a.text == RECORDINGS[recording])

    heard, taken, _ = listener.hear(answer, AUDIO / recording, Variant.ANSWERS)

    assert taken is Verdict.UNDERSTOOD, f"{recording}: heard {heard!r}"
