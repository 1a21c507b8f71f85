"""Speak replies with pyttsx3 (espeak-ng on Linux), in a fresh process per reply (pitfall P7).

A long-lived pyttsx3 engine hangs or falls silent when it is reused or driven from another thread;
its espeak driver stays in "save" mode after `save_to_file` (later `say` calls overwrite that file
instead of playing), and its `say` plays through an `aplay` subprocess whose failure goes unseen.
So each reply is synthesised by a short-lived `_pyttsx3_worker.py` process into one WAV per
sentence, and this process plays them with sounddevice: `say` returns exactly when playback has
ended (what the microphone gate needs).

Two things bring the first words out early. The worker for the next reply is started while the
current one plays, so a reply finds its engine running (starting one takes ~50 ms); and a reply
is synthesised sentence by sentence, the first played while the next are synthesised. With
`say_to`, each reply is also kept whole as a WAV.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soxr

from voiceshop.audio.types import ENGINE_RATE
from voiceshop.errors import AudioDeviceError, EngineUnavailableError
from voiceshop.speaker.base import Speaker, SpeechPlayback
from voiceshop.speaker.playback import (
    DevicePlayer,
    InterruptiblePlayer,
    Playback,
    Player,
    Sound,
    joined,
)
from voiceshop.speaker.print_speaker import NullSpeaker, PrintSpeaker
from voiceshop.speaker.reading import Reading
from voiceshop.speaker.sentences import sentences

_LOGGER = logging.getLogger(__name__)

_WORKER_SCRIPT = Path(__file__).with_name("_pyttsx3_worker.py")
_READY = "ready"
"""The worker's first line once its engine runs."""


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
    """Longest wait for the engine to start, for each sentence's synthesis, and for playback
    beyond the audio's length."""
    driver: str | None = None
    """pyttsx3 driver; None picks the platform's own (espeak on Linux)."""
    echo: bool = True
    """Print a reply that cannot be spoken (no engine, no output device) as "voiceshop: ...";
    turn off when the caller shows every reply itself."""
    by_sentence: bool = True
    """Synthesise and play a reply sentence by sentence; False: in one piece."""
    prewarm: bool = True
    """Start the engine process for the next reply ahead of time; False: when the reply comes."""
    reading: Reading = field(default_factory=Reading)
    """How written amounts and measures are read aloud (the language's `reading:`)."""


