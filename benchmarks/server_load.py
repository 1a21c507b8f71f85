"""Many shoppers at once against one `voiceshop serve`: throughput, latency, queue wait, CPU,
memory and the correctness of every cart.

    python -m benchmarks.server_load [--levels 1 4 16 64] [--no-tts] [--fast-audio]
                                     [--workers N] [--queue N] [--out FILE.md]
                                     [--db sqlite|postgresql] [--servers N] [--kill-after S]

Starts `voiceshop serve` as a subprocess (its own process, so its CPU and memory are its own) on a
free port with a fresh database and a token per shopper: a SQLite file, or with --db postgresql
a database on a throwaway PostgreSQL server (Debian's postgresql-15). With --servers N, N
servers share that database and each shopper's turns go to them in turn (a new connection per
turn, as behind a load balancer without sticky sessions). With --kill-after S, the first server
is killed with SIGKILL S seconds into each level; a turn cut off by it is sent again, whole, to
a server still running (counted as "resent"). At each level, that many simulated
shoppers start together; each is a new user, signs in with its token, and replays one of two
scripted spoken conversations over Wyoming, turn by turn, as Home Assistant would run a voice
pipeline: `transcribe` + the WAV streamed in real time (unless --fast-audio) -> `transcript`;
the transcript to `handle` -> `handled`; the reply to `synthesize` -> audio (unless --no-tts).
Every shopper uses the same conversation id, so only the signed-in user keeps them apart.

A "busy" answer (recognition, dialog or speech queue full) is counted and the step retried
after a short random pause (the utterance resent at once, as a satellite that kept it would);
the turn's latency keeps running from the first attempt's end of speech.

Figures per level: turns per second (completed turns / wall time); end of speech (audio-stop
sent) -> reply text (`handled`) and -> the reply's audio complete, median and p95; recognition
queue wait and recognition time as the server reports them in the transcript's context; busy
answers; the server's CPU (cores busy on average over the level) and its resident memory
(at the end of the level, and its peak so far). Correctness: after each level, every shopper's
orders and cart are read from the database and compared with its script: lost (scripted units
not ordered), duplicated (units ordered or left in the cart beyond the script, and orders beyond
one), crossed (units of the other script's products). Exits 1 if any is not 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import wave
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStop, wav_to_chunks
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.tts import Synthesize

from support.postgres_cluster import TempCluster, find_bin_dir
from support.report import describe_machine
from support.serve_process import ServeProcess
from support.stats import percentile
from voiceshop.server import add_token
from voiceshop.server.handler import BUSY_REPLY
from voiceshop.storage.database import ShopDatabase

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "voiceshop" / "data" / "demo"
FIXTURES = REPO / "tests" / "fixtures" / "audio"
STORE = "grocery"
CONVERSATION_ID = "kitchen"
"""Every shopper's conversation id: only their tokens keep them apart."""
SAMPLES_PER_CHUNK = 1024
READ_TIMEOUT = 600.0
RETRY_PAUSE_S = (0.2, 0.6)
MAX_SENDS = 3
"""Times one turn is sent before the shopper gives up (a server killed under it, twice)."""


@dataclass(frozen=True)
class Script:
    """A spoken conversation and the order it must end in (cart empty after the order)."""

    name: str
    wavs: tuple[Path, ...]
    order: dict[str, int]
    """product id -> units."""


SCRIPTS = (
    Script(
        "demo",
        tuple(sorted(DEMO.glob("*.wav"))),
        {"organic-whole-milk": 2, "sourdough-bread": 1},
    ),
    Script(
        "pantry",
        (
            FIXTURES / "three_cans_of_black_beans_kitchen_12db.wav",
            FIXTURES / "peanut_butter_and_spaghetti_kitchen_18db.wav",
            DEMO / "06_check_out.wav",
            DEMO / "07_yes.wav",
        ),
        {"black-beans": 3, "creamy-peanut-butter": 1, "spaghetti": 1},
    ),
)


