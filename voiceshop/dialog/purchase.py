"""Guarding the placing of an order: the purchase code question and the refusals of the
purchase guards (a lock after wrong codes, spending limits), said as replies.

A code is read from the answer in any spoken form: "one two three four", "twelve thirty-four",
"1234" all give "1234"; written digits are kept as they are ("0123").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voiceshop.dialog.replies import Replies
from voiceshop.dialog.state import ConfirmingCheckout, ConfirmingCode
from voiceshop.intents.model import Intent
from voiceshop.language import Normalizer
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.guards import LOCK_TIME, WRONG_CODES_BEFORE_LOCK, CodeCheck, Limit, OverLimit

_DIGIT_RUN = re.compile(r"\d+")
_GIVING_UP = ("No", "Cancel")
MAX_UNHEARD = 3
"""Answers without a code in them before the code question (and the order) is dropped."""
MASK = "••••"
"""What is shown instead of anything said while the code question is open."""


@dataclass(frozen=True)
class CodeAnswer:
    """What an answer to the code question leads to."""

    pending: ConfirmingCode | None
    """The code question, still open; None when it is closed."""
    accepted: bool = False
    """The code was right: place the order."""
    reply: str = ""


def spoken_code(text: str, normalizer: Normalizer) -> str:
    """The digits said in `text`, in order ("" when there are none)."""
    digits: list[str] = []
    start = 0
    for run in _DIGIT_RUN.finditer(text):
        digits += _number_words(text[start : run.start()], normalizer)
        digits.append(run.group())
        start = run.end()
    digits += _number_words(text[start:], normalizer)
    return "".join(digits)


def _number_words(text: str, normalizer: Normalizer) -> list[str]:
    """The numbers said in words in `text`, each as its digits."""
    tokens = normalizer.tokens(text)
    found: list[str] = []
    index = 0
    while index < len(tokens):
        number = normalizer.numbers.parse_number(tokens, index)
        if number is None:
            index += 1
            continue
        found.append(str(number[0]))
        index += number[1]
    return found


class PurchaseGuard:
    """Asks for a user's purchase code and says why an order was refused."""

    def __init__(self, db: ShopDatabase, replies: Replies, normalizer: Normalizer) -> None:
        self._db = db
        self._replies = replies
        self._normalizer = normalizer

    def ask(self, user: str, read_back: ConfirmingCheckout) -> CodeAnswer:
        """The code question for a confirmed read-back, or the refusal while locked."""
        if self._db.purchasing_locked(user):
            return CodeAnswer(None, reply=self._replies.say("purchase_locked"))
        return CodeAnswer(ConfirmingCode(read_back), reply=self._replies.say("code_question"))

    def answer(
        self, user: str, pending: ConfirmingCode, text: str, intent: Intent | None
    ) -> CodeAnswer:
        """Check the code said in `text`; a no or cancel drops the order."""
        code = spoken_code(text, self._normalizer)
        if not code:
            return self._unheard(pending, intent)
        checked = self._db.check_purchase_code(user, code)
        if checked is CodeCheck.ACCEPTED:
            return CodeAnswer(None, accepted=True)
        if checked is CodeCheck.WRONG:
            return CodeAnswer(pending, reply=self._replies.say("code_wrong"))
        minutes = int(LOCK_TIME.total_seconds() // 60)
        return CodeAnswer(
            None,
            reply=self._replies.say("code_locked", count=WRONG_CODES_BEFORE_LOCK, minutes=minutes),
        )

    def over_limit(self, over: OverLimit, total: float) -> str:
        """Which limit an order of `total` passes."""
        money = self._replies.money
        if over.limit is Limit.PER_ORDER:
            return self._replies.say(
                "over_limit_per_order", total=money(total), limit=money(over.amount)
            )
        return self._replies.say(
            "over_limit_per_day",
            spent=money(over.spent),
            total=money(total),
            limit=money(over.amount),
        )

    def locked(self) -> str:
        """The refusal while purchasing is locked."""
        return self._replies.say("purchase_locked")

    def _unheard(self, pending: ConfirmingCode, intent: Intent | None) -> CodeAnswer:
        if (intent is not None and intent.name in _GIVING_UP) or pending.unheard + 1 >= MAX_UNHEARD:
            return CodeAnswer(None, reply=self._replies.say("order_not_placed"))
        retry = ConfirmingCode(pending.read_back, pending.unheard + 1)
        return CodeAnswer(retry, reply=self._replies.say("code_not_heard"))
