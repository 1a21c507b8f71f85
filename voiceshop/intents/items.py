"""Reading a spoken list of items: "two cartons of milk, a dozen eggs and a large latte with
a bit of soy milk" -> one ItemRequest per product, with counts, units and options."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Protocol

from voiceshop.intents.model import MOST_SOLD_AT_ONCE, ItemRequest
from voiceshop.intents.options import OptionSpan, OptionSpotter
from voiceshop.language.data import LanguageData
from voiceshop.language.numbers import Numbers
from voiceshop.thresholds import (
    JOINED_NAMES,
    MERGE_TOLERANCE,
    NAMES_CLEARLY,
    NAMES_EXACTLY,
    NAMES_FAIRLY,
    NAMES_WEAKLY,
)


class ProductNames(Protocol):
    """What the parser asks the catalog about product words, to keep "macaroni and cheese"
    whole and to tell misheard counts and carrier words from names."""

    def score(self, phrase: str) -> float:
        """How well `phrase` names its best product, 0..1."""
        ...

    def product_id(self, phrase: str) -> str | None:
        """The id of the product `phrase` names best (None when none is close)."""
        ...

    def product_name(self, phrase: str) -> str | None:
        """The catalog's name of the product `phrase` names best (None when none is close)."""
        ...

    def sold_by(self, phrase: str, unit: str) -> str | None:
        """Words naming the one product, of those `phrase` leaves unclear, sold by `unit`
        ("gallon": the water sold in a gallon jug); None when there is not exactly one."""
        ...


_SCORES_KEPT = 4096
"""How many phrase scores a reader keeps: one reading asks about the same phrases often."""
_DOZEN = 12
_COUNT_REACH = 3
"""How many words before a possible item start a count phrase running over it may begin."""


@dataclass
class _Segment:
    """A stretch of words that may name one item."""

    positions: list[int] = field(default_factory=list)
    joined_by: str = ""
    """The separator before this segment ("," or a word), "" for the first."""
    separator: list[int] = field(default_factory=list)
    """Positions of that separator's words."""
    corrects: bool = False
    """Whether it was said to replace the item before it ("no wait, four limes")."""


