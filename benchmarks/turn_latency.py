"""Turn latency and accuracy: from the end of speech to the first audio of the reply, stage by
stage, and what the transcripts and orders came out as, beside the baseline (turn_pipelines.py).

Turns: the bundled demo conversation (7 turns at the grocery store) and real coffee orders from
../shared/data/speech/coffee-dev, replayed through the voice loop at a microphone's pace
(turn_replay.py); accuracy over every coffee recording, replayed as fast as the loop takes them
(the same transcripts: every decision is made on the audio).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from benchmarks.turn_material import (
    PAUSES_S,
    Turn,
    coffee_turns,
    demo_turns,
    paused_turns,
)
from benchmarks.turn_pipelines import (
    BASELINE,
    LOOKAHEAD,
    ONE_PIECE,
    OURS,
    PATIENT,
    WINDOW_15S,
    Variant,
    build,
)
from benchmarks.turn_replay import CHUNK_S, FirstSoundPlayer, Pipeline, TurnResult, replay
from support.accuracy_coffee import labelled_slots
from support.report import BenchmarkRun, Figures, Row, Section, Target
from voiceshop.dialog.assistant import Assistant
from voiceshop.language import Normalizer, load_language
from voiceshop.speaker import Pyttsx3Speaker, SpeakerSettings
from voiceshop.storage.database import ShopDatabase

LATENCY_COFFEE_TURNS = 4
SPEAKER_GAP_S = 0.3
"""Between replies in the speaker figures: less than any turn leaves it (the person speaks)."""
TOTAL = "speech end → first audio"
STAGES = (
    ("speech end → endpoint", "speech end → endpoint decided"),
    ("endpoint → transcript", "endpoint → final transcript"),
    ("transcript → reply text", "final transcript → reply text (intent, match, dialog)"),
    ("reply text → first audio", "reply text → first reply audio"),
)
"""(stage key, row name) in turn order."""
TURN_TARGETS = (Target("median", True, 500.0), Target("p95", True, 900.0))
RTF_TARGET = (Target("median", True, 0.25),)
NOT_WORSE = (Target("median", False),)
AT_THE_ENDPOINT = Variant("read at the endpoint", WINDOW_15S.interim, False, ONE_PIECE)
"""The recognizer before interim.py: the same decoder as ours, reading at the endpoint."""


def turn_latency(run: BenchmarkRun) -> Section:
    """End of speech to first reply audio, by stage: ours and the baseline, then each lever."""
    turns = demo_turns() + coffee_turns(_coffee_dev(run), LATENCY_COFFEE_TURNS)
    passes = {BASELINE: run.repeats, OURS: run.repeats, WINDOW_15S: 1, LOOKAHEAD: 1, PATIENT: 1}
    results = _paced_passes(turns, passes)
    ours, baseline = results[OURS], results[BASELINE]
    rows = [_stage_row(f"turn: {TOTAL}", TOTAL, ours, baseline, TURN_TARGETS)]
    rows += [
        _stage_row(
            f"turn: {TOTAL}, {store} turns only",
            TOTAL,
            [r for r in ours if r.turn.store == store],
            [r for r in baseline if r.turn.store == store],
        )
        for store in sorted({turn.store for turn in turns})
    ]
    rows += [_stage_row(f"turn stage: {name}", key, ours, baseline) for key, name in STAGES]
    rows += [
        _stage_row(f"turn lever: {variant.name}: {TOTAL}", TOTAL, results[variant], baseline)
        for variant in (WINDOW_15S, LOOKAHEAD, PATIENT)
    ]
    rows.append(
        Row(
            "recognizer real-time factor (its work ÷ audio fed)",
            "",
            Figures.of([r.recognizer_seconds / r.audio_seconds for r in ours]),
            Figures.of([r.recognizer_seconds / r.audio_seconds for r in baseline]),
            RTF_TARGET,
        )
    )
    rows.append(
        Row(
            "partial transcripts shown while speaking, per turn",
            "",
            Figures.of([r.partials for r in ours]),
            Figures.of([r.partials for r in baseline]),
        )
    )
    return Section(rows, _latency_notes(run, turns))


def turn_accuracy(run: BenchmarkRun) -> Section:
    """Every coffee order, and requests with a pause inside, beside the baseline."""
    coffee = coffee_turns(_coffee_dev(run))
    baseline = _replayed(BASELINE, coffee)
    at_endpoint = _replayed(AT_THE_ENDPOINT, coffee)
    ours = _replayed(_without_drafts(OURS), coffee)
    patient = _replayed(_without_drafts(PATIENT), coffee)
    normalize = Normalizer(load_language()).normalize

    def slots_heard(results: Sequence[TurnResult]) -> float:
        return _slots_heard(results, normalize)

    orders = f"coffee orders understood exactly ({len(coffee)} recordings"
    slots = f"labelled coffee slots heard in the transcript ({len(coffee)} recordings"
    rows = [
        _score_row(f"{orders}; baseline: stock transcribe)", _orders_understood, ours, baseline),
        _score_row(
            f"{orders}; baseline: {AT_THE_ENDPOINT.name})", _orders_understood, ours, at_endpoint
        ),
        _score_row(
            f"{orders}, {PATIENT.name}; baseline: {AT_THE_ENDPOINT.name})",
            _orders_understood,
            patient,
            at_endpoint,
        ),
        _score_row(f"{slots}; baseline: stock transcribe)", slots_heard, ours, baseline),
        _score_row(f"{slots}; baseline: {AT_THE_ENDPOINT.name})", slots_heard, ours, at_endpoint),
    ]
    return Section(rows + _pause_rows(normalize), _accuracy_notes(len(coffee)))


def speech_output(run: BenchmarkRun) -> Section:
    """Reply text to first audio for the speaker alone: one piece, prewarmed, by sentence."""
    replies = _demo_replies(run)
    one_piece = _first_audio_delays(ONE_PIECE, replies, run.repeats)
    prewarmed = _first_audio_delays(SpeakerSettings(by_sentence=False), replies, run.repeats)
    by_sentence = _first_audio_delays(SpeakerSettings(), replies, run.repeats)
    return Section(
        [
            Row(
                "speaker: reply text → first audio, prewarmed, by sentence",
                "ms",
                by_sentence,
                one_piece,
            ),
            Row(
                "speaker: reply text → first audio, prewarmed, one piece",
                "ms",
                prewarmed,
                one_piece,
            ),
        ],
        [
            f"Speaker: `Pyttsx3Speaker.say` of the {len(replies)} replies of the demo "
            f"conversation, {run.repeats} times each and {SPEAKER_GAP_S:g} s apart, from the "
            "call to the first sentence's "
            "samples reaching the player (FirstSoundPlayer, no device). Baseline: one engine "
            "process started per reply, the reply synthesised in one piece; prewarmed: the "
            "reply's process was started while the previous reply played.",
        ],
    )


def _paced_passes(
    turns: Sequence[Turn], passes: dict[Variant, int]
) -> dict[Variant, list[TurnResult]]:
    """Each variant's passes over the turns at a microphone's pace, interleaved so that the
    machine's background load falls on all alike; each pipeline warmed up by one turn first."""
    with tempfile.TemporaryDirectory() as scratch, ShopDatabase(Path(scratch) / "t.db") as db:
        pipelines = {variant: build(variant, db) for variant in passes}
        for pipeline in pipelines.values():
            replay(pipeline, turns[:1], db, paced=False)
        results: dict[Variant, list[TurnResult]] = {variant: [] for variant in passes}
        for number in range(max(passes.values())):
            for variant, pipeline in pipelines.items():
                if number < passes[variant]:
                    _say(f"turn latency: {variant.name}, pass {number + 1} of {passes[variant]}")
                    results[variant] += replay(pipeline, turns, db, paced=True)
        _close(pipelines.values())
    return results


