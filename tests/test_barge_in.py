"""Barge-in as pure logic: the reply's timeline, the interruption detector, the echo canceller on
a synthetic room, and the voice loop stopping a (fake) reply when someone speaks over it."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
import pytest

from support.fakes import FeedOnlyRecognizer
from voiceshop.audio.echo import (
    LEAD_S,
    BargeInSettings,
    EchoCanceller,
    FrameLevels,
    InterruptionDetector,
    ReplyReference,
    frame_dbfs,
)
from voiceshop.audio.gate import MicGate, TimedChunk
from voiceshop.audio.types import Chunk
from voiceshop.dialog.conversation import Reply
from voiceshop.language import load_language
from voiceshop.recognizer.base import Transcript
from voiceshop.speaker.base import Speaker, SpeechPlayback
from voiceshop.voice_loop import BargedIn, Heard, LoopEvent, LoopSettings, Said, VoiceLoop

AUDIO = Path(__file__).parent / "fixtures" / "audio"
RATE = 16_000
BLOCK = 512
"""Samples per microphone chunk (32 ms)."""


def speechlike(seconds: float, seed: int, level: float = 8000.0) -> np.ndarray:
    """Noise shaped into 150 ms syllables: loud enough to be speech, unlike any other seed's."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * np.arange(n) / (0.15 * RATE))
    return (rng.standard_normal(n) * envelope * level / 3).clip(-32767, 32767).astype(np.int16)


def speech(*names: str) -> np.ndarray:
    """Fixture recordings (16 kHz mono) one after the other."""
    parts = []
    for name in names:
        with wave.open(str(AUDIO / name), "rb") as wav:
            assert (wav.getframerate(), wav.getnchannels()) == (RATE, 1)
            parts.append(np.frombuffer(wav.readframes(wav.getnframes()), np.int16))
    return np.concatenate(parts)


REPLY = ("add_milk_and_eggs.wav", "change_the_black_beans_to_five.wav")
"""Stands for the agent's reply: 7.4 s of espeak-ng and Piper speech."""
PERSON = "barge_in/remove_the_bananas.wav"
STOP_WORDS = load_language("en").stop_words


def mixed(far: np.ndarray, person: np.ndarray, at_s: float) -> np.ndarray:
    near = room(far).astype(np.int32)
    start = round(at_s * RATE)
    near[start : start + len(person)] += person[: len(near) - start] // 2
    return near.clip(-32768, 32767).astype(np.int16)


