"""Loading store files: a good file in YAML and JSON, and every rule's error message."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from voiceshop.catalog.model import OptionKind, OptionValue
from voiceshop.catalog.store_file import MAX_NESTING, load_store_file
from voiceshop.errors import CatalogError
from voiceshop.storage.stores import BUNDLED_STORES_DIR

GOOD_STORE = textwrap.dedent(
    """\
    format: voiceshop-store/1
    store:
      id: corner-cafe
      name: Corner Cafe
    option_groups:
      size:
        kind: choice
        values:
          - small
          - {value: twelve ounce, aliases: [twelve ounces, tall]}
      milk:
        kind: addon
        amounts: [a little bit of, lots of]
        values: [milk, soy milk]
    products:
      - id: latte
        name: Latte
        department: coffee
        aisle: espresso drinks
        price: 3.95
        unit: cup
        aliases: [caffe latte]
        options: [size, milk]
      - id: muffin
        name: "  Blueberry Muffin "
        brand: Corner
        price: 0
      - id: water
        name: Still Water
        size: 500 ml
    """
)


def write(tmp_path: Path, text: str, name: str = "cafe.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_containing(text: str, snippet: str) -> int:
    """The 1-based number of the last line of `text` that contains `snippet`."""
    return max(n for n, line in enumerate(text.splitlines(), 1) if snippet in line)


def test_good_yaml_store_loads_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_STORE)

    store = load_store_file(path)

    assert (store.id, store.name, store.currency, store.source) == (
        "corner-cafe",
        "Corner Cafe",
        "USD",
        str(path),
    )
    size, milk = store.option_groups["size"], store.option_groups["milk"]
    assert size.kind is OptionKind.CHOICE
    assert size.values == (
        OptionValue("small"),
        OptionValue("twelve ounce", ("twelve ounces", "tall")),
    )
    assert milk.kind is OptionKind.ADDON
    assert milk.amounts == ("a little bit of", "lots of")
    latte, muffin, water = store.products
    assert (latte.price, latte.unit, latte.aliases, latte.options) == (
        3.95,
        "cup",
        ("caffe latte",),
        ("size", "milk"),
    )
    assert store.groups_of(latte) == [size, milk]
    assert (muffin.name, muffin.brand, muffin.price) == ("Blueberry Muffin", "Corner", 0.0)
    assert (water.price, water.size, water.department) == (None, "500 ml", "")


def test_json_store_loads_the_same_catalog(tmp_path: Path) -> None:
    from_yaml = load_store_file(write(tmp_path, GOOD_STORE))
    as_json = json.dumps(yaml.safe_load(GOOD_STORE), indent=2)

    from_json = load_store_file(write(tmp_path, as_json, "cafe.json"))

    assert from_json.products == from_yaml.products
    assert from_json.option_groups == from_yaml.option_groups


MALFORMED = [
    # (replace this, with this, error names the last line containing this, error text)
    ("format: voiceshop-store/1", "format: voiceshop-store/2", "format:", "format must be"),
    ("  id: corner-cafe\n", "", "name: Corner Cafe", "store: id is required"),
    ("id: corner-cafe", "id: Corner Cafe", "id: Corner", "store: id must be lowercase"),
    ("kind: choice", "kind: pick", "kind: pick", "option group 'size': kind must be one of"),
    (
        "kind: choice\n",
        "kind: choice\n    amounts: [some]\n",
        "amounts: [some]",
        "option group 'size': amounts are only for addon groups",
    ),
    ("values: [milk, soy milk]", "values: []", "values: []", "'milk': values needs at least"),
    ("    name: Latte\n", "", "- id: latte", "product 'latte': name is required"),
    ("- id: water", '- id: ""', '- id: ""', "product 3: id must not be empty"),
    ("- id: water", "- id: muffin", "- id: muffin", "product 'muffin': id is used twice"),
    ("price: 3.95", "price: cheap", "price: cheap", "'latte': price must be a number >= 0"),
    ("price: 0", "price: -1", "price: -1", "product 'muffin': price must be a number >= 0"),
    ("options: [size, milk]", "options: [size, syrup]", "options:", "options names 'syrup'"),
    ("unit: cup", "pirce: 3", "pirce: 3", "product 'latte': unknown field 'pirce'"),
    ("name: Still Water", "name: yes", "name: yes", "'water': name must be text, got True"),
    ("aliases: [caffe latte]", 'aliases: [" "]', "aliases:", "aliases item 1 must not be empty"),
    ("    unit: cup\n", "    unit: cup\n    unit: mug\n", "unit: mug", "key 'unit' appears twice"),
    ("  - small\n", "  - [small]\n", "- [small]", "'size' value 1: must be text or {value:"),
    ("department: coffee", "department: [coffee]", "department:", "department must be text"),
]


@pytest.mark.parametrize(("old", "new", "line_snippet", "message"), MALFORMED)
def test_each_broken_rule_names_file_line_and_field(
    tmp_path: Path, old: str, new: str, line_snippet: str, message: str
) -> None:
    assert old in GOOD_STORE
    text = GOOD_STORE.replace(old, new, 1)
    path = write(tmp_path, text)

    with pytest.raises(CatalogError) as caught:
        load_store_file(path)

    expected_line = line_containing(text, line_snippet)
    assert str(caught.value).startswith(f"{path}:{expected_line}: ")
    assert message in str(caught.value)


def test_json_error_names_the_line_of_the_offending_object(tmp_path: Path) -> None:
    document = yaml.safe_load(GOOD_STORE)
    document["products"][2]["price"] = "cheap"
    text = json.dumps(document, indent=2)
    path = write(tmp_path, text, "cafe.json")

    with pytest.raises(CatalogError) as caught:
        load_store_file(path)

    water_line = line_containing(text, '"id": "water"') - 1  # the line of its opening brace
    assert str(caught.value).startswith(f"{path}:{water_line}: product 'water': price must be")


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("bad.yaml", "format: voiceshop-store/1\nstore: {id: x\n", 3, "not valid YAML"),
        ("bad.yaml", "format: a: b\n", 1, "not valid YAML: mapping values are not allowed"),
        ("bad.json", '{"format": "voiceshop-store/1",\n "store" {}}', 2, "not valid JSON"),
        ("empty.yaml", "", 1, "the file is empty"),
        ("list.yaml", "- a\n- b\n", 1, "the file: must be a mapping"),
    ],
)
def test_syntax_errors_give_the_parsers_line(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text, name)

    with pytest.raises(CatalogError) as caught:
        load_store_file(path)

    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)


def test_missing_file_is_a_catalog_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(CatalogError, match=r"nowhere\.yaml"):
        load_store_file(path)


BILLION_LAUGHS = "format: voiceshop-store/1\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    "text",
    [
        BILLION_LAUGHS,
        "format: voiceshop-store/1\nstore: &me {id: x, name: [*me]}\n",
        "format: voiceshop-store/1\nstore: {id: &i shop, name: *i}\n",
    ],
    ids=["billion-laughs", "recursive", "scalar"],
)
def test_yaml_aliases_are_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(CatalogError, match="store files do not use YAML aliases") as caught:
        load_store_file(path)
    assert str(caught.value).startswith(f"{path}:")


@pytest.mark.parametrize("name", ["deep.yaml", "deep.json"])
@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 900, 100_000])
def test_deep_nesting_is_refused(tmp_path: Path, name: str, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    path = write(tmp_path, f'{{"format": "voiceshop-store/1", "products": {nested}}}', name)

    with pytest.raises(CatalogError, match=f"{path}:1: "):
        load_store_file(path)


def test_the_bundled_stores_stay_within_the_bounds() -> None:
    for path in BUNDLED_STORES_DIR.glob("*.yaml"):
        assert load_store_file(path).products


def test_a_huge_value_is_quoted_as_a_short_excerpt(tmp_path: Path) -> None:
    huge = "X" * 10_000_000
    path = write(tmp_path, GOOD_STORE.replace("id: corner-cafe", f"id: {huge}"))

    with pytest.raises(CatalogError, match="id must be lowercase") as caught:
        load_store_file(path)
    assert len(str(caught.value)) < 300
