"""Speakers: pyttsx3 synthesis to WAV files, repeated replies (pitfall P7), print fallbacks."""

from __future__ import annotations

import ctypes.util
import logging
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from voiceshop.errors import AudioDeviceError, EngineUnavailableError
from voiceshop.speaker import (
    NullSpeaker,
    PrintSpeaker,
    Pyttsx3Speaker,
    SpeakerSettings,
    load_speaker,
    pyttsx3_speaker,
)

needs_espeak = pytest.mark.skipif(
    ctypes.util.find_library("espeak-ng") is None,
    reason="espeak-ng is not installed: sudo apt-get install espeak-ng",
)

REPLIES = [
    "Added 2 cartons of Horizon Organic Whole Milk. That's 2 items, $12.98. Did you mean Green "
    "Basket Large White Eggs, Green Basket Large Brown Eggs or Eggland's Best Organic Brown Eggs?",
    "Your cart has milk and a dozen eggs.",
    "Shall I place the order?",
    "Your order is placed. Goodbye!",
    "Sorry, I didn't catch that.",
]


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
        Pyttsx3Speaker(settings).say(REPLIES[0])
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
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def no_device(path: Path, timeout_s: float) -> None:
        raise AudioDeviceError("No output device (no sound card or audio server)")

    monkeypatch.setattr(pyttsx3_speaker, "play_wav", no_device)
    speaker = Pyttsx3Speaker(SpeakerSettings(play=True))
    with caplog.at_level(logging.WARNING):
        speaker.say("First reply.")
        speaker.say("Second reply.")

    assert capsys.readouterr().out == "voiceshop: First reply.\nvoiceshop: Second reply.\n"
    assert caplog.text.count("No output device") == 1


@needs_espeak
def test_without_echo_unplayable_replies_are_not_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_device(path: Path, timeout_s: float) -> None:
        raise AudioDeviceError("No output device (no sound card or audio server)")

    monkeypatch.setattr(pyttsx3_speaker, "play_wav", no_device)
    Pyttsx3Speaker(SpeakerSettings(echo=False)).say("First reply.")
    assert capsys.readouterr().out == ""
