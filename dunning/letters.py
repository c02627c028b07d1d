"""Letters: choose the template by escalation, build its context, render Markdown and HTML in a sandbox.

Templates are Jinja files, one Markdown body per letter and language (`templates/<lang>/<name>.md.j2`)
and one HTML/CSS layout (`templates/letterhead.html`) that puts the body under the creditor's
letterhead for HTML and PDF. The built-in ones live in the top-level `templates/` folder of the
project, found at `Path(__file__).parents[1] / "templates"` (a source checkout or the editable
install that `make` does). A ledger overrides any of them by name with its own
`<ledger>/templates/<lang>/<name>.md.j2` or `<ledger>/templates/letterhead.html`, and may add
templates of its own; names are plain identifiers, so no `../` ever reaches the disk.

Rendering is sandboxed (`ImmutableSandboxedEnvironment`): a template kept in a ledger cannot reach
Python internals nor mutate what it is given, and a missing variable is an error that names the
template and the line (`StrictUndefined`). The context is plain data (dicts, lists, strings,
Decimals, dates), the same for every template; `KNOWN_VARIABLES` lists its keys.

The escalation ladder of `--template auto` (`choose_template`), with the debtor's bucket taken
from its oldest overdue invoice still chased (disputed ones are left out):

1. nothing left to chase: no letter (exit 2);
2. bankrupt: `claim` (债权申报书, to the administrator);
3. collection paused: status hold, deregistered, closed or written off, a suit or arbitration
   still running, an instalment plan being kept, or a promise whose date has not come: no
   letter by default (name a template to write one anyway);
4. a final notice (or a lawyer's letter) already sent: `lawyer` (律师函, a draft for counsel);
5. the third bucket or later (C), a demand already sent, the latest promise broken or the plan
   behind: `final` (最后通知);
6. the second bucket (B) or a reminder already sent: `demand` (催款函);
7. otherwise (current or A): `reminder` (提醒函).

Only letters sent since the oldest chased invoice fell due count (an old episode, settled, does not
escalate a new one); a letter without a `template` counts as a demand.

This module reads template files only: never the ledger's data files, never the clock.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from dunning.aging import buckets_of
from dunning.balances import ZERO
from dunning.balances import DebtorState
from dunning.balances import InvoiceState
from dunning.balances import debtor_state
from dunning.balances import plan_states
from dunning.balances import promise_states
from dunning.ledger import LedgerError
from dunning.model import Acknowledgment
from dunning.model import Contact
from dunning.model import ContactEvent
from dunning.model import Credit
from dunning.model import Debtor
from dunning.model import Guarantee
from dunning.model import Legal
from dunning.model import Payment
from dunning.model import Settings
from dunning.model import Status
from dunning.model import due_date
from dunning.model import event_day
from dunning.numerals import capital_amount
from dunning.render import money_display
from dunning.render import money_grouped

BUILTIN_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TEMPLATES_DIR = "templates"
LAYOUT = "letterhead.html"
LANGUAGES = ("zh", "en")
SUFFIX = ".md.j2"
NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")


@dataclass(frozen=True)
class TemplateInfo:
    """What the code knows of a template: its titles, the days to pay by, whether it demands payment."""

    name: str
    title_zh: str
    title_en: str
    pay_days: int | None  # as_of + this many days (rolled to a weekday); None: no date to pay by
    demand: bool = True  # a `letter` event recorded for it demands payment
    needs_open: bool = True  # refuse when nothing is left to chase

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


TEMPLATES: dict[str, TemplateInfo] = {t.name: t for t in (
    TemplateInfo("reminder", "提醒函", "Payment Reminder", 10),
    TemplateInfo("demand", "催款函", "Demand for Payment", 7),
    TemplateInfo("final", "最后通知", "Final Notice Before Legal Action", 7),
    TemplateInfo("lawyer", "律师函", "Lawyer's Letter", 7),
    TemplateInfo("plan", "还款计划确认书", "Confirmation of Instalment Plan", None),
    TemplateInfo("acknowledgment", "债务确认书", "Acknowledgment of Debt", 10, needs_open=False),
    TemplateInfo("guarantor", "向保证人主张权利通知书", "Notice of Claim under Guarantee", 10),
    TemplateInfo("claim", "债权申报书", "Proof of Claim in Bankruptcy", None),
    TemplateInfo("statement", "对账单", "Statement of Account", 10, demand=False, needs_open=False),
)}
LADDER = ("reminder", "demand", "final", "lawyer")
PAUSED_STATUSES = ("hold", "deregistered", "closed", "written_off")

# Threatening, abusive or intimidating wording that no letter may carry (`dunning check` lints
# templates for it; `forbidden_words` in dunning.yaml adds to it). State lawful next steps neutrally.
FORBIDDEN_ZH = (
    "后果自负", "后果严重", "上门", "曝光", "黑名单", "老赖", "赖账", "骗子", "走着瞧", "别怪", "不客气",
    "家人", "亲属", "亲友", "子女", "通讯录", "单位领导", "媒体", "网上公布", "公之于众", "坐牢", "拘留",
    "判刑", "找人", "不择手段", "采取一切手段", "暴力", "威胁",
)
FORBIDDEN_EN = (
    "or else", "face the consequences", "at your own risk", "blacklist", "black list", "expose you",
    "shame", "deadbeat", "jail", "prison", "arrest", "your family", "your relatives", "your employer",
    "your neighbo", "social media", "publish your", "we know where", "come to your", "visit your home",
    "by any means", "you will regret", "last chance", "cheat", "fraudster",
)
FORBIDDEN_WORDS = FORBIDDEN_ZH + FORBIDDEN_EN


class LetterError(Exception):
    """A letter that cannot be written, with a message for the user and the exit code: 2 bad input,
    1 the ledger is in the way (a template of its own that is refused)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# ---------------------------------------------------------------------------------------------
