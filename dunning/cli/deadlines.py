"""`dunning deadlines`: limitation, guarantee, bankruptcy-claim, promise and instalment deadlines."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any

import typer

from dunning.cli.base import EXIT_LEDGER
from dunning.cli.base import AsOfOption
from dunning.cli.base import FormatOption
from dunning.cli.base import LedgerOption
from dunning.cli.base import OutputOption
from dunning.cli.base import app
from dunning.cli.base import as_of_date
from dunning.cli.base import emit
from dunning.cli.base import fail
from dunning.cli.base import jurisdiction_failure
from dunning.cli.base import open_debtor
from dunning.cli.base import open_ledger
from dunning.cli.base import open_settings
from dunning.cli.base import output_format

if TYPE_CHECKING:
    from dunning.deadlines import Deadline
    from dunning.model import Debtor
    from dunning.model import Settings
    from dunning.render import Column
    from dunning.render import Format


def _columns(why: bool) -> list[Column]:
    """The table's columns; `basis` (every step, in one cell) only for --why in CSV."""
    from dunning.render import Column

    columns = [
        Column("date", "date"),
        Column("days_left", "left", numeric=True),
        Column("status", "status"),
        Column("kind", "kind"),
        Column("debtor", "debtor"),
        Column("invoice", "invoice"),
        Column("currency", "cur"),
        Column("amount", "amount", money=True),
        Column("provisional", "prov"),
        Column("guarantor", "guarantor"),
        Column("rule", "rule"),
    ]
    return [*columns, Column("basis", "basis")] if why else columns

_RED = "red"
_YELLOW = "yellow"
_GREEN = "green"


def _kinds(values: Sequence[str] | None) -> list[str] | None:
    from dunning.deadlines import KINDS

    if not values:
        return None
    chosen = [v.strip() for value in values for v in value.split(",") if v.strip()]
    for kind in chosen:
        if kind not in KINDS:
            fail(f"--kind: unknown kind '{kind}': use one of {', '.join(KINDS)}")
    return chosen


def _compute(root: Path, debtors: dict[str, Debtor], settings: Settings,
             day: date) -> tuple[list[Deadline], dict[str, bool]]:
    from dunning.balances import debtor_state
    from dunning.deadlines import UnknownJurisdiction
    from dunning.deadlines import debtor_deadlines
    from dunning.deadlines.engine import sort_key

    found: list[Deadline] = []
    owing: dict[str, bool] = {}
    for debtor_id, debtor in debtors.items():
        state = debtor_state(debtor, settings, day)
        owing[debtor_id] = bool(state.open_invoices())
        try:
            found.extend(debtor_deadlines(debtor_id, debtor, settings, day, state))
        except UnknownJurisdiction as error:
            jurisdiction_failure(root, debtor_id, debtor, error)
    found.sort(key=sort_key)
    return found, owing


def _row(deadline: Deadline, why: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "date": deadline.date, "days_left": deadline.days_left, "status": deadline.status,
        "kind": deadline.kind, "debtor": deadline.debtor, "invoice": deadline.invoice,
        "currency": deadline.currency, "amount": deadline.amount,
        "provisional": deadline.provisional, "guarantor": deadline.guarantor, "rule": deadline.rule,
    }
    if why:
        row["basis"] = " | ".join(deadline.basis)
    return row


def _colour(deadline: Deadline, warn_days: int) -> str | None:
    if deadline.status in ("expired", "released"):
        return _RED
    if deadline.status in ("met",):
        return _GREEN
    if deadline.days_left is not None and deadline.days_left <= min(30, warn_days):
        return _YELLOW
    return None


def _why_blocks(deadlines: Sequence[Deadline], markdown: bool) -> str:
    out = []
    for deadline in deadlines:
        what = " ".join(x for x in (deadline.debtor, deadline.kind, deadline.invoice or "",
                                    f"({deadline.guarantor})" if deadline.guarantor else "") if x)
        when = deadline.date.isoformat() if deadline.date else "no date"
        title = f"{what}: {when} {deadline.status}{' (provisional)' if deadline.provisional else ''}"
        if markdown:
            out.append(f"\n### {title}\n\n{deadline.rule}\n")
            out += [f"- {line}" for line in deadline.basis]
        else:
            out.append(f"\n{title}  [{deadline.rule}]")
            out += [f"  - {line}" for line in deadline.basis]
    return "\n".join(out) + "\n" if out else ""


