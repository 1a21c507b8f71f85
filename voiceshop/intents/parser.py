"""The rule-based intent parser: normal-form text -> Intent, driven by sentence templates."""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from voiceshop.catalog.model import Store
from voiceshop.intents.fallback import NAMES_WELL, FallbackReader, load_fallback
from voiceshop.intents.items import ItemListReader, ProductNames
from voiceshop.intents.model import Intent, ItemRequest
from voiceshop.intents.options import OptionSpotter
from voiceshop.intents.templates import CompiledTemplate, TemplateCompiler, TemplateError
from voiceshop.intents.unknown import UnknownWords, strings, words_of
from voiceshop.language.data import language_dir, load_language, read_yaml
from voiceshop.language.normalize import Normalizer
from voiceshop.matching.words import MatchWords
from voiceshop.thresholds import NAMES_FAIRLY

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
MAX_UTTERANCE_CHARS = 500
MAX_UTTERANCE_WORDS = 60
"""Longer utterances are not parsed: no one says that much at once."""
LEADING_SENTENCES_TRIED = 4
"""Of a text of many sentences, the leading parts read besides the whole are its first 4
sentences and the whole without up to its last 4: a request and the chatter after it are a few
sentences each, and reading every leading part would cost the square of the text's length."""


def is_too_long(text: str) -> bool:
    """Whether `text` is longer than an utterance voiceshop parses."""
    return len(text) > MAX_UTTERANCE_CHARS or len(text.split()) > MAX_UTTERANCE_WORDS


def _leading_counts(sentences: int) -> list[int]:
    """How many leading sentences each reading of a text of `sentences` sentences takes, most
    first (`LEADING_SENTENCES_TRIED`)."""
    tried = LEADING_SENTENCES_TRIED
    return [n for n in range(sentences, 0, -1) if n <= tried or n >= sentences - tried]


def _reads_as_request(item: ItemRequest) -> bool:
    """Whether an item said without a verb still reads as asked for: it has a count or a unit
    ("two lottery tickets", "pack of gum"), so it is not an answer or a stray word."""
    return item.quantity is not None or bool(item.unit)


@cache
def _language_words(code: str) -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    """For `UnknownWords`, read once per language: its request words, its product texts (kinds,
    regional words) and the words after which a noun phrase starts."""
    folder = language_dir(code)
    words, sentences = read_yaml(folder / "language.yaml"), read_yaml(folder / "sentences.yaml")
    products = {"kinds": sentences.pop("kinds", {}), "regional": words.pop("regional_words", {})}
    language = load_language(code)
    normalizer = Normalizer(language)
    requests = words_of(normalizer, MatchWords(normalizer), strings([words, sentences]))
    numbers = language.numbers
    openers = {
        *language.item_openers,
        *language.unit_links,
        *(w for separator in language.item_separators for w in separator.split()),
        *(w for form in language.unit_forms for w in form.split()),
        *(w for phrase in numbers.phrases for w in phrase.split()),
        *numbers.units,
        *numbers.tens,
    }
    return requests, tuple(strings(products)), frozenset(openers)


def _rank_nothing() -> tuple[bool, bool, float]:
    return False, False, 0.0


@dataclass(frozen=True)
class SentenceData:
    """A language's rules and intent templates, in the order they are tried."""

    rules: dict[str, str]
    intents: tuple[tuple[str, tuple[str, ...]], ...]
    answers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Kind of open question -> the intents that answer it (`intents.answers`)."""
    answer_prompts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Kind of open question -> its answers written as people say them, for the recognizer's
    prompt (`answer_prompts`); a kind without: the plainest template phrases are prompted."""
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Typed slot -> the words it matches (`lists`)."""
    fallback: dict[str, Any] = field(default_factory=dict)
    """Filler and cue words for utterances no template reads well (`fallback`)."""
    kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Kind of product -> the words naming products of it (`kinds`)."""
    together: dict[str, int] = field(default_factory=dict)
    """Word of a price asked of several products at once -> how many ("both": 2), 0 for all
    of those talked about (`price_together`)."""


