"""`voiceshop serve` end to end: the real server (Whisper, the dialog, SQLite, espeak-ng) on a
free port, driven by the wyoming package's own client over TCP."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import connect as ws_connect
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop, wav_to_chunks
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize

from voiceshop.language import load_language
from voiceshop.server import Limits, ServerSettings, add_token
from voiceshop.server.app import ShopServer
from voiceshop.speaker import Pyttsx3Speaker, SpeakerSettings
from voiceshop.speaker.reading import Reading
from voiceshop.storage.database import ShopDatabase

pytestmark = pytest.mark.audio

DEMO = Path(__file__).resolve().parents[1] / "voiceshop" / "data" / "demo"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "audio"
BREAD_WAV = DEMO / "03_add_sourdough_bread.wav"
BEANS_WAV = FIXTURES / "three_cans_of_black_beans_kitchen_12db.wav"
TIMEOUT = 120.0
"""Seconds any one answer may take (a busy shared machine, Whisper on one core)."""


@contextmanager
def running(settings: ServerSettings) -> Iterator[ShopServer]:
    """The server, serving from its own thread and event loop, as a separate process would."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="server-loop", daemon=True)
    thread.start()
    server = ShopServer(settings)
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(TIMEOUT)
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT)
        loop.close()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A token-checking server and the tokens of alice and bob."""
    folder = tmp_path_factory.mktemp("serve")
    tokens = folder / "tokens"
    alice, bob = add_token(tokens, "alice"), add_token(tokens, "bob")
    settings = ServerSettings(
        uri="tcp://127.0.0.1:0",
        db=folder / "shop.db",
        tokens=tokens,
        satellites=(("carol", "tcp://127.0.0.1:0"),),
    )
    with running(settings) as server:
        yield {"server": server, "db": settings.db, "alice": alice, "bob": bob}


def client(server: ShopServer, address: str | None = None) -> AsyncTcpClient:
    host, port = (address or server.address).removeprefix("tcp://").rsplit(":", 1)
    return AsyncTcpClient(host, int(port), connect_timeout=TIMEOUT, read_timeout=TIMEOUT)


async def send_wav(connection: AsyncTcpClient, path: Path, context: dict | None = None) -> Event:
    """Send one utterance as a voice satellite does; the server's answer."""
    await connection.write_event(Transcribe(language="en", context=context).event())
    with wave.open(str(path), "rb") as wav:
        for event in wav_to_chunks(wav, 1024, start_event=True, stop_event=True):
            await connection.write_event(event.event())
    answer = await connection.read_event()
    assert answer is not None
    return answer


async def say(connection: AsyncTcpClient, text: str, context: dict[str, str]) -> Event:
    await connection.write_event(Transcript(text, context=context).event())
    answer = await connection.read_event()
    assert answer is not None
    return answer


def words(text: str) -> str:
    return re.sub(r"[^a-z ]", "", text.lower())


def cart(db_path: Path, user: str) -> list[tuple[str, int]]:
    with ShopDatabase(db_path) as db:
        return [(line.product_id, line.quantity) for line in db.cart(user, "grocery")]


def test_describe_declares_recognition_conversation_and_speech(shop: dict) -> None:
    async def describe() -> Event | None:
        async with client(shop["server"]) as connection:
            await connection.write_event(Describe().event())
            return await connection.read_event()

    answer = asyncio.run(describe())
    assert answer is not None and Info.is_type(answer.type)
    info = Info.from_event(answer)
    assert [model.languages for model in info.asr[0].models] == [["en"]]
    assert info.asr[0].models[0].name.startswith("whisper")
    assert info.handle[0].models[0].name == "grocery"
    assert info.handle[0].models[0].languages == ["en"]
    assert info.tts and info.tts[0].voices[0].languages == ["en"]


def test_a_spoken_request_is_transcribed_handled_and_put_in_the_cart(shop: dict) -> None:
    context = {"conversation_id": "alice-1", "token": shop["alice"]}

    async def turn() -> tuple[Event, Event]:
        async with client(shop["server"]) as connection:
            heard = await send_wav(connection, BREAD_WAV, context)
            assert Transcript.is_type(heard.type), heard
            text = Transcript.from_event(heard).text
            return heard, await say(connection, text, context)

    heard, answer = asyncio.run(turn())
    transcript = Transcript.from_event(heard)
    assert "sourdough bread" in words(transcript.text)
    assert transcript.context and transcript.context["conversation_id"] == "alice-1"
    assert transcript.context["voiceshop"]["audio_s"] == pytest.approx(2.58, abs=0.05)
    assert Handled.is_type(answer.type), answer
    handled = Handled.from_event(answer)
    assert handled.text and "Sourdough Bread" in handled.text
    assert handled.context == {"conversation_id": "alice-1"}  # the token is not sent back
    assert ("sourdough-bread", 1) in cart(shop["db"], "alice")


