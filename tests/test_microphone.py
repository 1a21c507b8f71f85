"""Microphone input: device errors, and end to end through a PulseAudio virtual microphone."""

from __future__ import annotations

import importlib.abc
import json
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path
from typing import IO

import numpy as np
import pytest

from support.pulse import VirtualMicrophone, write_tone
from voiceshop.audio.gate import GateSettings, MicGate, TimedChunk
from voiceshop.audio.microphone import (
    Microphone,
    MicSettings,
    import_sounddevice,
    list_input_devices,
)
from voiceshop.audio.types import ENGINE_FORMAT, Chunk
from voiceshop.audio.wav import read_wav
from voiceshop.cli.voice_commands import DEMO_DIR
from voiceshop.dialog.conversation import Reply
from voiceshop.errors import AudioDeviceError
from voiceshop.recognizer.base import Recognizer, Transcript
from voiceshop.speaker import Pyttsx3Speaker, SpeakerSettings
from voiceshop.storage.database import ShopDatabase
from voiceshop.voice_loop import VoiceLoop

SPEECH_WAV = Path(__file__).parent / "fixtures" / "audio" / "add_milk_and_eggs.wav"
SAFETY_TIMEOUT_S = 20.0
"""Longest any test waits for audio before stopping the microphone."""
EXIT_TIMEOUT_S = 30.0
"""Longest a test waits for `voiceshop listen` to end after Ctrl-C."""


def loud_seconds(pcm: bytes, dbfs: float = -40.0) -> float:
    """Seconds of 16 kHz int16 audio whose 20 ms level is above `dbfs`."""
    samples = np.frombuffer(pcm, np.int16).astype(np.float32) / 32768
    frames = samples[: len(samples) // 320 * 320].reshape(-1, 320)
    return float(np.count_nonzero(np.sqrt((frames**2).mean(axis=1)) > 10 ** (dbfs / 20))) * 0.02


def record_while_playing(
    server: VirtualMicrophone, wav: Path, seconds: float, rate: int | None = None
) -> tuple[list[Chunk], Microphone]:
    """`seconds` of microphone audio, with `wav` played into it from 0.3 s on."""
    recorded: list[Chunk] = []
    with Microphone(settings=MicSettings(rate=rate)) as mic:
        player = threading.Timer(0.3, server.play, [wav])
        safety = threading.Timer(SAFETY_TIMEOUT_S, mic.stop)
        player.start()
        safety.start()
        for chunk in mic:
            recorded.append(chunk)
            if sum(c.seconds for c in recorded) >= seconds:
                break
        player.join()
        safety.cancel()
    return recorded, mic


def test_an_unknown_device_name_says_how_to_find_the_right_one() -> None:
    with pytest.raises(AudioDeviceError, match="No input device matching 'no-such-mic'") as err:
        Microphone("no-such-mic")
    assert "`voiceshop devices` lists the input devices" in str(err.value)


def test_a_missing_portaudio_library_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoPortAudio(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, *_args: object) -> None:
            if name == "sounddevice":
                raise OSError("PortAudio library not found")

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPortAudio(), *sys.meta_path])
    with pytest.raises(AudioDeviceError, match=r"sudo apt-get install libportaudio2"):
        import_sounddevice()


def test_without_any_input_device_the_error_suggests_replay() -> None:
    if list_input_devices():
        pytest.skip("this machine has an input device")
    with pytest.raises(AudioDeviceError, match="connect a microphone or use `voiceshop replay"):
        Microphone()


@pytest.mark.e2e
def test_the_virtual_microphone_is_listed(virtual_mic: VirtualMicrophone) -> None:
    devices = list_input_devices()
    assert any(device.name == "pulse" for device in devices)
    assert sum(device.is_default for device in devices) == 1


