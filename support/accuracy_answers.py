"""Short answers: "yes", "nope", "the second one", "seven", said while the agent waits for them.

Each answer of ANSWERS is synthesised by every voice of VOICES (Piper joe and espeak-ng at
several paces and pitches), clipped tight to one second as real one-word recordings are (the
word centred, `CLIP_S`), clean and with kitchen noise. The voices are split into a tune part and
a check part by `SPLIT_SEED` (`voice_splits`): a change is tuned on the one and must hold on the
other, said by voices it never heard.

Each utterance goes through the voice loop to an Assistant at the grocery store with the
answer's question open: the order read back for a yes or no, "Green Basket Large White Eggs or
Green Basket Large Brown Eggs?" for a choice. The dialog has no question of how many yet, so a
number is scored by the count its words read as. The recognizer hears it tuned to the store's
vocabulary (the baseline, as before the answers were listened for) or, through the voice loop's
`RetuningConversation`, to the answers of the open question (`intents.answers`), with and
without the closed-set pick among them (`WhisperSettings.pick_answers`), the pick at several
rejection margins (`WhisperSettings.answer_margin_nats`).

NON_ANSWERS are what people say at such a question that answers it not ("hang on", "what's the
total", "add bread too"): the closed-set pick must not force them onto an answer. They are
halved into tune and check by `NON_ANSWER_SEED`, and each half is said by its part's voices.
"""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import numpy as np

from support.accuracy_audio import RATE, Voice, noisy_copies, write_mono
from support.accuracy_coffee import KITCHEN_NOISE, Latencies
from support.replay import replay_turn
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.conversation import Conversation
from voiceshop.intents.answers import OpenQuestion, Question, answer_vocabulary
from voiceshop.intents.parser import IntentParser
from voiceshop.language import Normalizer, load_language
from voiceshop.recognizer import RecognizerSettings, load_recognizer
from voiceshop.recognizer.base import Recognizer
from voiceshop.rescoring.reading_policy import ANSWER_MARGIN_NATS
from voiceshop.retuning import RetuningConversation, vocabulary_for
from voiceshop.storage.database import ShopDatabase

STORE = "grocery"
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
CLIP_S = 1.0
"""Each answer's length: the word centred in a one-second clip, as in public one-word sets."""
MIN_PAUSE_S = 0.05
"""Silence kept at least before and after an answer too long for the clip."""
SPLIT_SEED = 1414
"""Shuffles VOICES before they are halved into tune and check (`voice_splits`)."""
NON_ANSWER_SEED = 1418
"""Shuffles each question's NON_ANSWERS before they are halved into tune and check."""


class Split(StrEnum):
    """Which part of the set a voice belongs to."""

    TUNE = "tune"
    CHECK = "check"


class Verdict(StrEnum):
    """How the dialog took an answer."""

    UNDERSTOOD = "understood"
    MISTAKEN = "taken as another answer"
    NOT_UNDERSTOOD = "not understood"


class Variant(StrEnum):
    """What the recognizer listens for while the question is open."""

    BASELINE = "baseline: store vocabulary"
    NO_PICK = "answers of the open question, no closed-set pick"
    ANSWERS = "answers of the open question"


@dataclass(frozen=True)
class ShortAnswer:
    """One answer and what it means to the question it answers."""

    text: str
    question: Question
    intent: str = ""
    """CONFIRM: the parser's intent for it."""
    picks: str = ""
    """CHOOSE: the id of the product it picks."""
    count: int = 0
    """COUNT: the number it says."""
    is_answer: bool = True
    """False for something said at the question that answers it not (NON_ANSWERS)."""


def _confirm(text: str, intent: str) -> ShortAnswer:
    return ShortAnswer(text, Question.CONFIRM, intent=intent)


def _choose(text: str, product_id: str) -> ShortAnswer:
    return ShortAnswer(text, Question.CHOOSE, picks=product_id)


