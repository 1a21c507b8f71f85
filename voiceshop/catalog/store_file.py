"""Read a store file (format `voiceshop-store/1`, YAML or JSON) into a `Store`.

Every rule of docs/store-format.md is checked on load. An error names the file, the line and the
field: YAML errors point at the field's own line, JSON errors at the line where the enclosing
object (or list) starts. Text is kept as written apart from stripping surrounding whitespace.
"""

from __future__ import annotations

import bisect
import functools
import json
import json.decoder
import json.scanner
import math
import re
import reprlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from voiceshop.catalog.model import OptionGroup, OptionKind, OptionValue, Product, Store
from voiceshop.errors import CatalogError

FORMAT = "voiceshop-store/1"
STORE_FILE_SUFFIXES = (".yaml", ".yml", ".json")
STORE_ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""Store ids: lowercase letters, digits and single dashes between them (`corner-cafe`)."""

_TOP_FIELDS = ("format", "store", "option_groups", "products")
_STORE_FIELDS = ("id", "name", "currency")
_GROUP_FIELDS = ("kind", "values", "amounts")
_VALUE_FIELDS = ("value", "aliases")
_PRODUCT_TEXT_FIELDS = ("brand", "department", "aisle", "size", "unit")
_PRODUCT_FIELDS = ("id", "name", "price", "aliases", "options", *_PRODUCT_TEXT_FIELDS)
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_NESTING = 16
"""Store files nest six levels deep; deeper ones are refused before they exhaust the stack."""
_EXCERPT = reprlib.Repr()
_EXCERPT.maxstring = 60
_EXCERPT.maxother = 60


def load_store_file(path: Path) -> Store:
    """Read and check the store file at `path` (`.json` is read as JSON, anything else as YAML).

    Raises CatalogError naming the file, line and field when the file is unreadable, is not valid
    YAML/JSON, or breaks a rule of the store format. A file read before and unchanged since (same
    size and modification time) is not read again.
    """
    try:
        stat = path.stat()
    except OSError:
        return _load_store_file(path)
    return _cached_store_file(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _cached_store_file(path: Path, mtime_ns: int, size: int) -> Store:
    return _load_store_file(path)


def _load_store_file(path: Path) -> Store:
    text = _read_text(path)
    if path.suffix.lower() == ".json":
        document = _parse_json(text, path)
    else:
        document = _parse_yaml(text, path)
    return _StoreReader(path).read(document)


def is_valid_store_id(store_id: str) -> bool:
    """Whether `store_id` is lowercase letters, digits and dashes, as store ids must be."""
    return STORE_ID_PATTERN.fullmatch(store_id) is not None


class _Mapping(dict[str, Any]):
    """A mapping read from a file, remembering where it starts and where each key is (YAML)."""

    def __init__(self, items: dict[str, Any], line: int, key_lines: dict[str, int]) -> None:
        super().__init__(items)
        self.line = line
        self.key_lines = key_lines

    def line_of(self, key: str) -> int:
        """The line of `key`, or of the mapping itself when that is unknown or the key absent."""
        return self.key_lines.get(key, self.line)


class _Sequence(list[Any]):
    """A list read from a file, remembering where it starts and where each item is (YAML)."""

    def __init__(self, items: Iterable[Any], line: int, item_lines: list[int]) -> None:
        super().__init__(items)
        self.line = line
        self.item_lines = item_lines

    def line_of(self, index: int) -> int:
        """The line of item `index`, or of the list itself when that is unknown."""
        item = self[index]
        if isinstance(item, _Mapping | _Sequence):
            return item.line
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def _excerpt(value: Any) -> str:
    """`value` written out as in Python, long text and long lists cut short."""
    return _EXCERPT.repr(value)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the store file as UTF-8"
        ) from exc
    except OSError as exc:
        raise CatalogError(
            f"cannot read store file {path}: {exc.strerror or exc}; check the path"
        ) from exc


def _mapping(pairs: Iterable[tuple[Any, Any, int]], line: int, path: Path) -> _Mapping:
    """Build a `_Mapping` from (key, value, key line) triples, refusing odd or repeated keys."""
    items: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    for key, value, key_line in pairs:
        if not isinstance(key, str):
            raise CatalogError(
                f"{path}:{key_line}: key {_excerpt(key)} must be text; put it in quotes"
            )
        if key in items:
            raise CatalogError(
                f"{path}:{key_line}: key {_excerpt(key)} appears twice in the same mapping "
                f"(first at line {key_lines.get(key, line)}); keep only one"
            )
        items[key] = value
        key_lines[key] = key_line
    return _Mapping(items, line, key_lines)


def _parse_yaml(text: str, path: Path) -> Any:
    loader = _YamlLoader(text)
    try:
        root = loader.get_single_node()
        return None if root is None else _YamlTree(loader, path).read(root, 1)
    except yaml.YAMLError as exc:
        raise CatalogError(_yaml_syntax_message(exc, path)) from exc
    finally:
        loader.dispose()


class _YamlTree:
    """Turns composed YAML nodes into `_Mapping`s, `_Sequence`s and scalars, refusing aliases
    (a store file never needs them, and they can make a small file expand without bound) and
    nesting deeper than MAX_NESTING."""

    def __init__(self, loader: Any, path: Path) -> None:
        self.loader = loader
        self.path = path
        self.seen: set[int] = set()

    def read(self, node: yaml.Node, depth: int) -> Any:
        self._check(node, depth)
        if isinstance(node, yaml.MappingNode):
            pairs = (
                (self._key(key, depth), self.read(value, depth + 1), key.start_mark.line + 1)
                for key, value in node.value
            )
            return _mapping(pairs, node.start_mark.line + 1, self.path)
        if isinstance(node, yaml.SequenceNode):
            items = [self.read(item, depth + 1) for item in node.value]
            item_lines = [item.start_mark.line + 1 for item in node.value]
            return _Sequence(items, node.start_mark.line + 1, item_lines)
        return self.loader.construct_object(node)

    def _key(self, node: yaml.Node, depth: int) -> Any:
        self._check(node, depth)
        if not isinstance(node, yaml.ScalarNode):
            line = node.start_mark.line + 1
            raise CatalogError(f"{self.path}:{line}: a key must be text; put it in quotes")
        return self.loader.construct_object(node)

    def _check(self, node: yaml.Node, depth: int) -> None:
        line = node.start_mark.line + 1
        if id(node) in self.seen:
            raise CatalogError(
                f"{self.path}:{line}: the value anchored here (&name) is repeated by an alias "
                "(*name); store files do not use YAML aliases: write each value out"
            )
        self.seen.add(id(node))
        if depth > MAX_NESTING:
            raise CatalogError(
                f"{self.path}:{line}: nested more than {MAX_NESTING} levels deep; "
                "a store file needs at most six"
            )


def _yaml_syntax_message(exc: yaml.YAMLError, path: Path) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{path}:{mark.line + 1}" if mark else str(path)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context else problem
    return f"{where}: not valid YAML: {detail}; fix the syntax at that line"


_JSON_OBJECT: Callable[..., Any] = vars(json.decoder)["JSONObject"]
"""The `json` module's pure-Python object parser (there at run time, absent from its stubs)."""
_JSON_ARRAY: Callable[..., Any] = vars(json.decoder)["JSONArray"]
"""The `json` module's pure-Python array parser (there at run time, absent from its stubs)."""
_JSON_SCANNER: Callable[[json.JSONDecoder], Any] = vars(json.scanner)["py_make_scanner"]
"""The pure-Python scanner factory (the C scanner would not call the decoder's parsers)."""


