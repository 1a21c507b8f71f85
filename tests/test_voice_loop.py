"""VoiceLoop with a scripted recognizer, a tiny conversation and a recording speaker."""

from __future__ import annotations

import wave
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest

from support.fakes import FakeClock
from voiceshop.audio.gate import GateSettings, MicGate, TimedChunk
from voiceshop.audio.types import Chunk
from voiceshop.dialog.conversation import Reply
from voiceshop.dialog.purchase import MASK
from voiceshop.recognizer.base import Recognizer, Transcript
from voiceshop.speaker import Pyttsx3Speaker, SpeakerSettings
from voiceshop.speaker.base import Speaker
from voiceshop.speaker.playback import Sound
from voiceshop.voice_loop import (
    Error,
    Heard,
    LoopEvent,
    Partial,
    Said,
    StopReason,
    Turn,
    TurnHandler,
    VoiceLoop,
    replay_files,
)

FAKE_TTS_WORKER = Path(__file__).with_name("fake_tts_worker.py")
LOUD = b"\x10\x27" * 1600
"""0.1 s at 16 kHz of a constant 10000 sample value (about -10 dBFS)."""
QUIET = bytes(3200)
"""0.1 s of silence."""


class ScriptedRecognizer(Recognizer):
    """Ends an utterance after given numbers of fed chunks; records what it was fed."""

    def __init__(
        self,
        finals: dict[int, str] | None = None,
        partials: dict[int, str] | None = None,
        on_flush: list[str] | None = None,
        log: list[str] | None = None,
        fail_on: set[int] | None = None,
        alternatives: dict[int, tuple[str, ...]] | None = None,
    ) -> None:
        """`fail_on`: the numbers of the fed chunks (from 1) on which `feed` raises;
        `alternatives`: other readings of the finals ending at those chunks."""
        self.fail_on = fail_on or set()
        self.alternatives = alternatives or {}
        self.finals = finals or {}
        self.partials = partials or {}
        self.on_flush = on_flush or []
        self.log = log if log is not None else []
        self.fed: list[bytes] = []
        self._partial = ""

    def feed(self, chunk: Chunk) -> Transcript | None:
        self.fed.append(chunk.pcm)
        count = len(self.fed)
        if count in self.fail_on:
            raise RuntimeError(f"decoder crashed on chunk {count}")
        self._partial = self.partials.get(count, self._partial)
        if count in self.finals:
            self._partial = ""
            other = self.alternatives.get(count, ())
            return Transcript(self.finals[count], confidence=0.9, alternatives=other)
        return None

    def partial(self) -> str:
        return self._partial

    def flush(self) -> Transcript | None:
        self.log.append("flush")
        return Transcript(self.on_flush.pop(0)) if self.on_flush else None

    def reset(self) -> None:
        self.log.append("reset")
        self._partial = ""


class TinyConversation:
    """Echoes what it heard; "bye" ends the conversation; "boom" raises."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        self.log.append(f"respond:{text}")
        if text == "boom":
            raise RuntimeError("dialog exploded")
        return Reply(f"You said {text}", end_conversation=text == "bye")


class RecordingSpeaker(Speaker):
    """Remembers replies and whether the gate was muted while each was spoken."""

    def __init__(self, log: list[str], gate: MicGate, clock: FakeClock, seconds: float) -> None:
        self.log = log
        self.gate = gate
        self.clock = clock
        self.seconds = seconds
        self.muted_while_speaking: list[bool] = []

    def say(self, text: str) -> None:
        self.log.append(f"say:{text}")
        self.muted_while_speaking.append(self.gate.is_muted())
        self.clock.now += self.seconds


class Harness:
    """One loop's fakes, wired together, sharing a call log."""

    def __init__(self, recognizer: ScriptedRecognizer, speaking_s: float = 2.0) -> None:
        self.log = recognizer.log
        self.clock = FakeClock()
        self.gate = MicGate(GateSettings(tail_s=0.4), clock=self.clock)
        self.recognizer = recognizer
        self.conversation = TinyConversation(self.log)
        self.speaker = RecordingSpeaker(self.log, self.gate, self.clock, speaking_s)
        self.events: list[LoopEvent] = []

    def run(
        self, source: Iterator[Chunk] | list[Chunk], on_turn: TurnHandler | None = None
    ) -> StopReason:
        loop = VoiceLoop(
            source,
            self.recognizer,
            self.conversation,
            self.speaker,
            self.gate,
            self.events.append,
            on_turn=on_turn,
        )
        return loop.run()

    def said(self) -> list[str]:
        return [event.reply.text for event in self.events if isinstance(event, Said)]


