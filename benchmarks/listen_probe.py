"""`voiceshop listen` as a user runs it, hearing a private PulseAudio server's virtual microphone
(support/pulse.py): seconds from the command to its "Listening on" line, and its memory once it
has answered a turn.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from support.pulse import PulseUnavailable, VirtualMicrophone
from support.report import baseline_path

READY = "Listening on"
REPLY = "voiceshop: "
TIMEOUT_S = 120.0
"""Longest wait for any line (a 236k-product store takes a while to load)."""


@dataclass(frozen=True)
class Listened:
    """One run of the command."""

    ready_seconds: float
    resident_mb: float | None = None
    """VmRSS after answering the turn (None when no turn was played)."""
    peak_mb: float | None = None
    """VmHWM then."""


@contextmanager
def virtual_microphone() -> Iterator[VirtualMicrophone | None]:
    """A running virtual microphone, or None where PulseAudio cannot start."""
    server = VirtualMicrophone()
    try:
        server.start()
    except PulseUnavailable:
        yield None
        return
    try:
        yield server
    finally:
        server.stop()


def listen_once(
    server: VirtualMicrophone,
    source: Path,
    options: list[str],
    cache: Path,
    turn: Path | None = None,
) -> Listened:
    """Start `voiceshop listen` from the `source` tree, wait until it listens, optionally play
    `turn` into the microphone and wait for the reply, then stop it with Ctrl-C."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceshop", "listen", "--quiet", *options],
        cwd=source,
        env=_environment(server, cache, source),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        _read_until(process.stdout, READY)
        ready = time.monotonic() - started
        if turn is None:
            return Listened(ready)
        server.play(turn)
        _read_until(process.stdout, REPLY)
        return Listened(ready, _memory_mb(process.pid, "VmRSS"), _memory_mb(process.pid, "VmHWM"))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _environment(server: VirtualMicrophone, cache: Path, source: Path) -> dict[str, str]:
    """The user's environment, hearing `server`, with its own cache folder and bytecode cached
    (as an installed voiceshop has it), and the dependencies the `source` tree lacks here."""
    environment = {**server.client_env, "XDG_CACHE_HOME": str(cache)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    if extra := baseline_path(source):
        environment["PYTHONPATH"] = extra
    return environment


def _read_until(lines: IO[str], prefix: str) -> str:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        line = lines.readline()
        if not line:
            raise RuntimeError(f"voiceshop listen ended before printing {prefix!r}")
        if line.startswith(prefix):
            return line
    raise RuntimeError(f"voiceshop listen printed no {prefix!r} within {TIMEOUT_S:g} s")


def _memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")
