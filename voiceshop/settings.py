"""The app's settings: one frozen tree, built once by the CLI from the config file and passed
down to the stages that use it (the conversation, the product matcher).

In the config file each branch is a table named like the field here, its keys the fields of
that branch's dataclass:

    [dialog]
    confirm_below = 0.4   # DialogSettings.confirm_below
    [match]
    min_score = 0.6       # MatchSettings.min_score
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voiceshop.dialog.core import DialogSettings
from voiceshop.matching.matcher import MatchSettings


@dataclass(frozen=True)
class Settings:
    """Every setting an app may change, by the stage it belongs to."""

    dialog: DialogSettings = field(default_factory=DialogSettings)
    match: MatchSettings = field(default_factory=MatchSettings)


BRANCHES: dict[str, type[DialogSettings] | type[MatchSettings]] = {
    "dialog": DialogSettings,
    "match": MatchSettings,
}
"""The config file's tables and the settings each holds."""


def branch_defaults(branch: str) -> dict[str, Any]:
    """Each setting of a branch (`BRANCHES`) with its built-in value."""
    return dataclasses.asdict(BRANCHES[branch]())


def settings_from(config: Mapping[str, Any]) -> Settings:
    """The settings tree with the tables of a config file (as `load_config` checked them) over
    the built-in values."""
    return Settings(
        dialog=DialogSettings(**config.get("dialog", {})),
        match=MatchSettings(**config.get("match", {})),
    )
