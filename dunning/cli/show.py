"""`dunning show ID`: one debtor on one screen, to prepare a call; reads that debtor's file only."""

from __future__ import annotations

import dataclasses
from datetime import datetime
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
from dunning.cli.base import open_debtor
from dunning.cli.base import open_settings
from dunning.cli.base import output_format
from dunning.cli.base import require_rules

if TYPE_CHECKING:
    from dunning.aging import DebtorOverview
    from dunning.aging import OpenInvoice
    from dunning.aging import RecentEvent
    from dunning.balances import PlanState
    from dunning.balances import PromiseState
    from dunning.model import Contact
    from dunning.model import Guarantee
    from dunning.model import Settings
    from dunning.render import Column

DEADLINES_SHOWN = 5


# ---------------------------------------------------------------------------------------------
# deadlines


def next_deadlines(overview: DebtorOverview, settings: Settings,
                   limit: int = DEADLINES_SHOWN) -> tuple[list[dict[str, Any]], int]:
    """The deadlines to mention on the call: missed ones first (expired, released), then the open
    ones soonest first; at most `limit`. Returns (shown, how many there are in all).

    Raises `UnknownJurisdiction`: check the jurisdiction first (`require_rules`)."""
    from dunning.deadlines import debtor_deadlines

    found = debtor_deadlines(overview.id, overview.debtor, settings, overview.as_of, overview.state)
    missed = [d for d in found if d.status in ("expired", "released")]
    coming = [d for d in found if d.status in ("open", "waived")]
    chosen = missed + coming
    return [d.as_json() for d in chosen[:limit]], len(chosen)


# ---------------------------------------------------------------------------------------------
# the opening line of a call

_CURRENCY_ZH = {"CNY": "元", "EUR": "欧元", "USD": "美元", "GBP": "英镑", "JPY": "日元", "HKD": "港元"}
_DEPARTMENT_EN = {"财务部": "the finance department", "信用管理部": "the credit control department",
                  "法务部": "the legal department", "销售部": "the sales department"}


def opening_line(overview: DebtorOverview, settings: Settings, lang: str) -> str | None:
    """The standard first sentence of a collection call, about the oldest overdue invoice."""
    from dunning.render import money_display
    from dunning.render import money_grouped

    target = overview.call_about()
    if target is None:
        return None
    creditor = settings.creditor
    collector = overview.collector_name
    invoice = target.state
    if lang == "zh":
        due = f"{invoice.due.year}年{invoice.due.month}月{invoice.due.day}日"
        unit = _CURRENCY_ZH.get(invoice.currency)
        amount = f"{money_grouped(invoice.open)}{unit}" if unit else f"{money_grouped(invoice.open)} " \
            f"{invoice.currency}"
        return (f"您好，我是{creditor.name}{creditor.department}的{collector or '工作人员'}，"
                f"关于贵司一笔应于{due}支付的货款{amount}想与您确认一下。")
    department = _DEPARTMENT_EN.get(creditor.department, creditor.department)
    who = collector or "the collections team"
    company = (creditor.name_en or creditor.name).rstrip(".")
    return (f"Hello, this is {who} from {department} of {company}. "
            f"I'm calling about a payment of {money_display(invoice.open, invoice.currency)} that was due "
            f"on {invoice.due.day} {invoice.due:%B %Y}, and would like to confirm it with you.")


# ---------------------------------------------------------------------------------------------
# text


def _channels(contact: Contact) -> str:
    parts = [f"{label} {value}" for label, value in (
        ("phone", contact.phone), ("mobile", contact.mobile), ("wechat", contact.wechat),
        ("email", contact.email), ("address", contact.address)) if value]
    return " · ".join(parts) or "no channel on file"


def _guarantee_text(guarantee: Guarantee) -> str:
    kind = "joint (连带责任保证)" if guarantee.kind == "joint" else "general (一般保证)"
    covers = ", ".join(guarantee.invoices) if guarantee.invoices else "all invoices"
    return f"{guarantee.guarantor}: {kind}, {guarantee.period_months} months, covers {covers}"


