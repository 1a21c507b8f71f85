"""Reply wording from `voiceshop/data/<lang>/responses.yaml`, and how things are said back."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voiceshop.catalog.model import OptionKind, Product, Store
from voiceshop.language.data import language_dir, load_language, read_yaml
from voiceshop.language.normalize import Normalizer
from voiceshop.storage.records import CartLine


class Replies:
    """Fills reply templates and says lines, lists and money the way the language does."""

    def __init__(self, store: Store, language: str = "en") -> None:
        raw = read_yaml(language_dir(language) / "responses.yaml")
        self._replies: dict[str, str] = raw["replies"]
        self._changes: dict[str, str] = raw["changes"]
        self._words: dict[str, str] = raw["words"]
        self._store = store
        self._plurals = {**raw.get("plurals", {}), **load_language(language).units}
        self._plural_rules: list[tuple[str, str]] = [(a, b) for a, b in raw.get("plural_rules", ())]
        """[ending, plural ending] tried in order; "" fits every noun; none: nouns stay."""
        self._plural_word = raw.get("plural_word", "last")
        """Which words of a product name agree with its count: the "last" one, or the "head":
        every word before the first of `plural_stops` ("croissants au beurre", "citrons
        verts") but the `invariable` ones ("yaourts nature") and capitalised ones ("pommes
        Golden")."""
        self._plural_stops = frozenset(raw.get("plural_stops", ()))
        self._invariable = frozenset(raw.get("invariable", ()))
        self._money = raw.get("money", {})
        self._capitalize = bool(raw.get("capitalize", False))
        self._elision = _elision_rule(raw.get("elisions", {}))
        self._indefinite = Indefinite.from_data(raw.get("indefinite", {}))
        self._examples: list[str] = raw.get("examples", [])
        self._articles: dict[str, str] = raw.get("articles", {})
        """Gender or "plural" -> the article before a product offered in a choice; none:
        names are offered bare."""
        self._genders = Genders.from_data(raw.get("genders", {}))
        self._agreements = {
            key: Agreement(**rule) for key, rule in raw.get("agreement", {}).items()
        }
        """Reply key -> its form for a plural product name ("coûtent" for "coûte")."""
        self._ordinals: dict[str, list[str]] = raw.get("ordinals", {})
        self._spellings = catalog_spellings(store, Normalizer(load_language(language)).normalize)

    def say(self, key: str, **fields: object) -> str:
        """The reply `key` with its fields filled in; a `phrase` the shopper said (in normal
        form) is written back as the catalog writes its words (`spelled`)."""
        phrase = fields.get("phrase")
        if isinstance(phrase, str):
            fields["phrase"] = self.spelled(phrase)
        return self._finish(self._agreeing(key, fields).format(**fields).strip())

    def _agreeing(self, key: str, fields: dict[str, object]) -> str:
        """The reply `key`, in its plural form when the name its verb agrees with is plural."""
        rule = self._agreements.get(key)
        if rule is not None and self._genders.plural(str(fields.get(rule.field, ""))):
            return rule.plural
        return self._replies[key]

    def spelled(self, phrase: str) -> str:
        """A phrase in normal form ("creme fraiche") with each word as the catalog writes it
        ("crème fraîche"); words the catalog writes in several ways, or not at all, stay."""
        return " ".join(self._spellings.get(word, word) for word in phrase.split())

    def word(self, key: str) -> str:
        """One of the language's reply words ("and", "is")."""
        return self._words[key]

    def _finish(self, text: str) -> str:
        """Words elided as the language writes them ("de eau" -> "d'eau"); a capital first
        letter where the language asks for it."""
        if self._elision is not None:
            text = self._elision.sub(lambda m: f"{m.group('word')[:-1]}'", text)
        if self._capitalize and text[:1].islower():
            text = text[:1].upper() + text[1:]
        return text

    def change(self, key: str, **fields: object) -> str:
        """How an undoable change is described ("adding 2 Whole Milk")."""
        return self._changes[key].format(**fields)

    def money(self, amount: float) -> str:
        """An amount in the store's currency as the language writes it: "$11.47", "4,99 €"."""
        money = self._money
        written = f"{amount:,.2f}"
        if money.get("decimal_mark", ".") != "." or money.get("thousands_mark", ",") != ",":
            marks = {",": money.get("thousands_mark", ","), ".": money.get("decimal_mark", ".")}
            written = "".join(marks.get(c, c) for c in written)
        currency = self._store.currency
        form = money.get("formats", {}).get(currency) or money.get("other", "{currency} {amount}")
        return form.format(amount=written, currency=currency)

    def join(self, parts: Sequence[str], conjunction: str = "and") -> str:
        """ "A", "A and B", "A, B and C"."""
        word = self._words[conjunction]
        if len(parts) <= 1:
            return "".join(parts)
        return f"{', '.join(parts[:-1])} {word} {parts[-1]}"

    def examples(self) -> str:
        """Requests one can make here, from the language's `examples`, each said with one of
        this store's own products: "add a Banana, how much is Banana or what's in my cart"."""
        products = self._store.products
        if not products:
            return self.join([e for e in self._examples if "{" not in e], "or")
        name = min(products, key=lambda product: len(product.name.split())).name
        said = [e.format(product=name, a_product=self.article(name)) for e in self._examples]
        return self.join(said, "or")

    def article(self, word: str) -> str:
        """The word with its indefinite article, as the language says it ("an apple")."""
        return self._indefinite.before(word)

    def items_word(self, count: int) -> str:
        return self._words["item" if count == 1 else "items"]

    def counted(self, noun: str, count: int) -> str:
        """The noun as said after `count`: "1 loaf", "2 loaves"; plural names stay as they are.
        Irregular plurals, invariable nouns and the ending rules are the language's data."""
        if count == 1 or noun.lower() in self._invariable:
            return noun
        known = self._plurals.get(noun.lower())
        if known is not None:
            return known if noun.islower() else known.capitalize()
        return _by_rules(noun, self._plural_rules)

    def counted_name(self, name: str, count: int) -> str:
        """A product name after a count, its last word in agreement: "6 Bananas", "3 Hass
        Avocados"."""
        if self._plural_word == "head":
            return self._counted_head(name, count)
        *head, last = name.split() or [""]
        return " ".join([*head, self.counted(last, count)])

    def _counted_head(self, name: str, count: int) -> str:
        words = name.split()
        for n, word in enumerate(words):
            if word.lower() in self._plural_stops or "'" in word:
                break
            if n and (word[:1].isupper() or word.lower() in self._invariable):
                continue
            if word.lower() not in self._plurals and "-" in word:
                first, _, last = word.rpartition("-")
                words[n] = f"{first}-{self.counted(last, count)}"
            else:
                words[n] = self.counted(word, count)
        return " ".join(words)

    def line(self, line: CartLine) -> str:
        """ "2 cartons of Organic Whole Milk", "6 Bananas", "1 Large Latte with a bit of soy
        milk"."""
        product = self._store.product(line.product_id)
        unit = product.unit if product else ""
        count = line.quantity
        if unit:
            units = self.counted(unit, count)
            name = self.described_name(line.name, line.options)
            return self.say("line_of_units", count=count, units=units, name=name)
        name = self.described_name(self.counted_name(line.name, count), line.options)
        return self.say("line", count=count, name=name)

    def lines(self, lines: Sequence[CartLine]) -> str:
        return self.join([self.line(line) for line in lines])

    def described_name(self, name: str, options: dict[str, str]) -> str:
        """The name with its options: choices before it, add-ons after "with"."""
        groups = self._store.option_groups
        before = [
            v for g, v in options.items() if g in groups and groups[g].kind is OptionKind.CHOICE
        ]
        after = [
            v for g, v in options.items() if g in groups and groups[g].kind is OptionKind.ADDON
        ]
        described = " ".join([*before, name])
        if after:
            described = f"{described} {self._words['with']} {self.join(after)}"
        return described

    def choices(self, products: Sequence[Product]) -> str:
        """The products offered: "le pain de campagne, la baguette ou les œufs bio"."""
        return self.join([self.offered(p) for p in products], "or")

    def offered(self, product: Product) -> str:
        """A product's name with the article the language puts before one offered."""
        name = product.display_name
        if not self._articles:
            return name
        kind = "plural" if self._genders.plural(name) else self._genders.gender(name)
        return f"{self._articles[kind]} {name}"

    def ordinals(self, products: Sequence[Product]) -> str:
        """The first ranks, in the gender of the products offered ("la première, la deuxième
        ou la troisième" when all are feminine); "" when the language has none."""
        genders = {self._genders.gender(p.display_name) for p in products}
        kind = "feminine" if genders == {"feminine"} else "masculine"
        return self.join(self._ordinals.get(kind, []), "or")

    def cart_total(self, lines: Sequence[CartLine]) -> str:
        """ "That's 3 items, $11.47.", or that the cart is empty."""
        if not lines:
            return self.say("cart_empty")
        return self.say("cart_total", totals=self.totals(lines))

    def totals(self, lines: Sequence[CartLine]) -> str:
        """ "3 items, $11.47", with unknown prices said as such."""
        count = sum(line.quantity for line in lines)
        known = [line.price for line in lines if line.price is not None]
        unpriced = sum(line.quantity for line in lines if line.price is None)
        items = self.items_word(count)
        if not known:
            return self.say("totals_unpriced", count=count, items=items)
        total = self.money(sum(known))
        if unpriced:
            return self.say(
                "totals_partly_priced",
                count=count,
                items=items,
                total=total,
                unpriced=unpriced,
                without_price=self._words["no_price"],
            )
        return self.say("totals", count=count, items=items, total=total)


@dataclass(frozen=True)
class Indefinite:
    """The indefinite article before a word (`indefinite:` of the language's responses.yaml):
    `an` before a vowel letter or an `an_before` beginning, else `a`; none: words go bare."""

    a: str = ""
    an: str = ""
    vowels: str = ""
    a_before: tuple[str, ...] = ()
    an_before: tuple[str, ...] = ()

    @classmethod
    def from_data(cls, raw: dict) -> Indefinite:
        return cls(
            raw.get("a", ""),
            raw.get("an", ""),
            raw.get("vowels", ""),
            tuple(raw.get("a_before", ())),
            tuple(raw.get("an_before", ())),
        )

    def before(self, word: str) -> str:
        """ "an apple", "a unicorn", "an hour"; the word alone where the language has none."""
        lowered = word.lower()
        if lowered.startswith(self.an_before):
            article = self.an
        elif lowered.startswith(self.a_before):
            article = self.a
        else:
            article = self.an if lowered[:1] in self.vowels and lowered[:1] else self.a
        return f"{article} {word}" if article else word


@dataclass(frozen=True)
class Agreement:
    """A reply whose verb agrees with one of its fields (`agreement:` of responses.yaml)."""

    field: str
    """The field holding the name the verb agrees with."""
    plural: str
    """The reply when that name is plural."""


@dataclass(frozen=True)
class Genders:
    """The grammatical gender and number of a name, from its first word (`genders:` of the
    language's responses.yaml)."""

    feminine: frozenset[str] = frozenset()
    masculine: frozenset[str] = frozenset()
    feminine_endings: tuple[str, ...] = ()
    singular_in_s: frozenset[str] = frozenset()

    @classmethod
    def from_data(cls, raw: dict) -> Genders:
        return cls(
            frozenset(raw.get("feminine", ())),
            frozenset(raw.get("masculine", ())),
            tuple(raw.get("feminine_endings", ())),
            frozenset(raw.get("singular_in_s", ())),
        )

    def plural(self, name: str) -> bool:
        head = _head(name)
        return head[-1:] in ("s", "x") and head not in self.singular_in_s

    def gender(self, name: str) -> str:
        """ "feminine" or "masculine": the first word's, listed or by its ending."""
        head = _head(name)
        singular = head[:-1] if self.plural(name) else head
        for word in (head, singular):
            if word in self.feminine:
                return "feminine"
            if word in self.masculine:
                return "masculine"
        return "feminine" if singular.endswith(self.feminine_endings) else "masculine"


def _head(name: str) -> str:
    """The first word of a name, lowercase, before a hyphen ("chou-fleur" -> "chou")."""
    words = name.lower().split()
    return words[0].split("-")[0].strip(",.;:") if words else ""


def catalog_spellings(store: Store, normalize: Callable[[str], str]) -> dict[str, str]:
    """Normal form -> the one lowercase spelling the store's names, aliases and departments
    give a word ("creme" -> "crème"); words spelled in more than one way are left out."""
    written: dict[str, set[str]] = {}
    said = [s for p in store.products for s in (p.name, *p.aliases, p.department)]
    for word in {w.lower() for text in said for w in text.split()}:
        normal = normalize(word)
        if normal and " " not in normal and normal != word:
            written.setdefault(normal, set()).add(word)
    return {normal: spellings.pop() for normal, spellings in written.items() if len(spellings) == 1}


def _by_rules(noun: str, rules: Sequence[tuple[str, str]]) -> str:
    """The plural by the first rule whose ending the noun has ("" fits every noun)."""
    for ending, plural in rules:
        if noun.lower().endswith(ending):
            kept, replaced = noun[: len(noun) - len(ending)], noun[len(noun) - len(ending) :]
            return kept + (plural.upper() if replaced.isupper() else plural)
    return noun


def _elision_rule(elisions: dict) -> re.Pattern[str] | None:
    """A pattern for the words written elided before a vowel ("de" -> "d'") and before the
    words listed with them, or None."""
    words = elisions.get("words", ())
    if not words:
        return None
    vowels = elisions.get("before_letters", "aeiou")
    also = "|".join(re.escape(w) for w in elisions.get("also_before", ()))
    following = f"[{re.escape(vowels + vowels.upper())}]" + (f"|(?i:{also})\\b" if also else "")
    said = "|".join(re.escape(w) for w in words)
    return re.compile(rf"\b(?P<word>(?:{said})) (?={following})")
