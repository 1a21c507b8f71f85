"""The linear echo canceller the recognizer hears through during barge-in: it learns a room's echo
from the reply's reference, subtracts it, and leaves a person speaking over the reply whole."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from voiceshop.audio.echo import EchoCanceller
from voiceshop.audio.linear_echo import LinearEchoFilter

AUDIO = Path(__file__).parent / "fixtures" / "audio"
RATE = 16_000
BLOCK = 480


def speech(*names: str) -> np.ndarray:
    parts = []
    for name in names:
        with wave.open(str(AUDIO / name), "rb") as wav:
            parts.append(np.frombuffer(wav.readframes(wav.getnframes()), np.int16))
    return np.concatenate(parts)


def room_echo(far: np.ndarray) -> np.ndarray:
    """`far` delayed by 90 ms, at -6 dB, with a decaying reverberant tail (RT60 0.25 s)."""
    rng = np.random.default_rng(7)
    t = np.arange(round(0.25 * RATE)) / RATE
    response = rng.standard_normal(len(t)) * np.exp(-6.9 * t / 0.25)
    response[0] += 3.0
    response *= 0.5 / np.sqrt((response**2).sum())
    delayed = np.concatenate([np.zeros(round(0.09 * RATE)), far.astype(np.float64)])
    return np.convolve(delayed, response)[: len(far)]


def run(cancel, near: np.ndarray, far: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = [cancel(near[i : i + BLOCK], far[i : i + BLOCK]) for i in range(0, len(near), BLOCK)]
    return np.concatenate(out).astype(np.float64)


def db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-9))


FAR = ("add_milk_and_eggs.wav", "change_the_black_beans_to_five.wav", "add_milk_and_eggs.wav")
PERSON = "barge_in/remove_the_bananas.wav"


def test_it_learns_a_rooms_echo_from_the_reply_and_subtracts_it() -> None:
    far = speech(*FAR)
    echo = room_echo(far)
    out = run(LinearEchoFilter().process, np.round(echo).astype(np.int16), far)
    late = slice(len(far) - 3 * RATE, len(far))
    assert db(out[late]) < db(echo[late]) - 20


def test_a_person_over_the_reply_passes_whole_where_aec3_cuts_into_them() -> None:
    pytest.importorskip("pywebrtc_audio")
    far = speech(*FAR)
    person = speech(PERSON).astype(np.float64) / 2
    at = len(far) - len(person) - RATE
    voice = np.zeros(len(far))
    voice[at : at + len(person)] = person
    near = np.round(room_echo(far) + voice).astype(np.int16)
    canceller = EchoCanceller()
    cancelled = [
        canceller.cancel(near[i : i + BLOCK], far[i : i + BLOCK]) for i in range(0, len(far), BLOCK)
    ]
    linear = np.concatenate([c.linear for c in cancelled if c.linear is not None]).astype(
        np.float64
    )
    suppressed = np.concatenate([c.suppressed for c in cancelled]).astype(np.float64)
    talk = slice(at, at + len(person))
    # what is left besides the person's voice, relative to it
    assert db(linear[talk] - voice[talk]) < db(voice[talk]) - 12
    assert db(linear[talk] - voice[talk]) < db(suppressed[talk] - voice[talk]) - 3


def test_a_frozen_filter_subtracts_what_it_knows_but_learns_nothing() -> None:
    far = speech(*FAR[:1])
    near = np.round(room_echo(far)).astype(np.int16)
    frozen = LinearEchoFilter()
    frozen.frozen = True
    out = run(frozen.process, near, far)
    assert np.array_equal(out, near[: len(out)].astype(np.float64))


def test_near_and_far_must_be_the_same_length() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        LinearEchoFilter().process(np.zeros(10, np.int16), np.zeros(11, np.int16))
