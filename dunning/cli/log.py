"""`dunning log`, `pay`, `plan` and `event`: record what happened, one appended event and one commit each."""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any
from typing import get_args

import typer

from dunning.cli.base import EXIT_LEDGER
from dunning.cli.base import LedgerOption
from dunning.cli.base import app
from dunning.cli.base import fail
from dunning.cli.base import open_settings
from dunning.cli.base import option_date
from dunning.cli.base import option_money

if TYPE_CHECKING:
    from dunning.model import Settings

LEGAL_ACTIONS = ("filed", "judgment", "concluded")
LEGAL_KINDS = ("suit", "arbitration", "payment_order")

# Which options `dunning event TYPE` takes for each type, by the event key they fill.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "dispute": ("reason",),
    "resolve": ("reason",),
    "credit": ("amount", "invoice", "reason"),
    "acknowledgment": ("amount", "signed"),
    "legal": ("action", "kind", "court", "case_no"),
    "guarantor_demand": ("guarantor", "delivered", "via", "tracking"),
    "status": ("status", "claims_deadline", "administrator", "claim_filed"),
    "note": (),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "credit": ("amount", "invoice"), "legal": ("action",), "guarantor_demand": ("guarantor",), "status": ("status",),
}

WithOption = Annotated[str | None, typer.Option("--with", help="Who was reached (a contact's name).")]
SummaryOption = Annotated[str | None, typer.Option("--summary", "-m", help="What was said or done, in a sentence.")]
ByOption = Annotated[str | None, typer.Option(
    "--by", help="Collector key (default: your git user if it matches a collector, else $DUNNING_COLLECTOR).")]
AtOption = Annotated[str | None, typer.Option(
    "--at", help="When: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+08:00] (default: now, in the ledger's zone).")]
EvidenceOption = Annotated[list[Path] | None, typer.Option(
    "--evidence", help="A file to keep as proof (copied to evidence/ID/, recorded with its sha256); repeatable.")]
InvoiceOption = Annotated[list[str] | None, typer.Option(
    "--invoice", help="An invoice id this concerns (repeatable; default: all open invoices).")]
NoCommitOption = Annotated[bool, typer.Option("--no-commit", help="Write the event but make no git commit.")]


def _choice(value: str | None, name: str, choices: tuple[str, ...]) -> str | None:
    if value is not None and value not in choices:
        fail(f"{name}: '{value}' is not one of {', '.join(choices)}")
    return value


def parse_at(value: str | None, settings: Settings, name: str = "--at") -> dict[str, date | datetime]:
    """A moment option as `{"at": ...}`: a date stays a date; a time without an offset is in the ledger's zone.

    Without the option: `{}`, and the writer stamps the event with the time it gets its turn.
    """
    if value is None:
        return {}
    from dunning.model import parse_moment

    try:
        moment = parse_moment(value)
    except ValueError as error:
        fail(f"{name}: {error}")
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=settings.zone)
        return {"at": moment.replace(microsecond=0)}
    return {"at": moment}


def _currency(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Z]{3}", value):
        fail(f"--currency: not an ISO 4217 currency code: '{value}' (e.g. CNY, EUR)")
    return value


def record(root: Path, settings: Settings, debtor_id: str, event: dict[str, Any], *, by: str | None,
           evidence: list[Path] | None, no_commit: bool) -> None:
    """Append the event and say what was done; refusals exit 2 (bad input) or 1 (the file is in the way)."""
    from dunning.ledger import DEBTORS_DIR
    from dunning.ledger import LedgerErrors
    from dunning.writer import WriteError
    from dunning.writer import append_event
    from dunning.writer import default_collector

    collector = by if by is not None else default_collector(root, settings)
    if collector:
        event["by"] = collector
    try:
        result = append_event(root, debtor_id, event, commit=not no_commit, evidence=evidence or [])
    except WriteError as refused:
        fail(refused.message, refused.code)
    except LedgerErrors as errors:
        typer.echo(f"dunning: error: {DEBTORS_DIR}/{debtor_id}.yaml (or dunning.yaml) does not pass "
                   "`dunning check`; nothing written. Fix these first:", err=True)
        for error in errors.errors:
            typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_LEDGER) from None
    for note in result.notes:
        typer.echo(f"dunning: {note}", err=True)
    committed = f" [{result.commit[:10]}]" if result.commit else ""
    typer.echo(f"{result.message}{committed}")


