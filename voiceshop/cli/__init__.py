"""The `voiceshop` command: one entry point, one subcommand per job."""

from voiceshop.cli.main import main

__all__ = ["main"]
