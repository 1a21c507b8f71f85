"""`kill -9` of `voiceshop chat` at random moments leaves a consistent database."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from support.kill_nine import SCRIPT, run
from voiceshop.storage.backend import is_postgres_url


@pytest.mark.e2e
def test_two_hundred_kills_leave_no_inconsistent_state(db_url: Path | str) -> None:
    started = time.monotonic()
    figures = run(db_url, kills=200, rng=random.Random(20))
    assert figures.kills == 200 and all(figures.kills_by_line)
    assert len(figures.kills_by_line) == len(SCRIPT)
    assert figures.consistent, figures
    assert figures.orders > 0
    # Each round's process also makes the PostgreSQL server start a backend for its connection:
    # 46 s and 72 s (load average 10) for the 200 rounds on this shared two-core machine.
    assert time.monotonic() - started < (120 if is_postgres_url(db_url) else 60)
