"""The browser page of `voiceshop serve --http [HOST:]PORT`: one page and one WebSocket.

GET / serves a small plain HTML/JS page (voiceshop/server/static/); GET /ws upgrades to a
WebSocket over which the page signs in, streams 16 kHz mono 16-bit PCM from the microphone
(resampled in the page's AudioWorklet) and gets back partial and final transcripts, the reply,
the cart, the read-back waiting for a yes, and the reply spoken by the server's speech engine.
Everything runs on the server's own pools and conversations (the Wyoming handler's): the
recognition pool, the dialog thread's `Desk` and the speech pool.

The WebSocket, one JSON object per text message (binary messages carry PCM):

    page -> server                              server -> page
    {"type": "hello", "token", "conversation"}  {"type": "welcome", "user", "conversation",
                                                  "tts", "state"} | {"type": "denied", "text"}
    {"type": "start", "rate"}  <PCM>*  {"type": "stop"}
                                                {"type": "partial", "text"}*  (while speaking)
                                                {"type": "transcript", "text", "secret"}
    {"type": "say", "text"}  (typed instead)    {"type": "reply", "text", "secret", "state"}
                                                {"type": "speech", "rate", "seconds"} <PCM>
                                                {"type": "error", "code", "text"}

`state` is {"store", "cart": [{"name", "quantity", "price"}], "total", "read_back": [...] or
null, "asks_code"}. Nothing reaches a cart before "hello" signs the page in (with the shopper's
token when the server has a token file). While the conversation waits for the purchase code
(also when a page signs in to a conversation another server asked it in), the next transcript
is sent back masked and no partial transcripts are sent.

Browsers give pages a microphone only in a secure context: http://localhost works as it is;
from another machine, put the page behind a TLS reverse proxy (README, "The browser page").
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import socket
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from voiceshop.audio.types import AudioFormat
from voiceshop.dialog.state import ConfirmingCheckout, ConfirmingCode
from voiceshop.errors import ServerError
from voiceshop.server.accounts import TOKEN_CONTEXT_KEY
from voiceshop.server.fronts import probe_bind
from voiceshop.server.handler import (
    BUSY_CODE,
    BUSY_REPLY,
    CONVERSATION_ID,
    FAILURE_REPLY,
    IDLE_CODE,
)
from voiceshop.server.pool import Busy, Refusal
from voiceshop.server.recognition import Utterance
from voiceshop.server.sessions import Desk
from voiceshop.storage.records import CartLine

if TYPE_CHECKING:
    from voiceshop.server.app import ShopServer

_LOGGER = logging.getLogger(__name__)

INTERFACE = "web"
"""Recorded with the orders placed through the page."""
MASK = "••••"
"""Shown instead of what was said to the purchase-code question."""
PARTIAL_EVERY_SECONDS = 1.0
"""New audio between two partial transcripts of one utterance."""
PARTIAL_MAX_SECONDS = 12.0
"""No partial transcripts past this much of an utterance (each one recognizes it all again)."""
MAX_CONVERSATION_ID = 64
_STATIC = resources.files("voiceshop.server") / "static"
_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/page.js": ("page.js", "text/javascript; charset=utf-8"),
    "/capture-worklet.js": ("capture-worklet.js", "text/javascript; charset=utf-8"),
}
"""The only paths served besides /ws."""


def parse_http(value: str) -> tuple[str, int]:
    """(host, port) of `--http [HOST:]PORT`; the host defaults to loopback."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise ServerError(
            f"--http {value!r}: give a port (8080) or HOST:PORT (0.0.0.0:8080); 0 picks a free port"
        )
    return host, number


