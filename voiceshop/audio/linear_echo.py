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

Between replies the echo's delay against the reference can change (at a real microphone each reply
is placed on the capture clock a little differently). The learnt taps are then misplaced, the
residual jumps, and the double-talk guard stops the filter from learning the new delay. So at the
start of each reply (`realign`) the filter's own echo estimate (the reference through the learnt
taps, reverberation included) is lined up with the microphone by GCC-PHAT, a cross-correlation
whitened per frequency (so speech's strong low frequencies do not smear the peak), and the taps are
moved by the lag found, when that leaves less echo over the measured stretch than before.

With `bulk_delay` the filter is short and placed at the echo's delay: on the first reply the lag of
the microphone behind the reference is measured by GCC-PHAT, the filter then models `length_s` of
the echo path from there, and each realignment moves that delay rather than the taps. Fewer taps
learn faster, and the delay (output latency included) need not fit inside the filter.
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
_SHIFT_MIN = 2
"""Samples the measured lag must reach for the taps to be moved."""
_MEASURE_MOST_S = 2.0
"""Seconds of sounding reference a delay measurement collects at most; then it starts again."""
_DELAY_MOST_S = 0.5
"""The longest bulk delay measured (`LinearEchoSettings.bulk_delay`)."""
_DELAY_MARGIN_S = 0.01
"""The filter starts this far before the measured delay (the echo's first arrival)."""
_FLOOR_DBFS = -70.0
"""Reference power (per sample) under which the step shrinks: keeps silence from amplifying
noise into the filter."""


@dataclass(frozen=True)
class LinearEchoSettings:
    """The adaptive filter's shape."""

    length_s: float = 0.25
    """The echo path it models: from `bulk_delay`'s delay on, the room's reverberation (without
    it, also the loudspeaker-to-microphone delay with the output's latency). 0.25 s at the
    measured delay, with `proportionate` -0.5, was chosen offline on the tune half: 28 of 51 tune
    interruptions understood against 20 with the 0.5 s filter from the reference's own time,
    26 without `proportionate` (benchmarks/barge_in_results.md)."""
    step: float = 0.8
    """Normalised step size (0..1): larger adapts faster and is disturbed more by double talk."""
    smoothing: float = 0.9
    """Forgetting factor of the reference power (per bin, over the filter's length) that
    normalises the step."""
    realign_s: float | None = 0.25
    """Seconds of a reply's sounding reference over which its echo's delay is measured at the
    start of each reply (`LinearEchoFilter.realign`); None: the taps stay where they were learnt."""
    proportionate: float | None = -0.5
    """With a number (-1..1): each partition's step is scaled by how much of the learnt echo
    path it holds (IPNLMS's alpha: -1 uniform as without, towards 1 fully proportionate), so a
    sparse path (a strong first arrival after a delay) is learnt faster; None: a uniform step."""
    bulk_delay: bool = True
    """True: the filter covers `length_s` from the echo's delay, measured against the reference
    on the first reply (over `realign_s` more than the longest delay) and moved by each
    realignment; False: from the reference's own time."""


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
        most = round(_DELAY_MOST_S * ENGINE_RATE) if self._settings.bulk_delay else 0
        self._history = np.zeros(most + (parts + 1) * BLOCK)
        """The latest reference samples: enough to rebuild `_spectra` at any bulk delay."""
        self.delay = 0
        """Samples by which the reference is delayed before the filter (`bulk_delay`)."""
        self._delay_known = not self._settings.bulk_delay
        self._near = np.zeros(0, np.float64)
        self._far = np.zeros(0, np.float64)
        self._usual_db = 0.0
        """The residual the filter usually leaves, dB against the microphone."""
        self.frozen = False
        """True: the filter subtracts but does not learn."""
        self._heard: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        """Microphone, delayed and raw reference blocks since `realign`, while the delay is
        measured."""
        self._sounding = 0
        """Samples of sounding reference among them."""
        self.aligned = self._delay_known
        """False from `realign` until this reply's echo delay was measured (and the taps moved
        to it): meanwhile the output may hold echo the misplaced taps did not remove."""
        self.shifts: list[int] = []
        """Each move of the taps, in samples (later delay positive), for diagnostics."""

    @property
    def usual_db(self) -> float:
        """The residual the filter usually leaves, dB against the microphone (0 untrained)."""
        return self._usual_db

    def realign(self) -> None:
        """A new reply starts: measure its echo's delay over its first `realign_s` of sound
        and move the learnt taps to it."""
        if self._settings.realign_s is None:
            return
        self.aligned = False
        self._heard = []
        self._sounding = 0

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
        self._history = np.concatenate([self._history[BLOCK:], far])
        spectrum = np.fft.rfft(self._delayed(0))
        self._spectra = np.roll(self._spectra, 1, axis=0)
        self._spectra[0] = spectrum
        if not self.aligned:
            self._measure_delay(near, self._delayed(0)[BLOCK:], far)
        echo = np.fft.irfft((self._weights * self._spectra).sum(axis=0), 2 * BLOCK)[BLOCK:]
        error = near - echo
        if not self.frozen and not self._double_talk(near, error):
            self._adapt(spectrum, error)
        return error

    def _delayed(self, parts_back: int) -> np.ndarray:
        """Two blocks of the reference as the filter sees it (`delay` samples late), ending
        `parts_back` blocks before the newest."""
        end = len(self._history) - self.delay - parts_back * BLOCK
        return self._history[end - 2 * BLOCK : end]

    def _set_delay(self, delay: int) -> None:
        self.delay = delay
        self._spectra = np.fft.rfft([self._delayed(k) for k in range(len(self._spectra))], axis=1)

    def _measure_delay(self, near: np.ndarray, far: np.ndarray, raw: np.ndarray) -> None:
        """Collect the reply's first sounding `realign_s`, then move the taps (or with
        `bulk_delay` the delay) by the lag that lines their echo estimate up with the microphone;
        when no lag helps yet, try again every 100 ms with more of the reply. The first bulk
        delay is the lag of the microphone behind the reference `raw`."""
        self._heard.append((near, far, raw))
        if np.mean(raw**2) > 10 ** (_FLOOR_DBFS / 10):
            self._sounding += BLOCK
        needed = (self._settings.realign_s or 0.0) + (0 if self._delay_known else _DELAY_MOST_S)
        if self._sounding < needed * ENGINE_RATE or len(self._heard) % 10:
            return
        heard, played, played_raw = (np.concatenate(parts) for parts in zip(*self._heard))
        if self._sounding >= _MEASURE_MOST_S * ENGINE_RATE:
            self._heard, self._sounding = [], 0
        if not self._delay_known:
            self._first_delay(heard, played_raw)
            return
        taps = self.taps()
        shift = better_lag(heard, played, taps) if taps.any() else 0
        if shift is None:
            return
        self.aligned = True
        self._heard, self._sounding = [], 0
        if not shift:
            return
        self.shifts.append(shift)
        if self._settings.bulk_delay and 0 <= self.delay + shift <= _DELAY_MOST_S * ENGINE_RATE:
            self._set_delay(self.delay + shift)
        else:
            self._set_taps(_shifted(taps, shift))

    def _first_delay(self, heard: np.ndarray, played: np.ndarray) -> None:
        """Place the filter at the measured lag of the echo (what it learnt so far kept in
        place against the reference)."""
        most = round(_DELAY_MOST_S * ENGINE_RATE)
        found = lag(heard, played, most) - round(_DELAY_MARGIN_S * ENGINE_RATE)
        delay = min(max(found, 0), most)
        self._set_taps(_shifted(self.taps(), -delay))
        self._set_delay(delay)
        self._delay_known = self.aligned = True
        self._heard, self._sounding = [], 0

    @property
    def length(self) -> int:
        """Taps in the filter (samples of echo path it models)."""
        return int(self._weights.shape[0]) * BLOCK

    def taps(self) -> np.ndarray:
        """The filter's impulse response (the room's echo path as learnt), `length` samples."""
        return np.fft.irfft(self._weights, 2 * BLOCK, axis=1)[:, :BLOCK].reshape(-1)

    def _set_taps(self, taps: np.ndarray) -> None:
        parts = taps.reshape(-1, BLOCK)
        padded = np.concatenate([parts, np.zeros_like(parts)], axis=1)
        self._weights = np.fft.rfft(padded, axis=1)

    def _gains(self) -> np.ndarray:
        """Each partition's share of the step (a column; 1 each without `proportionate`)."""
        parts = len(self._weights)
        mix = self._settings.proportionate
        if mix is None:
            return np.ones((parts, 1))
        energy = (np.abs(self._weights) ** 2).sum(axis=1)
        gains = (1 - mix) / 2 + (1 + mix) * parts * energy / (2 * energy.sum() + 1e-12)
        return np.asarray(gains[:, None])

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
        gains = self._gains()
        power = (gains * np.abs(self._spectra) ** 2).sum(axis=0)
        self._power = alpha * self._power + (1 - alpha) * power
        norm = np.maximum(self._power, power) + self._floor
        gradient = np.conj(self._spectra) * np.fft.rfft(np.concatenate([np.zeros(BLOCK), error]))
        update = self._settings.step * gains * gradient / norm
        taps = np.fft.irfft(self._weights + update, 2 * BLOCK, axis=1)
        taps[:, BLOCK:] = 0.0
        self._weights = np.fft.rfft(taps, axis=1)


def lag(near: np.ndarray, estimate: np.ndarray, most: int) -> int:
    """Samples by which `near` comes later than `estimate` (-`most` to `most`), by GCC-PHAT."""
    size = 1 << int(np.ceil(np.log2(len(near) + most)))
    cross = np.fft.rfft(near, size) * np.conj(np.fft.rfft(estimate, size))
    correlation = np.abs(np.fft.irfft(cross / (np.abs(cross) + 1e-12), size))
    lags = np.concatenate([np.arange(most + 1), np.arange(-most, 0)])
    values = np.concatenate([correlation[: most + 1], correlation[size - most :]])
    return int(lags[np.argmax(values)])


def better_lag(near: np.ndarray, far: np.ndarray, taps: np.ndarray) -> int | None:
    """The lag that lines the echo estimate (`far` through `taps`) up with `near`: 0 when it is
    under `_SHIFT_MIN`, None when moving the taps by it would leave more of `near` than they
    leave where they are."""
    estimate = _convolved(far, taps)
    found = lag(near, estimate, len(taps) // 2)
    if abs(found) < _SHIFT_MIN:
        return 0
    moved = _convolved(far, _shifted(taps, found))
    if np.sum((near - moved) ** 2) < np.sum((near - estimate) ** 2):
        return found
    return None


def _convolved(far: np.ndarray, taps: np.ndarray) -> np.ndarray:
    size = 1 << int(np.ceil(np.log2(len(far) + len(taps))))
    return np.fft.irfft(np.fft.rfft(far, size) * np.fft.rfft(taps, size), size)[: len(far)]


def _shifted(taps: np.ndarray, shift: int) -> np.ndarray:
    """`taps` moved `shift` samples later (earlier when negative), zeros filling in."""
    out = np.zeros_like(taps)
    if shift >= 0:
        out[shift:] = taps[: len(taps) - shift]
    else:
        out[:shift] = taps[-shift:]
    return out
