"""A throwaway local PostgreSQL server for the tests and benchmarks: Debian's postgresql-15
binaries, a data folder in a temporary directory, listening only on a unix socket there.

`initdb` refuses to run as root, so as root the server runs as the `postgres` user (else
`nobody`) through `runuser`; as anyone else it runs as that user. Each test or benchmark round
gets a database of its own from `TempCluster.create_database`.

A run killed before it could stop its server (SIGKILL, a timeout) leaves the server running;
the next `TempCluster.start` stops every such orphan: its folder names the process that
started it, and that process is gone.
"""

from __future__ import annotations

import contextlib
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
FOLDER_PREFIX = "voiceshop-pg-"
OWNER_FILE = "owner.pid"
"""In the cluster's folder: the id of the process that started the server."""


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
        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
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
        """Create and start the server (stopping orphans of killed runs first)."""
        stop_orphans(self.bin_dir)
        (self.folder / OWNER_FILE).write_text(str(os.getpid()))
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
        _run_pg(self.bin_dir, self.folder, self._run_as, program, *arguments)


def stop_orphans(bin_dir: Path) -> list[Path]:
    """Stop and delete the clusters whose starting process is gone; their folders."""
    stopped = []
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        owner = folder / OWNER_FILE
        if not owner.is_file() or _alive(owner.read_text().strip()):
            continue
        if (folder / "data" / "postmaster.pid").exists():
            run_as = _unprivileged_user()
            # A server that already died leaves its pid file, and pg_ctl then fails: the
            # folder is deleted either way.
            with contextlib.suppress(RuntimeError):
                _run_pg(
                    bin_dir,
                    folder,
                    run_as,
                    "pg_ctl",
                    "--pgdata",
                    str(folder / "data"),
                    "--mode",
                    "immediate",
                    "--wait",
                    "stop",
                )
        shutil.rmtree(folder, ignore_errors=True)
        stopped.append(folder)
    return stopped


def _alive(pid_text: str) -> bool:
    """Whether the process with this id (as written in an owner file) still runs."""
    return pid_text.isdigit() and process_running(int(pid_text))


def process_running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _run_pg(bin_dir: Path, folder: Path, run_as: str | None, program: str, *arguments: str) -> None:
    command = [str(bin_dir / program), *arguments]
    if run_as is not None:
        command = ["runuser", "-u", run_as, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder)
    if done.returncode != 0:
        log = folder / "server.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{detail}")


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
