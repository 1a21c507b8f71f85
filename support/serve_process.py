"""`voiceshop serve` as a subprocess on a free port: started, waited for, stopped or killed.

Used by the load benchmark and by the tests that run several servers on one database.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from wyoming.client import AsyncTcpClient
from wyoming.info import Describe

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class ServeProcess:
    """One `python -m voiceshop serve --uri tcp://127.0.0.1:PORT --db DB ARGS...`."""

    def __init__(self, db: Path | str, *args: str, log: Path | None = None) -> None:
        self.host = HOST
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "voiceshop",
            "serve",
            "--uri",
            f"tcp://{self.host}:{self.port}",
            "--db",
            str(db),
            *args,
        ]
        output = log.open("ab") if log is not None else subprocess.DEVNULL
        self.process = subprocess.Popen(
            command, cwd=REPO, stdout=output, stderr=output if log is not None else None
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    async def ready(self, timeout: float) -> None:
        """Return once the server answers `describe`; RuntimeError if it exits or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"voiceshop serve exited with {self.process.returncode}")
            try:
                async with AsyncTcpClient(
                    self.host, self.port, connect_timeout=2, read_timeout=10
                ) as client:
                    await client.write_event(Describe().event())
                    if await client.read_event() is not None:
                        return
            except (OSError, TimeoutError):
                await asyncio.sleep(0.5)
        raise RuntimeError("voiceshop serve did not answer describe in time")

    def kill(self) -> None:
        """kill -9: no goodbye, no cleanup."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Stop it as Ctrl-C would; kill it if it does not end within a minute."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()
