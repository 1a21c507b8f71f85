"""The server: its pools, its conversations, what it declares in `info`, and its socket."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
from collections.abc import Mapping
from typing import Any

from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    TtsProgram,
    TtsVoice,
)
from wyoming.server import AsyncServer

from voiceshop.catalog.resolve import open_store
from voiceshop.errors import EngineUnavailableError, ServerError
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.matching import ProductMatcher
from voiceshop.recognizer import Vocabulary, choose_engine
from voiceshop.recognizer.models import find_vosk_model
from voiceshop.server.accounts import Accounts, TokenBook
from voiceshop.server.handler import CONVERSATION_ID, ShopEventHandler
from voiceshop.server.pool import Busy, WorkerPool
from voiceshop.server.recognition import Listener, server_recognizer_settings
from voiceshop.server.sessions import Desk
from voiceshop.server.settings import ServerSettings, parse_uri
from voiceshop.server.web import WebFront, parse_http
from voiceshop.speaker import Pyttsx3Speaker, SpeakerSettings
from voiceshop.storage.database import ShopDatabase

_LOGGER = logging.getLogger(__name__)

VERSION = "0.1.0"
_VOICESHOP = Attribution(name="voiceshop", url="")
_ESPEAK = Attribution(name="eSpeak NG", url="https://github.com/espeak-ng/espeak-ng")
_WHISPER = Attribution(
    name="OpenAI Whisper (faster-whisper)", url="https://github.com/SYSTRAN/faster-whisper"
)
_VOSK = Attribution(name="Alpha Cephei (Vosk)", url="https://alphacephei.com/vosk/")


class ShopServer:
    """`voiceshop serve`: start(), then serve until stop()."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        if settings.uri is None and settings.http is None:
            raise ServerError("nothing to serve: give --uri tcp://HOST:PORT, --http PORT or both")
        if settings.uri is not None:
            parse_uri(settings.uri)  # a bad address fails before any model is loaded
        self.web = WebFront(self, *parse_http(settings.http)) if settings.http else None
        tokens = TokenBook(settings.tokens) if settings.tokens is not None else None
        self.accounts = Accounts(tokens, settings.household_user)
        self.recognizers: WorkerPool[Listener]
        self.speakers: WorkerPool[Pyttsx3Speaker] | None = None
        self.dialog: WorkerPool[Desk]
        self.info = Info()
        self._pools: list[WorkerPool[Any]] = []
        """The started pools, stopped in reverse order."""
        self._wyoming: AsyncServer | None = None
        self._stopped = asyncio.Event()

    async def start(self) -> None:
        """Load the engines, open the database, and listen; ServerError when it cannot."""
        uri = self.settings.uri
        if uri is not None:
            _check_can_listen(uri)  # before the engines take seconds to load
        if self.web is not None:
            self.web.check_can_listen()
        await asyncio.to_thread(self._start_pools)
        self.info = self._describe()
        if uri is not None:
            server = AsyncServer.from_uri(uri)
            try:
                await server.start(lambda reader, writer: ShopEventHandler(reader, writer, self))
            except OSError as err:
                self._stop_pools()
                raise _cannot_listen(uri, err) from err
            self._wyoming = server
            _LOGGER.info("voiceshop serves Wyoming at %s", self.address)
        if self.web is not None:
            try:
                await self.web.start()
            except ServerError:
                await self.stop()
                raise
            _LOGGER.info("voiceshop serves its page at %s", self.web.url)

    @property
    def address(self) -> str:
        """The URI the server listens on (with the port picked when the URI gave port 0); ""
        without Wyoming."""
        if self.settings.uri is None:
            return ""
        scheme, host, port = parse_uri(self.settings.uri)
        sockets = getattr(getattr(self._wyoming, "_server", None), "sockets", None)
        if scheme == "tcp" and port == 0 and sockets:
            port = sockets[0].getsockname()[1]
        return f"tcp://{host}:{port}" if scheme == "tcp" else self.settings.uri

    async def serve_until_signal(self) -> None:
        """Serve until SIGINT or SIGTERM (or stop()), then stop."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stopped.set)
        try:
            await self._stopped.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            await self.stop()

    async def stop(self) -> None:
        """Close the socket and the connections, then let the workers finish."""
        self._stopped.set()
        if self.web is not None:
            await self.web.stop()
        if self._wyoming is not None:
            await self._wyoming.stop()
            self._wyoming = None
        await asyncio.to_thread(self._stop_pools)

    async def vocabulary_for(self, context: Mapping[str, Any] | None) -> Vocabulary | None:
        """The vocabulary of the signed-in conversation `context` names, if the server holds
        it; None (the store's words) otherwise, or when the dialog thread is busy."""
        if not isinstance(context, Mapping) or not isinstance(context.get(CONVERSATION_ID), str):
            return None
        user = self.accounts.user_for(context)
        if user is None:
            return None
        conversation_id = context[CONVERSATION_ID]
        try:
            done = await self.dialog.run(lambda desk: desk.vocabulary(user, conversation_id))
        except Busy:
            return None
        return done.value

    # Pools

    def _start_pools(self) -> None:
        settings = self.settings
        limits = settings.limits
        with ShopDatabase(settings.db) as db:
            store = open_store(settings.store, db)
        parser = IntentParser(store)
        matcher = ProductMatcher(store, parser.normalizer)
        vocabulary = store_vocabulary(store, IntentParser(store, products=matcher), matcher)
        recognizer_settings = server_recognizer_settings(
            settings.recognizer, settings.recognition_workers
        )
        self.recognizers = WorkerPool(
            "recognizer",
            settings.recognition_workers,
            lambda: Listener(recognizer_settings, vocabulary),
            limits.recognition_queue,
        )
        self.dialog = WorkerPool(
            "dialog",
            1,
            lambda: Desk(ShopDatabase(settings.db), settings.store, limits.max_sessions),
            limits.dialog_queue,
            close=Desk.close,
        )
        for pool in (self.recognizers, self.dialog):
            try:
                pool.start()
            except BaseException:
                self._stop_pools()
                raise
            self._pools.append(pool)
        speakers = WorkerPool(
            "speaker",
            settings.synthesis_workers,
            lambda: Pyttsx3Speaker(SpeakerSettings(play=False, echo=False)),
            limits.synthesis_queue,
            close=Pyttsx3Speaker.close,
        )
        try:
            speakers.start()
            self.speakers = speakers
            self._pools.append(speakers)
        except EngineUnavailableError as err:
            _LOGGER.warning("no speech synthesis (%s): tts is not offered", err)

    def _stop_pools(self) -> None:
        while self._pools:
            self._pools.pop().stop()

    # Info

    def _describe(self) -> Info:
        settings = self.settings
        language = settings.recognizer.language
        engine = choose_engine(settings.recognizer)
        if engine == "vosk":
            path = find_vosk_model(language, settings.recognizer.model)
            model_name, attribution = (path.name if path else "vosk"), _VOSK
        else:
            folder = settings.recognizer.whisper.model_dir
            model_name, attribution = (folder.name if folder else "whisper tiny.en"), _WHISPER
        asr = AsrProgram(
            name="voiceshop",
            attribution=_VOICESHOP,
            installed=True,
            description=f"voiceshop speech recognition tuned to the {settings.store} store",
            version=VERSION,
            models=[
                AsrModel(
                    name=f"{engine}: {model_name}",
                    attribution=attribution,
                    installed=True,
                    description=f"{engine} listening for the {settings.store} store's words",
                    version=None,
                    languages=[language],
                )
            ],
            supports_transcript_streaming=False,
        )
        handle = HandleProgram(
            name="voiceshop",
            attribution=_VOICESHOP,
            installed=True,
            description="voiceshop: a grocery shopping conversation (cart, checkout, orders)",
            version=VERSION,
            models=[
                HandleModel(
                    name=settings.store,
                    attribution=_VOICESHOP,
                    installed=True,
                    description=f"shopping at {settings.store}",
                    version=VERSION,
                    languages=[language],
                )
            ],
            supports_handled_streaming=False,
        )
        tts = []
        if self.speakers is not None:
            voice = TtsVoice(
                name="espeak-ng",
                attribution=_ESPEAK,
                installed=True,
                description="eSpeak NG through pyttsx3",
                version=None,
                languages=[language],
            )
            tts.append(
                TtsProgram(
                    name="voiceshop",
                    attribution=_ESPEAK,
                    installed=True,
                    description="voiceshop replies spoken by eSpeak NG",
                    version=VERSION,
                    voices=[voice],
                )
            )
        return Info(asr=[asr], handle=[handle], tts=tts)


def _check_can_listen(uri: str) -> None:
    """ServerError now if a TCP address is taken or cannot be had (the server binds it again
    after loading; a port taken in between is reported then)."""
    scheme, host, port = parse_uri(uri)
    if scheme != "tcp" or not port:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        problem = f"unknown host {host!r} ({err.strerror})"
        raise ServerError(f"cannot listen at {uri}: {problem}") from err
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
            try:
                probe.bind(address)
            except OSError as err:
                raise _cannot_listen(uri, err) from err


def _cannot_listen(uri: str, err: OSError) -> ServerError:
    if err.errno == errno.EADDRINUSE:
        return ServerError(
            f"cannot listen at {uri}: the port is in use (another voiceshop serve or Wyoming "
            "server?); pick another port with --uri tcp://HOST:PORT"
        )
    if err.errno == errno.EACCES:
        return ServerError(
            f"cannot listen at {uri}: permission denied (ports below 1024 need root); "
            "use a port from 1024 up"
        )
    return ServerError(f"cannot listen at {uri}: {err.strerror or err}")