def chunks(*pcm: bytes) -> list[Chunk]:
    return [Chunk(p) for p in pcm]


def test_events_come_in_order_and_the_recognizer_is_reset_after_speaking() -> None:
    recognizer = ScriptedRecognizer(finals={3: "add milk"}, partials={1: "add", 2: "add mi"})
    harness = Harness(recognizer)

    reason = harness.run(chunks(LOUD, LOUD, LOUD, QUIET))

    assert reason is StopReason.SOURCE_ENDED
    assert harness.events == [
        Partial("add"),
        Partial("add mi"),
        Heard(Transcript("add milk", confidence=0.9)),
        Said(Reply("You said add milk")),
    ]
    assert harness.log == ["respond:add milk", "say:You said add milk", "reset", "flush"]
    assert harness.speaker.muted_while_speaking == [True]


def test_audio_captured_while_speaking_reaches_the_recognizer_as_silence() -> None:
    harness = Harness(ScriptedRecognizer(finals={1: "add milk"}), speaking_s=2.0)
    start = harness.clock.now

    def microphone() -> Iterator[Chunk]:
        yield TimedChunk(LOUD, captured_at=start)
        # Read after the 2 s reply: queued while it played, then after its 0.4 s tail.
        for captured_at in (start + 0.5, start + 1.9, start + 2.3, start + 2.5):
            yield TimedChunk(LOUD, captured_at=captured_at)

    harness.run(microphone())

    assert harness.recognizer.fed == [LOUD, QUIET, QUIET, QUIET, LOUD]
    assert harness.gate.muted_seconds == pytest.approx(0.3)


def test_a_failing_conversation_gets_an_apology_and_the_loop_goes_on() -> None:
    harness = Harness(ScriptedRecognizer(finals={1: "boom", 2: "add eggs"}))

    reason = harness.run(chunks(LOUD, LOUD))

    assert reason is StopReason.SOURCE_ENDED
    errors = [event for event in harness.events if isinstance(event, Error)]
    assert len(errors) == 1
    assert "dialog exploded" in errors[0].message
    assert harness.said() == [
        "Sorry, something went wrong on my side. Please say that again.",
        "You said add eggs",
    ]


def test_a_failing_speaker_does_not_stop_the_loop() -> None:
    harness = Harness(ScriptedRecognizer(finals={1: "add milk", 2: "add eggs"}))

    def broken_say(text: str) -> None:
        raise OSError("device vanished")

    harness.speaker.say = broken_say  # type: ignore[method-assign]
    harness.run(chunks(LOUD, LOUD))

    assert harness.said() == ["You said add milk", "You said add eggs"]
    assert sum(isinstance(event, Error) for event in harness.events) == 2
    assert harness.log.count("reset") == 2
    assert not harness.gate.is_muted(harness.clock.now + 1.0)


def test_goodbye_stops_the_loop_before_the_rest_of_the_source() -> None:
    harness = Harness(ScriptedRecognizer(finals={1: "bye", 2: "add milk"}))

    reason = harness.run(chunks(LOUD, LOUD, LOUD))

    assert reason is StopReason.GOODBYE
    assert harness.said() == ["You said bye"]
    assert len(harness.recognizer.fed) == 1


@pytest.mark.parametrize("text", ["", "[unk]", "[unk] [unk]"])
def test_speech_without_words_is_answered_with_didnt_catch_that(text: str) -> None:
    harness = Harness(ScriptedRecognizer(finals={3: text}))

    harness.run(chunks(LOUD, LOUD, LOUD))

    assert harness.said() == ["Sorry, I didn't catch that."]
    assert not any(isinstance(event, Heard) for event in harness.events)


def test_noise_without_words_is_ignored() -> None:
    faint = np.full(1600, 50, np.int16).tobytes()
    harness = Harness(ScriptedRecognizer(finals={3: ""}))

    harness.run(chunks(faint, faint, faint))

    assert harness.events == []


def test_unknown_words_are_dropped_from_what_was_heard() -> None:
    harness = Harness(ScriptedRecognizer(finals={1: "add [unk] milk"}))

    harness.run(chunks(LOUD))

    assert harness.log[0] == "respond:add milk"


