"""Speak replies with pyttsx3 (espeak-ng on Linux), in a fresh process per reply (pitfall P7).

A long-lived pyttsx3 engine hangs or falls silent when it is reused or driven from another thread;
its espeak driver stays in "save" mode after `save_to_file` (later `say` calls overwrite that file
instead of playing), and its `say` plays through an `aplay` subprocess whose failure goes unseen.
So each reply is synthesised to a WAV by a short-lived `_pyttsx3_worker.py` process, killed if it
overruns `timeout_s`, and this process plays the WAV with sounddevice: `say` returns exactly when
playback has ended (what the microphone gate needs). With `say_to`, the WAVs are kept.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voiceshop.errors import AudioDeviceError, EngineUnavailableError
from voiceshop.speaker.base import Speaker
from voiceshop.speaker.print_speaker import NullSpeaker, PrintSpeaker

_LOGGER = logging.getLogger(__name__)

_WORKER_SCRIPT = Path(__file__).with_name("_pyttsx3_worker.py")


@dataclass(frozen=True)
class SpeakerSettings:
    """How replies are voiced."""

    rate: int = 170
    """Speaking rate in words per minute."""
    voice: str | None = None
    """espeak-ng voice by id or name, e.g. "en-us" (`espeak-ng --voices=en`); None: the default."""
    say_to: Path | None = None
    """Directory that keeps every reply as reply-001.wav, reply-002.wav, ...; None keeps none."""
    play: bool = True
    """Play replies on the default output device (without one, see `echo`)."""
    timeout_s: float = 10.0
    """Longest wait for one reply's synthesis, and for its playback beyond the audio's length."""
    driver: str | None = None
    """pyttsx3 driver; None picks the platform's own (espeak on Linux)."""
    echo: bool = True
    """Print a reply that cannot be spoken (no engine, no output device) as "voiceshop: ...";
    turn off when the caller shows every reply itself."""


class Pyttsx3Speaker(Speaker):
    """Synthesises each reply in a subprocess, then plays it and/or keeps it as a WAV file."""

    name = "pyttsx3"

    def __init__(self, settings: SpeakerSettings | None = None) -> None:
        """Check that the engine starts; EngineUnavailableError says how to install it."""
        self._settings = settings or SpeakerSettings()
        self._workdir = tempfile.TemporaryDirectory(prefix="voiceshop-tts-")
        self._printer: Speaker = PrintSpeaker() if self._settings.echo else NullSpeaker()
        self._reported: set[str] = set()
        self._next_index = _first_free_index(self._settings.say_to)
        self._run_worker([], text="")  # no output file: only check that the engine starts

    def say(self, text: str) -> None:
        """Synthesise `text`, keep it in `say_to` and play it; echo it when it cannot be spoken."""
        if not text.strip() or not (self._settings.play or self._settings.say_to):
            return
        wav_path = self._reply_path()
        try:
            self._run_worker([str(wav_path)], text=text)
        except EngineUnavailableError as err:
            self._report("synthesis", f"{err}; replies are not spoken")
            self._printer.say(text)
            return
        if self._settings.play:
            self._play(wav_path, text)

    def close(self) -> None:
        self._workdir.cleanup()

    def _reply_path(self) -> Path:
        if self._settings.say_to is None:
            return Path(self._workdir.name) / "reply.wav"
        self._settings.say_to.mkdir(parents=True, exist_ok=True)
        path = self._settings.say_to / f"reply-{self._next_index:03d}.wav"
        self._next_index += 1
        return path

    def _run_worker(self, args: list[str], text: str) -> None:
        """Run the synthesis subprocess; EngineUnavailableError when it fails or overruns."""
        command = [sys.executable, str(_WORKER_SCRIPT), *args, *self._worker_options()]
        try:
            result = subprocess.run(
                command,
                input=text,
                capture_output=True,
                text=True,
                timeout=self._settings.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise EngineUnavailableError(
                f"pyttsx3 took over {self._settings.timeout_s:g} s to synthesise a reply"
            ) from err
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise EngineUnavailableError(f"pyttsx3 cannot speak: {reason}")

    def _worker_options(self) -> list[str]:
        options = ["--rate", str(self._settings.rate)]
        if self._settings.voice:
            options += ["--voice", self._settings.voice]
        if self._settings.driver:
            options += ["--driver", self._settings.driver]
        return options

    def _play(self, wav_path: Path, text: str) -> None:
        try:
            play_wav(wav_path, self._settings.timeout_s)
        except AudioDeviceError as err:
            self._report("playback", f"{err}; replies are not played")
            self._printer.say(text)

    def _report(self, topic: str, message: str) -> None:
        """Log a degraded mode once per topic, not on every reply."""
        if topic not in self._reported:
            self._reported.add(topic)
            _LOGGER.warning("%s", message)


def play_wav(path: Path, timeout_s: float = 10.0) -> None:
    """Play a mono 16-bit WAV on the default output device, returning when playback has ended.

    Raises AudioDeviceError when there is no output device (no sound card) or it cannot be opened.
    """
    from voiceshop.audio.microphone import import_sounddevice

    sd = import_sounddevice()
    samples, rate = _read_mono_wav(path)
    try:
        device = sd.query_devices(kind="output")
    except sd.PortAudioError as err:
        raise AudioDeviceError("No output device (no sound card or audio server)") from err
    output_rate = _playable_rate(sd, rate, device)
    if output_rate != rate:
        import soxr

        samples = soxr.resample(samples, rate, output_rate).astype(np.int16)
    try:
        _play_samples(sd, samples, output_rate, timeout_s)
    except sd.PortAudioError as err:
        raise AudioDeviceError(f"Cannot play on {device['name']!r}: {err}") from err


def _read_mono_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16), wav.getframerate()


def _playable_rate(sd: Any, rate: int, device: dict[str, Any]) -> int:
    """`rate` when the device takes it, else the device's own default rate."""
    try:
        sd.check_output_settings(samplerate=rate, channels=1, dtype="int16")
    except sd.PortAudioError:
        return int(device["default_samplerate"])
    return rate


def _play_samples(sd: Any, samples: np.ndarray, rate: int, timeout_s: float) -> None:
    """Stream `samples` from a callback; wait for the device to drain, at most audio + timeout."""
    finished = threading.Event()
    position = 0

    def fill(outdata: np.ndarray, frames: int, _time: Any, _status: Any) -> None:
        nonlocal position
        part = samples[position : position + frames]
        outdata[: len(part), 0] = part
        outdata[len(part) :] = 0
        position += frames
        if len(part) < frames:
            raise sd.CallbackStop

    with sd.OutputStream(
        samplerate=rate, channels=1, dtype="int16", callback=fill, finished_callback=finished.set
    ):
        if not finished.wait(len(samples) / rate + timeout_s):
            _LOGGER.warning("Playback did not finish within %.1f s; cut off", timeout_s)


def _first_free_index(directory: Path | None) -> int:
    """1, or one past the highest reply-NNN.wav already in `directory`."""
    if directory is None or not directory.is_dir():
        return 1
    numbers = [int(p.stem.split("-")[1]) for p in directory.glob("reply-[0-9][0-9][0-9].wav")]
    return max(numbers, default=0) + 1
