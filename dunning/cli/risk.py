"""`dunning risk`: debtors whose credit is deteriorating, with evidence and advice, and a provision stress test."""

from __future__ import annotations

from decimal import Decimal
from decimal import InvalidOperation
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
    from dunning.model import Settings
    from dunning.render import Format
    from dunning.risk import DebtorRisk
    from dunning.risk import RiskReport


def _open_shown(risk: DebtorRisk) -> str:
    from dunning.render import money_display

    return "; ".join(money_display(amount, currency) for currency, amount in sorted(risk.open.items()))


def _row(risk: DebtorRisk, settings: Settings, *, for_people: bool) -> dict[str, Any]:
    currency = risk.currency if risk.currency in risk.open else min(risk.open)
    collector = risk.collector
    if for_people and collector is not None:
        collector = settings.collectors.get(collector, collector)
    return {"id": risk.id, "name": risk.name, "collector": collector, "currency": currency,
            "open": _open_shown(risk) if for_people else risk.open[currency], "bucket": risk.bucket,
            "days_overdue": risk.days_overdue, "score": risk.score, "level": risk.level,
            "signals": ", ".join(s.code for s in risk.signals),
            "evidence": " | ".join(s.evidence for s in risk.signals),
            "advice": " | ".join(a.text for a in risk.advice)}


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def render_risk(result: RiskReport, settings: Settings, fmt: Format) -> str:
    """Table and Markdown: the list, each debtor's evidence and advice, then the provision; CSV: one row
    per debtor; JSON: `RiskReport.as_json()`."""
    from dunning.render import Column
    from dunning.render import dump_json
    from dunning.render import money_display
    from dunning.render import render

    if fmt == "json":
        return dump_json(result.as_json())
    if fmt == "csv":
        columns = [Column(key, key) for key in ("id", "name", "collector", "currency", "open", "bucket",
                                                 "days_overdue", "score", "level", "signals", "evidence",
                                                 "advice")]
        return render([_row(r, settings, for_people=False) for r in result.debtors], columns, "csv")
    heading = "## " if fmt == "md" else ""
    sub = "### " if fmt == "md" else ""
    bullet = "- " if fmt == "md" else "  · "
    arrow = "- **" if fmt == "md" else "  → "
    arrow_end = "**" if fmt == "md" else ""
    columns = [Column("id", "debtor"), Column("name", "name"), Column("collector", "collector"),
               Column("open", "open", numeric=True), Column("bucket", "bucket"),
               Column("days_overdue", "days", numeric=True), Column("score", "score", numeric=True),
               Column("level", "level"), Column("signals", "signals")]
    out = [f"{heading}Credit risk as of {result.as_of}: {len(result.debtors)} debtor(s) with warning signs\n\n"]
    if result.debtors:
        out.append(render([_row(r, settings, for_people=True) for r in result.debtors], columns, fmt))
        out.append(f"\n{sub}Evidence and advice\n")
        for risk in result.debtors:
            out.append(f"\n{sub}{risk.id} {risk.name}: score {risk.score} ({risk.level})\n")
            if fmt == "md":
                out.append("\n")
            out += [f"{bullet}{s.evidence}\n" for s in risk.signals]
            out += [f"{arrow}{a.text}{arrow_end}\n" for a in risk.advice]
    period = result.period
    out.append(f"\n{sub}Provision (stress test): roll rates {period.start} to {period.end}, loss rate of the "
               f"last bucket {result.c_loss * 100:.0f}%\n\n")
    rows = []
    totals = []
    for block in result.provision:
        for line in block.lines:
            rows.append({"currency": block.currency, "bucket": line.bucket,
                         "balance": money_display(line.balance, block.currency),
                         "roll_rate": _percent(line.roll_rate) if line.roll_rate is not None
                         else ("" if line is block.lines[-1] else "no history (1)"),
                         "loss_rate": _percent(line.loss_rate),
                         "provision": money_display(line.provision, block.currency)})
        totals.append({"currency": block.currency, "bucket": "total",
                       "balance": money_display(block.balance, block.currency),
                       "provision": money_display(block.provision, block.currency)})
    provision = [Column("currency", "cur"), Column("bucket", "bucket"), Column("balance", "balance", numeric=True),
                 Column("roll_rate", "roll to next", numeric=True), Column("loss_rate", "loss rate", numeric=True),
                 Column("provision", "provision", numeric=True)]
    out.append(render(rows, provision, fmt, totals=totals))
    return "".join(out)


@app.command()
def risk(
    c_loss: Annotated[str, typer.Option("--c-loss", help="Loss rate assumed for the last bucket, 0 to 1 "
                                        "(default 1: what reaches it is lost).")] = "1",
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en for evidence and advice (default: "
                                             "the ledger's language).")] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Debtors whose credit is getting worse, with advice.

    Highest score first, each with its evidence and advice. Signals: days late trending up over recent
    paid invoices, an open invoice later than the debtor ever paid, broken promises (last 90/180 days),
    credit limit exceeded, a worse bucket than 30 days ago, status events (hold, bankrupt, deregistered,
    closed), legal action, missed instalments, disputes. Advice in the trade's terms: file the
    bankruptcy claim, demand from the guarantor, stop deliveries (暂停发货), the debt acknowledgment
    (债务确认书), shorter terms, security (担保/抵押). Below the list, a provision estimate per bucket from the
    ledger's own roll rates over the last 12 full months: loss rate = product of the roll rates to the
    last bucket x --c-loss. See README "Risk".

    \b
    Example: dunning risk --as-of 2026-11-28 --c-loss 0.8 -f md -o risk.md
    """
    from dunning.risk import risk_report

    try:
        loss = Decimal(c_loss.strip())
    except InvalidOperation:
        fail(f"--c-loss: not a number: '{c_loss}'")
    if not loss.is_finite() or not 0 <= loss <= 1:
        fail(f"--c-loss: must be between 0 and 1, got {c_loss}")
    if lang is not None and lang not in ("zh", "en"):
        fail(f"--lang: use zh or en, not '{lang}'")
    kind = output_format(fmt, output)
    book = open_ledger(ledger)
    settings = book.settings
    day = as_of_date(as_of, settings)
    result = risk_report(book.debtors, settings, day, c_loss=loss,
                         lang=lang or settings.language)  # type: ignore[arg-type]
    emit(render_risk(result, settings, kind), output)