def room(far: np.ndarray, delay_ms: int = 40, gain_db: float = -6.0) -> np.ndarray:
    """The far signal as a microphone hears it: delayed, attenuated, a little reverberated."""
    taps = np.zeros(RATE // 10)
    taps[0], taps[400], taps[1100] = 1.0, 0.4, 0.15
    wet = np.convolve(far.astype(np.float64), taps)[: len(far)]
    delay = delay_ms * RATE // 1000
    out = np.concatenate([np.zeros(delay), wet])[: len(far)] * 10 ** (gain_db / 20)
    return out.astype(np.int16)


def test_the_reference_is_placed_once_by_time_then_follows_the_chunks() -> None:
    samples = np.arange(1, 16_001, dtype=np.int16)
    reference = ReplyReference(samples, started_at=10.0)
    first = reference.segment(10.1 - LEAD_S, 160)  # the 160 samples played up to 0.1 s
    assert first.tolist() == list(range(1441, 1601))
    # a capture time a little late (jitter) does not make the reference jump: it continues
    assert reference.segment(10.15 - LEAD_S, 160).tolist() == list(range(1601, 1761))
    # but one far ahead (the microphone dropped audio) does
    assert reference.segment(10.5 - LEAD_S, 160).tolist() == list(range(7841, 8001))


def test_nothing_is_played_before_the_start_nor_after_a_stop() -> None:
    reference = ReplyReference(np.full(16_000, 7, np.int16), started_at=10.0)
    before = reference.segment(10.005 - LEAD_S, 160)
    assert before[:80].tolist() == [0] * 80 and before[80:].tolist() == [7] * 80
    reference.stop_at(10.02)
    assert reference.played == 320
    after = reference.segment(0.0, 160)  # samples 80..240: played up to 320
    assert after.tolist() == [7] * 160
    assert reference.segment(0.0, 160)[80:].tolist() == [0] * 80


def feed_in_chunks(detector: InterruptionDetector, near: np.ndarray, cleaned: np.ndarray) -> int:
    """Index of the chunk that completed an interruption, or -1."""
    for i in range(0, len(near), BLOCK):
        if detector.feed(near[i : i + BLOCK], cleaned[i : i + BLOCK]):
            return i // BLOCK
    return -1


def test_a_person_over_a_quietly_cancelled_echo_is_an_interruption() -> None:
    echo = speechlike(2.0, seed=1)
    person = speechlike(1.0, seed=2)
    near = echo.copy()
    near[RATE : 2 * RATE] += person
    cleaned = np.zeros_like(near)
    cleaned[:RATE] = echo[:RATE] // 100  # 40 dB of echo removed
    cleaned[RATE:] = person
    found = feed_in_chunks(InterruptionDetector(BargeInSettings()), near, cleaned)
    assert found >= 0
    assert RATE <= found * BLOCK <= RATE + 0.2 * RATE  # within 200 ms of the person's start


def test_a_person_aec3_suppressed_counts_when_the_linear_filter_left_them_standing_out() -> None:
    echo = speechlike(2.0, seed=1)
    person = speechlike(1.0, seed=2, level=3000.0)  # about 8 dB under the echo
    near = echo.copy()
    near[RATE : 2 * RATE] += person
    suppressed = np.zeros_like(near)  # AEC3 suppressed everything, the person too
    linear = echo // 30  # the filter usually leaves the echo 30 dB down
    linear[RATE:] += person

    def first(settings: BargeInSettings) -> int:
        detector = InterruptionDetector(settings)
        for i in range(0, len(near), BLOCK):
            chunk = slice(i, i + BLOCK)
            if detector.feed(near[chunk], suppressed[chunk], linear[chunk], -30.0):
                return i
        return -1

    assert first(BargeInSettings(linear_margin_db=None)) == -1  # AEC3's output alone decides
    found = first(BargeInSettings(linear_margin_db=10.0))
    assert RATE <= found <= RATE + 0.2 * RATE
    # an untrained filter (its usual residual 0 dB) leaves everything: nothing stands out
    detector = InterruptionDetector(BargeInSettings(linear_margin_db=10.0))
    assert not detector.feed(near, suppressed, near, 0.0)


def test_echo_aec3_lets_through_is_vetoed_when_the_aligned_linear_filter_explains_it() -> None:
    echo = speechlike(1.0, seed=1)
    passed = echo.copy()  # AEC3 re-finding a moved echo: it removed nothing
    linear = echo // 30  # the realigned linear filter left its usual residual, 30 dB down
    person = speechlike(0.5, seed=2)
    spoken = linear.copy()
    spoken[: len(person)] += person

    def found(settings: BargeInSettings, linear_out: np.ndarray | None) -> bool:
        detector = InterruptionDetector(settings)
        return bool(detector.feed(echo, passed, linear_out, -30.0))

    assert found(BargeInSettings(), linear)  # AEC3 alone: the echo passes for the person
    assert not found(BargeInSettings(linear_veto_db=6.0), linear)
    assert found(BargeInSettings(linear_veto_db=6.0), spoken)  # a person stands out in both
    assert found(BargeInSettings(linear_veto_db=6.0), None)  # no aligned filter: AEC3 decides


def test_nothing_is_decided_while_held_after_an_underrun() -> None:
    person = speechlike(1.0, seed=2)
    detector = InterruptionDetector(BargeInSettings(hold_after_underrun_s=0.5))
    detector.hold(0.5)
    first, rest = person[: RATE // 2], person[RATE // 2 :]
    assert not detector.feed(first, first)
    assert detector.feed(rest, rest)


def frames(
    count: int, near: float, cleaned: float, linear: float, usual: float
) -> list[FrameLevels]:
    return [FrameLevels(near, cleaned, linear, usual)] * count


def test_the_onset_is_where_the_person_began_though_aec3_suppressed_their_first_words() -> None:
    echo = frames(100, -30.0, -66.0, -55.0, -25.0)  # echo only: both cancellers remove it
    suppressed = frames(40, -25.0, -66.0, -27.0, -25.0)  # AEC3 eats the person; linear does not
    passed = frames(20, -24.0, -25.0, -25.0, -25.0)  # AEC3 lets them through: detected
    detector = InterruptionDetector(BargeInSettings())
    for levels in [*echo, *suppressed, *passed]:
        detector.step(levels)
    assert detector.onset_frames() == 60
    # a filter that does not cancel yet (usual residual 0 dB) says nothing: AEC3's frames only
    untrained = InterruptionDetector(BargeInSettings())
    for levels in [*echo, *frames(40, -25.0, -66.0, -25.0, 0.0), *passed]:
        untrained.step(levels)
    assert untrained.onset_frames() == 20


def test_the_onset_spans_pauses_between_words_but_not_longer_silences() -> None:
    word = frames(10, -24.0, -25.0, -25.0, -25.0)
    echo = frames(100, -30.0, -66.0, -55.0, -25.0)
    detector = InterruptionDetector(BargeInSettings())
    for levels in [*echo, *word, *frames(30, -30.0, -66.0, -55.0, -25.0), *word]:
        detector.step(levels)
    assert detector.onset_frames() == 10  # a 300 ms gap: the first word was something else
    detector.reset()
    for levels in [*echo, *word, *frames(15, -30.0, -66.0, -55.0, -25.0), *word]:
        detector.step(levels)
    assert detector.onset_frames() == 35


def test_echo_left_by_the_canceller_is_no_interruption() -> None:
    near = speechlike(3.0, seed=3)
    # a poorly cancelled echo: loud enough, but 14 dB below what the microphone heard
    cleaned = (near.astype(np.float64) * 10 ** (-14 / 20)).astype(np.int16)
    assert feed_in_chunks(InterruptionDetector(BargeInSettings()), near, cleaned) == -1


def test_a_short_click_or_quiet_speech_is_no_interruption() -> None:
    quiet = speechlike(2.0, seed=4, level=300.0)  # about -45 dBFS
    assert feed_in_chunks(InterruptionDetector(BargeInSettings()), quiet, quiet) == -1
    click = np.zeros(RATE, np.int16)
    click[8000 : 8000 + 800] = speechlike(0.05, seed=5)  # 50 ms
    assert feed_in_chunks(InterruptionDetector(BargeInSettings()), click, click) == -1


def test_the_echo_canceller_removes_a_rooms_echo_and_keeps_a_person() -> None:
    pytest.importorskip("pywebrtc_audio")
    far = speech(*REPLY)
    near = mixed(far, speech(PERSON), at_s=3.0)
    canceller = EchoCanceller()
    out = np.concatenate(
        [
            canceller.process(near[i : i + BLOCK], far[i : i + BLOCK])
            for i in range(0, 7 * RATE, BLOCK)
        ]
    )

    def level(x: np.ndarray) -> float:
        return float(np.mean(frame_dbfs(x)))

    echo_only = slice(RATE, 3 * RATE)
    assert level(out[echo_only]) < level(near[echo_only]) - 30  # at least 30 dB removed
    talk = slice(round(3.4 * RATE), round(4.0 * RATE))
    assert level(out[talk]) > level(near[talk]) - 3  # the person is kept


class FakePlayback:
    """A reply 'played' on the fake clock of the chunks; stop() is recorded."""

    def __init__(self, reference: np.ndarray, started_at: float) -> None:
        self._reference = reference
        self._started_at = started_at
        self.stopped = False
        self.underflow_count = 0
        self.chunks_left = len(reference) // BLOCK + 4

    @property
    def reference(self) -> np.ndarray:
        return self._reference

    @property
    def started_at(self) -> float | None:
        return self._started_at

    @property
    def underflows(self) -> int:
        return self.underflow_count

    def done(self) -> bool:
        return self.stopped or self.chunks_left <= 0

    def stop(self) -> None:
        self.stopped = True

    def close(self) -> None:
        pass


class StartingSpeaker(Speaker):
    def __init__(self, reply: np.ndarray) -> None:
        self.reply = reply
        self.playbacks: list[FakePlayback] = []
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)

    def start(self, text: str) -> SpeechPlayback | None:
        if not text:
            return None
        playback = FakePlayback(self.reply, started_at=0.0)
        self.playbacks.append(playback)
        return playback


class LoudnessRecognizer(FeedOnlyRecognizer):
    """Ends the first chunk with "trigger"; then hears `words` once 0.3 s of loud audio came."""

    def __init__(self, words: str) -> None:
        self.words = words
        self.fed = 0
        self.loud = 0

    def feed(self, chunk: Chunk) -> Transcript | None:
        self.fed += 1
        if self.fed == 1:
            return Transcript("trigger", confidence=1.0)
        samples = np.frombuffer(chunk.pcm, np.int16)
        self.loud += int(np.sqrt(np.mean(samples.astype(np.float64) ** 2)) > 300) * len(samples)
        if self.loud >= 0.3 * RATE:
            self.loud = -(10**9)
            return Transcript(self.words, confidence=0.9)
        return None


class Echoing:
    def __init__(self) -> None:
        self.heard: list[str] = []

    def respond(self, text: str, confidence: float) -> Reply:
        if text == "trigger":
            return Reply("a long reply")
        self.heard.append(text)
        return Reply("okay")


def run_loop(
    person_at_s: float | None,
    words: str,
    canceller: EchoCanceller | None = None,
    delay_ms: int = 40,
    settings: BargeInSettings | None = None,
) -> tuple[list[LoopEvent], Echoing, StartingSpeaker]:
    pytest.importorskip("pywebrtc_audio")
    reply = speech(*REPLY)
    near = room(reply, delay_ms)
    if person_at_s is not None:
        near = mixed(reply, speech(PERSON), person_at_s)
    near = np.concatenate([np.zeros(BLOCK, np.int16), near, np.zeros(RATE, np.int16)])
    speaker = StartingSpeaker(reply)
    # the first chunk (the trigger) is captured before the reply starts at clock 0
    chunks = [
        TimedChunk(near[i : i + BLOCK].tobytes(), captured_at=(i + BLOCK) / RATE - BLOCK / RATE)
        for i in range(0, len(near) - BLOCK + 1, BLOCK)
    ]

    def source():  # type: ignore[no-untyped-def]
        for chunk in chunks:
            for playback in speaker.playbacks:
                playback.chunks_left -= 1
            yield chunk

    events: list[LoopEvent] = []
    conversation = Echoing()
    loop = VoiceLoop(
        source(),
        LoudnessRecognizer(words),
        conversation,
        speaker,
        MicGate(),
        events.append,
        LoopSettings(barge_in=settings or BargeInSettings(enabled=True, stop_words=STOP_WORDS)),
        canceller=canceller,
    )
    loop.run()
    return events, conversation, speaker


def test_the_loop_stops_the_reply_when_someone_speaks_over_it_and_hears_them() -> None:
    events, conversation, speaker = run_loop(3.0, "remove the bananas")
    assert speaker.playbacks[0].stopped
    assert any(isinstance(e, BargedIn) for e in events)
    assert conversation.heard == ["remove the bananas"]
    assert [e.reply.text for e in events if isinstance(e, Said)] == ["a long reply", "okay"]


def test_nothing_is_decided_while_the_canceller_settles_at_a_replys_start() -> None:
    settling = BargeInSettings(enabled=True, settle_s=30.0, stop_words=STOP_WORDS)
    events, _, speaker = run_loop(3.0, "remove the bananas", settings=settling)
    assert not speaker.playbacks[0].stopped
    assert not any(isinstance(e, BargedIn) for e in events)


def test_the_reply_plays_out_when_nobody_speaks() -> None:
    events, conversation, speaker = run_loop(None, "remove the bananas")
    assert not speaker.playbacks[0].stopped
    assert not any(isinstance(e, BargedIn) for e in events)
    assert conversation.heard == []


def test_a_stop_word_over_the_reply_only_stops_it() -> None:
    events, conversation, _speaker = run_loop(3.0, "Stop.")
    assert any(isinstance(e, BargedIn) for e in events)
    assert any(isinstance(e, Heard) and e.transcript.text == "Stop." for e in events)
    assert conversation.heard == []
    assert [e.reply.text for e in events if isinstance(e, Said)] == ["a long reply"]


@pytest.mark.parametrize("realign", [True, False])
def test_each_reply_realigns_the_linear_filter_to_where_its_echo_now_comes(realign: bool) -> None:
    pytest.importorskip("pywebrtc_audio")
    canceller = EchoCanceller()
    assert canceller.linear is not None
    settings = BargeInSettings(enabled=True, realign_linear=realign)
    run_loop(None, "", canceller, delay_ms=40, settings=settings)
    assert canceller.linear.shifts == []
    run_loop(None, "", canceller, delay_ms=90, settings=settings)
    if realign:
        assert [round(s / 16) for s in canceller.linear.shifts] == [50]  # 50 ms later
    else:
        assert canceller.linear.shifts == []


@pytest.mark.parametrize("code", ["en", "fr"])
def test_each_language_has_stop_words_written_as_the_loop_compares_them(code: str) -> None:
    words = load_language(code).stop_words
    assert "stop" in words
    # the loop compares them with what was heard in lower case, without punctuation
    assert all(re.fullmatch(r"[^\W\d_]+( [^\W\d_]+)*", word) and word.islower() for word in words)
