"""Desk tools: `voiceshop doctor`."""

from __future__ import annotations

import argparse
from pathlib import Path

from voiceshop.cli.common import default_db_path
from voiceshop.doctor import DoctorSettings, Status, format_finding, run_checks


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `doctor`."""
    doctor = commands.add_parser(
        "doctor",
        help="check the set-up: Python, packages, speech model, microphone, speech output, "
        "database, stores",
        description="Checks each part voiceshop needs and prints one line per finding: ok, "
        "note or problem, with how to fix it. Records one second from the input device and "
        "speaks a word into a temporary file; changes nothing. Exits 1 when there is a problem.",
    )
    doctor.add_argument("--db", type=Path, default=None, help="the database to check")
    doctor.add_argument("--user", default="default", help="whose default store to check")
    doctor.add_argument("--store", default=None, help="the store to check (default: the user's)")
    doctor.add_argument("--device", help="input device index or name part")
    doctor.add_argument("--asr", choices=("auto", "vosk", "whisper"), default="auto")
    doctor.add_argument("--model", type=Path, help="speech model folder")
    doctor.add_argument("--voice", help="speech engine voice id or name")
    doctor.add_argument("--rate", type=int, default=170, help="speaking rate, words per minute")
    doctor.set_defaults(run=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    settings = DoctorSettings(
        db_path=args.db or default_db_path(),
        user=args.user,
        store=args.store,
        asr=args.asr,
        model=args.model,
        device=args.device,
        voice=args.voice,
        rate=args.rate,
    )
    problems = 0
    for finding in run_checks(settings):
        print(format_finding(finding), flush=True)
        problems += finding.status is Status.PROBLEM
    print(f"\n{problems} problem{'s' if problems != 1 else ''} found." if problems else "\nAll ok.")
    return 1 if problems else 0
