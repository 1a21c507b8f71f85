"""Barge-in offline: the agent's replies and people speaking over them, mixed in numpy and run
through the voice loop on the audio's own clock (no sound device, no real time).

    PYTHONPATH=. .venv/bin/python -m benchmarks.barge_in_offline [--interruptions N] [--replies N]
        [--preroll S ...] [--tuned-only] [--no-tune] [--split tune|check] [--lever NAME ...]

Each trial (`support.barge_in_mix`) is one reply (espeak-ng through `Pyttsx3Speaker.synthesize`,
as `listen --barge-in` makes it) reaching the microphone through a simulated room; in an
interruption trial a speech fixture (scripts/fixtures.yaml: several voices, speeds and noise
levels) starts during the reply. `VoiceLoop` runs in barge-in mode exactly as at the microphone,
with the Whisper recognizer.

Trials are split into tune and check halves by `SPLIT_SEED`: the speech fixtures by name, the
uninterrupted replies by number. The detector's thresholds are chosen on tune from the frames the
loop's detector saw (replayed for each candidate: before the reply stops, the audio does not
depend on the thresholds) and then the whole loop is run again with them on both halves. With
`--preroll`, the pre-roll (audio from before the detection that the recognizer gets) is then chosen
on tune among the given lengths, by interruptions understood (the shortest of equals), running the
tune interruptions through the whole loop with each. `--lever` adds rows for named changes of the
default (`LEVERS`); `--split tune` runs the tune half only (choosing levers looks at nothing else).

"Understood" counts an interruption whose words come out right (word error rate <= 0.25 in
voiceshop's normal form). "Same request" also counts one heard as the request that was said: the
intent parser (the bundled grocery store's) reads both to the same intent with the same items,
counts, units and options ("take the spaghetti out" heard as "Take this spaghetti out.").
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

from benchmarks.barge_in import REPLIES
from support.barge_in_mix import (
    BLOCK,
    NEVER,
    Deaf,
    Outcome,
    Reader,
    Utterance,
    grocery_reader,
    make_trials,
    onset,
    replayed,
    run_trial,
    same_request,
    score,
)
from support.stats import word_error_rate, words
from voiceshop.audio.echo import BargeInSettings
from voiceshop.audio.linear_echo import LinearEchoSettings
from voiceshop.audio.types import ENGINE_RATE, Chunk
from voiceshop.language import load_language
from voiceshop.recognizer.base import Recognizer, Transcript

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "scripts" / "fixtures.yaml"
FIXTURE_SETS = ("tests", "answers", "codes", "barge_in")
OTHER_SOUNDS = {"cough_before", "background_before"}
"""Fixtures with another sound before the speech: left out (its start is not the person's)."""
MAX_FALSE_PER_50 = 1.0
MAIN_THRESHOLDS: dict[str, float | None] = {
    "echo_margin_db": 10.0,
    "linear_margin_db": None,
    "preroll_s": 0.5,
}
"""The detector's numbers before they were chosen on this benchmark's tune half."""
WHOLE_PATH = LinearEchoSettings(length_s=0.5, proportionate=None, bulk_delay=False)
"""The linear filter before bargein6: 0.5 s from the reference's own time, a uniform step."""
MAIN_DEFAULT: dict[str, object] = {"linear_echo": WHOLE_PATH}
"""The default before bargein6 (main at its start)."""
FIXED_PREROLL: dict[str, object] = {
    **MAIN_DEFAULT,
    **MAIN_THRESHOLDS,
    "preroll_most_s": 0.5,
    "settle_s": 0.0,
}
"""The previous default: a fixed 0.5 s pre-roll (not reaching back to the person's onset), and
deciding from each reply's first frame on."""
BASELINE: dict[str, object] = {**FIXED_PREROLL, "realign_linear": False}
"""Barge-in as it was before the linear filter followed the echo between replies."""


LEVERS: dict[str, dict[str, object]] = {
    "linear filter 0.5 s from the reference's time": {"linear_echo": WHOLE_PATH},
    "linear filter 0.25 s from the reference's time": {
        "linear_echo": replace(WHOLE_PATH, length_s=0.25)
    },
    "linear filter 0.35 s from the reference's time": {
        "linear_echo": replace(WHOLE_PATH, length_s=0.35)
    },
    "linear filter 0.5 s, step 1.0": {"linear_echo": replace(WHOLE_PATH, step=1.0)},
    "linear filter 0.25 s at the echo's delay, uniform step": {
        "linear_echo": LinearEchoSettings(proportionate=None)
    },
}
"""Changes of the default tried with `--lever` (the linear echo filter's shape)."""


def utterances(fixtures: Path = FIXTURES, sets: Sequence[str] = FIXTURE_SETS) -> list[Utterance]:
    """The mono 16 kHz speech fixtures of `sets` that exist, with what they say."""
    from support.accuracy_audio import read_mono

    spec = yaml.safe_load(fixtures.read_text(encoding="utf-8"))
    found = []
    for name in sets:
        folder = ROOT / spec["sets"][name]["dir"]
        for entry in spec["sets"][name]["files"]:
            entry = {**spec["defaults"], **entry}
            path = folder / entry["name"]
            if not path.exists() or set(entry) & OTHER_SOUNDS or entry.get("channels", 1) != 1:
                continue
            samples, rate = read_mono(path)
            if rate != ENGINE_RATE:
                continue
            pcm = (samples * 32768).astype(np.int16)
            start = onset(pcm, float(entry["lead_s"]))
            found.append(Utterance(f"{name}/{entry['name']}", str(entry["text"]), pcm, start))
    return found


def synthesized_replies(texts: Sequence[str] = REPLIES) -> list[np.ndarray]:
    """Each reply as `listen --barge-in` would play it, at 16 kHz."""
    import soxr

    from voiceshop.speaker.pyttsx3_speaker import Pyttsx3Speaker, SpeakerSettings

    speaker = Pyttsx3Speaker(SpeakerSettings(echo=False, play=False))
    try:
        sounds = [speaker.synthesize(text) for text in texts]
    finally:
        speaker.close()
    out = []
    for sound in sounds:
        assert sound is not None
        samples = soxr.resample(sound.samples, sound.rate, ENGINE_RATE)
        out.append(np.asarray(samples, dtype=np.int16))
    return out


CANDIDATES: dict[str, tuple[float | None, ...]] = {
    "speech_dbfs": (-50.0, -45.0, -40.0, -35.0),
    "echo_margin_db": (6.0, 10.0, 15.0, 40.0),
    "min_speech_s": (0.05, 0.08, 0.12),
    "linear_margin_db": (None, 6.0, 10.0, 15.0),
    "linear_veto_db": (None, 0.0, 3.0, 6.0),
}


LINEAR_CANDIDATES: dict[str, tuple[float | None, ...]] = {
    "echo_margin_db": (6.0, 10.0, 15.0),
    "linear_margin_db": (None, 6.0, 10.0, 15.0),
    "linear_veto_db": (None, 0.0, 3.0),
}
"""A smaller grid (`--linear-grid`): the detector's use of the linear filter's output."""


def tune(
    outcomes: Sequence[Outcome],
    base: BargeInSettings,
    candidates: dict[str, tuple[float | None, ...]] = CANDIDATES,
) -> BargeInSettings:
    """The candidate with the most interruptions detected among those with at most
    MAX_FALSE_PER_50 false stops (fewest false stops if none has), then the fewest false stops,
    then the fastest."""
    best: tuple[float, ...] | None = None
    chosen = base
    names = list(candidates)
    for values in itertools.product(*(candidates[n] for n in names)):
        settings = replace(base, **dict(zip(names, values, strict=True)))
        result = score(replayed(outcomes, settings))
        over = max(0.0, result.false_per_50 - MAX_FALSE_PER_50)
        median = statistics.median(result.stop_ms) if result.stop_ms else 1e9
        key = (-over, result.detected, -result.false_stops, -median)
        if best is None or key > best:
            best, chosen = key, settings
    return chosen


def tune_preroll(
    heard: Sequence[Outcome],
    replies: Sequence[np.ndarray],
    settings: BargeInSettings,
    lengths: Sequence[float],
    recognizer: Recognizer,
) -> BargeInSettings:
    """`settings` with the pre-roll of `lengths` under which the most of `heard`'s interruptions
    are understood (the shortest of equals)."""
    best: tuple[int, float] | None = None
    for length in sorted(lengths):
        candidate = replace(settings, preroll_s=length)
        outcomes = [
            run_trial(o.trial, replies, candidate, recognizer) for o in heard if o.trial.person
        ]
        understood = score(outcomes).understood
        print(f"  pre-roll {length} s: {understood}/{len(outcomes)} understood on tune", flush=True)
        if best is None or understood > best[0]:
            best = (understood, length)
    return settings if best is None else replace(settings, preroll_s=best[1])


def understood_alone(
    people: Sequence[Utterance], recognizer: Recognizer, read: Reader
) -> tuple[list[bool], list[bool]]:
    """Whether the recognizer understands each fixture with no reply playing (its ceiling), by
    words and by words or request."""
    understood = []
    same = []
    for person in people:
        heard: Transcript | None = None
        for start in range(0, len(person.samples), BLOCK):
            chunk = Chunk(person.samples[start : start + BLOCK].tobytes())
            heard = heard or recognizer.feed(chunk)
        heard = heard or recognizer.flush()
        recognizer.reset()
        text = heard.text if heard is not None else ""
        understood.append(bool(text) and word_error_rate(words(person.text), words(text)) <= 0.25)
        same.append(understood[-1] or same_request(person.text, text, read))
    return understood, same


def load_recognizer() -> Recognizer:
    """Whisper with the bundled grocery store's vocabulary, as `listen --store grocery`."""
    from voiceshop.dialog.assistant import Assistant
    from voiceshop.recognizer import RecognizerSettings
    from voiceshop.recognizer import load_recognizer as load
    from voiceshop.retuning import vocabulary_for
    from voiceshop.storage.database import ShopDatabase

    folder = Path(tempfile.mkdtemp(prefix="barge-in-"))
    db = ShopDatabase(folder / "shop.db")
    return load(
        RecognizerSettings(asr="whisper"), vocabulary_for(Assistant(db, "bench", "grocery"))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interruptions", type=int, default=96)
    parser.add_argument("--replies", type=int, default=100, help="replies nobody interrupts")
    parser.add_argument(
        "--preroll", type=float, nargs="+", default=[], help="pre-roll lengths to choose from"
    )
    parser.add_argument(
        "--tuned-only", action="store_true", help="only the tuned row (no baseline or default)"
    )
    parser.add_argument(
        "--no-tune", action="store_true", help="no thresholds chosen on tune (no tuned row)"
    )
    parser.add_argument(
        "--no-baselines", action="store_true", help="no baseline or previous-default rows"
    )
    parser.add_argument("--base", choices=list(LEVERS), help="a lever in the default row")
    parser.add_argument(
        "--extra-quiet",
        type=int,
        default=0,
        help="replies nobody interrupts in rooms of --extra-seed, added to tune's for choosing",
    )
    parser.add_argument("--extra-seed", type=int, default=19)
    parser.add_argument("--linear-grid", action="store_true", help="choose on LINEAR_CANDIDATES")
    parser.add_argument("--split", choices=SPLITS, nargs="+", default=list(SPLITS))
    parser.add_argument("--lever", choices=list(LEVERS), nargs="+", default=[])
    args = parser.parse_args(argv)
    splits = tuple(args.split)
    people = utterances()
    replies = synthesized_replies()
    trials = make_trials(people, replies, args.interruptions, args.replies)
    base = BargeInSettings(enabled=True, stop_words=load_language("en").stop_words)
    if args.base:
        base = replace(base, **LEVERS[args.base])  # type: ignore[arg-type]
        print(f"default with {args.base}")
    extra = make_trials(people, replies, 0, args.extra_quiet, seed=args.extra_seed)
    trials += [replace(t, number=len(trials) + t.number, split="extra") for t in extra]
    print(f"{len(people)} speech fixtures, {len(replies)} replies, {len(trials)} trials")
    never = replace(NEVER, linear_echo=base.linear_echo)
    heard = [run_trial(t, replies, never, Deaf()) for t in trials if t.split in (*splits, "extra")]
    extra_heard = [o for o in heard if o.trial.split == "extra"]
    heard = [o for o in heard if o.trial.split != "extra"]
    tuned = base
    if not args.no_tune:
        grid = LINEAR_CANDIDATES if args.linear_grid else CANDIDATES
        tuned = tune([o for o in heard if o.trial.split == "tune"] + extra_heard, base, grid)
        for name, chosen in (("default", base), ("chosen", tuned)):
            counted = score(replayed([o for o in heard if o.trial.split == "tune"], chosen))
            more = score(replayed(extra_heard, chosen))
            print(
                f"{name} on tune: {counted.detected}/{counted.interruptions} detected, "
                f"{counted.false_stops}/{counted.quiet} false stops, "
                f"{more.false_stops}/{more.quiet} in the extra rooms",
                flush=True,
            )
        print(f"chosen on tune: {_changed(base, tuned)}", flush=True)
    recognizer, read = load_recognizer(), grocery_reader()
    if args.preroll:
        tune_heard = [o for o in heard if o.trial.split == "tune"]
        tuned = tune_preroll(tune_heard, replies, tuned, args.preroll, recognizer)
        print(f"pre-roll chosen on tune: {tuned.preroll_s} s", flush=True)
    for split in splits:
        names = {o.trial.person.name for o in heard if o.trial.person and o.trial.split == split}
        fixtures = [p for p in people if p.name in names]
        alone, same = understood_alone(fixtures, recognizer, read)
        ceiling = _ceiling(heard, split, fixtures, alone)
        ceiling_same = _ceiling(heard, split, fixtures, same)
        print(
            f"{split}: {sum(alone)}/{len(alone)} fixtures understood with no reply playing, "
            f"{sum(same)}/{len(same)} understood or the same request; so at most "
            f"{ceiling} and {ceiling_same} interruptions",
            flush=True,
        )
    variants = [
        ("baseline: main before bargein4 (taps kept, its thresholds)", replace(base, **BASELINE)),
        (
            "bargein4's default: realigned taps, fixed 0.5 s pre-roll",
            replace(base, **FIXED_PREROLL),
        ),
        ("previous default (main): 0.5 s linear filter", replace(base, **MAIN_DEFAULT)),
        ("default: 0.25 s linear filter at the echo's delay, proportionate", base),
    ]
    if args.no_baselines:
        variants = variants[3:]
    if args.tuned_only:
        variants = []
    if tuned != base:
        variants.append((f"tuned on tune: {_changed(base, tuned)}", tuned))
    variants += [(name, replace(base, **LEVERS[name])) for name in args.lever]  # type: ignore[arg-type]
    # a row with the settings of an earlier one (the default may be main's numbers) runs once
    variants = [
        (n, v) for i, (n, v) in enumerate(variants) if v not in [w for _, w in variants[:i]]
    ]
    print(
        "\n| split, variant | detected | understood | understood or same request "
        "| false stops (per 50) | stop ms median / p90 |\n|---|---|---|---|---|---|"
    )
    for split in splits:
        print(HALF_DUPLEX_ROW.format(split=split))
    unsettled = replace(base, settle_s=0.0)
    for split in splits:
        some = [o for o in heard if o.trial.split == split]
        print(
            score(replayed(some, unsettled)).row(
                f"{split}, default without settle_s (replayed: stops only)", heard=False
            )
        )
    for name, settings in variants:
        for split in splits:
            some = [o for o in heard if o.trial.split == split]
            row = _evaluate(f"{split}, {name}", some, replies, settings, recognizer, read)
            print(row, flush=True)
    return 0


SPLITS = ("tune", "check")
HALF_DUPLEX_ROW = (
    "| {split}, half-duplex (microphone muted while the reply plays) | 0 | 0 | 0 | 0 | - |"
)
"""Half-duplex by construction: no reply is stopped and nothing said over one is heard."""


def _evaluate(
    name: str,
    heard: Sequence[Outcome],
    replies: Sequence[np.ndarray],
    settings: BargeInSettings,
    recognizer: Recognizer,
    read: Reader,
) -> str:
    """The table row of `settings`: interruptions run through the whole loop; replies nobody
    interrupted replayed from the frames their detector saw (exact: the recognizer only hears
    after a stop). Misses are printed for the tune half only (check failures are not read)."""
    outcomes = [
        run_trial(o.trial, replies, settings, recognizer) if o.trial.person else o
        for o in replayed(heard, settings)
    ]
    for outcome in outcomes:
        if outcome.trial.split == "tune" and outcome.trial.person and not outcome.understood:
            print(f"    {name}: {_missed(outcome)}", flush=True)
    return score(outcomes, read).row(name)


def _ceiling(
    heard: Sequence[Outcome], split: str, fixtures: Sequence[Utterance], alone: Sequence[bool]
) -> str:
    """How many of `split`'s interruptions say a fixture the recognizer understands alone."""
    ok = {person.name for person, good in zip(fixtures, alone, strict=True) if good}
    people = [o.trial.person.name for o in heard if o.trial.person and o.trial.split == split]
    return f"{sum(name in ok for name in people)}/{len(people)}"


def _missed(outcome: Outcome) -> str:
    trial = outcome.trial
    assert trial.person is not None
    room = trial.room
    return (
        f"{trial.person.name} at {trial.person_db:+.0f} dB over echo {room.echo_db:+.0f} dB, "
        f"{room.delay_ms:.0f} ms: detected={outcome.detected} heard={outcome.heard!r}"
    )


def _changed(base: BargeInSettings, tuned: BargeInSettings) -> str:
    changes = [
        f"{name}={getattr(tuned, name)}"
        for name in (*CANDIDATES, "preroll_s")
        if getattr(tuned, name) != getattr(base, name)
    ]
    return ", ".join(changes) or "the defaults"


if __name__ == "__main__":
    raise SystemExit(main())
