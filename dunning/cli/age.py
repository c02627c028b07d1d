"""`dunning age`: the aging report, per debtor, invoice, collector, industry or region."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any

import typer

from dunning.cli.base import AsOfOption
from dunning.cli.base import FormatOption
from dunning.cli.base import LedgerOption
from dunning.cli.base import OutputOption
from dunning.cli.base import app
from dunning.cli.base import as_of_date
from dunning.cli.base import emit
from dunning.cli.base import fail
from dunning.cli.base import open_ledger
from dunning.cli.base import output_format

if TYPE_CHECKING:
    from dunning.aging import AgingReport
    from dunning.aging import DebtorRow
    from dunning.aging import GroupRow
    from dunning.aging import InvoiceRow
    from dunning.model import Settings
    from dunning.render import Column


def _collector_key(value: str | None, settings: Settings) -> str | None:
    """`--collector` takes a key of `collectors` or its display name."""
    if value is None or not settings.collectors or value in settings.collectors:
        return value
    keys = [key for key, name in settings.collectors.items() if name == value]
    if not keys:
        fail(f"--collector: unknown collector '{value}' (dunning.yaml collectors: "
             f"{', '.join(settings.collectors)})")
    return keys[0]


def _columns(report: AgingReport, settings: Settings) -> list[Column]:
    from dunning.render import Column
    from dunning.render import money_grouped

    def blank_zero(amount: Any) -> str:
        return money_grouped(amount) if amount else ""

    def collector_name(key: Any) -> str:
        return settings.collectors.get(str(key), str(key))

    amounts = [Column(name, name, money=True, display=blank_zero) for name in report.buckets.names]
    tail = [Column("open", "open", money=True),
            Column("unapplied", "unapplied", money=True, display=blank_zero),
            Column("disputed", "disputed", money=True, display=blank_zero)]
    if report.by == "debtor":
        return [Column("id", "debtor"), Column("name", "name"),
                Column("collector", "collector", display=collector_name), Column("currency", "cur"),
                Column("bucket", "bucket"), Column("days_overdue", "days", numeric=True),
                *amounts, *tail]
    if report.by == "invoice":
        return [Column("debtor", "debtor"), Column("name", "name"), Column("invoice", "invoice"),
                Column("contract", "contract"), Column("currency", "cur"), Column("due", "due"),
                Column("days_overdue", "days", numeric=True), Column("bucket", "bucket"),
                Column("amount", "amount", money=True), Column("open", "open", money=True),
                Column("disputed", "disputed")]
    group = Column(report.by, report.by, display=collector_name if report.by == "collector" else None)
    return [group, Column("currency", "cur"), Column("debtors", "debtors", numeric=True),
            Column("bucket", "bucket"), Column("days_overdue", "days", numeric=True), *amounts, *tail]


def render_report(report: AgingReport, settings: Settings, fmt: str) -> str:
    from dunning.aging import GroupRow
    from dunning.aging import InvoiceRow
    from dunning.render import render

    def flat(row: DebtorRow | InvoiceRow | GroupRow) -> dict[str, Any]:
        if isinstance(row, InvoiceRow):
            return row.as_json()
        values = row.as_json()
        values.update(row.by_bucket)
        if isinstance(row, GroupRow) and row.group is None:
            values[report.by] = "(none)"
        return values

    columns = _columns(report, settings)
    rows = [flat(r) for r in report.rows]
    label = columns[0].key
    totals = [{label: "total", "currency": currency, **sums} for currency, sums in report.totals.items()]
    document = report.as_json() if fmt == "json" else None  # the contract shape: built for JSON only
    return render(rows, columns, fmt, totals=totals, document=document)  # type: ignore[arg-type]


@app.command()
def age(
    by: Annotated[str, typer.Option("--by", help="One row per debtor, invoice, collector, industry or "
                                    "region.")] = "debtor",
    collector: Annotated[str | None, typer.Option("--collector", help="Only this collector's debtors "
                                                  "(key or display name).")] = None,
    bucket: Annotated[str | None, typer.Option("--bucket", help="Only rows in this bucket (current, A, "
                                               "B, ...).")] = None,
    include_all: Annotated[bool, typer.Option("--all", help="Also list debtors with nothing open.")] = False,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Aging report: open amounts by days overdue.

    One row per debtor and currency, or per invoice, collector, industry or region (--by).
    `current` is what is not yet due; the buckets come from `buckets` in dunning.yaml ({A: 30, B: 60,
    C: null} holds 1-30, 31-60 and 61+ days overdue). A debtor's bucket is that of its oldest overdue
    open invoice. Disputed invoices are still owed: they stay in the amounts and the `disputed`
    column says how much of the open amount is disputed. Unapplied credit (overpayments) is shown
    per currency, never netted silently. Totals per currency close the report.

    \b
    Example: dunning age --by invoice --bucket C --as-of 2026-06-30 -o aging.csv
    """
    from dunning.aging import GROUPINGS
    from dunning.aging import aging
    from dunning.aging import buckets_of

    if by not in GROUPINGS:
        fail(f"--by: unknown grouping '{by}': use one of {', '.join(GROUPINGS)}")
    kind = output_format(fmt, output)
    book = open_ledger(ledger)
    settings = book.settings
    day = as_of_date(as_of, settings)
    key = _collector_key(collector, settings)
    names = buckets_of(settings).names
    if bucket is not None and bucket not in names:
        fail(f"--bucket: unknown bucket '{bucket}': use one of {', '.join(names)}")
    report = aging(book.debtors, settings, day, by=by, collector=key,  # type: ignore[arg-type]
                   bucket=bucket, include_all=include_all, settled=book.settled)
    emit(render_report(report, settings, kind), output)
