"""Find the ledger, load it fast and validated, say exactly where an error is, write atomically.

Loading (see docs/performance.md for the figures):

* YAML is parsed by yaml-rs (Rust, YAML 1.2 core schema: `yes`, `12:30` and `010` mean what a person
  reads; duplicate keys rejected; alias expansion bounded), ~10x PyYAML's C loader. yaml-rs reads
  `0.10` as a float, so a file is only parsed that way when no number in it could lose a digit
  through a float (at most 15 significant digits: then `repr` gives back the literal exactly);
  any other file, and any file yaml-rs refuses, goes through `ExactLoader`, a PyYAML loader with
  the same YAML 1.2 rules that reads every decimal straight into a `Decimal`.
* pydantic validates the document. Locations are only computed on the error path: the file is
  composed again with marks and the pydantic error location is walked down the node tree.
* Validated debtors are kept in a cache under `<ledger>/.dunning/` (never tracked by git), see
  `dunning.cache`; the plain files stay the only source of truth.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import os
import re
import tempfile
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import yaml
import yaml_rs
from pydantic import ValidationError

from dunning.model import EVENT_TYPES
from dunning.model import SLUG
from dunning.model import ContactEvent
from dunning.model import Debtor
from dunning.model import Settings
from dunning.model import event_instant

if TYPE_CHECKING:
    from dunning.settled import Snapshots

SETTINGS_FILE = "dunning.yaml"
DEBTORS_DIR = "debtors"
CACHE_DIR = ".dunning"
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ALIASES = 200
MAX_DEPTH = 40


@dataclass(frozen=True, order=True)
class LedgerError:
    """A problem with its place: printed `file:line:col: message` so editors can jump to it."""

    file: str
    line: int
    column: int
    message: str
    severity: str = field(default="error", compare=False)

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}:{self.column}: {prefix}{self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message,
                "severity": self.severity}


class LedgerErrors(Exception):
    """One or more located errors; `check` prints them all."""

    def __init__(self, errors: Sequence[LedgerError]) -> None:
        self.errors = sorted(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def _single(file: str, message: str, line: int = 1, column: int = 1) -> LedgerErrors:
    return LedgerErrors([LedgerError(file, line, column, message)])


# ---------------------------------------------------------------------------------------------
# finding the ledger


def find_ledger(explicit: Path | None = None, start: Path | None = None) -> Path:
    """`--ledger`, else `$DUNNING_LEDGER`, else the nearest folder upward holding dunning.yaml."""
    chosen = explicit if explicit is not None else (
        Path(os.environ["DUNNING_LEDGER"]) if os.environ.get("DUNNING_LEDGER") else None)
    if chosen is not None:
        if not (chosen / SETTINGS_FILE).is_file():
            raise _single(str(chosen), f"not a ledger: no {SETTINGS_FILE} in {chosen}")
        return chosen.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    raise _single(str(here), f"no ledger found: no {SETTINGS_FILE} here or in any parent folder "
                  "(use --ledger DIR, set DUNNING_LEDGER, or create one with `dunning init`)")


# ---------------------------------------------------------------------------------------------
# YAML: the exact loader (YAML 1.2 core schema, Decimal for every decimal, no duplicate keys)

_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[Tt]|[ \t]+)\d{1,2}:\d{2}:\d{2}(?:\.\d*)?"
                       r"(?:[ \t]*(?:Z|[-+]\d{1,2}(?::?\d{2})?))?$")


def _refuse_duplicate_keys(loader: Any, node: Any, deep: bool) -> None:
    """A duplicate key is an error at its second place, not a silent overwrite."""
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, dict | list):  # a complex key (`? {x: 1}`): unhashable, and never a field name
            raise yaml.constructor.ConstructorError(None, None, "a key must be text, not a mapping or a list",
                                                    key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (first at line {seen[key].line + 1})", key_node.start_mark)
        seen[key] = key_node.start_mark


class ExactLoader(yaml.SafeLoader):
    """PyYAML with YAML 1.2 core resolution (as yaml-rs), exact decimals and bounded aliases."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML reads it per class
    aliases_seen: int

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen = getattr(self, "aliases_seen", 0) + 1
            if self.aliases_seen > MAX_ALIASES:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_ALIASES} aliases: refused (alias bomb?)", event.start_mark)
        depth = getattr(self, "depth", 0)
        if depth > MAX_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                              event.start_mark)
        self.depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth = depth

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        _refuse_duplicate_keys(self, node, deep)
        return super().construct_mapping(node, deep=deep)


