"""The simulated barge-in room (support/barge_in_mix.py, which benchmarks.barge_in_offline scores)
on a tiny mix: one reply with a person speaking over it and one nobody interrupts, through the
real voice loop on the audio's clock (a fake recognizer)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from support.barge_in_mix import (
    Deaf,
    Room,
    Trial,
    Utterance,
    first_stop,
    grocery_reader,
    make_trials,
    onset,
    run_trial,
    same_request,
    score,
)
from support.fakes import FeedOnlyRecognizer
from support.stats import word_error_rate, words
from voiceshop.audio.echo import BargeInSettings
from voiceshop.audio.types import Chunk
from voiceshop.recognizer.base import Transcript

AUDIO = Path(__file__).parent / "fixtures" / "audio"
RATE = 16_000


def read(name: str) -> np.ndarray:
    with wave.open(str(AUDIO / name), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), np.int16)


class HearsOnce(FeedOnlyRecognizer):
    """Says `words` once it has been fed a second of audio, then nothing."""

    def __init__(self, words: str) -> None:
        self.words = words
        self.samples = 0

    def feed(self, chunk: Chunk) -> Transcript | None:
        self.samples += len(chunk.pcm) // 2
        if self.samples >= RATE and self.words:
            words, self.words = self.words, ""
            return Transcript(words, confidence=0.9)
        return None


@pytest.fixture(scope="module")
def tiny() -> tuple[list[np.ndarray], Utterance]:
    pytest.importorskip("pywebrtc_audio")
    replies = [read("add_milk_and_eggs.wav"), read("change_the_black_beans_to_five.wav")]
    person = read("barge_in/remove_the_bananas.wav")
    return replies, Utterance("remove", "remove the bananas", person, onset(person, 0.2))


ROOM = Room(delay_ms=60, echo_db=-10, rt60_s=0.2, seed=1)


def spoken_trial(person: Utterance) -> Trial:
    """The person speaking 1.5 s into reply 0, in a small room with a clear echo."""
    return Trial(0, reply=0, warmup=1, room=ROOM, person=person, offset_s=1.5, person_db=-6)


def test_the_speech_onset_is_after_the_lead_and_where_the_speech_starts() -> None:
    samples = np.zeros(RATE, np.int16)
    samples[100:200] = 50  # a faint click inside the lead is not the speech
    samples[8000:12000] = 8000
    assert onset(samples, 0.2) == 8000


def test_an_interruption_is_detected_heard_and_timed_and_a_quiet_reply_plays_out(
    tiny: tuple[list[np.ndarray], Utterance],
) -> None:
    replies, person = tiny
    spoken = spoken_trial(person)
    quiet = Trial(1, reply=0, warmup=1, room=ROOM, person=None)
    settings = BargeInSettings(enabled=True)
    interrupted = run_trial(spoken, replies, settings, HearsOnce("Remove the bananas."))
    played_out = run_trial(quiet, replies, settings, Deaf())

    assert interrupted.detected and not interrupted.false_stop
    assert interrupted.stop_ms is not None and 0 < interrupted.stop_ms < 500
    assert interrupted.understood
    assert played_out.stopped_at is None and not played_out.false_stop
    # replaying the frames the detector saw decides as the loop did
    assert first_stop(interrupted.frames, settings) == interrupted.stopped_at
    result = score([interrupted, played_out])
    assert (result.detected, result.understood, result.false_stops) == (1, 1, 0)
    assert (result.interruptions, result.quiet) == (1, 1)


def test_words_heard_wrong_are_not_understood(tiny: tuple[list[np.ndarray], Utterance]) -> None:
    replies, person = tiny
    trial = spoken_trial(person)
    outcome = run_trial(trial, replies, BargeInSettings(enabled=True), HearsOnce("add bananas"))
    assert outcome.detected and not outcome.understood


def test_trials_split_the_people_by_name_into_tune_and_check(
    tiny: tuple[list[np.ndarray], Utterance],
) -> None:
    replies, person = tiny
    people = [Utterance(f"p{i}", "words", person.samples, person.onset) for i in range(6)]
    trials = make_trials(people, replies, interruptions=12, quiet=6, seed=3)
    by_person: dict[str, set[str]] = {}
    for trial in trials:
        if trial.person is not None:
            by_person.setdefault(trial.person.name, set()).add(trial.split)
    assert all(len(splits) == 1 for splits in by_person.values())
    assert sorted(s for (s,) in by_person.values()) == ["check"] * 3 + ["tune"] * 3
    quiet = [t.split for t in trials if t.person is None]
    assert sorted(quiet) == ["check"] * 3 + ["tune"] * 3
    assert trials == make_trials(people, replies, interruptions=12, quiet=6, seed=3)


def test_words_are_compared_in_normal_form_so_punctuation_case_and_digits_do_not_count() -> None:
    assert word_error_rate(words("yes please"), words("Yes, please.")) == 0
    assert word_error_rate(words("one two three four"), words("1-2-3-4.")) == 0
    assert word_error_rate(words("the large brown eggs"), words("Orange brown eggs.")) == 0.5
    with pytest.raises(TypeError, match="lists of words"):
        word_error_rate("sure", "Sure.")


def test_the_reply_before_a_trial_heard_the_same_room_with_its_echo_a_little_moved() -> None:
    from support.barge_in_mix import DELAY_CHANGE_MS

    rooms = [Room(80.0, -10.0, 0.2, seed) for seed in range(40)]
    before = [room.heard_before() for room in rooms]
    changes = [b.delay_ms - r.delay_ms for b, r in zip(before, rooms, strict=True)]
    assert all(abs(c) <= DELAY_CHANGE_MS for c in changes)
    assert min(changes) < -DELAY_CHANGE_MS / 2 and max(changes) > DELAY_CHANGE_MS / 2
    assert [b.echo_db for b in before] == [r.echo_db for r in rooms]
    assert before == [room.heard_before() for room in rooms]  # the same on every run


def test_a_transcript_counts_as_the_same_request_only_when_the_parser_reads_it_alike() -> None:
    reader = grocery_reader()
    assert same_request("take the spaghetti out", "Take this spaghetti out.", reader)
    assert same_request("stop", "Stop.", reader)
    assert same_request("add two apples", "Add 2 apples,", reader)
    assert not same_request("take the spaghetti out", "This will get me out.", reader)
    assert not same_request("the large brown eggs", "Orange brown eggs.", reader)
    assert not same_request("no make it three", "Go, make it free.", reader)
    assert not same_request("add two apples", "", reader)
    # what the parser does not read as a request is left to the words
    assert reader("um") is None and not same_request("um", "um", reader)


def test_the_score_counts_same_requests_beside_the_words(
    tiny: tuple[list[np.ndarray], Utterance],
) -> None:
    replies, person = tiny
    trial = spoken_trial(person)
    settings = BargeInSettings(enabled=True)
    outcome = run_trial(trial, replies, settings, HearsOnce("Remove this bananas, please now."))
    assert outcome.detected and not outcome.understood
    result = score([outcome], grocery_reader())
    assert (result.understood, result.understood_request) == (0, 1)
    assert score([outcome]).understood_request is None
