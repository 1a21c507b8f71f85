"""A throwaway local PostgreSQL server for the tests and benchmarks: Debian's postgresql-15
binaries, a data folder in a temporary directory, listening only on a unix socket there.

`initdb` refuses to run as root, so as root the server runs as the `postgres` user (else
`nobody`) through `runuser`; as anyone else it runs as that user. Each test or benchmark round
gets a database of its own from `TempCluster.create_database`.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

PG_BIN_DIRS = (
    tuple(Path("/usr/lib/postgresql").glob("*/bin")) if Path("/usr/lib/postgresql").is_dir() else ()
)
PORT = 5432
"""Only names the socket file (`.s.PGSQL.5432`) in the cluster's own folder: no TCP port."""
SUPERUSER = "postgres"


def find_bin_dir() -> Path | None:
    """The folder with initdb and pg_ctl, newest PostgreSQL first; None when not installed."""
    candidates = sorted(PG_BIN_DIRS, key=lambda p: _major(p.parent.name), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _major(name: str) -> int:
    return int(name) if name.isdigit() else 0


class TempCluster:
    """A PostgreSQL server in a temporary folder, started by `start()` and removed by
    `stop()` (also as a context manager)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="voiceshop-pg-"))
        self.data = self.folder / "data"
        self.socket_dir = self.folder
        self._names = itertools.count(1)
        self._run_as = _unprivileged_user()
        self._started = False

    def __enter__(self) -> TempCluster:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._run_as is not None:
            entry = pwd.getpwnam(self._run_as)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._pg(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        settings = (
            "-c listen_addresses='' "
            f"-c unix_socket_directories='{self.socket_dir}' -c port={PORT} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 -c shared_buffers=32MB"
        )
        self._pg(
            "pg_ctl",
            "--pgdata",
            str(self.data),
            "--log",
            str(self.folder / "server.log"),
            "--options",
            settings,
            "--wait",
            "start",
        )
        self._started = True

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        if self._started:
            self._pg("pg_ctl", "--pgdata", str(self.data), "--mode", "fast", "--wait", "stop")
            self._started = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A `postgresql://` URL for `database` over the cluster's unix socket."""
        return (
            f"postgresql://{SUPERUSER}@/{database}?host={quote(str(self.socket_dir))}&port={PORT}"
        )

    def create_database(self, prefix: str = "voiceshop") -> str:
        """A new empty database; its URL."""
        name = f"{prefix}_{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.split("/")[3].split("?")[0]
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def admin(self, statement: str) -> None:
        """Run one statement outside a transaction as the superuser."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(statement.encode())

    def _pg(self, program: str, *arguments: str) -> None:
        command = [str(self.bin_dir / program), *arguments]
        if self._run_as is not None:
            command = ["runuser", "-u", self._run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.folder)
        if done.returncode != 0:
            log = self.folder / "server.log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{detail}"
            )


def _unprivileged_user() -> str | None:
    """Who runs the server: None (the current user) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root, and there is no postgres or nobody user to run initdb")
