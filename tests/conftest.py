"""Shared test fixtures: where the read-only test data lives, and temporary databases (SQLite
files, and databases on a throwaway PostgreSQL server)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.postgres_cluster import TempCluster, find_bin_dir
from support.pulse import PulseUnavailable, VirtualMicrophone

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared" / "data"
"""The read-only test data beside the project (catalogs, coffee recordings, noise)."""
COFFEE_DEV = SHARED / "speech" / "coffee-dev"
CATALOG_DIR = SHARED / "catalog"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def require_shared(path: Path) -> Path:
    """Skip the calling test, with the reason, when a file from ../shared is absent."""
    if not path.exists():
        pytest.skip(f"test data {path} is absent (it lives in ../shared beside the project)")
    return path


NO_CONFIG = REPO_ROOT / "tests" / "no-such-config.toml"
"""A config file that does not exist: the built-in defaults."""


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the config file of whoever runs them (tests of the file set their own)."""
    monkeypatch.setenv("VOICESHOP_CONFIG", str(NO_CONFIG))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh SQLite file path in a temporary folder."""
    return tmp_path / "voiceshop.db"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[TempCluster]:
    """A real PostgreSQL server (Debian's postgresql-15) in a temporary folder for the whole
    session. Skipped when its binaries or psycopg are missing, except in CI (CI=true), where
    that fails the tests instead: CI installs both (scripts/setup.sh, the dev extra)."""
    bin_dir = find_bin_dir()
    missing = None
    if bin_dir is None:
        missing = "PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql-15)"
    elif importlib.util.find_spec("psycopg") is None:
        missing = "psycopg is not installed (pip install -e '.[postgres]')"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}, and CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(missing)
    assert bin_dir is not None
    with TempCluster(bin_dir) as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """What --db takes, once per backend: a fresh SQLite file path, then the URL of a fresh
    database on the session's PostgreSQL server (dropped after the test)."""
    if request.param == "sqlite":
        yield tmp_path / "voiceshop.db"
        return
    cluster: TempCluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database("test")
    yield url
    cluster.drop_database(url)


@pytest.fixture
def virtual_mic() -> Iterator[VirtualMicrophone]:
    """A private PulseAudio server that this process's PortAudio records from."""
    from voiceshop.audio.microphone import refresh_devices

    server = VirtualMicrophone()
    try:
        server.start()
    except PulseUnavailable as err:
        pytest.skip(f"PulseAudio cannot run here: {err}")
    previous = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = server.address
    try:
        refresh_devices()
        yield server
    finally:
        server.stop()
        if previous is None:
            del os.environ["PULSE_SERVER"]
        else:
            os.environ["PULSE_SERVER"] = previous
        refresh_devices()
