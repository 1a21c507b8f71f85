"""Earcons: short sounds when `listen` starts listening and when it has heard an utterance.

Off by default (`listen --earcons`). The sounds are bundled WAVs made by
`scripts/make_fixtures.py --earcons`. They are played inside the microphone gate, so in
half-duplex mode the agent does not hear its own beeps; with barge-in they are too short
(120 ms) to pass for speech.
"""

from __future__ import annotations

import logging
from pathlib import Path

from voiceshop.audio.gate import MicGate
from voiceshop.audio.listening import ListenState, LiveStatus, StateChanged
from voiceshop.errors import AudioDeviceError
from voiceshop.speaker.playback import Player, Sound

_LOGGER = logging.getLogger(__name__)

EARCON_DIR = Path(__file__).resolve().parents[1] / "data" / "earcons"


class Earcons:
    """Plays the listening / heard earcons on the loop's state changes (a StatusHandler)."""

    def __init__(self, player: Player, gate: MicGate, folder: Path = EARCON_DIR) -> None:
        self._player = player
        self._gate = gate
        self._sounds = {
            ListenState.LISTENING: Sound.from_wav(folder / "listening.wav"),
            ListenState.THINKING: Sound.from_wav(folder / "heard.wav"),
        }
        self._state: ListenState | None = None
        self._failed = False

    def update(self, status: LiveStatus) -> None:
        if not isinstance(status, StateChanged) or status.state == self._state:
            return
        self._state = status.state
        sound = self._sounds.get(status.state)
        if sound is None or self._failed:
            return
        try:
            with self._gate.speaking():
                self._player.play([sound])
        except AudioDeviceError as err:
            self._failed = True
            _LOGGER.warning("Earcons off: %s", err)