def test_the_end_of_the_source_flushes_the_last_utterance() -> None:
    harness = Harness(ScriptedRecognizer(on_flush=["check out"]))

    reason = harness.run(chunks(LOUD, LOUD))

    assert reason is StopReason.SOURCE_ENDED
    assert harness.said() == ["You said check out"]


def test_ctrl_c_while_listening_exits_cleanly() -> None:
    harness = Harness(ScriptedRecognizer())

    def interrupted() -> Iterator[Chunk]:
        yield Chunk(LOUD)
        raise KeyboardInterrupt

    assert harness.run(interrupted()) is StopReason.INTERRUPTED


def test_ctrl_c_while_speaking_exits_cleanly_and_unmutes() -> None:
    harness = Harness(ScriptedRecognizer(finals={1: "add milk"}))

    def interrupted_say(text: str) -> None:
        raise KeyboardInterrupt

    harness.speaker.say = interrupted_say  # type: ignore[method-assign]

    assert harness.run(chunks(LOUD, LOUD)) is StopReason.INTERRUPTED
    assert not harness.gate.is_muted(harness.clock.now + 1.0)


def write_tone(path: Path, seconds: float = 0.5, rate: int = 16_000) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    samples = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path


def test_replay_takes_one_turn_per_file(tmp_path: Path) -> None:
    files = [write_tone(tmp_path / f"turn{i}.wav") for i in range(3)]
    recognizer = ScriptedRecognizer(on_flush=["add milk", "what's in my cart", "check out"])
    harness = Harness(recognizer)

    reason = replay_files(
        files, recognizer, harness.conversation, harness.speaker, harness.events.append
    )

    assert reason is StopReason.SOURCE_ENDED
    assert harness.said() == [
        "You said add milk",
        "You said what's in my cart",
        "You said check out",
    ]
    assert len(recognizer.fed) == 15


def test_replay_masks_the_file_that_answers_a_secret_question(tmp_path: Path) -> None:
    files = [write_tone(tmp_path / f"turn{i}.wav") for i in range(3)]
    recognizer = ScriptedRecognizer(on_flush=["check out", "one two three four", "add milk"])
    harness = Harness(recognizer)
    harness.conversation = CodeAskingConversation(harness.log)

    replay_files(files, recognizer, harness.conversation, harness.speaker, harness.events.append)

    heard = [e.transcript.text for e in harness.events if isinstance(e, Heard)]
    assert heard == ["check out", MASK, "add milk"]
    assert "respond:one two three four" in harness.log


def test_replay_stops_at_goodbye(tmp_path: Path) -> None:
    files = [write_tone(tmp_path / f"turn{i}.wav") for i in range(3)]
    recognizer = ScriptedRecognizer(on_flush=["bye", "add milk", "check out"])
    harness = Harness(recognizer)

    reason = replay_files(files, recognizer, harness.conversation, harness.speaker)

    assert reason is StopReason.GOODBYE
    assert recognizer.on_flush == ["add milk", "check out"]


class GateWatchingPlayer:
    """Takes each sentence's sound without a device, noting whether the microphone was muted."""

    def __init__(self, gate: MicGate) -> None:
        self.gate = gate
        self.muted_at_each_sentence: list[bool] = []

    def play(self, sounds: Iterable[Sound]) -> float | None:
        for _sound in sounds:
            self.muted_at_each_sentence.append(self.gate.is_muted())
        return None


class ThreeSentences:
    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        return Reply("Added 2 cartons of milk. That's 2 items, $5.98. Anything else?")


def test_a_reply_is_spoken_sentence_by_sentence_with_the_microphone_muted_throughout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("voiceshop.speaker.pyttsx3_speaker._WORKER_SCRIPT", FAKE_TTS_WORKER)
    gate = MicGate(GateSettings(tail_s=0.4))
    player = GateWatchingPlayer(gate)
    speaker = Pyttsx3Speaker(SpeakerSettings(timeout_s=5.0), player=player)
    recognizer = ScriptedRecognizer(finals={1: "add two cartons of milk"})

    VoiceLoop(chunks(LOUD, QUIET), recognizer, ThreeSentences(), speaker, gate).run()
    speaker.close()

    assert player.muted_at_each_sentence == [True, True, True]
    assert recognizer.log == ["reset", "flush"]


