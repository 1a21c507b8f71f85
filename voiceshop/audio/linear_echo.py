"""A linear echo canceller: the reply's echo estimated and subtracted, nothing suppressed.

WebRTC AEC3 (`voiceshop.audio.echo.EchoCanceller`) follows its linear filter with a suppressor
that attenuates every band where it expects echo. That is what the interruption detector needs,
but while the person speaks over the reply (double talk) the suppressor also eats their first
syllables, and the recognizer then misreads the first words. `LinearEchoFilter` is a partitioned
block frequency-domain adaptive filter (normalised LMS per frequency bin, with the gradient
constraint): it learns the room's response from the reply's reference and the microphone and
subtracts only its estimate, so the person's speech passes untouched, with a little echo left.

Adaptation pauses on blocks that leave far more than the filter usually leaves (double talk),
and while `frozen` (the loop sets it once it knows the person is speaking), so their voice does not
pull the filter away from the room's response.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voiceshop.audio.types import ENGINE_RATE

BLOCK = ENGINE_RATE // 100
"""Samples per filter block (10 ms)."""
_DOUBLE_TALK_DB = 10.0
"""A block's residual this far above the usual one is taken for the person speaking."""
_RELEARN_DB = 0.01
"""How far the usual residual rises per held block (1 dB a second)."""
_FLOOR_DBFS = -70.0
"""Reference power (per sample) under which the step shrinks: keeps silence from amplifying
noise into the filter."""


@dataclass(frozen=True)
class LinearEchoSettings:
    """The adaptive filter's shape."""

    length_s: float = 0.5
    """The echo path it can model: loudspeaker-to-microphone delay (with the output's latency)
    plus the room's reverberation."""
    step: float = 0.8
    """Normalised step size (0..1): larger adapts faster and is disturbed more by double talk."""
    smoothing: float = 0.9
    """Forgetting factor of the reference power (per bin, over the filter's length) that
    normalises the step."""


class LinearEchoFilter:
    """Subtracts the linear estimate of the reference's echo from the microphone."""

    def __init__(self, settings: LinearEchoSettings | None = None) -> None:
        self._settings = settings or LinearEchoSettings()
        parts = max(1, round(self._settings.length_s * ENGINE_RATE / BLOCK))
        bins = BLOCK + 1
        self._weights = np.zeros((parts, bins), np.complex128)
        self._spectra = np.zeros((parts, bins), np.complex128)
        """The reference's latest block spectra, newest first."""
        self._power = np.zeros(bins)
        self._floor = parts * 2 * BLOCK * 10 ** (_FLOOR_DBFS / 10)
        self._last_far = np.zeros(BLOCK)
        self._near = np.zeros(0, np.float64)
        self._far = np.zeros(0, np.float64)
        self._usual_db = 0.0
        """The residual the filter usually leaves, dB against the microphone."""
        self.frozen = False
        """True: the filter subtracts but does not learn."""

    @property
    def usual_db(self) -> float:
        """The residual the filter usually leaves, dB against the microphone (0 untrained)."""
        return self._usual_db

    def process(self, near: np.ndarray, far: np.ndarray) -> np.ndarray:
        """The microphone with the echo estimate subtracted, for whole 10 ms blocks so far."""
        if len(near) != len(far):
            raise ValueError(f"near and far differ in length: {len(near)} != {len(far)}")
        self._near = np.concatenate([self._near, near.astype(np.float64) / 32768.0])
        self._far = np.concatenate([self._far, far.astype(np.float64) / 32768.0])
        whole = len(self._near) // BLOCK * BLOCK
        out = [
            self._block(self._near[i : i + BLOCK], self._far[i : i + BLOCK])
            for i in range(0, whole, BLOCK)
        ]
        self._near, self._far = self._near[whole:], self._far[whole:]
        if not out:
            return np.zeros(0, np.int16)
        return np.asarray(np.clip(np.round(np.concatenate(out) * 32768.0), -32768, 32767), np.int16)

    def _block(self, near: np.ndarray, far: np.ndarray) -> np.ndarray:
        spectrum = np.fft.rfft(np.concatenate([self._last_far, far]))
        self._last_far = far
        self._spectra = np.roll(self._spectra, 1, axis=0)
        self._spectra[0] = spectrum
        echo = np.fft.irfft((self._weights * self._spectra).sum(axis=0), 2 * BLOCK)[BLOCK:]
        error = near - echo
        if not self.frozen and not self._double_talk(near, error):
            self._adapt(spectrum, error)
        return error

    def _double_talk(self, near: np.ndarray, error: np.ndarray) -> bool:
        """The block left far more than the filter usually leaves: someone is speaking.

        The usual residual (error against microphone, in dB) is tracked while the filter learns;
        while it is held, the usual figure creeps up, so a room that changed is learnt again."""
        residual = float(10 * np.log10((np.mean(error**2) + 1e-12) / (np.mean(near**2) + 1e-12)))
        if residual > self._usual_db + _DOUBLE_TALK_DB:
            self._usual_db += _RELEARN_DB
            return True
        self._usual_db += 0.05 * (residual - self._usual_db)
        return False

    def _adapt(self, spectrum: np.ndarray, error: np.ndarray) -> None:
        alpha = self._settings.smoothing
        power = (np.abs(self._spectra) ** 2).sum(axis=0)
        self._power = alpha * self._power + (1 - alpha) * power
        norm = np.maximum(self._power, power) + self._floor
        gradient = np.conj(self._spectra) * np.fft.rfft(np.concatenate([np.zeros(BLOCK), error]))
        update = self._settings.step * gradient / norm
        taps = np.fft.irfft(self._weights + update, 2 * BLOCK, axis=1)
        taps[:, BLOCK:] = 0.0
        self._weights = np.fft.rfft(taps, axis=1)