def test_a_reply_is_synthesized_into_audio(shop: dict) -> None:
    async def synthesize() -> list[Event]:
        async with client(shop["server"]) as connection:
            await connection.write_event(Synthesize("Added one loaf of bread.").event())
            events = []
            while not events or not AudioStop.is_type(events[-1].type):
                event = await connection.read_event()
                assert event is not None and not Error.is_type(event.type), event
                events.append(event)
            return events

    events = asyncio.run(synthesize())
    start = AudioStart.from_event(events[0])
    chunks = [AudioChunk.from_event(event) for event in events[1:-1]]
    pcm = b"".join(chunk.audio for chunk in chunks)
    assert (start.width, start.channels) == (2, 1) and start.rate >= 16_000
    assert all(chunk.rate == start.rate for chunk in chunks)
    seconds = len(pcm) / (start.rate * 2)
    assert 0.7 < seconds < 5.0
    samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
    assert np.sqrt(np.mean(samples**2)) > 0.01  # speech, not silence


async def _synthesized(server: ShopServer, text: str) -> np.ndarray:
    """The samples the server sends for `text`."""
    async with client(server) as connection:
        await connection.write_event(Synthesize(text).event())
        pcm = b""
        while (event := await connection.read_event()) is not None:
            assert not Error.is_type(event.type), event
            if AudioStop.is_type(event.type):
                break
            if AudioChunk.is_type(event.type):
                pcm += AudioChunk.from_event(event).audio
    return np.frombuffer(pcm, "<i2")


def test_a_french_store_server_reads_replies_by_the_french_rules(tmp_path: Path) -> None:
    """The server's speech for a French store is the local speaker's: the French voice,
    "2,19 €" read as "2 euros 19", "250 g" as "250 grammes"; it listens for French too."""
    reply = "Œufs bio, 6 œufs, coûtent 2,19 €. Camembert, 250 g."
    voice = load_language("fr").speaker_voice
    reading = Reading.from_data(load_language("fr").reading)
    expected, unread = (
        _spoken(SpeakerSettings(voice=voice, play=False, echo=False, reading=rules), reply)
        for rules in (reading, Reading())
    )
    settings = ServerSettings(uri="tcp://127.0.0.1:0", db=tmp_path / "shop.db", store="epicerie")
    with running(settings) as server:
        sent = asyncio.run(_synthesized(server, reply))
        (asr_model,) = server.info.asr[0].models
    assert np.array_equal(sent, expected)
    assert asr_model.languages == ["fr"] and asr_model.name == "whisper: whisper base"
    assert not np.array_equal(sent, unread)  # the rules change what is said


def _spoken(settings: SpeakerSettings, text: str) -> np.ndarray:
    """What a local speaker with `settings` says for `text`."""
    speaker = Pyttsx3Speaker(settings)
    try:
        sound = speaker.synthesize(text)
    finally:
        speaker.close()
    assert sound is not None
    return sound.samples.astype("<i2")


def test_two_shoppers_at_once_with_one_conversation_id_do_not_cross(shop: dict) -> None:
    """alice and bob speak at the same moment, under the same conversation id."""

    async def shopper(token: str, wav: Path) -> tuple[str, str]:
        context = {"conversation_id": "kitchen", "token": token}
        async with client(shop["server"]) as connection:
            heard = Transcript.from_event(await send_wav(connection, wav, context)).text
            await say(connection, heard, context)
            reads = Handled.from_event(await say(connection, "what's in my cart", context))
            return heard, reads.text or ""

    async def both() -> list[tuple[str, str]]:
        return await asyncio.gather(
            shopper(shop["alice"], BREAD_WAV), shopper(shop["bob"], BEANS_WAV)
        )

    (alice_heard, alice_reads), (bob_heard, bob_reads) = asyncio.run(both())
    assert "sourdough" in words(alice_heard) and "black beans" in words(bob_heard)
    assert ("black-beans", 3) in cart(shop["db"], "bob")
    assert not [line for line in cart(shop["db"], "bob") if line[0] == "sourdough-bread"]
    assert not [line for line in cart(shop["db"], "alice") if line[0] == "black-beans"]
    assert "Black Beans" in bob_reads and "Sourdough" not in bob_reads
    assert "Sourdough" in alice_reads and "Black Beans" not in alice_reads