class WebFront:
    """The page and its WebSocket, on `server`'s pools and conversations."""

    def __init__(self, server: ShopServer, host: str, port: int) -> None:
        self._server = server
        self._host = host
        self._port = port
        self._listening: Server | None = None

    def check_can_listen(self) -> None:
        """ServerError now if the page's port is taken or cannot be had (before the engines
        take seconds to load; a port taken in between is reported by `start`)."""
        try:
            probe_bind(self._host, self._port)
        except socket.gaierror as err:
            raise ServerError(f"--http: unknown host {self._host!r} ({err.strerror})") from err
        except OSError as err:
            raise self._cannot_listen(err) from err

    def _cannot_listen(self, err: OSError) -> ServerError:
        if err.errno == errno.EADDRINUSE:
            problem = "the port is in use (another server?); pick another with --http PORT"
        elif err.errno == errno.EACCES:
            problem = "permission denied (ports below 1024 need root); use a port from 1024 up"
        else:
            problem = str(err.strerror or err)
        return ServerError(f"cannot serve the page at {self._host}:{self._port}: {problem}")

    async def start(self) -> None:
        limits = self._server.settings.limits
        try:
            self._listening = await serve(
                self._connection,
                self._host,
                self._port,
                process_request=self._request,
                max_size=limits.max_message_bytes,
                server_header="voiceshop",
            )
        except OSError as err:
            raise self._cannot_listen(err) from err

    @property
    def where(self) -> str:
        return f"its page at {self.url}"

    @property
    def url(self) -> str:
        """Where the page is (with the port picked when --http gave port 0)."""
        port = self._port
        if self._listening is not None and port == 0:
            port = next(iter(self._listening.sockets)).getsockname()[1]
        host = "localhost" if self._host in ("127.0.0.1", "::1") else self._host
        return f"http://{host}:{port}/"

    async def stop(self) -> None:
        if self._listening is not None:
            self._listening.close()
            await self._listening.wait_closed()
            self._listening = None

    def _request(self, connection: ServerConnection, request: Request) -> Response | None:
        """The page's files; None lets /ws become a WebSocket (from this page's origin only)."""
        path = urlsplit(request.path).path
        if path == "/ws":
            if not _same_origin(request.headers):
                return _response(HTTPStatus.FORBIDDEN, b"cross-origin WebSocket refused\n")
            return None
        if path not in _FILES:
            return _response(HTTPStatus.NOT_FOUND, b"not found\n")
        name, content_type = _FILES[path]
        return _response(HTTPStatus.OK, (_STATIC / name).read_bytes(), content_type)

    async def _connection(self, socket: ServerConnection) -> None:
        await _Shopper(self._server, socket).run()


def _same_origin(headers: Headers) -> bool:
    """A browser's WebSocket from a page of this host (another site's page could otherwise
    drive a household server's cart from the shopper's own browser)."""
    origin = headers.get("Origin")
    if origin is None:
        return True  # not a browser: it has to show a token like any client
    return urlsplit(origin).netloc.lower() == headers.get("Host", "").lower()


def _response(status: HTTPStatus, body: bytes, content_type: str = "text/plain") -> Response:
    headers = Headers(
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'"),
        ]
    )
    return Response(status.value, status.phrase, headers, body)


@dataclass
class _Speech:
    """The utterance being streamed."""

    number: int
    fmt: AudioFormat
    pcm: bytearray
    drafted_bytes: int = 0
    refused: bool = False


