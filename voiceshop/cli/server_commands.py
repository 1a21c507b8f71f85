"""Server commands: `serve` (Wyoming) and `token` (a shopper's sign-in token for it)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from voiceshop.cli.common import default_db_path
from voiceshop.cli.voice_commands import _recognizer_options
from voiceshop.dialog.assistant import DEFAULT_STORE
from voiceshop.errors import ServerError
from voiceshop.extras import missing_extra
from voiceshop.recognizer import RecognizerSettings
from voiceshop.server import DEFAULT_URI, Limits, ServerSettings, add_token
from voiceshop.server.settings import default_workers, parse_satellite
from voiceshop.storage.backend import database_target

if TYPE_CHECKING:
    from voiceshop.server.app import ShopServer

_SERVE_HELP = """\
Serve the shopping pipeline over the Wyoming protocol (what Home Assistant and its voice
satellites speak): speech recognition (asr), the shopping conversation (handle) and spoken
replies (tts), for many conversations at once, each kept under its user and conversation id.

Without --tokens every conversation shops as --user (one household on a trusted network; Home
Assistant sends no tokens). With --tokens, each transcript must carry a shopper's token in its
context ({"conversation_id": ..., "token": ...}; see `voiceshop token`), and the token decides
whose cart it is.

With --http [HOST:]PORT it also serves a browser page (alone when --uri is not given): a
microphone button, the conversation, the cart and the read-back; the page signs in with the
shopper's token. Browsers allow the microphone on http://localhost only: from other machines,
serve the page through a TLS reverse proxy (see the README). Stop with Ctrl-C."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number from 1 up")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number above 0")
    return value


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `serve` and `token`."""
    serve = commands.add_parser(
        "serve",
        parents=[_recognizer_options()],
        help="serve many shoppers over the Wyoming protocol (Home Assistant)",
        description=_SERVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "--uri",
        default=None,
        help=f"where to listen: tcp://HOST:PORT or unix:///PATH (default: {DEFAULT_URI}, this "
        "machine only, unless only --http is given; tcp://0.0.0.0:10700 for the network)",
    )
    serve.add_argument(
        "--http",
        metavar="[HOST:]PORT",
        default=None,
        help="also serve the browser page at http://HOST:PORT/ (HOST: 127.0.0.1 unless given; "
        "only the page when --uri is not given)",
    )
    serve.add_argument(
        "--db",
        type=database_target,
        default=None,
        help="the database of carts, orders and conversations: a SQLite file or a "
        "postgresql:// URL, which several servers may share "
        f"(default: $VOICESHOP_DB or {default_db_path()})",
    )
    serve.add_argument(
        "--store",
        default=DEFAULT_STORE,
        help="the store conversations start at and the recognizer listens for "
        f"(default: {DEFAULT_STORE}; a user's default store wins)",
    )
    serve.add_argument(
        "--user",
        default="default",
        help="whose cart conversations use when there is no --tokens file (default: default)",
    )
    serve.add_argument(
        "--tokens", type=Path, help="token file: each conversation must show a shopper's token"
    )
    serve.add_argument(
        "--satellite",
        action="append",
        default=[],
        metavar="USER=tcp://HOST:PORT",
        help="also listen at this address for USER's voice satellites (Home Assistant, which "
        "sends no token): every conversation there is USER's; bind it where only USER's "
        "Home Assistant reaches it (repeatable)",
    )
    limits = Limits()
    pools = serve.add_argument_group("capacity")
    pools.add_argument(
        "--workers",
        type=_positive_int,
        default=default_workers(),
        help="utterances recognized at once (default: the cores, %(default)s)",
    )
    pools.add_argument(
        "--tts-workers", type=_positive_int, default=1, help="replies synthesized at once"
    )
    pools.add_argument(
        "--queue",
        type=_positive_int,
        default=limits.recognition_queue,
        help="utterances (and replies to synthesize) that may wait; more get a 'busy' answer "
        "(default: %(default)s)",
    )
    pools.add_argument(
        "--max-audio-seconds",
        type=_positive_float,
        default=limits.max_audio_seconds,
        help="longest utterance recognized (default: %(default)s)",
    )
    pools.add_argument(
        "--max-message-bytes",
        type=_positive_int,
        default=limits.max_message_bytes,
        help="largest event a client may send; a larger one ends its connection "
        "(default: %(default)s)",
    )
    pools.add_argument(
        "--max-sessions",
        type=_positive_int,
        default=limits.max_sessions,
        help="conversations kept in memory (default: %(default)s)",
    )
    pools.add_argument(
        "--max-connections",
        type=_positive_int,
        default=limits.max_connections,
        help="connections open at once; one more is answered 'busy' (default: %(default)s)",
    )
    pools.add_argument(
        "--idle-timeout",
        type=_positive_float,
        default=limits.idle_timeout_s,
        metavar="SECONDS",
        help="close a connection silent this long (default: %(default)s)",
    )
    serve.set_defaults(run=run_serve)

    token = commands.add_parser(
        "token",
        help="make a sign-in token for a shopper of `voiceshop serve --tokens FILE`",
        description="Makes a random token for --user, appends its hash to FILE and prints the "
        "token once (it is not stored). A running server reads the new line at once.",
    )
    token.add_argument("--tokens", type=Path, required=True, metavar="FILE", help="token file")
    token.add_argument("--user", required=True, help="the shopper the token signs in")
    token.set_defaults(run=run_token)


def server_settings(args: argparse.Namespace) -> ServerSettings:
    """The server `args` describe."""
    if args.tokens is None and not args.user.strip():
        raise ServerError("--user names no one: give a name, or leave --user out for 'default'")
    limits = replace(
        Limits(),
        recognition_queue=args.queue,
        synthesis_queue=args.queue,
        max_audio_seconds=args.max_audio_seconds,
        max_message_bytes=args.max_message_bytes,
        max_sessions=args.max_sessions,
        max_connections=args.max_connections,
        idle_timeout_s=args.idle_timeout,
    )
    return ServerSettings(
        uri=args.uri if args.uri is not None or args.http is not None else DEFAULT_URI,
        http=args.http,
        db=args.db or default_db_path(),
        store=args.store,
        tokens=args.tokens,
        satellites=tuple(parse_satellite(value) for value in args.satellite),
        household_user=args.user.strip(),
        recognizer=RecognizerSettings(asr=args.asr, model=args.model),
        recognition_workers=args.workers,
        synthesis_workers=args.tts_workers,
        limits=limits,
    )


def run_serve(args: argparse.Namespace) -> int:
    try:
        from voiceshop.server.app import ShopServer
    except ImportError as err:
        raise ServerError(missing_extra("server", "voiceshop serve", err)) from err
    server = ShopServer(server_settings(args))
    return asyncio.run(_serve(server))


async def _serve(server: ShopServer) -> int:
    await server.start()
    who = (
        "shoppers with tokens"
        if server.accounts.needs_token
        else f"{server.settings.household_user!r} (no tokens)"
    )
    where = [front.where for front in server.fronts]
    print(
        f"voiceshop serves {' and '.join(where)} for {who}, "
        f"{server.settings.recognition_workers} recognition workers. Ctrl-C stops.",
        flush=True,
    )
    await server.serve_until_signal()
    print("voiceshop server stopped.", file=sys.stderr, flush=True)
    return 0


def run_token(args: argparse.Namespace) -> int:
    token = add_token(args.tokens, args.user)
    print(token)
    print(
        f"Token for {args.user.strip()} added to {args.tokens}; it is shown only now. Send it as "
        '"token" in the context of each transcript.',
        file=sys.stderr,
    )
    return 0