def _replayed(variant: Variant, turns: Sequence[Turn]) -> list[TurnResult]:
    """The turns replayed as fast as the loop takes them, each to a new shopper."""
    _say(f"turn accuracy: {variant.name}")
    with tempfile.TemporaryDirectory() as scratch, ShopDatabase(Path(scratch) / "t.db") as db:
        pipeline = build(variant, db)
        results = replay(pipeline, turns, db, paced=False)
        _close([pipeline])
    return results


def _pause_rows(normalize: Callable[[str], str]) -> list[Row]:
    """Paused requests whose first reply already heard the words after the pause, by pause
    length and by what came before it (an unfinished start, or a request), for a new person
    and for one who paused as long before; ours, and with open requests ended after 0.5 s."""
    turns = paused_turns()
    if not turns:
        return []
    results = {variant: _replayed(variant, turns) for variant in (OURS, BASELINE, PATIENT)}
    cases = [
        (seconds, request, habit, variant)
        for seconds in PAUSES_S
        for request, habit in ((False, False), (True, False), (True, True))
        for variant in (OURS, PATIENT)
        if variant is OURS or (request and not habit)
    ]
    return [
        _pause_row(turns, results, normalize, seconds, request, habit, variant)
        for seconds, request, habit, variant in cases
    ]


