"""Parsing time of long utterances: the testers' hostile inputs, and the longest ones accepted.

For each repeated pattern ("add a lemon. ", "at ", a digit) it times, on the grocery store:
- `Assistant.respond` with 4,000 characters of it (refused as too long; target < 1 s);
- `IntentParser.parse` with 125, 250 and 500 characters of it, cut at the word limit, so the
  growth below the limit can be read off (roughly linear is the aim).

`python -m benchmarks.long_utterances` prints the table.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from voiceshop.dialog.assistant import Assistant
from voiceshop.intents.parser import MAX_UTTERANCE_WORDS
from voiceshop.storage.database import ShopDatabase

PATTERNS = ("add a lemon. ", "at ", "7")
HOSTILE_CHARS = 4000
ACCEPTED_CHARS = (125, 250, 500)
TARGET_SECONDS = 1.0


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, ShopDatabase(Path(folder) / "shop.db") as db:
        assistant = Assistant(db, store="grocery")
        parse = assistant.dialog.parser.parse
        print(
            f"| pattern | respond {HOSTILE_CHARS:,} chars | parse "
            + " | ".join(f"{n} chars" for n in ACCEPTED_CHARS)
            + " |"
        )
        print("| --- " * (2 + len(ACCEPTED_CHARS)) + "|")
        for pattern in PATTERNS:
            hostile = _seconds(assistant.respond, _repeated(pattern, HOSTILE_CHARS))
            accepted = [_seconds(parse, _within_limit(pattern, n)) for n in ACCEPTED_CHARS]
            verdict = "ok" if hostile < TARGET_SECONDS else "MISSED"
            cells = " | ".join(f"{s * 1000:.0f} ms" for s in accepted)
            print(f"| {pattern!r} | {hostile * 1000:.0f} ms ({verdict}) | {cells} |")


def _repeated(pattern: str, chars: int) -> str:
    return (pattern * (chars // len(pattern) + 1))[:chars]


def _within_limit(pattern: str, chars: int) -> str:
    return " ".join(_repeated(pattern, chars).split()[:MAX_UTTERANCE_WORDS])


def _seconds(call: Callable[[str], object], text: str) -> float:
    started = time.perf_counter()
    call(text)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
