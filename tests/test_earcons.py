"""Earcons play on entering listening and on having heard, inside the microphone gate."""

from __future__ import annotations

from collections.abc import Iterable

from voiceshop.audio.gate import MicGate
from voiceshop.audio.listening import Level, ListenState, StateChanged
from voiceshop.speaker.earcons import EARCON_DIR, Earcons
from voiceshop.speaker.playback import Sound


class RecordingPlayer:
    def __init__(self, gate: MicGate) -> None:
        self.gate = gate
        self.played: list[tuple[float, bool]] = []

    def play(self, sounds: Iterable[Sound]) -> float | None:
        for sound in sounds:
            self.played.append((sound.seconds, self.gate.is_muted()))
        return None


def test_the_bundled_earcons_are_short_16k_sounds() -> None:
    for name in ("listening.wav", "heard.wav"):
        sound = Sound.from_wav(EARCON_DIR / name)
        assert sound.rate == 16_000
        assert 0.05 < sound.seconds <= 0.2
        assert sound.samples.max() > 1000  # audible


def test_earcons_play_once_per_change_to_listening_or_thinking_while_muted() -> None:
    gate = MicGate()
    player = RecordingPlayer(gate)
    earcons = Earcons(player, gate)
    for state in ("listening", "listening", "heard you", "thinking", "speaking", "listening"):
        earcons.update(StateChanged(ListenState(state)))
        earcons.update(Level(-20.0))
    assert len(player.played) == 3
    assert all(muted for _seconds, muted in player.played)
