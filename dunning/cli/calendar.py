"""`dunning calendar`: promises, instalments, deadlines and follow-ups as an iCalendar file with alarms."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from dunning.cli.agenda import collector_key
from dunning.cli.agenda import require_jurisdictions
from dunning.cli.base import LedgerOption
from dunning.cli.base import app
from dunning.cli.base import fail
from dunning.cli.base import open_ledger
from dunning.cli.base import option_date
from dunning.cli.base import today


@app.command("calendar")
def calendar_command(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the .ics to this file "
                                                "(default: standard output).")] = None,
    collector: Annotated[str | None, typer.Option("--collector", help="Only this collector's debtors (key or "
                                                  "display name).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: today in the "
                                              "ledger's time zone).")] = None,
    days: Annotated[int | None, typer.Option("--days", help="How many days from --from (default: warn_days "
                                             "in dunning.yaml).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of the titles: zh or en (default: the "
                                             "ledger's).")] = None,
    ledger: LedgerOption = None,
) -> None:
    """Reminders for a calendar: promises, instalments, deadlines and follow-ups as iCalendar events.

    Limitation, guarantee and bankruptcy-claim deadlines still open are all-day events with alarms 14,
    7 and 1 day(s) before at the start of the call window; promises not yet kept and instalments not
    yet paid are all-day events with alarms the day before and on the day; follow-ups (--next-date)
    are calls at the start of the call window in the ledger's time zone. UIDs are stable, so
    importing a newer file into Outlook, Google or Apple Calendar updates the events.

    Example: dunning calendar -o reminders.ics --collector 张三 --days 30
    """
    from dunning.calendar_ics import reminders
    from dunning.calendar_ics import to_ics

    if lang is not None and lang not in ("zh", "en"):
        fail(f"--lang: use zh or en, got '{lang}'")
    if days is not None and days < 1:
        fail(f"--days: must be at least 1, got {days}")
    book = open_ledger(ledger)
    settings = book.settings
    first = option_date(start, "--from", today(settings))
    span = settings.warn_days if days is None else days
    span = max(span, 1)
    key = collector_key(collector, settings)
    require_jurisdictions(book.root, book.debtors, settings, key)
    found = reminders(book.debtors, settings, first, span, collector=key, lang=lang)
    text = to_ics(found, settings, datetime.now(UTC), lang=lang)
    if output is None:
        typer.echo(text.decode("utf-8"), nl=False)
        return
    from dunning.ledger import atomic_write

    try:
        atomic_write(output, text)
    except OSError as error:
        fail(f"{output}: cannot write: {error.strerror}")
    last = first + timedelta(days=span - 1)
    typer.echo(f"{output}: {len(found)} event(s) from {first} to {last}", err=True)
