"""Loading a language's word data (`voiceshop/data/<lang>/language.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from voiceshop.errors import VoiceShopError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it: about ten times faster."""


@dataclass(frozen=True)
class NumberWords:
    """Spoken numbers: the pieces from which counts are composed."""

    units: dict[str, int]
    tens: dict[str, int]
    scales: dict[str, int]
    joiners: frozenset[str]
    phrases: dict[str, int]
    multipliers: dict[str, int]
    ordinals: dict[str, int]
    misheard: dict[str, int] = field(default_factory=dict)
    """Words a recognizer often writes for a number word ("free" for "three"): read as that
    count only where the product is named better without them."""
    misheard_before_unit: frozenset[str] = frozenset()
    """Those of `misheard` that are common words too (French "de" for "deux"): read as a count
    only before a counting unit ("de paquets de café", not "de jambon")."""
    negative: frozenset[str] = frozenset()
    """Words that make the number after them negative ("minus")."""
    parts: frozenset[str] = frozenset()
    """Words after a number that make it part of a number, no count ("point", "over")."""
    minus_sign: str = ""
    """The word for a minus sign written before digits ("-5")."""
    fraction_bar: str = ""
    """The word for a fraction bar written between digits ("1/2", "½")."""
    decimal_mark: str = "."
    """How decimals are written after digits: "." ("1.5") or "," ("1,5", and then "1,500"
    is one and a half, not fifteen hundred)."""
    decimal_point: str = "point"
    """The word said between the whole part and the decimals of a number ("1.5")."""
    tens_with_teens: frozenset[str] = frozenset()
    """Tens that take 10..19 after them ("soixante dix" = 70, "quatre vingt onze" = 91)."""
    tens_joiners: frozenset[str] = frozenset()
    """Words between a tens and a unit of one number ("vingt et un")."""
    joined_units: frozenset[str] = frozenset()
    """The units said after a tens joiner when writing numbers ("un", "onze")."""
    unjoined_tens: frozenset[str] = frozenset()
    """Tens that take no joiner before those units when writing ("quatre vingt un")."""
    bare_scales: frozenset[str] = frozenset()
    """Scales that are a number alone, meaning one of them ("cent", "mille")."""
    halves: frozenset[str] = frozenset()
    """Words for a half after a number ("un demi", "deux et demi"): no whole count. Before a
    unit they are part of it ("un demi litre")."""


