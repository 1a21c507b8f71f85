"""Servers past one machine: two real `voiceshop serve` processes on one PostgreSQL database
answer one conversation's turns alternately (open choices and read-backs answered on the other
server), and the conversation goes on at the other when one is killed with kill -9."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from wyoming.asr import Transcript
from wyoming.client import AsyncTcpClient
from wyoming.handle import Handled

from support.postgres_cluster import TempCluster
from support.serve_process import ServeProcess
from voiceshop.server import add_token
from voiceshop.storage.database import ShopDatabase

pytestmark = pytest.mark.e2e

TIMEOUT = 180.0
"""Seconds a server may take to load, or to answer one turn, on a busy shared machine."""


@pytest.fixture
def shared_db(postgres_cluster: TempCluster) -> Iterator[str]:
    url = postgres_cluster.create_database("scale")
    yield url
    postgres_cluster.drop_database(url)


@pytest.fixture
def two_servers(shared_db: str, tmp_path: Path) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    tokens = tmp_path / "tokens"
    add_token(tokens, "someone-else")
    servers = [
        ServeProcess(
            shared_db, "--tokens", str(tokens), "--workers", "1", log=tmp_path / f"{n}.log"
        )
        for n in range(2)
    ]
    try:
        asyncio.run(_all_ready(servers))
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


async def _all_ready(servers: list[ServeProcess]) -> None:
    await asyncio.gather(*(server.ready(TIMEOUT) for server in servers))


def test_one_conversation_alternates_between_two_servers(
    two_servers: tuple[ServeProcess, ServeProcess], shared_db: str, tmp_path: Path
) -> None:
    token = add_token(tmp_path / "tokens", "ann")
    turns = [
        "add milk",  # a choice, answered on the other server
        "the first one",
        "make it two",  # the item just added, on the other server
        "add a loaf of sourdough bread",
        "check out",  # the read-back, confirmed on the other server
        "yes",
    ]
    servers = [two_servers[n % 2] for n in range(len(turns))]
    replies = asyncio.run(_say_each(list(zip(servers, turns, strict=True)), token))
    assert "Did you mean" in replies[0] and "Whole Milk" in replies[0]
    assert "Added" in replies[1]
    assert "Shall I place the order" in replies[4]
    assert "is placed" in replies[5], replies
    with ShopDatabase(shared_db) as db:
        orders = db.orders("ann")
        assert [[(line.product_id, line.quantity) for line in o.lines] for o in orders] == [
            [("whole-milk", 2), ("sourdough-bread", 1)]
        ]
        assert db.cart("ann", "grocery") == []


def test_kill_nine_of_one_server_leaves_cart_and_open_question_to_the_other(
    two_servers: tuple[ServeProcess, ServeProcess], shared_db: str, tmp_path: Path
) -> None:
    token = add_token(tmp_path / "tokens", "ann")
    first, second = two_servers
    before = asyncio.run(
        _say_each([(first, "add a loaf of sourdough bread"), (first, "add milk")], token)
    )
    assert "Did you mean" in before[1]
    first.kill()
    after = asyncio.run(
        _say_each([(second, "the first one"), (second, "what's in my cart")], token)
    )
    assert "Added" in after[0] and "Whole Milk" in after[0], after
    with ShopDatabase(shared_db) as db:
        cart = [(line.product_id, line.quantity) for line in db.cart("ann", "grocery")]
    assert cart == [("sourdough-bread", 1), ("whole-milk", 1)]
    assert "Sourdough" in after[1] and "Whole Milk" in after[1]


async def _say_each(turns: list[tuple[ServeProcess, str]], token: str) -> list[str]:
    """Each text as a transcript to `handle` on its server (a new connection each time, as
    behind a load balancer), all in one conversation; the replies."""
    context = {"conversation_id": "kitchen-satellite", "token": token}
    replies = []
    for server, text in turns:
        async with AsyncTcpClient(
            server.host, server.port, connect_timeout=10, read_timeout=TIMEOUT
        ) as client:
            await client.write_event(Transcript(text, context=context).event())
            answer = await client.read_event()
        assert answer is not None and Handled.is_type(answer.type), (text, answer)
        replies.append(Handled.from_event(answer).text or "")
    return replies
