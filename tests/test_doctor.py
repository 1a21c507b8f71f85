"""`voiceshop doctor`: each check's ok line and its explanation of a problem."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.pulse import VirtualMicrophone, write_tone
from voiceshop import doctor
from voiceshop.audio.microphone import list_input_devices
from voiceshop.cli import main
from voiceshop.doctor import DoctorSettings, Finding, Status, run_checks
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.schema import SCHEMA_VERSION


def findings(
    check: doctor.Check, db_path: Path = Path("/nonexistent/voiceshop.db"), **options: Any
) -> dict[str, Finding]:
    """The check's findings by topic."""
    found = run_checks(DoctorSettings(db_path=db_path, **options), [check])
    return {f.topic: f for f in found}


def test_a_missing_database_is_a_note_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    found = findings(doctor.check_database, db_path=path)["database"]
    assert found.status is Status.NOTE
    assert "does not exist yet" in found.detail
    assert not path.exists()


def test_a_voiceshop_database_reports_its_schema_and_integrity(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with ShopDatabase(path) as db:
        db.set_default_store("sam", "coffee")
    found = findings(doctor.check_database, db_path=path)["database"]
    assert found.status is Status.OK
    assert f"schema version {SCHEMA_VERSION}, integrity check ok" in found.detail


def test_a_damaged_database_is_a_problem_with_a_way_out(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with ShopDatabase(path) as db:
        db.set_default_store("sam", "coffee")
    data = bytearray(path.read_bytes())
    data[4096 + 8 : 4096 + 400] = b"\xa5" * 392  # scribble over the second page
    path.write_bytes(bytes(data))

    found = findings(doctor.check_database, db_path=path)["database"]

    assert found.status is Status.PROBLEM
    assert "restore a backup" in found.fix


def test_another_programs_database_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    connection.close()
    found = findings(doctor.check_database, db_path=path)["database"]
    assert found.status is Status.PROBLEM
    assert "not a voiceshop database" in found.detail


def test_a_newer_schema_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with ShopDatabase(path):
        pass
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    found = findings(doctor.check_database, db_path=path)["database"]
    assert found.status is Status.PROBLEM
    assert "upgrade voiceshop" in found.fix


def test_the_stores_check_finds_the_users_default_store(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with ShopDatabase(path) as db:
        db.set_default_store("sam", "coffee")
    found = findings(doctor.check_stores, db_path=path, user="sam")
    assert found["bundled stores"].status is Status.OK
    assert "grocery (" in found["bundled stores"].detail
    assert found["shopping at"].status is Status.OK
    assert "(coffee," in found["shopping at"].detail


def test_an_unknown_store_is_a_problem() -> None:
    found = findings(doctor.check_stores, store="no-such-store")["shopping at"]
    assert found.status is Status.PROBLEM
    assert "voiceshop catalog list" in found.fix


def test_installed_versions_meet_the_requirements_here() -> None:
    found = run_checks(DoctorSettings(db_path=Path("/none")), [doctor.check_package_versions])
    assert [f for f in found if f.status is Status.PROBLEM] == []
    assert any(f.topic == "package versions" and f.status is Status.OK for f in found)


def test_a_version_below_the_requirement_is_a_problem_with_the_pip_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declared = ["numpy>=999", "rapidfuzz>=1", 'pytest>=999; extra == "dev"']
    monkeypatch.setattr(doctor, "_declared_requirements", lambda: ("pyproject.toml", declared))
    found = findings(doctor.check_package_versions)
    assert found["package numpy"].status is Status.PROBLEM
    assert "voiceshop needs numpy>=999" in found["package numpy"].detail
    assert found["package numpy"].fix == "pip install 'numpy>=999'"
    assert "package versions" not in found
    assert "package rapidfuzz" not in found and "package pytest" not in found
    assert found["package metadata"].status is Status.NOTE  # differs from what is installed


def test_a_check_that_crashes_becomes_a_problem_line() -> None:
    def check_broken(_settings: DoctorSettings) -> Iterator[Finding]:
        raise RuntimeError("boom")
        yield  # a generator, like the real checks

    found = findings(check_broken)["broken"]
    assert found.status is Status.PROBLEM
    assert "RuntimeError: boom" in found.detail


def test_the_exit_code_is_one_only_when_there_is_a_problem(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(doctor, "ALL_CHECKS", [doctor.check_python, doctor.check_database])
    assert main(["doctor", "--db", str(tmp_path / "none.db")]) == 0
    assert "All ok." in capsys.readouterr().out

    (tmp_path / "junk.db").write_bytes(b"this is not a database, it is text" * 200)
    assert main(["doctor", "--db", str(tmp_path / "junk.db")]) == 1
    out = capsys.readouterr().out
    assert "problem database:" in out
    assert "fix: " in out
    assert "1 problem found." in out


def test_text_to_speech_speaks_a_word_into_a_file() -> None:
    found = findings(doctor.check_speech_output)["text to speech"]
    if found.status is Status.PROBLEM and "espeak" in found.fix:
        pytest.skip(f"no speech engine here: {found.detail}")
    assert found.status is Status.OK
    assert "spoke 'hello' into a file" in found.detail


def test_without_an_input_device_doctor_explains_what_to_do() -> None:
    if list_input_devices():
        pytest.skip("this machine has an input device")
    found = findings(doctor.check_microphone)
    assert found["portaudio"].status is Status.OK
    assert found["input device"].status is Status.PROBLEM
    assert "No input device" in found["input device"].detail
    assert "voiceshop chat" in found["input device"].fix


def test_a_speech_model_that_does_not_load_is_a_problem_with_a_way_out(tmp_path: Path) -> None:
    empty = tmp_path / "vosk-model-small-en-us"
    empty.mkdir()
    found = findings(doctor.check_speech_model, asr="vosk", model=empty)["speech model"]
    assert found.status is Status.PROBLEM
    assert "does not load" in found.detail
    assert "--asr whisper" in found.fix


@pytest.mark.audio
def test_the_speech_model_reads_the_demo_recording() -> None:
    found = findings(doctor.check_speech_model, asr="whisper")["speech model"]
    assert found.status is Status.OK, found
    assert "milk" in found.detail.lower()
    assert "language en" in found.detail


@pytest.mark.e2e
def test_under_the_virtual_microphone_the_input_device_is_ok(
    virtual_mic: VirtualMicrophone, tmp_path: Path
) -> None:
    tone = write_tone(tmp_path / "tone.wav", seconds=4.0)
    player = threading.Thread(target=virtual_mic.play, args=[tone])
    player.start()
    try:
        time.sleep(0.5)  # record the middle of the tone, not the silence before it
        found = findings(doctor.check_microphone, device="pulse")
    finally:
        player.join()
    line = found["input device"]
    assert line.status is Status.OK, line
    assert "'pulse'" in line.detail
    # the tone is a sine of amplitude 8000: RMS -15.3 dBFS, peak -12.3 dBFS
    level = re.search(r"level (-\d+) dBFS, peak (-\d+) dBFS", line.detail)
    assert level is not None, line
    assert abs(int(level[1]) + 15.3) <= 1.5
    assert abs(int(level[2]) + 12.3) <= 1.5


@pytest.mark.e2e
def test_under_the_virtual_microphone_silence_is_explained(
    virtual_mic: VirtualMicrophone,
) -> None:
    line = findings(doctor.check_microphone, device="pulse")["input device"]
    assert line.status is Status.PROBLEM
    assert "pure silence" in line.detail
    assert "unmute" in line.fix


@pytest.mark.e2e
def test_under_the_virtual_microphone_the_output_device_is_ok(
    virtual_mic: VirtualMicrophone,
) -> None:
    line = findings(doctor.check_speech_output)["output device"]
    assert line.status is Status.OK, line