@dataclass
class Stats:
    """What one level measured."""

    turns: int = 0
    busy: Counter = field(default_factory=Counter)
    reply_s: list[float] = field(default_factory=list)
    """From the end of speech (the first attempt's) to the reply text."""
    accepted_reply_s: list[float] = field(default_factory=list)
    """From the end of the attempt the server took to the reply text."""
    audio_s: list[float] = field(default_factory=list)
    queue_wait_s: list[float] = field(default_factory=list)
    recognize_s: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    resent: int = 0
    """Turns cut off by a killed server and sent again to another."""


@dataclass(frozen=True)
class Level:
    shoppers: int
    wall_s: float
    cpu_cores: float
    rss_mib: float
    peak_rss_mib: float
    stats: Stats
    lost: int
    duplicated: int
    crossed: int


class Busy(Exception):
    """The server answered busy: try the step again."""


async def turn(
    client: AsyncTcpClient, wav: Path, context: dict, realtime: bool, tts: bool, stats: Stats
) -> None:
    """One spoken turn: recognize, handle, synthesize, each retried while the server is busy."""
    frames = _frames(wav)
    speech_ended: float | None = None
    """When the turn's first attempt finished sending its audio: the user stopped speaking."""
    while True:
        sent = await _send_utterance(client, frames, context, realtime and speech_ended is None)
        speech_ended = speech_ended or sent
        try:
            text = await _transcript(client, stats)
            break
        except Busy:
            stats.busy["recognize"] += 1
            await asyncio.sleep(random.uniform(*RETRY_PAUSE_S))
    accepted_end = sent
    while True:
        await client.write_event(Transcript(text, context=context).event())
        answer = await _read(client)
        if NotHandled.is_type(answer.type) and NotHandled.from_event(answer).text == BUSY_REPLY:
            stats.busy["handle"] += 1
            await asyncio.sleep(random.uniform(*RETRY_PAUSE_S))
            continue
        if not Handled.is_type(answer.type):
            stats.failures.append(f"{wav.name}: {answer.type} {answer.data}")
            return
        break
    now = time.perf_counter()
    stats.reply_s.append(now - speech_ended)
    stats.accepted_reply_s.append(now - accepted_end)
    reply = Handled.from_event(answer).text or ""
    while tts:
        await client.write_event(Synthesize(reply).event())
        answer = await _read(client)
        if Error.is_type(answer.type) and Error.from_event(answer).code == "busy":
            stats.busy["synthesize"] += 1
            await asyncio.sleep(random.uniform(*RETRY_PAUSE_S))
            continue
        while not AudioStop.is_type(answer.type):
            if Error.is_type(answer.type):
                stats.failures.append(f"tts: {answer.data}")
                return
            answer = await _read(client)
        stats.audio_s.append(time.perf_counter() - speech_ended)
        break
    stats.turns += 1


async def _send_utterance(
    client: AsyncTcpClient, frames: list[Event], context: dict, realtime: bool
) -> float:
    """Send transcribe and the audio (at the pace of speech if `realtime`); when it ended."""
    await client.write_event(Transcribe(language="en", context=context).event())
    for event in frames:
        await client.write_event(event)
        if realtime and AudioChunk.is_type(event.type):
            await asyncio.sleep(AudioChunk.from_event(event).seconds)
    return time.perf_counter()


async def _transcript(client: AsyncTcpClient, stats: Stats) -> str:
    """The server's transcript; Busy when it refused the utterance."""
    answer = await _read(client)
    if Error.is_type(answer.type) and Error.from_event(answer).code == "busy":
        raise Busy
    if not Transcript.is_type(answer.type):
        raise RuntimeError(f"expected a transcript, got {answer.type} {answer.data}")
    transcript = Transcript.from_event(answer)
    timing = (transcript.context or {}).get("voiceshop", {})
    stats.queue_wait_s.append(timing.get("queue_wait_s", 0.0))
    stats.recognize_s.append(timing.get("recognize_s", 0.0))
    return transcript.text


