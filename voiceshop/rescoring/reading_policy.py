"""Which reading of a window of audio Whisper's transcript takes: the recognizer's side of
rescoring.

The decoder (`recognizer.whisper_backend.WindowDecoder`) gives the beam's readings and reads
token lists back against the encoded audio; this policy asks the store (`Vocabulary.reader`)
about them and lets the audio decide, in three steps (four while a question's answers are
listened for):

0. A short reading that is none of the open question's answers is replaced by the answer the
   audio reads about as well (`answer_reading`).
1. Where the likeliest reading misses a product, a less likely one the store understands
   clearly is taken (`understood_reading`).
2. Where its product phrases are unclear, the window is read again with the catalog names they
   may stand for as the prompt (`read_with_names`).
3. Misheard stretches are replaced by the store phrase the audio reads best (`rescored`,
   `readback.rewrite_slots`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from voiceshop.rescoring.protocol import MisheardSlot, Understood, Vocabulary
from voiceshop.rescoring.readback import rewrite_slots, sentence_logprobs
from voiceshop.rescoring.slots import misheard_slots, misheard_tail

NAMES_MARGIN_NATS = 20.0
"""How much less likely (read back without a prompt) a reading with catalog names in its prompt
may be than the first reading and still replace it: the names must not make Whisper hear a
product that was not said.
Tuned on: long names, tune sample (seed 7, 120 names, espeak voices), 10 and 20 tried: at
12 dB right and confident 58 -> 67 of 120 (7 asked and 2 not found became right, 1 asked
became not found), wrong and confident 5 -> 5. 10 was set on the seed-9 dev sample (80
names)."""
UNDERSTOOD_MARGIN = 0.5
"""How much lower (mean log-probability per token) a reading the store understands may score
than a likelier one missing a product, and still be taken instead.
Tuned on: coffee-dev, all 124 recordings, before the tune/check split (one example, no figures
quoted)."""
PROMPT_SEPARATOR = ", "
"""Between the phrases listed in a prompt."""
ANSWER_EXTRA_WORDS = 1
"""An answer may replace a reading only if it has at most this many words more: longer ones are
not what was heard ("I do." may be "undo", not "i do not forget it").
Not tuned: reasoned (Whisper splits a word in two, "Lambin." for "eleven", not in three)."""
ANSWER_CANDIDATES = 6
"""Answers read back in full against the heard words, the likeliest by their first token.
Not tuned: a cost cap (one batch of seven short readings, about as long as one decoding)."""
ANSWER_MARGIN_NATS = 2.0
"""How much less likely (whole reading, end-of-text included) an answer may read than the heard
words and still replace them.
Tuned on: the short-answer tune voices with the tune half of the non-answers (seeds 1414,
1418), over 0, 2, 4, 6 and 9: 0 understood 145 of 156 answers (clean and 12 dB) and took 1 of
72 non-answers as an answer, 2 and 4 understood 147 and took 1, 6 understood 148 but took a
"yes" for an "undo" and 2 non-answers, 9 lost more; the smallest of the best."""
_SPOKEN = re.compile(r"[a-z']+(?:[^a-z']+[a-z']+)*")
"""A reading from its first word to its last, without the punctuation around them."""
_WORD = re.compile(r"[a-z']+")


def _words(text: str) -> list[str]:
    """The words of a reading, lower case, without the punctuation around them."""
    heard = _SPOKEN.search(text.lower())
    return _WORD.findall(heard.group()) if heard else []


@dataclass(frozen=True)
class _WrittenAnswer:
    """An answer as the prompt lists it ("Go ahead."), and its number of words."""

    text: str
    words: int


class WindowReader(Protocol):
    """What the policy needs of a Whisper decoder: its beam, and reading back against audio.
    `encoded` is the decoder's encoding of the window's audio."""

    prompt_lead: str
    """Words before the names listed in a prompt ("Order:")."""
    end_of_text: int
    """The token that ends a reading."""

    def text(self, tokens: list[int]) -> str:
        """The text of a reading's tokens."""
        ...

    def token_ids(self, text: str) -> list[int]:
        """The tokens of `text` as written."""
        ...

    def prompt_tokens(self, prompt: str | None) -> list[int]:
        """The decoder's start tokens with `prompt` as the previous text."""
        ...

    def generate(self, encoded: Any, prompt: list[int], new_tokens: int) -> Any:
        """The beam's readings of the audio after `prompt` (a CTranslate2 generation result)."""
        ...

    def distributions(
        self, encoded: Any, tokens: list[int], *, prompted: bool = True
    ) -> list[np.ndarray]:
        """The log-probability rows of reading `tokens` back against the audio."""
        ...

    def readings(
        self, encoded: Any, token_lists: Sequence[list[int]], *, prompted: bool = True
    ) -> list[list[np.ndarray]]:
        """`distributions` of several token lists in one batch."""
        ...


