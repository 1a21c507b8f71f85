"""`chat` when the conversation fails: an apology, and a secret question stays asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceshop.cli.shop_commands import _answer
from voiceshop.dialog.assistant import Assistant
from voiceshop.storage.database import ShopDatabase
from voiceshop.voice_loop import LoopSettings


@pytest.mark.parametrize("secret", [True, False])
def test_a_failure_is_apologised_for_and_keeps_a_secret_question_asked(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, secret: bool
) -> None:
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db)

        def broken(text: str, confidence: float = 1.0) -> None:
            raise RuntimeError("dialog exploded")

        monkeypatch.setattr(assistant, "respond", broken)
        reply = _answer(assistant, "1 2 3 4", secret)
    assert reply.text == LoopSettings().failure_reply
    assert reply.secret_answer is secret
