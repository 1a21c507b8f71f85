"""Desk tools: `voiceshop doctor` and `voiceshop config show|path`."""

from __future__ import annotations

import argparse
from pathlib import Path

from voiceshop.cli.common import apply_config, default_db_path, shop_options
from voiceshop.config import KEYS, ConfigError, config_path, load_config, resolve
from voiceshop.doctor import DoctorSettings, Status, format_finding, iter_findings
from voiceshop.recognizer import ASR_CHOICES
from voiceshop.settings import BRANCHES, branch_defaults


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `doctor` and `config`."""
    doctor = commands.add_parser(
        "doctor",
        parents=[shop_options(), _device_options()],
        help="check the set-up: config file, Python, packages, speech model, microphone, speech "
        "output, database, stores",
        description="Checks each part voiceshop needs and prints one line per finding: ok, "
        "note or problem, with how to fix it. Records one second from the input device and "
        "speaks a word into a temporary file; changes nothing. Exits 1 when there is a problem.",
    )
    doctor.add_argument("--asr", choices=ASR_CHOICES, default="auto")
    doctor.add_argument("--model", type=Path, help="speech model folder")
    doctor.set_defaults(run=run_doctor, own_config=True)

    config = commands.add_parser(
        "config",
        help="the config file: where it is, and the settings in effect",
        description="The config file (TOML) sets defaults for store, user, language, device, "
        "voice and rate; options on the command line win over it. See README.",
    )
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = actions.add_parser(
        "show",
        parents=[_setting_options(), _device_options()],
        help="the settings in effect and where each came from (options given here count)",
    )
    show.set_defaults(run=run_config_show, own_config=True)
    actions.add_parser("path", help="where the config file is (or would be)").set_defaults(
        run=run_config_path, own_config=True
    )


def _setting_options() -> argparse.ArgumentParser:
    """--store, --user and --language, as the other commands take them (`config show`)."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("settings")
    group.add_argument("--store", help="a store to shop at")
    group.add_argument("--user", help="whose cart and orders")
    group.add_argument("--language", help="language of speech and replies")
    return parent


def _device_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("devices and voice")
    group.add_argument("--device", help="input device index or name part")
    group.add_argument("--voice", help="speech engine voice id or name")
    group.add_argument("--rate", type=int, default=None, help="speaking rate, words per minute")
    return parent


def run_doctor(args: argparse.Namespace) -> int:
    try:
        apply_config(args)
    except ConfigError:  # check_config explains it; the other checks use the built-in defaults
        for name, setting in resolve({n: getattr(args, n, None) for n in KEYS}, {}).items():
            if name != "store":
                setattr(args, name, setting.value)
        args.config_store = None
    settings = DoctorSettings(
        db_path=args.db or default_db_path(),
        user=args.user,
        store=args.store,
        asr=args.asr,
        model=args.model,
        language=args.language,
        device=args.device,
        voice=args.voice,
        rate=args.rate,
        config_store=args.config_store,
    )
    print(
        "Checking the set-up; the microphone check records one second (speak then to see "
        "your level).\n",
        flush=True,
    )
    problems = 0
    for finding in iter_findings(settings):
        print(format_finding(finding), flush=True)
        problems += finding.status is Status.PROBLEM
    print(f"\n{problems} problem{'s' if problems != 1 else ''} found." if problems else "\nAll ok.")
    return 1 if problems else 0


def run_config_show(args: argparse.Namespace) -> int:
    path = config_path()
    config = load_config(path)
    state = "found" if path.exists() else "not found: built-in defaults apply"
    print(f"config file: {path} ({state})")
    effective = resolve({name: getattr(args, name, None) for name in KEYS}, config)
    for name, setting in effective.items():
        if name == "store" and setting.value is None:
            shown = "(none: the user's `account default`, else grocery)"
        elif setting.value is None:
            shown = "(none: the system default)"
        else:
            shown = _shown_value(setting.value)
        print(f"{name:9} = {shown:30}  # {setting.source}: {KEYS[name].meaning}")
    for branch in BRANCHES:
        given = config.get(branch, {})
        for name, default in branch_defaults(branch).items():
            source = "config file" if name in given else "built-in default"
            print(f"{branch}.{name} = {given.get(name, default)}  # {source}")
    return 0


def run_config_path(_args: argparse.Namespace) -> int:
    print(config_path())
    return 0


def _shown_value(value: object) -> str:
    """A setting's value as the config file would write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)
