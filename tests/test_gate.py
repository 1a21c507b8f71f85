"""MicGate as pure logic on a fake clock."""

from __future__ import annotations

import pytest

from support.fakes import FakeClock
from voiceshop.audio.gate import GateSettings, MicGate, TimedChunk
from voiceshop.audio.types import Chunk

LOUD = Chunk(b"\x10\x27" * 1600)
"""0.1 s of a constant 10000 sample value."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def gate(clock: FakeClock) -> MicGate:
    return MicGate(GateSettings(tail_s=0.4), clock=clock)


def is_silent(chunk: Chunk) -> bool:
    return not any(chunk.pcm)


def test_audio_passes_untouched_while_the_agent_is_quiet(gate: MicGate) -> None:
    assert gate.filter(LOUD) is LOUD
    assert gate.muted_seconds == 0.0


def test_audio_is_silenced_while_speaking_keeping_length_and_format(
    gate: MicGate, clock: FakeClock
) -> None:
    with gate.speaking():
        clock.advance(1.0)
        muted = gate.filter(LOUD)
    assert is_silent(muted)
    assert len(muted.pcm) == len(LOUD.pcm)
    assert muted.fmt == LOUD.fmt
    assert gate.muted_seconds == pytest.approx(0.1)


def test_tail_mutes_briefly_after_speaking_then_unmutes(gate: MicGate, clock: FakeClock) -> None:
    with gate.speaking():
        clock.advance(2.0)
    clock.advance(0.3)
    assert is_silent(gate.filter(LOUD))
    clock.advance(0.2)
    assert gate.filter(LOUD) is LOUD


def test_zero_tail_unmutes_as_soon_as_playback_ends(clock: FakeClock) -> None:
    gate = MicGate(GateSettings(tail_s=0.0), clock=clock)
    with gate.speaking():
        clock.advance(1.0)
    clock.advance(0.01)
    assert not gate.is_muted()


def test_unmutes_even_when_playback_raises(gate: MicGate, clock: FakeClock) -> None:
    with pytest.raises(RuntimeError), gate.speaking():
        raise RuntimeError("speaker broke")
    clock.advance(1.0)
    assert not gate.is_muted()


def test_queued_chunks_are_judged_by_capture_time(gate: MicGate, clock: FakeClock) -> None:
    before = TimedChunk(LOUD.pcm, captured_at=clock.now - 0.5)
    with gate.speaking():
        clock.advance(3.0)
        during = TimedChunk(LOUD.pcm, captured_at=clock.now - 1.0)
    clock.advance(5.0)
    after = TimedChunk(LOUD.pcm, captured_at=clock.now)

    assert gate.filter(before) is before
    assert is_silent(gate.filter(during))
    assert gate.filter(after) is after


def test_each_speaking_turn_opens_its_own_window(gate: MicGate, clock: FakeClock) -> None:
    starts = []
    for _ in range(3):
        starts.append(clock.now)
        with gate.speaking():
            clock.advance(1.0)
        clock.advance(2.0)
    assert all(gate.is_muted(start + 0.5) for start in starts)
    assert not any(gate.is_muted(start + 2.0) for start in starts)