@dataclass(frozen=True)
class LanguageData:
    """Everything language-specific except the sentence templates and replies."""

    code: str
    numbers: NumberWords
    units: dict[str, str]
    """Counting unit -> its plural."""
    abbreviations: dict[str, str]
    measure_words: frozenset[str]
    """Words after which a number is a measure in a name ("two percent"), not a count."""
    contractions: dict[str, str]
    noise_words: frozenset[str]
    edge_fillers: tuple[str, ...]
    stopwords: frozenset[str]
    item_separators: tuple[str, ...]
    item_corrections: tuple[str, ...]
    count_hedges: frozenset[str]
    """Words that soften a count after them ("like 5 limes")."""
    """Words that take back the item said before them ("no wait")."""
    add_on_leads: tuple[str, ...]
    plural_endings: tuple[tuple[str, str], ...]
    singular_endings: tuple[str, ...]
    sound_rewrites: tuple[tuple[str, str], ...]
    fresh_produce: frozenset[str] = frozenset()
    """Fruit and vegetables, singular: said last in an item, the fresh produce itself."""
    opening_fillers: tuple[str, ...] = ()
    """Words dropped only at the start of an utterance ("k checkout")."""
    request_openers: frozenset[str] = frozenset()
    """Words that make items said without a verb a request ("some beer")."""
    purpose_leads: frozenset[str] = frozenset()
    """Words after an item that say what it is for ("snags for the barbie")."""
    unit_adjectives: frozenset[str] = frozenset()
    """Words describing a counting unit said before it ("a small carton of")."""
    count_fractions: dict[str, int] = field(default_factory=dict)
    """Words before "a" and a unit that take a part of it -> how many such parts make one
    ("half a pound of": 2)."""
    connectors: frozenset[str] = frozenset()
    """Words that join the words of a product phrase, never a product alone ("with", "of")."""
    unit_links: frozenset[str] = frozenset()
    """Words between a counting unit and its product ("two cartons of milk")."""
    dozen_unit: str = ""
    """The counting unit that holds twelve ("dozen")."""
    pack_count_words: tuple[str, ...] = ()
    """Words after a number in a product's size or name that count its pieces ("12 ct")."""
    store_prepositions: frozenset[str] = frozenset()
    """Words before a store's name at the end of a request ("add milk from the pharmacy")."""
    store_words: frozenset[str] = frozenset()
    """Words around a store's name that name no store ("the", "store")."""
    size_words: frozenset[str] = frozenset()
    """Weights and volumes that, said after a number and before a unit link, give the size of
    what is wanted, not a count ("deux cent cinquante grammes de comté": one comté)."""
    open_endings: frozenset[str] = frozenset()
    """Words after which a request goes on ("with", "the")."""
    elisions: dict[str, str] = field(default_factory=dict)
    regional_words: dict[str, str] = field(default_factory=dict)
    """Words of other regions -> the words stores print ("spuds" -> "potatoes")."""
    """A word's elided form before an apostrophe -> the word ("l'" -> "le")."""
    sound_key: str = "metaphone"
    """How words are keyed by sound for matching: "metaphone" (English) or "spelling" (the
    word after `sound_rewrites`)."""
    prompt_lead: str = ""
    """What the recognizer's prompt starts with, before the store's words ("Order:")."""
    prompt_spelling: str = "normal"
    """How the store's words are written in the recognizer's prompt: "normal" (the normal form
    the parser reads) or "written" (as the catalog writes them, accents and elisions kept)."""
    recognizer_prompt: bool = True
    """Whether Whisper is prompted with the store's words."""
    slot_rescoring: bool = True
    """Whether Whisper's unclear product phrases and misheard store words are read again
    against the store's (tuned on English)."""
    stop_words: tuple[str, ...] = ()
    """What, said over a reply, only stops it ("stop", "cancel"): lowercase, no punctuation."""
    name: str = ""
    """The language's code for recognizers ("fr"): `language:` in language.yaml."""
    speaker_voice: str | None = None
    """The espeak-ng voice that speaks it ("fr"); None: the speech engine's default."""
    reading: dict[str, Any] = field(default_factory=dict)
    """How the speaker reads written amounts and measures (`speaker.reading.Reading`)."""
    pro_forms: frozenset[str] = frozenset()
    """Words that stand for the kind of product just talked about ("green ones")."""
    item_openers: frozenset[str] = frozenset()
    """Words that open an item of its own after a separator ("and the buns")."""
    weights: dict[str, float] = field(default_factory=dict)
    """Weight unit -> ounces in one ("pound": 16)."""
    negations: frozenset[str] = frozenset()
    """Words that rule out what follows them in an answer ("brown, not organic")."""
    correction_leads: tuple[str, ...] = ()
    """Words that start a correction of what was just said ("no wait", "oops"), longest first."""
    kept_accents: tuple[tuple[str, str], ...] = ()
    """(pattern, replacement) rewrites of lowercase text made before accents are dropped; the
    replacement's accented letters stay in the normal form ("pâté" stays apart from "pâte")."""

    def weight(self, amount: float, unit: str) -> float | None:
        """`amount` of a weight unit, spoken or abbreviated ("2", "lb"), in ounces; None when
        the unit is no weight."""
        per_unit = self.weights.get(self.abbreviations.get(unit, unit))
        return None if per_unit is None else amount * per_unit

    @property
    def unit_forms(self) -> dict[str, str]:
        """Every spoken unit form (singular or plural) -> its singular."""
        forms = {plural: unit for unit, plural in self.units.items()}
        forms.update({unit: unit for unit in self.units})
        return forms


def language_dir(code: str) -> Path:
    """The folder holding a language's data files: `voiceshop/data/<code>`, or `code` itself
    when it is a path to a folder with a language.yaml (a language pack kept elsewhere)."""
    given = Path(code).expanduser()
    if len(given.parts) > 1 and (given / "language.yaml").is_file():
        return given
    folder = DATA_DIR / code
    if not (folder / "language.yaml").is_file():
        available = sorted(p.name for p in DATA_DIR.iterdir() if (p / "language.yaml").exists())
        raise VoiceShopError(
            f"No language data for {code!r} in {DATA_DIR}: available are {', '.join(available)}. "
            "See README, 'Adding a language'."
        )
    return folder


def read_yaml(path: Path) -> dict:
    """A YAML mapping from a data file, with a clear error when it is not one."""
    try:
        content = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as err:
        raise VoiceShopError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(content, dict):
        raise VoiceShopError(f"{path}: expected a mapping at the top level")
    return content


