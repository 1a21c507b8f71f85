"""A purchase code said aloud: recordings of scripts/fixtures.yaml (set "codes") replayed with
`voiceshop replay` through the default recognizer after "check out" and "yes". The right code
places the order, a wrong one places nothing (three lock purchasing), and what was said is
shown as `••••`: in no transcript line, log record or `--say-to` reply is the code."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tests.test_speaker import needs_espeak
from tests.test_whisper_recognizer import needs_whisper
from voiceshop.cli.main import main
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.conversation import Reply
from voiceshop.dialog.purchase import MASK, spoken_code
from voiceshop.intents.answers import Question
from voiceshop.recognizer import Recognizer, RecognizerSettings, load_recognizer
from voiceshop.recognizer.models import embedded_whisper_model
from voiceshop.rescoring.protocol import Vocabulary
from voiceshop.retuning import RetuningConversation, vocabulary_for
from voiceshop.speaker import NullSpeaker
from voiceshop.storage.database import ShopDatabase
from voiceshop.voice_loop import Heard, LoopEvent, replay_files

AUDIO = Path(__file__).parent / "fixtures" / "audio"
CHECK_OUT = AUDIO / "check_out_44k_stereo.wav"
YES = AUDIO / "yes_please_klatt.wav"
CODE = "1234"
RIGHT = ["code_one_two_three_four.wav", "code_twelve_thirty_four_espeak_f3.wav"]
WRONG = AUDIO / "code_wrong_five_six_seven_eight_british.wav"
SAID = re.compile(r"1\D{0,3}2\D{0,3}3\D{0,3}4|one\W+two|twelve|thirty", re.IGNORECASE)
"""The code 1234 as a transcript or a reply could hold it: "1234", "1, 2, 3, 4", "12:34",
"one two", "twelve thirty-four"."""
WRONG_SAID = re.compile(r"5\D{0,3}6\D{0,3}7\D{0,3}8|five|six|seven|eight", re.IGNORECASE)


def _shop_with_code(db_path: Path) -> None:
    """The default user has the code and two lemons in the grocery cart."""
    with ShopDatabase(db_path) as db:
        db.set_purchase_code("default", CODE)
        Assistant(db, store="grocery", interface="chat").respond("add two lemons")


def _replay(db_path: Path, files: list[Path], *options: str) -> int:
    base = ["replay", "--db", str(db_path), "--store", "grocery", "--quiet", *options]
    return main([*base, *map(str, files)])


def _transcribe(path: Path) -> str:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(embedded_whisper_model()), device="cpu", compute_type="int8")
    return " ".join(segment.text for segment in model.transcribe(str(path))[0])


@pytest.mark.parametrize("recording", RIGHT)
@needs_whisper
@needs_espeak
def test_the_spoken_code_places_the_order_and_is_shown_nowhere(
    recording: str,
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _shop_with_code(db_path)
    say_to = tmp_path / "replies"
    caplog.set_level(logging.DEBUG)

    status = _replay(db_path, [CHECK_OUT, YES, AUDIO / recording], "--say-to", str(say_to))

    out = capsys.readouterr()
    assert status == 0, out
    assert "voiceshop: Please say your purchase code." in out.out
    assert f"you: {MASK}" in out.out
    assert re.search(r"voiceshop: Order 1 is placed", out.out), out.out
    assert not SAID.search(out.out + out.err), out
    assert not SAID.search(caplog.text)
    with ShopDatabase(db_path) as db:
        [order] = db.orders("default")
        assert (order.interface, order.code_given) == ("replay", True)
        assert db.cart("default", "grocery") == []
    replies = sorted(say_to.glob("*.wav"))
    assert len(replies) == 3
    spoken = [_transcribe(reply) for reply in replies]
    assert "purchase code" in spoken[1].lower(), spoken
    assert not any(SAID.search(text) for text in spoken), spoken


@needs_whisper
def test_a_wrong_spoken_code_places_nothing_and_three_lock_purchasing(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _shop_with_code(db_path)
    with ShopDatabase(db_path) as db:
        cart = db.cart("default", "grocery")

    status = _replay(db_path, [CHECK_OUT, YES, WRONG, WRONG, WRONG, CHECK_OUT, YES])

    out = capsys.readouterr().out
    assert status == 0, out
    assert out.count("That code isn't right. Please say your purchase code again.") == 2
    assert "locked for 15 minutes" in out
    assert out.count(f"you: {MASK}") == 3
    assert not WRONG_SAID.search(out), out
    assert out.splitlines()[-1].startswith("voiceshop: Purchasing is locked for now"), out
    with ShopDatabase(db_path) as db:
        assert db.orders("default") == []
        assert db.cart("default", "grocery") == cart
        assert db.purchasing_locked("default")


class _Spy:
    """The conversation as the voice loop drives it, noting each text it is told, whether the
    code was being asked for, and the phrases the recognizer was listening for meanwhile."""

    def __init__(self, conversation: RetuningConversation, recognizer: Recognizer) -> None:
        self.conversation = conversation
        self.told: list[tuple[str, bool, tuple[str, ...]]] = []
        self._phrases: tuple[str, ...] = ()
        tune = recognizer.set_vocabulary

        def noting(vocabulary: Vocabulary) -> None:
            self._phrases = vocabulary.phrases
            tune(vocabulary)

        recognizer.set_vocabulary = noting  # type: ignore[method-assign]

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        question = self.conversation.assistant.open_question()
        asked = question is not None and question.kind is Question.CODE
        self.told.append((text, asked, self._phrases))
        return self.conversation.respond(text, confidence)


@needs_whisper
def test_the_recognizer_listens_for_digits_while_the_code_is_asked(db_path: Path) -> None:
    _shop_with_code(db_path)
    heard: list[str] = []

    def on_event(event: LoopEvent) -> None:
        if isinstance(event, Heard):
            heard.append(event.transcript.text)

    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, store="grocery", interface="replay")
        recognizer = load_recognizer(RecognizerSettings(), vocabulary_for(assistant))
        spy = _Spy(RetuningConversation(assistant, recognizer), recognizer)

        replay_files([CHECK_OUT, YES, AUDIO / RIGHT[0]], recognizer, spy, NullSpeaker(), on_event)

        assert [asked for _, asked, _ in spy.told] == [False, False, True]
        said, _, phrases = spy.told[-1]
        assert spoken_code(said, assistant.dialog.parser.normalizer) == CODE
        assert phrases[:11] == (
            "zero",
            "oh",
            *["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
        )
        assert heard[:2] != [MASK, MASK] and heard[2] == MASK
        assert len(db.orders("default")) == 1
