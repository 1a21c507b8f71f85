"""Hostile and clumsy input stays bounded: each is refused with one clear line, never a hang."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli import stdin_of
from voiceshop.cli import main
from voiceshop.dialog.assistant import Assistant
from voiceshop.intents.parser import MAX_UTTERANCE_CHARS, MAX_UTTERANCE_WORDS
from voiceshop.storage.database import ShopDatabase


@pytest.fixture
def assistant(db_path: Path) -> Iterator[Assistant]:
    with ShopDatabase(db_path) as db:
        yield Assistant(db, store="grocery")


@pytest.mark.parametrize(
    "text",
    [
        "add a lemon. " * (4000 // len("add a lemon. ")),
        "at " * (MAX_UTTERANCE_WORDS + 1),
        "7" * 4000,
        "add " + "a" * MAX_UTTERANCE_CHARS,
    ],
    ids=["sentences", "words", "digits", "one-long-word"],
)
def test_an_overlong_utterance_is_refused_quickly(assistant: Assistant, text: str) -> None:
    started = time.perf_counter()
    reply = assistant.respond(text).text
    assert time.perf_counter() - started < 1.0
    assert reply == assistant.dialog.replies.say("too_long", words=MAX_UTTERANCE_WORDS)
    assert assistant.dialog.cart == []


def test_an_utterance_within_the_limit_is_understood(assistant: Assistant) -> None:
    text = "add a lemon, " * 4 + "and a banana"
    assert len(text.split()) <= MAX_UTTERANCE_WORDS
    assistant.respond(text)
    assert {line.name for line in assistant.dialog.cart} >= {"Lemon", "Banana"}


def test_chat_skips_an_undecodable_stdin_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", stdin_of(b"add a lemon\n\xff\xfe add eggs\nadd a banana\n"))

    assert main(["chat", "--db", str(db_path)]) == 0
    out, err = capsys.readouterr()
    assert [line.split(".")[0] for line in out.splitlines()] == ["Added 1 Lemon", "Added 1 Banana"]
    assert err.strip() == (
        "voiceshop: skipped line 2 of the input: not valid utf-8 text (byte 1); write it as utf-8"
    )