def _pause_row(
    turns: Sequence[Turn],
    results: dict[Variant, list[TurnResult]],
    normalize: Callable[[str], str],
    seconds: float,
    request: bool,
    habit: bool,
    variant: Variant,
) -> Row:
    chosen = [
        i
        for i, turn in enumerate(turns)
        if turn.pause_s == seconds
        and turn.request_before_pause == request
        and bool(turn.conversation) == habit
    ]
    start = "a request" if request else "an unfinished start"
    who = ", by a person who paused as long before" if habit else ""
    which = "" if variant is OURS else f", {variant.name}"
    return Row(
        f"requests paused {seconds:g} s after {start}{who}, kept whole{which} (of {len(chosen)})",
        "",
        Figures(sum(_kept_whole(results[variant][i], normalize) for i in chosen)),
        Figures(sum(_kept_whole(results[BASELINE][i], normalize) for i in chosen)),
        NOT_WORSE,
    )


def _score_row(
    name: str,
    score: Callable[[Sequence[TurnResult]], float],
    ours: Sequence[TurnResult],
    baseline: Sequence[TurnResult],
) -> Row:
    return Row(name, "%", Figures(score(ours)), Figures(score(baseline)), NOT_WORSE)


def _without_drafts(variant: Variant) -> Variant:
    """The variant without drafts, for the accuracy replays: drafts never change a final
    transcript."""
    assert variant.interim is not None
    return replace(variant, interim=replace(variant.interim, draft_every_seconds=None))


def _kept_whole(result: TurnResult, normalize: Callable[[str], str]) -> bool:
    """Whether the first utterance heard holds the words said after the pause."""
    first = normalize(result.heard[0][1].text) if result.heard else ""
    return f" {normalize(result.turn.after_pause)} " in f" {first} "


def _stage_row(
    name: str,
    stage: str,
    ours: Sequence[TurnResult],
    baseline: Sequence[TurnResult],
    targets: tuple[Target, ...] = (),
) -> Row:
    return Row(name, "ms", _stage_figures(ours, stage), _stage_figures(baseline, stage), targets)


def _stage_figures(results: Sequence[TurnResult], stage: str) -> Figures:
    stages = [r.stages() for r in results]
    return Figures.of([s[stage] for s in stages if s is not None], scale=1000)


def _orders_understood(results: Sequence[TurnResult]) -> float:
    """Percent of the recordings whose cart is exactly the labelled drink."""
    return 100 * statistics.mean(_order_slots(r) == r.turn.slots for r in results)


def _order_slots(result: TurnResult) -> dict[str, str] | None:
    """The one ordered drink as the recordings' slots (None unless exactly one)."""
    if len(result.cart) != 1:
        return None
    ((product_id, options),) = result.cart
    return labelled_slots(product_id.replace("-", " "), options)


def _slots_heard(results: Sequence[TurnResult], normalize: Callable[[str], str]) -> float:
    """Percent of the labelled slot values found, word for word, in the transcripts."""
    found = [
        f" {normalize(value)} " in f" {normalize(result.transcript)} "
        for result in results
        for value in (result.turn.slots or {}).values()
    ]
    return 100 * statistics.mean(found)


def _first_audio_delays(settings: SpeakerSettings, replies: Sequence[str], repeats: int) -> Figures:
    speaker = Pyttsx3Speaker(settings, player=FirstSoundPlayer())
    delays = []
    for reply in [*replies] * repeats:
        time.sleep(SPEAKER_GAP_S)
        started = time.monotonic()
        speaker.say(reply)
        assert speaker.first_audio_at is not None
        delays.append(speaker.first_audio_at - started)
    speaker.close()
    return Figures.of(delays, scale=1000)