class ItemListReader:
    """Splits item lists into ItemRequests, using the store's options and a phrase scorer."""

    def __init__(
        self,
        language: LanguageData,
        numbers: Numbers,
        spotter: OptionSpotter,
        products: ProductNames | None = None,
    ) -> None:
        self._language = language
        self._numbers = numbers
        self._spotter = spotter
        self._products = products
        self._phrase_score = lru_cache(maxsize=_SCORES_KEPT)(products.score) if products else None
        self._separators = [tuple(s.split()) for s in language.item_separators]
        self._corrections = [tuple(c.split()) for c in language.item_corrections]
        self._unit_forms = language.unit_forms
        self._multipliers = frozenset(language.numbers.multipliers)
        self._connectors = language.connectors | {","}
        self._unit_links = language.unit_links
        self._asides = [tuple(f.split()) for f in language.edge_fillers]
        """Words that wrap a request, never name a product ("biscuits then", ", quick"),
        longest first."""
        self._carrier_words = language.stopwords | self._connectors

    def phrase_score(self, phrase: str) -> float:
        """How well `phrase` names its best product, 0..1 (1 without a phrase scorer)."""
        return self._phrase_score(phrase) if self._phrase_score else 1.0

    def read(self, words: Sequence[str]) -> list[ItemRequest]:
        """The items named in `words` (normal form, commas as words)."""
        spans = self._spotter.spot(words) if self._spotter else []
        span_at = {i: span for span in spans for i in range(span.start, span.end)}
        segments = self._split(words, span_at)
        if not segments:
            return []
        segments = self._attach_option_only(words, segments, span_at)
        segments = self._merge_names_with_and(words, segments, span_at)
        items = [self._item(words, seg, span_at) for seg in segments]
        items = [item for item in items if self._says_item(item)]
        return [replace(item, joined_by="") if n == 0 else item for n, item in enumerate(items)]

    def _says_item(self, item: ItemRequest) -> bool:
        """Whether a part of the list asks for something: product words that are not only
        words wrapping a request (", quick", "and then"), options, a count or a pro-form."""
        if item.options or item.refers or item.quantity is not None:
            return True
        return bool(self._without_asides(item.phrase.split()))

    def _without_asides(self, words: list[str]) -> list[str]:
        """The words without the words wrapping a request at their end ("biscuits then",
        "white this week"); [] when they are all such words."""
        cut = True
        while words and cut:
            cut = False
            for aside in self._asides:
                if tuple(words[-len(aside) :]) == aside:
                    words, cut = words[: -len(aside)], True
                    break
        return words

    def _split(self, words: Sequence[str], span_at: dict[int, OptionSpan]) -> list[_Segment]:
        """The segments between separators; one said after a correction replaces the one
        before it."""
        segments = [_Segment()]
        i = 0
        while i < len(words):
            correction = None if i in span_at else self._phrase_at(words, i, self._corrections)
            separator = correction or (None if i in span_at else self._separator_at(words, i))
            if separator:
                segments.append(
                    _Segment(
                        joined_by="," if correction else " ".join(separator),
                        separator=list(range(i, i + len(separator))),
                        corrects=bool(correction) or self._still_correcting(segments[-1]),
                    )
                )
                i += len(separator)
                continue
            if i not in span_at and self._counted_unit_starts(words, i, segments[-1], span_at):
                segments.append(_Segment(joined_by=","))
            segments[-1].positions.append(i)
            i += 1
        kept: list[_Segment] = []
        for seg in segments:
            if seg.positions and seg.corrects and kept:
                kept.pop()
            if seg.positions:
                kept.append(seg)
        return kept

    def _counted_unit_starts(
        self, words: Sequence[str], i: int, seg: _Segment, span_at: dict[int, OptionSpan]
    ) -> bool:
        """Whether a count, a counting unit and "of" at `i` start an item of their own, said
        without a separator after one that already names a product ("two lemons a bag of red
        grapes a bunch of kale", as dictation writes a list): a unit "of" is never inside a
        name. Not a number after a count ("a twelve pack of"), nor a part of a unit ("half a
        pound of")."""
        if not seg.positions or self._phrase_score is None:
            return False
        counted = self._numbers.parse_count(words, i)
        if counted is None or words[i - 1] in self._language.count_fractions:
            return False
        number = self._numbers.is_number_word(words[i])
        if number and self._numbers.parse_count(words, i - 1) is not None:
            return False
        if self._inside_count(words, i):
            return False
        free = list(range(i + counted[1], len(words)))
        if not self._unit_at(words, free, 0, counted=False):
            return False
        before = self._product_of(words, seg, span_at)[2]
        return bool(before) and self._phrase_score(" ".join(before)) >= NAMES_FAIRLY

    def _inside_count(self, words: Sequence[str], i: int) -> bool:
        """Whether a count phrase started just before `i` goes on past it ("half a dozen",
        "a couple of")."""
        for start in range(max(0, i - _COUNT_REACH), i):
            counted = self._numbers.parse_count(words, start)
            if counted is not None and start + counted[1] > i:
                return True
        return False

    @staticmethod
    def _still_correcting(seg: _Segment) -> bool:
        """Whether a correction said just before is still waiting for its item ("no wait,
        four limes": the comma after the correction)."""
        return seg.corrects and not seg.positions

    @staticmethod
    def _phrase_at(
        words: Sequence[str], i: int, phrases: list[tuple[str, ...]]
    ) -> tuple[str, ...] | None:
        for phrase in phrases:
            if tuple(words[i : i + len(phrase)]) == phrase:
                return phrase
        return None

    def _separator_at(self, words: Sequence[str], i: int) -> tuple[str, ...] | None:
        if words[i] == ",":
            return (",",)
        return self._phrase_at(words, i, self._separators)

    def _attach_option_only(
        self, words: Sequence[str], segments: list[_Segment], span_at: dict[int, OptionSpan]
    ) -> list[_Segment]:
        """A segment that names no product but carries options or a count ("two twelve ounce",
        "with cream", "i got a large") belongs to the item before it (past segments that name
        nothing: "coffee, wait, sweetener"), or to the next one when it comes first; its words
        that name nothing are dropped."""
        kept: list[_Segment] = []
        for seg in segments:
            if kept and (
                self._only_describes(words, seg, span_at)
                or self._vaguely_describes(words, seg, kept[-1], seg.joined_by, span_at)
            ):
                target = self._last_named(words, kept, span_at)
                target.positions[:0] = self._count_for(words, seg, target, span_at)
                target.positions.extend(i for i in seg.positions if i in span_at)
            else:
                kept.append(seg)
        if len(kept) > 1 and (
            self._only_describes(words, kept[0], span_at)
            or self._vaguely_describes(words, kept[0], kept[1], kept[1].joined_by, span_at)
        ):
            kept[1].positions[:0] = self._description(words, kept[0], span_at)
            kept.pop(0)
        return kept

    def _count_for(
        self, words: Sequence[str], seg: _Segment, target: _Segment, span_at: dict[int, OptionSpan]
    ) -> list[int]:
        """The positions of a count and unit said after a comma for the item before, which has
        neither ("80 20 ground beef, two pounds", "2% milk, 2 gallons"); else none."""
        if seg.joined_by != "," or self._product_of(words, target, span_at)[:2] != (None, ""):
            return []
        counted = self._description(words, seg, span_at)
        return [i for i in counted if i not in span_at]

    def _last_named(
        self, words: Sequence[str], kept: list[_Segment], span_at: dict[int, OptionSpan]
    ) -> _Segment:
        """The last segment that names a product, or carries options; else the last one."""
        for seg in reversed(kept):
            named = self._names_product(self._product_of(words, seg, span_at)[2])
            if named or any(i in span_at for i in seg.positions):
                return seg
        return kept[-1]

    def _vaguely_describes(
        self,
        words: Sequence[str],
        vague: _Segment,
        clear: _Segment,
        joined_by: str,
        span_at: dict[int, OptionSpan],
    ) -> bool:
        """Whether a segment with options but only a vague product word ("his sixteen ounce",
        "little lots of soy milk": misheard words) describes the product that the segment next
        to it, only a comma away, names clearly."""
        if self._phrase_score is None or joined_by != ",":
            return False
        if not any(i in span_at for i in vague.positions):
            return False
        vague_words = " ".join(self._product_of(words, vague, span_at)[2])
        clear_words = " ".join(self._product_of(words, clear, span_at)[2])
        score = self._phrase_score
        return bool(clear_words) and score(vague_words) < NAMES_CLEARLY <= score(clear_words)

    def _only_describes(
        self, words: Sequence[str], seg: _Segment, span_at: dict[int, OptionSpan]
    ) -> bool:
        """Whether the segment has options, or a count or a unit and no other words ("and two",
        ", two pounds"; but not "and a scone", a product the store may lack), and no words naming
        a product."""
        free = self._positions_outside_options(seg, span_at)
        rest = self._count_and_unit(words, free[self._carrier_length(words, seg, span_at) :])[2]
        if not self._product_words(words, _Segment(rest), span_at):
            return bool(self._description(words, seg, span_at)) or any(
                i in span_at for i in seg.positions
            )
        product = self._product_of(words, seg, span_at)[2]
        return not self._names_product(product) and any(i in span_at for i in seg.positions)

    def _description(
        self, words: Sequence[str], seg: _Segment, span_at: dict[int, OptionSpan]
    ) -> list[int]:
        """The positions of the segment's options, count and unit."""
        free = self._positions_outside_options(seg, span_at)
        start = self._carrier_length(words, seg, span_at)
        rest = self._count_and_unit(words, free[start:])[2]
        counted = set(free[start : len(free) - len(rest)])
        return [i for i in seg.positions if i in span_at or i in counted]

    def _names_product(self, product: list[str]) -> bool:
        """Whether the product words name a product, at least weakly."""
        if not product:
            return False
        return self._phrase_score is None or self._phrase_score(" ".join(product)) >= NAMES_WEAKLY

    def _merge_names_with_and(
        self, words: Sequence[str], segments: list[_Segment], span_at: dict[int, OptionSpan]
    ) -> list[_Segment]:
        """Rejoin parts split at "and" or a comma that name one product (see `_should_merge`
        and `_pauses_in_name`)."""
        if self._phrase_score is None:
            return segments
        merged = [segments[0]]
        for seg in segments[1:]:
            previous = merged[-1]
            one = self._pauses_in_name if seg.joined_by == "," else self._should_merge
            if self._both_named(words, previous, seg, span_at) and one(
                words, previous, seg, span_at
            ):
                previous.positions.extend(seg.separator + seg.positions)
            else:
                merged.append(seg)
        return merged

    def _both_named(
        self,
        words: Sequence[str],
        first: _Segment,
        second: _Segment,
        span_at: dict[int, OptionSpan],
    ) -> bool:
        """Whether both parts have product words, and the second starts with no count, nor,
        after a word such as "and", with one opening an item of its own ("and the buns"; but
        ", the pepperoni ones" may say the item before again)."""
        if self._numbers.parse_count(words, second.positions[0]) is not None:
            return False
        if second.joined_by != "," and words[second.positions[0]] in self._language.item_openers:
            return False
        return all(self._product_of(words, seg, span_at)[2] for seg in (first, second))

    def _pauses_in_name(
        self,
        words: Sequence[str],
        first: _Segment,
        second: _Segment,
        span_at: dict[int, OptionSpan],
    ) -> bool:
        """Whether two parts with a comma between them (a pause, as recognizers write it) are
        one name: joined, they name a product clearly, at least as well as the clearer part
        names its own, and better than the other part ("four yogurts, strawberry", "chicken,
        broth"; not "bread, butter" where Butter Bread is sold), or as well as either part and
        the catalog writes that name with commas ("Cheese, Medium Cheddar")."""
        assert self._phrase_score is not None and self._products is not None
        left = " ".join(self._product_of(words, first, span_at)[2])
        right = " ".join(self._product_of(words, second, span_at)[2])
        joined = f"{left} {right}"
        weaker, clearer = sorted((self._phrase_score(left), self._phrase_score(right)))
        whole = self._phrase_score(joined)
        if whole < clearer - MERGE_TOLERANCE:
            return False
        if whole >= NAMES_CLEARLY and whole > weaker + MERGE_TOLERANCE:
            return True
        return "," in (self._products.product_name(joined) or "")

    def _should_merge(
        self,
        words: Sequence[str],
        first: _Segment,
        second: _Segment,
        span_at: dict[int, OptionSpan],
    ) -> bool:
        """Whether two parts with "and" between them name one product, the likelier reading
        when the whole names a product
        - at all, and a part names none ("herb and wild mushroom rice", misheard);
        - about as well as the better part ("macaroni and cheese");
        - fairly well, and a part names one only weakly ("low and green tea scented hand soap");
        - other than the clearer part's, and a part names one not clearly, as long as the whole
          names its product fairly well and at least as well as that part names its own ("sea
          salt and butter maked corn"; but "salt and vinegar chips and macaroni" are two)."""
        assert self._phrase_score is not None
        left = " ".join(self._product_of(words, first, span_at)[2])
        right = " ".join(self._product_of(words, second, span_at)[2])
        joined_words = f"{left} {second.joined_by} {right}"
        joined = self._phrase_score(joined_words)
        (_, low), (clearer, high) = sorted(
            [(left, self._phrase_score(left)), (right, self._phrase_score(right))],
            key=lambda part: part[1],
        )
        if low < NAMES_WEAKLY:
            return joined >= NAMES_WEAKLY
        if joined >= high - MERGE_TOLERANCE or (low < NAMES_FAIRLY and joined >= JOINED_NAMES):
            return True
        return (
            low < NAMES_CLEARLY
            and joined >= max(low, NAMES_FAIRLY)
            and self._names_another_product(joined_words, clearer)
        )

    def _names_another_product(self, joined: str, part: str) -> bool:
        """Whether the joined words name another product than the part does: when "salt and
        vinegar chips and macaroni" names the chips, "macaroni" is an item of its own."""
        assert self._products is not None
        return self._products.product_id(joined) != self._products.product_id(part)

    def _item(
        self, words: Sequence[str], seg: _Segment, span_at: dict[int, OptionSpan]
    ) -> ItemRequest:
        options: dict[str, str] = {}
        for i in seg.positions:
            if i in span_at:
                options.setdefault(span_at[i].group, span_at[i].value)
        quantity, unit, product = self._product_of(words, seg, span_at)
        apart = seg.joined_by == "," or words[seg.positions[0]] in self._language.item_openers
        joined_by = "" if apart else seg.joined_by
        phrase = " ".join(product)
        if unit and phrase and self._products is not None:
            phrase = self._products.sold_by(phrase, unit) or phrase
        free = self._positions_outside_options(seg, span_at)
        refers = bool(free) and words[free[-1]] in self._language.pro_forms
        if quantity is not None and not unit and phrase in self._language.unit_forms:
            # A count and a unit alone ("a pound then", "two packs") stand for the product
            # talked about, as "two green ones" does.
            phrase, unit, refers = "", self._language.unit_forms[phrase], True
        size = self._pack_size(words, seg, span_at)
        item = ItemRequest(phrase, quantity, unit, options, joined_by, size=size, refers=refers)
        if not item.implausible:
            return item
        counted = [words[i] for i in self._description(words, seg, span_at) if i not in span_at]
        return replace(item, sane_quantity=self._numbers.scaled_reading(counted, MOST_SOLD_AT_ONCE))

    def _product_of(
        self, words: Sequence[str], seg: _Segment, span_at: dict[int, OptionSpan]
    ) -> tuple[int | None, str, list[str]]:
        """The segment's count, unit and product words, after any carrier words before them."""
        free = self._positions_outside_options(seg, span_at)
        start = self._carrier_length(words, seg, span_at)
        quantity, unit, rest = self._count_and_unit(words, free[start:])
        product = self._without_trailing_carrier(
            self._without_purpose(self._product_words(words, _Segment(rest), span_at))
        )
        if quantity is not None or unit:
            product = self._without_asides(product)
        if not product and unit:
            product, unit = [unit], ""
        if not unit:
            product, unit = self._trailing_unit(product)
        return quantity, unit, product

    def _trailing_unit(self, product: list[str]) -> tuple[list[str], str]:
        """The product words and the counting unit said after them ("two pork chop packs":
        pork chop, pack) when the words name a product better without it; else the words as
        they are ("trash bags" is a product) and no unit."""
        if self._phrase_score is None:
            return product, ""
        for length in (2, 1):
            said = " ".join(product[-length:])
            if len(product) <= length or said not in self._unit_forms:
                continue
            rest = product[:-length]
            if self._phrase_score(" ".join(rest)) > self._phrase_score(" ".join(product)):
                return rest, self._unit_forms[said]
        return product, ""

    def _without_purpose(self, product: list[str]) -> list[str]:
        """The product words without what they are for, said after them ("snags for the
        barbie", "coffee for the office"): from the last purpose word on, when the words
        before name a product better than those after and than all of them."""
        if self._phrase_score is None:
            return product
        score = self._phrase_score
        leads = self._language.purpose_leads
        at = next((n for n in range(len(product) - 1, 0, -1) if product[n] in leads), None)
        if at is None:
            return product
        purpose = " ".join(product[at + 1 :])
        before = " ".join(product[:at])
        if purpose and score(purpose) < score(before) > score(" ".join(product)):
            return product[:at]
        return product

    def _without_trailing_carrier(self, product: list[str]) -> list[str]:
        """The product words without trailing stopwords and connectors that name nothing
        ("drip coffee or", "mocha with as a") when the phrase names a product better without
        them; other words stay ("two lottery tickets": the store may not carry them). Words
        that wrap a request ("biscuits then") go whenever a word is left."""
        if self._phrase_score is None:
            return product
        product = self._without_asides(product) or product
        score = self._phrase_score
        keep = len(product)
        while (
            keep > 1
            and product[keep - 1] in self._carrier_words
            and score(product[keep - 1]) < NAMES_WEAKLY
        ):
            keep -= 1
        cuts = range(len(product), keep - 1, -1)
        best = max(cuts, key=lambda cut: (score(" ".join(product[:cut])), -cut))
        return product[:best]

    def _carrier_length(
        self, words: Sequence[str], seg: _Segment, span_at: dict[int, OptionSpan]
    ) -> int:
        """How many leading words only carry the sentence ("thank me a", "i wanted", "like"):
        words that each name nothing (or hedge a count), followed by a count or in a segment
        with options (so an item surely starts after them), or hedges only ("just the hot
        dogs"), whose removal names a product better. 0 without a phrase scorer."""
        if self._phrase_score is None:
            return 0
        score = self._phrase_score
        free = self._positions_outside_options(seg, span_at)
        described = any(i in span_at for i in seg.positions)
        naming_nothing = 0
        while naming_nothing < len(free) and self._carries(words[free[naming_nothing]]):
            naming_nothing += 1
        best, best_score = 0, -1.0
        hedges = self._language.count_hedges
        for start in range(naming_nothing + 1):
            rest = free[start:]
            counted = self._numbers.parse_count([words[i] for i in rest]) is not None
            hedged = all(words[i] in hedges for i in free[:start])
            if start and not (described or counted or hedged):
                continue
            product = self._product_words(
                words, _Segment(self._count_and_unit(words, rest)[2]), span_at
            )
            product_score = score(" ".join(product)) if product else 0.0
            if product_score > best_score:
                best, best_score = start, product_score
        return best

    def _carries(self, word: str) -> bool:
        """Whether a word may only carry the sentence: it names nothing, or it is a hedge
        ("like")."""
        assert self._phrase_score is not None
        return word in self._language.count_hedges or self._phrase_score(word) < NAMES_WEAKLY

    @staticmethod
    def _positions_outside_options(seg: _Segment, span_at: dict[int, OptionSpan]) -> list[int]:
        """The segment's word positions that no option span takes."""
        return [i for i in seg.positions if i not in span_at]

    def _count_and_unit(
        self, words: Sequence[str], free: list[int]
    ) -> tuple[int | None, str, list[int]]:
        if not free:
            return None, "", free
        part = self._part_of_weight(words, free)
        if part is not None:
            return part
        counted = self._numbers.parse_count([words[i] for i in free]) or self._misheard_count(
            words, free
        )
        quantity, unit, used = None, "", 0
        if counted is not None and self._sized(words, free, counted[1]):
            return None, "", free[counted[1] + 2 :]
        if counted is not None and self._count_in_name(words, free, counted[1]):
            counted = None
        if counted is not None:
            quantity, used = counted
            said = {words[i] for i in free[:used]}
            if said & self._multipliers and quantity % _DOZEN == 0:
                quantity, unit = quantity // _DOZEN, self._language.dozen_unit
            used += self._pack_size_at(words, free, used)
        if used < len(free) and words[free[used]] in self._language.unit_adjectives:
            used += 1 if self._unit_at(words, free, used + 1, counted is not None) else 0
        unit_words = self._unit_at(words, free, used, counted is not None)
        if unit_words:
            unit = self._unit_forms[" ".join(words[i] for i in free[used : used + unit_words])]
            used += unit_words
            if used < len(free) and words[free[used]] in self._unit_links:
                used += 1
        return quantity, unit, free[used:]

    def _part_of_weight(
        self, words: Sequence[str], free: list[int]
    ) -> tuple[int, str, list[int]] | None:
        """A part of a weight unit said first ("half a pound of deli turkey", "a quarter
        pound of ham") as a whole count of the smallest weight unit (8 ounces), with the
        product's positions; None when the words start otherwise."""
        language = self._language
        at = 1 if self._says_one(words[free[0]]) and len(free) > 1 else 0
        parts = language.count_fractions.get(words[free[at]])
        smallest = min(language.weights, key=language.weights.__getitem__, default="")
        if parts is None or not smallest:
            return None
        at += 1
        if at < len(free) and self._says_one(words[free[at]]):
            at += 1
        if at >= len(free):
            return None
        unit = self._unit_forms.get(words[free[at]], "")
        ounces = language.weights.get(unit, 0) / language.weights[smallest]
        if not ounces or ounces % parts:
            return None
        at += 1
        if at < len(free) and words[free[at]] in self._unit_links:
            at += 1
        return int(ounces // parts), smallest, free[at:]

    def _says_one(self, word: str) -> bool:
        """Whether the word alone is a count of one ("a", "an", "one")."""
        return self._numbers.parse_count([word]) == (1, 1)

    def _sized(self, words: Sequence[str], free: list[int], used: int) -> bool:
        """Whether the number said first is a size, with a size word and a unit link after it
        ("deux cent cinquante grammes de comté")."""
        return (
            used + 2 < len(free)
            and words[free[used]] in self._language.size_words
            and words[free[used + 1]] in self._unit_links
        )

    def _pack_size(
        self, words: Sequence[str], seg: _Segment, span_at: dict[int, OptionSpan]
    ) -> str:
        """The words giving the size of the unit said after the count ("twenty four" of "a 24
        pack of water"), or ""."""
        free = self._positions_outside_options(seg, span_at)
        free = free[self._carrier_length(words, seg, span_at) :]
        counted = self._numbers.parse_count([words[i] for i in free])
        if counted is None or self._count_in_name(words, free, counted[1]):
            return ""
        sized = free[counted[1] : counted[1] + self._pack_size_at(words, free, counted[1])]
        return " ".join(words[i] for i in sized)

    def _pack_size_at(self, words: Sequence[str], free: list[int], at: int) -> int:
        """How many words from free[at] give the size of the unit after them, or 0: a number,
        then measure or unit words, the last of them a unit ("two [12] packs", "a [twelve]
        pack", "two [12 oz] cans", "a [5 pound] bag"; not "two 2% milks")."""
        found = self._numbers.parse_number([words[i] for i in free[at:]])
        if found is None:
            return 0
        end = at + found[1]
        sizing = self._language.measure_words | self._unit_forms.keys()
        while end < len(free) and words[free[end]] in sizing:
            end += 1
        last = words[free[end - 1]]
        if end == at + found[1] or last not in self._unit_forms:
            return 0
        return end - 1 - at

    def _count_in_name(self, words: Sequence[str], free: list[int], used: int) -> bool:
        """Whether the number said first is part of the product's name, not a count ("two
        percent milk", "7 up", "3 musketeers"; never "a"): no unit follows it, and a measure
        word does ("40% greek yogurt") or the words with it all but say a product's name, and
        name it clearly better than the words after them (the catalog decides; "one milk" is
        a count: 1% Milk is not said)."""
        if (
            self._phrase_score is None
            or used >= len(free)
            or self._unit_at(words, free, used, True)
        ):
            return False
        if not self._numbers.is_number_word(words[free[0]]):
            return False
        if words[free[used]] in self._language.measure_words:
            return True
        whole = self._phrase_score(" ".join(words[i] for i in free))
        if whole < NAMES_EXACTLY:
            return False
        return whole > self._phrase_score(" ".join(words[i] for i in free[used:])) + MERGE_TOLERANCE

    def _misheard_count(self, words: Sequence[str], free: list[int]) -> tuple[int, int] | None:
        """A first word that stands for a misheard count ("free sea salt"; French "de paquets
        de café"), where the words after it (not starting with a stopword: "to my cart") name a
        product at least as well as all of them, and at least weakly."""
        if len(free) < 2 or self._phrase_score is None:
            return None
        misheard = self._numbers.misheard_count(
            words[free[0]], before_unit=words[free[1]] in self._unit_forms
        )
        if misheard is None:
            return None
        if words[free[1]] in self._language.stopwords:
            return None
        rest = self._phrase_score(" ".join(words[i] for i in free[1:]))
        whole = self._phrase_score(" ".join(words[i] for i in free))
        return (misheard, 1) if rest >= max(whole, NAMES_WEAKLY) else None

    def _unit_at(self, words: Sequence[str], free: list[int], at: int, counted: bool) -> int:
        """How many words from free[at] name a unit ("cartons", "half gallon"), or 0."""
        for length in (2, 1):
            if at + length > len(free):
                continue
            said = " ".join(words[i] for i in free[at : at + length])
            followed_by_of = (
                at + length < len(free) and words[free[at + length]] in self._unit_links
            )
            if said in self._unit_forms and (counted or followed_by_of):
                return length
        return 0

    def _product_words(
        self, words: Sequence[str], seg: _Segment, span_at: dict[int, OptionSpan]
    ) -> list[str]:
        """The words naming the product: no options, no connectors left dangling by them."""
        kept: list[str] = []
        positions = seg.positions
        for n, i in enumerate(positions):
            if i in span_at or words[i] == ",":
                continue
            nxt = positions[n + 1] if n + 1 < len(positions) else None
            dangling = nxt is None or nxt in span_at
            if words[i] in self._connectors and dangling:
                continue
            kept.append(words[i])
        while kept and (kept[0] in self._connectors or kept[0] in self._language.stopwords):
            if self._numbers.is_number_word(kept[0]) and len(kept) > 1:
                break
            kept.pop(0)
        return kept
