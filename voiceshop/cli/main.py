"""Argument parsing and error reporting for `voiceshop`."""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import sys

from voiceshop.cli import (
    account_commands,
    desk_commands,
    server_commands,
    shop_commands,
    voice_commands,
)
from voiceshop.cli.common import apply_config
from voiceshop.errors import VoiceShopError

DEBUG_HELP = "log each stage's decision and its time on stderr"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voiceshop",
        description="Offline voice shopping: say what you need, voiceshop fills the cart and "
        "orders it after you confirm. Nothing leaves your machine.",
    )
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    parser.add_argument("--version", action="version", version=f"voiceshop {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    voice_commands.add_commands(commands)
    shop_commands.add_commands(commands)
    account_commands.add_commands(commands)
    desk_commands.add_commands(commands)
    server_commands.add_commands(commands)
    _accept_debug_after(commands)
    return parser


def _accept_debug_after(commands: argparse._SubParsersAction) -> None:
    """Let every (sub)command take --debug too (`voiceshop listen --debug`); left out, it keeps
    the value given before the command."""
    for command in commands.choices.values():
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP
        )
        if command._subparsers is not None:
            for action in command._subparsers._group_actions:
                if isinstance(action, argparse._SubParsersAction):
                    _accept_debug_after(action)


def version() -> str:
    """The installed voiceshop's version, or a note that it is run from an uninstalled copy."""
    try:
        return importlib.metadata.version("voiceshop")
    except importlib.metadata.PackageNotFoundError:
        return "(unknown: not installed; `pip install .` in the project folder)"


def main(argv: list[str] | None = None) -> int:
    """Run one voiceshop command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if not getattr(args, "own_config", False):
            apply_config(args)
        return args.run(args)
    except VoiceShopError as err:
        print(f"voiceshop: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