def _demo_replies(run: BenchmarkRun) -> list[str]:
    """What the agent answers to the demo conversation, typed."""
    said = [
        "add two cartons of organic whole milk and a dozen eggs",
        "the large brown eggs",
        "add a loaf of sourdough bread",
        "remove the eggs",
        "what's in my cart",
        "check out",
        "yes",
    ]
    with tempfile.TemporaryDirectory() as scratch, ShopDatabase(Path(scratch) / "t.db") as db:
        assistant = Assistant(db, "demo", "grocery")
        return [assistant.respond(text).text for text in said]


def _latency_notes(run: BenchmarkRun, turns: Sequence[Turn]) -> list[str]:
    coffee = sum(turn.store == "coffee" for turn in turns)
    return [
        f"Turns: the {len(turns) - coffee} demo recordings as one conversation and {coffee} "
        "coffee-dev recordings spread over the set, each a new shopper; "
        f"{run.repeats} passes for ours and the baseline (interleaved), one per lever, after a "
        "warm-up turn. Audio is fed to the voice loop in "
        f"{CHUNK_S:g} s chunks, each when its last sample would have been captured.",
        "End of speech: the end of the recording's last 10 ms frame within 35 dB of its "
        "loudest and 10 dB above its floor (benchmarks/turn_material.py). Endpoint: when the "
        "recognizer decided the utterance had ended (for an early end, after its reading). "
        "First audio: when the first sentence's samples reached the player "
        "(FirstSoundPlayer, no sound card: the moment one would start playing them).",
        "Baseline: faster-whisper's `WhisperModel.transcribe` (30 s window, beam 5, the "
        "store's prompt) once the endpointer's 0.7 s of silence ended the utterance, and a "
        "reply synthesised in one piece by an engine process started when it came. "
        "Levers: the 15 s window decoder reading at the endpoint; + the final reading in the "
        "first 0.1 s pause (made up to the trailing silence) and greedy drafts every 0.8 s of "
        "speech; ours: + an early end once the reading is a request, 0.3 s into the pause for "
        'a closed one ("check out"), 0.35 s for one naming products, 0.5 s when a product '
        "added takes options that were not said (every coffee order that leaves one out), or "
        "0.15 s more than the longest pause inside the person's last 5 utterances "
        "(voiceshop/dialog/complete.py, voiceshop/recognizer/interim.py), + replies by "
        f"sentence from a prewarmed engine. Last lever: ours with {PATIENT.name}, as before "
        "the pause habit (see the pause rows for what each cuts off).",
        "Real-time factor: seconds spent in the recognizer's feed and flush (Silero VAD, "
        "drafts, readings) over the seconds of audio fed, per turn.",
    ]


def _accuracy_notes(recordings: int) -> list[str]:
    return [
        f"Accuracy: all {recordings} coffee-dev recordings, each a new shopper at the coffee "
        'store, replayed through the voice loop as fast as it takes them; a "Did you say '
        '...?" is answered yes. Understood exactly: the cart holds one drink whose every '
        "option equals the label. Slots heard: labelled values found word for word in the "
        "transcript. Ours without drafts (they never change a final transcript); baselines: "
        "the stock transcribe, and the same decoder as ours read at the endpoint (voiceshop "
        f"before interim.py). Ours with {PATIENT.name}: as before the pause habit.",
        "Pauses: requests spoken by Piper's en_US-joe voice with a pause inside of "
        f'{" or ".join(f"{p:g}" for p in PAUSES_S)} s (benchmarks/turn_material.py): "add two '
        '... apples", and three whose first part is already a request ("add a dozen eggs ... '
        'and two apples"). Kept whole: the first utterance heard holds the words after the '
        "pause (cut off, they would have been said while the agent answered, into a muted "
        'microphone). "By a person who paused as long before": the same person said "add two '
        '... apples" with the same pause first.',
    ]


def _coffee_dev(run: BenchmarkRun) -> Path:
    return run.shared / "speech" / "coffee-dev"


def _close(pipelines: Iterable[Pipeline]) -> None:
    for pipeline in pipelines:
        pipeline.speaker.close()


def _say(what: str) -> None:
    print(f"... {what}", file=sys.stderr, flush=True)