def test_another_shoppers_conversation_id_does_not_reach_their_checkout(shop: dict) -> None:
    """bob says "yes" into the conversation id where alice's order waits for her yes."""
    alice = {"conversation_id": "alice-checkout", "token": shop["alice"]}
    bob = {"conversation_id": "alice-checkout", "token": shop["bob"]}

    async def scenario() -> tuple[str, str, str]:
        async with client(shop["server"]) as connection:
            await say(connection, "add two lemons", alice)
            read_back = Handled.from_event(await say(connection, "check out", alice)).text
            bob_yes = Handled.from_event(await say(connection, "yes", bob)).text
            alice_yes = Handled.from_event(await say(connection, "yes", alice)).text
            return read_back or "", bob_yes or "", alice_yes or ""

    with ShopDatabase(shop["db"]) as db:
        bob_orders_before = len(db.orders("bob"))
    read_back, bob_yes, alice_yes = asyncio.run(scenario())
    assert "Lemon" in read_back
    assert "Lemon" not in bob_yes
    with ShopDatabase(shop["db"]) as db:
        alice_orders, bob_orders = db.orders("alice"), db.orders("bob")
    assert len(bob_orders) == bob_orders_before
    assert [order.id for order in alice_orders] and str(alice_orders[0].id) in alice_yes
    assert any(line.product_id == "lemon" for line in alice_orders[0].lines)


@pytest.mark.parametrize(
    "context",
    [{"conversation_id": "x"}, {"conversation_id": "x", "token": "not-a-token"}, None],
    ids=["no token", "unknown token", "no context"],
)
def test_without_a_valid_token_no_cart_is_touched(shop: dict, context: dict | None) -> None:
    async def scenario() -> Event:
        async with client(shop["server"]) as connection:
            await connection.write_event(Transcript("add three lemons", context=context).event())
            answer = await connection.read_event()
            assert answer is not None
            return answer

    before = {user: cart(shop["db"], user) for user in ("alice", "bob", "default")}
    answer = asyncio.run(scenario())
    assert NotHandled.is_type(answer.type)
    assert "sign in" in (NotHandled.from_event(answer).text or "")
    assert {user: cart(shop["db"], user) for user in before} == before


def test_a_satellite_listener_shops_for_its_user_without_a_token(shop: dict) -> None:
    server: ShopServer = shop["server"]
    [satellite] = server.satellites
    before = cart(shop["db"], "alice")

    async def scenario() -> tuple[Event, Event]:
        async with client(server, satellite.address) as connection:
            bare = await say(connection, "add a loaf of sourdough bread", {"conversation_id": "k"})
            with_token = await say(
                connection,
                "add a can of black beans",
                {"conversation_id": "k", "token": shop["alice"]},
            )
            return bare, with_token

    bare, with_token = asyncio.run(scenario())
    assert Handled.is_type(bare.type) and Handled.is_type(with_token.type)
    assert cart(shop["db"], "carol") == [("sourdough-bread", 1), ("black-beans", 1)]
    assert cart(shop["db"], "alice") == before  # the port decides whose cart, not the token


# A small server: one worker, a queue of one, short utterances and small messages


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopServer]:
    folder = tmp_path_factory.mktemp("small")
    limits = Limits(recognition_queue=1, max_audio_seconds=4.0, max_message_bytes=16 * 1024)
    settings = ServerSettings(
        uri="tcp://127.0.0.1:0", db=folder / "shop.db", recognition_workers=1, limits=limits
    )
    with running(settings) as server:
        yield server


def test_a_full_recognition_queue_answers_busy_and_the_rest_are_heard(small: ShopServer) -> None:
    async def one() -> Event:
        async with client(small) as connection:
            return await send_wav(connection, BREAD_WAV)

    async def many() -> list[Event]:
        return await asyncio.gather(*(one() for _ in range(6)))

    answers = asyncio.run(many())
    busy = [a for a in answers if Error.is_type(a.type) and Error.from_event(a).code == "busy"]
    heard = [Transcript.from_event(a).text for a in answers if Transcript.is_type(a.type)]
    assert len(busy) + len(heard) == 6
    assert busy, "six utterances at once on one worker and a queue of one: some must be refused"
    assert len(heard) >= 2
    assert all("sourdough bread" in words(text) for text in heard)
    assert "busy" in Error.from_event(busy[0]).text