async def _read(client: AsyncTcpClient) -> Event:
    event = await client.read_event()
    if event is None:
        raise RuntimeError("the server closed the connection")
    return event


def _frames(wav: Path) -> list[Event]:
    with wave.open(str(wav), "rb") as file:
        return [
            chunk.event()
            for chunk in wav_to_chunks(file, SAMPLES_PER_CHUNK, start_event=True, stop_event=True)
        ]


def _client(server: ServeProcess) -> AsyncTcpClient:
    return AsyncTcpClient(server.host, server.port, connect_timeout=60, read_timeout=READ_TIMEOUT)


async def shopper(
    servers: list[ServeProcess],
    first: int,
    token: str,
    script: Script,
    realtime: bool,
    tts: bool,
    stats: Stats,
) -> None:
    """One shopper's script: on one connection to one server, or with several servers each
    turn on a new connection to the next one still running (a turn cut off is resent)."""
    context = {"conversation_id": CONVERSATION_ID, "token": token}
    if len(servers) == 1:
        async with _client(servers[0]) as client:
            for wav in script.wavs:
                await turn(client, wav, context, realtime, tts, stats)
        return
    for number, wav in enumerate(script.wavs):
        for attempt in range(MAX_SENDS):
            running = [server for server in servers if server.process.poll() is None]
            try:
                async with _client(running[(first + number) % len(running)]) as client:
                    await turn(client, wav, context, realtime, tts, stats)
                break
            except (OSError, RuntimeError, asyncio.IncompleteReadError):
                if attempt == MAX_SENDS - 1:
                    raise
                stats.resent += 1


async def run_level(
    servers: list[ServeProcess],
    shoppers: list[tuple[str, str, Script]],
    realtime: bool,
    tts: bool,
    kill_after: float | None,
    spent: dict[int, float],
) -> tuple[Stats, float]:
    stats = Stats()
    started = time.perf_counter()
    runs = [
        shopper(servers, index, tok, script, realtime, tts, stats)
        for index, (_, tok, script) in enumerate(shoppers)
    ]
    killer = asyncio.create_task(_kill_later(servers[0], kill_after, spent)) if kill_after else None
    results = await asyncio.gather(*runs, return_exceptions=True)
    wall = time.perf_counter() - started
    if killer is not None:
        killer.cancel()
    stats.failures += [repr(result) for result in results if isinstance(result, BaseException)]
    return stats, wall


async def _kill_later(server: ServeProcess, seconds: float, spent: dict[int, float]) -> None:
    """SIGKILL `server` after `seconds`, its CPU so far kept in `spent`."""
    await asyncio.sleep(seconds)
    spent[server.pid] = process_cpu_s(server.pid) + children_cpu_s(server.pid)
    server.kill()
    print(f"killed server {server.pid} with SIGKILL", file=sys.stderr, flush=True)


def check_carts(
    db_path: Path | str, shoppers: list[tuple[str, str, Script]]
) -> tuple[int, int, int]:
    """(lost, duplicated, crossed) over every shopper's orders and cart.

    lost: scripted units not ordered; duplicated: units ordered or left in the cart beyond the
    script (products it never asked for included) and orders beyond one; crossed: units, ordered
    or in the cart, of the other script's products."""
    lost = duplicated = crossed = 0
    with ShopDatabase(db_path) as db:
        for user, _token, script in shoppers:
            orders = db.orders(user, STORE)
            ordered: Counter = Counter()
            for order in orders:
                for line in order.lines:
                    ordered[line.product_id] += line.quantity
            held = ordered + Counter(
                {line.product_id: line.quantity for line in db.cart(user, STORE)}
            )
            others = {p for s in SCRIPTS if s is not script for p in s.order} - set(script.order)
            crossed += sum(held[p] for p in others)
            lost += sum(max(0, n - ordered[p]) for p, n in script.order.items())
            duplicated += sum(
                max(0, n - script.order.get(p, 0)) for p, n in held.items() if p not in others
            )
            duplicated += max(0, len(orders) - 1)
    return lost, duplicated, crossed


