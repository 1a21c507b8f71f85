"""The rescoring package keeps the recognizer and the store apart (the two feedback paths)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "voiceshop"

RECOGNIZER_SIDE = ("readback", "reading_policy", "slots", "protocol")
"""The rescoring modules on the recognizer's side: they know nothing of the store."""


def imported(path: Path) -> set[str]:
    """The voiceshop modules a file imports (at any depth of the file)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("voiceshop")}


def modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).glob("*.py"))


@pytest.mark.parametrize("path", modules("dialog"), ids=lambda p: p.name)
def test_the_dialog_imports_no_recognizer_code(path: Path) -> None:
    assert not {m for m in imported(path) if m.startswith("voiceshop.recognizer")}


@pytest.mark.parametrize("path", modules("intents"), ids=lambda p: p.name)
def test_intents_import_no_recognizer_code(path: Path) -> None:
    assert not {m for m in imported(path) if m.startswith("voiceshop.recognizer")}


@pytest.mark.parametrize(
    "path",
    [*modules("recognizer"), *(PACKAGE / "rescoring" / f"{m}.py" for m in RECOGNIZER_SIDE)],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_the_recognizer_side_imports_nothing_of_the_store(path: Path) -> None:
    store_side = ("voiceshop.intents", "voiceshop.matching", "voiceshop.dialog")
    store_side += tuple(f"voiceshop.rescoring.{m}" for m in ("catalog_slots", "order_slots"))
    store_side += ("voiceshop.rescoring.store_reading",)
    assert not {m for m in imported(path) if m.startswith(store_side)}


def test_the_protocol_imports_neither_side() -> None:
    assert not imported(PACKAGE / "rescoring" / "protocol.py")