class _HookedDecoder(json.JSONDecoder):
    """A JSON decoder whose pure-Python scanner parses objects and arrays with the given
    functions (the scanner takes them from the decoder's attributes of these names)."""

    def __init__(self, parse_object: Callable[..., Any], parse_array: Callable[..., Any]) -> None:
        super().__init__(object_pairs_hook=list)
        self.parse_object = parse_object
        self.parse_array = parse_array
        self.scan_once = _JSON_SCANNER(self)


def _parse_json(text: str, path: Path) -> Any:
    """Parse JSON with the standard decoder, recording the line each object and array starts on.

    The pure-Python scanner of the `json` module takes its object and array parsers from the
    decoder, so wrapping them is enough to learn where each container starts.
    """
    newlines = [match.start() for match in re.finditer("\n", text)]
    depth = 0

    def line_at(index: int) -> int:
        return bisect.bisect_left(newlines, index) + 1

    def nested(parse: Any, s_and_end: tuple[str, int], *args: Any) -> Any:
        nonlocal depth
        depth += 1
        try:
            if depth > MAX_NESTING:
                raise CatalogError(
                    f"{path}:{line_at(s_and_end[1] - 1)}: nested more than {MAX_NESTING} "
                    "levels deep; a store file needs at most six"
                )
            return parse(s_and_end, *args)
        finally:
            depth -= 1

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[_Mapping, int]:
        pairs, end = nested(_JSON_OBJECT, s_and_end, *args)
        line = line_at(s_and_end[1] - 1)
        return _mapping(((k, v, line) for k, v in pairs), line, path), end

    def parse_array(s_and_end: tuple[str, int], scan_once: Any) -> tuple[_Sequence, int]:
        items, end = nested(_JSON_ARRAY, s_and_end, scan_once)
        return _Sequence(items, line_at(s_and_end[1] - 1), []), end

    decoder = _HookedDecoder(parse_object, parse_array)
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(
            f"{path}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno}); "
            "fix the syntax at that line"
        ) from exc


