"""Cold start and memory of `voiceshop listen`, and how soon the sound device starts a reply.

The baseline is voiceshop as of `BASELINE_COMMIT`, the last commit before the turn-latency work,
run from a copy of that commit's `voiceshop` folder (git archive) in the same run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.listen_probe import Listened, listen_once, virtual_microphone
from support.pulse import VirtualMicrophone
from support.report import (
    BenchmarkRun,
    Figures,
    Row,
    Section,
    Target,
    baseline_path,
    voiceshop_at,
)
from voiceshop.audio.microphone import refresh_devices
from voiceshop.cli.voice_commands import DEMO_DIR
from voiceshop.speaker.playback import DevicePlayer, Sound

ROOT = Path(__file__).resolve().parents[1]
BASELINE_COMMIT = "2cada8c"
COLD_START_TARGET = (Target("median", True, 3.0),)
MEMORY_TARGET = (Target("median", True, 800.0),)
TURN = DEMO_DIR / "03_add_sourdough_bread.wav"
"""The turn played to the agent on the 236k store before its memory is read."""
STORE_236K = "combined"
DEVICE_SOUNDS = 10


def footprint(run: BenchmarkRun) -> Section:
    """Cold start with the bundled and with the 236k store, memory, and the audio device."""
    with virtual_microphone() as server:
        if server is None:
            return Section([], ["Cold start, memory, device: PulseAudio cannot run here."])
        trees = {"ours": ROOT, "baseline": voiceshop_at(run, BASELINE_COMMIT)}
        cache = run.out.resolve() / "listen-cache"
        big = {
            name: ["--db", str(_database_236k(run, name, tree)), "--store", STORE_236K]
            for name, tree in trees.items()
        }
        for name, tree in trees.items():  # compiles the bytecode and saves the 236k index
            listen_once(server, tree, _fresh_database(), cache)
            listen_once(server, tree, big[name], cache)
        small = {name: [] for name in trees}
        for _ in range(run.repeats):
            for name, tree in trees.items():
                _say(f"cold start of voiceshop listen: {name}")
                small[name].append(listen_once(server, tree, _fresh_database(), cache))
        large = {
            name: [listen_once(server, tree, big[name], cache, TURN)]
            for name, tree in trees.items()
        }
        device = _device_start(server)
    return Section(_rows(small, large, device), _notes(run))


def _rows(
    small: dict[str, list[Listened]], large: dict[str, list[Listened]], device: Figures
) -> list[Row]:
    def figures(runs: dict[str, list[Listened]], name: str, field: str) -> Figures:
        return Figures.of([getattr(listened, field) for listened in runs[name]])

    def row(
        title: str,
        unit: str,
        runs: dict[str, list[Listened]],
        field: str,
        targets: tuple[Target, ...] = (),
    ) -> Row:
        ours, baseline = figures(runs, "ours", field), figures(runs, "baseline", field)
        return Row(title, unit, ours, baseline, targets)

    return [
        row(
            "cold start of `voiceshop listen` to ready, bundled store",
            "s",
            small,
            "ready_seconds",
            COLD_START_TARGET,
        ),
        row("cold start of `voiceshop listen` to ready, 236k store", "s", large, "ready_seconds"),
        row(
            "resident memory of `voiceshop listen` after a turn, 236k store",
            "MB",
            large,
            "resident_mb",
            MEMORY_TARGET,
        ),
        row("peak memory of `voiceshop listen`, 236k store", "MB", large, "peak_mb"),
        Row("audio device start: reply handed over → first samples taken", "ms", device),
    ]


def _notes(run: BenchmarkRun) -> list[str]:
    return [
        "Cold start: `voiceshop listen --quiet` as a subprocess hearing a private PulseAudio "
        "server's virtual microphone (support/pulse.py), from the command to its \"Listening "
        f'on" line; bundled grocery store in a new database, {run.repeats} times each, ours '
        "and the baseline interleaved, after a run that compiled the bytecode and saved the "
        f"236k index. Baseline: voiceshop at commit {BASELINE_COMMIT}, before the turn-latency "
        "work.",
        "236k store: the combined Instacart and Open Food Facts catalog imported into a "
        'database; once each: start, then the demo\'s "add a loaf of sourdough bread" played '
        "into the microphone, then its resident memory (VmRSS) and peak (VmHWM) once the reply "
        "is printed.",
        f"Audio device: `DevicePlayer.play` of {DEVICE_SOUNDS} short sounds into the "
        "PulseAudio server's null sink, from the call to the stream callback first taking "
        "samples: what comes on top of the turn figures' first audio.",
    ]


def _database_236k(run: BenchmarkRun, name: str, tree: Path) -> Path:
    """A database with the 236k catalog imported as store `combined` by the voiceshop of
    `tree`, one per tree: a newer voiceshop migrates a database to a schema an older refuses."""
    database = run.out.resolve() / f"listen-236k-{name}.db"
    if not database.exists():
        combined = run.out.resolve() / "combined.json"
        command = [sys.executable, "-m", "voiceshop", "catalog", "import", str(combined)]
        environment = {**os.environ, "PYTHONPATH": baseline_path(tree)}
        subprocess.run(
            [*command, "--db", str(database)],
            cwd=tree,
            env=environment,
            check=True,
            capture_output=True,
        )
    return database


def _fresh_database() -> list[str]:
    return ["--db", str(Path(tempfile.mkdtemp(prefix="voiceshop-listen-")) / "shop.db")]


def _device_start(server: VirtualMicrophone) -> Figures:
    """Seconds from handing a sound to DevicePlayer to its first samples being taken."""
    previous = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = server.address
    refresh_devices()
    try:
        player = DevicePlayer()
        sound = Sound(np.zeros(2205, np.int16), 22_050)
        delays = []
        for _ in range(DEVICE_SOUNDS):
            started = time.monotonic()
            first = player.play([sound])
            assert first is not None
            delays.append(first - started)
        return Figures.of(delays, scale=1000)
    finally:
        if previous is None:
            del os.environ["PULSE_SERVER"]
        else:
            os.environ["PULSE_SERVER"] = previous
        refresh_devices()


def _say(what: str) -> None:
    print(f"... {what}", file=sys.stderr, flush=True)