# the letter: what it says, as data


@dataclass
class Letter:
    """One letter to one addressee: the chosen template, its reference and its rendering context."""

    debtor_id: str
    template: str
    lang: str
    reference: str
    title: str
    as_of: date
    context: dict[str, Any]
    chased: list[str]  # the invoices the letter covers
    left_out: list[str]  # open invoices left out (disputed)
    reason: str  # why this template
    addressee: str
    email: str | None  # where an email draft goes
    demand: bool
    notes: list[str] = field(default_factory=list)

    @property
    def info(self) -> TemplateInfo:
        return template_info(self.template)


def template_info(name: str) -> TemplateInfo:
    """A built-in template's info; a ledger's own template gets its name as title and 7 days to pay."""
    return TEMPLATES.get(name) or TemplateInfo(name, name, name, 7)


def check_name(name: str) -> str:
    """A template name is a plain identifier (`demand`, `my_reminder`): never a path."""
    if not NAME.fullmatch(name):
        raise LetterError(f"--template: not a template name: '{name}' (use a plain name such as "
                          f"{', '.join(TEMPLATES)})")
    return name


def _weekday(day: date) -> date:
    """Saturday and Sunday roll forward to Monday: nobody is asked to pay on a weekend."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def default_pay_by(template: str, as_of: date) -> date | None:
    info = template_info(template)
    return None if info.pay_days is None else _weekday(as_of + timedelta(days=info.pay_days))


def reference_of(debtor_id: str, as_of: date, template: str) -> str:
    """`shenyang-heavy-20261128-demand`: the same for the same debtor, day and template."""
    return f"{debtor_id}-{as_of:%Y%m%d}-{template}"


def _chase(state: DebtorState) -> tuple[list[InvoiceState], list[InvoiceState]]:
    """Open invoices to chase, and those left out because they are disputed."""
    chased = [s for s in state.invoices if s.open > 0 and not s.disputed]
    disputed = [s for s in state.invoices if s.open > 0 and s.disputed]
    return chased, disputed


def _letter_stage(event: ContactEvent) -> int:
    """How far up the ladder a sent letter went: -1 when it is not a step of the ladder."""
    if event.template in LADDER:
        return LADDER.index(event.template)
    if event.template is None and event.type == "letter" and event.is_demand:
        return LADDER.index("demand")
    return -1


@dataclass(frozen=True)
class Choice:
    template: str
    reason: str


def choose_template(debtor: Debtor, settings: Settings, as_of: date,
                    state: DebtorState | None = None) -> Choice:
    """The next letter of the escalation ladder (module docstring); LetterError when none is due."""
    state = state or debtor_state(debtor, settings, as_of)
    chased, disputed = _chase(state)
    if not chased:
        note = f" ({len(disputed)} disputed invoice(s) left out)" if disputed else ""
        raise LetterError(f"nothing to chase as of {as_of}: no open undisputed invoice{note}")
    if state.bankrupt:
        return Choice("claim", f"bankrupt since {state.bankrupt_on}: file the claim with the administrator")
    if state.status in PAUSED_STATUSES:
        raise LetterError(f"status is {state.status}: collection is paused, so no letter is chosen "
                          "automatically; name one with --template to write it anyway")
    zone = settings.zone
    legal = [e for e in debtor.events if isinstance(e, Legal) and event_day(e.at, zone) <= as_of]
    if legal and legal[-1].action != "concluded":
        raise LetterError(f"a legal action is running ({legal[-1].action} {event_day(legal[-1].at, zone)}): "
                          "letters go through counsel now; name one with --template to write it anyway")
    plans = [p for p in plan_states(debtor, settings, as_of, state) if not p.superseded]
    plan_behind = False
    if plans:
        plan = plans[-1]
        if plan.status == "on_track" and plan.next_installment is not None:
            raise LetterError(f"the instalment plan of {plan.day} is being kept (next instalment "
                              f"{plan.next_installment.due}): no letter is chosen automatically; "
                              "name one with --template to write it anyway")
        plan_behind = plan.status == "behind"
    since = min(s.due for s in chased)
    promises = [p for p in promise_states(debtor, settings, as_of, state) if p.made >= since]
    promise_broken = False
    if promises:
        latest = promises[-1]
        if latest.status == "pending":
            raise LetterError(f"payment of {money_display(latest.amount, latest.currency)} was promised by "
                              f"{latest.due}: no letter is chosen automatically before then; name one "
                              "with --template to write it anyway")
        promise_broken = latest.status == "broken"
    sent = [_letter_stage(e) for e in debtor.events
            if isinstance(e, ContactEvent) and e.type in ("letter", "email")
            and since <= event_day(e.at, zone) <= as_of]
    highest = max(sent, default=-1)
    buckets = buckets_of(settings)
    overdue = [s for s in chased if s.days_overdue(as_of) > 0]
    bucket = buckets.of(max(s.days_overdue(as_of) for s in overdue)) if overdue else "current"
    rank = buckets.names.index(bucket)  # 0 current, 1 the first overdue bucket (A), ...
    if highest >= LADDER.index("final"):
        return Choice("lawyer", f"a {LADDER[highest]} letter was already sent")
    if rank >= 3 or highest >= LADDER.index("demand") or promise_broken or plan_behind:
        why = (f"bucket {bucket}" if rank >= 3 else "a demand was already sent"
               if highest >= LADDER.index("demand") else "the latest promise was broken"
               if promise_broken else "the instalment plan is behind")
        return Choice("final", why)
    if rank == 2 or highest >= LADDER.index("reminder"):
        return Choice("demand", f"bucket {bucket}" if rank == 2 else "a reminder was already sent")
    return Choice("reminder", f"bucket {bucket}")


# ---------------------------------------------------------------------------------------------
# the context


def _contact(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {"name": contact.name, "role": contact.role, "phone": contact.phone, "mobile": contact.mobile,
            "email": contact.email, "address": contact.address}


def _attention(debtor: Debtor) -> Contact | None:
    deciders = [c for c in debtor.contacts if c.decision_maker]
    chosen = deciders or debtor.contacts
    return chosen[0] if chosen else None


def email_of(debtor: Debtor) -> str | None:
    """The decision-maker's email, else the first contact's that has one."""
    for contact in sorted(debtor.contacts, key=lambda c: not c.decision_maker):
        if contact.email:
            return contact.email
    return None


def _invoice(state: InvoiceState, debtor: Debtor, as_of: date) -> dict[str, Any]:
    invoice = state.invoice
    return {"id": state.id, "contract": invoice.contract, "description": invoice.description,
            "issued": invoice.issued, "due": state.due, "agreed_due": due_date(debtor, invoice),
            "days_overdue": state.days_overdue(as_of), "currency": state.currency, "amount": state.amount,
            "paid": state.paid, "credited": state.credited, "open": state.open, "disputed": state.disputed}


def _totals(rows: Iterable[Mapping[str, Any]], key: str = "open") -> list[dict[str, Any]]:
    sums: dict[str, Decimal] = {}
    for row in rows:
        sums[row["currency"]] = sums.get(row["currency"], ZERO) + row[key]
    return [{"currency": c, "amount": a} for c, a in sorted(sums.items())]


_DEPARTMENTS_EN = {"财务部": "Finance Department", "财务中心": "Finance Center", "法务部": "Legal Department",
                   "销售部": "Sales Department"}


def _creditor(settings: Settings, lang: str) -> dict[str, Any]:
    creditor = settings.creditor
    bank = creditor.bank
    return {
        "name": creditor.name, "name_en": creditor.name_en,
        "display_name": (creditor.name_en or creditor.name) if lang == "en" else creditor.name,
        "department": creditor.department,
        "display_department": (creditor.department if lang == "zh" else
                               _DEPARTMENTS_EN.get(creditor.department, creditor.department)),
        "address": creditor.address, "phone": creditor.phone,
        "email": creditor.email, "website": creditor.website, "credit_code": creditor.credit_code,
        "bank": None if bank is None else {"name": bank.name, "account": bank.account, "swift": bank.swift,
                                           "holder": bank.holder or creditor.name},
    }


def _labels(settings: Settings, lang: str) -> list[dict[str, Any]]:
    """The aging buckets with a label a reader understands: 未到期, 逾期1-30天, 逾期61天以上."""
    out = [{"name": "current", "label": "未到期" if lang == "zh" else "Not yet due"}]
    low = 1
    for name, bound in settings.buckets.items():
        if bound is None:
            label = f"逾期{low}天以上" if lang == "zh" else f"{low}+ days overdue"
        else:
            label = f"逾期{low}-{bound}天" if lang == "zh" else f"{low}-{bound} days overdue"
            low = bound + 1
        out.append({"name": name, "label": label})
    return out


def _aging(rows: list[dict[str, Any]], settings: Settings, lang: str) -> list[dict[str, Any]]:
    """Open amounts per currency and bucket (disputed ones included: a statement shows all)."""
    buckets = buckets_of(settings)
    labels = _labels(settings, lang)
    tables = []
    for currency in sorted({r["currency"] for r in rows if r["open"] > 0}):
        sums = buckets.zeros()
        for row in rows:
            if row["currency"] == currency and row["open"] > 0:
                sums[buckets.of(row["days_overdue"])] += row["open"]
        tables.append({"currency": currency, "total": sum(sums.values(), ZERO),
                       "buckets": [{**label, "amount": sums[label["name"]]} for label in labels]})
    return tables


def _guarantee(debtor: Debtor, guarantor: str | None) -> Guarantee:
    if not debtor.guarantees:
        raise LetterError("this debtor has no guarantee on file (`guarantees:` in its file)")
    if guarantor is None:
        if len(debtor.guarantees) > 1:
            names = ", ".join(g.guarantor for g in debtor.guarantees)
            raise LetterError(f"several guarantors ({names}): choose one with --guarantor")
        return debtor.guarantees[0]
    for guarantee in debtor.guarantees:
        if guarantee.guarantor == guarantor:
            return guarantee
    names = ", ".join(g.guarantor for g in debtor.guarantees)
    raise LetterError(f"--guarantor: no guarantee by '{guarantor}' (guarantors on file: {names})")


def _bankruptcy(debtor: Debtor, settings: Settings, state: DebtorState, as_of: date) -> dict[str, Any] | None:
    if not state.bankrupt:
        return None
    zone = settings.zone
    statuses = [e for e in debtor.events if isinstance(e, Status) and event_day(e.at, zone) <= as_of]
    administrator = next((e.administrator for e in reversed(statuses) if e.administrator), None)
    deadline = next((e.claims_deadline for e in reversed(statuses) if e.claims_deadline), None)
    filed = next((e.claim_filed for e in reversed(statuses) if e.claim_filed), None)
    return {"accepted": state.bankrupt_on, "administrator": administrator, "claims_deadline": deadline,
            "claim_filed": filed}


def claim_rows(rows: list[dict[str, Any]], accepted: date, rate: Decimal | None) -> list[dict[str, Any]]:
    """Principal and interest per invoice for a bankruptcy claim.

    Interest is simple, at `rate` percent a year on the open amount, on a 365-day year, from the
    day after the agreed due date up to the day the court accepted the petition: interest stops
    then (Enterprise Bankruptcy Law Art. 46). Without a rate no interest is claimed.
    """
    out = []
    for row in rows:
        start = row["agreed_due"] + timedelta(days=1)
        days = max((accepted - row["agreed_due"]).days, 0)
        interest = ZERO
        if rate is not None and days:
            interest = (row["open"] * rate / Decimal(100) * days / Decimal(365)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP)
        out.append({**row, "principal": row["open"], "interest_from": start if days else None,
                    "interest_to": accepted if days else None, "interest_days": days, "interest": interest,
                    "claimed": row["open"] + interest})
    return out


def _history(debtor: Debtor, settings: Settings, since: date | None, as_of: date) -> list[dict[str, Any]]:
    """Written demands (letters, emails) sent from `since` up to as_of: the facts counsel needs."""
    zone = settings.zone
    out = []
    for event in debtor.events:
        day = event_day(event.at, zone)
        if day > as_of or (since is not None and day < since):
            continue
        if isinstance(event, ContactEvent) and event.type in ("letter", "email") and event.is_demand:
            out.append({"date": day, "type": event.type, "template": event.template, "via": event.via,
                        "tracking": event.tracking, "delivered": event.delivered, "reference": event.reference,
                        "with": event.with_})
    return out


def _acknowledgments(debtor: Debtor, settings: Settings, as_of: date) -> list[dict[str, Any]]:
    zone = settings.zone
    return [{"date": event_day(e.at, zone), "amount": e.amount, "signed": e.signed}
            for e in debtor.events if isinstance(e, Acknowledgment) and event_day(e.at, zone) <= as_of]


def _payments(debtor: Debtor, state: DebtorState) -> list[dict[str, Any]]:
    out = []
    for record in state.payments:
        event = debtor.events[record.event_index]
        ref = event.ref if isinstance(event, Payment) else None
        out.append({"date": record.day, "amount": record.amount, "currency": record.currency, "ref": ref})
    return out


def _credits(debtor: Debtor, settings: Settings, state: DebtorState) -> list[dict[str, Any]]:
    zone = settings.zone
    by_id = {s.id: s for s in state.invoices}
    out = []
    for event in debtor.events:
        if isinstance(event, Credit) and event_day(event.at, zone) <= state.as_of:
            currency = by_id[event.invoice].currency if event.invoice in by_id else state.currency
            out.append({"date": event_day(event.at, zone), "amount": event.amount, "currency": currency,
                        "invoice": event.invoice, "reason": event.reason})
    return out


LimitationLookup = Callable[[str, Debtor, Settings, date, DebtorState], list[dict[str, Any]]]


def limitation_rows(debtor_id: str, debtor: Debtor, settings: Settings, as_of: date,
                    state: DebtorState) -> list[dict[str, Any]]:
    """Limitation deadlines of the open invoices (for counsel), from `dunning.deadlines`."""
    from dunning.deadlines import UnknownJurisdiction
    from dunning.deadlines import debtor_deadlines

    try:
        found = debtor_deadlines(debtor_id, debtor, settings, as_of, state)
    except UnknownJurisdiction:
        return []
    return [{"invoice": d.invoice, "date": d.date, "days_left": d.days_left, "status": d.status,
             "provisional": d.provisional, "rule": d.rule, "basis": list(d.basis)}
            for d in found if d.kind == "limitation"]


def build_letter(debtor_id: str, debtor: Debtor, settings: Settings, as_of: date, *, template: str = "auto",
                 lang: str | None = None, pay_by: date | None = None, guarantor: str | None = None,
                 interest_rate: Decimal | None = None,
                 limitation: LimitationLookup | None = limitation_rows) -> Letter:
    """Everything one letter says, as of a date: raises LetterError when it cannot be written."""
    lang = lang or settings.language
    if lang not in LANGUAGES:
        raise LetterError(f"--lang: '{lang}' is not one of {', '.join(LANGUAGES)}")
    state = debtor_state(debtor, settings, as_of)
    if template == "auto":
        choice = choose_template(debtor, settings, as_of, state)
    else:
        choice = Choice(check_name(template), "chosen with --template")
    name = choice.template
    info = template_info(name)
    chased_states, disputed_states = _chase(state)
    rows = [_invoice(s, debtor, as_of) for s in chased_states]
    left_out = [_invoice(s, debtor, as_of) for s in disputed_states]
    notes = [] if name == "statement" else [
        f"left out {r['id']} ({money_display(r['open'], r['currency'])}): disputed" for r in left_out]

    addressee = debtor.name if lang == "zh" else (debtor.name_en or debtor.name)
    attention = _contact(_attention(debtor))
    address = debtor.address or (attention or {}).get("address")
    email = email_of(debtor)
    guarantee_ctx = None
    plan_ctx = None
    bankruptcy = _bankruptcy(debtor, settings, state, as_of)
    claim: list[dict[str, Any]] = []
    if name == "guarantor":
        guarantee = _guarantee(debtor, guarantor)
        covered = guarantee.invoices
        rows = [r for r in rows if covered is None or r["id"] in covered]
        left_out = [r for r in left_out if covered is None or r["id"] in covered]
        guarantee_ctx = {"guarantor": guarantee.guarantor, "kind": guarantee.kind,
                         "period_months": guarantee.period_months, "signed": guarantee.signed,
                         "contact": guarantee.contact, "address": guarantee.address,
                         "invoices": covered}
        addressee, attention, address, email = guarantee.guarantor, None, guarantee.address, None
        if guarantee.kind == "general":
            notes.append("a general guarantee (一般保证) is kept alive only by suing or arbitrating against the "
                         "debtor within the guarantee period (Civil Code Art. 693); this notice alone does not")
    elif name == "plan":
        plans = plan_states(debtor, settings, as_of, state)
        if not plans:
            raise LetterError("no instalment plan on file: record it first with `dunning plan`")
        plan = plans[-1]
        event = debtor.events[plan.event_index]
        named = event.invoices
        if named is not None:
            rows = [r for r in rows if r["id"] in named]
        plan_ctx = {"date": plan.day, "signed": plan.signed, "currency": plan.currency, "total": plan.total,
                    "installments": [{"number": i.number, "due": i.due, "amount": i.amount, "status": i.status}
                                     for i in plan.installments]}
    elif name == "claim":
        if bankruptcy is None:
            raise LetterError("no bankruptcy on file (a `status: bankrupt` event): a claim goes to an administrator")
        claim = claim_rows(rows, bankruptcy["accepted"], interest_rate)
        if bankruptcy["administrator"]:
            addressee = bankruptcy["administrator"]
            attention = None
            address = None
        email = None
    if info.needs_open and not rows:
        note = f" ({len(left_out)} disputed invoice(s) left out)" if left_out else ""
        raise LetterError(f"nothing to chase with a {name} letter as of {as_of}: no open undisputed "
                          f"invoice{note}")
    if pay_by is None:
        pay_by = default_pay_by(name, as_of)
    if pay_by is not None and pay_by < as_of:
        raise LetterError(f"--pay-by: {pay_by} is before the letter's date {as_of}")

    all_rows = [_invoice(s, debtor, as_of) for s in state.invoices]
    collector = settings.collectors.get(debtor.collector or "") if debtor.collector else None
    reference = reference_of(debtor_id, as_of, name)
    title = info.title(lang)
    context: dict[str, Any] = {
        "lang": lang, "template": name, "title": title, "reference": reference, "date": as_of, "pay_by": pay_by,
        "format": "md", "jurisdiction": debtor.jurisdiction or settings.jurisdiction,
        "currency": state.currency,
        "creditor": _creditor(settings, lang),
        "collector": None if collector is None else {"key": debtor.collector, "name": collector},
        "debtor": {"id": debtor_id, "name": debtor.name, "name_en": debtor.name_en,
                   "display_name": debtor.name if lang == "zh" else (debtor.name_en or debtor.name),
                   "credit_code": debtor.credit_code, "address": debtor.address},
        "addressee": {"name": addressee, "address": address},
        "attention": attention,
        "invoices": rows,
        "left_out": left_out,
        "contracts": sorted({r["contract"] for r in rows if r["contract"]}),
        "totals": _totals(rows),
        "overdue_totals": _totals([r for r in rows if r["days_overdue"] > 0]),
        "guarantee": guarantee_ctx,
        "plan": plan_ctx,
        "bankruptcy": bankruptcy,
        "claim": claim,
        "claim_totals": [{"currency": t["currency"], "principal": t["amount"],
                          "interest": next(x["amount"] for x in _totals(claim, "interest")
                                           if x["currency"] == t["currency"]),
                          "claimed": next(x["amount"] for x in _totals(claim, "claimed")
                                          if x["currency"] == t["currency"])}
                         for t in _totals(claim, "principal")],
        "interest_rate": interest_rate,
        "statement": {"invoices": all_rows, "payments": _payments(debtor, state),
                      "credits": _credits(debtor, settings, state), "aging": _aging(all_rows, settings, lang),
                      "open_totals": _totals(all_rows),
                      "unapplied": [{"currency": c, "amount": a} for c, a in sorted(state.unapplied.items())]},
        "history": _history(debtor, settings, min((r["due"] for r in rows), default=None), as_of),
        "acknowledgments": _acknowledgments(debtor, settings, as_of),
        "limitation": (limitation(debtor_id, debtor, settings, as_of, state)
                       if name == "lawyer" and limitation is not None else []),
    }
    return Letter(debtor_id, name, lang, reference, title, as_of, context, [r["id"] for r in rows],
                  [r["id"] for r in left_out], choice.reason, addressee, email, info.demand, notes)


KNOWN_VARIABLES = frozenset({
    "lang", "template", "title", "reference", "date", "pay_by", "format", "jurisdiction", "currency", "creditor",
    "collector", "debtor", "addressee", "attention", "invoices", "left_out", "contracts", "totals",
    "overdue_totals", "guarantee", "plan", "bankruptcy", "claim", "claim_totals", "interest_rate",
    "statement", "history", "acknowledgments", "limitation", "body",
})


# ---------------------------------------------------------------------------------------------
# rendering in the sandbox

_BLANK_RUNS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")
_MD_SPECIAL = re.compile(r"([\\`*|<>\[\]])")


def md_escape(value: Any) -> Any:
    """Ledger text made inert in Markdown (a `|` in a name must not break a table): recursively."""
    if isinstance(value, str):
        return _MD_SPECIAL.sub(r"\\\1", value)
    if isinstance(value, dict):
        return {k: md_escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [md_escape(v) for v in value]
    return value


def _long_date(value: date | None, lang: str = "zh") -> str:
    if value is None:
        return ""
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {value:%B} {value.year}"


def _decimal(value: Decimal | int | str) -> Decimal:
    """Template arithmetic may hand over an int (`{{ 0 | amount("CNY") }}`): make it money."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _amount(value: Decimal | int, currency: str) -> str:
    return money_display(_decimal(value), currency)


