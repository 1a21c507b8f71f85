"""Speakers: pyttsx3 synthesis to WAV files, repeated replies (pitfall P7), print fallbacks."""

from __future__ import annotations

import ctypes.util
import dataclasses
import logging
import time
import wave
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

from voiceshop.errors import AudioDeviceError, EngineUnavailableError
from voiceshop.language import load_language
from voiceshop.speaker import (
    NullSpeaker,
    PrintSpeaker,
    Pyttsx3Speaker,
    SpeakerSettings,
    load_speaker,
)
from voiceshop.speaker.playback import Sound
from voiceshop.speaker.reading import Reading
from voiceshop.speaker.sentences import sentences

needs_espeak = pytest.mark.skipif(
    ctypes.util.find_library("espeak-ng") is None,
    reason="espeak-ng is not installed: sudo apt-get install espeak-ng",
)

FAKE_WORKER = Path(__file__).with_name("fake_tts_worker.py")
REPLIES = [
    "Added 2 cartons of Horizon Organic Whole Milk. That's 2 items, $12.98. Did you mean Green "
    "Basket Large White Eggs, Green Basket Large Brown Eggs or Eggland's Best Organic Brown Eggs?",
    "Your cart has milk and a dozen eggs.",
    "Shall I place the order?",
    "Your order is placed. Goodbye!",
    "Sorry, I didn't catch that.",
]


class NoOutputDevice:
    """A player on a machine without a sound card."""

    def play(self, sounds: Iterable[Sound]) -> float | None:
        raise AudioDeviceError("No output device (no sound card or audio server)")


def wav_stats(path: Path) -> tuple[int, float, float]:
    """Sample rate, duration (s) and peak level (0..1) of a mono 16-bit WAV."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), np.int16)
        return wav.getframerate(), len(samples) / wav.getframerate(), np.abs(samples).max() / 32768


def test_print_speaker_prints_the_reply(capsys: pytest.CaptureFixture[str]) -> None:
    PrintSpeaker().say("Your cart is empty.")
    assert capsys.readouterr().out == "voiceshop: Your cart is empty.\n"


@needs_espeak
def test_say_to_keeps_every_reply_as_a_numbered_non_silent_wav(tmp_path: Path) -> None:
    speaker = Pyttsx3Speaker(SpeakerSettings(say_to=tmp_path, play=False, timeout_s=5.0))
    started = time.monotonic()
    for reply in REPLIES:
        speaker.say(reply)
    elapsed = time.monotonic() - started
    speaker.close()

    files = sorted(tmp_path.glob("*.wav"))
    assert [f.name for f in files] == [f"reply-{n:03d}.wav" for n in range(1, 6)]
    for path in files:
        rate, seconds, peak = wav_stats(path)
        assert rate >= 16_000
        assert 0.8 < seconds < 15.0
        assert peak > 0.1
    assert elapsed < 5 * 2.0, "each reply must synthesise quickly, also the later ones (P7)"


@needs_espeak
def test_numbering_continues_after_earlier_replies(tmp_path: Path) -> None:
    (tmp_path / "reply-007.wav").write_bytes(b"")
    speaker = Pyttsx3Speaker(SpeakerSettings(say_to=tmp_path, play=False))
    speaker.say("Hello again.")
    assert (tmp_path / "reply-008.wav").stat().st_size > 1000


@needs_espeak
def test_rate_and_voice_change_the_audio(tmp_path: Path) -> None:
    def duration(settings: SpeakerSettings) -> float:
        # A loaded machine may take longer than the default 10 s to start the engine; this
        # test is about the audio, not the hang guard.
        Pyttsx3Speaker(dataclasses.replace(settings, timeout_s=60)).say(REPLIES[0])
        return wav_stats(next(settings.say_to.glob("*.wav")))[1]  # type: ignore[union-attr]

    slow = duration(SpeakerSettings(rate=120, say_to=tmp_path / "slow", play=False))
    fast = duration(SpeakerSettings(rate=240, say_to=tmp_path / "fast", play=False))
    american = duration(SpeakerSettings(voice="en-us", say_to=tmp_path / "us", play=False))
    assert slow > 1.5 * fast
    assert american > 0


@needs_espeak
def test_empty_text_is_not_spoken(tmp_path: Path) -> None:
    Pyttsx3Speaker(SpeakerSettings(say_to=tmp_path, play=False)).say("  ")
    assert not list(tmp_path.iterdir())


def test_a_broken_engine_falls_back_to_printing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        speaker = load_speaker(SpeakerSettings(driver="no_such_driver"))
    assert isinstance(speaker, PrintSpeaker)
    assert "no_such_driver" in caplog.text
    assert "shown as text" in caplog.text


def test_without_echo_a_broken_engine_falls_back_to_silence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    speaker = load_speaker(SpeakerSettings(driver="no_such_driver", echo=False))
    speaker.say("Your cart is empty.")
    assert isinstance(speaker, NullSpeaker)
    assert capsys.readouterr().out == ""


@needs_espeak
def test_an_unknown_voice_is_reported_not_silently_replaced() -> None:
    with pytest.raises(EngineUnavailableError, match="voice 'no-such-voice' is not installed"):
        Pyttsx3Speaker(SpeakerSettings(voice="no-such-voice"))


def test_a_hung_engine_is_abandoned_after_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hanging = tmp_path / "hanging_worker.py"
    hanging.write_text("import time\ntime.sleep(60)\n")
    monkeypatch.setattr("voiceshop.speaker.pyttsx3_speaker._WORKER_SCRIPT", hanging)
    started = time.monotonic()
    with pytest.raises(EngineUnavailableError, match=r"took over 0\.5 s"):
        Pyttsx3Speaker(SpeakerSettings(timeout_s=0.5))
    assert time.monotonic() - started < 5.0


@needs_espeak
def test_without_an_output_device_replies_are_printed_and_logged_once(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    speaker = Pyttsx3Speaker(SpeakerSettings(play=True), player=NoOutputDevice())
    with caplog.at_level(logging.WARNING):
        speaker.say("First reply.")
        speaker.say("Second reply.")

    assert capsys.readouterr().out == "voiceshop: First reply.\nvoiceshop: Second reply.\n"
    assert caplog.text.count("No output device") == 1


@needs_espeak
def test_without_echo_unplayable_replies_are_not_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    Pyttsx3Speaker(SpeakerSettings(echo=False), player=NoOutputDevice()).say("First reply.")
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (REPLIES[0], [
            "Added 2 cartons of Horizon Organic Whole Milk.",
            "That's 2 items, $12.98.",
            "Did you mean Green Basket Large White Eggs, Green Basket Large Brown Eggs or "
            "Eggland's Best Organic Brown Eggs?",
        ]),
        ("Your order is placed.  Goodbye!", ["Your order is placed.", "Goodbye!"]),
        ("Added St. Dalfour Jam. Anything else?", ["Added St. Dalfour Jam.", "Anything else?"]),
        ("2% Milk: $3.79 for 1 gal. 1.5 lbs.", ["2% Milk: $3.79 for 1 gal.", "1.5 lbs."]),
        (" \n ", []),
    ],
)  # fmt: skip
def test_replies_are_cut_into_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


class RecordingPlayer:
    """Takes each sentence's sound as it comes, without a device."""

    def __init__(self) -> None:
        self.played: list[Sound] = []

    def play(self, sounds: Iterable[Sound]) -> float | None:
        for sound in sounds:
            self.played.append(sound)
        return 1.0 if self.played else None


