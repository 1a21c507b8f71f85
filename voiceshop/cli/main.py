"""Argument parsing and error reporting for `voiceshop`."""

from __future__ import annotations

import argparse
import logging
import sys

from voiceshop.cli import account_commands, server_commands, shop_commands, voice_commands
from voiceshop.errors import VoiceShopError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voiceshop",
        description="Offline voice shopping: say what you need, voiceshop fills the cart and "
        "orders it after you confirm. Nothing leaves your machine.",
    )
    parser.add_argument("--debug", action="store_true", help="log what each stage does")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    voice_commands.add_commands(commands)
    shop_commands.add_commands(commands)
    account_commands.add_commands(commands)
    server_commands.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one voiceshop command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.run(args)
    except VoiceShopError as err:
        print(f"voiceshop: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