def _promise_text(promise: PromiseState) -> str:
    from dunning.render import money_display

    who = " ".join(x for x in (promise.by, f"with {promise.with_}" if promise.with_ else None) if x)
    text = (f"{promise.made}: {money_display(promise.amount, promise.currency)} by {promise.due}"
            f"{f' ({who})' if who else ''}: {promise.status}")
    if promise.status == "kept" and promise.kept_on is not None:
        return f"{text} on {promise.kept_on}"
    if promise.paid:
        return f"{text}, {money_display(promise.paid, promise.currency)} paid"
    return text


def _plan_lines(plan: PlanState) -> list[str]:
    from dunning.render import money_display

    signed = "signed" if plan.signed else "not signed"
    lines = [f"Plan of {plan.day} ({signed}): {plan.status}, {money_display(plan.paid, plan.currency)} of "
             f"{money_display(plan.total, plan.currency)} paid"]
    for item in plan.installments:
        when = f" on {item.paid_on}" if item.paid_on is not None else ""
        part = f", {money_display(item.paid, plan.currency)} paid" if item.status in ("missed", "pending") \
            and item.paid else ""
        lines.append(f"  {item.number}. {item.due}  {money_display(item.amount, plan.currency):>16}  "
                     f"{item.status}{when}{part}")
    return lines


def _event_detail(event: Any, currency: str) -> str:
    from dunning.model import ContactEvent
    from dunning.model import Credit
    from dunning.model import Dispute
    from dunning.model import GuarantorDemand
    from dunning.model import Legal
    from dunning.model import Payment
    from dunning.model import Plan
    from dunning.model import Resolve
    from dunning.model import Status
    from dunning.render import money_display

    if isinstance(event, Payment):
        text = money_display(event.amount, event.currency or currency)
        return f"{text}{f' on {event.invoice}' if event.invoice else ''}{f' ({event.ref})' if event.ref else ''}"
    if isinstance(event, Credit):
        return f"{money_display(event.amount, currency)} on {event.invoice}"
    if isinstance(event, ContactEvent):
        bits = [f"with {event.with_}" if event.with_ else None,
                event.outcome if event.promise is None else None]
        if event.promise is not None:
            bits.append(f"promise {money_display(event.promise.amount, event.promise.currency or currency)} "
                        f"by {event.promise.date}")
        if event.delivered is not None:
            bits.append(f"delivered {event.delivered}")
        if event.recorded:
            bits.append("recorded")
        return ", ".join(b for b in bits if b)
    if isinstance(event, Plan):
        return f"{len(event.installments)} instalments{', signed' if event.signed else ''}"
    if isinstance(event, Status):
        return event.status
    if isinstance(event, Legal):
        return " ".join(x for x in (event.action, event.court, event.case_no) if x)
    if isinstance(event, GuarantorDemand):
        return event.guarantor
    if isinstance(event, Dispute | Resolve):
        return event.reason or ""
    return ""


def _event_line(item: RecentEvent, currency: str) -> str:
    event = item.event
    at = event.at
    when = f"{item.day} {at:%H:%M}" if isinstance(at, datetime) else f"{item.day}      "
    head = f"{when}  {event.type:<8} {event.by or '':<10}"
    detail = _event_detail(event, currency)
    if event.invoices:
        detail = f"{detail} [{', '.join(event.invoices)}]" if detail else f"[{', '.join(event.invoices)}]"
    summary = f" — {event.summary.strip()}" if event.summary else ""
    return f"  {head} {detail}{summary}".rstrip()


def _invoice_columns() -> list[Column]:
    from dunning.render import Column

    return [Column("invoice", "invoice"), Column("contract", "contract"), Column("currency", "cur"),
            Column("due", "due"), Column("days_overdue", "days", numeric=True),
            Column("bucket", "bucket"), Column("amount", "amount", money=True),
            Column("open", "open", money=True), Column("disputed", "disputed")]


def _invoice_row(item: OpenInvoice) -> dict[str, Any]:
    state = item.state
    return {"invoice": state.id, "contract": state.contract, "currency": state.currency,
            "issued": state.issued, "due": state.due, "days_overdue": item.days_overdue,
            "bucket": item.bucket, "amount": state.amount, "paid": state.paid, "credited": state.credited,
            "open": state.open, "disputed": state.disputed}