@needs_espeak
def test_a_reply_is_played_sentence_by_sentence_and_kept_whole(tmp_path: Path) -> None:
    player = RecordingPlayer()
    speaker = Pyttsx3Speaker(SpeakerSettings(say_to=tmp_path), player=player)

    speaker.say(REPLIES[0])
    speaker.say(REPLIES[1])
    speaker.close()

    assert len(player.played) == 3 + 1
    reply_seconds = sum(sound.seconds for sound in player.played[:3])
    assert wav_stats(tmp_path / "reply-001.wav")[1] == pytest.approx(reply_seconds)
    assert speaker.first_audio_at == 1.0


@needs_espeak
def test_in_one_piece_a_reply_is_one_sound(tmp_path: Path) -> None:
    player = RecordingPlayer()
    settings = SpeakerSettings(by_sentence=False, prewarm=False)

    Pyttsx3Speaker(settings, player=player).say(REPLIES[0])

    assert len(player.played) == 1


class MarkingPlayer(RecordingPlayer):
    """Leaves a mark once it has the first sentence."""

    def __init__(self, mark: Path) -> None:
        super().__init__()
        self.mark = mark

    def play(self, sounds: Iterable[Sound]) -> float | None:
        for sound in sounds:
            self.played.append(sound)
            self.mark.touch()
        return 1.0


def test_the_first_sentence_plays_while_the_next_are_synthesised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker writes the second sentence only once the first is playing: a speaker that
    waited for the whole reply would time out."""
    monkeypatch.setattr("voiceshop.speaker.pyttsx3_speaker._WORKER_SCRIPT", FAKE_WORKER)
    monkeypatch.setenv("PLAYING_MARK", str(tmp_path / "playing"))
    player = MarkingPlayer(tmp_path / "playing")

    Pyttsx3Speaker(SpeakerSettings(timeout_s=5.0), player=player).say("One. Two. Three.")

    assert len(player.played) == 3


def test_speaker_settings_with_reading_rules_can_key_a_table() -> None:
    """Benchmarks and caches key tables by settings: a language's reading rules keep them
    hashable, and equal settings hash alike."""
    french = Reading.from_data(load_language("fr").reading)
    settings = SpeakerSettings(reading=french)
    assert {settings: 1}[SpeakerSettings(reading=Reading.from_data(load_language("fr").reading))]
    assert settings != SpeakerSettings()