_NUMBERS = Normalizer(load_language()).numbers
WHITE_EGGS, BROWN_EGGS = "large-white-eggs", "large-brown-eggs"
CHOICES = frozenset({WHITE_EGGS, BROWN_EGGS})
"""The products the choice question offers."""
ANSWERS: tuple[ShortAnswer, ...] = (
    _confirm("yes", "Yes"),
    _confirm("no", "No"),
    _confirm("yeah", "Yes"),
    _confirm("nope", "No"),
    _confirm("yep", "Yes"),
    _confirm("undo", "Undo"),
    _confirm("cancel", "Cancel"),
    _confirm("stop", "Cancel"),
    _confirm("sure", "Yes"),
    _confirm("no thanks", "No"),
    _confirm("go ahead", "Yes"),
    _choose("the first one", WHITE_EGGS),
    _choose("the second one", BROWN_EGGS),
    _choose("the brown ones", BROWN_EGGS),
    *(ShortAnswer(_NUMBERS.to_words(n), Question.COUNT, count=n) for n in range(1, 13)),
)
NON_ANSWERS: tuple[ShortAnswer, ...] = tuple(
    ShortAnswer(text, question, is_answer=False)
    for question, texts in {
        Question.CONFIRM: (
            "what's the total",
            "how much is it",
            "just a minute",
            "add bread too",
            "what's in my cart",
            "remove the milk",
            "how much do i owe",
            "say that again",
            "add some apples",
            "let me think",
            "one moment",
            "what did i order",
        ),
        Question.CHOOSE: (
            "which one is cheaper",
            "how much are they",
            "let me think",
            "add bread too",
            "what's the difference",
            "what's in my cart",
            "just a minute",
            "how much is it",
        ),
        Question.COUNT: ("how much is it", "let me think", "add bread too", "what's the total"),
    }.items()
    for text in texts
)
"""What people say at a yes/no question, a choice or a question of how many that answers it not:
questions about the order, pauses, other requests. ("Hang on" and "hold on" are left out: the
parser reads them as "no", which answers a yes/no question.)"""
QUESTIONS: dict[Question, tuple[str, ...]] = {
    Question.CONFIRM: ("add a loaf of sourdough bread", "check out"),
    Question.CHOOSE: ("add a dozen large eggs",),
    Question.COUNT: (),
}
"""What is said to open each kind of question (none for COUNT: the dialog asks no how many)."""
VOICES: tuple[Voice, ...] = (
    Voice("espeak:en-us"),
    Voice("espeak:en-us", 1.25, 35),
    Voice("espeak:en-gb-x-rp", 0.9, 45),
    Voice("piper:joe"),
    Voice("piper:joe", 0.85),
    Voice("espeak:en-us+f3", 1.0, 70),
    Voice("espeak:en-us+f3", 1.2, 55),
    Voice("espeak:en-us+m3", 0.8, 30),
)
"""The set's voices: Piper joe and espeak-ng voices at several paces and pitches."""


