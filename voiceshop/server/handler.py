"""One Wyoming connection: describe, recognize an utterance, handle a transcript, synthesize.

    describe                                   -> info
    transcribe? audio-start audio-chunk* audio-stop -> transcript   (asr)
    transcript {text, context}                 -> handled | not-handled   (handle)
    synthesize {text}                          -> audio-start audio-chunk* audio-stop   (tts)

Events on one connection are answered in order; connections do not wait for each other (the
work runs in the server's pools). Busy pools answer at once: `error` with code "busy" for
recognition and speech, `not-handled` with a spoken "busy" sentence for a turn, so a voice
satellite says something rather than timing out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe
from wyoming.server import AsyncEventHandler
from wyoming.tts import Synthesize

from voiceshop.audio.types import AudioFormat
from voiceshop.server.pool import Busy, Refusal
from voiceshop.server.recognition import Utterance

if TYPE_CHECKING:
    from voiceshop.server.app import ShopServer

_LOGGER = logging.getLogger(__name__)

CONVERSATION_ID = "conversation_id"
"""The context key Home Assistant keeps a conversation under."""
TIMING_KEY = "voiceshop"
"""Context key of a transcript's timing: queue wait and recognition seconds."""
BUSY_CODE = "busy"
BUSY_REPLY = "Sorry, I'm busy with other shoppers right now. Please say that again in a moment."
TOO_MANY_REPLY = (
    "Sorry, this server is talking to as many shoppers as it can. Please try again in a moment."
)
IDLE_CODE = "idle-timeout"
SIGN_IN_REPLY = "Please sign in first: this shop needs your token before it opens your cart."
FAILURE_REPLY = "Sorry, something went wrong on my side. Please say that again."
TTS_SAMPLES_PER_CHUNK = 1024
_WIDTHS = (1, 2, 3, 4)
_RATES = (8_000, 192_000)
_MAX_CHANNELS = 8


class MessageTooLarge(Exception):
    """An event's declared data and payload exceed the connection's limit."""


