"""The server's parts without a speech engine: the bounded pool, tokens, the conversations kept
per (user, conversation id), and the errors `serve` gives for bad addresses and taken ports."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from voiceshop.catalog.model import Product, Store
from voiceshop.cli import main
from voiceshop.dialog import memory
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.shared import SharedStores
from voiceshop.errors import ServerError
from voiceshop.server import Accounts, ServerSettings, TokenBook, add_token
from voiceshop.server.app import ShopServer
from voiceshop.server.pool import Busy, WorkerPool
from voiceshop.server.sessions import Desk
from voiceshop.server.settings import parse_uri
from voiceshop.storage.database import ShopDatabase

REPO_ROOT = Path(__file__).resolve().parents[1]


# The pool


def test_a_full_queue_refuses_at_once_and_the_taken_jobs_finish() -> None:
    started, release = threading.Event(), threading.Event()

    def slow(resource: str) -> str:
        started.set()
        assert release.wait(10)
        return f"{resource} done"

    async def scenario() -> tuple[list, int]:
        pool: WorkerPool[str] = WorkerPool("test", 1, lambda: "worker", queue_size=1)
        pool.start()
        try:
            running = asyncio.create_task(pool.run(slow))
            await asyncio.to_thread(started.wait, 10)
            queued = asyncio.create_task(pool.run(lambda resource: f"{resource} queued"))
            await asyncio.sleep(0.05)
            with pytest.raises(Busy):
                await pool.run(lambda resource: "refused")
            release.set()
            results = await asyncio.wait_for(asyncio.gather(running, queued), 10)
            return results, pool.refused
        finally:
            release.set()
            pool.stop()

    (first, second), refused = asyncio.run(scenario())
    assert first.value == "worker done"
    assert second.value == "worker queued"
    assert second.queue_wait_s > first.queue_wait_s
    assert refused == 1


def test_a_job_error_reaches_the_caller_and_the_worker_goes_on() -> None:
    def fail(_resource: object) -> None:
        raise ValueError("broken job")

    async def scenario() -> str:
        pool: WorkerPool[int] = WorkerPool("test", 1, lambda: 7, queue_size=2)
        pool.start()
        try:
            with pytest.raises(ValueError, match="broken job"):
                await pool.run(fail)
            return (await pool.run(lambda seven: f"still {seven}")).value
        finally:
            pool.stop()

    assert asyncio.run(scenario()) == "still 7"


def test_a_worker_that_cannot_make_its_resource_fails_start() -> None:
    def make() -> None:
        raise ServerError("no model")

    pool: WorkerPool[None] = WorkerPool("test", 2, make, queue_size=1)
    with pytest.raises(ServerError, match="no model"):
        pool.start()


# Tokens


def test_tokens_sign_in_their_user_only(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    alice = add_token(path, "alice")
    bob = add_token(path, "bob")
    book = TokenBook(path)
    assert book.user_for(alice) == "alice"
    assert book.user_for(bob) == "bob"
    assert book.user_for(alice + "x") is None
    assert book.user_for("") is None
    assert alice not in path.read_text()  # only hashes are kept
    assert path.stat().st_mode & 0o077 == 0


def test_a_token_added_later_works_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    add_token(path, "alice")
    book = TokenBook(path)
    carol = add_token(path, "carol")
    assert book.user_for(carol) == "carol"


def test_accounts_need_a_known_token_in_the_context(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    alice = add_token(path, "alice")
    accounts = Accounts(TokenBook(path))
    assert accounts.user_for({"token": alice, "conversation_id": "x"}) == "alice"
    assert accounts.user_for({"conversation_id": "x"}) is None
    assert accounts.user_for({"token": 12345}) is None
    assert accounts.user_for(None) is None
    household = Accounts(None, "home")
    assert household.user_for(None) == "home"


def test_a_malformed_token_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text("alice\tnot-a-hash\n")
    with pytest.raises(ServerError, match="line 1"):
        TokenBook(path)


def test_a_missing_token_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ServerError, match="voiceshop token"):
        TokenBook(tmp_path / "absent")


# Conversations


def test_two_users_with_one_conversation_id_keep_their_own_carts(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        desk = Desk(db, "grocery", max_sessions=10)
        desk.respond("alice", "kitchen", "add a loaf of sourdough bread")
        desk.respond("bob", "kitchen", "add three cans of black beans")
        bob_reads = desk.respond("bob", "kitchen", "what's in my cart").reply.text
        alice = [(line.product_id, line.quantity) for line in db.cart("alice", "grocery")]
        bob = [(line.product_id, line.quantity) for line in db.cart("bob", "grocery")]
    assert alice == [("sourdough-bread", 1)]
    assert bob == [("black-beans", 3)]
    assert "Sourdough" not in bob_reads and "Black Beans" in bob_reads


def test_saying_this_is_someone_else_does_not_open_their_cart(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        desk = Desk(db, "grocery", max_sessions=10)
        desk.respond("bob", "b", "add three cans of black beans")
        reply = desk.respond("alice", "a", "this is bob").reply.text
        desk.respond("alice", "a", "add a loaf of sourdough bread")
        bob = [line.product_id for line in db.cart("bob", "grocery")]
        alice = [line.product_id for line in db.cart("alice", "grocery")]
    assert "signed in as alice" in reply
    assert bob == ["black-beans"]
    assert alice == ["sourdough-bread"]


def test_a_conversation_dropped_from_memory_past_the_limit_is_taken_up_from_the_database(
    db_path: Path,
) -> None:
    with ShopDatabase(db_path) as db:
        desk = Desk(db, "grocery", max_sessions=2)
        assert "Did you mean" in desk.respond("alice", "1", "add milk").reply.text
        desk.respond("alice", "2", "what's in my cart")
        desk.respond("alice", "3", "what's in my cart")
        assert desk.session_count == 2
        assert desk.vocabulary("alice", "never-spoke") is None
        # the open question outlives the conversation's place in memory
        assert "Added" in desk.respond("alice", "1", "the first one").reply.text
        assert [line.product_id for line in db.cart("alice", "grocery")] == ["whole-milk"]


def test_two_desks_on_one_database_answer_one_conversation_turn_about(db_url: Path | str) -> None:
    with ShopDatabase(db_url) as one, ShopDatabase(db_url) as other:
        desks = [Desk(one, "grocery", 8), Desk(other, "grocery", 8)]
        said = [
            "add milk",  # a choice, answered at the other desk
            "the first one",
            "make it two",  # the last item, remembered across desks
            "add a loaf of sourdough bread",
            "check out",  # the read-back, confirmed at the other desk
            "yes",
        ]
        replies = [desks[n % 2].respond("ann", "c", text).reply.text for n, text in enumerate(said)]
        assert "Did you mean" in replies[0]
        assert "Shall I place the order" in replies[4]
        orders = one.orders("ann")
        assert [(o.id, [(line.product_id, line.quantity) for line in o.lines]) for o in orders] == [
            (orders[0].id, [("whole-milk", 2), ("sourdough-bread", 1)])
        ], replies
        assert one.cart("ann", "grocery") == []


def test_a_turn_that_fails_leaves_neither_cart_nor_memory_changed(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ShopDatabase(db_path) as db:
        desk = Desk(db, "grocery", 8)
        desk.respond("ann", "c", "add milk")
        saved = db.saved_conversation("ann", "c")
        assert saved is not None

        def broken(_memory: object) -> str:
            raise RuntimeError("the disk is full")

        with monkeypatch.context() as patched:
            patched.setattr(memory, "dumps", broken)
            with pytest.raises(RuntimeError):
                desk.respond("ann", "c", "the first one")
        assert db.cart("ann", "grocery") == []
        assert db.saved_conversation("ann", "c") == saved
        assert "Added" in desk.respond("ann", "c", "the first one").reply.text


def test_a_memory_of_another_format_starts_the_conversation_afresh(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        Desk(db, "grocery", 8).respond("ann", "c", "add milk")
        with ShopDatabase(db_path) as other:
            raw = sqlite3.connect(db_path)
            with raw:
                raw.execute("UPDATE conversations SET state = '{\"format\": 999}', version = 9")
            raw.close()
            reply = Desk(other, "grocery", 8).respond("ann", "c", "the first one").reply.text
        assert "Added" not in reply
        assert db.cart("ann", "grocery") == []


# Addresses


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("tcp://127.0.0.1:10700", ("tcp", "127.0.0.1", 10700)),
        ("tcp://localhost:0", ("tcp", "localhost", 0)),
        ("unix:///tmp/voiceshop.sock", ("unix", "/tmp/voiceshop.sock", None)),
    ],
)
def test_server_addresses(uri: str, expected: tuple) -> None:
    assert parse_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://127.0.0.1:10700", "not a server address"),
        ("127.0.0.1:10700", "not a server address"),
        ("tcp://127.0.0.1", "needs a host and a port"),
        ("tcp://127.0.0.1:99999", "needs a host and a port"),
        ("tcp://:10700", "needs a host and a port"),
        ("unix://", "names no socket file"),
    ],
)
def test_bad_server_addresses_say_what_to_give(uri: str, message: str) -> None:
    with pytest.raises(ServerError, match=message):
        parse_uri(uri)


def test_a_taken_port_is_reported_before_any_engine_loads(db_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ShopServer(ServerSettings(uri=f"tcp://127.0.0.1:{port}", db=db_path))
        with pytest.raises(ServerError, match="port is in use"):
            asyncio.run(asyncio.wait_for(server.start(), 5))


def test_serve_with_a_bad_uri_exits_with_the_reason(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--uri", "http://x:1", "--db", str(db_path)]) == 2
    assert "tcp://HOST:PORT" in capsys.readouterr().err
    assert not db_path.exists()


def test_token_command_prints_a_token_the_file_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tokens"
    assert main(["token", "--tokens", str(path), "--user", "alice"]) == 0
    token = capsys.readouterr().out.strip()
    assert TokenBook(path).user_for(token) == "alice"


@pytest.mark.e2e
def test_serve_in_a_subprocess_reports_a_taken_port(db_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        uri = f"tcp://127.0.0.1:{port}"
        result = subprocess.run(
            [sys.executable, "-m", "voiceshop", "serve", "--uri", uri, "--db", str(db_path)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO_ROOT,
        )
    assert result.returncode == 2
    assert "port is in use" in result.stderr


def test_conversations_sharing_stores_answer_as_conversations_that_do_not(db_path: Path) -> None:
    """One shared store, matcher and parser (the server's) change no reply."""
    script = [
        "add milk and eggs",
        "the first one",
        "the large brown eggs",
        "add sourdough bread from the coffee shop",
        "what's in my cart",
        "where is whole milk cheaper",
    ]
    with ShopDatabase(db_path) as db:
        shared = SharedStores(db)
        alone = Assistant(db, "alone", "grocery")
        first = Assistant(db, "first", "grocery", shared=shared)
        second = Assistant(db, "second", "grocery", shared=shared)
        for text in script:
            expected = alone.respond(text).text
            assert first.respond(text).text == expected
            assert second.respond(text).text == expected
        assert first.dialog.parser is second.dialog.parser
        assert alone.dialog.parser is not first.dialog.parser


def test_a_catalog_imported_while_serving_is_used_from_the_next_turn(db_path: Path) -> None:
    soda = Product("soda", "Fizzy Soda", price=1.5)
    chips = Product("chips", "Salted Potato Chips", price=2.0)
    with ShopDatabase(db_path) as db, ShopDatabase(db_path) as importer:
        importer.save_store(Store("corner", "Corner Shop", (soda,)))
        desk = Desk(db, "corner", 8)
        assert "Added" in desk.respond("ann", "c", "add fizzy soda").reply.text
        importer.save_store(Store("corner", "Corner Shop", (soda, chips)))
        assert "Added" in desk.respond("ann", "c", "add salted potato chips").reply.text
        assert [line.product_id for line in db.cart("ann", "corner")] == ["soda", "chips"]


def test_an_order_cancellation_asked_at_one_desk_is_confirmed_at_the_other(
    db_path: Path,
) -> None:
    with ShopDatabase(db_path) as one, ShopDatabase(db_path) as other:
        desks = [Desk(one, "grocery", 8), Desk(other, "grocery", 8)]
        said = ["add a loaf of sourdough bread", "check out", "yes", "cancel my last order", "yes"]
        replies = [desks[n % 2].respond("ann", "c", text).reply.text for n, text in enumerate(said)]
        assert "Cancel order" in replies[3]
        assert [order.status for order in one.orders("ann")] == ["cancelled"], replies
