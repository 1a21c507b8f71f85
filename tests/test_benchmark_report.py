"""The benchmark table: figures of repeated runs, targets checked, one markdown row each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.report import (
    MEASURED_APART,
    MEASURED_APART_DIR,
    BenchmarkRun,
    Figures,
    Row,
    Target,
    baseline_path,
    measured_apart,
    results_markdown,
    summary_of,
    table,
    voiceshop_at,
)

DROPPED_INFLECT = "c5e125b"
"""A baseline commit whose voiceshop imported inflect, no longer a dependency."""


def test_figures_of_repeated_runs() -> None:
    figures = Figures.of([i / 1000 for i in range(1, 101)], scale=1000)
    assert (figures.median, figures.p95, figures.p99) == (50.5, 95, 99)
    assert Figures.of([2.0]) == Figures(2.0)


def test_targets_against_numbers_and_the_baseline() -> None:
    fast = Row("latency", "ms", Figures(1.0, 3.0, 4.0), targets=(Target("p99", True, 5.0),))
    slow = Row("latency", "ms", Figures(1.0, 3.0, 6.0), targets=(Target("p99", True, 5.0),))
    accurate = Row("accuracy", "%", Figures(97.0), Figures(85.0), (Target("median", False),))
    assert (fast.met(), slow.met(), accurate.met()) == (True, False, True)
    assert Row("memory", "MB", Figures(200.0)).met() is None


def test_table_rows() -> None:
    row = Row("accuracy", "%", Figures(97.0), Figures(85.0), (Target("median", False),))
    assert table([row]).splitlines()[-1] == (
        "| accuracy | % | 97 | n/a | n/a | 85 | n/a | n/a | ≥ baseline | 1.14 | yes |"
    )


def test_long_utterances_time_the_longest_text_the_parser_reads_and_its_half() -> None:
    from support.long_texts import HOSTILE, SLOWEST, first_half, longest_accepted
    from voiceshop.intents.parser import MAX_UTTERANCE_CHARS, MAX_UTTERANCE_WORDS, is_too_long

    for pattern in (*HOSTILE, *SLOWEST):
        text = longest_accepted(pattern)
        assert not is_too_long(text)
        assert is_too_long(text + " " + pattern.strip()) or is_too_long(text + pattern.strip())
        half = first_half(text)
        assert text.startswith(half) and 0.4 < len(half) / len(text) < 0.6
    assert len(longest_accepted("at ").split()) == MAX_UTTERANCE_WORDS
    assert len(longest_accepted("7")) == MAX_UTTERANCE_CHARS


def test_results_link_the_figures_measured_apart_and_the_files_exist() -> None:
    section = measured_apart()
    assert section in results_markdown([], "- machine", "python -m benchmarks.run")
    for _what, file, _command in MEASURED_APART:
        assert f"]({file})" in section
        assert (MEASURED_APART_DIR / file).is_file(), file


def test_a_measured_apart_files_summary_is_shown_up_to_the_next_section() -> None:
    markdown = "# Load\n\nintro\n\n## Summary\n\n| a | b |\n| 1 | 2 |\n\n## Run 1\n\nmore\n"
    assert summary_of(markdown) == "| a | b |\n| 1 | 2 |"
    assert summary_of("# Load\n\n## Run 1\n") == ""
    load = summary_of((MEASURED_APART_DIR / "server_load.md").read_text(encoding="utf-8"))
    assert load and load in measured_apart()


def _run_in(tmp_path: Path) -> BenchmarkRun:
    return BenchmarkRun(1, 0, tmp_path / "out", tmp_path, tmp_path)


def test_a_baseline_tree_needing_nothing_new_gets_no_extra_path(tmp_path: Path) -> None:
    tree = voiceshop_at(_run_in(tmp_path), "HEAD")
    assert (tree / "voiceshop" / "__init__.py").is_file()
    assert baseline_path(tree) == ""


@pytest.mark.e2e
def test_a_baseline_gets_the_dependencies_since_dropped_and_runs(tmp_path: Path) -> None:
    tree = voiceshop_at(_run_in(tmp_path), DROPPED_INFLECT)
    extra = Path(baseline_path(tree))
    assert (extra / "inflect").is_dir()
    assert not list(extra.glob("numpy*")), "what this environment has is not installed again"
    replies = subprocess.run(
        [sys.executable, "-c", "import voiceshop.dialog.replies as r; print(r.__file__)"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(extra)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(replies.stdout.strip()).is_relative_to(tree)