def _resolver(tag: str, pattern: str, first: str) -> None:
    ExactLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))


_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789")
_resolver("tag:yaml.org,2002:float", _FLOAT.pattern, "-+.0123456789")
_resolver("tag:yaml.org,2002:float", r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+.")
_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])  # type: ignore[arg-type]
_resolver("tag:yaml.org,2002:timestamp", _DATE.pattern[:-1] + "|" + _DATETIME.pattern[1:], "0123456789")


def _construct_int(loader: ExactLoader, node: Any) -> int:
    text = loader.construct_scalar(node)
    if text.startswith(("0o", "0x")):
        return int(text, 0)
    return int(text, 10)


def _construct_decimal(loader: ExactLoader, node: Any) -> Decimal:
    text = str(loader.construct_scalar(node))
    special = {".inf": "Infinity", "+.inf": "Infinity", "-.inf": "-Infinity", ".nan": "NaN"}
    try:
        return Decimal(special.get(text.lower(), text))
    except InvalidOperation:
        return Decimal("NaN")


def _construct_timestamp(loader: ExactLoader, node: Any) -> date | datetime:
    text = str(loader.construct_scalar(node)).strip()
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return text  # type: ignore[return-value]  # validation says "not a date"
    normalised = re.sub(r"[ \t]+", "T", text, count=1).replace("t", "T")
    normalised = re.sub(r"[ \t]+", "", normalised).replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(normalised)
    except ValueError:
        return text  # type: ignore[return-value]


ExactLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
ExactLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


_MarkBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _MarkLoader(_MarkBase):  # type: ignore[misc]
    """Composes nodes with their marks (libyaml's composer: fast), for locating an error."""


# yaml-rs reads YAML 1.2 about 10 times as fast as PyYAML, but as floats, and a few things otherwise
# than YAML 1.2's core schema. A file takes the exact loader (PyYAML, Decimal) when it holds anything
# yaml-rs could read otherwise than a person: a number with 3+ decimals, an exponent, `.inf`/`.nan`,
# `1_000`, `0b11`, a quoted date (yaml-rs makes it a date) or an anchor (the exact loader bounds
# aliases and says where). Every test starts with a literal, so each costs ~1 us a file; the costly
# precise patterns run only on the rare files a cheap one suspects (a credit code holding `9E3`).
# What the text cannot show (a float literal too long to be exact) parse_money refuses, and then
# parse_debtor reads the file again with the exact loader before it reports anything.
_THREE_DECIMALS = re.compile(rb"\.\d{3}")
_SPECIAL_FLOAT = re.compile(rb"\.(?:inf|Inf|INF|nan|NaN|NAN)\b")
_QUOTED_DATES = (re.compile(rb"'\s*\d{4}-\d"), re.compile(rb'"\s*\d{4}-\d'))
_EXPONENTS = (re.compile(rb"e[-+]?\d"), re.compile(rb"E[-+]?\d"))
_SUSPECT_OTHERS = ((re.compile(rb"_\d"), re.compile(rb"\d_\d")),
                   (re.compile(rb"b[01]"), re.compile(rb"(?<![\w.])[-+]?0b[01]")),
                   (re.compile(rb"B[01]"), re.compile(rb"(?<![\w.])[-+]?0B[01]")),
                   (re.compile(rb"&"), re.compile(rb"(?:^|[\s\[{,:-])&[^\s]")))
