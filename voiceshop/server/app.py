"""The server: its pools, its conversations, what it declares in `info`, and its socket."""

from __future__ import annotations

import asyncio
import logging
import signal
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

from voiceshop.errors import EngineUnavailableError, ServerError
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.matching import ProductMatcher
from voiceshop.recognizer import (
    RecognizerSettings,
    Transcript,
    Vocabulary,
    choose_engine,
    for_language,
)
from voiceshop.recognizer.models import find_vosk_model
from voiceshop.server.accounts import Accounts, TokenBook
from voiceshop.server.fronts import Front, WyomingFront
from voiceshop.server.handler import BUSY_CODE, BUSY_REPLY, CONVERSATION_ID, TOO_MANY_REPLY
from voiceshop.server.pool import Busy, Done, Refusal, WorkerPool
from voiceshop.server.recognition import Listener, Utterance, server_recognizer_settings
from voiceshop.server.sessions import Desk
from voiceshop.server.settings import ServerSettings
from voiceshop.server.web import WebFront, parse_http
from voiceshop.speaker import Pyttsx3Speaker, SpeakerSettings
from voiceshop.speaker.reading import Reading
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.stores import open_store

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
        self.wyoming = WyomingFront(self, settings.uri) if settings.uri is not None else None
        self.web = WebFront(self, *parse_http(settings.http)) if settings.http else None
        self.satellites = [WyomingFront(self, uri, user) for user, uri in settings.satellites]
        """Wyoming listeners whose every conversation is one user's (`--satellite`)."""
        self.fronts: list[Front] = [
            f for f in (self.wyoming, self.web, *self.satellites) if f is not None
        ]
        tokens = TokenBook(settings.tokens) if settings.tokens is not None else None
        self.accounts = Accounts(tokens, settings.household_user)
        self.recognizers: WorkerPool[Listener]
        self.speakers: WorkerPool[Pyttsx3Speaker] | None = None
        self.dialog: WorkerPool[Desk]
        self.info = Info()
        self.recognizer_settings: RecognizerSettings = settings.recognizer
        """The recognizer's settings in the store's language (set when the pools start)."""
        self._pools: list[WorkerPool[Any]] = []
        """The started pools, stopped in reverse order."""
        self._stopped = asyncio.Event()
        self.connections = 0
        """Connections open now (`admit` / `leave`)."""

    async def start(self) -> None:
        """Load the engines, open the database, and listen; ServerError when it cannot."""
        for front in self.fronts:
            front.check_can_listen()  # before the engines take seconds to load
        await asyncio.to_thread(self._start_pools)
        self.info = self._describe()
        for front in self.fronts:
            try:
                await front.start()
            except ServerError:
                await self.stop()
                raise
            _LOGGER.info("voiceshop serves %s", front.where)

    @property
    def address(self) -> str:
        """The Wyoming URI the server listens on (with the port picked when the URI gave port
        0); "" without Wyoming."""
        return self.wyoming.address if self.wyoming is not None else ""

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
        """Close the sockets and the connections, then let the workers finish."""
        self._stopped.set()
        for front in reversed(self.fronts):
            await front.stop()
        await asyncio.to_thread(self._stop_pools)

    def admit(self) -> Refusal | None:
        """Count a new connection in, or the refusal to send it when this server has
        `max_connections` open already (the client should come back, or try another server)."""
        if self.connections >= self.settings.limits.max_connections:
            return Refusal(TOO_MANY_REPLY, BUSY_CODE)
        self.connections += 1
        return None

    def leave(self) -> None:
        """Count an admitted connection out."""
        self.connections -= 1

    async def recognize(self, utterance: Utterance) -> Done[Transcript | None] | Refusal:
        """The utterance recognized in the recognition pool, or the refusal to send the client
        instead (a full queue: "busy"; a failing recognizer: "asr-failed")."""
        try:
            return await self.recognizers.run(lambda ear: ear.recognize(utterance))
        except Busy:
            return Refusal(BUSY_REPLY, BUSY_CODE)
        except Exception as err:
            _LOGGER.exception("recognition failed")
            return Refusal(f"recognition failed: {err}", "asr-failed")

    async def vocabulary_for(
        self, context: Mapping[str, Any] | None, user: str | None = None
    ) -> Vocabulary | None:
        """The vocabulary of the conversation `context` names, of `user` (else of whoever its
        token signs in), if it had a turn; None (the store's words) otherwise, or when the
        dialog thread is busy."""
        if not isinstance(context, Mapping) or not isinstance(context.get(CONVERSATION_ID), str):
            return None
        user = user or self.accounts.user_for(context)
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
        language = store.language or "en"
        parser = IntentParser(store, language)
        matcher = ProductMatcher(store, parser.normalizer)
        vocabulary = store_vocabulary(store, IntentParser(store, language, matcher), matcher)
        words = parser.language
        self.recognizer_settings = for_language(
            settings.recognizer,
            words.name,
            words.prompt_lead,
            words.recognizer_prompt,
            words.slot_rescoring,
        )
        recognizer_settings = server_recognizer_settings(
            self.recognizer_settings, settings.recognition_workers
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
            lambda: Pyttsx3Speaker(synthesis_settings(parser)),
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
        settings, recognizer = self.settings, self.recognizer_settings
        language = recognizer.language
        engine = choose_engine(recognizer)
        if engine == "vosk":
            path = find_vosk_model(language, recognizer.model)
            model_name, attribution = (path.name if path else "vosk"), _VOSK
        else:
            folder = recognizer.whisper.model_dir
            multilingual = language != "en" or recognizer.asr == "whisper-base"
            default = "whisper base" if multilingual else "whisper tiny.en"
            model_name, attribution = (folder.name if folder else default), _WHISPER
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


def synthesis_settings(parser: IntentParser) -> SpeakerSettings:
    """How the server voices replies: with the voice and the reading rules (`reading:` of
    language.yaml: "2,19 €" as "2 euros 19") of the parser's language, as `voiceshop listen`
    speaks them; sent on, neither played nor printed."""
    words = parser.language
    return SpeakerSettings(
        voice=words.speaker_voice,
        play=False,
        echo=False,
        reading=Reading.from_data(words.reading),
    )
