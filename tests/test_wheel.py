"""What a user installs: the wheel built from this checkout, installed with its demo extra into a
fresh virtual environment at the versions CI tested (constraints.txt), runs `voiceshop demo`.

Packages come from PyPI through pip's cache; nothing of this checkout but the wheel is used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "voiceshop")
"""What the wheel is built from (pyproject.toml's packages, readme and license)."""
INSTALL_TIMEOUT_SECONDS = 600


def _run(command: list[str | Path], cwd: Path, timeout: float) -> str:
    """Run `command` without PYTHONPATH (so the fresh environment imports only its own)."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the build inputs (building in place would leave build/ behind)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps"]
    _run([*pip, "--wheel-dir", wheels, source], tmp_path, INSTALL_TIMEOUT_SECONDS)
    (wheel,) = wheels.glob("voiceshop-*.whl")
    return wheel


@pytest.mark.e2e
def test_a_fresh_wheel_install_runs_the_demo(tmp_path: Path) -> None:
    started = time.perf_counter()
    wheel = _build_wheel(tmp_path)
    built = time.perf_counter()
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], tmp_path, 120)
    install = [venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-compile"]
    constraints = ["--constraint", REPO_ROOT / "constraints.txt"]
    _run([*install, *constraints, f"{wheel}[demo]"], tmp_path, INSTALL_TIMEOUT_SECONDS)
    installed = time.perf_counter()
    output = _run([venv / "bin" / "voiceshop", "demo", "--quiet"], tmp_path, 300)
    print(
        f"wheel built in {built - started:.0f} s, installed with the demo extra in "
        f"{installed - built:.0f} s, demo ran in {time.perf_counter() - installed:.0f} s"
    )
    assert "Demo finished with order 1: 3 items." in output
    assert not (venv / "bin" / "pytest").exists(), "the demo extra pulled in test tools"
