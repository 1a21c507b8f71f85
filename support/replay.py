"""Voice conversations as data: WAV turns replayed through the production voice loop.

A script (tests/voice_conversations/*.yaml) names its starting `store` and `user`, optional
`history` (past purchases, as in tests/conversations/*.yaml) and its `turns`. Each turn gives the
`wav` file (in tests/fixtures/audio) and what should come of it: `intent`, `items` (what the
parser understood, each compared on the keys given: product, match, quantity, unit, options),
`reply` (a regular expression), `cart` (product id -> quantity), `options` (product id ->
options), `store` and `orders`.

`replay_script` plays the turns one by one through `replay_files`, the microphone's code path,
with the real recognizer and the Assistant, and reports what happened in each turn.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from support.cases import HISTORY_KEYS, check_keys
from support.stats import word_errors
from voiceshop.catalog.model import Store
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.complete import CompleteRequest
from voiceshop.dialog.conversation import Conversation, Reply
from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.matching import MatchOutcome, ProductMatcher
from voiceshop.recognizer import Recognizer, RecognizerSettings, Transcript, load_recognizer
from voiceshop.speaker import NullSpeaker
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import Channel, OrderStatus, Purchase
from voiceshop.storage.stores import open_store
from voiceshop.voice_loop import Heard, LoopEvent, replay_files

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT_DIR = REPO_ROOT / "tests" / "voice_conversations"
AUDIO_DIR = REPO_ROOT / "tests" / "fixtures" / "audio"
FIXTURE_CONFIG = REPO_ROOT / "scripts" / "fixtures.yaml"

AssistantRecognizer = Callable[[Assistant], Recognizer]
"""A recognizer for an assistant's store, built as `voiceshop replay` builds it."""


def replay_recognizer(settings: RecognizerSettings) -> AssistantRecognizer:
    """Recognizers as `voiceshop replay` makes them: tuned to the store's vocabulary, and told
    when a transcript is a complete request so the utterance may end early."""

    def build(assistant: Assistant) -> Recognizer:
        vocabulary = store_vocabulary(assistant.store, assistant.dialog.parser)
        return load_recognizer(settings, vocabulary, CompleteRequest(assistant))

    return build


@dataclass(frozen=True)
class Exchange:
    """One utterance the voice loop heard and answered."""

    transcript: Transcript
    reply: str
    latency: float
    """Seconds to read the utterance (its final reading) and answer it."""


def replay_turn(path: Path, recognizer: Recognizer, conversation: Conversation) -> list[Exchange]:
    """One file through the voice loop: each utterance heard, the reply and its latency."""
    heard: list[Transcript] = []
    timed = _TimedConversation(conversation)

    def on_event(event: LoopEvent) -> None:
        if isinstance(event, Heard):
            heard.append(event.transcript)

    replay_files([path], recognizer, timed, NullSpeaker(), on_event)
    return [
        Exchange(transcript, reply, transcript.read_seconds + seconds)
        for transcript, (reply, seconds) in zip(heard, timed.answers, strict=True)
    ]


class _TimedConversation:
    """A Conversation that notes each reply and the time it took."""

    def __init__(self, conversation: Conversation) -> None:
        self._conversation = conversation
        self.answers: list[tuple[str, float]] = []

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        started = time.perf_counter()
        reply = self._conversation.respond(text, confidence)
        self.answers.append((reply.text, time.perf_counter() - started))
        return reply


@dataclass(frozen=True)
class VoiceScript:
    """One conversation script."""

    name: str
    store: str
    user: str
    history: list[dict[str, Any]]
    turns: list[dict[str, Any]]


