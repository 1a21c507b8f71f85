"""The Endpointer as a pure state machine on synthetic audio (tone bursts, silence, noise)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tests.conftest import COFFEE_DEV, SHARED, require_shared
from voiceshop.audio.convert import float_to_pcm16
from voiceshop.audio.types import AudioFormat, Chunk
from voiceshop.audio.wav import wav_chunks
from voiceshop.recognizer.endpoint import (
    FRAME_SECONDS,
    Endpointer,
    EndpointSettings,
    EndReason,
    EnergyDetector,
    Utterance,
)

RATE = 16_000
SETTINGS = EndpointSettings(
    min_speech_seconds=0.1,
    trailing_silence_seconds=0.7,
    max_utterance_seconds=15.0,
    pre_roll_seconds=0.3,
)
rng = np.random.default_rng(7)


def speech(seconds: float) -> np.ndarray:
    """A loud tone burst standing in for speech (the energy detector only hears level)."""
    t = np.arange(round(RATE * seconds)) / RATE
    return 0.3 * np.sin(2 * np.pi * 220 * t) + noise(seconds)


def noise(seconds: float, level_dbfs: float = -50.0) -> np.ndarray:
    """White background noise at an RMS level."""
    return rng.normal(0.0, 10 ** (level_dbfs / 20), round(RATE * seconds))


def run(
    signal: np.ndarray, settings: EndpointSettings = SETTINGS, chunk_seconds: float = 0.1
) -> list[tuple[float, Utterance]]:
    """Stream `signal` through an energy-based Endpointer; (seconds fed so far, utterance) for
    each utterance, the one from `flush` last."""
    endpointer = Endpointer(settings, EnergyDetector())
    pcm = float_to_pcm16(signal)
    step = round(RATE * chunk_seconds) * 2
    ended = []
    for start in range(0, len(pcm), step):
        fed = min(start + step, len(pcm)) / (2 * RATE)
        ended += [(fed, u) for u in endpointer.feed(Chunk(pcm[start : start + step]))]
    last = endpointer.flush()
    if last is not None:
        ended.append((len(pcm) / (2 * RATE), last))
    return ended


def test_a_short_pause_inside_speech_is_one_utterance() -> None:
    signal = np.concatenate([noise(1.0), speech(0.6), noise(0.4), speech(0.6), noise(2.0)])

    ended = run(signal)

    assert len(ended) == 1
    fed, utterance = ended[0]
    assert utterance.reason is EndReason.SILENCE
    assert utterance.seconds == pytest.approx(0.3 + 1.6 + 0.7, abs=0.1)
    assert fed == pytest.approx(1.0 + 1.6 + 0.7, abs=0.15)


def test_long_silence_ends_the_utterance_and_the_next_speech_starts_another() -> None:
    signal = np.concatenate([noise(1.0), speech(0.8), noise(3.0), speech(0.5), noise(1.5)])

    ended = run(signal)

    assert [u.reason for _, u in ended] == [EndReason.SILENCE, EndReason.SILENCE]
    assert ended[0][0] == pytest.approx(1.0 + 0.8 + 0.7, abs=0.15)
    assert ended[1][1].seconds == pytest.approx(0.3 + 0.5 + 0.7, abs=0.1)


def test_max_length_cuts_a_long_utterance() -> None:
    settings = EndpointSettings(max_utterance_seconds=4.0)

    ended = run(np.concatenate([noise(0.5), speech(10.0), noise(1.5)]), settings)

    reasons = [u.reason for _, u in ended]
    assert reasons == [EndReason.MAX_LENGTH, EndReason.MAX_LENGTH, EndReason.SILENCE]
    assert all(u.seconds <= 4.0 for _, u in ended)
    assert ended[0][1].seconds == pytest.approx(4.0, abs=FRAME_SECONDS)


def test_steady_noise_is_not_speech() -> None:
    assert run(noise(10.0, level_dbfs=-25.0)) == []


def test_background_that_gets_louder_becomes_the_new_floor() -> None:
    assert run(np.concatenate([noise(2.0, -55.0), noise(20.0, -45.0)])) == []


def test_a_click_shorter_than_min_speech_is_ignored() -> None:
    assert run(np.concatenate([noise(1.0), speech(0.05), noise(2.0)])) == []


def test_pre_roll_keeps_audio_from_before_the_speech() -> None:
    signal = np.concatenate([noise(1.0), speech(0.5), noise(1.0)])

    (_, utterance), *_ = run(signal)

    head = np.frombuffer(utterance.pcm, "<i2")[: round(0.25 * RATE)].astype(np.float64)
    assert np.abs(head).max() < 0.05 * 32768  # the first 250 ms are the quiet lead-in


def test_odd_chunk_sizes_give_the_same_utterances() -> None:
    signal = np.concatenate([noise(1.0), speech(0.7), noise(1.0)])

    aligned = [u.pcm for _, u in run(signal, chunk_seconds=0.128)]
    odd = [u.pcm for _, u in run(signal, chunk_seconds=0.0371)]

    assert odd == aligned


def test_flush_returns_the_utterance_in_progress() -> None:
    (_, utterance), *rest = run(np.concatenate([noise(1.0), speech(1.0)]))

    assert rest == []
    assert utterance.reason is EndReason.END_OF_STREAM


def test_reset_forgets_speech_in_progress() -> None:
    endpointer = Endpointer(SETTINGS, EnergyDetector())
    endpointer.feed(Chunk(float_to_pcm16(np.concatenate([noise(1.0), speech(0.5)]))))
    assert endpointer.in_utterance

    endpointer.reset()

    assert not endpointer.in_utterance
    assert endpointer.flush() is None


def test_refuses_audio_that_is_not_engine_format() -> None:
    with pytest.raises(ValueError, match="convert it first"):
        Endpointer(SETTINGS, EnergyDetector()).feed(Chunk(b"\0\0", AudioFormat(48_000, 2, 1)))


needs_silero = pytest.mark.skipif(
    importlib.util.find_spec("faster_whisper") is None,
    reason="Silero VAD comes with faster-whisper, which is not installed",
)


def silero_utterances(chunks: list[Chunk]) -> list[Utterance]:
    endpointer = Endpointer(SETTINGS)
    ended = [u for chunk in chunks for u in endpointer.feed(chunk)]
    last = endpointer.flush()
    return ended + ([last] if last else [])


@needs_silero
def test_silero_ignores_kitchen_noise() -> None:
    chunks = list(wav_chunks(require_shared(SHARED / "noise" / "kitchen.wav")))[:150]

    assert silero_utterances(chunks) == []


@needs_silero
def test_silero_finds_one_utterance_in_a_recorded_order() -> None:
    path = require_shared(COFFEE_DEV / "0704c731-9895-4eb1-b93c-427c95ce8316.wav")

    (utterance,) = silero_utterances(list(wav_chunks(path)))

    assert utterance.reason is EndReason.SILENCE
    assert 1.5 < utterance.seconds < 8.0