class CodeAskingConversation(TinyConversation):
    """Asks for a secret after "check out"; echoes nothing back."""

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        self.log.append(f"respond:{text}")
        return Reply("Please say your code.", secret_answer=text == "check out")


def test_what_is_said_to_a_secret_question_is_shown_masked() -> None:
    recognizer = ScriptedRecognizer(
        finals={2: "check out", 4: "one two three four", 6: "add milk"},
        partials={3: "one two"},
    )
    harness = Harness(recognizer)
    harness.conversation = CodeAskingConversation(harness.log)
    harness.run(chunks(*[LOUD] * 6))
    shown = [e.text for e in harness.events if isinstance(e, Partial)]
    heard = [e.transcript.text for e in harness.events if isinstance(e, Heard)]
    assert heard == ["check out", MASK, "add milk"]
    assert shown == [MASK]
    assert "respond:one two three four" in harness.log


def test_a_failing_recognizer_gets_an_apology_and_the_loop_goes_on() -> None:
    recognizer = ScriptedRecognizer(finals={4: "add eggs"}, partials={1: "add mi"}, fail_on={2})
    harness = Harness(recognizer)

    reason = harness.run(chunks(LOUD, LOUD, LOUD, LOUD))

    assert reason is StopReason.SOURCE_ENDED
    errors = [event for event in harness.events if isinstance(event, Error)]
    assert len(errors) == 1
    assert "could not recognize the speech: decoder crashed on chunk 2" in errors[0].message
    assert harness.said() == [
        "Sorry, something went wrong on my side. Please say that again.",
        "You said add eggs",
    ]
    # the broken utterance was dropped: reset, and the next one read from a clean start
    assert harness.log[:3] == [
        "reset",  # after the failure
        "say:Sorry, something went wrong on my side. Please say that again.",
        "reset",  # after the apology
    ]
    assert harness.log.count("respond:add eggs") == 1


def test_a_recognizer_failing_at_the_end_of_the_source_is_survived() -> None:
    recognizer = ScriptedRecognizer(finals={1: "add milk"})

    def broken_flush() -> Transcript | None:
        raise RuntimeError("flush crashed")

    recognizer.flush = broken_flush  # type: ignore[method-assign]
    harness = Harness(recognizer)

    assert harness.run(chunks(LOUD)) is StopReason.SOURCE_ENDED
    assert harness.said()[0] == "You said add milk"
    assert harness.said()[1].startswith("Sorry, something went wrong")


def test_a_recognizer_that_keeps_failing_stops_the_loop_after_one_apology() -> None:
    recognizer = ScriptedRecognizer(fail_on=set(range(1, 100)))
    harness = Harness(recognizer)

    reason = harness.run(chunks(*[LOUD] * 20))

    assert reason is StopReason.RECOGNIZER_FAILED
    assert len(recognizer.fed) == 5
    assert harness.said() == ["Sorry, something went wrong on my side. Please say that again."]
    errors = [event.message for event in harness.events if isinstance(event, Error)]
    assert "failed 5 times in a row" in errors[-1]
    assert "voiceshop doctor" in errors[-1]


def test_a_recognizer_failure_keeps_a_secret_question_asked() -> None:
    recognizer = ScriptedRecognizer(finals={1: "check out", 3: "one two three four"}, fail_on={2})
    harness = Harness(recognizer)
    harness.conversation = CodeAskingConversation(harness.log)

    harness.run(chunks(LOUD, LOUD, LOUD))

    heard = [e.transcript.text for e in harness.events if isinstance(e, Heard)]
    assert heard == ["check out", MASK]


def test_each_answered_turn_is_reported_with_its_audio_reply_and_timings() -> None:
    recognizer = ScriptedRecognizer(
        finals={2: "add milk", 5: "check out", 6: "one two"},
        alternatives={2: ("at milk",), 6: ("one too",)},
    )
    harness = Harness(recognizer)
    harness.conversation = CodeAskingConversation(harness.log)
    turns: list[Turn] = []
    start = harness.clock.now
    source = [TimedChunk(LOUD, captured_at=start + i) for i in range(6)]

    harness.run(source, on_turn=turns.append)

    assert [t.transcript.text for t in turns] == ["add milk", "check out", MASK]
    assert [t.secret for t in turns] == [False, False, True]
    assert turns[0].transcript.alternatives == ("at milk",)
    assert turns[2].transcript.alternatives == ()
    # the first turn holds the two chunks fed until its end; the secret one holds none
    assert turns[0].audio == LOUD * 2
    assert turns[2].audio == b""
    assert turns[1].reply == Reply("Please say your code.", secret_answer=True)
    assert set(turns[0].timings) == {"audio", "read", "respond", "speak", "heard_to_reply"}