_YAML_FLOAT = re.compile(rb"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+")
_NUMBER_BYTES = frozenset(b"0123456789.+-")
_BEFORE_SCALAR = frozenset(b" \t\n[{,:")
_AFTER_SCALAR = frozenset(b" \t\r\n,]}#")


def _is_exponent_scalar(data: bytes, at: int) -> bool:
    """Whether the `e`/`E` at `at` sits in a plain scalar that YAML reads as a float (`1e3`)."""
    start = at
    while start > 0 and data[start - 1] in _NUMBER_BYTES:
        start -= 1
    end = at + 1
    while end < len(data) and data[end] in _NUMBER_BYTES:
        end += 1
    if start > 0 and data[start - 1] not in _BEFORE_SCALAR:
        return False
    if end < len(data) and data[end] not in _AFTER_SCALAR:
        return False
    return _YAML_FLOAT.fullmatch(data, start, end) is not None


def needs_exact_loader(data: bytes) -> bool:
    """Whether yaml-rs could read this file otherwise than a person (and the exact loader) would."""
    if _THREE_DECIMALS.search(data) or _SPECIAL_FLOAT.search(data):
        return True
    if any(pattern.search(data) for pattern in _QUOTED_DATES):
        return True
    if any(cheap.search(data) and precise.search(data) for cheap, precise in _SUSPECT_OTHERS):
        return True
    return any(_is_exponent_scalar(data, match.start())
               for pattern in _EXPONENTS for match in pattern.finditer(data))


_YAML_RS_LINE = re.compile(r"line (\d+), column (\d+)")