@app.command()
def log(
    debtor_id: Annotated[str, typer.Argument(metavar="ID", help="The debtor, e.g. shenyang-heavy.")],
    kind: Annotated[str, typer.Option("--type", "-t", help="call, visit, wechat, sms, email or letter.")],
    with_: WithOption = None,
    outcome: Annotated[str | None, typer.Option(
        help="reached, no_answer, refused, promise, dispute, wrong_contact or left_message.")] = None,
    summary: SummaryOption = None,
    promise_date: Annotated[str | None, typer.Option(help="Promised payment date, YYYY-MM-DD.")] = None,
    promise_amount: Annotated[str | None, typer.Option(help="Promised amount, e.g. 50000.")] = None,
    at: AtOption = None,
    demand: Annotated[bool | None, typer.Option(
        "--demand/--no-demand", help="Payment was demanded (default: yes for letter and email).")] = None,
    delivered: Annotated[str | None, typer.Option(help="Date the letter or email reached the debtor.")] = None,
    via: Annotated[str | None, typer.Option(
        help="registered_mail, courier, hand, email, ems, fax, wechat or sms.")] = None,
    tracking: Annotated[str | None, typer.Option(help="Postal or courier tracking number.")] = None,
    template: Annotated[str | None, typer.Option(help="The letter template used.")] = None,
    reference: Annotated[str | None, typer.Option(help="Your reference, e.g. the letter's number.")] = None,
    recorded: Annotated[bool, typer.Option("--recorded", help="The call was recorded.")] = False,
    evidence: EvidenceOption = None,
    next_date: Annotated[str | None, typer.Option(help="Date of the next step, YYYY-MM-DD.")] = None,
    next_action: Annotated[str | None, typer.Option(help="What the next step is.")] = None,
    invoice: InvoiceOption = None,
    by: ByOption = None,
    no_commit: NoCommitOption = False,
    ledger: LedgerOption = None,
) -> None:
    """Record a contact: call, visit, WeChat, SMS, email or letter.

    The event is appended to debtors/ID.yaml (after validation: a promise date before the
    contact, an unknown invoice or a bad amount changes nothing) and committed to git.

    \b
    Example: dunning log shenyang-heavy -t call --with 王建国 --promise-date 2025-04-30 --promise-amount 50000
    """
    from dunning.model import CONTACT_TYPES
    from dunning.model import Outcome
    from dunning.model import Via

    _choice(kind, "--type", CONTACT_TYPES)
    _choice(outcome, "--outcome", get_args(Outcome))
    _choice(via, "--via", get_args(Via))
    root, settings = open_settings(ledger)
    if (promise_date is None) != (promise_amount is None):
        fail("--promise-date and --promise-amount go together")
    event: dict[str, Any] = {**parse_at(at, settings), "type": kind}
    if with_:
        event["with"] = with_
    if promise_date is not None and promise_amount is not None:
        event["promise"] = {"date": option_date(promise_date, "--promise-date"),
                            "amount": option_money(promise_amount, "--promise-amount")}
        outcome = outcome or "promise"
    fields: dict[str, Any] = {
        "outcome": outcome, "summary": summary, "demand": demand,
        "delivered": option_date(delivered, "--delivered") if delivered else None,
        "via": via, "tracking": tracking, "template": template, "reference": reference,
        "recorded": True if recorded else None,
        "next_date": option_date(next_date, "--next-date") if next_date else None,
        "next_action": next_action, "invoices": invoice or None,
    }
    event.update({k: v for k, v in fields.items() if v is not None})
    record(root, settings, debtor_id, event, by=by, evidence=evidence, no_commit=no_commit)


