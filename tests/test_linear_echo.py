"""The linear echo canceller the recognizer hears through during barge-in: it learns a room's echo
from the reply's reference, subtracts it, and leaves a person speaking over the reply whole."""

from __future__ import annotations

import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from voiceshop.audio.echo import EchoCanceller
from voiceshop.audio.linear_echo import LinearEchoFilter, LinearEchoSettings, lag

AUDIO = Path(__file__).parent / "fixtures" / "audio"
RATE = 16_000
BLOCK = 480


def speech(*names: str) -> np.ndarray:
    parts = []
    for name in names:
        with wave.open(str(AUDIO / name), "rb") as wav:
            parts.append(np.frombuffer(wav.readframes(wav.getnframes()), np.int16))
    return np.concatenate(parts)


def room_echo(far: np.ndarray, delay_s: float = 0.09) -> np.ndarray:
    """`far` delayed by `delay_s`, at -6 dB, with a decaying reverberant tail (RT60 0.25 s)."""
    rng = np.random.default_rng(7)
    t = np.arange(round(0.25 * RATE)) / RATE
    response = rng.standard_normal(len(t)) * np.exp(-6.9 * t / 0.25)
    response[0] += 3.0
    response *= 0.5 / np.sqrt((response**2).sum())
    delayed = np.concatenate([np.zeros(round(delay_s * RATE)), far.astype(np.float64)])
    return np.convolve(delayed, response)[: len(far)]


def run(cancel, near: np.ndarray, far: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = [cancel(near[i : i + BLOCK], far[i : i + BLOCK]) for i in range(0, len(near), BLOCK)]
    return np.concatenate(out).astype(np.float64)


def db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-9))


WHOLE = LinearEchoSettings(length_s=0.5, bulk_delay=False, proportionate=None)
"""The filter before bargein6: 0.5 s from the reference's own time, a uniform step."""
FAR = ("add_milk_and_eggs.wav", "change_the_black_beans_to_five.wav", "add_milk_and_eggs.wav")
PERSON = "barge_in/remove_the_bananas.wav"


@pytest.mark.parametrize(("settings", "removed_db"), [(WHOLE, 20), (LinearEchoSettings(), 12)])
def test_it_learns_a_rooms_echo_from_the_reply_and_subtracts_it(
    settings: LinearEchoSettings, removed_db: float
) -> None:
    """After three utterances of reply: the whole-path filter removes 21 dB, the default (0.25 s
    at the measured delay) 14 dB here."""
    far = speech(*FAR)
    echo = room_echo(far)
    out = run(LinearEchoFilter(settings).process, np.round(echo).astype(np.int16), far)
    late = slice(len(far) - 3 * RATE, len(far))
    assert db(out[late]) < db(echo[late]) - removed_db


@pytest.mark.parametrize(("settings", "under_db"), [(WHOLE, 12), (LinearEchoSettings(), 6)])
def test_a_person_over_the_reply_passes_whole_where_aec3_cuts_into_them(
    settings: LinearEchoSettings, under_db: float
) -> None:
    pytest.importorskip("pywebrtc_audio")
    far = speech(*FAR)
    person = speech(PERSON).astype(np.float64) / 2
    at = len(far) - len(person) - RATE
    voice = np.zeros(len(far))
    voice[at : at + len(person)] = person
    near = np.round(room_echo(far) + voice).astype(np.int16)
    canceller = EchoCanceller(settings=settings)
    cancelled = [
        canceller.cancel(near[i : i + BLOCK], far[i : i + BLOCK]) for i in range(0, len(far), BLOCK)
    ]
    linear = np.concatenate([c.linear for c in cancelled if c.linear is not None]).astype(
        np.float64
    )
    suppressed = np.concatenate([c.suppressed for c in cancelled]).astype(np.float64)
    talk = slice(at, at + len(person))
    # what is left besides the person's voice, relative to it
    assert db(linear[talk] - voice[talk]) < db(voice[talk]) - under_db
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


SECOND = ("change_the_black_beans_to_five.wav", "add_milk_and_eggs.wav")


@pytest.mark.parametrize("delay_s", [0.05, 0.13, 0.2])
def test_when_the_echo_moves_between_replies_the_filter_finds_it_again(delay_s: float) -> None:
    """The first reply's echo came after 90 ms, the second's after `delay_s` (at a microphone
    each reply is placed on the clock anew): the taps are moved and cancel it from the first
    second on, where taps kept in place cancel nothing."""

    def second_reply(settings: LinearEchoSettings) -> tuple[LinearEchoFilter, float]:
        far = speech(*FAR)
        echo_filter = LinearEchoFilter(settings)
        run(echo_filter.process, np.round(room_echo(far)).astype(np.int16), far)
        echo_filter.realign()
        far = speech(*SECOND)
        echo = room_echo(far, delay_s)
        out = run(echo_filter.process, np.round(echo).astype(np.int16), far)
        later = slice(RATE, len(far))
        return echo_filter, db(echo[later]) - db(out[later])

    moved, removed = second_reply(WHOLE)
    assert removed > 15
    assert moved.aligned
    assert len(moved.shifts) == 1
    assert abs(moved.shifts[0] - round((delay_s - 0.09) * RATE)) <= 2
    kept, removed_in_place = second_reply(replace(WHOLE, realign_s=None))
    assert removed_in_place < 3
    assert kept.shifts == []
    placed, _ = second_reply(LinearEchoSettings())
    assert len(placed.shifts) == 1
    assert abs(placed.shifts[0] - round((delay_s - 0.09) * RATE)) <= 2
    assert abs(placed.delay - round((delay_s - 0.01) * RATE)) <= 18  # the delay moved, not the taps


def test_the_filter_is_unaligned_from_a_new_reply_until_its_delay_was_measured() -> None:
    far = speech(*FAR[:1])
    echo_filter = LinearEchoFilter(WHOLE)
    assert echo_filter.aligned
    echo_filter.realign()
    assert not echo_filter.aligned
    near = np.round(room_echo(far)).astype(np.int16)
    echo_filter.process(near[: RATE // 10], far[: RATE // 10])  # silence before the speech
    assert not echo_filter.aligned
    run(echo_filter.process, near, far)
    assert echo_filter.aligned


@pytest.mark.parametrize("later", [-300, 0, 45, 1200])
def test_gcc_phat_finds_how_much_later_the_microphone_hears_the_estimate(later: int) -> None:
    rng = np.random.default_rng(3)
    estimate = speech(FAR[0]).astype(np.float64)
    heard = np.roll(estimate, later) * 0.3 + rng.standard_normal(len(estimate)) * 50
    assert lag(heard, estimate, 2000) == later


def test_a_short_filter_at_the_measured_delay_cancels_an_echo_later_than_its_length() -> None:
    """A 0.25 s filter cannot model an echo arriving after 0.3 s; placed at the delay measured
    between the reference and the microphone (`bulk_delay`) it can."""
    far = speech(*FAR)
    echo = room_echo(far, 0.3)
    near = np.round(echo).astype(np.int16)
    later = slice(2 * RATE, len(far) - RATE)
    placed = LinearEchoFilter(LinearEchoSettings(length_s=0.25, bulk_delay=True))
    assert not placed.aligned  # until the first delay is measured
    removed = db(echo[later]) - db(run(placed.process, near, far)[later])
    plain = LinearEchoFilter(replace(WHOLE, length_s=0.25))
    removed_plain = db(echo[later]) - db(run(plain.process, near, far)[later])
    assert placed.aligned
    assert abs(placed.delay - round(0.29 * RATE)) <= 16
    assert removed > removed_plain + 3
    assert removed_plain < 3