def decode_text(data: bytes, relpath: str) -> str:
    """UTF-8 text; other bytes are an error at the line and column of the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1  # characters
        raise _single(relpath, f"not UTF-8: byte 0x{data[error.start]:02x} cannot be read; save the file "
                      "as UTF-8 (GBK and GB2312 are not accepted)", line, column) from None
    return text[1:] if text.startswith("\ufeff") else text


class _CExactLoader(_MarkBase):  # type: ignore[misc]
    """The exact loader's reading on libyaml's C parser (about 10 times as fast): the same
    resolvers and constructors, duplicate keys refused. libyaml's composer cannot count aliases or
    depth, so a text with an alias or deep nesting goes to the pure-Python `ExactLoader`."""

    yaml_implicit_resolvers = ExactLoader.yaml_implicit_resolvers
    yaml_constructors = ExactLoader.yaml_constructors

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        _refuse_duplicate_keys(self, node, deep)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\]}]")
_DEEP = re.compile(rf"(?:[\[{{]\s*){{{MAX_DEPTH // 2}}}|\n {{{MAX_DEPTH * 2}}}")


def _exact_load(text: str, relpath: str) -> Any:
    if _MarkBase is not yaml.SafeLoader and not _ALIAS.search(text) and not _DEEP.search(text):
        try:
            return yaml.load(text, Loader=_CExactLoader)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            pass  # PyYAML's own words for a syntax error are the clearer: read it again below
    try:
        return yaml.load(text, Loader=ExactLoader)  # noqa: S506 - ExactLoader is a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or "YAML syntax error"
        if error.context and "duplicate" not in problem:
            problem = f"{error.context}: {problem}"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _single(relpath, f"YAML: {problem}", line, column) from None
    except yaml.YAMLError as error:
        raise _single(relpath, f"YAML: {error}") from None
    except RecursionError:
        raise _single(relpath, f"YAML: nested deeper than {MAX_DEPTH} levels") from None


def parse_yaml(data: bytes, relpath: str) -> Any:
    """A YAML document as Python data, read as a person reads it; errors located."""
    return _parse_yaml(data, relpath)[0]


def _parse_yaml(data: bytes, relpath: str, *, exact: bool = False) -> tuple[Any, bool]:
    """(document, whether the exact loader read it)."""
    if len(data) > MAX_FILE_BYTES:
        raise _single(relpath, f"file is {len(data) // 1024 // 1024} MB; a ledger file may hold at most "
                      f"{MAX_FILE_BYTES // 1024 // 1024} MB")
    text = decode_text(data, relpath)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise _single(relpath, "contains a NUL character: not a text file", line)
    if exact or needs_exact_loader(data):
        return _exact_load(text, relpath), True
    try:
        return yaml_rs.loads(text, alias_limits=yaml_rs.AliasLimits(
            max_total_replayed_events=10_000, max_replay_stack_depth=MAX_DEPTH)), False
    except Exception as fast_error:  # yaml-rs has one error type; the exact loader says where
        _exact_load(text, relpath)
        # PyYAML read what yaml-rs refused (a YAML 1.2 corner): report yaml-rs's reason.
        match = _YAML_RS_LINE.search(str(fast_error))
        line, column = (int(match[1]), int(match[2])) if match else (1, 1)
        message = str(fast_error).splitlines()[-1] if str(fast_error) else "YAML syntax error"
        raise _single(relpath, f"YAML: {message}", line, column) from None


# ---------------------------------------------------------------------------------------------
# locating a validation error


def _node_at(root: Any, loc: Sequence[int | str]) -> tuple[Any, list[str], bool]:
    """Walk a pydantic error location down the node tree: (node, readable path, key missing)."""
    node = root
    path: list[str] = []
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == part:
                    node = value_node
                    path.append(str(part))
                    break
            else:
                if isinstance(part, str) and part in _UNION_TAGS:
                    continue  # the discriminated union's tag, not a key in the file
                path.append(str(part))
                return node, path, True
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            path.append(f"[{part}]")
        elif isinstance(part, str) and part in _UNION_TAGS:
            continue
        else:
            path.append(f"[{part}]" if isinstance(part, int) else str(part))
            return node, path, False
    return node, path, False


_UNION_TAGS = {"call", "visit", "wechat", "sms", "email", "letter", "payment", "credit", "plan",
               "acknowledgment", "dispute", "resolve", "legal", "guarantor_demand", "status", "note",
               "function-after", "function-before", "function-plain", "function-wrap",
               "date", "datetime", "int", "str", "none", "list", "is-instance"}


def _dotted(path: Iterable[str]) -> str:
    out = ""
    for part in path:
        out += part if part.startswith("[") or not out else "." + part
    return out


def _printable(text: str) -> str:
    from dunning.render import printable

    return printable(text)


def node_mark(root: Any, loc: Sequence[int | str]) -> Any:
    """Where an error at `loc` is shown: at the key of a mapping entry (`    due: 2025-13-01` is
    reported at the `due`, as the format's documentation shows), else at the list item or at the
    mapping that misses a key."""
    node, _, missing = _node_at(root, loc)
    if not missing and loc and isinstance(loc[-1], str):  # a union's tag is no key: falls through
        key = _key_node(root, loc)
        if isinstance(key, yaml.ScalarNode) and key.value == loc[-1]:
            return key.start_mark
    return node.start_mark


def _key_node(root: Any, loc: Sequence[int | str]) -> Any:
    parent, _, _ = _node_at(root, loc[:-1])
    if isinstance(parent, yaml.MappingNode):
        for key_node, _value in parent.value:
            if key_node.value == loc[-1]:
                return key_node
    return parent


def _message(error: Any, model_fields: Iterable[str]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        name = str(error["loc"][-1])
        # the keys valid where it stands, else every key of the format; never the key itself
        here = _known_keys(error["loc"][:-1]) or list(model_fields)
        close = difflib.get_close_matches(name, [k for k in here if k != name], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown key {name!r}{hint}"  # repr: a control character in a key is shown escaped
    if kind == "missing":
        return "required but missing"
    if kind == "union_tag_invalid":
        tag = (error.get("ctx") or {}).get("tag", "?")
        close = difflib.get_close_matches(str(tag), list(EVENT_TYPES), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown event type '{tag}' ({hint}known: {', '.join(EVENT_TYPES)})"
    if kind == "union_tag_not_found":
        return "an event needs a `type`"
    text = str(error["msg"])
    if text.startswith("Value error, "):
        return text[len("Value error, "):]
    if kind in ("string_type", "int_type", "int_parsing", "bool_type", "bool_parsing", "literal_error",
                "list_type", "dict_type", "model_type", "model_attributes_type", "date_type",
                "greater_than_equal", "less_than_equal", "too_short", "int_from_float"):
        if isinstance(value, dict | list):
            return f"{text.rstrip('.').lower()}, got {type(value).__name__!r}"
        shown = str(value) if isinstance(value, Decimal | float) else repr(value)
        return f"{text.rstrip('.').lower()}, got {shown}"
    return text


def _known_keys(where: Sequence[int | str] | None = None) -> list[str]:
    """Every key of the format, for the did-you-mean hint on an unknown key; with `where` (the
    location of the mapping, as pydantic gives it) only the keys valid in that mapping, [] when the
    location is not a mapping of the format (a dict such as `collectors`)."""
    import typing

    from dunning import model as formats

    def models_in(annotation: Any) -> list[type[formats.Strict]]:
        if isinstance(annotation, type) and issubclass(annotation, formats.Strict):
            return [annotation]
        return [m for arg in typing.get_args(annotation) for m in models_in(arg)]

    if where is None:
        models = [c for c in vars(formats).values()
                  if isinstance(c, type) and issubclass(c, formats.Strict) and c is not formats.Strict]
    else:
        models = [formats.Debtor, formats.Settings]  # the top of a debtor file or of dunning.yaml
        for part in (p for p in where if isinstance(p, str)):  # list indexes stay in the same model
            fields = [f for m in models for key, f in m.model_fields.items() if (f.alias or key) == part]
            if fields:
                models = [m for f in fields for m in models_in(f.annotation)]
            else:  # an event's type, the tag pydantic puts in the location
                models = [m for m in models if "type" in m.model_fields
                          and part in typing.get_args(m.model_fields["type"].annotation)]
    return sorted({f.alias or key for m in models for key, f in m.model_fields.items()})


def locate_validation(error: ValidationError, text: str, relpath: str, model: type[Any]) -> LedgerErrors:
    """Every pydantic error as `file:line:col: path: message`, the place read from the YAML marks."""
    try:
        root = yaml.compose(text, Loader=_MarkLoader)
    except yaml.YAMLError:
        root = None
    located: list[LedgerError] = []
    for item in error.errors():
        loc = item["loc"]
        if root is None:
            located.append(LedgerError(relpath, 1, 1, f"{_dotted(str(p) for p in loc)}: {item['msg']}"))
            continue
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "type")
        _, path, _ = _node_at(root, loc)
        mark = node_mark(root, loc)
        where = _printable(_dotted(path))
        message = _message(item, _known_keys())
        located.append(LedgerError(relpath, mark.line + 1, mark.column + 1,
                                   f"{where}: {message}" if where else message))
    return LedgerErrors(located)


# ---------------------------------------------------------------------------------------------
# parsing the two kinds of file


def _mapping(document: Any, relpath: str, what: str) -> dict[str, Any]:
    if document is None:
        raise _single(relpath, f"empty file: {what} needs at least `name:`" if what == "a debtor file"
                      else f"empty file: {what} needs `format: 1` and `creditor:`")
    if not isinstance(document, dict):
        raise _single(relpath, f"{what} must be a mapping of keys, found a {type(document).__name__}")
    return document


def _text_where_numbers(error: ValidationError, document: Any, text: str) -> bool:
    """Where text is expected and YAML read a number (`id: 00123`, `contract: 2025.10`), put the
    number's literal text into the document, as the person wrote it; False when there is none."""
    numeric = [item["loc"] for item in error.errors() if item["type"] == "string_type"
               and isinstance(item.get("input"), int | float | Decimal) and not isinstance(item["input"], bool)]
    if not numeric:
        return False
    try:
        root = yaml.compose(text, Loader=_MarkLoader)
    except yaml.YAMLError:
        return False
    for loc in numeric:
        node, _, missing = _node_at(root, loc)
        container, key = _container_at(document, loc)
        if missing or container is None or not isinstance(node, yaml.ScalarNode):
            return False
        container[key] = node.value
    return True


def _container_at(document: Any, loc: Sequence[int | str]) -> tuple[Any, int | str]:
    """The dict or list holding the value at a pydantic location, and its key there."""
    current = document
    for index, part in enumerate(loc):
        holds = (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and part < len(current))
        if holds:
            if index == len(loc) - 1:
                return current, part
            current = current[part]
        elif not (isinstance(part, str) and part in _UNION_TAGS):
            return None, part
    return None, ""


def _validate(model: type[Any], document: dict[str, Any], raw: bytes, relpath: str, exact: bool) -> Any:
    """The validated model of a file's document; every error located. On an error, the file is read
    again by the exact loader (what yaml-rs read may be what failed: a float too long to be exact),
    and a number where text is expected takes its literal text, once."""
    repaired = False
    while True:
        try:
            return model.model_validate(document)
        except ValidationError as error:
            if not exact:
                document = _mapping(_parse_yaml(raw, relpath, exact=True)[0], relpath,
                                    "a debtor file" if model is Debtor else "dunning.yaml")
                exact = True
                continue
            if not repaired and _text_where_numbers(error, document, decode_text(raw, relpath)):
                repaired = True
                continue
            raise locate_validation(error, decode_text(raw, relpath), relpath, model) from None


def parse_debtor(data: bytes | str, relpath: str) -> Debtor:
    """One debtor file's text as a validated `Debtor`; raises `LedgerErrors` with every error located."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    document, exact = _parse_yaml(raw, relpath)
    document = _mapping(document, relpath, "a debtor file")
    debtor: Debtor = _validate(Debtor, document, raw, relpath, exact)
    keys = list(document)
    if "events" in document and keys[-1] != "events":
        root = yaml.compose(decode_text(raw, relpath), Loader=_MarkLoader)
        node = _key_node(root, ["events"])
        raise LedgerErrors([LedgerError(relpath, node.start_mark.line + 1, node.start_mark.column + 1,
                                        f"events: must be the last key (found '{keys[-1]}' after it), so "
                                        "new events can be appended at the end of the file")])
    return debtor


def parse_settings(data: bytes, relpath: str = SETTINGS_FILE) -> Settings:
    document = _mapping(_parse_yaml(data, relpath, exact=True)[0], relpath, "dunning.yaml")
    settings: Settings = _validate(Settings, document, data, relpath, True)
    return settings


def load_settings(root: Path) -> Settings:
    path = root / SETTINGS_FILE
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _single(SETTINGS_FILE, f"cannot read: {error.strerror}") from None
    return parse_settings(data)


def debtor_path(root: Path, debtor_id: str) -> Path:
    """The file of a debtor id; an id that is not a slug is refused (no `../` ever reaches the disk)."""
    if not SLUG.fullmatch(debtor_id) or len(debtor_id) > 100:
        raise _single(f"{DEBTORS_DIR}/{debtor_id}.yaml", f"not a debtor id: '{debtor_id}' (use lower-case "
                      "letters, digits and '-', starting with a letter or digit)")
    return root / DEBTORS_DIR / f"{debtor_id}.yaml"


def load_debtor(root: Path, debtor_id: str) -> Debtor:
    """One debtor, reading one file only (`show`, writes)."""
    path = debtor_path(root, debtor_id)
    relpath = f"{DEBTORS_DIR}/{debtor_id}.yaml"
    if path.is_symlink():
        raise _single(relpath, "is a symbolic link; debtor files must be plain files inside the ledger")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _single(relpath, f"unknown debtor '{debtor_id}' (no {relpath})") from None
    except OSError as error:
        raise _single(relpath, f"cannot read: {error.strerror}") from None
    return parse_debtor(data, relpath)


# ---------------------------------------------------------------------------------------------
# the whole ledger


@dataclass
class Ledger:
    root: Path
    settings: Settings
    debtors: dict[str, Debtor]
    warnings: list[LedgerError] = field(default_factory=list)
    settings_ok: bool = True  # False: dunning.yaml is broken and `settings` are stand-ins (check only)
    # each debtor's balances after its last event, as the cache kept them (dunning.settled); for aging
    settled: Snapshots | None = None

    def path_of(self, debtor_id: str) -> Path:
        return self.root / DEBTORS_DIR / f"{debtor_id}.yaml"

    def relpath(self, debtor_id: str) -> str:
        return f"{DEBTORS_DIR}/{debtor_id}.yaml"


def debtor_files(root: Path) -> list[tuple[str, str]]:
    """(id, path) of every `debtors/*.yaml`, sorted by id; paths as text (100,000 Path objects cost 0.7 s)."""
    folder = root / DEBTORS_DIR
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        found = [(e.name[:-5], e.path) for e in entries if e.name.endswith(".yaml")]
    return sorted(found)


def load_ledger(root: Path, *, cache: bool = True, collect: bool = False) -> Ledger:
    """Settings and every debtor, validated and cross-checked.

    Raises `LedgerErrors` listing every error of the ledger, unless `collect` is set: then the
    valid part is returned with the errors in `warnings` (for `check`).
    """
    from dunning import cache as debtor_cache
    from dunning.checks import cross_checks

    errors: list[LedgerError] = []
    settings_ok = True
    try:
        settings = load_settings(root)
    except LedgerErrors as settings_errors:
        if not collect:
            raise
        # checks against stand-in settings would be false alarms (every collector "unknown")
        settings_ok = False
        errors.extend(settings_errors.errors)
        settings = Settings.model_validate({"format": 1, "creditor": {"name": "?"}})
    # Loading makes millions of small objects that all live on: the cyclic garbage collector would
    # scan them again and again for nothing (3.9 s instead of 1.1 s on 10,000 debtors).
    collecting = gc.isenabled()
    gc.disable()
    try:
        debtors, file_errors, snapshots = debtor_cache.load_debtors(root, debtor_files(root), enabled=cache,
                                                                    settings=settings if settings_ok else None)
    finally:
        # They live until the command ends: keep every later collection from scanning them at all.
        gc.freeze()
        if collecting:
            gc.enable()
    errors.extend(file_errors)
    errors.extend(e for e in cross_checks(root, settings, debtors)
                  if settings_ok or "unknown collector" not in e.message)
    real = [e for e in errors if e.severity == "error"]
    if real and not collect:
        raise LedgerErrors(real)
    ledger = Ledger(root, settings, debtors, settings_ok=settings_ok, settled=snapshots)
    ledger.warnings = errors if collect else [e for e in errors if e.severity != "error"]
    return ledger


# ---------------------------------------------------------------------------------------------
# writing


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600): keep the mode the file had, else the usual one
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = 0o666 & ~_umask()
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (best effort: some file systems cannot)."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def contact_events(debtor: Debtor) -> list[ContactEvent]:
    return [e for e in debtor.events if isinstance(e, ContactEvent)]


__all__ = [
    "Ledger",
    "LedgerError",
    "LedgerErrors",
    "atomic_write",
    "debtor_files",
    "debtor_path",
    "event_instant",
    "find_ledger",
    "load_debtor",
    "load_ledger",
    "load_settings",
    "parse_debtor",
    "parse_settings",
    "parse_yaml",
]
