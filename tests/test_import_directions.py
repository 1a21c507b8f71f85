"""Which parts of the code may import which, read from every module's imports with `ast`.

voiceshop's packages follow the pipeline (README, "Architecture"): ALLOWED is the declared table,
and README.md's "Allowed imports" block must say the same; no module imports against it. The
tests, the benchmarks and what both share (support/) never import each other except through
support/.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO_ROOT

EVERYONE = frozenset({"errors", "extras"})
"""What every part of voiceshop may import: its errors and the extras' install hints."""
ALLOWED: dict[str, frozenset[str]] = {
    "language": frozenset(),
    "catalog": frozenset(),
    "audio": frozenset(),
    "thresholds": frozenset(),
    "recognizer": frozenset({"audio", "rescoring"}),
    "rescoring": frozenset({"catalog", "intents", "matching", "recognizer", "thresholds"}),
    "matching": frozenset({"catalog", "language", "thresholds"}),
    "intents": frozenset({"catalog", "language", "matching", "rescoring", "thresholds"}),
    "storage": frozenset({"catalog"}),
    "personal": frozenset({"catalog", "matching", "storage"}),
    "dialog": frozenset(
        {"catalog", "language", "intents", "matching", "personal", "rescoring", "settings"}
        | {"storage", "thresholds"}
    ),
    "settings": frozenset({"dialog", "matching"}),
    "speaker": frozenset({"audio"}),
    "retuning": frozenset({"dialog", "intents", "recognizer"}),
    "voice_loop": frozenset({"audio", "dialog", "recognizer", "speaker"}),
    "turn_recorder": frozenset({"audio", "voice_loop"}),
    "config": frozenset({"settings"}),
    "doctor": frozenset(
        {"audio", "catalog", "config", "dialog", "intents", "matching", "recognizer"}
        | {"speaker", "storage"}
    ),
    "server": frozenset(
        {"audio", "catalog", "dialog", "intents", "matching", "recognizer", "retuning"}
        | {"speaker", "storage"}
    ),
    "cli": frozenset(
        {"audio", "catalog", "config", "dialog", "doctor", "intents", "language", "matching"}
        | {"personal", "recognizer", "retuning", "server", "settings", "speaker", "storage"}
        | {"turn_recorder", "voice_loop"}
    ),
    "__main__": frozenset({"cli"}),
    "errors": frozenset(),
    "extras": frozenset(),
}
"""voiceshop's parts (a package, or a module directly in voiceshop/) and what each may import
besides EVERYONE."""

MAY_IMPORT = {
    "voiceshop": {"voiceshop"},
    "support": {"voiceshop", "support"},
    "tests": {"voiceshop", "support", "tests"},
    "benchmarks": {"voiceshop", "support", "benchmarks"},
    "scripts": {"voiceshop", "support", "scripts"},
}
"""The repository's top-level code folders, and whose code each may import."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module `path` imports, at any depth (inside functions and TYPE_CHECKING too); a
    name imported from a package counts as its submodule when it is one."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            for alias in node.names:
                candidate = REPO_ROOT.joinpath(*node.module.split("."), alias.name)
                if candidate.with_suffix(".py").is_file() or candidate.is_dir():
                    yield f"{node.module}.{alias.name}"


def _edges(folder: str) -> set[tuple[str, str]]:
    """(importing module, imported module) for every module under `folder` importing a module
    of the repository's code folders."""
    return {
        (_module_name(path), imported)
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        for imported in _imports(path)
        if imported.split(".")[0] in MAY_IMPORT
    }


def _part(module: str) -> str:
    """The part of voiceshop a module belongs to: its package, or itself when directly in it."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _breaks_the_table(importer: str, imported: str) -> bool:
    source, target = _part(importer), _part(imported)
    if source == target or target in EVERYONE or imported == "voiceshop":
        return False
    return target not in ALLOWED.get(source, frozenset())


def _against_the_rules() -> set[tuple[str, str]]:
    found = set()
    for folder, allowed in MAY_IMPORT.items():
        for importer, imported in _edges(folder):
            if imported.split(".")[0] not in allowed or (
                folder == "voiceshop" and _breaks_the_table(importer, imported)
            ):
                found.add((importer, imported))
    return found


def test_every_part_of_voiceshop_is_in_the_table() -> None:
    parts = {_part(module) for module, _ in _edges("voiceshop")} - {"voiceshop"}
    assert parts <= set(ALLOWED), f"not in ALLOWED: {sorted(parts - set(ALLOWED))}"


def test_imports_follow_the_table_and_the_folders() -> None:
    new = sorted(_against_the_rules())
    assert not new, "imports against tests/test_import_directions.py's rules:\n" + "\n".join(
        f"  {importer} imports {imported}" for importer, imported in new
    )


def test_the_readme_lists_the_same_allowed_imports() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"Allowed imports between.*?\n```\n(.*?)```", readme, re.S)
    assert block, "README.md has no 'Allowed imports' block"
    listed = {}
    for line in block.group(1).splitlines():
        part, _, imported = line.partition(":")
        listed[part.strip()] = frozenset(imported.replace(",", " ").split()) - {"-"}
    assert listed == ALLOWED