def process_cpu_s(pid: int) -> float:
    fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields_[11]) + int(fields_[12])) / os.sysconf("SC_CLK_TCK")


def process_memory_mib(pid: int) -> tuple[float, float]:
    """(resident, peak resident) MiB of the process."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def children_cpu_s(pid: int) -> float:
    """CPU of the server's finished children (the espeak-ng speech workers)."""
    fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields_[13]) + int(fields_[14])) / os.sysconf("SC_CLK_TCK")


def _cell(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(levels: list[Level], tts: bool) -> str:
    header = (
        "| shoppers | turns | turns/s | reply p50 s | reply p95 s | taken p50 s | taken p95 s | "
        + ("audio p50 s | audio p95 s | " if tts else "")
        + "queue wait p50 s | queue wait p95 s | recognize p50 s | busy (asr/handle/tts) | "
        "server CPU cores | RSS MiB (peak) | lost | duplicated | crossed | failures |"
    )
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    for level in levels:
        s = level.stats
        busy = f"{s.busy['recognize']}/{s.busy['handle']}/{s.busy['synthesize']}"
        audio = (
            f"{_cell(percentile(s.audio_s, 50))} | {_cell(percentile(s.audio_s, 95))} | "
            if tts
            else ""
        )
        rows.append(
            f"| {level.shoppers} | {s.turns} | {s.turns / level.wall_s:.2f} | "
            f"{_cell(percentile(s.reply_s, 50))} | {_cell(percentile(s.reply_s, 95))} | "
            f"{_cell(percentile(s.accepted_reply_s, 50))} | "
            f"{_cell(percentile(s.accepted_reply_s, 95))} | {audio}"
            f"{_cell(percentile(s.queue_wait_s, 50))} | {_cell(percentile(s.queue_wait_s, 95))} | "
            f"{_cell(percentile(s.recognize_s, 50))} | {busy} | {level.cpu_cores:.2f} | "
            f"{level.rss_mib:.0f} ({level.peak_rss_mib:.0f}) | {level.lost} | "
            f"{level.duplicated} | {level.crossed} | {len(s.failures)} |"
        )
    return "\n".join(rows)


def _cpu_s(servers: list[ServeProcess], spent: dict[int, float]) -> float:
    """CPU seconds of the servers and their finished children so far (a killed server's as
    last read)."""
    for server in servers:
        if server.process.poll() is None:
            spent[server.pid] = process_cpu_s(server.pid) + children_cpu_s(server.pid)
    return sum(spent.values())


def _memory_mib(servers: list[ServeProcess]) -> tuple[float, float]:
    """(resident, peak resident) MiB summed over the servers still running."""
    sizes = [process_memory_mib(s.pid) for s in servers if s.process.poll() is None]
    return sum(rss for rss, _ in sizes), sum(peak for _, peak in sizes)


async def benchmark(args: argparse.Namespace, folder: Path, db: Path | str) -> list[Level]:
    tokens_path = folder / "tokens"
    users = {level: [f"shopper-{level}-{index}" for index in range(level)] for level in args.levels}
    tokens = {user: add_token(tokens_path, user) for names in users.values() for user in names}
    options = ["--tokens", str(tokens_path), "--max-sessions", str(max(256, sum(args.levels)))]
    if args.workers:
        options += ["--workers", str(args.workers)]
    if args.queue:
        options += ["--queue", str(args.queue)]
    levels = []
    for level in args.levels:
        servers = [ServeProcess(db, *options) for _ in range(args.servers)]
        try:
            await asyncio.gather(*(server.ready(300) for server in servers))
            shoppers = [
                (user, tokens[user], SCRIPTS[index % len(SCRIPTS)])
                for index, user in enumerate(users[level])
            ]
            spent: dict[int, float] = {}
            cpu_before = _cpu_s(servers, spent)
            stats, wall = await run_level(
                servers, shoppers, not args.fast_audio, args.tts, args.kill_after, spent
            )
            cpu = _cpu_s(servers, spent) - cpu_before
            rss, peak = _memory_mib(servers)
        finally:
            for server in servers:
                server.stop()
        lost, duplicated, crossed = check_carts(db, shoppers)
        levels.append(Level(level, wall, cpu / wall, rss, peak, stats, lost, duplicated, crossed))
        print(
            f"{level} shoppers: {stats.turns} turns in {wall:.1f} s, resent {stats.resent}, "
            f"lost/duplicated/crossed {lost}/{duplicated}/{crossed}, "
            f"load {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
            flush=True,
        )
        for failure in stats.failures[:5]:
            print(f"  failure: {failure}", file=sys.stderr)
    return levels


@contextmanager
def database(kind: str, folder: Path) -> Iterator[Path | str]:
    """A fresh SQLite file, or a fresh database on a throwaway PostgreSQL server."""
    if kind == "sqlite":
        yield folder / "shop.db"
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL's initdb is not installed (apt-get install postgresql-15)")
    with TempCluster(bin_dir) as cluster:
        yield cluster.create_database("load")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--no-tts", dest="tts", action="store_false", help="skip synthesize")
    parser.add_argument(
        "--fast-audio", action="store_true", help="send each WAV at once, not in real time"
    )
    parser.add_argument("--workers", type=int, help="voiceshop serve --workers")
    parser.add_argument("--queue", type=int, help="voiceshop serve --queue")
    parser.add_argument("--out", type=Path, help="also write the report here (markdown)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--servers", type=int, default=1, help="servers sharing the database")
    parser.add_argument(
        "--kill-after", type=float, help="SIGKILL the first server this many seconds into a level"
    )
    args = parser.parse_args(argv)
    if args.kill_after and args.servers < 2:
        parser.error("--kill-after needs --servers 2 or more (a server to go on with)")
    random.seed(args.seed)
    machine = describe_machine()
    with (
        tempfile.TemporaryDirectory(prefix="voiceshop-load-") as scratch,
        database(args.db, Path(scratch)) as db,
    ):
        levels = asyncio.run(benchmark(args, Path(scratch), db))
    over = [level.shoppers for level in levels if (percentile(level.stats.reply_s, 50) or 0) > 1]
    notes = [
        f"Scripts: {', '.join(f'{s.name} ({len(s.wavs)} turns)' for s in SCRIPTS)}, "
        "alternating between shoppers; all under one conversation id.",
        f"Audio streamed {'at once' if args.fast_audio else 'in real time'}; "
        f"speech synthesis {'on' if args.tts else 'off'}. reply and audio: from the audio-stop "
        "of the turn's first attempt (time spent refused busy and retrying included) to the "
        "reply text and to the end of its audio; taken: from the audio-stop of the attempt the "
        "server took to the reply text.",
        "Median end-of-speech -> reply first passes 1 s at "
        + (f"{over[0]} shoppers." if over else "none of these levels."),
        "The clients run on the same machine as the server (their CPU is not in the server's).",
        f"Database: {args.db}; {args.servers} server process(es), each level started afresh; "
        "server CPU cores and RSS are summed over the servers."
        + (
            f" The first server was killed with SIGKILL {args.kill_after:g} s into each level; "
            f"turns resent after it: {', '.join(str(level.stats.resent) for level in levels)}."
            if args.kill_after
            else ""
        ),
    ]
    report = "\n\n".join(
        [
            "# voiceshop serve under load",
            f"`python -m benchmarks.server_load {' '.join(argv or sys.argv[1:])}`".replace(
                "  ", " "
            ),
            "## Machine\n\n" + machine,
            "## Figures\n\n" + table(levels, args.tts),
            "\n".join(f"- {note}" for note in notes),
        ]
    )
    print(report)
    if args.out:
        args.out.write_text(report + "\n")
    bad = any(level.lost or level.duplicated or level.crossed for level in levels)
    failures = any(level.stats.failures for level in levels)
    return 1 if bad or failures else 0


if __name__ == "__main__":
    sys.exit(main())