def _local_time(overview: DebtorOverview, settings: Settings) -> str:
    """` (Europe/Berlin: call window 09:00-11:00 there, 16:00-18:00 Asia/Shanghai)` for a debtor with its own zone."""
    zone = overview.debtor.timezone
    if zone is None:
        return ""
    if zone == settings.timezone:
        return f" ({zone})"
    from zoneinfo import ZoneInfo

    from dunning.agenda import call_window_on

    begin, end = call_window_on(overview.as_of, settings, ZoneInfo(zone))
    here = f"{begin.astimezone(settings.zone):%H:%M}-{end.astimezone(settings.zone):%H:%M}"
    return f" ({zone}: call window {settings.call_window} there, {here} {settings.timezone})"


def render_text(overview: DebtorOverview, settings: Settings, deadlines: tuple[list[dict[str, Any]], int],
                opening: str | None, *, markdown: bool = False) -> str:
    from dunning.render import money_display
    from dunning.render import render

    debtor = overview.debtor
    state = overview.state
    currency = state.currency

    def heading(title: str) -> str:
        return f"\n## {title}\n" if markdown else f"\n{title}"

    title = f"{debtor.name} ({overview.id})"
    out = [f"# {title}" if markdown else title, f"as of {overview.as_of}"]
    collector = (f"{overview.collector_name} ({debtor.collector})"
                 if debtor.collector and overview.collector_name != debtor.collector
                 else debtor.collector or "none")
    status = state.status + (f" since {state.bankrupt_on}" if state.bankrupt_on and state.status == "bankrupt"
                             else "")
    facts = [f"collector {collector}", f"status {status}"]
    if debtor.credit_limit is not None:
        used = money_display(overview.credit_used, currency)
        limit = money_display(debtor.credit_limit, currency)
        facts.append(f"credit limit {limit}, {used} open" + (" — EXCEEDED" if overview.credit_exceeded else ""))
    out.append(" · ".join(facts))
    more = [x for x in (debtor.industry, debtor.region,
                        f"terms {debtor.terms_days} days" if debtor.terms_days is not None else None,
                        f"jurisdiction {debtor.jurisdiction}" if debtor.jurisdiction else None) if x]
    if more:
        out.append(" · ".join(more))

    if opening:
        out.append(heading("Opening line"))
        out.append(f"  {opening}")

    out.append(heading(f"Contacts{_local_time(overview, settings)}"))
    if not overview.contacts:
        out.append("  none on file")
    for contact in overview.contacts:
        role = " ".join(x for x in (contact.role, "decision maker" if contact.decision_maker else None) if x)
        out.append(f"  {contact.name}{f'  {role}' if role else ''}")
        out.append(f"    {_channels(contact)}")
        if contact.note:
            out.append(f"    {contact.note}")

    if overview.guarantees:
        out.append(heading("Guarantees"))
        out += [f"  {_guarantee_text(g)}" for g in overview.guarantees]

    out.append(heading("Open invoices"))
    if overview.open_invoices:
        rows = [_invoice_row(i) for i in overview.open_invoices]
        totals = [{"invoice": "total", "currency": c, "open": amount}
                  for c, amount in sorted(state.open_by_currency().items())]
        out.append(render(rows, _invoice_columns(), "md" if markdown else "table", totals=totals).rstrip())
    else:
        out.append("  nothing open")
    for unapplied_currency, amount in sorted(state.unapplied.items()):
        out.append(f"  unapplied credit: {money_display(amount, unapplied_currency)}")

    if overview.promises or overview.plan is not None:
        out.append(heading("Promises and plan"))
        out += [f"  promise {_promise_text(p)}" for p in overview.promises]
        if overview.plan is not None:
            out += [f"  {line}" for line in _plan_lines(overview.plan)]

    shown_deadlines, deadlines_total = deadlines
    out.append(heading("Next deadlines" if deadlines_total <= len(shown_deadlines) else
                       f"Next {len(shown_deadlines)} of {deadlines_total} deadlines "
                       f"(`dunning deadlines --all` lists them)"))
    for item in shown_deadlines:
        days = item.get("days_left")
        left = f"in {days} days" if isinstance(days, int) and days >= 0 else \
            (f"{-days} days ago" if isinstance(days, int) else "")
        invoice = f" {item['invoice']}" if item.get("invoice") else ""
        guarantor = f" ({item['guarantor']})" if item.get("guarantor") else ""
        out.append(f"  {item.get('date') or 'no date yet'}  {left:>14}  {item['status']:<8} "
                   f"{item['kind']}{invoice}{guarantor}  {item['rule']}".rstrip())
    if not shown_deadlines:
        out.append("  none")

    shown = len(overview.recent)
    out.append(heading(f"Last {shown} of {overview.events_total} events, newest first"
                       if shown < overview.events_total else "Events, newest first"))
    if not overview.recent:
        out.append("  none")
    out += [_event_line(item, currency) for item in reversed(overview.recent)]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# JSON