def test_an_utterance_over_the_length_limit_is_refused(small: ShopServer) -> None:
    async def scenario() -> Event:
        async with client(small) as connection:
            await connection.write_event(AudioStart(rate=16000, width=2, channels=1).event())
            second = bytes(32000)
            for _ in range(5):
                chunk = AudioChunk(rate=16000, width=2, channels=1, audio=second[:8000])
                for _quarter in range(4):
                    await connection.write_event(chunk.event())
            answer = await connection.read_event()
            await connection.write_event(AudioStop().event())
            assert answer is not None
            return answer

    answer = asyncio.run(scenario())
    assert Error.is_type(answer.type)
    assert Error.from_event(answer).code == "audio-too-long"


def test_an_oversized_message_ends_the_connection(small: ShopServer) -> None:
    """The server answers message-too-large and closes; when it closes before the client has
    finished writing the payload, the client sees the connection reset instead. Either way the
    connection ends and the server goes on serving others."""

    async def scenario() -> tuple[Event | None, Event | None] | None:
        try:
            async with client(small) as connection:
                big = AudioChunk(rate=16000, width=2, channels=1, audio=bytes(17 * 1024))
                await connection.write_event(AudioStart(rate=16000, width=2, channels=1).event())
                await connection.write_event(big.event())
                return await connection.read_event(), await connection.read_event()
        except (ConnectionResetError, BrokenPipeError):
            return None

    async def described() -> Event | None:
        async with client(small) as connection:
            await connection.write_event(Describe().event())
            return await connection.read_event()

    ended = asyncio.run(scenario())
    if ended is not None:
        answer, after = ended
        assert answer is not None and Error.from_event(answer).code == "message-too-large"
        assert after is None  # closed
    info = asyncio.run(described())
    assert info is not None and Info.is_type(info.type)


def test_malformed_events_get_errors_and_the_connection_goes_on(small: ShopServer) -> None:
    async def scenario() -> list[Event]:
        async with client(small) as connection:
            answers = []
            for event in (
                Event("transcript", {}),  # no text
                Event("synthesize", {"text": 42}),
                Event("audio-start", {"rate": "fast", "width": 2, "channels": 1}),
                Describe().event(),
            ):
                await connection.write_event(event)
                answer = await connection.read_event()
                assert answer is not None
                answers.append(answer)
            return answers

    no_text, number, bad_rate, info = asyncio.run(scenario())
    assert Error.from_event(no_text).code == "bad-event"
    assert Error.from_event(number).code == "bad-event"
    assert Error.from_event(bad_rate).code == "audio-format"
    assert Info.is_type(info.type)


# A capped server: one connection at a time, closed after a second of silence


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopServer]:
    folder = tmp_path_factory.mktemp("capped")
    limits = Limits(max_connections=1, idle_timeout_s=1.0)
    settings = ServerSettings(
        uri="tcp://127.0.0.1:0",
        http="127.0.0.1:0",
        db=folder / "shop.db",
        recognition_workers=1,
        limits=limits,
    )
    with running(settings) as server:
        yield server


async def _described(connection: AsyncTcpClient) -> bool:
    await connection.write_event(Describe().event())
    answer = await connection.read_event()
    return answer is not None and Info.is_type(answer.type)


def test_past_the_connection_cap_a_client_is_told_busy_and_closed(capped: ShopServer) -> None:
    assert capped.web is not None
    page = capped.web.url.replace("http://", "ws://") + "ws"

    async def scenario() -> tuple[Event | None, Event | None, str, bool]:
        async with client(capped) as first:
            assert await _described(first)
            async with client(capped) as second:
                refused = await second.read_event()
                after = await second.read_event()
            async with ws_connect(page) as socket:
                web_refusal = str(await socket.recv())
            assert await _described(first)  # the first is still served
        async with client(capped) as third:  # and its place is free again once it left
            return refused, after, web_refusal, await _described(third)

    refused, after, web_refusal, third_served = asyncio.run(scenario())
    assert refused is not None and Error.is_type(refused.type)
    assert Error.from_event(refused).code == "busy"
    assert "as many shoppers as it can" in (Error.from_event(refused).text or "")
    assert after is None
    assert json.loads(web_refusal)["code"] == "busy"
    assert third_served
    deadline = time.monotonic() + 10  # the server counts a connection out when it sees it end
    while capped.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert capped.connections == 0


def test_a_silent_connection_is_closed_after_the_idle_timeout(capped: ShopServer) -> None:
    async def scenario() -> tuple[Event | None, Event | None, float]:
        started = time.monotonic()
        async with client(capped) as connection:
            told = await connection.read_event()
            after = await connection.read_event()
        return told, after, time.monotonic() - started

    told, after, waited = asyncio.run(scenario())
    assert told is not None and Error.from_event(told).code == "idle-timeout"
    assert after is None
    assert 1.0 <= waited < 30