@pytest.mark.e2e
@pytest.mark.parametrize("rate", [None, 44_100, 48_000], ids=["16k", "44.1k", "48k"])
def test_the_microphone_hears_a_tone_for_as_long_as_it_plays(
    virtual_mic: VirtualMicrophone, tmp_path: Path, rate: int | None
) -> None:
    tone = write_tone(tmp_path / "tone.wav", seconds=1.0)

    recorded, mic = record_while_playing(virtual_mic, tone, seconds=2.5, rate=rate)

    assert all(isinstance(c, TimedChunk) and c.fmt == ENGINE_FORMAT for c in recorded)
    assert mic.rate == (rate or 16_000)
    assert loud_seconds(b"".join(c.pcm for c in recorded)) == pytest.approx(1.0, abs=0.1)
    assert mic.stats.dropped_blocks == 0


@pytest.mark.e2e
def test_the_microphone_hears_speech(virtual_mic: VirtualMicrophone) -> None:
    if not SPEECH_WAV.exists():
        pytest.skip(f"{SPEECH_WAV} is absent: run scripts/make_fixtures.py")
    expected = loud_seconds(read_wav(SPEECH_WAV).pcm)

    recorded, _ = record_while_playing(virtual_mic, SPEECH_WAV, seconds=expected + 2.0)

    assert loud_seconds(b"".join(c.pcm for c in recorded)) == pytest.approx(expected, abs=0.25)


class ListeningRecognizer(Recognizer):
    """Ends the first utterance after 0.5 s; keeps what it was fed after the reply."""

    def __init__(self, on_enough: threading.Event) -> None:
        self.after_reply: list[bytes] = []
        self._fed = 0
        self._answered = False
        self._on_enough = on_enough

    def feed(self, chunk: Chunk) -> Transcript | None:
        self._fed += 1
        if self._answered:
            self.after_reply.append(chunk.pcm)
            return None
        if self._fed == 5:
            self._answered = True
            return Transcript("add milk")
        return None

    def partial(self) -> str:
        return ""

    def flush(self) -> Transcript | None:
        return None

    def reset(self) -> None:
        self._on_enough.set()


class OneReply:
    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        return Reply("Added two cartons of organic whole milk to your cart.")


@pytest.mark.e2e
def test_the_agent_does_not_hear_its_own_reply(
    virtual_mic: VirtualMicrophone, tmp_path: Path
) -> None:
    """The reply plays into the virtual microphone, yet reaches the recognizer as silence."""
    speaker = Pyttsx3Speaker(SpeakerSettings(say_to=tmp_path, play=True))
    spoke = threading.Event()
    recognizer = ListeningRecognizer(spoke)
    gate = MicGate(GateSettings(tail_s=0.4))
    tone = write_tone(tmp_path / "tone.wav", seconds=0.5)

    with Microphone() as mic:
        loop = VoiceLoop(mic, recognizer, OneReply(), speaker, gate)
        runner = threading.Thread(target=loop.run)
        runner.start()
        assert spoke.wait(SAFETY_TIMEOUT_S), "the agent never replied"
        time.sleep(0.5)  # past the gate's tail
        virtual_mic.play(tone)  # the user speaks again
        time.sleep(0.5)  # until the tone has passed through the queue
        mic.stop()
        runner.join(SAFETY_TIMEOUT_S)

    with wave.open(str(tmp_path / "reply-001.wav"), "rb") as wav:
        reply_seconds = wav.getnframes() / wav.getframerate()
    heard_after = b"".join(recognizer.after_reply)
    assert gate.muted_seconds == pytest.approx(reply_seconds + 0.4, abs=0.3)
    assert loud_seconds(heard_after) == pytest.approx(0.5, abs=0.1), "only the user's tone"


