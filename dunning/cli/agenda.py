"""`dunning agenda`: the day's work list, most urgent first, each line with its reason."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any

import typer

from dunning.cli.base import EXIT_LEDGER
from dunning.cli.base import FormatOption
from dunning.cli.base import LedgerOption
from dunning.cli.base import OutputOption
from dunning.cli.base import app
from dunning.cli.base import emit
from dunning.cli.base import fail
from dunning.cli.base import open_ledger
from dunning.cli.base import option_date
from dunning.cli.base import output_format
from dunning.cli.base import today

if TYPE_CHECKING:
    from dunning.agenda import Agenda
    from dunning.agenda import AgendaItem
    from dunning.model import Debtor
    from dunning.model import Settings
    from dunning.render import Format


def collector_key(value: str | None, settings: Settings) -> str | None:
    """`--collector` takes a key of `collectors` or its display name."""
    if value is None or value in settings.collectors:
        return value
    keys = [key for key, name in settings.collectors.items() if name == value]
    if not keys:
        known = ", ".join(f"{k} ({n})" for k, n in settings.collectors.items()) or "none"
        fail(f"--collector: unknown collector '{value}' (dunning.yaml collectors: {known})")
    return keys[0]


def require_jurisdictions(root: Path, debtors: Mapping[str, Debtor], settings: Settings,
                          collector: str | None) -> None:
    """Exit 1 naming the `jurisdiction` that has no limitation rules (the deadlines would be missing)."""
    from dunning.deadlines import UnknownJurisdiction
    from dunning.deadlines import rule_set
    from dunning.deadlines.engine import jurisdiction_of

    for debtor_id, debtor in debtors.items():
        if collector is not None and debtor.collector != collector:
            continue
        try:
            rule_set(jurisdiction_of(debtor, settings))
        except UnknownJurisdiction as error:
            if debtor.jurisdiction:
                from dunning.checks import place

                fail(str(place(root, debtor_id, ["jurisdiction"], str(error))), EXIT_LEDGER)
            fail(f"dunning.yaml: jurisdiction: {error}", EXIT_LEDGER)


def _reach(contact: dict[str, str | None] | None) -> str:
    """The contact's name and the first of its numbers (or the note, for a guarantor)."""
    if not contact:
        return ""
    number = contact.get("mobile") or contact.get("phone") or contact.get("note") or ""
    return " ".join(x for x in (contact.get("name") or "", number) if x)


def _row(item: AgendaItem, settings: Settings, *, for_people: bool) -> dict[str, Any]:
    collector = item.collector
    if for_people and collector is not None:
        collector = settings.collectors.get(collector, collector)
    contact = item.contact or {}
    return {"rank": item.rank, "at": item.shown_at if for_people else item.at, "collector": collector,
            "debtor": item.debtor, "name": item.name,
            "action": item.action, "kind": item.kind, "reason": item.reason,
            "contact": _reach(item.contact) if for_people else contact.get("name"),
            "mobile": contact.get("mobile"), "phone": contact.get("phone"), "address": contact.get("address"),
            "blocked": item.blocked, "template": item.template, "bucket": item.bucket,
            "days_overdue": item.days_overdue, "local_at": item.local_at, "timezone": item.timezone}


def render_agenda(result: Agenda, settings: Settings, fmt: Format) -> str:
    """Table and Markdown for people, CSV one row per item, JSON the cli.md document."""
    from dunning.render import Column
    from dunning.render import dump_json
    from dunning.render import render

    if fmt == "json":
        return dump_json(result.as_json())
    if fmt == "csv":
        columns = [Column(key, key) for key in ("rank", "at", "collector", "debtor", "name", "action", "kind",
                                                 "reason", "contact", "mobile", "phone", "address", "blocked",
                                                 "template", "bucket", "days_overdue", "local_at",
                                                 "timezone")]
        return render([_row(i, settings, for_people=False) for i in result.items], columns, fmt)
    who = f" for {settings.collectors.get(result.collector, result.collector)}" if result.collector else ""
    if not result.items:
        return f"nothing on the agenda{who} on {result.date}\n"
    columns = [Column("rank", "#", numeric=True), Column("at", "at"), Column("collector", "collector"),
               Column("debtor", "debtor"), Column("action", "action"), Column("kind", "kind"),
               Column("contact", "contact"), Column("reason", "reason")]
    calls = sum(1 for i in result.items if i.action == "call")
    title = (f"Agenda{who} on {result.date}: {len(result.items)} item(s), {calls} call(s) "
             f"(call window {result.call_window})\n\n")
    if fmt == "md":
        title = f"## {title}"
    return title + render([_row(i, settings, for_people=True) for i in result.items], columns, fmt)


@app.command("agenda")
def agenda_command(
    day: Annotated[str | None, typer.Option("--date", "--as-of", help="The day, YYYY-MM-DD (default: today in "
                                            "the ledger's time zone).")] = None,
    collector: Annotated[str | None, typer.Option("--collector", help="Only this collector's debtors (key or "
                                                  "display name).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of the reasons: zh or en (default: the "
                                             "ledger's).")] = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    ledger: LedgerOption = None,
) -> None:
    """The day's work list, most urgent first, each line with its action, time, contact and reason.

    First the deadlines that lose money within warn_days (limitation: a letter that must reach the
    debtor; guarantee period: a demand to the guarantor; bankruptcy claim: file it), then broken
    promises and missed instalments, promises and instalments due today, follow-ups set with
    --next-date, and debtors not reached for agenda.no_contact_days of their bucket (C 7, B 14,
    A 30). Calls get slots of agenda.call_minutes in the call_window, per collector, read in the
    debtor's local time when its file sets timezone (shown as 16:00 (09:00 Europe/Berlin)); letters
    and filings come after. Never a call to a debtor on hold, bankrupt (file the claim), in dispute
    (resolve it first), with a suit running, or past agenda.max_contacts_per_day contacts.

    Example: dunning agenda --date 2026-11-28 --collector 张三
    """
    from dunning.agenda import agenda

    kind = output_format(fmt, output)
    if lang is not None and lang not in ("zh", "en"):
        fail(f"--lang: use zh or en, got '{lang}'")
    book = open_ledger(ledger)
    settings = book.settings
    when = option_date(day, "--date", today(settings))
    key = collector_key(collector, settings)
    require_jurisdictions(book.root, book.debtors, settings, key)
    emit(render_agenda(agenda(book.debtors, settings, when, key, lang=lang), settings, kind), output)
