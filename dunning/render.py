"""Table, CSV, JSON and Markdown output for every report: one place for the formats and for money."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from typing import Literal

import msgspec
from wcwidth import wcswidth

Format = Literal["table", "csv", "json", "md"]
FORMATS: tuple[str, ...] = ("table", "csv", "json", "md")
CENT = Decimal("0.01")

CURRENCY_SIGNS = {"CNY": "¥", "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


def money(amount: Decimal) -> str:
    """The contract form of an amount in JSON and CSV: a string with two decimals ("70000.00")."""
    return str(amount.quantize(CENT))


def money_grouped(amount: Decimal) -> str:
    """An amount with thousands separators for people: 70,000.00."""
    return f"{amount.quantize(CENT):,.2f}"


def money_display(amount: Decimal, currency: str) -> str:
    """¥70,000.00, €1,200.50; codes without a sign are written after: 1,000.00 CHF."""
    sign = CURRENCY_SIGNS.get(currency)
    if sign:
        return f"-{sign}{money_grouped(-amount)}" if amount < 0 else f"{sign}{money_grouped(amount)}"
    return f"{money_grouped(amount)} {currency}"


def format_from_path(path: Path | None, fmt: str | None) -> Format:
    """`-o FILE` infers the format from the extension unless `--format` says otherwise."""
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format '{fmt}': use one of {', '.join(FORMATS)}")
        return fmt  # type: ignore[return-value]
    if path is not None:
        suffix = path.suffix.lower().lstrip(".")
        if suffix in ("csv", "json", "md"):
            return suffix  # type: ignore[return-value]
        if suffix == "markdown":
            return "md"
    return "table"


# Characters that drive a terminal or reorder what it shows: C0 and C1 controls, DEL, the bidi marks,
# embeddings, overrides and isolates, the line and paragraph separators. The model refuses them in
# names and free text; a file edited by hand may still hold them in another field.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
# The same as JSON escapes: json.dumps escapes C0 itself; these it leaves raw without ensure_ascii.
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the control pictures: ␛ for ESC, ␊ for a line break
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def printable(text: str) -> str:
    r"""Text that cannot drive a terminal: every control or bidi character shown as a visible escape
    (`\x1b` as `␛`, `\u202e` as `<U+202E>`)."""
    return _UNPRINTABLE.sub(_visible, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


_PLAIN_JSON = frozenset({str, int, bool, float, type(None)})


def to_jsonable(value: Any) -> Any:
    """Decimal -> "0.00" string, date -> ISO, recursively; the JSON contract of cli.md."""
    kind = type(value)
    if kind in _PLAIN_JSON:
        return value
    if kind is Decimal:
        return str(value.quantize(CENT))
    if kind is dict:
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def dump_json(document: Any) -> str:
    """Indented UTF-8 JSON: encoded by the json module's C encoder, indented by msgspec's (the
    pure-Python indenting encoder took 2 s for the deadlines of 10,000 debtors)."""
    compact = json.dumps(to_jsonable(document), ensure_ascii=False, separators=(",", ":"))
    compact = _RAW_IN_JSON.sub(_json_escape, compact)  # the same strings, none raw on a terminal
    return msgspec.json.format(compact, indent=2) + "\n"


@dataclass(frozen=True)
class Column:
    """One column of a report: the row key, its heading, and whether it holds money (right-aligned)."""

    key: str
    heading: str
    money: bool = False
    numeric: bool = False
    display: Callable[[Any], str] | None = None


def _cell(value: Any, column: Column, *, for_people: bool) -> str:
    if value is None:
        return ""
    if column.display is not None and for_people:
        return column.display(value)
    if isinstance(value, Decimal):
        return money_grouped(value) if for_people else money(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


def _width(text: str) -> int:
    """Terminal columns: a CJK character takes two. ASCII text is its length (no per-character lookup:
    the table of a 10,000-debtor `age` has 100,000 cells)."""
    if text.isascii():
        return len(text)
    shown = wcswidth(text)
    return len(text) if shown < 0 else shown


def _neutralise(text: str) -> str:
    """Cells that a spreadsheet would run as a formula are prefixed with a quote (CSV injection)."""
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text.replace(",", ""))
    except ArithmeticError:
        return False
    return True


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *,
          totals: Sequence[Mapping[str, Any]] = ()) -> str:
    """A plain-text table aligned for wide (CJK) characters, with totals rows under a rule."""
    body = [[_cell(row.get(c.key), c, for_people=True) for c in columns] for row in rows]
    foot = [[_cell(row.get(c.key), c, for_people=True) for c in columns] for row in totals]
    heads = [c.heading for c in columns]
    if _UNPRINTABLE.search("".join(itertools.chain(heads, *body, *foot))):  # one scan: usually nothing
        heads = [printable(c) for c in heads]
        body = [[printable(c) for c in r] for r in body]
        foot = [[printable(c) for c in r] for r in foot]
    # every cell measured once (a 10,000-debtor `age` has 100,000 of them)
    measured = [[(cell, _width(cell)) for cell in r] for r in (heads, *body, *foot)]
    widths = [max(w for _, w in col) for col in zip(*measured, strict=True)]
    right = [c.money or c.numeric for c in columns]

    def pad(cell: str, shown: int, width: int, to_right: bool) -> str:
        gap = " " * (width - shown)
        return gap + cell if to_right else cell + gap

    def line(cells: Sequence[tuple[str, int]]) -> str:
        return "  ".join(pad(c, s, w, r) for (c, s), w, r in zip(cells, widths, right, strict=True)).rstrip()

    out = [line(measured[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in measured[1:len(body) + 1]]
    if foot:
        out.append("  ".join("=" * w for w in widths))
        out += [line(r) for r in measured[len(body) + 1:]]
    return "\n".join(out) + "\n"


def markdown(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *,
             totals: Sequence[Mapping[str, Any]] = ()) -> str:
    def esc(text: str) -> str:
        return printable(text.replace("|", "\\|").replace("\n", " "))

    out = ["| " + " | ".join(esc(c.heading) for c in columns) + " |",
           "|" + "|".join("---:" if (c.money or c.numeric) else "---" for c in columns) + "|"]
    for row in [*rows, *totals]:
        out.append("| " + " | ".join(esc(_cell(row.get(c.key), c, for_people=True)) for c in columns) + " |")
    return "\n".join(out) + "\n"


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([_neutralise(_cell(row.get(c.key), c, for_people=False)) for c in columns])
    return buffer.getvalue()


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], fmt: Format, *,
           totals: Sequence[Mapping[str, Any]] = (), document: Any = None) -> str:
    """One report in one format. JSON prints `document` (the contract shape) when given, else the rows."""
    if fmt == "json":
        return dump_json(document if document is not None else list(rows))
    if fmt == "csv":
        return csv_text(rows, columns)
    if fmt == "md":
        return markdown(rows, columns, totals=totals)
    return table(rows, columns, totals=totals)