def test_noise_is_not_reported_as_a_turn() -> None:
    recognizer = ScriptedRecognizer(finals={1: ""})
    harness = Harness(recognizer)
    turns: list[Turn] = []
    harness.run(chunks(QUIET), on_turn=turns.append)
    assert turns == []


def test_a_turn_interrupted_by_ctrl_c_while_speaking_is_still_reported() -> None:
    harness = Harness(ScriptedRecognizer(finals={1: "add milk"}))

    def interrupted_say(text: str) -> None:
        raise KeyboardInterrupt

    harness.speaker.say = interrupted_say  # type: ignore[method-assign]
    turns: list[Turn] = []

    assert harness.run(chunks(LOUD), on_turn=turns.append) is StopReason.INTERRUPTED
    assert [turn.reply.text for turn in turns] == ["You said add milk"]


class CodeAskingThenFailing(CodeAskingConversation):
    """Asks for a secret after "check out", then fails on the first answer."""

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        if text == "one two":
            raise RuntimeError("dialog exploded")
        return super().respond(text, confidence)


def test_a_conversation_failure_keeps_a_secret_question_asked() -> None:
    recognizer = ScriptedRecognizer(finals={1: "check out", 2: "one two", 3: "one two three four"})
    harness = Harness(recognizer)
    harness.conversation = CodeAskingThenFailing(harness.log)

    harness.run(chunks(LOUD, LOUD, LOUD))

    heard = [e.transcript.text for e in harness.events if isinstance(e, Heard)]
    assert heard == ["check out", MASK, MASK]
    errors = [e.message for e in harness.events if isinstance(e, Error)]
    assert errors == [f"could not answer {MASK!r}: dialog exploded"]


def test_the_loop_reports_its_states_and_levels_for_the_state_line() -> None:
    from voiceshop.audio.listening import Level, LiveStatus, StateChanged

    harness = Harness(ScriptedRecognizer(finals={3: "add milk"}))
    statuses: list[LiveStatus] = []
    loop = VoiceLoop(
        chunks(LOUD, LOUD, LOUD, QUIET),
        harness.recognizer,
        harness.conversation,
        harness.speaker,
        harness.gate,
        harness.events.append,
        on_status=statuses.append,
    )
    loop.run()
    states = [s.state.value for s in statuses if isinstance(s, StateChanged)]
    assert states == ["listening", "heard you", "thinking", "speaking", "listening"]
    levels = [s.dbfs for s in statuses if isinstance(s, Level)]
    assert len(levels) == 4
    assert levels[0] == pytest.approx(-10.3, abs=0.1)  # LOUD: 10000 of 32768
    assert levels[3] == -120.0  # QUIET: silence


def test_with_barge_in_a_speaker_that_cannot_start_is_still_gated() -> None:
    pytest.importorskip("pywebrtc_audio")
    from voiceshop.audio.echo import BargeInSettings
    from voiceshop.voice_loop import LoopSettings

    harness = Harness(ScriptedRecognizer(finals={1: "add milk"}), speaking_s=2.0)
    start = harness.clock.now

    def microphone() -> Iterator[Chunk]:
        yield TimedChunk(LOUD, captured_at=start)
        for captured_at in (start + 0.5, start + 1.9, start + 2.5):
            yield TimedChunk(LOUD, captured_at=captured_at)

    VoiceLoop(
        microphone(),
        harness.recognizer,
        harness.conversation,
        harness.speaker,  # RecordingSpeaker: `start` gives None, so `say` is used
        harness.gate,
        harness.events.append,
        LoopSettings(barge_in=BargeInSettings(enabled=True)),
    ).run()

    assert harness.log.count("say:You said add milk") == 1
    fed = [np.frombuffer(pcm, np.int16) for pcm in harness.recognizer.fed[1:]]
    # muted while said: silence, but for the canceller's lag and ringing after the loud chunk
    rms = [float(np.sqrt(np.mean(f.astype(np.float64) ** 2))) for f in fed]
    assert rms[0] < 1000 and rms[1] == 0.0  # LOUD is 10000
    assert np.abs(fed[2]).max() > 0  # heard again after the tail
