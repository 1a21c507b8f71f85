"""Subprocess entry of Pyttsx3Speaker: one fresh pyttsx3 engine synthesises one reply, then exits.

    python _pyttsx3_worker.py FOLDER --rate WPM [--voice V] [--driver D]

Starts the engine, checks the voice and prints "ready"; then reads the reply from stdin, one
sentence per line, and writes each as FOLDER/part-NNN.wav, printing the file's path as soon as it
is complete, so the caller can play a sentence while the next is synthesised. It exits at the end
of stdin, with status 0; or 2 with a one-line reason and fix on stderr. Run as a script by path, it
imports nothing from voiceshop (nor numpy), so it starts in well under 0.1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

INSTALL_HINT = "sudo apt-get install espeak-ng"
READY = "ready"


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    protocol = sys.stdout
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        return _run(args, protocol)  # quiet: pyttsx3's espeak driver prints "Audio saved to ..."


def _run(args: argparse.Namespace, protocol: TextIO) -> int:
    try:
        import pyttsx3

        engine = pyttsx3.init(driverName=args.driver)
    except ModuleNotFoundError as err:
        if err.name == "pyttsx3":
            return _fail(
                f"spoken replies need the tts extra ({err}): pip install 'voiceshop[tts]' "
                f"(and {INSTALL_HINT})"
            )
        return _fail(f"pyttsx3 has no driver {args.driver!r} ({err})")
    except Exception as err:  # pyttsx3 raises RuntimeError, OSError, ImportError, ...
        return _fail(f"{type(err).__name__}: {err}: {INSTALL_HINT}")
    if args.voice and not has_voice(engine, args.voice):
        return _fail(f"voice {args.voice!r} is not installed: `espeak-ng --voices=en` lists them")
    engine.setProperty("rate", args.rate)
    if args.voice:
        engine.setProperty("voice", args.voice)
    _say(protocol, READY)
    return _synthesise_lines(engine, sys.stdin, args.folder, protocol)


def _synthesise_lines(engine: Any, lines: TextIO, folder: Path, protocol: TextIO) -> int:
    """Each non-empty line of `lines` as the next part-NNN.wav in `folder`, announced when done."""
    finished = threading.Event()

    def on_finished(**_: object) -> None:
        finished.set()

    engine.connect("finished-utterance", on_finished)
    sentences = (line.strip() for line in lines)
    for number, sentence in enumerate(filter(None, sentences), 1):
        path = folder / f"part-{number:03d}.wav"
        finished.clear()
        if not _save(engine, sentence, path, finished):
            return _fail(f"pyttsx3 wrote no audio to {path}")
        _say(protocol, str(path))
    return 0


def _save(engine: Any, text: str, path: Path, finished: threading.Event) -> bool:
    """Write `text` as speech to `path`; whether the file was written.

    pyttsx3 2.99's espeak driver returns from runAndWait as soon as its queued endLoop runs,
    often before espeak has finished (for a reply of several sentences, usually: the file is
    not there yet). The driver writes the WAV and then fires "finished-utterance",
    so that event, not runAndWait, marks the end. The caller's timeout covers a hang here.
    """
    engine.save_to_file(text, str(path))
    engine.runAndWait()
    finished.wait()
    return path.is_file()


def has_voice(engine: Any, wanted: str) -> bool:
    """Whether pyttsx3 knows `wanted` by id, last id part or name ("+variant" ignored).

    pyttsx3 silently keeps the default voice for an unknown name, so it is checked here.
    """
    base = wanted.split("+")[0].lower()
    for voice in engine.getProperty("voices"):
        voice_id = voice.id.lower()
        if base in {voice_id, voice_id.rsplit("/", 1)[-1], voice.name.lower()}:
            return True
    return False


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="_pyttsx3_worker.py")
    parser.add_argument("folder", type=Path, help="folder for the part-NNN.wav files")
    parser.add_argument("--rate", type=int, required=True, help="words per minute")
    parser.add_argument("--voice", help="voice id or name")
    parser.add_argument("--driver", help="pyttsx3 driver (default: the platform's)")
    return parser.parse_args(argv)


def _say(protocol: TextIO, line: str) -> None:
    print(line, file=protocol, flush=True)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter shutdown: espeak's own thread may still be returning from its last
    # callback into Python, and finalising under it can segfault.
    os._exit(status)
