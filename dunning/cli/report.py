"""`dunning report`: portfolio analytics over a period, per segment and currency, optionally as a chart."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
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
from dunning.cli.base import option_date
from dunning.cli.base import output_format

if TYPE_CHECKING:
    from dunning.analytics import Report
    from dunning.analytics import Summary
    from dunning.model import Settings
    from dunning.render import Column
    from dunning.render import Format


def _percent(value: Decimal | None, *, for_people: bool) -> str | None:
    if value is None:
        return None
    return f"{value * 100:.1f}%" if for_people else f"{value:.4f}"


def _days(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def _segment_name(summary: Summary, by: str | None, settings: Settings, *, for_people: bool) -> str:
    if summary.segment is None:
        return "(none)" if by is not None else "total"
    if by == "collector" and for_people:
        return settings.collectors.get(summary.segment, summary.segment)
    return summary.segment


def _row(summary: Summary, by: str | None, settings: Settings, names: tuple[str, ...], *, total: bool,
         for_people: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        by or "segment": "total" if total else _segment_name(summary, by, settings, for_people=for_people),
        "currency": summary.currency, "debtors": summary.debtors, "due": summary.due,
        "collected": summary.collected, "received": summary.received,
        "recovery_rate": _percent(summary.recovery_rate, for_people=for_people), "dso": _days(summary.dso),
        **summary.by_bucket, "open": summary.open, "overdue": summary.overdue,
        "promises_kept": summary.promises_kept, "promises_broken": summary.promises_broken,
        "promise_kept_ratio": _percent(summary.promise_kept_ratio, for_people=for_people),
        "days_to_pay": _days(summary.days_to_pay),
    }
    if for_people:
        row["promises"] = f"{summary.promises_kept}/{summary.promises_kept + summary.promises_broken}"
    for roll in summary.roll_rates:
        row[f"roll_{roll.source}_{roll.target}"] = _percent(roll.rate, for_people=for_people)
    return row


def _csv_columns(result: Report, label: str) -> list[Column]:
    from dunning.render import Column

    rolls = [Column(f"roll_{a}_{b}", f"roll_{a}_{b}") for a, b in zip(result.names, result.names[1:], strict=False)]
    return [Column(label, label), Column("currency", "currency"), Column("debtors", "debtors"),
            Column("due", "due", money=True), Column("collected", "collected", money=True),
            Column("received", "received", money=True), Column("recovery_rate", "recovery_rate"),
            Column("dso", "dso"), *(Column(n, n, money=True) for n in result.names),
            Column("open", "open", money=True), Column("overdue", "overdue", money=True), *rolls,
            Column("promises_kept", "promises_kept"), Column("promises_broken", "promises_broken"),
            Column("promise_kept_ratio", "promise_kept_ratio"), Column("days_to_pay", "days_to_pay")]


def render_report(result: Report, settings: Settings, fmt: Format) -> str:
    """Table and Markdown: per currency, collection, aging with roll rates, and month by month;
    CSV: one row per segment and currency (total rows last); JSON: `Report.as_json()`."""
    from dunning.render import Column
    from dunning.render import dump_json
    from dunning.render import money_grouped
    from dunning.render import render

    def blank_zero(amount: Any) -> str:
        return money_grouped(amount) if amount else ""

    if fmt == "json":
        return dump_json(result.as_json())
    by = result.by
    label = by or "segment"
    if fmt == "csv":
        rows = []
        for block in result.blocks:
            rows += [_row(s, by, settings, result.names, total=False, for_people=False) for s in block.segments]
        for block in result.blocks:
            rows.append(_row(block.total, by, settings, result.names, total=True, for_people=False))
        return render(rows, _csv_columns(result, label), "csv")

    period = result.period
    collection = [Column(label, label), Column("debtors", "debtors", numeric=True),
                  Column("due", "due", money=True), Column("collected", "collected", money=True),
                  Column("recovery_rate", "recovery", numeric=True), Column("dso", "DSO", numeric=True),
                  Column("promises", "promises kept", numeric=True),
                  Column("promise_kept_ratio", "kept", numeric=True),
                  Column("days_to_pay", "days to pay", numeric=True)]
    rolls = [Column(f"roll_{a}_{b}", f"{a}→{b}", numeric=True)
             for a, b in zip(result.names, result.names[1:], strict=False)]
    aging = [Column(label, label), *(Column(n, n, money=True, display=blank_zero) for n in result.names),
             Column("open", "open", money=True), *rolls]
    monthly = [Column("day", "month end"), *(Column(n, n, money=True, display=blank_zero) for n in result.names),
               Column("open", "open", money=True), Column("overdue", "overdue", money=True)]
    heading = "## " if fmt == "md" else ""
    sub = "### " if fmt == "md" else ""
    out = [f"{heading}Portfolio {period.start} to {period.end} (as of {result.as_of})\n"]
    if not result.blocks:
        out.append("\nNo invoices in the ledger up to the period end.\n")
    for block in result.blocks:
        rows = [_row(s, by, settings, result.names, total=False, for_people=True) for s in block.segments]
        totals = [_row(block.total, by, settings, result.names, total=True, for_people=True)]
        out.append(f"\n{sub}{block.currency}: collection in the period\n\n")
        out.append(render(rows, collection, fmt, totals=totals))
        out.append(f"\n{sub}{block.currency}: aging at {period.end}, roll rates (mean month over month)\n\n")
        out.append(render(rows, aging, fmt, totals=totals))
        months = [{"day": m.day, **m.by_bucket, "open": m.open, "overdue": m.overdue} for m in block.total.months]
        out.append(f"\n{sub}{block.currency}: month by month\n\n")
        out.append(render(months, monthly, fmt))
    return "".join(out)


@app.command()
def report(
    start: Annotated[str | None, typer.Option("--from", help="First day of the period, YYYY-MM-DD "
                                              "(default: 12 months to --to).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day of the period (default: the end of the "
                                            "last full month up to --as-of).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="One row per industry, region or collector, "
                                           "plus the total.")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Also draw the report into this .png or "
                                               ".svg file.")] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Portfolio analytics: recovery, DSO, aging, roll rates.

    Recovery rate, DSO, aging, roll rates, promises kept and days to pay over a period (default: the
    last 12 full months up to --as-of), per currency (never added together), per --by segment with a
    total row. recovery = payments received in the period on invoices due by its end / (those invoices'
    amounts less what was paid or credited on them before the period). DSO by the countback method over
    monthly invoiced sales. Roll rate X→Y = the share of bucket X's balance found in the next bucket Y a
    month end later, averaged over the months. Promises kept = kept / (kept + broken) of the promises
    dated in the period. Days to pay: payment weighted, from the due date to the payment day. See README
    "Report" for the exact definitions.

    \b
    Example: dunning report --by region --chart portfolio.png
    """
    from dunning import analytics

    if by is not None and by not in analytics.SEGMENTS:
        fail(f"--by: unknown segment '{by}': use one of {', '.join(analytics.SEGMENTS)}")
    kind = output_format(fmt, output)
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        fail(f"--chart: {chart}: use a .png or .svg file")
    book = open_ledger(ledger)
    settings = book.settings
    day = as_of_date(as_of, settings)
    default = analytics.default_period(day)
    last = option_date(end, "--to", default.end)
    if last > day:
        fail(f"--to: {last} is after the as-of date {day} (give --as-of to report up to a later day)")
    first = option_date(start, "--from", analytics.months_to(last).start)
    if first > last:
        fail(f"--from: {first} is after --to {last}")
    result = analytics.report(book.debtors, settings, day, period=analytics.Period(first, last),
                              by=by)  # type: ignore[arg-type]
    if chart is not None:
        _draw(result, settings, chart)
    emit(render_report(result, settings, kind), output)


def _draw(result: Report, settings: Settings, path: Path) -> None:
    from dunning.charts import ChartError
    from dunning.charts import chart
    from dunning.ledger import atomic_write

    try:
        picture = chart(result, "svg" if path.suffix.lower() == ".svg" else "png", lang=settings.language,
                        collectors=settings.collectors)
    except ChartError as error:
        fail(f"--chart: {error}")
    try:
        atomic_write(path, picture)
    except OSError as error:
        fail(f"--chart: {path}: cannot write: {error.strerror}")
