"""Loading a language's word data (`voiceshop/data/<lang>/language.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

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
    negative: frozenset[str] = frozenset()
    """Words that make the number after them negative ("minus")."""
    parts: frozenset[str] = frozenset()
    """Words after a number that make it part of a number, no count ("point", "over")."""
    minus_sign: str = ""
    """The word for a minus sign written before digits ("-5")."""
    fraction_bar: str = ""
    """The word for a fraction bar written between digits ("1/2", "½")."""


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
    pro_forms: frozenset[str] = frozenset()
    """Words that stand for the kind of product just talked about ("green ones")."""
    item_openers: frozenset[str] = frozenset()
    """Words that open an item of its own after a separator ("and the buns")."""
    weights: dict[str, float] = field(default_factory=dict)
    """Weight unit -> ounces in one ("pound": 16)."""

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
    """The folder holding a language's data files."""
    folder = DATA_DIR / code
    if not folder.is_dir():
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
            negative=frozenset(numbers.get("negative", ())),
            parts=frozenset(numbers.get("parts", ())),
            minus_sign=numbers.get("minus_sign", ""),
            fraction_bar=numbers.get("fraction_bar", ""),
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
        add_on_leads=tuple(raw.get("add_on_leads", ())),
        plural_endings=tuple((a, b) for a, b in raw.get("plural_endings", ())),
        singular_endings=tuple(raw.get("singular_endings", ())),
        sound_rewrites=tuple((a, b) for a, b in raw.get("sound_rewrites", ())),
        pro_forms=frozenset(raw.get("pro_forms", ())),
        item_openers=frozenset(raw.get("item_openers", ())),
        weights=raw.get("weights", {}),
    )