def _model(value: Any) -> Any:
    return value.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False)


def document(overview: DebtorOverview, deadlines: tuple[list[dict[str, Any]], int], opening: str | None,
             lang: str) -> dict[str, Any]:
    debtor = overview.debtor
    state = overview.state
    return {
        "as_of": overview.as_of, "id": overview.id, "name": debtor.name, "collector": debtor.collector,
        "collector_name": overview.collector_name, "status": state.status, "bankrupt_on": state.bankrupt_on,
        "currency": state.currency, "credit_limit": debtor.credit_limit, "credit_used": overview.credit_used,
        "credit_exceeded": overview.credit_exceeded, "timezone": debtor.timezone,
        "contacts": [_model(c) for c in overview.contacts],
        "guarantees": [_model(g) for g in overview.guarantees],
        "open_invoices": [_invoice_row(i) for i in overview.open_invoices],
        "aging": [r.as_json() for r in overview.rows],
        "unapplied": dict(sorted(state.unapplied.items())),
        "promises": [{"made": p.made, "date": p.due, "amount": p.amount, "currency": p.currency,
                      "paid": p.paid, "status": p.status, "kept_on": p.kept_on, "by": p.by, "with": p.with_}
                     for p in overview.promises],
        "plan": None if overview.plan is None else {
            "day": overview.plan.day, "signed": overview.plan.signed, "currency": overview.plan.currency,
            "status": overview.plan.status, "total": overview.plan.total, "paid": overview.plan.paid,
            "superseded": overview.plan.superseded,
            "installments": [dataclasses.asdict(i) for i in overview.plan.installments]},
        "deadlines": deadlines[0],
        "events": [{"index": r.index, "day": r.day, **_model(r.event)} for r in reversed(overview.recent)],
        "opening": {"lang": lang, "text": opening},
    }


@app.command()
def show(
    debtor_id: Annotated[str, typer.Argument(metavar="ID", help="The debtor's id (its file stem).")],
    events: Annotated[int, typer.Option("--events", "-n", min=0, help="How many recent events to list.")] = 10,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of the opening line: zh or en "
                                             "(default: the ledger's `language`).")] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    ledger: LedgerOption = None,
) -> None:
    """One debtor on one screen, to prepare a call.

    Shows the collector, status and credit limit, every contact (decision makers first, every
    channel), guarantees, each open invoice with its contract, due date, days overdue, bucket and
    dispute flag, unapplied credit, open promises and the instalment plan's adherence, the next
    deadlines, the last events, and the opening line of the call about the oldest overdue invoice.
    Reads this debtor's file only. `--format csv` gives the open invoices.

    \b
    Example: dunning show shenyang-heavy --events 5 --lang en
    """
    from dunning.aging import debtor_overview
    from dunning.render import dump_json
    from dunning.render import render

    kind = output_format(fmt, output)
    if lang is not None and lang not in ("zh", "en"):
        fail(f"--lang: unknown language '{lang}': use zh or en")
    root, settings = open_settings(ledger)
    debtor = open_debtor(root, debtor_id)
    day = as_of_date(as_of, settings)
    require_rules(root, debtor_id, debtor, settings)
    overview = debtor_overview(debtor_id, debtor, settings, day, events=events)
    language = lang or settings.language
    deadlines = next_deadlines(overview, settings)
    opening = opening_line(overview, settings, language)
    if kind == "json":
        text = dump_json(document(overview, deadlines, opening, language))
    elif kind == "csv":
        text = render([_invoice_row(i) for i in overview.open_invoices], _invoice_columns(), "csv")
    else:
        text = render_text(overview, settings, deadlines, opening, markdown=kind == "md")
    emit(text, output)