@dataclass
class TurnResult:
    """What one spoken turn did."""

    expected: dict[str, Any]
    heard: list[str] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    intents: list[Intent | None] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    """The last utterance's understood items, matched in the store it was said to."""
    replies: list[str] = field(default_factory=list)
    cart: dict[str, int] = field(default_factory=dict)
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    store: str = ""
    orders: int = 0
    latencies: list[float] = field(default_factory=list)
    """Per utterance: seconds to read it and answer it."""

    @property
    def intent(self) -> str | None:
        """The last utterance's intent name, None if it was not understood or nothing was heard."""
        last = self.intents[-1] if self.intents else None
        return last.name if last else None

    @property
    def reply(self) -> str:
        return " ".join(self.replies)

    def problems(self) -> list[str]:
        """How the turn differs from its expectations; empty when it went as scripted."""
        expected = self.expected
        found = []
        if "intent" in expected and self.intent != expected["intent"]:
            found.append(f"intent {self.intent!r}, expected {expected['intent']!r}")
        if "items" in expected and not items_agree(self.items, expected["items"]):
            found.append(f"items {self.items}, expected {expected['items']}")
        if "reply" in expected and not re.search(expected["reply"], self.reply):
            found.append(f"reply does not match {expected['reply']!r}")
        for key in ("cart", "store", "orders"):
            if key in expected and getattr(self, key) != expected[key]:
                found.append(f"{key} {getattr(self, key)!r}, expected {expected[key]!r}")
        for product_id, options in expected.get("options", {}).items():
            if self.options.get(product_id) != options:
                found.append(f"{product_id} options {self.options.get(product_id)}")
        return found

    def describe(self) -> str:
        return f"{self.expected['wav']}: heard {self.heard}, replied {self.reply!r}"