def load_sentences(code: str = "en") -> SentenceData:
    """Read `voiceshop/data/<code>/sentences.yaml`."""
    path = language_dir(code) / "sentences.yaml"
    raw = read_yaml(path)
    intents = tuple((name, tuple(templates)) for name, templates in raw["intents"].items())
    for name, templates in intents:
        if not isinstance(name, str) or not all(isinstance(t, str) for t in templates):
            raise TemplateError(
                f"{path}: intent {name!r}: quote names and templates YAML reads "
                "as booleans or numbers"
            )
    answers = {kind: tuple(names) for kind, names in raw.get("answers", {}).items()}
    prompts = {kind: tuple(said) for kind, said in raw.get("answer_prompts", {}).items()}
    lists = {slot: tuple(words) for slot, words in raw.get("lists", {}).items()}
    return SentenceData(
        rules=raw.get("rules", {}),
        intents=intents,
        answers=answers,
        answer_prompts=prompts,
        lists=lists,
        fallback=raw.get("fallback", {}),
        kinds={kind: tuple(words) for kind, words in raw.get("kinds", {}).items()},
        together=dict(raw.get("price_together", {})),
    )


class IntentParser:
    """Understands utterances in one language, for one store's options."""

    fallback_default: bool = True
    """Whether parsers read utterances no template reads well by filler and cue words
    (`voiceshop.intents.fallback`) unless told otherwise; a lever, measured with
    `python -m benchmarks.everyday --fallback off|on`."""
    skip_unknown_default: bool = True
    """Whether a reading the templates and the fallback give poorly is tried again without
    the words neither the language nor the catalog knows (`voiceshop.intents.unknown`); a
    lever, measured with `python -m benchmarks.everyday --skip-unknown off|on`."""

    read_past_corrections: bool = True
    """Whether an utterance read poorly that starts with a correction ("no wait, make that
    two") is read again without it (`correction_leads` of language.yaml); a lever, measured
    with `python -m benchmarks.everyday_probe [--corpus] --off corrections`."""

    def __init__(
        self,
        store: Store | None = None,
        language: str = "en",
        products: ProductNames | None = None,
        fallback: bool | None = None,
        skip_unknown: bool | None = None,
    ) -> None:
        self.language = load_language(language)
        self.normalizer = Normalizer(self.language)
        self.sentences = load_sentences(language)
        self.compiler = TemplateCompiler(
            self.sentences.rules,
            {
                "ordinal": list(self.language.numbers.ordinals),
                "unit": list(self.language.unit_forms),
                **self.sentences.lists,
            },
            self.normalizer.normalize,
        )
        self._templates: list[tuple[str, int, CompiledTemplate]] = [
            (name, n, self.compiler.compile(t))
            for name, templates in self.sentences.intents
            for n, t in enumerate(templates)
        ]
        adds = dict(self.sentences.intents).get("AddItems", ())
        self._bare_list_template = len(adds) - 1
        """Index of the last AddItems template, the bare item list ("milk and eggs")."""
        groups = list(store.option_groups.values()) if store else []
        self.spotter = OptionSpotter(groups, self.normalizer.normalize)
        self.items = ItemListReader(self.language, self.normalizer.numbers, self.spotter, products)
        self._edge_fillers = [tuple(f.split()) for f in self.language.edge_fillers]
        self._edge_filler_set = frozenset(self._edge_fillers)
        self._opening_fillers = [tuple(f.split()) for f in self.language.opening_fillers]
        self._separator_words = frozenset(
            word for separator in self.language.item_separators for word in separator.split()
        )
        self._correction_leads = [tuple(lead.split()) for lead in self.language.correction_leads]
        use_fallback = self.fallback_default if fallback is None else fallback
        self.fallback = (
            FallbackReader(
                load_fallback(self.sentences.fallback, self.normalizer.normalize),
                lambda words: self._parse_words(words)[0],
                lambda words: self.items.read(words),
                self.items.phrase_score,
                self.language.stopwords,
            )
            if use_fallback and products is not None
            else None
        )
        """Reads what the templates read poorly; None when off or without product names."""
        skip = self.skip_unknown_default if skip_unknown is None else skip_unknown
        self._store = store if skip and self.fallback is not None else None
        """The store whose words `UnknownWords` knows; None when skipping is off."""
        self._unknown: UnknownWords | None = None
        """Built on the first utterance read poorly (`_unknown_words`)."""

    def _unknown_words(self) -> UnknownWords | None:
        """What the language's data and the store's catalog know, made once; None when
        skipping is off."""
        if self._unknown is None and self._store is not None:
            requests, products, openers = _language_words(self.language.code)
            self._unknown = UnknownWords(self.normalizer, requests, products, openers, self._store)
        return self._unknown

    def clean(self, text: str) -> list[str]:
        """The utterance's words in normal form, without noise words and edge fillers."""
        return self._without_edges(self._said(text))

    def _said(self, text: str) -> list[str]:
        """The utterance's words in normal form, without noise words."""
        return [
            w
            for w in self.normalizer.normalize(text, keep_commas=True).split()
            if w not in self.language.noise_words
        ]

    def _without_edges(self, words: list[str], *, trailing: bool = True) -> list[str]:
        """The words without edge fillers; with `trailing` False only those before them
        ("righto, done now": "now" ends a request, it does not wrap one)."""
        changed = True
        while changed and words:
            before = len(words)
            words = self._strip_edges(words, trailing=trailing)
            changed = len(words) != before
        return words

    def parse(self, text: str, *, skip_unknown: bool = True) -> Intent | None:
        """The intent of `text`, or None when no template matches it.

        Recognizers sometimes add chatter after a command ("... with soy milk? I'll see you
        later."), so of the whole text and its leading sentences the reading that holds together
        best is taken (see `_rank`); on a tie the longer one. Words such as "hello" or "thank
        you" around a request are fillers, but said alone with a little more ("hello there",
        "thank you so much") they are what was meant: each text is read with and without its
        edge fillers, the reading without them first. Text that `is_too_long` is None.
        `skip_unknown=False` keeps the words nobody taught voiceshop even where the parser would
        skip them (a recognizer's second reading compares them, as likely mishearings).
        """
        if is_too_long(text):
            return None
        sentences = _SENTENCE_END.split(text.strip())
        best, best_rank = None, _rank_nothing()
        for count in _leading_counts(len(sentences)):
            said = self._said(" ".join(sentences[:count]))
            cleaned = self._without_edges(said)
            intent, bare = self._parse_words(cleaned)
            if intent is not None and intent.bare and self._continues(said, cleaned):
                intent = replace(intent, implicit=False, bare=False)
            best, best_rank = self._better(intent, bare, best, best_rank)
            if cleaned != said:
                best, best_rank = self._better(*self._parse_words(said), best, best_rank, True)
            leading = self._without_edges(said, trailing=False)
            if leading not in (said, cleaned):
                best, best_rank = self._better(*self._parse_words(leading), best, best_rank)
        after_chatter = self._after_chatter(sentences)
        if after_chatter:
            said = self._without_edges(self._said(" ".join(after_chatter)))
            best, best_rank = self._better(*self._parse_words(said), best, best_rank)
        if self._weak(best) and not self._refused(best):
            corrected = self._past_correction(self._without_edges(self._said(text)))
            if corrected is not None:
                return corrected
        if self.fallback is not None and self.fallback.weak(best) and not self._refused(best):
            words = self._without_edges(self._said(text))
            read = self.fallback.read(words)
            if read is None and skip_unknown:
                read = self._read_skipping(words)
            best = read if read is not None and not self._names_fewer(read, best) else best
        return self._adds_said_apart(sentences, best)

    def _after_chatter(self, sentences: list[str]) -> list[str]:
        """The sentences after the leading ones that read as nothing, or as a bare list that
        names no product well ("Now let me see, I have it written down here. A tin of tomato
        soup, ..."); [] when the first one reads."""
        for start, sentence in enumerate(sentences[:-1]):
            intent, bare = self._parse_words(self._without_edges(self._said(sentence)))
            if intent is not None and not (bare and self._weak(intent)):
                return sentences[start:] if start else []
        return sentences[-1:] if len(sentences) > 1 else []

    def _names_fewer(self, read: Intent, best: Intent | None) -> bool:
        """Whether a fallback reading adds fewer items that name a product well than the
        template reading it would replace, or drops items without naming more well ("for a
        lasagna I need noodles, a jar of rao's, ricotta and mozzarella": an item the store
        does not carry is no reason to keep only "lasagna", nor to pass over "ricotta")."""
        if best is None or best.name != "AddItems" or read.name != "AddItems":
            return False
        named, named_before = self._named_well(read.items), self._named_well(best.items)
        dropped = len(read.items) < len(best.items) and named <= named_before
        return named < named_before or dropped

    def _named_well(self, items: tuple[ItemRequest, ...]) -> int:
        """How many of the items name a product well."""
        return sum(self.items.phrase_score(item.phrase) >= NAMES_WELL for item in items)

    def _read_skipping(self, words: list[str]) -> Intent | None:
        """The words read without those nobody taught voiceshop (`UnknownWords.skipped`), by
        the templates and failing them the fallback, when that names its products well."""
        unknown = self._unknown_words()
        if unknown is None or self.fallback is None:
            return None
        rest = unknown.skipped(words)
        if not rest:
            return None
        rest = self._without_edges(rest)
        intent, _ = self._parse_words(rest)
        if self.fallback.weak(intent):
            intent = self.fallback.read(rest)
        return None if self.fallback.weak(intent) else intent

    def _adds_said_apart(self, sentences: list[str], best: Intent | None) -> Intent | None:
        """Adds said as several requests ("Add bananas. Add lemons.", "milk. eggs. bread.",
        "add bananas, and add two lemons") as one AddItems with every item, when each request
        adds items that name products fairly well and together they ask for more than `best`;
        else `best`."""
        if best is not None and best.name != "AddItems":
            return best
        adds: list[Intent] = []
        for sentence in sentences:
            words = self._without_edges(self._said(sentence))
            said = self._add_clauses(words, alone=len(sentences) == 1)
            if said is None:
                return best
            adds += said
        items = tuple(item for read in adds for item in read.items)
        before = best.items if best else ()
        more = len(items) > len(before) or self._named_well(items) > self._named_well(before)
        if len(adds) < 2 or not more:
            return best
        return replace(
            adds[0],
            text=" ".join(read.text for read in adds),
            items=items,
            implicit=all(read.implicit for read in adds),
        )

    def _add_clauses(self, words: list[str], alone: bool = False) -> list[Intent] | None:
        """The add requests the words make, cut before each separator ("and", "then") that a
        request to add with its own verb follows ("..., and add two lemons"; a bare list after
        it stays in its clause); None as soon as a clause is not one (`_fair_add`), so a long
        text of many cuts is read once, not once per cut. Words `alone` in their text and not
        cut are not read again: one request adds nothing to the text's own reading."""
        for index, word in enumerate(words[1:-1], start=1):
            if word not in self._separator_words:
                continue
            rest = self._without_edges(words[index + 1 :])
            read, _ = self._parse_words(rest, bare_list=False)
            if read is not None and read.name == "AddItems":
                first = self._fair_add(self._without_trailing_separators(words[:index]))
                later = self._add_clauses(rest) if first is not None else None
                return None if first is None or later is None else [first, *later]
        if not words or alone:
            return []
        last = self._fair_add(words)
        return None if last is None else [last]

    def _fair_add(self, words: list[str]) -> Intent | None:
        """The words read as AddItems whose items each name a product fairly well and none
        stands for the product talked about ("the organic one"), else None."""
        read, _ = self._parse_words(words)
        if read is None or read.name != "AddItems":
            return None
        for item in read.items:
            if item.refers or self.items.phrase_score(item.phrase) < NAMES_FAIRLY:
                return None
        return read

    def _without_trailing_separators(self, words: list[str]) -> list[str]:
        """ "add bananas , and also" -> "add bananas"."""
        while words and (words[-1] == "," or words[-1] in self._separator_words):
            words = words[:-1]
        return words

    def _weak(self, intent: Intent | None) -> bool:
        """Whether a reading is missing, or (with product names) names its products poorly."""
        return intent is None or (self.fallback is not None and self.fallback.weak(intent))

    def _past_correction(self, words: list[str]) -> Intent | None:
        """The reading of words that start with a correction ("no wait, make that two", "nah
        make it 4") without it, when that reads well; else None."""
        if not self.read_past_corrections:
            return None
        rest = words
        while rest and (lead := self._correction_at(rest)):
            rest = rest[len(lead) :]
            while rest and rest[0] == ",":
                rest = rest[1:]
        if len(rest) == len(words) or not rest:
            return None
        intent, _bare = self._parse_words(rest)
        return None if self._weak(intent) else intent

    def _correction_at(self, words: list[str]) -> tuple[str, ...]:
        """The correction lead the words start with, or ()."""
        return next(
            (lead for lead in self._correction_leads if tuple(words[: len(lead)]) == lead), ()
        )

    def _refused(self, intent: Intent | None) -> bool:
        """Whether an item of the reading has a count the dialog refuses (below 1, or a part of
        a number: "one over two banana"), which a fallback reading must not read past."""
        numbers = self.normalizer.numbers
        return intent is not None and any(
            (item.quantity is not None and item.quantity < 1)
            or (item.quantity is None and numbers.is_part(item.phrase.split()))
            for item in intent.items
        )

    def _continues(self, said: list[str], cleaned: list[str]) -> bool:
        """Whether the words dropped before the cleaned ones hold a list separator ("oh and
        chives", "also some sushi"): the shopper goes on with the order, so a bare list is
        asked for, not a stray word."""
        lead = next(
            (said[:n] for n in range(len(said)) if said[n : n + len(cleaned)] == cleaned), []
        )
        return any(word in self._separator_words for word in lead)

    def _better(
        self,
        intent: Intent | None,
        bare: bool,
        best: Intent | None,
        best_rank: tuple[bool, bool, float],
        with_fillers: bool = False,
    ) -> tuple[Intent | None, tuple[bool, bool, float]]:
        """The better of a reading and the best so far. A reading with its edge fillers kept
        wins only by being understood, or said as a command, where the other is not."""
        rank = self._rank(intent, bare)
        if with_fillers:
            rank = (rank[0], rank[1], -math.inf)
        return (intent, rank) if rank > best_rank else (best, best_rank)

    def _rank(self, intent: Intent | None, bare: bool) -> tuple[bool, bool, float]:
        """Understood at all; said as a command, not a list without a verb; how well its
        weakest product phrase names a product (1 without a phrase scorer or products). A
        reading that is only an edge filler ("thanks") ranks below any other that is
        understood."""
        if intent is None:
            return _rank_nothing()
        if tuple(intent.text.split()) in self._edge_fillers:
            return True, False, -math.inf
        phrases = [item.phrase for item in intent.items]
        if intent.product:
            phrases.append(intent.product)
        named = min((self.items.phrase_score(p) for p in phrases), default=1.0)
        return True, not bare, named

    def read_otherwise(self, intent: Intent, names: Collection[str]) -> Intent | None:
        """The intent's words read by the templates of other intents than `names`, not as a
        bare item list ("that's it": Yes while a question is open, Checkout when none is);
        None when no such template reads them."""
        other, _bare = self._parse_words(intent.text.split(), skip=names)
        return other if other is not None and not other.implicit else None

    def _parse_words(
        self, words: list[str], skip: Collection[str] = (), bare_list: bool = True
    ) -> tuple[Intent | None, bool]:
        """The intent of the words, and whether they are an item list without a verb; the
        templates of the intents in `skip` are passed over. Without `bare_list`, words that
        only the bare item list would read are None, and their items are not read."""
        if not words:
            return None, False
        normal = " ".join(words)
        for name, index, template in self._templates:
            if name in skip:
                continue
            slots = template.match(normal)
            if slots is None:
                continue
            if not bare_list and name == "AddItems" and index == self._bare_list_template:
                return None, False
            intent = self._intent(name, index, normal, slots)
            if intent is not None:
                return intent, name == "AddItems" and index == self._bare_list_template
        return None, False

    def _intent(self, name: str, index: int, normal: str, slots: dict[str, str]) -> Intent | None:
        numbers = self.normalizer.numbers
        quantity = None
        if "quantity" in slots:
            words = slots["quantity"].split()
            counted = numbers.parse_count(words)
            if counted is None or counted[1] != len(words):
                return None
            quantity = counted[0]
        items = tuple(self.items.read(slots["items"].split())) if "items" in slots else ()
        if "items" in slots and not items:
            return None
        product, unit = "", self.language.unit_forms.get(slots.get("product", ""), "")
        if "product" in slots and not unit:
            said = slots["product"].split()
            if quantity is not None and self._measured(said):
                return None
            if all((word,) in self._edge_filler_set for word in said):
                return None
            read = self.items.read(said)
            product = read[0].phrase if read else ""
            if not product:
                return None
            if name == "Price" and quantity is None:
                quantity, unit = read[0].quantity, read[0].unit
        ordinal = numbers.parse_ordinal(slots["ordinal"]) if "ordinal" in slots else None
        return Intent(
            name=name,
            text=normal.replace(" ,", ""),
            items=items,
            product=product,
            unit=unit,
            quantity=quantity,
            ordinal=ordinal,
            implicit=name == "AddItems"
            and index == self._bare_list_template
            and not any(_reads_as_request(item) for item in items)
            and normal.split()[0] not in self.language.request_openers,
            bare=name == "AddItems" and index == self._bare_list_template,
            person=slots.get("name", ""),
            store=slots.get("store", ""),
            section=slots.get("section", ""),
        )

    def _measured(self, words: list[str]) -> bool:
        """Whether the words start with a measure, a number or not before it ("liter
        bottle", "two liter"): said after a count, the count is the product's count and the
        number part of its name ("a 2 liter instead" is no change of count to "a")."""
        counted = self.normalizer.numbers.parse_count(words)
        at = counted[1] if counted is not None else 0
        return at < len(words) and words[at] in self.language.measure_words

    def _strip_edges(self, words: list[str], *, trailing: bool = True) -> list[str]:
        """The words without one edge filler (at the start, or with `trailing` at either end);
        words that are a whole filler ("thank you very much") are kept, not cut into a shorter
        filler and a stray rest ("very much")."""
        while words and words[0] == ",":
            words = words[1:]
        while words and words[-1] == ",":
            words = words[:-1]
        if tuple(words) in self._edge_filler_set:
            return words
        for filler in self._opening_fillers:
            if len(words) > len(filler) and tuple(words[: len(filler)]) == filler:
                return words[len(filler) :]
        for filler in self._edge_fillers:
            n = len(filler)
            if len(words) > n and tuple(words[:n]) == filler:
                return words[n:]
            if trailing and len(words) > n and tuple(words[-n:]) == filler:
                return words[:-n]
        return words
