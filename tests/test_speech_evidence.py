"""The energy evidence that keeps a short, clear answer past Whisper's no-speech gate."""

from __future__ import annotations

import numpy as np

from voiceshop.recognizer.whisper_backend import speech_stands_out

RATE = 16000


def _tone(seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _quiet(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), np.float32)


def _noise(samples: int, level: float, seed: int = 1) -> np.ndarray:
    return (level * np.random.default_rng(seed).standard_normal(samples)).astype(np.float32)


def test_a_short_word_between_pauses_stands_out() -> None:
    audio = np.concatenate([_quiet(0.3), _tone(0.3), _quiet(0.4)])

    assert speech_stands_out(audio)


def test_a_word_in_kitchen_level_noise_still_stands_out() -> None:
    audio = np.concatenate([_quiet(0.3), _tone(0.3), _quiet(0.4)])

    assert speech_stands_out(audio + _noise(len(audio), 0.01))


def test_silence_and_steady_noise_do_not() -> None:
    assert not speech_stands_out(_quiet(1.0))
    assert not speech_stands_out(_noise(RATE, 0.1))


def test_a_click_too_short_for_a_word_does_not() -> None:
    audio = np.concatenate([_quiet(0.45), _tone(0.05), _quiet(0.5)])

    assert not speech_stands_out(audio)