class _Shopper:
    """One page's WebSocket: sign-in, then turns spoken or typed."""

    def __init__(self, server: ShopServer, socket: ServerConnection) -> None:
        self._server = server
        self._socket = socket
        self._limits = server.settings.limits
        self._user: str | None = None
        self._token = ""
        self._conversation_id = ""
        self._secret = False
        """The last reply asked for the purchase code: what is said now is not shown."""
        self._speech: _Speech | None = None
        self._utterances = 0
        self._draft: asyncio.Task[None] | None = None

    async def run(self) -> None:
        refused = self._server.admit()
        try:
            if refused is not None:
                await self._error(refused.text, refused.code)
                await self._socket.close()
            else:
                await self._serve()
        except ConnectionClosed:
            _LOGGER.debug("page went away")
        finally:
            if refused is None:
                self._server.leave()
            if self._draft is not None:
                self._draft.cancel()

    async def _serve(self) -> None:
        """Answer messages until the page goes or stays silent too long."""
        idle = self._limits.idle_timeout_s
        while True:
            try:
                message = await asyncio.wait_for(self._socket.recv(), idle)
            except TimeoutError:
                await self._error(f"closed after {idle:g} s without a message", IDLE_CODE)
                await self._socket.close()
                return
            if isinstance(message, bytes):
                await self._audio(message)
                continue
            try:
                event = json.loads(message)
                if not isinstance(event, dict):
                    raise ValueError("not an object")
                await self._dispatch(event)
            except (ValueError, TypeError, KeyError) as err:
                await self._error(f"malformed message: {err}", "bad-event")

    async def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "hello":
            await self._hello(event)
        elif self._user is None:
            await self._error("sign in first (hello with your token)", "sign-in")
        elif kind == "start":
            self._start(event)
        elif kind == "stop":
            await self._stop()
        elif kind == "say":
            text = event["text"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
            await self._turn(text)
        else:
            await self._error(f"unknown message type {kind!r}", "bad-event")

    async def _send(self, **message: Any) -> None:
        await self._socket.send(json.dumps(message))

    async def _error(self, text: str, code: str) -> None:
        await self._send(type="error", code=code, text=text)

    # Sign-in

    async def _hello(self, event: dict[str, Any]) -> None:
        token = event.get("token") or ""
        if not isinstance(token, str):
            raise TypeError("token must be a string")
        user = self._server.accounts.user_for({TOKEN_CONTEXT_KEY: token})
        if user is None:
            self._user = None
            await self._send(type="denied", text="That token is not known here: no cart opened.")
            return
        wanted = event.get("conversation")
        if isinstance(wanted, str) and 0 < len(wanted) <= MAX_CONVERSATION_ID:
            conversation_id = wanted
        else:
            conversation_id = f"web-{uuid.uuid4().hex}"
        self._user, self._token, self._conversation_id = user, token, conversation_id
        state = await self._state()
        self._secret = state["asks_code"]
        await self._send(
            type="welcome",
            user=user,
            conversation=conversation_id,
            tts=self._server.speakers is not None,
            state=state,
        )

    @property
    def _context(self) -> dict[str, str]:
        return {CONVERSATION_ID: self._conversation_id, TOKEN_CONTEXT_KEY: self._token}

    # Speech in

    def _start(self, event: dict[str, Any]) -> None:
        rate = event.get("rate", 16_000)
        if not isinstance(rate, int) or not 8_000 <= rate <= 48_000:
            raise ValueError("rate must be a whole number of Hz from 8000 to 48000")
        self._utterances += 1
        self._speech = _Speech(self._utterances, AudioFormat(rate, 2, 1), bytearray())

    async def _audio(self, pcm: bytes) -> None:
        speech = self._speech
        if self._user is None:
            await self._error("sign in first (hello with your token)", "sign-in")
            return
        if speech is None:
            await self._error("audio before start", "audio-order")
            return
        if speech.refused:
            return
        speech.pcm += pcm
        if len(speech.pcm) > self._limits.max_audio_seconds * speech.fmt.bytes_per_second:
            speech.refused, speech.pcm = True, bytearray()
            await self._error(
                f"that was longer than this server's {self._limits.max_audio_seconds:g} s",
                "audio-too-long",
            )
            return
        self._maybe_draft(speech)

    def _maybe_draft(self, speech: _Speech) -> None:
        """A partial transcript of the utterance so far, when a recognizer is free for it."""
        every = round(PARTIAL_EVERY_SECONDS * speech.fmt.bytes_per_second)
        if (
            self._secret
            or (self._draft is not None and not self._draft.done())
            or len(speech.pcm) - speech.drafted_bytes < every
            or len(speech.pcm) > PARTIAL_MAX_SECONDS * speech.fmt.bytes_per_second
            or self._server.recognizers.waiting > 0
        ):
            return
        speech.drafted_bytes = len(speech.pcm)
        self._draft = asyncio.create_task(self._partial(speech.number, bytes(speech.pcm)))

    async def _partial(self, number: int, pcm: bytes) -> None:
        speech = self._speech
        if speech is None:
            return
        heard = await self._recognize(Utterance(pcm, speech.fmt))
        if isinstance(heard, Refusal):
            return
        current = self._speech
        if heard and current is not None and current.number == number and not self._secret:
            await self._send(type="partial", text=heard)

    async def _recognize(self, utterance: Utterance) -> str | Refusal:
        """What was said, listened for with the conversation's vocabulary; or why not."""
        vocabulary = await self._server.vocabulary_for(self._context)
        done = await self._server.recognize(Utterance(utterance.pcm, utterance.fmt, vocabulary))
        if isinstance(done, Refusal):
            return done
        return done.value.text if done.value is not None else ""

    async def _stop(self) -> None:
        speech, self._speech = self._speech, None
        if speech is None:
            await self._error("stop before start", "audio-order")
            return
        if speech.refused:
            return
        text = await self._recognize(Utterance(bytes(speech.pcm), speech.fmt))
        if isinstance(text, Refusal):
            await self._error(text.text, text.code)
            return
        secret = self._secret
        await self._send(type="transcript", text=MASK if secret and text else text, secret=secret)
        if text.strip():
            await self._turn(text)

    # The turn and the spoken reply

    async def _turn(self, text: str) -> None:
        user, conversation_id = self._user, self._conversation_id
        assert user is not None
        text = text[: self._limits.max_text_chars]
        try:
            done = await self._server.dialog.run(
                lambda desk: (
                    desk.respond(user, conversation_id, text, interface=INTERFACE).reply,
                    _page_state(desk, user, conversation_id, self._server.settings.store),
                )
            )
        except Busy:
            await self._error(BUSY_REPLY, BUSY_CODE)
            return
        except Exception:
            _LOGGER.exception("the conversation failed to answer")
            await self._error(FAILURE_REPLY, "failed")
            return
        reply, state = done.value
        self._secret = reply.secret_answer
        await self._send(type="reply", text=reply.text, secret=reply.secret_answer, state=state)
        await self._speak(reply.text)

    async def _speak(self, text: str) -> None:
        """The reply in the server's voice; without it the page speaks it itself."""
        speakers = self._server.speakers
        if speakers is None:
            return
        try:
            done = await speakers.run(lambda speaker: speaker.synthesize(text))
        except Exception as err:  # Busy, or the engine failed: the page's own voice speaks
            _LOGGER.info("no server speech for a reply: %r", err)
            await self._send(type="speech", rate=0, seconds=0)
            return
        sound = done.value
        if sound is None:
            return
        await self._send(type="speech", rate=sound.rate, seconds=round(sound.seconds, 3))
        await self._socket.send(sound.samples.astype("<i2").tobytes())

    async def _state(self) -> dict[str, Any]:
        user, conversation_id = self._user, self._conversation_id
        assert user is not None
        store = self._server.settings.store
        done = await self._server.dialog.run(
            lambda desk: _page_state(desk, user, conversation_id, store)
        )
        return done.value


def _page_state(desk: Desk, user: str, conversation_id: str, store: str) -> dict[str, Any]:
    """The cart and read-back the page shows (read in the dialog thread)."""
    conversation = desk.conversation(user, conversation_id)
    read_back: tuple[CartLine, ...] | None = None
    asks_code = conversation is not None and conversation.assistant.asks_code()
    if conversation is not None:
        assistant = conversation.assistant
        store_id, store_name = assistant.store_id, assistant.store.name
        pending = assistant.dialog.state.pending
        if isinstance(pending, ConfirmingCode):
            pending = pending.read_back
        if isinstance(pending, ConfirmingCheckout):
            read_back = pending.lines
    else:
        store_id = desk.db.default_store(user) or store
        store_name = store_id
    cart = desk.db.cart(user, store_id)
    prices = [line.price for line in cart]
    return {
        "store": store_name,
        "cart": [_line(line) for line in cart],
        "total": round(sum(p for p in prices if p is not None), 2),
        "read_back": [_line(line) for line in read_back] if read_back is not None else None,
        "asks_code": asks_code,
    }


def _line(line: CartLine) -> dict[str, Any]:
    options = ", ".join(line.options.values())
    return {
        "name": line.name + (f" ({options})" if options else ""),
        "quantity": line.quantity,
        "price": round(line.price, 2) if line.price is not None else None,
    }
