"""Barge-in at the (virtual) microphone: the agent's reply is played into the microphone through a
simulated room, and a person's interruption (tests/fixtures/audio/barge_in) is played over it.

    PYTHONPATH=. .venv/bin/python -m benchmarks.barge_in [--trials 24] [--replies 50]
        [--set linear_margin_db=10 --set preroll_s=0.8 ...]

Everything runs through production code: `VoiceLoop` in barge-in mode, `Pyttsx3Speaker` (espeak-ng)
playing with sounddevice into the private PulseAudio server's sink, `Microphone` recording its
monitor, WebRTC AEC3, the interruption detector and the Whisper recognizer. The room is simulated
before the output device: the reply reaches the microphone delayed (`ECHO_DELAYS_MS`), attenuated
(`ECHO_GAINS_DB`) and reverberated (an exponentially decaying noise impulse response,
`RT60_S`), while the echo canceller's reference is the clean reply, as in a real room.

Per interruption trial: was the reply stopped (detected), did the recognizer's transcript match the
words said (understood: word error rate <= 0.25 after normalising; a stop word must come out as
itself; "same request" also counts a transcript the grocery store's intent parser reads as the
request said, `support.barge_in_mix.same_request`), and how long from the start of the person's
speech (the moment `paplay` started plus the WAV's silent lead) to the reply being stopped.
False interruptions: replies played to the end with nobody speaking, counting those the loop
stopped.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from support.barge_in_mix import FirstTurnRecognizer, OneReply, grocery_reader, same_request
from support.pulse import PulseUnavailable, VirtualMicrophone
from support.stats import spoken_words, word_error_rate
from voiceshop.audio.echo import BargeInSettings, EchoCanceller
from voiceshop.audio.gate import MicGate
from voiceshop.audio.types import Chunk
from voiceshop.language import Normalizer, load_language
from voiceshop.rescoring.protocol import Vocabulary
from voiceshop.speaker.playback import DevicePlayer, Playback, Sound
from voiceshop.speaker.pyttsx3_speaker import Pyttsx3Speaker, SpeakerSettings
from voiceshop.voice_loop import BargedIn, Heard, LoopEvent, LoopSettings, VoiceLoop

ROOT = Path(__file__).resolve().parents[1]
WAV_DIR = ROOT / "tests" / "fixtures" / "audio" / "barge_in"
INTERRUPTIONS = {
    "remove_the_bananas.wav": "remove the bananas",
    "stop.wav": "stop",
    "cancel.wav": "cancel",
    "add_two_apples.wav": "add two apples",
    "whats_in_my_cart.wav": "what's in my cart",
    "no_make_it_three.wav": "no make it three",
}
REPLIES = (
    "I added two cartons of organic whole milk to your cart. Anything else?",
    "Your cart has five items: milk, eggs, sourdough bread, black beans and spaghetti.",
    "The large brown eggs are four dollars and twenty nine cents. Shall I add them?",
    "I removed the bananas. Your total is now eighteen dollars and fifty cents.",
    "Which one did you mean: the large brown eggs, or the free range white eggs?",
    "Your order is placed. It will be ready for pickup tomorrow morning at nine.",
    "I didn't find sparkling water in this store. Would you like still water instead?",
)
ECHO_DELAYS_MS = (20, 60, 120)
"""Loudspeaker to microphone, plus converter latency, on a desk."""
ECHO_GAINS_DB = (-12.0, -6.0, 0.0)
"""The reply's level at the microphone relative to its level sent to the device."""
RT60_S = 0.3
SPEECH_GAIN_DB = -6.0
"""The person's level relative to the fixture (which peaks at -3 dBFS)."""
TRIAL_TIMEOUT_S = 25.0


@dataclass(frozen=True)
class Room:
    delay_ms: int
    gain_db: float
    seed: int

    def apply(self, samples: np.ndarray, rate: int) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        taps = int(RT60_S * rate)
        t = np.arange(taps) / rate
        response = rng.standard_normal(taps) * np.exp(-6.9 * t / RT60_S)
        response[0] += 3.0
        response /= np.sqrt((response**2).sum())
        wet = np.convolve(samples.astype(np.float32), response)[: len(samples)]
        delay = round(self.delay_ms * rate / 1000)
        out = np.concatenate([np.zeros(delay), wet]) * 10 ** (self.gain_db / 20)
        return np.asarray(np.clip(out, -32768, 32767), dtype=np.int16)


class RoomPlayer(DevicePlayer):
    """Plays through the simulated room, and tells when each reply started."""

    def __init__(self) -> None:
        super().__init__()
        self.room = Room(60, -6.0, 0)
        self.started = threading.Event()
        self.current: Playback | None = None

    def start(self, sound: Sound) -> Playback:
        playback = super().start(Sound(self.room.apply(sound.samples, sound.rate), sound.rate))
        self.current = playback
        self.started.set()
        return playback