def _money(value: Decimal | int) -> str:
    return money_grouped(_decimal(value))


def _capital(value: Decimal | int, currency: str) -> str:
    return capital_amount(_decimal(value), currency)


def _percent(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return f"{text}%"


class TemplateRefused(jinja2.TemplateError):
    """A ledger template that is there but must not be read: a symbolic link, or a file that leads
    outside the ledger (through a linked `templates/` or `templates/<lang>/`). Never replaced by the
    built-in template of the same name: the ledger meant its own."""

    def __init__(self, display: str) -> None:
        super().__init__(f"{display}: is a symbolic link or leads outside the ledger: refused; templates must be "
                         "plain files inside the ledger (`dunning check` reports it)")


class _LedgerLoader(jinja2.FileSystemLoader):
    """The ledger's own templates: plain files inside `<ledger>/templates`, never a link out of it."""

    def __init__(self, folder: Path, ledger_root: Path) -> None:
        super().__init__(str(folder), encoding="utf-8")
        self.folder = folder
        self.ledger_root = ledger_root.resolve()

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        if path.is_symlink() or (path.is_file() and not path.resolve().is_relative_to(self.ledger_root)):
            raise TemplateRefused(f"{TEMPLATES_DIR}/{template}")
        return super().get_source(environment, template)


class Templates:
    """The template set of a ledger: its overrides first, then the built-in templates."""

    def __init__(self, ledger_root: Path | None = None, builtin: Path = BUILTIN_TEMPLATES) -> None:
        self.ledger_root = ledger_root
        self.builtin = builtin
        loaders: list[jinja2.BaseLoader] = []
        self.override_dir = ledger_root / TEMPLATES_DIR if ledger_root is not None else None
        if ledger_root is not None and self.override_dir is not None and self.override_dir.is_dir():
            loaders.append(_LedgerLoader(self.override_dir, ledger_root))
        loaders.append(jinja2.FileSystemLoader(str(builtin), encoding="utf-8"))
        loader = jinja2.ChoiceLoader(loaders)
        options: dict[str, Any] = {"loader": loader, "undefined": jinja2.StrictUndefined, "trim_blocks": True,
                                   "lstrip_blocks": True, "keep_trailing_newline": True, "auto_reload": False}
        self.markdown_env = ImmutableSandboxedEnvironment(autoescape=False, **options)
        self.html_env = ImmutableSandboxedEnvironment(autoescape=True, **options)
        for env in (self.markdown_env, self.html_env):
            env.filters["money"] = _money
            env.filters["amount"] = _amount
            env.filters["capital"] = _capital
            env.filters["long_date"] = _long_date
            env.filters["percent"] = _percent

    def where(self, filename: str | None) -> str:
        """A template file as the user knows it: `templates/zh/x.md.j2` in the ledger, else built-in."""
        if not filename:
            return "<template>"
        path = Path(filename).resolve()
        if self.ledger_root is not None and path.is_relative_to(self.ledger_root.resolve()):
            return str(path.relative_to(self.ledger_root.resolve()))
        if path.is_relative_to(self.builtin.resolve()):
            return f"built-in templates/{path.relative_to(self.builtin.resolve())}"
        return str(path)

    def is_override(self, relname: str) -> bool:
        return self.override_dir is not None and (self.override_dir / relname).is_file()

    def _error(self, error: Exception, name: str) -> LetterError:
        if isinstance(error, TemplateRefused):
            return LetterError(str(error), code=1)
        if isinstance(error, jinja2.TemplateSyntaxError):
            return LetterError(f"{self.where(error.filename)}:{error.lineno}: {error.message}")
        if isinstance(error, jinja2.TemplateNotFound):
            if not self.builtin.is_dir():
                return LetterError(f"the built-in templates are missing (no {self.builtin}): run dunning from a "
                                   "source checkout or an editable install (`pip install -e .`, as `make` does)")
            return LetterError(f"no template '{error.name}' (looked in "
                               f"{self.override_dir or '<ledger>/templates'} and the built-in templates)")
        place = self.where(None)
        line = 0
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename and (frame.filename.endswith(".j2") or frame.filename.endswith(".html")):
                place, line = self.where(frame.filename), frame.lineno or 0
        kind = (f"{str(error).rstrip('.')}: not allowed in a template" if isinstance(error, SecurityError)
                else str(error))
        return LetterError(f"{place}:{line}: {kind} (rendering {name})")

    def render(self, env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
        try:
            return env.get_template(name).render(**context)
        except (jinja2.TemplateError, SecurityError, TypeError, ValueError, ArithmeticError) as error:
            raise self._error(error, name) from None

    def markdown(self, letter: Letter, *, fmt: str = "md") -> str:
        """The letter as Markdown; `fmt="html"` leaves out the letterhead that the HTML layout draws."""
        context = md_escape({**letter.context, "format": fmt})
        text = self.render(self.markdown_env, f"{letter.lang}/{letter.template}{SUFFIX}", context)
        return _BLANK_RUNS.sub("\n\n", text).strip() + "\n"

    def html(self, letter: Letter) -> str:
        """The letter as a whole HTML page under the letterhead layout (ready for WeasyPrint)."""
        body = _sections(markdown_to_html(self.markdown(letter, fmt="html")))
        context = {**letter.context, "format": "html", "body": Markup(body)}  # noqa: S704 - html=False below
        return self.render(self.html_env, LAYOUT, context)


def _sections(body: str) -> str:
    """Each part that starts with a rule and a heading (a reply slip, counsel's summary) is kept on one
    page where it fits: a reply slip cut in two by a page break cannot be returned."""
    parts = body.split("<hr />\n<h2>")
    if len(parts) == 1:
        return body
    return parts[0] + "".join(f'<section class="slip">\n<hr />\n<h2>{part}</section>\n' for part in parts[1:])


def markdown_to_html(text: str) -> str:
    """CommonMark with tables; raw HTML in the Markdown is escaped, never passed through."""
    from markdown_it import MarkdownIt

    html: str = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table").render(text)
    return html


# ---------------------------------------------------------------------------------------------
# lint (`dunning check`)


def forbidden_hits(text: str, words: Iterable[str]) -> list[tuple[int, int, str]]:
    """(line, column, word) of every forbidden word in `text`, case-insensitively."""
    lowered = text.lower()
    hits = []
    for word in words:
        needle = word.lower().strip()
        if not needle:
            continue
        start = lowered.find(needle)
        while start >= 0:
            line = text.count("\n", 0, start) + 1
            column = start - (text.rfind("\n", 0, start) + 1) + 1
            hits.append((line, column, word))
            start = lowered.find(needle, start + 1)
    return sorted(hits)


_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.S)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def prose(source: str) -> str:
    """What a template can print: its text and the string literals in its tags; the code and the
    comments are blanked out (same length, same lines), so `x or else y` in a tag is not a threat."""
    def tag(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("{#"):
            return _blank(text)
        out, last = [], 0
        for literal in _STRING.finditer(text):
            out.append(_blank(text[last:literal.start()]) + literal.group(0))
            last = literal.end()
        return "".join(out) + _blank(text[last:])

    return _TAG.sub(tag, source)


def _variable_line(source: str, name: str) -> tuple[int, int]:
    match = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", source)
    if match is None:
        return 1, 1
    start = match.start()
    return source.count("\n", 0, start) + 1, start - (source.rfind("\n", 0, start) + 1) + 1


def _error_place(message: str) -> tuple[str, int, str]:
    """Split `file:line: message` as made by `Templates._error`."""
    match = re.match(r"(?:built-in )?(.+?):(\d+): (.*)", message, re.S)
    if match is None:
        return "", 0, message
    return match.group(1), int(match.group(2)), match.group(3)


def lint_template_file(templates: Templates, relname: str, display: str, forbidden: Iterable[str],
                       samples: list[Letter]) -> list[LedgerError]:
    """Problems of one template: bad syntax, unknown variables, forbidden wording, a failing render."""
    path = (templates.override_dir if templates.is_override(relname) else templates.builtin) / relname  # type: ignore[operator]
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [LedgerError(display, 1, 1, f"cannot read template: {error}")]
    problems = [LedgerError(display, line, column, f"threatening or abusive wording '{word}': state lawful next "
                            "steps neutrally (e.g. 我司将依法通过诉讼途径主张权利)")
                for line, column, word in forbidden_hits(prose(source), forbidden)]
    env = templates.html_env if relname == LAYOUT else templates.markdown_env
    try:
        tree = env.parse(source, name=relname, filename=str(path))
    except jinja2.TemplateSyntaxError as error:
        return [*problems, LedgerError(display, error.lineno or 1, 1, f"template syntax: {error.message}")]
    # meta misses names set inside an `if` block; anything the template assigns itself is declared.
    assigned = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    assigned |= {node.target for node in tree.find_all(nodes.Import)}
    assigned |= {node.name for node in tree.find_all(nodes.Macro)}
    for item in tree.find_all(nodes.FromImport):
        assigned |= {n if isinstance(n, str) else n[1] for n in item.names}
    for name in sorted(meta.find_undeclared_variables(tree) - KNOWN_VARIABLES - assigned):
        line, column = _variable_line(source, name)
        problems.append(LedgerError(display, line, column, f"unknown variable '{name}' (the variables a "
                                    "letter template gets are listed in the README, section Letters)"))
    if any("unknown variable" in p.message for p in problems):
        return problems
    for sample in samples:
        try:
            if relname == LAYOUT:
                templates.html(sample)
            else:
                templates.markdown(sample, fmt="md")
                templates.markdown(sample, fmt="html")
        except LetterError as error:
            where, line, message = _error_place(error.message)
            if where.endswith(relname) or not where:
                problems.append(LedgerError(display, line or 1, 1, message))
            else:
                problems.append(LedgerError(display, 1, 1, error.message))
            break
    return problems


def _template_files(folder: Path) -> list[str]:
    """Template files under a templates folder, as names relative to it."""
    found = []
    if (folder / LAYOUT).is_file():
        found.append(LAYOUT)
    for lang in LANGUAGES:
        if (folder / lang).is_dir():
            found += sorted(f"{lang}/{p.name}" for p in (folder / lang).iterdir() if p.name.endswith(SUFFIX))
    return found


def lint_templates_in(templates: Templates, folder: Path, prefix: str, settings: Settings,
                      only: Iterable[str] | None = None) -> list[LedgerError]:
    """Lint every template of `folder` (a ledger's overrides, or the built-ins in tests)."""
    forbidden = [*FORBIDDEN_WORDS, *settings.forbidden_words]
    problems: list[LedgerError] = []
    names = list(only) if only is not None else _template_files(folder)
    for relname in names:
        display = f"{prefix}{relname}"
        stem = relname.split("/")[-1].removesuffix(SUFFIX)
        if relname != LAYOUT and not stem.startswith("_") and not NAME.fullmatch(stem):
            problems.append(LedgerError(display, 1, 1, "not a template name: use a plain lower-case identifier "
                                        "such as my_reminder"))
            continue
        if relname == LAYOUT:
            samples = [s for lang in LANGUAGES for s in sample_letters("reminder", lang)]
        else:
            lang = relname.split("/")[0]
            sample_name = stem if stem in TEMPLATES else "reminder"
            samples = sample_letters(sample_name, lang, template=None if stem.startswith("_") else stem)
        if stem.startswith("_"):  # a partial (layout, macros): checked through the letters that use it
            samples = [s for name in TEMPLATES for s in sample_letters(name, relname.split("/")[0])]
        problems += lint_template_file(templates, relname, display, forbidden, samples)
    return problems


def lint_templates(root: Path, ledger: Any) -> list[LedgerError]:
    """`dunning check`: the ledger's own templates (`<ledger>/templates`); nothing when it has none."""
    folder = root / TEMPLATES_DIR
    if not folder.is_dir():
        return []
    inside = root.resolve()
    if not folder.resolve().is_relative_to(inside):  # nothing there is the ledger's: read none of it
        return [LedgerError(TEMPLATES_DIR, 1, 1, "leads outside the ledger (a symbolic link): `dunning letter` "
                            "refuses its templates; templates must be plain files inside the ledger")]
    problems: list[LedgerError] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in _template_files(folder) and not rel.endswith((".md", ".txt")):
            problems.append(LedgerError(f"{TEMPLATES_DIR}/{rel}", 1, 1, "warning: not a template: templates are "
                                        f"<lang>/<name>{SUFFIX} (lang zh or en) or {LAYOUT}", "warning"))
        elif path.is_symlink():
            problems.append(LedgerError(f"{TEMPLATES_DIR}/{rel}", 1, 1, "is a symbolic link; templates must be "
                                        "plain files inside the ledger"))
    templates = Templates(root)
    plain = [name for name in _template_files(folder)  # a link is reported above, never read
             if not (folder / name).is_symlink() and (folder / name).resolve().is_relative_to(inside)]
    return sorted(problems + lint_templates_in(templates, folder, f"{TEMPLATES_DIR}/", ledger.settings, plain))


# ---------------------------------------------------------------------------------------------
# sample data: every template is rendered against it by `dunning check` (and by the tests)

_SAMPLE_SETTINGS = {
    "format": 1,
    "creditor": {"name": "示例贸易有限公司", "name_en": "Example Trading Co., Ltd.", "address": "沈阳市和平区示例路1号",
                 "phone": "024-88880000", "email": "ar@example.cn", "credit_code": "91210102MA0E3PWQ0K",
                 "website": "example.cn",
                 "bank": {"name": "中国工商银行沈阳和平支行", "account": "6222 0000 0000 0000",
                          "swift": "ICBKCNBJLNG"}},
    "collectors": {"zhang.san": "张三"},
}
_SAMPLE_DEBTOR = {
    "name": "示例机械有限公司", "name_en": "Example Machinery Co., Ltd.", "credit_code": "91210106MA030LCC10",
    "address": "沈阳市铁西区示例街8号", "collector": "zhang.san", "terms_days": 30,
    "contacts": [{"name": "王建国", "role": "财务总监", "decision_maker": True, "email": "wang@example.cn",
                  "phone": "024-23456789", "address": "沈阳市铁西区示例街8号"}],
    "guarantees": [{"guarantor": "示例投资有限公司", "kind": "joint", "period_months": 6, "invoices": ["INV-1"],
                    "contact": "李明", "address": "沈阳市沈河区示例路2号", "signed": "2025-01-05"}],
    "invoices": [
        {"id": "INV-1", "contract": "HT-1", "issued": "2025-01-10", "due": "2025-02-09", "amount": "120000.00",
         "description": "液压站"},
        {"id": "INV-2", "contract": "HT-2", "issued": "2025-03-01", "amount": "50000.00"},
        {"id": "INV-3", "contract": "HT-2", "issued": "2025-03-05", "amount": "8000.00"},
    ],
    "events": [
        {"at": "2025-03-01", "type": "payment", "amount": "20000.00", "invoice": "INV-1", "ref": "回单 001"},
        {"at": "2025-03-10", "type": "credit", "amount": "1000.00", "invoice": "INV-2", "reason": "质量折让"},
        {"at": "2025-03-20", "type": "dispute", "invoices": ["INV-3"], "reason": "规格不符"},
        {"at": "2025-03-25", "type": "letter", "via": "registered_mail", "template": "demand",
         "delivered": "2025-03-28", "tracking": "EMS1"},
        {"at": "2025-04-01", "type": "call", "with": "王建国", "outcome": "promise",
         "promise": {"date": "2025-04-30", "amount": "30000.00"}},
        {"at": "2025-05-01", "type": "plan", "signed": True,
         "installments": [{"due": "2025-06-01", "amount": "50000.00"}, {"due": "2025-07-01", "amount": "99000.00"}]},
        {"at": "2025-08-01", "type": "status", "status": "bankrupt", "administrator": "示例律师事务所",
         "claims_deadline": "2025-10-31"},
    ],
}
# The same with every optional field left out: templates must cope with what a ledger may omit.
_SPARSE_SETTINGS = {"format": 1, "creditor": {"name": "示例贸易有限公司"}}
_SPARSE_DEBTOR = {
    "name": "示例机械有限公司", "terms_days": 30,
    "guarantees": [{"guarantor": "示例投资有限公司", "kind": "general"}],
    "invoices": [{"id": "INV-1", "issued": "2025-01-10", "amount": "120000.00"}],
    "events": [
        {"at": "2025-05-01", "type": "plan", "installments": [{"due": "2025-06-01", "amount": "120000.00"}]},
        {"at": "2025-08-01", "type": "status", "status": "bankrupt"},
    ],
}
SAMPLE_AS_OF = date(2025, 9, 1)
_samples_cache: dict[tuple[str, str, str | None], list[Letter]] = {}


def sample_letters(name: str, lang: str, template: str | None = None) -> list[Letter]:
    """The letter `name` for the full and the sparse sample debtor, rendered as `template` (default name)."""
    key = (name, lang, template)
    if key not in _samples_cache:
        letters = []
        for settings_data, debtor_data in ((_SAMPLE_SETTINGS, _SAMPLE_DEBTOR), (_SPARSE_SETTINGS, _SPARSE_DEBTOR)):
            settings = Settings.model_validate(settings_data)
            debtor = Debtor.model_validate(debtor_data)
            letter = build_letter("sample", debtor, settings, SAMPLE_AS_OF, template=name, lang=lang,
                                  interest_rate=Decimal("3.45") if debtor_data is _SAMPLE_DEBTOR else None,
                                  limitation=_sample_limitation)
            if template is not None and template != name:
                letter.template = template
            letters.append(letter)
        _samples_cache[key] = letters
    return _samples_cache[key]


def _sample_limitation(debtor_id: str, debtor: Debtor, settings: Settings, as_of: date,
                       state: DebtorState) -> list[dict[str, Any]]:
    return [{"invoice": s.id, "date": s.due + timedelta(days=3 * 365), "days_left": 900, "status": "open",
             "provisional": False, "rule": "CN Civil Code Art. 188", "basis": [f"due {s.due}"]}
            for s in state.open_invoices()]