@cache
def load_language(code: str = "en") -> LanguageData:
    """Load (once per process) the word data of language `code`."""
    raw = read_yaml(language_dir(code) / "language.yaml")
    numbers = raw["numbers"]
    return LanguageData(
        code=code,
        numbers=NumberWords(
            units=numbers["units"],
            tens=numbers["tens"],
            scales=numbers["scales"],
            joiners=frozenset(numbers.get("joiners", ())),
            phrases=numbers.get("phrases", {}),
            multipliers=numbers.get("multipliers", {}),
            ordinals=numbers.get("ordinals", {}),
            misheard=numbers.get("misheard", {}),
            misheard_before_unit=frozenset(numbers.get("misheard_before_unit", ())),
            negative=frozenset(numbers.get("negative", ())),
            parts=frozenset(numbers.get("parts", ())),
            minus_sign=numbers.get("minus_sign", ""),
            fraction_bar=numbers.get("fraction_bar", ""),
            decimal_mark=numbers.get("decimal_mark", "."),
            decimal_point=numbers.get("decimal_point", "point"),
            tens_with_teens=frozenset(numbers.get("tens_with_teens", ())),
            tens_joiners=frozenset(numbers.get("tens_joiners", ())),
            joined_units=frozenset(numbers.get("joined_units", ())),
            unjoined_tens=frozenset(numbers.get("unjoined_tens", ())),
            bare_scales=frozenset(numbers.get("bare_scales", ())),
            halves=frozenset(numbers.get("halves", ())),
        ),
        units=raw.get("units", {}),
        abbreviations=raw.get("abbreviations", {}),
        measure_words=frozenset(raw.get("measure_words", ())),
        contractions=raw.get("contractions", {}),
        noise_words=frozenset(raw.get("noise_words", ())),
        edge_fillers=tuple(sorted(raw.get("edge_fillers", ()), key=len, reverse=True)),
        stopwords=frozenset(raw.get("stopwords", ())),
        item_separators=tuple(sorted(raw.get("item_separators", ()), key=len, reverse=True)),
        item_corrections=tuple(sorted(raw.get("item_corrections", ()), key=len, reverse=True)),
        count_hedges=frozenset(raw.get("count_hedges", ())),
        count_fractions=dict(raw.get("count_fractions", {})),
        unit_adjectives=frozenset(raw.get("unit_adjectives", ())),
        purpose_leads=frozenset(raw.get("purpose_leads", ())),
        request_openers=frozenset(raw.get("request_openers", ())),
        opening_fillers=tuple(raw.get("opening_fillers", ())),
        fresh_produce=frozenset(raw.get("fresh_produce", ())),
        add_on_leads=tuple(raw.get("add_on_leads", ())),
        plural_endings=tuple((a, b) for a, b in raw.get("plural_endings", ())),
        singular_endings=tuple(raw.get("singular_endings", ())),
        sound_rewrites=tuple((a, b) for a, b in raw.get("sound_rewrites", ())),
        connectors=frozenset(raw.get("connectors", ())),
        unit_links=frozenset(raw.get("unit_links", ())),
        dozen_unit=raw.get("dozen_unit", ""),
        pack_count_words=tuple(raw.get("pack_count_words", ())),
        open_endings=frozenset(raw.get("open_endings", ())),
        size_words=frozenset(raw.get("size_words", ())),
        store_prepositions=frozenset(raw.get("store_prepositions", ())),
        store_words=frozenset(raw.get("store_words", ())),
        elisions=raw.get("elisions", {}),
        regional_words=raw.get("regional_words", {}),
        sound_key=raw.get("sound_key", "metaphone"),
        prompt_lead=raw.get("prompt_lead", ""),
        prompt_spelling=raw.get("prompt_spelling", "normal"),
        recognizer_prompt=bool(raw.get("recognizer_prompt", True)),
        slot_rescoring=bool(raw.get("slot_rescoring", True)),
        stop_words=tuple(raw.get("stop_words", ())),
        name=raw.get("language", code),
        speaker_voice=raw.get("speaker_voice"),
        reading=raw.get("reading", {}),
        pro_forms=frozenset(raw.get("pro_forms", ())),
        item_openers=frozenset(raw.get("item_openers", ())),
        weights=raw.get("weights", {}),
        negations=frozenset(raw.get("negations", ())),
        kept_accents=tuple((a, b) for a, b in raw.get("kept_accents", ())),
        correction_leads=tuple(sorted(raw.get("correction_leads", ()), key=len, reverse=True)),
    )