class Pyttsx3Speaker(Speaker):
    """Synthesises each reply in a subprocess, then plays it and/or keeps it as a WAV file."""

    name = "pyttsx3"

    def __init__(
        self, settings: SpeakerSettings | None = None, player: Player | None = None
    ) -> None:
        """Check that the engine starts; EngineUnavailableError says how to install it."""
        self._settings = settings or SpeakerSettings()
        self._player = player or DevicePlayer(self._settings.timeout_s)
        self._workdir = tempfile.TemporaryDirectory(prefix="voiceshop-tts-")
        self._printer: Speaker = PrintSpeaker() if self._settings.echo else NullSpeaker()
        self._reported: set[str] = set()
        self._replies = 0
        self._next_index = _first_free_index(self._settings.say_to)
        self._next: _Worker | None = self._start_worker()
        self._next.wait_ready()
        if not self._settings.prewarm:
            self._next.close()
            self._next = None
        self.first_audio_at: float | None = None
        """`time.monotonic()` when the latest reply's first audio went to the device."""

    def say(self, text: str) -> None:
        """Speak `text` sentence by sentence, keep it in `say_to`; echo it when it cannot be
        spoken."""
        parts = self._parts(text)
        if not parts or not (self._settings.play or self._settings.say_to):
            return
        synthesised: list[Sound] = []
        try:
            self.first_audio_at = self._speak(parts, text, synthesised)
        except EngineUnavailableError as err:
            self._report("synthesis", f"{err}; replies are not spoken")
            self._printer.say(text)
        finally:
            self._prewarm()
        if synthesised and self._settings.say_to is not None:
            joined(synthesised).write_wav(self._reply_path(self._settings.say_to))

    def synthesize(self, text: str) -> Sound | None:
        """`text` spoken into one sound, neither played nor kept (a server sends it on); None
        when it has no words. EngineUnavailableError when the engine fails or overruns."""
        parts = self._parts(text)
        if not parts:
            return None
        worker = self._take_worker()
        try:
            return joined(list(worker.sounds(parts)))
        finally:
            worker.close()
            self._prewarm()

    def start(self, text: str) -> SpeechPlayback | None:
        """Synthesise the whole reply, start playing it and return (None when it cannot be
        played here: then `say` is the way)."""
        parts = self._parts(text)
        if (
            not parts
            or not self._settings.play
            or not isinstance(self._player, InterruptiblePlayer)
        ):
            return None
        try:
            worker = self._take_worker()
            try:
                sound = joined(list(worker.sounds(parts)))
            finally:
                worker.close()
            assert isinstance(self._player, InterruptiblePlayer)
            playback = self._player.start(sound)
        except (EngineUnavailableError, AudioDeviceError) as err:
            self._report("barge-in", f"{err}; replies are said without barge-in")
            return None
        finally:
            self._prewarm()
        if self._settings.say_to is not None:
            sound.write_wav(self._reply_path(self._settings.say_to))
        return _StartedReply(playback, _engine_samples(sound))

    def _parts(self, text: str) -> list[str]:
        """What is synthesised, in words as the language reads them: sentence by sentence, or
        the whole reply; [] for no words."""
        spoken = self._settings.reading.spoken(text)
        if self._settings.by_sentence:
            return sentences(spoken)
        whole = " ".join(spoken.split())
        return [whole] if whole else []

    def close(self) -> None:
        if self._next is not None:
            self._next.close()
            self._next = None
        self._workdir.cleanup()

    def _speak(self, parts: list[str], text: str, synthesised: list[Sound]) -> float | None:
        """Synthesise the parts in a worker and play them as they come; when the first played."""
        worker = self._take_worker()
        try:
            return self._play(_kept(worker.sounds(parts), synthesised), text)
        finally:
            worker.close()

    def _take_worker(self) -> _Worker:
        worker = self._next or self._start_worker()
        self._next = None
        worker.wait_ready()
        return worker

    def _prewarm(self) -> None:
        if self._settings.prewarm and self._next is None:
            self._next = self._start_worker()

    def _start_worker(self) -> _Worker:
        self._replies += 1
        folder = Path(self._workdir.name) / f"reply-{self._replies}"
        return _Worker(folder, self._worker_options(), self._settings.timeout_s)

    def _worker_options(self) -> list[str]:
        options = ["--rate", str(self._settings.rate)]
        if self._settings.voice:
            options += ["--voice", self._settings.voice]
        if self._settings.driver:
            options += ["--driver", self._settings.driver]
        return options

    def _play(self, sounds: Iterator[Sound], text: str) -> float | None:
        """Play the sounds as they come (or only let them be made); when the first played."""
        if not self._settings.play:
            _make_all(sounds)
            return None
        try:
            return self._player.play(sounds)
        except AudioDeviceError as err:
            self._report("playback", f"{err}; replies are not played")
            self._printer.say(text)
            _make_all(sounds)  # for say_to
            return None

    def _reply_path(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"reply-{self._next_index:03d}.wav"
        self._next_index += 1
        return path

    def _report(self, topic: str, message: str) -> None:
        """Log a degraded mode once per topic, not on every reply."""
        if topic not in self._reported:
            self._reported.add(topic)
            _LOGGER.warning("%s", message)


class _Worker:
    """One `_pyttsx3_worker.py` process, writing into its own folder: started ahead of time,
    used for one reply."""

    def __init__(self, folder: Path, options: list[str], timeout_s: float) -> None:
        self._folder = folder
        self._timeout_s = timeout_s
        folder.mkdir()
        self._process = subprocess.Popen(
            [sys.executable, str(_WORKER_SCRIPT), str(folder), *options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read_lines, daemon=True).start()
        self._ready = False

    def wait_ready(self) -> None:
        """Return once the engine runs; EngineUnavailableError when it fails or overruns."""
        if not self._ready:
            self._expect(_READY, "start")
            self._ready = True

    def sounds(self, parts: list[str]) -> Iterator[Sound]:
        """Each part's speech, as soon as the worker has synthesised it."""
        assert self._process.stdin is not None
        self._process.stdin.write("".join(f"{part}\n" for part in parts))
        self._process.stdin.close()
        for _ in parts:
            yield Sound.from_wav(Path(self._expect(None, "synthesise a sentence")))

    def close(self) -> None:
        """Stop the process if it still runs, and delete its files."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stderr):
            if stream is not None and not stream.closed:
                stream.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _expect(self, wanted: str | None, doing: str) -> str:
        """The next line from the worker (which must be `wanted`, if given)."""
        try:
            line = self._lines.get(timeout=self._timeout_s)
        except queue.Empty:
            self.close()
            raise EngineUnavailableError(
                f"pyttsx3 took over {self._timeout_s:g} s to {doing}"
            ) from None
        if line is None or (wanted is not None and line != wanted):
            raise EngineUnavailableError(f"pyttsx3 cannot speak: {self._failure()}")
        return line

    def _failure(self) -> str:
        self._process.wait()
        assert self._process.stderr is not None
        lines = self._process.stderr.read().strip().splitlines()
        return lines[-1] if lines else "no message"

    def _read_lines(self) -> None:
        """Queue the worker's output lines, then None at its end (run in a thread)."""
        assert self._process.stdout is not None
        with self._process.stdout as lines:
            for line in lines:
                self._lines.put(line.strip())
        self._lines.put(None)


class _StartedReply:
    """A Playback with the reply's 16 kHz samples (SpeechPlayback)."""

    def __init__(self, playback: Playback, reference: np.ndarray) -> None:
        self._playback = playback
        self._reference = reference

    @property
    def reference(self) -> np.ndarray:
        return self._reference

    @property
    def started_at(self) -> float | None:
        return self._playback.started_at

    @property
    def underflows(self) -> int:
        return self._playback.underflows

    def done(self) -> bool:
        return self._playback.done()

    def stop(self) -> None:
        self._playback.stop()

    def close(self) -> None:
        self._playback.close()


def _engine_samples(sound: Sound) -> np.ndarray:
    """The sound at the engine's 16 kHz, int16."""
    if sound.rate == ENGINE_RATE:
        return sound.samples
    return np.asarray(soxr.resample(sound.samples, sound.rate, ENGINE_RATE), dtype=np.int16)


def _make_all(sounds: Iterator[Sound]) -> None:
    """Let the rest of the sounds be synthesised, unplayed."""
    for _sound in sounds:
        pass


def _kept(sounds: Iterator[Sound], kept: list[Sound]) -> Iterator[Sound]:
    """`sounds`, each also appended to `kept`."""
    for sound in sounds:
        kept.append(sound)
        yield sound


def _first_free_index(directory: Path | None) -> int:
    """1, or one past the highest reply-NNN.wav already in `directory`."""
    if directory is None or not directory.is_dir():
        return 1
    numbers = [int(p.stem.split("-")[1]) for p in directory.glob("reply-[0-9][0-9][0-9].wav")]
    return max(numbers, default=0) + 1