@pytest.mark.e2e
@pytest.mark.audio
def test_voiceshop_listen_hears_the_microphone_and_answers(
    virtual_mic: VirtualMicrophone, tmp_path: Path
) -> None:
    """`voiceshop listen` as a user runs it: speech into the microphone, partial transcripts
    while it is spoken, the reply back, the cart saved on Ctrl-C."""
    db = tmp_path / "shop.db"
    listen = subprocess.Popen(
        [sys.executable, "-m", "voiceshop", "listen", "--quiet", "--db", str(db)],
        env=virtual_mic.client_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # partial transcripts go to stderr: one stream keeps the order
        text=True,
        preexec_fn=_ctrl_c_heard,
    )
    try:
        assert listen.stdout is not None
        read_until(listen.stdout, "Listening on")
        virtual_mic.play(DEMO_DIR / "03_add_sourdough_bread.wav")
        lines = read_until(listen.stdout, "voiceshop: ")
        heard = next(i for i, line in enumerate(lines) if line.startswith("you: "))
        partials = [line.removeprefix("... ") for line in lines[:heard] if line.startswith("...")]
        assert lines[heard].lower().startswith("you: add a loaf of sourdough")
        assert "Added 1 loaf of Green Basket Sourdough Bread" in lines[-1]
        assert partials, f"no partial transcript before the final one: {lines}"
        assert partials[0].lower().startswith("add")
    finally:
        listen.send_signal(signal.SIGINT)
        out = _stopped(listen)
    assert listen.returncode == 0
    assert "Cart saved." in out
    with ShopDatabase(db) as shop:
        assert [line.product_id for line in shop.cart("default", "grocery")] == ["sourdough-bread"]


@pytest.mark.e2e
@pytest.mark.audio
def test_voiceshop_listen_records_each_turn_with_record_dir(
    virtual_mic: VirtualMicrophone, tmp_path: Path
) -> None:
    folder = tmp_path / "turns"
    listen = subprocess.Popen(
        [sys.executable, "-m", "voiceshop", "listen", "--quiet", "--db", str(tmp_path / "s.db"),
         "--record-dir", str(folder)],
        env=virtual_mic.client_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_ctrl_c_heard,
    )  # fmt: skip
    try:
        assert listen.stdout is not None
        read_until(listen.stdout, "Listening on")
        virtual_mic.play(DEMO_DIR / "03_add_sourdough_bread.wav")
        read_until(listen.stdout, "voiceshop: ")
    finally:
        listen.send_signal(signal.SIGINT)
        _stopped(listen)
    assert listen.returncode == 0
    [turn] = [json.loads(line) for line in (folder / "turns.jsonl").read_text().splitlines()]
    assert turn["source"] == "mic"
    assert turn["intent"] == "AddItems"
    assert turn["transcript"].lower().startswith("add a loaf of sourdough")
    assert turn["reply"].startswith("Added 1 loaf of Green Basket Sourdough Bread")
    assert 0 < turn["timings"]["heard_to_reply"] < 10, turn
    said = loud_seconds(read_wav(DEMO_DIR / "03_add_sourdough_bread.wav").pcm)
    kept = loud_seconds(read_wav(folder / turn["wav"]).pcm)
    assert kept == pytest.approx(said, abs=0.3), turn


def _ctrl_c_heard() -> None:
    """In the child before `listen` starts: Ctrl-C (SIGINT) does its default, as at a terminal.
    A test run started in the background by a non-interactive shell ignores SIGINT, and an
    ignored signal is inherited: `listen` would never hear the Ctrl-C the tests send."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stopped(listen: subprocess.Popen[str]) -> str:
    """Ctrl-C sent: what `listen` printed after it, once it has ended; fails, showing that
    output, when it does not end in time."""
    try:
        out, _ = listen.communicate(timeout=EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired as err:
        listen.kill()
        out, _ = listen.communicate()
        raise AssertionError(
            f"listen did not end {EXIT_TIMEOUT_S} s after Ctrl-C: {out!r}"
        ) from err
    return out


def read_until(stream: IO[str], prefix: str) -> list[str]:
    """Lines from `stream` up to the first that starts with `prefix` (bounded in time)."""
    lines: list[str] = []
    deadline = time.monotonic() + SAFETY_TIMEOUT_S * 3
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"no line starting with {prefix!r} in {lines}")