def items_agree(understood: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    """Same number of items, each agreeing on the keys its expectation gives."""
    return len(understood) == len(expected) and all(
        all(item.get(key) == value for key, value in wanted.items())
        for item, wanted in zip(understood, expected, strict=True)
    )


def load_scripts(folder: Path = SCRIPT_DIR) -> list[VoiceScript]:
    """Every script in the folder, by file name."""
    scripts = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        _check_script(data, path.name)
        scripts.append(
            VoiceScript(
                name=path.stem,
                store=data["store"],
                user=data.get("user", "default"),
                history=data.get("history", []),
                turns=data["turns"],
            )
        )
    return scripts


SCRIPT_KEYS = {"store": True, "user": False, "history": False, "turns": True}
TURN_KEYS = {
    "wav": True,
    "intent": False,
    "items": False,
    "reply": False,
    "cart": False,
    "options": False,
    "store": False,
    "orders": False,
}
ITEM_KEYS = {"product": False, "match": False, "quantity": False, "unit": False, "options": False}


def _check_script(data: object, where: str) -> None:
    """Raise CaseError for a script with a key the replay does not know (or without one it
    needs)."""
    check_keys(data, SCRIPT_KEYS, where)
    assert isinstance(data, dict)
    for n, entry in enumerate(data.get("history", []), 1):
        check_keys(entry, HISTORY_KEYS, f"{where} history {n}")
    for n, turn in enumerate(data["turns"], 1):
        check_keys(turn, TURN_KEYS, f"{where} turn {n}")
        for m, item in enumerate(turn.get("items", []), 1):
            check_keys(item, ITEM_KEYS, f"{where} turn {n} item {m}")


def replay_script(
    script: VoiceScript, db: ShopDatabase, recognizer_for: AssistantRecognizer
) -> Iterator[TurnResult]:
    """Play the script's turns through the voice loop, yielding each turn's result.

    The recognizer is made for the starting store, as `voiceshop replay` does.
    """
    add_history(db, script.history)
    assistant = Assistant(db, script.user, script.store)
    recognizer = recognizer_for(assistant)
    for turn in script.turns:
        result = TurnResult(expected=turn)
        exchanges = replay_turn(AUDIO_DIR / turn["wav"], recognizer, _Observed(assistant, result))
        result.latencies = [exchange.latency for exchange in exchanges]
        _record_state(assistant, db, result)
        yield result


def add_history(db: ShopDatabase, history: list[dict[str, Any]]) -> None:
    """Past purchases: per user and store, rows of [date, product id, quantity, channel]."""
    for entry in history:
        store = open_store(entry["store"], db)
        db.link_account(entry["user"], store.id, f"customer-{entry['user']}")
        purchases = [
            Purchase(product_id, _product_name(store, product_id), quantity, day, Channel(channel))
            for day, product_id, quantity, channel in entry["rows"]
        ]
        db.add_purchases(entry["user"], store.id, purchases)


class _Observed:
    """The Assistant as the voice loop's Conversation, noting what it heard and understood."""

    def __init__(self, assistant: Assistant, result: TurnResult) -> None:
        self._assistant = assistant
        self._result = result

    def respond(self, text: str, confidence: float = 1.0) -> Reply:
        dialog = self._assistant.dialog
        intent = dialog.parser.parse(text) if text.strip() else None
        self._result.heard.append(text)
        self._result.confidence.append(confidence)
        self._result.intents.append(intent)
        self._result.items = [
            understood_item(request, dialog.matcher) for request in (intent.items if intent else ())
        ]
        reply = self._assistant.respond(text, confidence)
        self._result.replies.append(reply.text)
        return reply


def understood_item(request: ItemRequest, matcher: ProductMatcher) -> dict[str, Any]:
    """An ItemRequest as the matcher resolves it: product (if confident), match, count, unit."""
    result = matcher.match(request.phrase)
    confident = result.outcome is MatchOutcome.CONFIDENT
    return {
        "product": result.candidates[0].product.id if confident else None,
        "match": result.outcome.value,
        "quantity": request.quantity or 1,
        "unit": request.unit,
        "options": dict(request.options),
    }


def _record_state(assistant: Assistant, db: ShopDatabase, result: TurnResult) -> None:
    cart = assistant.dialog.cart
    result.cart = {line.product_id: line.quantity for line in cart}
    result.options = {line.product_id: dict(line.options) for line in cart}
    result.store = assistant.store_id
    placed = [o for o in db.orders(assistant.user) if o.status is OrderStatus.PLACED]
    result.orders = len(placed)


def _product_name(store: Store, product_id: str) -> str:
    product = store.product(product_id)
    return product.name if product else product_id


@dataclass
class ScriptScore:
    """Results over every voice conversation's turns."""

    turns: int = 0
    intents_expected: int = 0
    intents_right: int = 0
    products_expected: int = 0
    products_right: int = 0
    """Expected products that the parser and matcher found first, with confidence."""
    carts_expected: int = 0
    carts_exact: int = 0
    turns_as_scripted: int = 0
    word_errors: int = 0
    reference_words: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, turn: TurnResult, reference: str, normalize: Callable[[str], str]) -> None:
        expected = turn.expected
        self.turns += 1
        self.turns_as_scripted += not turn.problems()
        self.latencies += turn.latencies
        if "intent" in expected:
            self.intents_expected += 1
            self.intents_right += turn.intent == expected["intent"]
        wanted = [item.get("product") for item in expected.get("items", [])]
        found = [item.get("product") for item in turn.items]
        for n, product in enumerate(wanted):
            if product is not None:
                self.products_expected += 1
                self.products_right += n < len(found) and found[n] == product
        if "cart" in expected:
            self.carts_expected += 1
            self.carts_exact += turn.cart == expected["cart"]
        said = normalize(reference).split()
        heard = normalize(" ".join(turn.heard)).split()
        self.word_errors += word_errors(said, heard)
        self.reference_words += len(said)


def fixture_texts(config: Path = FIXTURE_CONFIG) -> dict[str, str]:
    """What is said in each synthetic fixture, by WAV file name (scripts/fixtures.yaml)."""
    data = yaml.safe_load(config.read_text())
    return {
        entry["name"]: entry["text"] for spec in data["sets"].values() for entry in spec["files"]
    }
