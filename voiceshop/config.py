"""The config file: the user's own defaults for command-line options.

A TOML file, `config.toml` in the platform's config folder (platformdirs: on Linux
`$XDG_CONFIG_HOME/voiceshop`, else `~/.config/voiceshop`), or the file `$VOICESHOP_CONFIG`
names. Every key is optional:

    store = "coffee"      # shop here unless --store or the user's `account default` says otherwise
    user = "sam"          # --user
    language = "en"       # --language
    device = "pulse"      # --device: input device index or name part
    voice = "en-us"       # --voice
    rate = 160            # --rate, words per minute
    barge_in = true       # listen --barge-in (false: --no-barge-in, half-duplex)

    [dialog]              # the conversation's limits and thresholds (`DialogSettings`)
    confirm_below = 0.4
    [match]               # the product matcher's thresholds (`MatchSettings`)
    min_score = 0.6

An option given on the command line wins over the file, and the file over the built-in default.
A missing file is no error; a malformed one is, naming the file, the line and what to do.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceshop.errors import VoiceShopError
from voiceshop.settings import BRANCHES, branch_defaults

CONFIG_ENV_VAR = "VOICESHOP_CONFIG"
CONFIG_NAME = "config.toml"


@dataclass(frozen=True)
class Key:
    """One setting the file may hold."""

    name: str
    kind: type
    default: Any
    meaning: str


KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key("store", str, None, "store when neither --store nor `account default` names one"),
        Key("user", str, "default", "whose cart and orders"),
        Key("language", str, None, "language of speech and replies (unset: the store's, else en)"),
        Key("device", str, None, "input device index or name part"),
        Key("voice", str, None, "speech engine voice id or name"),
        Key("rate", int, 170, "speaking rate, words per minute"),
        Key("barge_in", bool, False, "listen: speaking over a reply stops it (false: half-duplex)"),
    )
}
EXAMPLE = 'store = "coffee"\nrate = 160'


class ConfigError(VoiceShopError):
    """The config file cannot be read or holds something voiceshop does not understand."""


def config_path() -> Path:
    """`$VOICESHOP_CONFIG`, else config.toml in the platform's user config folder."""
    if os.environ.get(CONFIG_ENV_VAR):
        return Path(os.environ[CONFIG_ENV_VAR])
    import platformdirs

    return platformdirs.user_config_path("voiceshop") / CONFIG_NAME


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The settings in the config file (only those it sets); {} when there is no file.

    Raises ConfigError for a file that is not TOML, or that has an unknown key or a value of
    the wrong type, saying where and what to do.
    """
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"cannot read the config file {path}: {err}; fix its permissions or encoding "
            f"(UTF-8), or move it aside"
        ) from err
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            f"the config file {path} is not valid TOML: {err}; fix that line (a setting looks "
            f"like: {_one_line(EXAMPLE)}) or move the file aside"
        ) from err
    settings: dict[str, Any] = {}
    for name, value in raw.items():
        where = f"{path}, line {_line_of(text, name)}"
        if name in BRANCHES:
            settings[name] = _branch(name, value, where)
            continue
        key = KEYS.get(name)
        if key is None:
            raise ConfigError(
                f"{where}: unknown setting {name!r}; the settings are {', '.join(KEYS)} and "
                f"the tables {', '.join(f'[{b}]' for b in BRANCHES)} (see `voiceshop config "
                "show`); remove or rename it"
            )
        if not isinstance(value, key.kind) or (isinstance(value, bool) and key.kind is not bool):
            raise ConfigError(
                f"{where}: {name} must be {_kind_name(key.kind)}, not {value!r}; "
                f"e.g. {name} = {_example(key)}"
            )
        if isinstance(value, str) and not value.strip():
            raise ConfigError(f"{where}: {name} is empty; give a value or remove the line")
        if name == "rate" and isinstance(value, int) and not 50 <= value <= 500:
            raise ConfigError(f"{where}: rate {value} is outside 50-500 words per minute")
        settings[name] = value
    return settings


def _branch(branch: str, table: Any, where: str) -> dict[str, int | float]:
    """A table of settings of one branch of the settings tree, each of its built-in type (a
    whole number where a fraction is expected is taken)."""
    defaults = branch_defaults(branch)
    if not isinstance(table, dict):
        raise ConfigError(
            f"{where}: {branch} must be a table of settings ([{branch}] and a setting per line), "
            f"not {table!r}; fix it or remove the line"
        )
    for name, value in table.items():
        if name not in defaults:
            raise ConfigError(
                f"{where}: [{branch}] has no setting {name!r}; its settings are "
                f"{', '.join(defaults)}; remove or rename it"
            )
        fraction = isinstance(defaults[name], float)
        if isinstance(value, bool) or not isinstance(value, (float, int) if fraction else int):
            raise ConfigError(
                f"{where}: [{branch}] {name} must be {'a number' if fraction else 'a whole number'}"
                f", not {value!r}; e.g. {name} = {defaults[name]!r}"
            )
    return {n: float(v) if isinstance(defaults[n], float) else v for n, v in table.items()}


@dataclass(frozen=True)
class Setting:
    """An effective setting and where it came from."""

    value: Any
    source: str
    """"command line", "config file" or "built-in default"."""


def resolve(given: dict[str, Any], config: dict[str, Any]) -> dict[str, Setting]:
    """Each key's effective value: `given` (the command line, None = not given), else the config
    file's, else the built-in default."""
    effective = {}
    for name, key in KEYS.items():
        if given.get(name) is not None:
            effective[name] = Setting(given[name], "command line")
        elif name in config:
            effective[name] = Setting(config[name], "config file")
        else:
            effective[name] = Setting(key.default, "built-in default")
    return effective


def _line_of(text: str, name: str) -> int:
    """The line number where `name` is set (1 when it cannot be told, e.g. a dotted key)."""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*[=.]")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    table = re.compile(rf"^\s*\[+\s*[\"']?{re.escape(name)}[\"']?\s*[\].]")
    for number, line in enumerate(text.splitlines(), 1):
        if table.match(line):
            return number
    return 1


def _kind_name(kind: type) -> str:
    names = {int: "a whole number", bool: "true or false"}
    return names.get(kind, "a quoted text")


def _example(key: Key) -> str:
    if key.kind is bool:
        return "true"
    return str(key.default or 160) if key.kind is int else f'"{key.default or "..."}"'


def _one_line(text: str) -> str:
    return "; ".join(text.splitlines())