class ReadingPolicy:
    """The reading a window's transcript takes, for one vocabulary (see the module)."""

    def __init__(
        self,
        decoder: WindowReader,
        vocabulary: Vocabulary,
        pick_answers: bool = True,
        answer_margin: float = ANSWER_MARGIN_NATS,
    ) -> None:
        """`pick_answers`: take the answer the audio reads as (`answer_reading`) where
        `vocabulary` holds a question's answers, by up to `answer_margin` nats less likely."""
        self._decoder = decoder
        self._answer_margin = answer_margin
        self._vocabulary = vocabulary
        self._reader = vocabulary.reader
        self._pick_answers = pick_answers and vocabulary.said_alone and bool(vocabulary.phrases)
        self._answers = frozenset(vocabulary.phrases) if self._pick_answers else frozenset()
        self._written_answers = [
            _WrittenAnswer(f"{a[:1].upper()}{a[1:]}.", len(a.split()))
            for a in dict.fromkeys(vocabulary.phrases)
            if self._pick_answers
        ]

    def read(self, result: Any, encoded: Any, new_tokens: int) -> str:
        """The window's text, from the beam's `result` of reading `encoded` audio (at most
        `new_tokens` tokens a reading)."""
        text = self.understood_reading(result, encoded)
        if self._pick_answers:
            beam = [self._decoder.text(tokens) for tokens in result.sequences_ids[1:]]
            text = self.answer_reading(text, encoded, beam)
        text = self.read_with_names(text, encoded, new_tokens)
        return self.rescored(text, encoded)

    def understood_reading(self, result: Any, encoded: Any) -> str:
        """The likeliest of the beam's readings, or where the store misses a product in it
        (`StoreReader.understanding`), the likeliest reading whose products are all clear and
        that reads nearly as well (`UNDERSTOOD_MARGIN`): "I like a lot of sugar" names no
        drink, a less likely reading, "I like latte with sugar", does. Where that reading only
        leaves out the likeliest one's last words, they are read again (`_with_tail_read`)."""
        text = self._decoder.text
        likeliest = text(result.sequences_ids[0])
        reader = self._reader
        if len(result.sequences_ids) < 2 or reader is None:
            return likeliest
        if reader.understanding(likeliest) is not Understood.MISSING:
            return likeliest
        least = result.scores[0] - UNDERSTOOD_MARGIN
        others = zip(result.sequences_ids[1:], result.scores[1:], strict=True)
        texts = (text(tokens) for tokens, score in others if score >= least)
        clear = (said for said in texts if said and reader.understanding(said) is Understood.CLEAR)
        kept = next(clear, None)
        return likeliest if kept is None else self._with_tail_read(likeliest, kept, encoded)

    def _with_tail_read(self, likeliest: str, kept: str, encoded: Any) -> str:
        """`kept`, a clear reading that leaves out the last words of the likeliest, or the
        likeliest with those words replaced by the store phrase the audio reads them as about
        as well (`slots.misheard_tail`: "cappuccino, raspberry" for "cappuccino with cream"),
        where the store then understands it clearly. All read without the prompt, which would
        favour every store phrase alike; about 1.2 s on two cores, for a rare reading."""
        if self._reader is None:
            return kept
        tail = misheard_tail(likeliest, kept, self._vocabulary)
        if tail is None:
            return kept
        read = self._rewritten(likeliest, [tail], encoded, prompted=False)
        if read != likeliest and self._reader.understanding(read) is Understood.CLEAR:
            return read
        return kept

    def answer_reading(self, text: str, encoded: Any, beam: Sequence[str] = ()) -> str:
        """`text`, or where its words are none of the open question's answers, the answer the
        audio reads about as well as them (a closed-set pick with a rejection margin,
        `answer_margin`): "I do." is "Undo." when the audio says so.

        The answers weighed are those among the beam's other readings (`beam`: "The brown one."
        under "Round one."), and unless `text` clearly names products (a request that moves on:
        "add two lemons"; an unclear one, "fine", "council", is as likely a misheard answer),
        the answers of at most `ANSWER_EXTRA_WORDS` more words than heard, ranked by their
        first token, the `ANSWER_CANDIDATES` likeliest. They are read back in full with the
        heard words, as sentences that end there (end-of-text included, so a reading that leaves
        out words pays for it), without the prompt, which favours every answer alike."""
        words = _words(text)
        if not words or " ".join(words) in self._answers:
            return text
        candidates = list(
            dict.fromkeys(b.strip() for b in beam if " ".join(_words(b)) in self._answers)
        )
        reader = self._reader
        if reader is None or reader.understanding(text) is not Understood.CLEAR:
            candidates += self._likeliest_answers(len(words), encoded)
        if not candidates:
            return text
        kept, *read = self._ended_logprobs([text.strip(), *candidates], encoded)
        best, score = max(zip(candidates, read, strict=True), key=lambda pair: pair[1])
        return best if score >= kept - self._answer_margin else text

    def _likeliest_answers(self, heard_words: int, encoded: Any) -> list[str]:
        """The `ANSWER_CANDIDATES` answers of at most `ANSWER_EXTRA_WORDS` more words than
        heard whose first token the audio reads likeliest."""
        longest = heard_words + ANSWER_EXTRA_WORDS
        written = [a.text for a in self._written_answers if a.words <= longest]
        decoder = self._decoder
        first = decoder.readings(encoded, [[]], prompted=False)[0][0]
        ranked = sorted(written, key=lambda a: -first[decoder.token_ids(" " + a)[0]])
        return ranked[:ANSWER_CANDIDATES]

    def _ended_logprobs(self, texts: Sequence[str], encoded: Any) -> list[float]:
        """Each text's log-probability read back against the audio without the prompt, its
        end-of-text token included (read with one token after it: the row after the last
        token read back has end-of-text masked); all in one batch."""
        decoder = self._decoder
        end = decoder.end_of_text
        token_lists = [[*decoder.token_ids(" " + t), end] for t in texts]
        rows = decoder.readings(encoded, token_lists, prompted=False)
        return [
            sum(float(r[n][t]) for n, t in enumerate(tokens)) if len(r) >= len(tokens) else -np.inf
            for tokens, r in zip(token_lists, rows, strict=True)
        ]

    def read_with_names(self, text: str, encoded: Any, new_tokens: int) -> str:
        """The window read again with the catalog names its unclear product phrases may stand
        for as the prompt (`StoreReader.names_for`); `text` when there are none. Between twin
        names (plurals), which the prompt holds both of, the audio read back chooses."""
        reader, decoder = self._reader, self._decoder
        if not text or reader is None:
            return text
        names = reader.names_for(text)
        if not names:
            return text
        prompt = decoder.prompt_tokens(f"{decoder.prompt_lead} {PROMPT_SEPARATOR.join(names)}.")
        again = decoder.text(decoder.generate(encoded, prompt, new_tokens).sequences_ids[0])
        again = reader.with_products_of(text, again)
        if not again or again == text:
            return text

        def plain(token_lists: Sequence[list[int]]) -> list[list[np.ndarray]]:
            return decoder.readings(encoded, token_lists, prompted=False)

        twins = list(reader.twin_readings(again))
        again_score, text_score, *twin_scores = sentence_logprobs(
            [again, text, *twins], decoder.token_ids, plain
        )
        if again_score - text_score < -NAMES_MARGIN_NATS:
            return text
        return max(zip([again_score, *twin_scores], [again, *twins], strict=True))[1]

    def rescored(self, text: str, encoded: Any) -> str:
        """The text with misheard slot phrases replaced by the audio's best fit."""
        if not text:
            return text
        if self._reader is not None:
            slots = self._reader.misheard(text)
        else:
            slots = misheard_slots(text, self._vocabulary)
        return self._rewritten(text, slots, encoded)

    def _rewritten(
        self,
        text: str,
        slots: Sequence[MisheardSlot],
        encoded: Any,
        *,
        prompted: bool = True,
    ) -> str:
        """`rewrite_slots` against the encoded audio: tokens walked after the prompt (or
        without it), whole sentences read without it."""
        decoder = self._decoder
        return rewrite_slots(
            text,
            slots,
            decoder.token_ids,
            lambda tokens: decoder.distributions(encoded, tokens, prompted=prompted),
            lambda token_lists: decoder.readings(encoded, token_lists, prompted=False),
        )
