"""Benchmark figures as rows of one markdown table, with the machine they were measured on.

A benchmark is a function from the run's settings to a `Section`: its rows (one figure each:
ours, the baseline's, the target) and notes on how they were measured. `benchmarks/run.py`
runs every benchmark it lists and writes the table; add a benchmark there to add rows.
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from support.stats import percentile

PACKAGES = (
    "numpy",
    "rapidfuzz",
    "jellyfish",
    "matplotlib",
    "faster-whisper",
    "ctranslate2",
    "pyttsx3",
)
NONE = "n/a"
"""What a cell without a figure shows."""


@dataclass(frozen=True)
class Figures:
    """A measurement: its median, and its 95th and 99th percentiles when it was repeated."""

    median: float
    p95: float | None = None
    p99: float | None = None

    @classmethod
    def of(cls, samples: Sequence[float], scale: float = 1.0) -> Figures:
        """The figures of repeated measurements, multiplied by `scale` (1000: s to ms)."""
        values = sorted(v * scale for v in samples)
        if len(values) == 1:
            return cls(values[0])
        return cls(statistics.median(values), percentile(values, 95), percentile(values, 99))


@dataclass(frozen=True)
class Target:
    """A bound a figure must keep: `statistic` (median, p95, p99) at most or at least `value`;
    a `value` of None means the baseline's median."""

    statistic: str
    at_most: bool
    value: float | None = None

    def text(self, unit: str, repeated: bool) -> str:
        """The bound as the table shows it; the statistic is named for repeated figures."""
        sign = "≤" if self.at_most else "≥"
        bound = "baseline" if self.value is None else f"{_number(self.value)} {unit}".strip()
        if not repeated:
            return f"{sign} {bound}"
        name = "p50" if self.statistic == "median" else self.statistic
        return f"{name} {sign} {bound}"

    def met(self, ours: Figures, baseline: Figures | None) -> bool | None:
        """Whether the figure keeps the bound (None when there is nothing to compare)."""
        value = getattr(ours, self.statistic)
        bound = self.value if self.value is not None else baseline and baseline.median
        if value is None or bound is None:
            return None
        return value <= bound if self.at_most else value >= bound


@dataclass(frozen=True)
class Row:
    """One figure: ours, the baseline's (if there is one) and the targets."""

    figure: str
    unit: str
    ours: Figures
    baseline: Figures | None = None
    targets: tuple[Target, ...] = ()

    def met(self) -> bool | None:
        results = [t.met(self.ours, self.baseline) for t in self.targets]
        known = [r for r in results if r is not None]
        return all(known) if known else None


@dataclass
class Section:
    """What one benchmark measured: rows of the table, and notes on how."""

    rows: list[Row]
    notes: list[str] = field(default_factory=list)


@dataclass
class BenchmarkRun:
    """Settings shared by the benchmarks of one run, and what they share once made."""

    repeats: int
    queries: int
    out: Path
    """A git-ignored folder for catalogs, databases and caches."""
    results: Path
    """The folder for results.md and plots."""
    shared: Path
    """The read-only test data (../shared/data)."""
    _made: dict[str, Any] = field(default_factory=dict)

    def once(self, name: str, make: Callable[[], Any]) -> Any:
        """`make()`, the first time `name` is asked for; the same object afterwards."""
        if name not in self._made:
            self._made[name] = make()
        return self._made[name]


Benchmark = Callable[[BenchmarkRun], Section]


