"""Barge-in at the virtual microphone: the agent's reply is played into it (12 dB down, as a desk
loudspeaker reaches a microphone) and a person says "remove the bananas" over it. The reply must
stop after the person started, and the words must be heard by the real recognizer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest

from support.pulse import VirtualMicrophone
from voiceshop.audio.echo import BargeInSettings, EchoCanceller
from voiceshop.audio.gate import MicGate
from voiceshop.audio.types import Chunk
from voiceshop.dialog.conversation import Reply
from voiceshop.recognizer.base import Recognizer, Transcript
from voiceshop.rescoring.protocol import Vocabulary
from voiceshop.speaker.playback import DevicePlayer, Playback, Sound
from voiceshop.speaker.pyttsx3_speaker import Pyttsx3Speaker, SpeakerSettings
from voiceshop.voice_loop import BargedIn, LoopEvent, LoopSettings, VoiceLoop

PERSON = Path(__file__).parent / "fixtures" / "audio" / "barge_in" / "remove_the_bananas.wav"
REPLY = (
    "Your cart has five items: milk, eggs, sourdough bread, black beans and spaghetti. "
    "The total is twenty three dollars and forty cents. Would you like anything else?"
)


class DeskPlayer(DevicePlayer):
    """Plays 12 dB down, and tells when a reply started."""

    def __init__(self) -> None:
        super().__init__()
        self.current: Playback | None = None
        self.started = threading.Event()

    def start(self, sound: Sound) -> Playback:
        quieter = (sound.samples.astype(np.float32) * 10 ** (-12 / 20)).astype(np.int16)
        self.current = super().start(Sound(quieter, sound.rate))
        self.started.set()
        return self.current


class Triggered(Recognizer):
    """'trigger' on the first chunk (so the agent replies at once), then the real recognizer."""

    def __init__(self, real: Recognizer) -> None:
        self.real = real
        self.first = True

    def feed(self, chunk: Chunk) -> Transcript | None:
        if self.first:
            self.first = False
            return Transcript("trigger", confidence=1.0)
        return self.real.feed(chunk)

    def partial(self) -> str:
        return "" if self.first else self.real.partial()

    def flush(self) -> Transcript | None:
        return self.real.flush()

    def reset(self) -> None:
        self.real.reset()


class Conversation:
    def __init__(self) -> None:
        self.heard: list[str] = []

    def respond(self, text: str, confidence: float) -> Reply:
        if text == "trigger":
            return Reply(REPLY)
        self.heard.append(text)
        return Reply("", end_conversation=True)


def until(chunks: Iterable[Chunk], done: Callable[[], bool], seconds: float) -> Iterator[Chunk]:
    deadline = time.monotonic() + seconds
    for chunk in chunks:
        yield chunk
        if done() or time.monotonic() > deadline:
            return


@pytest.mark.e2e
@pytest.mark.audio
def test_speaking_over_the_reply_stops_it_and_is_understood(virtual_mic: VirtualMicrophone) -> None:
    pytest.importorskip("pywebrtc_audio")
    from voiceshop.audio.microphone import Microphone
    from voiceshop.recognizer import RecognizerSettings, load_recognizer

    phrases = ("remove the bananas", "add two apples")
    vocabulary = Vocabulary(phrases, frozenset(w for p in phrases for w in p.split()))
    recognizer = load_recognizer(RecognizerSettings(asr="whisper"), vocabulary)
    player = DeskPlayer()
    speaker = Pyttsx3Speaker(SpeakerSettings(echo=False), player=player)
    canceller = EchoCanceller()
    settings = LoopSettings(barge_in=BargeInSettings(enabled=True))
    try:
        # a first reply nobody interrupts: the echo canceller learns the room, as it would in
        # a conversation (it is kept across replies)
        first_events: list[LoopEvent] = []
        with Microphone() as mic:

            def played() -> bool:
                return player.current is not None and player.current.done()

            VoiceLoop(
                until(mic, played, 30),
                Triggered(recognizer),
                Conversation(),
                speaker,
                MicGate(),
                first_events.append,
                settings,
                canceller=canceller,
            ).run()
        assert not [e for e in first_events if isinstance(e, BargedIn)], "stopped by its own echo"

        player.started.clear()
        events: list[LoopEvent] = []
        conversation = Conversation()
        spoke_at: list[float] = []

        def person() -> None:
            assert player.started.wait(20)
            time.sleep(1.0)
            spoke_at.append(time.monotonic())
            virtual_mic.play(PERSON)

        talker = threading.Thread(target=person, daemon=True)
        with Microphone() as mic:
            talker.start()
            VoiceLoop(
                until(mic, lambda: bool(conversation.heard), 30),
                Triggered(recognizer),
                conversation,
                speaker,
                MicGate(),
                events.append,
                settings,
                canceller=canceller,
            ).run()
        talker.join(10)
    finally:
        speaker.close()
    stops = [e.stopped_at for e in events if isinstance(e, BargedIn)]
    assert spoke_at and len(stops) == 1
    assert spoke_at[0] < stops[0] < spoke_at[0] + 1.5  # after the person began, soon after
    assert player.current is not None and player.current.done()
    assert conversation.heard
    assert "banana" in conversation.heard[0].lower()
