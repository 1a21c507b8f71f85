"""Many shoppers at once against one `voiceshop serve`: throughput, latency, queue wait, CPU,
memory and the correctness of every cart.

    python -m benchmarks.server_load [--levels 1 4 16 64] [--no-tts] [--fast-audio]
                                     [--workers N] [--queue N] [--out FILE.md]

Starts `voiceshop serve` as a subprocess (its own process, so its CPU and memory are its own) on a
free port with a fresh database and a token per shopper. At each level, that many simulated
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
import socket
import subprocess
import sys
import tempfile
import time
import wave
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStop, wav_to_chunks
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe
from wyoming.tts import Synthesize

from benchmarks.report import describe_machine
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


async def shopper(
    host: str, port: int, token: str, script: Script, realtime: bool, tts: bool, stats: Stats
) -> None:
    context = {"conversation_id": CONVERSATION_ID, "token": token}
    client = AsyncTcpClient(host, port, connect_timeout=60, read_timeout=READ_TIMEOUT)
    async with client:
        for wav in script.wavs:
            await turn(client, wav, context, realtime, tts, stats)


async def run_level(
    host: str, port: int, shoppers: list[tuple[str, str, Script]], realtime: bool, tts: bool
) -> tuple[Stats, float]:
    stats = Stats()
    started = time.perf_counter()
    runs = [shopper(host, port, tok, script, realtime, tts, stats) for _, tok, script in shoppers]
    results = await asyncio.gather(*runs, return_exceptions=True)
    wall = time.perf_counter() - started
    stats.failures += [repr(result) for result in results if isinstance(result, BaseException)]
    return stats, wall


def check_carts(db_path: Path, shoppers: list[tuple[str, str, Script]]) -> tuple[int, int, int]:
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


async def wait_ready(host: str, port: int, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"voiceshop serve exited with {server.returncode}")
        try:
            async with AsyncTcpClient(host, port, connect_timeout=2, read_timeout=10) as client:
                await client.write_event(Describe().event())
                if await client.read_event() is not None:
                    return
        except (OSError, TimeoutError):
            await asyncio.sleep(0.5)
    raise RuntimeError("voiceshop serve did not answer describe in time")


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


async def benchmark(args: argparse.Namespace, folder: Path) -> list[Level]:
    port = free_port()
    host = "127.0.0.1"
    tokens_path = folder / "tokens"
    db_path = folder / "shop.db"
    users = {level: [f"shopper-{level}-{index}" for index in range(level)] for level in args.levels}
    tokens = {user: add_token(tokens_path, user) for names in users.values() for user in names}
    command = [
        sys.executable,
        "-m",
        "voiceshop",
        "serve",
        "--uri",
        f"tcp://{host}:{port}",
        "--db",
        str(db_path),
        "--tokens",
        str(tokens_path),
        "--max-sessions",
        str(max(256, sum(args.levels))),
    ]
    if args.workers:
        command += ["--workers", str(args.workers)]
    if args.queue:
        command += ["--queue", str(args.queue)]
    server = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    levels = []
    try:
        await wait_ready(host, port, server, 300)
        for level in args.levels:
            shoppers = [
                (user, tokens[user], SCRIPTS[index % len(SCRIPTS)])
                for index, user in enumerate(users[level])
            ]
            cpu_before = process_cpu_s(server.pid) + children_cpu_s(server.pid)
            stats, wall = await run_level(host, port, shoppers, not args.fast_audio, args.tts)
            cpu = process_cpu_s(server.pid) + children_cpu_s(server.pid) - cpu_before
            rss, peak = process_memory_mib(server.pid)
            lost, duplicated, crossed = check_carts(db_path, shoppers)
            levels.append(
                Level(level, wall, cpu / wall, rss, peak, stats, lost, duplicated, crossed)
            )
            print(
                f"{level} shoppers: {stats.turns} turns in {wall:.1f} s, "
                f"lost/duplicated/crossed {lost}/{duplicated}/{crossed}",
                file=sys.stderr,
                flush=True,
            )
            for failure in stats.failures[:5]:
                print(f"  failure: {failure}", file=sys.stderr)
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return levels


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
    args = parser.parse_args(argv)
    random.seed(args.seed)
    machine = describe_machine()
    with tempfile.TemporaryDirectory(prefix="voiceshop-load-") as scratch:
        levels = asyncio.run(benchmark(args, Path(scratch)))
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
