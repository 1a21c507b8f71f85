"""What a user or packager sees of the project itself: the version and the license."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import REPO_ROOT
from voiceshop.cli import main

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]


def test_version_prints_the_projects_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"voiceshop {PYPROJECT['version']}"


def test_the_license_file_matches_pyproject() -> None:
    declared = PYPROJECT["license"]["text"]
    text = (REPO_ROOT / "LICENSE").read_text()
    assert text.splitlines()[0] == f"{declared} License"
    if declared == "MIT":
        assert "Permission is hereby granted, free of charge" in text
