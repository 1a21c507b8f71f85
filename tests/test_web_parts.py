"""`serve --http` without a speech engine: the option, its errors, and the page's origin check."""

from __future__ import annotations

import argparse
import asyncio
import socket
from pathlib import Path

import pytest
from websockets.datastructures import Headers

from voiceshop.cli import main
from voiceshop.cli.server_commands import add_commands, server_settings
from voiceshop.errors import ServerError
from voiceshop.server import DEFAULT_URI, ServerSettings
from voiceshop.server.app import ShopServer
from voiceshop.server.web import _same_origin, parse_http


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8080", ("127.0.0.1", 8080)),
        ("0.0.0.0:8080", ("0.0.0.0", 8080)),
        ("[::1]:0", ("::1", 0)),
    ],
)
def test_http_addresses(value: str, expected: tuple[str, int]) -> None:
    assert parse_http(value) == expected


@pytest.mark.parametrize("value", ["", "web", "localhost:", "70000", "host:-1"])
def test_bad_http_addresses_say_what_to_give(value: str) -> None:
    with pytest.raises(ServerError, match="give a port"):
        parse_http(value)


def _settings(*args: str) -> ServerSettings:
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    return server_settings(parser.parse_args(["serve", *args]))


def test_http_alone_serves_only_the_page_and_beside_uri_both() -> None:
    assert (_settings().uri, _settings().http) == (DEFAULT_URI, None)
    assert (_settings("--http", "8080").uri, _settings("--http", "8080").http) == (None, "8080")
    both = _settings("--http", "8080", "--uri", "tcp://127.0.0.1:10701")
    assert (both.uri, both.http) == ("tcp://127.0.0.1:10701", "8080")


def test_nothing_to_serve_is_refused(db_path: Path) -> None:
    with pytest.raises(ServerError, match="nothing to serve"):
        ShopServer(ServerSettings(uri=None, http=None, db=db_path))


def test_serve_with_a_bad_http_port_exits_with_the_reason(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--http", "web", "--db", str(db_path)]) == 2
    assert "--http" in capsys.readouterr().err
    assert not db_path.exists()


def test_a_taken_page_port_is_reported_before_any_engine_loads(db_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ShopServer(ServerSettings(uri=None, http=f"127.0.0.1:{port}", db=db_path))
        with pytest.raises(ServerError, match="port is in use"):
            asyncio.run(asyncio.wait_for(server.start(), 5))


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://localhost:8080", "localhost:8080", True),
        ("https://shop.example.org", "shop.example.org", True),
        (None, "localhost:8080", True),  # not a browser: it still needs a token
        ("http://evil.example", "localhost:8080", False),
        ("http://localhost:9999", "localhost:8080", False),
    ],
)
def test_only_the_pages_own_origin_may_open_the_socket(
    origin: str | None, host: str, allowed: bool
) -> None:
    headers = Headers([("Host", host)] + ([("Origin", origin)] if origin else []))
    assert _same_origin(headers) is allowed


def test_connection_cap_and_idle_timeout_are_options() -> None:
    limits = _settings("--max-connections", "3", "--idle-timeout", "2.5").limits
    assert (limits.max_connections, limits.idle_timeout_s) == (3, 2.5)


def test_satellite_listeners_are_bound_to_users() -> None:
    settings = _settings("--satellite", "ann=tcp://0.0.0.0:10701", "--satellite", "bo=unix:///s")
    assert settings.satellites == (("ann", "tcp://0.0.0.0:10701"), ("bo", "unix:///s"))
    for bad in ("tcp://0.0.0.0:10701", "=tcp://0.0.0.0:1", "ann=http://x:1"):
        with pytest.raises(ServerError):
            _settings("--satellite", bad)