@dataclass
class Trial:
    wav: str
    room: Room
    detected: bool = False
    heard: str = ""
    understood: bool = False
    same_request: bool = False
    """Understood, or heard as the request said (`support.barge_in_mix.same_request`)."""
    stop_ms: float | None = None
    """From the person's first sound to the loop stopping the reply."""
    output_latency_ms: float = 0.0
    """The output stream's latency: sound already sent may play this much longer."""
    barge_ins: list[float] = field(default_factory=list)
    mic_trouble: int = 0
    """Input overflows and dropped blocks while the trial ran."""


def speech_lead_s(path: Path) -> float:
    """Seconds of silence before the WAV's first 10 ms frame above -40 dBFS."""
    with wave.open(str(path), "rb") as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), np.int16) / 32768.0
        rate = wav.getframerate()
    frame = rate // 100
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame)
    loud = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) > 10 ** (-40 / 20))
    return float(loud[0]) / 100 if len(loud) else 0.0


class Bench:
    def __init__(self, server: VirtualMicrophone, settings: BargeInSettings) -> None:
        from voiceshop.recognizer import RecognizerSettings, load_recognizer

        self.server = server
        self.settings = settings
        phrases = ("remove the bananas", "add two apples", "stop", "cancel", "what's in my cart")
        vocabulary = Vocabulary(phrases, frozenset(w for p in phrases for w in p.split()))
        self.recognizer = load_recognizer(RecognizerSettings(asr="whisper"), vocabulary)
        self.player = RoomPlayer()
        self.speaker = Pyttsx3Speaker(SpeakerSettings(echo=False), player=self.player)
        self.canceller = EchoCanceller()
        """One for all trials, as one loop has one for a whole conversation."""
        self.normalizer = Normalizer(load_language("en"))
        """Reads what was said and heard into the words they are scored by."""
        self.read = grocery_reader()

    def run(self, reply: str, room: Room, wav: str | None, offset_s: float) -> Trial:
        """One reply; with `wav`, played `offset_s` after the reply started."""
        from voiceshop.audio.microphone import Microphone

        trial = Trial(wav or "", room)
        self.player.room = room
        self.player.started.clear()
        self.player.current = None
        conversation = OneReply(reply)
        spoke_at: list[float] = []

        def on_event(event: LoopEvent) -> None:
            if isinstance(event, BargedIn):
                trial.barge_ins.append(event.stopped_at)
            elif isinstance(event, Heard) and event.transcript.text != "trigger":
                trial.heard = event.transcript.text

        def interrupt() -> None:
            if not self.player.started.wait(10) or wav is None:
                return
            time.sleep(offset_s)
            spoke_at.append(time.monotonic() + speech_lead_s(WAV_DIR / wav))
            self.server.play(WAV_DIR / wav)

        loop_settings = LoopSettings(barge_in=self.settings)
        with Microphone() as mic:
            loop = VoiceLoop(
                _until(mic, self.player, lambda: bool(trial.heard), 1.0 if wav is None else 6.0),
                FirstTurnRecognizer(self.recognizer),
                conversation,
                self.speaker,
                MicGate(),
                on_event,
                loop_settings,
                canceller=self.canceller,
            )
            person = threading.Thread(target=interrupt, daemon=True)
            person.start()
            loop.run()
            person.join(15)
            trial.mic_trouble = sum(mic.stats.status_flags.values()) + mic.stats.dropped_blocks
        self.recognizer.reset()
        if wav is not None:
            said = INTERRUPTIONS[wav]
            stops = [t for t in trial.barge_ins if spoke_at and t >= spoke_at[0] - 0.3]
            trial.detected = bool(stops)
            if stops:
                trial.stop_ms = (stops[0] - spoke_at[0]) * 1000
                if self.player.current is not None:
                    trial.output_latency_ms = self.player.current.latency_s * 1000
            trial.understood = (
                bool(trial.heard)
                and word_error_rate(
                    spoken_words(said, self.normalizer), spoken_words(trial.heard, self.normalizer)
                )
                <= 0.25
            )
            trial.same_request = trial.understood or same_request(said, trial.heard, self.read)
        return trial


def _until(
    mic: Iterable[Chunk], player: RoomPlayer, heard: Callable[[], bool], grace_s: float
) -> Iterator[Chunk]:
    """The microphone's chunks until something was heard, or `grace_s` after the reply ended,
    or `TRIAL_TIMEOUT_S`."""
    deadline = time.monotonic() + TRIAL_TIMEOUT_S
    ended_at: float | None = None
    for chunk in mic:
        yield chunk
        now = time.monotonic()
        if heard() or now > deadline:
            return
        if ended_at is None and player.current is not None and player.current.done():
            ended_at = now
        if ended_at is not None and now > ended_at + grace_s:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=24, help="interruptions")
    parser.add_argument("--replies", type=int, default=50, help="replies nobody interrupts")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a BargeInSettings number other than its default (VALUE 'none' for None)",
    )
    args = parser.parse_args(argv)
    try:
        overrides = settings_overrides(args.set)
    except ValueError as err:
        parser.error(str(err))
    server = VirtualMicrophone()
    try:
        server.start()
    except PulseUnavailable as err:
        print(f"PulseAudio cannot run here: {err}")
        return 1
    os.environ["PULSE_SERVER"] = server.address
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server on `kill` too
    try:
        from voiceshop.audio.microphone import refresh_devices

        refresh_devices()
        return _measure(server, args.trials, args.replies, overrides)
    finally:
        server.stop()