def voice_splits(voices: Sequence[Voice] = VOICES) -> dict[Voice, Split]:
    """Each voice's part: the voice names ("piper:joe", "espeak:en-us+f3") shuffled by
    SPLIT_SEED, those of the first half tune, the rest check; a name's every pace and pitch
    are in the same part, so the check part is said by speakers never tuned on."""
    names = sorted({v.name for v in voices})
    random.Random(SPLIT_SEED).shuffle(names)
    tune = set(names[: len(names) // 2])
    return {v: Split.TUNE if v.name in tune else Split.CHECK for v in voices}


@dataclass(frozen=True)
class AnswerUtterance:
    """One answer said by one voice, clean or in noise."""

    answer: ShortAnswer
    voice: Voice
    split: Split
    condition: str
    path: Path


@dataclass
class AnswerScore(Latencies):
    """Results over one split, condition and variant."""

    split: Split
    condition: str
    variant: Variant
    margin: float
    """The closed-set pick's rejection margin (nats; the ANSWERS variant's)."""
    is_answer: bool = True
    """Answers, or NON_ANSWERS."""
    total: int = 0
    understood: int = 0
    """Answers taken as meant; non-answers not taken as any answer."""
    mistaken: int = 0
    """Taken as another answer: worse than not understood (a "yes" that was a "cancel"); for
    non-answers, taken as an answer."""
    empty: int = 0
    seconds: list[float] = field(default_factory=list)
    said: Counter[str] = field(default_factory=Counter)
    """Answers said, by voice label."""
    understood_by_voice: Counter[str] = field(default_factory=Counter)

    @property
    def share(self) -> float:
        return self.understood / self.total if self.total else 0.0

    @property
    def listens_for(self) -> str:
        """The variant, with its margin where the closed-set pick runs."""
        if self.variant is Variant.ANSWERS:
            return f"{self.variant}, margin {self.margin:g} nats"
        return str(self.variant)


def non_answer_splits(non_answers: Sequence[ShortAnswer] = NON_ANSWERS) -> dict[ShortAnswer, Split]:
    """Each non-answer's part: each question's non-answers shuffled by NON_ANSWER_SEED, the
    first half tune, the rest check."""
    splits = {}
    rng = random.Random(NON_ANSWER_SEED)
    for question in Question:
        said = [a for a in non_answers if a.question is question]
        rng.shuffle(said)
        splits |= {a: Split.TUNE if n < len(said) // 2 else Split.CHECK for n, a in enumerate(said)}
    return splits


def synthesize_answers(
    into: Path, voices: Sequence[Voice] = VOICES, non_answers: bool = False
) -> list[AnswerUtterance]:
    """Every answer by every available voice, as one-second WAV files in `into` (kept between
    runs); with `non_answers`, each non-answer by the voices of its part."""
    said_in = non_answer_splits() if non_answers else {a: None for a in ANSWERS}
    utterances = []
    for voice, split in voice_splits(voices).items():
        if not voice.available:
            continue
        slug = re.sub(r"[^\w.]+", "_", voice.label)
        for answer, part in said_in.items():
            if part not in (None, split):
                continue
            path = into / f"{slug}_{_file_name(answer)}.wav"
            if not path.is_file():
                write_mono(path, clipped(voice.say(answer.text, 0.0, 0.0)), RATE)
            utterances.append(AnswerUtterance(answer, voice, split, "clean", path))
    return utterances


def _file_name(answer: ShortAnswer) -> str:
    """ "the_second_one"; a non-answer's with its question first ("not_confirm_hang_on")."""
    words = re.sub(r"\W+", "_", answer.text)
    return words if answer.is_answer else f"not_{answer.question.value}_{words}"


def clipped(speech: np.ndarray) -> np.ndarray:
    """`speech` centred in CLIP_S seconds of audio, or with MIN_PAUSE_S either side if longer."""
    pad = max(round(CLIP_S * RATE) - len(speech), round(2 * MIN_PAUSE_S * RATE))
    return np.concatenate([np.zeros(pad // 2, np.float32), speech, np.zeros(pad - pad // 2)])


def noisy_answers(
    utterances: Sequence[AnswerUtterance], snr_db: float, seed: int, into: Path
) -> list[AnswerUtterance]:
    """The utterances with kitchen noise at `snr_db` (the coffee benchmark's rule)."""
    copies = noisy_copies([u.path for u in utterances], KITCHEN_NOISE, snr_db, seed, into)
    condition = f"{snr_db:g} dB"
    return [
        replace(u, condition=condition, path=copy)
        for u, copy in zip(utterances, copies, strict=True)
    ]


class AnswerListener:
    """Answers through the voice loop to an Assistant with the question open."""

    def __init__(
        self, db: ShopDatabase, settings: RecognizerSettings, margins: Sequence[float] = ()
    ) -> None:
        """`margins`: the closed-set pick's rejection margins the ANSWERS variant is heard
        with, besides that of `settings`."""
        self._db = db
        self._shoppers = itertools.count(1)
        assistant = Assistant(db, "listener", STORE)
        self._store_vocabulary = vocabulary_for(assistant)
        self.margin = settings.whisper.answer_margin_nats
        """The margin of `settings`: that of every variant but ANSWERS at other margins."""
        unpicked = replace(settings, whisper=replace(settings.whisper, pick_answers=False))
        self._recognizers: dict[tuple[Variant, float], Recognizer] = {
            (variant, self.margin): load_recognizer(
                unpicked if variant is Variant.NO_PICK else settings, self._store_vocabulary
            )
            for variant in Variant
        }
        for margin in set(margins) - {self.margin}:
            whisper = replace(settings.whisper, answer_margin_nats=margin)
            self._recognizers[Variant.ANSWERS, margin] = load_recognizer(
                replace(settings, whisper=whisper), self._store_vocabulary
            )

    def score(
        self,
        utterances: Sequence[AnswerUtterance],
        variant: Variant,
        on_miss: Callable[[str], None] | None = None,
        margin: float | None = None,
    ) -> list[AnswerScore]:
        """One score per split, condition and set (answers or not), in the order they first
        occur; the ANSWERS variant at `margin` (None: the settings' margin)."""
        margin = self.margin if margin is None else margin
        scores: dict[tuple[Split, str, bool], AnswerScore] = {}
        for utterance in utterances:
            split, condition, is_answer = key = (
                utterance.split,
                utterance.condition,
                utterance.answer.is_answer,
            )
            score = scores.setdefault(
                key, AnswerScore(split, condition, variant, margin, is_answer)
            )
            heard, taken, seconds = self.hear(utterance.answer, utterance.path, variant, margin)
            score.total += 1
            score.understood += taken is Verdict.UNDERSTOOD
            score.mistaken += taken is Verdict.MISTAKEN
            score.empty += not heard
            score.said[utterance.voice.label] += 1
            score.understood_by_voice[utterance.voice.label] += taken is Verdict.UNDERSTOOD
            score.seconds += seconds
            if on_miss and taken is not Verdict.UNDERSTOOD:
                on_miss(
                    f"[{variant.name} {margin:g} {utterance.condition}] {utterance.answer.text!r} "
                    f"({utterance.voice.label}) heard {heard!r}: {taken}"
                )
        return list(scores.values())

    def hear(
        self, answer: ShortAnswer, path: Path, variant: Variant, margin: float | None = None
    ) -> tuple[str, Verdict, list[float]]:
        """What was heard in `path`, how it was taken (`verdict`), and the seconds each
        exchange took; the ANSWERS variant at `margin` (None: the settings' margin)."""
        assistant = Assistant(self._db, f"listener-{next(self._shoppers)}", STORE)
        if variant is not Variant.ANSWERS or margin is None:
            margin = self.margin
        recognizer = self._recognizers[variant, margin]
        recognizer.set_vocabulary(self._store_vocabulary)
        conversation: Conversation = assistant
        if variant is not Variant.BASELINE:
            conversation = RetuningConversation(assistant, recognizer)
            if answer.question is Question.COUNT:
                count = answer_vocabulary(
                    OpenQuestion(Question.COUNT), assistant.dialog.parser, self._store_vocabulary
                )
                recognizer.set_vocabulary(count)
        for opening in QUESTIONS[answer.question]:
            conversation.respond(opening)
        exchanges = replay_turn(path, recognizer, conversation)
        heard = " ".join(e.transcript.text for e in exchanges)
        return heard, verdict(answer, heard, assistant), [e.latency for e in exchanges]


def verdict(answer: ShortAnswer, heard: str, assistant: Assistant) -> Verdict:
    """How the assistant that answered `heard` took it: as `answer` means, as something else
    (another product chosen, another number, another intent it acts on), or not at all.
    A non-answer is UNDERSTOOD unless taken as an answer (`taken_as_answer`): MISTAKEN."""
    dialog = assistant.dialog
    if not answer.is_answer:
        return _verdict(not taken_as_answer(answer.question, heard, assistant), True)
    if answer.question is Question.CHOOSE:
        picked = [line.product_id for line in dialog.cart]
        return _verdict(picked == [answer.picks], bool(picked))
    if answer.question is Question.COUNT:
        count = count_said(heard, dialog.parser)
        return _verdict(count == answer.count, count is not None)
    intent = dialog.parser.parse(heard)
    acted = intent is not None and not intent.implicit
    return _verdict(acted and intent.name == answer.intent, acted)


def taken_as_answer(question: Question, heard: str, assistant: Assistant) -> bool:
    """Whether the assistant that answered `heard` took it as an answer to `question`: read as
    an intent that answers it (`answers` in sentences.yaml), a choice made, a number said."""
    dialog = assistant.dialog
    if question is Question.CHOOSE and {line.product_id for line in dialog.cart} & CHOICES:
        return True
    if question is Question.COUNT and count_said(heard, dialog.parser) is not None:
        return True
    intent = dialog.parser.parse(heard)
    answering = dialog.parser.sentences.answers.get(question.value, ())
    return intent is not None and not intent.implicit and intent.name in answering


def _verdict(right: bool, acted: bool) -> Verdict:
    if right:
        return Verdict.UNDERSTOOD
    return Verdict.MISTAKEN if acted else Verdict.NOT_UNDERSTOOD


def count_said(heard: str, parser: IntentParser) -> int | None:
    """The number an answer says: all its words, or else those of its first sentence (Whisper
    may write a short word twice: "Four. Four."), as the parser reads a {quantity}."""
    for text in (heard, _SENTENCE_END.split(heard.strip())[0]):
        words = parser.clean(text)
        counted = parser.normalizer.numbers.parse_count(words)
        if counted is not None and counted[1] == len(words):
            return counted[0]
    return None


def answers_table(backend: str, scores: Sequence[AnswerScore]) -> list[str]:
    """The report's table: each split, condition and variant."""
    splits = voice_splits()
    tune = sorted(v.label for v, s in splits.items() if s is Split.TUNE and v.available)
    check = sorted(v.label for v, s in splits.items() if s is Split.CHECK and v.available)
    lines = [
        f"\n## Short answers, {backend} ({len(ANSWERS)} answers per voice, said while the "
        "question is open)\n",
        f"Tune voices: {', '.join(tune)}. Check voices: {', '.join(check)}.\n",
        "Non-answers (said at the question, answering it not; halved by NON_ANSWER_SEED, each "
        "half said by its part's voices) are right when not taken as an answer.\n",
        "| split | condition | said | recognizer listens for | understood | taken as another "
        "answer | empty transcripts | median s | p95 s |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in scores:
        said = "answers" if s.is_answer else "non-answers"
        lines.append(
            f"| {s.split} | {s.condition} | {said} | {s.listens_for} | {s.share:.1%} "
            f"({s.understood}/{s.total}) | {s.mistaken} | {s.empty} | {s.median_seconds:.2f} "
            f"| {s.p95_seconds:.2f} |"
        )
    return lines


def voices_table(scores: Sequence[AnswerScore], margin: float = ANSWER_MARGIN_NATS) -> list[str]:
    """Answers understood by each voice, listening for the open question's answers (picked at
    `margin`), in each condition."""
    heard = [
        s for s in scores if s.variant is Variant.ANSWERS and s.is_answer and s.margin == margin
    ]
    conditions = list(dict.fromkeys(s.condition for s in heard))
    splits = voice_splits()
    lines = [
        "\nShort answers understood per voice (recognizer listening for the open question's "
        "answers):\n",
        "| voice | split | " + " | ".join(conditions) + " |",
        "| --- | --- |" + " ---: |" * len(conditions),
    ]
    for voice, split in sorted(splits.items(), key=lambda v: (v[1] != Split.TUNE, v[0].label)):
        cells = []
        for condition in conditions:
            score = next((s for s in heard if s.condition == condition and s.split is split), None)
            said = score.said[voice.label] if score else 0
            right = score.understood_by_voice[voice.label] if score else 0
            cells.append(f"{right / said:.1%} ({right}/{said})" if said else "-")
        lines.append(f"| {voice.label} | {split} | " + " | ".join(cells) + " |")
    return lines
