"""`voiceshop serve --http`: the browser page in a real headless Chromium (Debian's, driven by
Playwright) whose fake microphone plays a WAV, and the page's WebSocket spoken to directly.

The real server runs (Whisper, the dialog, SQLite, espeak-ng); nothing is mocked.
"""

from __future__ import annotations

import asyncio
import json
import re
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.test_server_wyoming import cart, running
from voiceshop.server import ServerSettings, add_token
from voiceshop.storage.database import ShopDatabase

pytestmark = pytest.mark.e2e

DEMO = Path(__file__).resolve().parents[1] / "voiceshop" / "data" / "demo"
MILK_AND_EGGS_WAV = DEMO / "01_add_milk_and_eggs.wav"
""""add two cartons of organic whole milk and a dozen eggs" (the eggs need a question)."""
BREAD_WAV = DEMO / "03_add_sourdough_bread.wav"
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 120_000
"""How long the page may take to show an answer (Whisper on a busy shared core)."""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The page alone (no Wyoming), with a token file holding alice's and bob's tokens."""
    folder = tmp_path_factory.mktemp("web")
    tokens = folder / "tokens"
    alice, bob = add_token(tokens, "alice"), add_token(tokens, "bob")
    carol = add_token(tokens, "carol")
    settings = ServerSettings(uri=None, http="127.0.0.1:0", db=folder / "shop.db", tokens=tokens)
    with ShopDatabase(settings.db) as db:
        db.set_purchase_code("carol", "2468")
    with running(settings) as server:
        assert server.web is not None and server.address == ""
        yield {"url": server.web.url, "db": settings.db, "alice": alice, "bob": bob, "carol": carol}


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A function opening a fresh headless Chromium whose microphone plays a WAV once."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        contexts: list[Any] = []

        def open_with_microphone(wav: Path) -> Any:
            profile = tmp_path / f"profile-{len(contexts)}"
            context = playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=CHROMIUM,
                headless=True,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={wav}%noloop",
                ],
            )
            contexts.append(context)
            return context.pages[0] if context.pages else context.new_page()

        try:
            yield open_with_microphone
        finally:
            for context in contexts:
                context.close()


def sign_in(page: Any, url: str, token: str) -> None:
    page.goto(url)
    page.fill("#token", token)
    page.click("#signin-button")


def cart_rows(page: Any) -> list[tuple[str, str]]:
    """(quantity, name) of each line the page shows in the cart."""
    return [
        (row.locator("td.n").inner_text(), row.locator("td.name").inner_text())
        for row in page.locator("#cart tr").all()
    ]


def test_hands_free_speech_is_transcribed_answered_spoken_and_shown_in_the_cart(
    shop: dict, chromium: Any
) -> None:
    page = chromium(MILK_AND_EGGS_WAV)
    sign_in(page, shop["url"], shop["alice"])
    page.wait_for_selector("#who:has-text('signed in as alice')", timeout=TIMEOUT_MS)
    assert cart_rows(page) == []
    page.click("#free")
    you = page.locator("#conversation li.you").first
    you.wait_for(timeout=TIMEOUT_MS)
    heard = you.inner_text().lower()
    assert "milk" in heard and "eggs" in heard, heard
    # partial transcripts showed while the 4 s request was still being said, then gave way
    body = page.locator("body")
    assert int(body.get_attribute("data-partials") or 0) >= 1
    partial = body.get_attribute("data-last-partial") or ""
    said = set(re.findall(r"[a-z]+", heard))
    assert said & set(re.findall(r"[a-z]+", partial.lower())), (partial, heard)
    assert page.locator("#partial").inner_text() == ""
    reply = page.locator("#conversation li.shop").first
    reply.wait_for(timeout=TIMEOUT_MS)
    assert re.search(r"Added 2 cartons of .*Organic Whole Milk", reply.inner_text())
    assert ("2", "Horizon Organic Whole Milk") in cart_rows(page)
    # the reply came in the server's voice and was played by the page
    page.wait_for_selector("body[data-server-speech-seconds]", timeout=TIMEOUT_MS)
    assert float(body.get_attribute("data-server-speech-seconds") or 0) > 1
    assert body.get_attribute("data-browser-speeches") is None
    assert ("organic-whole-milk", 2) in cart(shop["db"], "alice")
    assert cart(shop["db"], "bob") == []


def test_push_to_talk_adds_to_the_cart_and_a_checkout_shows_the_read_back(
    shop: dict, chromium: Any
) -> None:
    page = chromium(BREAD_WAV)
    sign_in(page, shop["url"], shop["bob"])
    page.wait_for_selector("#who:has-text('signed in as bob')", timeout=TIMEOUT_MS)
    button = page.locator("#push").bounding_box()
    assert button is not None
    page.mouse.move(button["x"] + 5, button["y"] + 5)
    page.mouse.down()
    page.wait_for_timeout(4_000)  # the WAV is 2.6 s; the microphone plays it once
    page.mouse.up()
    page.locator("#conversation li.shop").first.wait_for(timeout=TIMEOUT_MS)
    assert "sourdough bread" in page.locator("#conversation li.you").first.inner_text().lower()
    assert "Sourdough Bread" in page.locator("#conversation li.shop").first.inner_text()
    assert ("1", "Green Basket Sourdough Bread") in cart_rows(page)
    assert page.locator("#readback-table").is_hidden()
    # typed turns take the same way: "check out" reads the order back beside the conversation
    page.fill("#typed-text", "check out")
    page.click("#typed-button")
    page.locator("#conversation li.shop").nth(1).wait_for(timeout=TIMEOUT_MS)
    page.locator("#readback-table").wait_for(timeout=TIMEOUT_MS)
    read_back = page.locator("#readback tr td.name").all_inner_texts()
    assert read_back == ["Green Basket Sourdough Bread"]
    assert ("sourdough-bread", 1) in cart(shop["db"], "bob")
    assert not [line for line in cart(shop["db"], "alice") if line[0] == "sourdough-bread"]


def test_a_wrong_token_opens_no_cart_and_a_token_in_the_fragment_signs_in(
    shop: dict, chromium: Any
) -> None:
    page = chromium(BREAD_WAV)
    sign_in(page, shop["url"], "not-a-token")
    page.wait_for_selector("#signin-status:has-text('not known')", timeout=TIMEOUT_MS)
    assert page.locator("#push").is_disabled()
    assert page.locator("#typed-text").is_disabled()
    assert "not signed in" in page.locator("#who").inner_text()
    page.goto(shop["url"] + "#token=" + shop["carol"])
    page.wait_for_selector("#who:has-text('signed in as carol')", timeout=TIMEOUT_MS)
    assert page.locator("#push").is_enabled()
    assert shop["carol"] not in page.url  # taken out of the address once read


def test_without_a_server_voice_the_page_speaks_the_reply_itself(
    tmp_path: Path, chromium: Any
) -> None:
    settings = ServerSettings(uri=None, http="127.0.0.1:0", db=tmp_path / "shop.db")
    with running(settings) as server:
        assert server.web is not None and server.speakers is not None
        server.speakers = None  # as when espeak-ng is missing: tts is not offered
        page = chromium(BREAD_WAV)
        page.goto(server.web.url)
        page.click("#signin-button")
        page.wait_for_selector("#who:has-text('signed in as default')", timeout=TIMEOUT_MS)
        page.fill("#typed-text", "add two lemons")
        page.click("#typed-button")
        page.locator("#conversation li.shop").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_selector("body[data-browser-speeches='1']", timeout=TIMEOUT_MS)
        assert page.locator("body").get_attribute("data-server-speech-seconds") is None
        assert ("2", "Lemon") in cart_rows(page)


# The WebSocket without a browser


async def exchange(url: str, messages: list[dict], answers: int, **options: Any) -> list[dict]:
    async with connect(url.replace("http://", "ws://") + "ws", **options) as socket:
        for message in messages:
            await socket.send(json.dumps(message))
        return [json.loads(await asyncio.wait_for(socket.recv(), 120)) for _ in range(answers)]


def test_nothing_reaches_a_cart_before_sign_in(shop: dict) -> None:
    before = cart(shop["db"], "alice")
    answers = asyncio.run(
        exchange(
            shop["url"],
            [
                {"type": "say", "text": "add two lemons"},
                {"type": "hello", "token": "wrong"},
                {"type": "say", "text": "add two lemons"},
            ],
            3,
        )
    )
    assert [answer["type"] for answer in answers] == ["error", "denied", "error"]
    assert answers[0]["code"] == answers[2]["code"] == "sign-in"
    assert cart(shop["db"], "alice") == before


def test_a_signed_in_socket_shops_in_its_own_cart(shop: dict) -> None:
    answers = asyncio.run(
        exchange(
            shop["url"],
            [
                {"type": "hello", "token": shop["alice"], "conversation": "lemons"},
                {"type": "say", "text": "add three lemons"},
            ],
            2,
        )
    )
    welcome, reply = answers
    assert welcome["type"] == "welcome" and welcome["user"] == "alice"
    assert reply["type"] == "reply" and "Lemon" in reply["text"]
    assert {"name": "Lemon", "quantity": 3} in [
        {key: line[key] for key in ("name", "quantity")} for line in reply["state"]["cart"]
    ], reply["state"]
    assert not [line for line in cart(shop["db"], "bob") if "lemon" in line[0]]


def test_another_sites_page_cannot_open_the_socket(shop: dict) -> None:
    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(exchange(shop["url"], [], 0, origin="http://evil.example"))
    assert refused.value.response.status_code == 403


def test_only_the_pages_files_are_served(shop: dict) -> None:
    from urllib.error import HTTPError
    from urllib.request import urlopen

    with urlopen(shop["url"]) as page:
        assert b'id="push"' in page.read()
    with pytest.raises(HTTPError) as missing:
        urlopen(shop["url"] + "../pyproject.toml")
    assert missing.value.code == 404


def test_what_is_said_to_the_purchase_code_question_is_never_sent_back(shop: dict) -> None:
    """carol has a purchase code: after her yes, the next utterance comes back masked, with no
    partial transcripts (the words of BREAD_WAV stand in for the code)."""

    async def scenario() -> tuple[dict, list[dict]]:
        url = shop["url"].replace("http://", "ws://") + "ws"
        async with connect(url) as socket:

            async def answer(kind: str) -> dict:
                while True:
                    message = await asyncio.wait_for(socket.recv(), 120)
                    if isinstance(message, str) and json.loads(message)["type"] == kind:
                        return json.loads(message)

            await socket.send(json.dumps({"type": "hello", "token": shop["carol"]}))
            await answer("welcome")
            for text in ("add two lemons", "check out", "yes"):
                await socket.send(json.dumps({"type": "say", "text": text}))
                reply = await answer("reply")
            await socket.send(json.dumps({"type": "start", "rate": 16_000}))
            with wave.open(str(BREAD_WAV), "rb") as wav:
                while pcm := wav.readframes(1600):  # 0.1 s, sent as it would be spoken
                    await socket.send(pcm)
                    await asyncio.sleep(0.1)
            await socket.send(json.dumps({"type": "stop"}))
            after: list[dict] = []
            while not after or after[-1]["type"] != "reply":
                message = await asyncio.wait_for(socket.recv(), 120)
                if isinstance(message, str):  # not the speech of a reply
                    after.append(json.loads(message))
            return reply, after

    asked, after = asyncio.run(scenario())
    assert asked["secret"] is True and "code" in asked["text"].lower()
    transcripts = [message for message in after if message["type"] == "transcript"]
    assert transcripts == [{"type": "transcript", "text": "••••", "secret": True}]
    assert not [message for message in after if message["type"] == "partial"]
    assert "sourdough" not in json.dumps(after).lower()