def voiceshop_at(run: BenchmarkRun, commit: str) -> Path:
    """A folder in `run.out` holding the `voiceshop` package as of `commit` (git archive), for
    a baseline run from that folder."""
    tree = run.out.resolve() / f"baseline-{commit}"
    if not (tree / "voiceshop").is_dir():
        archive = subprocess.run(
            ["git", "archive", commit, "voiceshop"],
            cwd=Path(__file__).resolve().parents[1],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as files:
            files.extractall(tree, filter="data")
    _install_missing_dependencies(commit, tree)
    return tree


BASELINE_SITE = "site-packages"
"""The folder of a baseline tree holding the dependencies of its commit that this environment
lacks (a dependency since dropped, such as inflect)."""


def baseline_path(tree: Path) -> str:
    """PYTHONPATH entries a process running the voiceshop of `tree` needs: its own
    dependencies that this environment lacks, if any (empty for a tree that needs none)."""
    site = tree / BASELINE_SITE
    return str(site) if site.is_dir() else ""


def _install_missing_dependencies(commit: str, tree: Path) -> None:
    """pip-installs into `tree`/site-packages the dependencies `commit`'s pyproject.toml names
    that are not installed here, keeping only what this environment lacks, so that the
    baseline runs with the same versions of everything else."""
    pyproject = subprocess.run(
        ["git", "show", f"{commit}:pyproject.toml"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wanted = tomllib.loads(pyproject)["project"]["dependencies"]
    missing = [spec for spec in wanted if not _installed(Requirement(spec).name)]
    site = tree / BASELINE_SITE
    if not missing or site.is_dir():
        return
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(site)]
    done = subprocess.run([*command, *missing], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(
            f"Could not install the baseline's dependencies {missing} into {site}: "
            f"{done.stderr.strip()[-500:]} (pip needs the package index)"
        )
    for record in site.glob("*.dist-info/RECORD"):
        if _installed(metadata.Distribution.at(record.parent).metadata["Name"]):
            for line in record.read_text().splitlines():
                (site / line.split(",")[0]).unlink(missing_ok=True)
    for folder in sorted(site.rglob("*"), reverse=True):  # deepest first
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _installed(name: str) -> bool:
    """Whether distribution `name` is installed in this environment."""
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


HEADER = (
    "| figure | unit | ours p50 | ours p95 | ours p99 "
    "| baseline p50 | baseline p95 | baseline p99 | target | ours ÷ baseline | met |"
)
ALIGNMENT = "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | :---: |"


def table(rows: Sequence[Row]) -> str:
    """The rows as one markdown table."""
    return "\n".join([HEADER, ALIGNMENT, *(_table_row(row) for row in rows)])


MEASURED_APART = (
    (
        "Server load (1-64 shoppers over Wyoming, SQLite and PostgreSQL), two servers on one "
        "PostgreSQL, kill -9 of one of them, PostgreSQL catalog import",
        "server_load.md",
        "python -m benchmarks.server_load, python -m benchmarks.catalog_import",
    ),
    (
        "Per-core throughput and what a deployment for N shoppers needs (from those runs)",
        "../docs/scaling.md",
        "",
    ),
    (
        "Barge-in: interruptions detected and understood, false stops, how fast the reply stops",
        "barge_in_results.md",
        "python -m benchmarks.barge_in_offline, python -m benchmarks.barge_in",
    ),
)
"""Figures of benchmarks too long for `benchmarks.run` (minutes each, their own processes),
kept in their own files and linked from results.md: (what, file beside results.md, command).
A file's `## Summary` section, if it has one, is shown in results.md under its link."""
MEASURED_APART_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


def results_markdown(sections: Sequence[Section], machine: str, command: str) -> str:
    """The whole results file: how it was made, the machine, the table, the notes, and the
    links to the figures measured apart."""
    rows = [row for section in sections for row in section.rows]
    notes = [note for section in sections for note in section.notes]
    return (
        "\n\n".join(
            [
                "# Benchmark results",
                f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
                "run it again to regenerate this file, never edit it by hand.",
                "## Machine\n\n" + machine,
                "## Figures\n\n" + table(rows),
                "## How they were measured\n\n" + "\n".join(f"- {note}" for note in notes),
                measured_apart(),
            ]
        )
        + "\n"
    )


def measured_apart() -> str:
    """The section of results.md that links the figures measured apart, each followed by its
    file's summary (`summary_of`)."""
    items = []
    for what, file, command in MEASURED_APART:
        link = f"- {what}: [{Path(file).name}]({file})" + (f" (`{command}`)" if command else "")
        summary = summary_of((MEASURED_APART_DIR / file).read_text(encoding="utf-8"))
        items.append(link + (f"\n\n{summary}\n" if summary else ""))
    return "## Measured apart\n\n" + "\n".join(items)


def summary_of(markdown: str) -> str:
    """The body of a markdown file's `## Summary` section (to the next `## ` heading), or ""."""
    lines = markdown.splitlines()
    if "## Summary" not in lines:
        return ""
    body = lines[lines.index("## Summary") + 1 :]
    end = next((i for i, line in enumerate(body) if line.startswith("## ")), len(body))
    return "\n".join(body[:end]).strip()


def describe_machine() -> str:
    """CPU, cores, memory, system, Python, package versions, the commit and the load."""
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    lines = [
        f"- CPU: {_cpu_model()}, {os.cpu_count()} cores; memory {_memory_gib():.1f} GiB",
        f"- System: {platform.platform()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- voiceshop at commit {_commit()}",
        f"- Load average (1, 5, 15 min) when the run started: {load}",
    ]
    return "\n".join(lines)


def _table_row(row: Row) -> str:
    ours, base = row.ours, row.baseline
    base_cells = [_number(v) for v in (base.median, base.p95, base.p99)] if base else [NONE] * 3
    cells = [
        row.figure,
        row.unit,
        *(_number(v) for v in (ours.median, ours.p95, ours.p99)),
        *base_cells,
        ", ".join(t.text(row.unit, ours.p95 is not None) for t in row.targets) or NONE,
        f"{ours.median / base.median:.3g}" if base and base.median else NONE,
        {True: "yes", False: "**no**", None: NONE}[row.met()],
    ]
    return "| " + " | ".join(cells) + " |"


def _number(value: float | None) -> str:
    if value is None:
        return NONE
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return found.stdout.strip()