class ShopEventHandler(AsyncEventHandler):
    """Answers one client's events with the server's pools and conversations."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        server: ShopServer,
        user: str | None = None,
    ) -> None:
        """`user`: whose every conversation on this connection is (a satellite listener's);
        None: whoever each event's token signs in."""
        super().__init__(reader, writer)
        self._server = server
        self._user = user
        self._limits = server.settings.limits
        self._connection_id = uuid.uuid4().hex
        """The conversation id of transcripts that bring none."""
        self._transcribe: Transcribe | None = None
        self._audio: bytearray | None = None
        self._format: AudioFormat | None = None
        self._refused_audio = False

    async def run(self) -> None:
        """Like AsyncEventHandler.run, but within the server's connection cap, each event held
        to the size limit first, and the connection closed when idle."""
        refused = self._server.admit()
        try:
            if refused is not None:
                await self._error(refused.text, refused.code)
            else:
                await self._serve()
        except (ConnectionError, asyncio.IncompleteReadError):
            _LOGGER.debug("client went away")
        finally:
            if refused is None:
                self._server.leave()
            await self.disconnect()
            self.writer.close()

    async def _serve(self) -> None:
        """Answer events until the client goes, sends too much, or stays silent too long."""
        idle = self._limits.idle_timeout_s
        self._is_running = True
        while self._is_running:
            try:
                event = await asyncio.wait_for(self._read_event(), idle)
            except MessageTooLarge as err:
                await self._error(str(err), "message-too-large")
                return
            except TimeoutError:
                await self._error(f"closed after {idle:g} s without a message", IDLE_CODE)
                return
            if event is None or not await self.handle_event(event):
                return

    async def handle_event(self, event: Event) -> bool:
        """Answer one event; a malformed one gets a `bad-event` error and the connection goes
        on."""
        try:
            await self._dispatch(event)
        except (KeyError, TypeError, ValueError) as err:
            await self._error(f"malformed {event.type!r} event: {err!r}", "bad-event")
        return True

    async def _dispatch(self, event: Event) -> None:
        if Describe.is_type(event.type):
            await self.write_event(self._server.info.event())
        elif Transcribe.is_type(event.type):
            self._transcribe = Transcribe.from_event(event)
        elif AudioStart.is_type(event.type):
            await self._audio_start(AudioStart.from_event(event))
        elif AudioChunk.is_type(event.type):
            await self._audio_chunk(AudioChunk.from_event(event))
        elif AudioStop.is_type(event.type):
            await self._audio_stop()
        elif Transcript.is_type(event.type):
            await self._handle(Transcript.from_event(event))
        elif Synthesize.is_type(event.type):
            await self._synthesize(Synthesize.from_event(event))
        else:
            _LOGGER.debug("ignoring a %r event", event.type)

    # Reading, within limits

    async def _read_event(self) -> Event | None:
        """The next event, or None at the end of the stream or on a malformed header."""
        line = await self.reader.readline()
        if not line:
            return None
        try:
            header = json.loads(line)
            event_type = header["type"]
            data = header.get("data") or {}
            data_length = int(header.get("data_length") or 0)
            payload_length = int(header.get("payload_length") or 0)
        except (ValueError, KeyError, TypeError, AttributeError):
            _LOGGER.debug("malformed event header: closing the connection")
            return None
        if not isinstance(event_type, str) or not isinstance(data, dict):
            return None
        if min(data_length, payload_length) < 0:
            return None
        if data_length + payload_length > self._limits.max_message_bytes:
            raise MessageTooLarge(
                f"a {event_type!r} event of {data_length + payload_length} bytes is over this "
                f"server's limit of {self._limits.max_message_bytes}"
            )
        if data_length:
            try:
                data = {**data, **json.loads(await self.reader.readexactly(data_length))}
            except (ValueError, TypeError):
                return None
        payload = await self.reader.readexactly(payload_length) if payload_length else None
        return Event(type=event_type, data=data, payload=payload)

    # Recognition

    async def _audio_start(self, start: AudioStart) -> None:
        self._audio, self._format, self._refused_audio = bytearray(), None, False
        fmt = AudioFormat(start.rate, start.width, start.channels)
        if not all(isinstance(value, int) for value in (fmt.rate, fmt.width, fmt.channels)) or (
            fmt.width not in _WIDTHS
            or not _RATES[0] <= fmt.rate <= _RATES[1]
            or not 1 <= fmt.channels <= _MAX_CHANNELS
        ):
            await self._refuse_audio(
                f"unsupported audio format {fmt}: send PCM of 1-4 bytes a sample, 8-192 kHz, 1-8 "
                "channels",
                "audio-format",
            )
            return
        self._format = fmt

    async def _audio_chunk(self, chunk: AudioChunk) -> None:
        if self._refused_audio:
            return
        if self._audio is None or self._format is None:
            await self._refuse_audio("audio-chunk before audio-start", "audio-order")
            return
        if (chunk.rate, chunk.width, chunk.channels) != (
            self._format.rate,
            self._format.width,
            self._format.channels,
        ):
            await self._refuse_audio("an audio-chunk changed the audio format", "audio-format")
            return
        self._audio += chunk.audio
        if len(self._audio) > self._limits.max_audio_seconds * self._format.bytes_per_second:
            await self._refuse_audio(
                f"utterance longer than this server's {self._limits.max_audio_seconds:g} s",
                "audio-too-long",
            )

    async def _refuse_audio(self, text: str, code: str) -> None:
        self._refused_audio, self._audio = True, None
        await self._error(text, code)

    async def _audio_stop(self) -> None:
        audio, fmt, refused = self._audio, self._format, self._refused_audio
        transcribe, self._transcribe = self._transcribe, None
        self._audio, self._format, self._refused_audio = None, None, False
        if refused:
            return
        if audio is None or fmt is None:
            await self._error("audio-stop before audio-start", "audio-order")
            return
        context = transcribe.context if transcribe is not None else None
        vocabulary = await self._server.vocabulary_for(context, self._user)
        utterance = Utterance(bytes(audio), fmt, vocabulary)
        done = await self._server.recognize(utterance)
        if isinstance(done, Refusal):
            await self._error(done.text, done.code)
            return
        heard = done.value
        reply_context: dict[str, Any] = {
            TIMING_KEY: {
                "queue_wait_s": round(done.queue_wait_s, 4),
                "recognize_s": round(done.run_s, 4),
                "audio_s": round(utterance.seconds, 3),
            }
        }
        if isinstance(context, dict) and isinstance(context.get(CONVERSATION_ID), str):
            reply_context[CONVERSATION_ID] = context[CONVERSATION_ID]
        text = heard.text if heard is not None else ""
        language = self._server.settings.recognizer.language
        await self.write_event(Transcript(text, reply_context, language).event())

    # Handling

    async def _handle(self, transcript: Transcript) -> None:
        context = transcript.context if isinstance(transcript.context, dict) else {}
        conversation_id = context.get(CONVERSATION_ID)
        if not isinstance(conversation_id, str) or not conversation_id:
            conversation_id = self._connection_id
        reply_context = {CONVERSATION_ID: conversation_id}
        user = self._user or self._server.accounts.user_for(context)
        if user is None:
            await self.write_event(NotHandled(SIGN_IN_REPLY, reply_context).event())
            return
        if not isinstance(transcript.text, str):
            raise TypeError("a transcript's text must be a string")
        text = transcript.text[: self._limits.max_text_chars]
        try:
            done = await self._server.dialog.run(
                lambda desk: desk.respond(user, conversation_id, text)
            )
        except Busy:
            await self.write_event(NotHandled(BUSY_REPLY, reply_context).event())
            return
        except Exception:
            _LOGGER.exception("the conversation failed to answer a transcript")
            await self.write_event(NotHandled(FAILURE_REPLY, reply_context).event())
            return
        await self.write_event(Handled(done.value.reply.text, reply_context).event())

    # Speech

    async def _synthesize(self, synthesize: Synthesize) -> None:
        speakers = self._server.speakers
        if speakers is None:
            await self._error("this server has no speech engine (install espeak-ng)", "no-tts")
            return
        if not isinstance(synthesize.text, str):
            raise TypeError("the text to synthesize must be a string")
        text = synthesize.text[: self._limits.max_text_chars]
        try:
            done = await speakers.run(lambda speaker: speaker.synthesize(text))
        except Busy:
            await self._error(BUSY_REPLY, BUSY_CODE)
            return
        except Exception as err:
            _LOGGER.exception("speech synthesis failed")
            await self._error(f"speech synthesis failed: {err}", "tts-failed")
            return
        sound = done.value
        rate = sound.rate if sound is not None else 22_050
        await self.write_event(AudioStart(rate=rate, width=2, channels=1).event())
        if sound is not None:
            pcm = sound.samples.astype("<i2").tobytes()
            step = TTS_SAMPLES_PER_CHUNK * 2
            for start in range(0, len(pcm), step):
                chunk = AudioChunk(rate=rate, width=2, channels=1, audio=pcm[start : start + step])
                await self.write_event(chunk.event())
        await self.write_event(AudioStop().event())

    async def _error(self, text: str, code: str) -> None:
        await self.write_event(Error(text=text, code=code).event())