class _StoreReader:
    """Checks a parsed store document and turns it into a `Store`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self, document: Any) -> Store:
        if document is None:
            raise self._error(1, f"the file is empty; a store file starts with `format: {FORMAT}`")
        top = self._expect_mapping(document, 1, "the file")
        self._check_fields(top, _TOP_FIELDS, "the file")
        if top.get("format") != FORMAT:
            got = f", got {_excerpt(top['format'])}" if "format" in top else ""
            raise self._error(top.line_of("format"), f"format must be '{FORMAT}'{got}")
        header = self._expect_mapping(top.get("store"), top.line_of("store"), "store")
        self._check_fields(header, _STORE_FIELDS, "store")
        groups = self._option_groups(top)
        return Store(
            id=self._store_id(header),
            name=self._text(header, "name", "store", required=True),
            currency=self._text(header, "currency", "store") or "USD",
            option_groups=groups,
            products=self._products(top, groups),
            source=str(self.path),
        )

    def _store_id(self, header: _Mapping) -> str:
        store_id = self._text(header, "id", "store", required=True)
        if not is_valid_store_id(store_id):
            raise self._error(
                header.line_of("id"),
                f"id must be lowercase letters, digits and dashes, got {_excerpt(store_id)}",
                "store",
            )
        return store_id

    def _option_groups(self, top: _Mapping) -> dict[str, OptionGroup]:
        if top.get("option_groups") is None:
            return {}
        declared = self._expect_mapping(
            top["option_groups"], top.line_of("option_groups"), "option_groups"
        )
        groups = {}
        for key, body in declared.items():
            group_id = key.strip()
            if not group_id:
                raise self._error(declared.line_of(key), "an option group id is empty")
            subject = f"option group {_excerpt(group_id)}"
            group = self._expect_mapping(body, declared.line_of(key), subject)
            groups[group_id] = self._option_group(group_id, group, subject)
        return groups

    def _option_group(self, group_id: str, group: _Mapping, subject: str) -> OptionGroup:
        self._check_fields(group, _GROUP_FIELDS, subject)
        kinds = [kind.value for kind in OptionKind]
        kind_text = self._text(group, "kind", subject, required=True)
        if kind_text not in kinds:
            raise self._error(
                group.line_of("kind"),
                f"kind must be one of {', '.join(kinds)}, got {_excerpt(kind_text)}",
                subject,
            )
        kind = OptionKind(kind_text)
        amounts = self._text_list(group, "amounts", subject)
        if amounts and kind is not OptionKind.ADDON:
            raise self._error(
                group.line_of("amounts"),
                f"amounts are only for addon groups; this one is {kind.value}",
                subject,
            )
        values = self._expect_list(group.get("values"), group.line_of("values"), subject, "values")
        if not values:
            raise self._error(group.line_of("values"), "values needs at least one value", subject)
        return OptionGroup(
            id=group_id,
            kind=kind,
            values=tuple(self._option_value(values, i, subject) for i in range(len(values))),
            amounts=amounts,
        )

    def _option_value(self, values: _Sequence, index: int, group_subject: str) -> OptionValue:
        item = values[index]
        subject = f"{group_subject} value {index + 1}"
        if isinstance(item, str):
            return OptionValue(
                self._expect_text(item, values.line_of(index), subject, "value", required=True)
            )
        entry = self._expect_mapping(
            item, values.line_of(index), subject, "text or {value:, aliases:}"
        )
        self._check_fields(entry, _VALUE_FIELDS, subject)
        return OptionValue(
            value=self._text(entry, "value", subject, required=True),
            aliases=self._text_list(entry, "aliases", subject),
        )

    def _products(self, top: _Mapping, groups: dict[str, OptionGroup]) -> tuple[Product, ...]:
        entries = self._expect_list(top.get("products"), top.line_of("products"), None, "products")
        first_line_of: dict[str, int] = {}
        products = []
        for index in range(len(entries)):
            product = self._product(entries, index, groups)
            line = entries.line_of(index)
            if product.id in first_line_of:
                raise self._error(
                    line,
                    f"id is used twice (first at line {first_line_of[product.id]}); "
                    "product ids must be unique",
                    f"product {_excerpt(product.id)}",
                )
            first_line_of[product.id] = line
            products.append(product)
        return tuple(products)

    def _product(self, entries: _Sequence, index: int, groups: dict[str, OptionGroup]) -> Product:
        entry = self._expect_mapping(entries[index], entries.line_of(index), f"product {index + 1}")
        product_id = self._text(entry, "id", f"product {index + 1}", required=True)
        subject = f"product {_excerpt(product_id)}"
        self._check_fields(entry, _PRODUCT_FIELDS, subject)
        texts = {name: self._text(entry, name, subject) for name in _PRODUCT_TEXT_FIELDS}
        return Product(
            id=product_id,
            name=self._text(entry, "name", subject, required=True),
            price=self._price(entry, subject),
            aliases=self._text_list(entry, "aliases", subject),
            options=self._product_options(entry, groups, subject),
            **texts,
        )

    def _price(self, entry: _Mapping, subject: str) -> float | None:
        price = entry.get("price")
        if price is None:
            return None
        is_number = isinstance(price, int | float) and not isinstance(price, bool)
        if not is_number or not math.isfinite(price) or price < 0:
            raise self._error(
                entry.line_of("price"),
                f"price must be a number >= 0, got {_excerpt(price)} (leave it out when unknown)",
                subject,
            )
        return float(price)

    def _product_options(
        self, entry: _Mapping, groups: dict[str, OptionGroup], subject: str
    ) -> tuple[str, ...]:
        options = self._text_list(entry, "options", subject)
        for index, group_id in enumerate(options):
            if group_id not in groups:
                declared = ", ".join(groups) or "none"
                raise self._error(
                    entry["options"].line_of(index),
                    f"options names '{group_id}', which is not declared under option_groups "
                    f"(declared: {declared})",
                    subject,
                )
        return options

    def _text(self, entry: _Mapping, key: str, subject: str, *, required: bool = False) -> str:
        value = entry.get(key)
        if value is None:
            if required:
                raise self._error(entry.line_of(key), f"{key} is required", subject)
            return ""
        return self._expect_text(value, entry.line_of(key), subject, key, required=required)

    def _text_list(self, entry: _Mapping, key: str, subject: str) -> tuple[str, ...]:
        if entry.get(key) is None:
            return ()
        items = self._expect_list(entry[key], entry.line_of(key), subject, key)
        return tuple(
            self._expect_text(item, items.line_of(i), subject, f"{key} item {i + 1}", required=True)
            for i, item in enumerate(items)
        )

    def _expect_text(
        self, value: Any, line: int, subject: str, field: str, *, required: bool
    ) -> str:
        """`value` stripped of surrounding whitespace; it must be text, non-empty if required."""
        if not isinstance(value, str):
            hint = "" if isinstance(value, list | dict) else "; write it in quotes"
            raise self._error(line, f"{field} must be text, got {_excerpt(value)}{hint}", subject)
        if required and not value.strip():
            raise self._error(line, f"{field} must not be empty", subject)
        return value.strip()

    def _expect_mapping(
        self, value: Any, line: int, subject: str, expected: str = "a mapping of fields"
    ) -> _Mapping:
        if not isinstance(value, _Mapping):
            got = "nothing" if value is None else _excerpt(value)
            raise self._error(line, f"must be {expected}, got {got}", subject)
        return value

    def _expect_list(self, value: Any, line: int, subject: str | None, field: str) -> _Sequence:
        if not isinstance(value, _Sequence):
            got = "nothing" if value is None else _excerpt(value)
            raise self._error(line, f"{field} must be a list, got {got}", subject)
        return value

    def _check_fields(self, entry: _Mapping, known: tuple[str, ...], subject: str) -> None:
        for key in entry:
            if key not in known:
                raise self._error(
                    entry.line_of(key),
                    f"unknown field {_excerpt(key)} (known fields: {', '.join(known)})",
                    subject,
                )

    def _error(self, line: int, problem: str, subject: str | None = None) -> CatalogError:
        where = f"{subject}: " if subject else ""
        return CatalogError(f"{self.path}:{line}: {where}{problem}")
