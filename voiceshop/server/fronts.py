"""Where a server listens: its Wyoming socket (`WyomingFront`) and its page (`web.WebFront`),
started and stopped alike by `ShopServer`."""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING, Protocol

from wyoming.server import AsyncServer

from voiceshop.errors import ServerError
from voiceshop.server.handler import ShopEventHandler
from voiceshop.server.settings import parse_uri

if TYPE_CHECKING:
    from voiceshop.server.app import ShopServer


class Front(Protocol):
    """A listening socket of the server."""

    def check_can_listen(self) -> None:
        """ServerError now if the address is taken or cannot be had (before the engines take
        seconds to load; an address taken in between is reported by `start`)."""

    async def start(self) -> None:
        """Listen; ServerError when it cannot."""

    async def stop(self) -> None:
        """Close the socket and the connections (nothing to do when not started)."""

    @property
    def where(self) -> str:
        """What it serves where, for the log."""


def probe_bind(host: str, port: int) -> None:
    """Bind each address of (host, port) as asyncio would, and let go: OSError (or
    socket.gaierror for an unknown host) when one cannot be had."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
            probe.bind(address)


class WyomingFront:
    """The Wyoming server at `uri`, each connection answered by a `ShopEventHandler`; with
    `user`, a satellite listener: every conversation on it is that user's, token or not."""

    def __init__(self, server: ShopServer, uri: str, user: str | None = None) -> None:
        parse_uri(uri)  # a bad address fails before any model is loaded
        self._server = server
        self._uri = uri
        self.user = user
        self._listening: AsyncServer | None = None

    def check_can_listen(self) -> None:
        scheme, host, port = parse_uri(self._uri)
        if scheme != "tcp" or not port:
            return
        try:
            probe_bind(host, port)
        except socket.gaierror as err:
            problem = f"unknown host {host!r} ({err.strerror})"
            raise ServerError(f"cannot listen at {self._uri}: {problem}") from err
        except OSError as err:
            raise self._cannot_listen(err) from err

    async def start(self) -> None:
        listening = AsyncServer.from_uri(self._uri)
        server, user = self._server, self.user
        try:
            await listening.start(
                lambda reader, writer: ShopEventHandler(reader, writer, server, user)
            )
        except OSError as err:
            raise self._cannot_listen(err) from err
        self._listening = listening

    async def stop(self) -> None:
        if self._listening is not None:
            await self._listening.stop()
            self._listening = None

    @property
    def where(self) -> str:
        if self.user is not None:
            return f"{self.user}'s satellites at {self.address}"
        return f"Wyoming at {self.address}"

    @property
    def address(self) -> str:
        """The URI listened on, with the port picked when the URI gave port 0."""
        scheme, host, port = parse_uri(self._uri)
        sockets = getattr(getattr(self._listening, "_server", None), "sockets", None)
        if scheme == "tcp" and port == 0 and sockets:
            port = sockets[0].getsockname()[1]
        return f"tcp://{host}:{port}" if scheme == "tcp" else self._uri

    def _cannot_listen(self, err: OSError) -> ServerError:
        uri = self._uri
        if err.errno == errno.EADDRINUSE:
            return ServerError(
                f"cannot listen at {uri}: the port is in use (another voiceshop serve or "
                "Wyoming server?); pick another port with --uri tcp://HOST:PORT"
            )
        if err.errno == errno.EACCES:
            return ServerError(
                f"cannot listen at {uri}: permission denied (ports below 1024 need root); "
                "use a port from 1024 up"
            )
        return ServerError(f"cannot listen at {uri}: {err.strerror or err}")
