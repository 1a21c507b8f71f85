"""`--debug` before or after the command."""

from __future__ import annotations

import pytest

from voiceshop.cli.main import build_parser


@pytest.mark.parametrize(
    ("argv", "debug"),
    [
        (["catalog", "list"], False),
        (["--debug", "catalog", "list"], True),
        (["catalog", "list", "--debug"], True),
        (["listen", "--debug"], True),
        (["account", "code", "set", "--debug"], True),
        (["doctor"], False),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_debug_is_understood_before_or_after_the_command(argv: list[str], debug: bool) -> None:
    assert build_parser().parse_args(argv).debug is debug