def render_deadlines(deadlines: Sequence[Deadline], fmt: Format, as_of: date, within: int, *, why: bool,
                     colour: bool = False, warn_days: int = 90) -> str:
    """The report in one format; JSON is the contract of cli.md and always carries the basis."""
    from dunning.render import dump_json
    from dunning.render import render

    if fmt == "json":
        return dump_json({"as_of": as_of.isoformat(), "within_days": within,
                          "deadlines": [d.as_json() for d in deadlines]})
    columns = _columns(why and fmt == "csv")
    rows = [_row(d, why and fmt == "csv") for d in deadlines]
    text = render(rows, columns, fmt)
    if fmt == "csv":
        return text
    if not deadlines:
        text = f"no deadlines within {within} days as of {as_of} and none missed (--all lists every one)\n"
    elif colour and fmt == "table":
        lines = text.rstrip("\n").split("\n")
        painted = lines[:2]
        for line, deadline in zip(lines[2:], deadlines, strict=True):
            shade = _colour(deadline, warn_days)
            painted.append(typer.style(line, fg=shade) if shade else line)
        text = "\n".join(painted) + "\n"
    if why:
        text += _why_blocks(deadlines, markdown=fmt == "md")
    return text


def _use_colour(output: Any) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


@app.command()
def deadlines(
    within: Annotated[int | None, typer.Option("--within", help="Days ahead to list (default: warn_days "
                                               "in dunning.yaml).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="List every deadline, met and far ones too.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when a limitation has expired on an open "
                                         "invoice or a guarantor was released.")] = False,
    debtor: Annotated[str | None, typer.Option("--debtor", "-d", help="Only this debtor (reads its file "
                                               "only).")] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", "-k", help="Only these kinds: limitation, "
                                                   "guarantee, claims, promise, installment (repeat or "
                                                   "comma-separate).")] = None,
    why: Annotated[bool, typer.Option("--why", help="Show the basis of each date: the rule and every step, "
                                      "including the events that did not count.")] = False,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Limitation, guarantee and other deadlines, soonest first.

    Limitation, guarantee, bankruptcy-claim, promise and instalment deadlines. Lists what falls due
    within --within days (default warn_days) plus every deadline already missed on an invoice still
    open. Limitation is computed per open invoice under the debtor's jurisdiction (else the ledger's):
    CN, DE, EW, FR, US-NY, US-CA, US-UCC. `provisional` marks a CN date in a year whose official holiday
    calendar is not announced yet. --why prints each date's basis (always in JSON). docs/limitation.md
    explains every rule with its citations.

    \b
    Example: dunning deadlines --within 30 --why --strict
    """
    from dunning.deadlines import missed
    from dunning.deadlines import select_deadlines

    chosen_kinds = _kinds(kind)
    fmt_kind = output_format(fmt, output)
    if debtor is not None:
        root, settings = open_settings(ledger)
        debtors = {debtor: open_debtor(root, debtor)}
    else:
        book = open_ledger(ledger)
        root, settings, debtors = book.root, book.settings, book.debtors
    day = as_of_date(as_of, settings)
    days = settings.warn_days if within is None else within
    if days < 0:
        fail(f"--within: must not be negative, got {days}")
    found, owing = _compute(root, debtors, settings, day)
    shown = select_deadlines(found, days, everything=everything, kinds=chosen_kinds, owing=owing)
    emit(render_deadlines(shown, fmt_kind, day, days, why=why, colour=_use_colour(output),
                          warn_days=settings.warn_days), output)
    if strict:
        failing = missed(d for d in found if chosen_kinds is None or d.kind in chosen_kinds)
        if failing:
            listing = ", ".join(f"{d.debtor} {d.kind} {d.invoice or ''}".rstrip() + f" ({d.status} {d.date})"
                                for d in failing[:10])
            more = f" and {len(failing) - 10} more" if len(failing) > 10 else ""
            typer.echo(f"dunning: {len(failing)} deadline(s) already missed: {listing}{more}", err=True)
            raise typer.Exit(EXIT_LEDGER)