@app.command()
def pay(
    debtor_id: Annotated[str, typer.Argument(metavar="ID", help="The debtor, e.g. shenyang-heavy.")],
    amount: Annotated[str, typer.Argument(help="Amount received, e.g. 20000 or 20000.50.")],
    invoice: Annotated[str | None, typer.Option("--invoice", help="Apply it to this invoice first.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Date received, YYYY-MM-DD (default: now).")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency, if not the invoice's or ledger's.")] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="Bank reference, e.g. 工行回单 20250502-001.")] = None,
    summary: SummaryOption = None,
    evidence: EvidenceOption = None,
    by: ByOption = None,
    no_commit: NoCommitOption = False,
    ledger: LedgerOption = None,
) -> None:
    """Record a payment received.

    It goes to --invoice first, then to the oldest open invoices of its currency.

    \b
    Example: dunning pay shenyang-heavy 20000 --invoice INV-2025-012 --date 2025-05-02 --ref "工行回单 20250502-001"
    """
    root, settings = open_settings(ledger)
    event: dict[str, Any] = {**parse_at(on, settings, "--date"), "type": "payment",
                             "amount": option_money(amount, "AMOUNT")}
    fields = {"currency": _currency(currency), "invoice": invoice, "ref": ref, "summary": summary}
    event.update({k: v for k, v in fields.items() if v is not None})
    record(root, settings, debtor_id, event, by=by, evidence=evidence, no_commit=no_commit)


def _installment(text: str) -> dict[str, Any]:
    due, sep, amount = text.partition(":")
    if not sep:
        fail(f"--installment: expected DATE:AMOUNT, e.g. 2025-05-31:10000, got '{text}'")
    return {"due": option_date(due.strip(), "--installment"), "amount": option_money(amount.strip(), "--installment")}


@app.command()
def plan(
    debtor_id: Annotated[str, typer.Argument(metavar="ID", help="The debtor, e.g. shenyang-heavy.")],
    installment: Annotated[list[str], typer.Option(
        "--installment", "-i", help="One instalment as DATE:AMOUNT, e.g. 2025-05-31:10000; repeat in date order.")],
    signed: Annotated[bool, typer.Option("--signed", help="The debtor confirmed the plan in writing.")] = False,
    on: Annotated[str | None, typer.Option("--date", help="When it was agreed (default: now).")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency of the plan, if not the ledger's.")] = None,
    summary: SummaryOption = None,
    invoice: InvoiceOption = None,
    evidence: EvidenceOption = None,
    by: ByOption = None,
    no_commit: NoCommitOption = False,
    ledger: LedgerOption = None,
) -> None:
    """Record an agreed instalment plan (分期还款协议).

    \b
    Example: dunning plan shenyang-heavy -i 2025-05-31:30000 -i 2025-06-30:40000 --signed --evidence 分期协议.pdf
    """
    root, settings = open_settings(ledger)
    event: dict[str, Any] = {**parse_at(on, settings, "--date"), "type": "plan",
                             "installments": [_installment(i) for i in installment]}
    fields = {"signed": True if signed else None, "currency": _currency(currency), "summary": summary,
              "invoices": invoice or None}
    event.update({k: v for k, v in fields.items() if v is not None})
    record(root, settings, debtor_id, event, by=by, evidence=evidence, no_commit=no_commit)


@app.command()
def event(
    debtor_id: Annotated[str, typer.Argument(metavar="ID", help="The debtor, e.g. shenyang-heavy.")],
    kind: Annotated[str, typer.Argument(
        metavar="TYPE", help="dispute, resolve, credit, acknowledgment, legal, guarantor_demand, status or note.")],
    reason: Annotated[str | None, typer.Option(help="dispute, resolve, credit: why.")] = None,
    amount: Annotated[str | None, typer.Option(help="credit, acknowledgment: the amount.")] = None,
    invoice: Annotated[list[str] | None, typer.Option(
        "--invoice", help="credit: the invoice credited; other types: invoices concerned (repeatable).")] = None,
    signed: Annotated[bool, typer.Option("--signed", help="acknowledgment: signed by the debtor.")] = False,
    action: Annotated[str | None, typer.Option(help="legal: filed, judgment or concluded.")] = None,
    legal_kind: Annotated[str | None, typer.Option("--kind", help="legal: suit, arbitration or payment_order.")] = None,
    court: Annotated[str | None, typer.Option(help="legal: court or arbitration commission.")] = None,
    case_no: Annotated[str | None, typer.Option(help="legal: case number, e.g. (2025)辽01民初123号.")] = None,
    guarantor: Annotated[str | None, typer.Option(help="guarantor_demand: the guarantor's name.")] = None,
    delivered: Annotated[str | None, typer.Option(help="guarantor_demand: date the demand was delivered.")] = None,
    via: Annotated[str | None, typer.Option(help="guarantor_demand: how it was sent.")] = None,
    tracking: Annotated[str | None, typer.Option(help="guarantor_demand: tracking number.")] = None,
    status: Annotated[str | None, typer.Option(
        help="status: active, hold, bankrupt, deregistered, closed or written_off.")] = None,
    claims_deadline: Annotated[str | None, typer.Option(help="status: bankruptcy claims filing deadline.")] = None,
    administrator: Annotated[str | None, typer.Option(help="status: the bankruptcy administrator.")] = None,
    claim_filed: Annotated[str | None, typer.Option(help="status: date our claim was filed.")] = None,
    summary: SummaryOption = None,
    at: AtOption = None,
    evidence: EvidenceOption = None,
    by: ByOption = None,
    no_commit: NoCommitOption = False,
    ledger: LedgerOption = None,
) -> None:
    """Record any other event: dispute, credit, legal, status...

    TYPE is one of dispute, resolve, credit, acknowledgment, legal, guarantor_demand, status, note.
    Each type takes its own options (a dispute takes --reason, a status --status...); an option
    that does not belong to the type is refused.

    \b
    Example: dunning event shenyang-heavy status --status bankrupt --claims-deadline 2026-03-01
    """
    from dunning.model import CONTACT_TYPES
    from dunning.model import DebtorStatus
    from dunning.model import Via

    if kind not in EVENT_FIELDS:
        hint = {"payment": " (use `dunning pay`)", "plan": " (use `dunning plan`)"}.get(kind, "")
        if kind in CONTACT_TYPES:
            hint = " (use `dunning log --type " + kind + "`)"
        fail(f"TYPE: '{kind}' is not one of {', '.join(EVENT_FIELDS)}{hint}")
    _choice(action, "--action", LEGAL_ACTIONS)
    _choice(legal_kind, "--kind", LEGAL_KINDS)
    _choice(via, "--via", get_args(Via))
    _choice(status, "--status", get_args(DebtorStatus))
    root, settings = open_settings(ledger)
    given: dict[str, Any] = {
        "reason": reason, "amount": option_money(amount, "--amount") if amount is not None else None,
        "invoice": invoice[0] if kind == "credit" and invoice else None,
        "signed": True if signed else None, "action": action, "kind": legal_kind, "court": court,
        "case_no": case_no, "guarantor": guarantor,
        "delivered": option_date(delivered, "--delivered") if delivered else None,
        "via": via, "tracking": tracking, "status": status,
        "claims_deadline": option_date(claims_deadline, "--claims-deadline") if claims_deadline else None,
        "administrator": administrator,
        "claim_filed": option_date(claim_filed, "--claim-filed") if claim_filed else None,
    }
    allowed = EVENT_FIELDS[kind]
    wrong = [k for k, v in given.items() if v is not None and k not in allowed]
    if wrong:
        takes = ", ".join("--" + k.replace("_", "-") for k in allowed) or "no options of its own"
        fail(f"--{wrong[0].replace('_', '-')} does not belong to a {kind} event (it takes: {takes})")
    if kind == "credit" and invoice and len(invoice) > 1:
        fail("--invoice: a credit names one invoice")
    missing = [k for k in REQUIRED.get(kind, ()) if given.get(k) is None]
    if missing:
        fail(f"--{missing[0].replace('_', '-')} is required for a {kind} event")
    record_event: dict[str, Any] = {**parse_at(at, settings), "type": kind}
    record_event.update({k: v for k, v in given.items() if v is not None})
    if summary is not None:
        record_event["summary"] = summary
    if invoice and kind != "credit":
        record_event["invoices"] = invoice
    record(root, settings, debtor_id, record_event, by=by, evidence=evidence, no_commit=no_commit)
