"""French as data: the number grammar's hard cases, the normal form, replies, the French pack
against the English one, the parser on tests/intents/fr.yaml, and `voiceshop chat --language fr`."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import jellyfish
import pytest

from support.cases import sentence_cases
from voiceshop.catalog.model import Product, Store
from voiceshop.dialog.assistant import Assistant
from voiceshop.dialog.replies import Replies
from voiceshop.intents.parser import IntentParser, load_sentences
from voiceshop.intents.vocabulary import store_vocabulary
from voiceshop.language import Normalizer, load_language
from voiceshop.language.data import language_dir, read_yaml
from voiceshop.matching import ProductMatcher
from voiceshop.server.app import synthesis_settings
from voiceshop.speaker.reading import Reading
from voiceshop.storage.database import ShopDatabase
from voiceshop.storage.records import CartLine
from voiceshop.storage.stores import import_catalog, open_store

CASES = sentence_cases(Path(__file__).parent / "intents" / "fr.yaml")
FRENCH = Normalizer(load_language("fr"))


@cache
def french_parser() -> IntentParser:
    store = open_store("epicerie", None)
    return IntentParser(store, "fr", products=ProductMatcher(store, FRENCH))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["say"] or "(empty)")
def test_french_sentence(case: dict) -> None:
    intent = french_parser().parse(case["say"])
    if case["intent"] is None:
        assert intent is None
        return
    assert intent is not None, f"not understood: {case['say']!r}"
    assert intent.name == case["intent"]
    if "items" in case:
        read = [[i.phrase, i.quantity, i.unit] for i in intent.items]
        assert read == [[*e, None, ""][:3] if len(e) == 1 else [*e, ""][:3] for e in case["items"]]
    for attribute in ("product", "quantity", "ordinal", "implicit"):
        if attribute in case:
            assert getattr(intent, attribute) == case[attribute]


@pytest.mark.parametrize(
    ("said", "value", "used"),
    [
        ("vingt et un", 21, 3),
        ("vingt et une baguettes", 21, 3),
        ("soixante dix", 70, 2),
        ("soixante-dix-sept", 77, 3),
        ("soixante et onze", 71, 3),
        ("soixante douze", 72, 2),
        ("quatre-vingts", 80, 2),
        ("quatre-vingt-un", 81, 3),
        ("quatre-vingt-onze", 91, 3),
        ("quatre-vingt-dix-neuf", 99, 4),
        ("dix-sept", 17, 2),
        ("cent", 100, 1),
        ("mille", 1000, 1),
        ("mille deux cents", 1200, 3),
        ("deux mille vingt-six", 2026, 4),
        ("deux cent cinquante grammes", 250, 3),
        ("une douzaine", 12, 2),
        ("deux douzaines", 24, 2),
        ("une demi-douzaine", 6, 3),
        ("un demi litre", 1, 1),
    ],
)
def test_french_counts(said: str, value: int, used: int) -> None:
    assert FRENCH.numbers.parse_count(FRENCH.tokens(said)) == (value, used)


@pytest.mark.parametrize("said", ["un demi", "deux et demi", "un virgule cinq", "moins"])
def test_french_parts_of_numbers_are_no_count(said: str) -> None:
    assert FRENCH.numbers.parse_count(FRENCH.tokens(said)) is None


def test_vingt_dix_is_two_numbers_not_thirty() -> None:
    assert FRENCH.numbers.parse_count(["vingt", "dix"]) == (20, 1)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (17, "dix sept"),
        (21, "vingt et un"),
        (70, "soixante dix"),
        (71, "soixante et onze"),
        (80, "quatre vingt"),
        (81, "quatre vingt un"),
        (91, "quatre vingt onze"),
        (99, "quatre vingt dix neuf"),
        (100, "cent"),
        (1000, "mille"),
        (1971, "mille neuf cent soixante et onze"),
        (2000000, "deux million"),
    ],
)
def test_french_to_words(number: int, words: str) -> None:
    assert FRENCH.numbers.to_words(number) == words


def test_french_numbers_read_back_what_they_write() -> None:
    numbers = FRENCH.numbers
    for n in range(2000):
        words = numbers.to_words(n).split()
        assert numbers.parse_count(words) == (n, len(words)), n


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Ajoute deux litres de lait demi-écrémé", "ajoute deux litres de lait demi ecremé"),
        ("une douzaine d'œufs", "une douzaine de oeufs"),
        ("de l'eau", "de le eau"),
        ("qu'est-ce que j'ai", "que est ce que je ai"),
        ("s'il vous plaît", "si il vous plait"),
        ("Bœuf haché 5 %", "boeuf haché cinq pourcent"),
        ("des pâtes et du pâté", "des pates et du paté"),
        ("des râpées, un râpé", "des rapé un rapé"),
        ("1,5 l", "un virgule cinq litre"),
        ("71 €", "soixante et onze euros"),
        ("aujourd'hui", "aujourdhui"),
    ],
)
def test_french_normal_form(text: str, normal: str) -> None:
    assert FRENCH.normalize(text) == normal


def test_english_normal_form_keeps_thousands_and_folds_ligatures() -> None:
    english = Normalizer(load_language("en"))
    assert english.normalize("1,500 Bœuf") == "one thousand five hundred boeuf"


def _store(currency: str, *products: Product) -> Store:
    return Store("s", "S", tuple(products), currency=currency)


def test_french_money() -> None:
    replies = Replies(_store("EUR"), "fr")
    assert replies.money(4.99) == "4,99 €"
    assert replies.money(1234.5) == "1 234,50 €"
    assert Replies(_store("USD"), "fr").money(2.5) == "2,50 USD"
    assert Replies(_store("USD"), "en").money(1234.5) == "$1,234.50"
    assert Replies(_store("EUR"), "en").money(4.99) == "EUR 4.99"


@pytest.mark.parametrize(
    ("name", "unit", "count", "said"),
    [
        ("baguette", "", 2, "2 baguettes"),
        ("baguette", "", 1, "1 baguette"),
        ("citron vert", "", 3, "3 citrons verts"),
        ("croissant au beurre", "", 2, "2 croissants au beurre"),
        ("chou-fleur", "", 2, "2 choux-fleurs"),
        ("poireau", "", 2, "2 poireaux"),
        ("yaourts nature", "pack", 2, "2 packs de yaourts nature"),
        ("lait demi-écrémé", "litre", 1, "1 litre de lait demi-écrémé"),
        ("eau pétillante", "bouteille", 2, "2 bouteilles d'eau pétillante"),
        ("huile d'olive", "bouteille", 1, "1 bouteille d'huile d'olive"),
        ("haricots verts", "barquette", 1, "1 barquette de haricots verts"),
        ("œufs bio", "boîte", 2, "2 boîtes d'œufs bio"),
        ("ail", "tête", 3, "3 têtes d'ail"),
        ("pommes Golden", "kilo", 2, "2 kilos de pommes Golden"),
    ],
)
def test_french_lines_agree(name: str, unit: str, count: int, said: str) -> None:
    product = Product("p", name, price=1.0, unit=unit)
    replies = Replies(_store("EUR", product), "fr")
    line = CartLine(product_id="p", name=name, quantity=count, unit_price=1.0)
    assert replies.line(line) == said


def test_french_reply_starts_with_a_capital() -> None:
    replies = Replies(_store("EUR"), "fr")
    assert replies.say("price", name="beurre doux", price="2,35 €") == "Beurre doux coûte 2,35 €."


def test_french_pack_has_every_english_intent_and_reply() -> None:
    english, french = load_sentences("en"), load_sentences("fr")
    assert [n for n, _ in french.intents if n != "SwitchUser"] == [
        n for n, _ in english.intents if n != "SwitchUser"
    ]
    assert {n for n, _ in french.intents} == {n for n, _ in english.intents}
    assert french.answers == english.answers
    en_replies = read_yaml(language_dir("en") / "responses.yaml")
    fr_replies = read_yaml(language_dir("fr") / "responses.yaml")
    for section in ("replies", "changes", "words"):
        assert set(fr_replies[section]) == set(en_replies[section]), section


def test_epicerie_is_a_french_store_of_everyday_products() -> None:
    store = open_store("epicerie", None)
    assert (store.name, store.currency, store.language) == ("Épicerie Verte", "EUR", "fr")
    assert len(store.products) >= 150
    assert all(p.price is not None for p in store.products)


def test_the_store_file_chooses_the_language_unless_one_is_asked_for(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        assert Assistant(db, store="epicerie").language == "fr"
        assert Assistant(db, store="grocery").language == "en"
        assistant = Assistant(db, store="epicerie", language="en")
        assert assistant.language == "en"
        assert assistant.respond("add two baguettes").text.startswith("Added 2 baguettes.")


_ENGLISH = re.compile(r"\b(added|your|cart|sorry|order|the|please|what|is)\b", re.IGNORECASE)


def test_every_french_sentence_is_answered_in_french(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, store="epicerie")
        for case in CASES:
            reply = assistant.respond(case["say"]).text
            assert reply and not _ENGLISH.search(reply), (case["say"], reply)


@pytest.mark.e2e
def test_chat_in_french(db_path: Path) -> None:
    said = "ajoute deux baguettes\nc'est tout\noui\n"
    command = ["chat", "--language", "fr", "--store", "epicerie", "--db", str(db_path)]
    result = subprocess.run(
        [sys.executable, "-m", "voiceshop", *command],
        input=said,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    replies = result.stdout.splitlines()
    assert replies[0] == "J'ai ajouté 2 baguettes. Ça fait 2 articles, 2,20 €."
    assert replies[1].endswith("Je passe la commande ?")
    assert replies[2] == "La commande 1 est passée : 2 articles, 2,20 €. Merci !"


def test_phrases_said_back_keep_the_catalogs_accents(db_path: Path) -> None:
    with ShopDatabase(db_path) as db:
        assistant = Assistant(db, store="epicerie")
        reply = assistant.respond("enlève la crème fraîche").text
    assert reply == "Il n'y a pas de crème fraîche dans votre panier."


def test_spellings_that_the_catalog_writes_two_ways_stay_in_normal_form() -> None:
    store = _store(
        "EUR",
        Product("a", "pâté de campagne"),
        Product("b", "pâte à tartiner"),
        Product("c", "crème fraîche"),
        Product("d", "crême dessert"),
    )
    replies = Replies(store, "fr")
    assert replies.spelled("pate paté creme") == "pâte pâté creme"


@pytest.mark.parametrize(
    ("names", "choices", "ranks"),
    [
        (
            ["confiture de fraises", "confiture d'abricots"],
            "la confiture de fraises ou la confiture d'abricots",
            "la première, la deuxième ou la troisième",
        ),
        (
            ["pain de campagne", "baguette", "œufs bio"],
            "le pain de campagne, la baguette ou les œufs bio",
            "le premier, le deuxième ou le troisième",
        ),
        (
            ["huile d'olive", "eau minérale", "ananas"],
            "l'huile d'olive, l'eau minérale ou l'ananas",
            "le premier, le deuxième ou le troisième",
        ),
    ],
)
def test_french_choices_take_articles_and_ranks_agree(
    names: list[str], choices: str, ranks: str
) -> None:
    products = [Product(str(n), name) for n, name in enumerate(names)]
    replies = Replies(_store("EUR", *products), "fr")
    assert replies.say("ask_which", choices=replies.choices(products)) == (
        f"Vous voulez dire {choices} ?"
    )
    assert replies.say("choose_again", ordinals=replies.ordinals(products)) == (
        f"Dites {ranks}, ou non."
    )


def test_english_choices_stay_bare() -> None:
    products = [Product("a", "Whole Milk"), Product("b", "Oat Milk")]
    replies = Replies(_store("USD", *products), "en")
    assert replies.choices(products) == "Whole Milk or Oat Milk"
    assert replies.say("choose_again", ordinals=replies.ordinals(products)) == (
        "Please say the first, the second or the third one, or no."
    )


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Comté, 250 g, coûte 4,20 €.", "Comté, 250 grammes, coûte 4 euros 20."),
        ("Ça fait 3 articles, 13,05 €.", "Ça fait 3 articles, 13 euros 5."),
        ("Banane, 0,25 €.", "Banane, 25 centimes."),
        ("1,00 € et 2 €", "1 euro et 2 euros"),
        ("1,5 L, 20 cl, 1 kg, 2 kg", "1,5 litre, 20 centilitres, 1 kilo, 2 kilos"),
        ("4 x 125 g", "4 fois 125 grammes"),
        ("2 galettes, 1 gâteau", "2 galettes, 1 gâteau"),
    ],
)
def test_the_french_speaker_reads_money_and_measures_in_words(written: str, spoken: str) -> None:
    assert Reading.from_data(load_language("fr").reading).spoken(written) == spoken


def test_english_replies_are_read_as_written() -> None:
    reading = Reading.from_data(load_language("en").reading)
    assert reading.spoken("Milk, 1 gal, costs $4.99.") == "Milk, 1 gal, costs $4.99."


def test_slot_checks_use_the_languages_sound_key() -> None:
    french = open_store("epicerie", None)
    vocabulary = store_vocabulary(french, french_parser())
    assert vocabulary.sound_key is not jellyfish.metaphone
    assert vocabulary.sound_key("phoque") == vocabulary.sound_key("foque")
    english = open_store("grocery", None)
    assert store_vocabulary(english, IntentParser(english)).sound_key is jellyfish.metaphone


def test_an_imported_store_keeps_its_language(db_path: Path, tmp_path: Path) -> None:
    text = (language_dir("fr").parents[0] / "stores" / "epicerie.yaml").read_text()
    unmarked = tmp_path / "unmarked.yaml"
    unmarked.write_text(text.replace("  language: fr\n", ""))
    with ShopDatabase(db_path) as db:
        import_catalog(unmarked, db, store_id="sans-langue")
        import_catalog(unmarked, db, store_id="dite-fr", language="fr")
        import_catalog(
            language_dir("fr").parents[0] / "stores" / "epicerie.yaml", db, store_id="fr"
        )
        languages = [open_store(s, db).language for s in ("sans-langue", "dite-fr", "fr")]
        assert languages == ["en", "fr", "fr"]
        assert Assistant(db, store="dite-fr").respond("oui").text.startswith("Je ne")


ACCENT_PAIRS = (
    Product("pate-campagne", "pâté de campagne"),
    Product("pate-tartiner", "pâte à tartiner"),
    Product("sucre", "sucre en poudre"),
    Product("lait-sucre", "lait concentré sucré"),
    Product("vin-rose", "vin rosé"),
    Product("roses-sables", "roses des sables"),
    Product("beurre-sale", "beurre salé"),
    Product("sac", "sac cabas"),
)


@pytest.mark.parametrize(
    ("said", "product"),
    [
        ("j'ai besoin de pâte, celle à tartiner", "pate-tartiner"),
        ("mets-moi du pâté", "pate-campagne"),
        ("il me faut du sucre", "sucre"),
        ("et un lait sucré", "lait-sucre"),
        ("une bouteille de rosé s'il vous plaît", "vin-rose"),
        ("des roses des sables pour le goûter", "roses-sables"),
        ("du beurre salé", "beurre-sale"),
    ],
)
def test_a_said_final_e_keeps_words_apart(said: str, product: str) -> None:
    """A final "é" is said and a final "e" is not: pâte/pâté, sucre/sucré, rose/rosé and
    sale/salé are different words to the matcher, not spellings of one."""
    store = _store("EUR", *ACCENT_PAIRS)
    matcher = ProductMatcher(store, FRENCH)
    intent = IntentParser(store, "fr", products=matcher).parse(said)
    assert intent is not None and intent.items
    ranked = matcher.rank(intent.items[0].phrase, limit=3)
    assert ranked[0].product.id == product
    assert all(c.score < ranked[0].score for c in ranked[1:])


def test_des_pates_offers_pasta_not_pate() -> None:
    intent = french_parser().parse("je voudrais des pâtes")
    assert intent is not None and intent.items
    result = ProductMatcher(open_store("epicerie", None), FRENCH).match(intent.items[0].phrase)
    offered = {c.product.id for c in result.candidates}
    assert "pate-campagne" not in offered
    assert offered and offered <= {"spaghetti", "penne", "coquillettes", "tagliatelles"}


@pytest.mark.parametrize(
    ("asked", "reply"),
    [
        ("c'est combien les œufs bio ?", "Œufs bio, 6 œufs, coûtent 2,19 €."),
        ("combien coûtent les fraises ?", "Fraises, 500 g, coûtent"),
        ("combien coûte le camembert ?", "Camembert, 250 g, coûte"),
        ("et la baguette, elle coûte combien ?", "Baguette, 250 g, coûte 1,10 €."),
    ],
)
def test_the_price_reply_agrees_with_the_name(db_path: Path, asked: str, reply: str) -> None:
    with ShopDatabase(db_path) as db:
        assert Assistant(db, store="epicerie").respond(asked).text.startswith(reply)


def test_an_agreement_rule_reads_the_name_before_its_size() -> None:
    replies = Replies(_store("EUR"), "fr")
    assert (
        replies.say("price", name="fraises, 500 g,", price="2 €") == "Fraises, 500 g, coûtent 2 €."
    )
    assert replies.say("price", name="lait, 1 l,", price="1 €") == "Lait, 1 l, coûte 1 €."


def test_the_server_voices_a_french_store_by_the_french_reading_rules() -> None:
    french = synthesis_settings(IntentParser(open_store("epicerie", None), "fr"))
    assert french.voice == "fr" and not french.play
    assert french.reading.spoken("Fraises, 500 g, coûtent 3,49 €.") == (
        "Fraises, 500 grammes, coûtent 3 euros 49."
    )
    english = synthesis_settings(IntentParser(open_store("grocery", None)))
    assert english.reading.spoken("Milk is $3.49.") == "Milk is $3.49."