def settings_overrides(pairs: Iterable[str]) -> dict[str, float | None]:
    """`NAME=VALUE` pairs as numeric BargeInSettings fields (ValueError for anything else)."""
    numeric = {f.name for f in fields(BargeInSettings) if "float" in str(f.type)}
    out: dict[str, float | None] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in numeric:
            raise ValueError(f"--set {pair}: not one of {', '.join(sorted(numeric))}")
        try:
            out[name] = None if value.lower() == "none" else float(value)
        except ValueError:
            raise ValueError(f"--set {pair}: {value!r} is not a number or 'none'") from None
    return out


def _measure(
    server: VirtualMicrophone, trials: int, replies: int, overrides: dict[str, float | None]
) -> int:
    """Each room is one conversation: its interrupted replies and its uninterrupted ones, in
    one order mixed by a fixed seed. The echo canceller starts afresh in each room (it learns
    a room's echo path during the first replies, as it would in use)."""
    rooms = [
        Room(d, g, i)
        for i, (d, g) in enumerate((d, g) for d in ECHO_DELAYS_MS for g in ECHO_GAINS_DB)
    ]
    wavs = sorted(INTERRUPTIONS)
    rng = np.random.default_rng(18)
    jobs: list[tuple[int, int, str | None]] = [
        (i % len(rooms), i, wavs[i % len(wavs)]) for i in range(trials)
    ] + [(i % len(rooms), trials + i, None) for i in range(replies)]
    order = rng.permutation(len(jobs))
    jobs = sorted((jobs[k] for k in order), key=lambda job: job[0])
    stop_words = load_language("en").stop_words
    settings = BargeInSettings(enabled=True, stop_words=stop_words, **overrides)
    print(f"settings: {settings}", flush=True)
    bench = Bench(server, settings)
    results: list[Trial] = []
    false_stops = 0
    current_room = -1
    for room_index, number, wav in jobs:
        room = rooms[room_index]
        if room_index != current_room:
            bench.canceller = EchoCanceller()
            current_room = room_index
        reply = REPLIES[number % len(REPLIES)]
        trial = bench.run(reply, room, wav, float(rng.uniform(0.6, 1.6)))
        if wav is not None:
            results.append(trial)
            print(
                f"  {wav:24} delay {room.delay_ms:3d} ms echo {room.gain_db:+5.1f} dB: "
                f"detected={trial.detected} heard={trial.heard!r} "
                f"stop={trial.stop_ms and round(trial.stop_ms)} ms",
                flush=True,
            )
        elif trial.barge_ins:
            false_stops += 1
            dry = bench.player.current.underflows if bench.player.current else 0
            print(
                f"  false interruption: reply {number} in {room} "
                f"({dry} output underflows, {trial.mic_trouble} input overflows/drops)",
                flush=True,
            )
    bench.speaker.close()
    _table(results, false_stops, replies)
    return 0


def _table(results: list[Trial], false_stops: int, replies: int) -> None:
    n = len(results)
    detected = sum(t.detected for t in results)
    understood = sum(t.understood for t in results)
    same = sum(t.same_request for t in results)
    stops = sorted(t.stop_ms for t in results if t.stop_ms is not None)
    median = stops[len(stops) // 2] if stops else float("nan")
    p90 = stops[min(len(stops) - 1, int(0.9 * len(stops)))] if stops else float("nan")
    per50 = false_stops * 50 / max(1, replies)
    latencies = sorted(t.output_latency_ms for t in results if t.stop_ms is not None)
    latency = latencies[len(latencies) // 2] if latencies else float("nan")
    rows = [
        ("barge-in detected", f"{detected}/{n} ({100 * detected / max(1, n):.0f} %)", ">= 95 %"),
        ("words understood", f"{understood}/{n} ({100 * understood / max(1, n):.0f} %)", ">= 90 %"),
        ("understood or same request", f"{same}/{n} ({100 * same / max(1, n):.0f} %)", ">= 90 %"),
        ("false interruptions", f"{false_stops} in {replies} replies ({per50:.1f} per 50)", "<= 1"),
        ("speech start -> reply stopped", f"median {median:.0f} ms, p90 {p90:.0f} ms", "<= 300 ms"),
        ("output latency after the stop", f"median {latency:.0f} ms (PortAudio's figure)", ""),
    ]
    print("\n| measure | result | target |\n|---|---|---|")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")
    print("\n| echo at the microphone | detected | understood | stopped after (median) |")
    print("|---|---|---|---|")
    for gain in ECHO_GAINS_DB:
        some = [t for t in results if t.room.gain_db == gain]
        times = sorted(t.stop_ms for t in some if t.stop_ms is not None)
        middle = f"{times[len(times) // 2]:.0f} ms" if times else "-"
        print(
            f"| {gain:+.0f} dB | {sum(t.detected for t in some)}/{len(some)} | "
            f"{sum(t.understood for t in some)}/{len(some)} | {middle} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
