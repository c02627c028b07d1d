"""The limitation engine: per open invoice, the events that count, walked through a rule set.

The engine knows the ledger (which events are provable, which invoices they concern, which
invoices a payment was applied to); a rule set (`cn.py`, `de.py`, ...) knows the law (when the
period starts, which events restart it, what happens after it expired, how its last day rolls).
Every result carries the steps a lawyer can follow by hand, including the events that did not
count and why.
"""

from __future__ import annotations

import importlib
import pkgutil
from bisect import bisect_left
from collections.abc import Collection
from collections.abc import Container
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any
from typing import ClassVar
from typing import Literal
from typing import NamedTuple

from dunning.balances import Allocation
from dunning.balances import DebtorState
from dunning.balances import InvoiceState
from dunning.deadlines.calendars import NO_ROLL
from dunning.deadlines.calendars import Calendar
from dunning.deadlines.calendars import add_years
from dunning.deadlines.calendars import day_text
from dunning.model import Acknowledgment
from dunning.model import ContactEvent
from dunning.model import Credit
from dunning.model import Debtor
from dunning.model import Dispute
from dunning.model import Legal
from dunning.model import Payment
from dunning.model import Plan
from dunning.model import Settings
from dunning.model import Status
from dunning.model import due_date
from dunning.model import event_day
from dunning.render import money_display

Kind = Literal["limitation", "guarantee", "claims", "promise", "installment"]
KINDS: tuple[str, ...] = ("limitation", "guarantee", "claims", "promise", "installment")
DeadlineStatus = Literal["open", "expired", "waived", "met", "released"]


@dataclass(frozen=True)
class Deadline:
    """One dated deadline with its rule and the steps that lead to its date.

    `date` is None only for a limitation interrupted or suspended by a proceeding that is still
    running: no last day can be named until it ends.
    """

    debtor: str
    kind: str
    invoice: str | None
    date: date | None
    days_left: int | None
    status: str
    provisional: bool
    rule: str
    basis: tuple[str, ...]
    guarantor: str | None = None
    amount: Decimal | None = None
    currency: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The `deadlines[]` entry of cli.md (plus guarantor, amount and currency)."""
        return {
            "debtor": self.debtor,
            "kind": self.kind,
            "invoice": self.invoice,
            "date": self.date.isoformat() if self.date else None,
            "days_left": self.days_left,
            "status": self.status,
            "provisional": self.provisional,
            "rule": self.rule,
            "basis": list(self.basis),
            "guarantor": self.guarantor,
            "amount": str(self.amount.quantize(Decimal("0.01"))) if self.amount is not None else None,
            "currency": self.currency,
        }


@lru_cache(maxsize=4096)
def _money_shown(amount: str, currency: str) -> str:
    return money_display(Decimal(amount), currency)


def money_shown(amount: Decimal, currency: str) -> str:
    """`money_display`, memoised by the amount exactly as written (its text): promises and what was
    paid on them repeat a few hundred amounts across a ledger, and formatting one costs ~3x this."""
    return _money_shown(str(amount), currency)


def days_left(day: date | None, as_of: date) -> int | None:
    return None if day is None else (day - as_of).days


def sort_key(deadline: Deadline) -> tuple[int, date, str, str, str]:
    """By date (undated last), then debtor, kind and invoice."""
    return (deadline.date is None, deadline.date or date.max, deadline.debtor, deadline.kind,
            deadline.invoice or "")


# ---------------------------------------------------------------------------------------------
# the facts of one invoice


# Fact kinds. A rule set decides which of them restart its period.
DEMAND = "demand"  # a demand for payment that reached the debtor
PROMISE = "promise"  # a promise to pay made in a provable contact
PAYMENT = "payment"  # money applied to this invoice
ACKNOWLEDGMENT = "acknowledgment"  # a signed acknowledgment of the debt
PLAN = "plan"  # a signed instalment plan
FILED = "filed"  # a legal action filed, or a claim filed in the debtor's bankruptcy
JUDGMENT = "judgment"
CONCLUDED = "concluded"
DISPUTE = "dispute"
TALK = "talk"  # a contact in which the debtor discussed the debt (negotiations, BGB 203)

RESTART_ORDER = (PAYMENT, ACKNOWLEDGMENT, PLAN, PROMISE, DEMAND)


# Fact and Skipped are immutable named tuples rather than frozen dataclasses: a ledger of 10,000
# debtors makes ~200,000 of them, and a frozen dataclass costs three times as much to build.
class Fact(NamedTuple):
    """Something that happened to one invoice and may count: on `day`, of `kinds`."""

    day: date
    kinds: frozenset[str]
    what: str  # "letter delivered 2025-05-12"
    last_installment: date | None = None
    legal_kind: str | None = None
    sequence: int = 0


class Skipped(NamedTuple):
    """An event that did not count for this invoice, and why (advice for the user)."""

    day: date
    text: str
    sequence: int = 0


@dataclass
class Track:
    """One open invoice with everything the rule sets need."""

    debtor_id: str
    state: InvoiceState
    original_due: date
    performed: date | None
    items: list[Fact | Skipped] = field(default_factory=list)
    talks: list[date] = field(default_factory=list)  # contacts in which the debtor discussed the debt

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def due(self) -> date:
        """The effective due date (a bankruptcy makes every invoice due on its day)."""
        return self.state.due

    def due_line(self) -> str:
        due = self.state.due
        if due != self.original_due:
            return (f"due {day_text(self.original_due)}, treated as due {day_text(due)} by the debtor's "
                    f"bankruptcy (Enterprise Bankruptcy Law Art. 46)")
        return f"due {day_text(due)}"


class _Mark(NamedTuple):
    """One event's meaning, before it is handed to the invoices it concerns."""

    event_index: int
    moment: date  # the event's own day: which invoices were open then
    day: date  # the day it counts from (a letter: its delivery)
    kinds: frozenset[str]
    what: str
    cover: frozenset[str] | None  # the invoices it names; None: every invoice open at that moment
    last_installment: date | None = None
    legal_kind: str | None = None
    skipped: str | None = None  # set when the event does not count, with the reason


# One frozenset per kind of mark, shared: Fact.kinds is immutable.
_NO_KINDS: frozenset[str] = frozenset()
_DEMAND_KINDS = frozenset({DEMAND})
_PROMISE_KINDS = frozenset({PROMISE})
_PAYMENT_KINDS = frozenset({PAYMENT})
_TALK_KINDS = frozenset({TALK})
_ACKNOWLEDGMENT_KINDS = frozenset({ACKNOWLEDGMENT})
_PLAN_KINDS = frozenset({PLAN})
_FILED_KINDS = frozenset({FILED})
_DISPUTE_KINDS = frozenset({DISPUTE})
_LEGAL_KINDS = {"filed": frozenset({FILED}), "judgment": frozenset({JUDGMENT}), "concluded": frozenset({CONCLUDED})}
_LEGAL_NAMES = {"suit": "suit", "arbitration": "arbitration", "payment_order": "payment order"}
_WRITTEN = ("letter", "email", "sms", "wechat")
_FAILED = ("no_answer", "wrong_contact", "left_message")
_TALKED = ("reached", "promise", "dispute")


def _describe_contact(event: ContactEvent, kind: str, when: str) -> str:
    """"recorded call 2025-05-12" (`kind`: the event's type, `when`: its day as text)."""
    if kind == "call" or kind == "visit":
        if event.recorded:
            return f"recorded {kind} {when}"
        if event.evidence:
            return f"{kind} {when} (with evidence)"
    return f"{kind} {when}"


def _contact_marks(marks: list[_Mark], index: int, event: ContactEvent, day: date, cover: frozenset[str] | None,
                   as_of: date, currency: str) -> None:
    """Append what one contact means to `marks`: a demand or why it is none, a promise or why it
    does not count, and whether the debtor talked about the debt."""
    when = day_text(day)
    kind = event.type
    outcome = event.outcome
    label = _describe_contact(event, kind, when)
    written = kind in _WRITTEN
    failed = outcome in _FAILED
    provable = event.provable
    promise = event.promise
    promised = promise is not None or outcome == "promise"
    demand: _Mark | None = None  # the demand this contact made
    reason: str | None = None  # why it is not counted as a demand, where that is worth saying

    if event.is_demand:
        delivered = event.delivered
        if outcome == "wrong_contact":
            reason = f"{label} not counted as a demand: it went to a wrong contact, so it did not reach the debtor"
        elif kind == "letter":
            if delivered is None:
                reason = (f"letter sent {when} not counted: no `delivered` date, nothing shows it reached the "
                          f"debtor (advice: record the delivery date from the tracking or the signed receipt)")
            elif delivered > as_of:
                reason = (f"letter sent {when} not counted as of {day_text(as_of)}: delivered only on "
                          f"{day_text(delivered)}")
            else:
                demand = _Mark(index, day, delivered, _DEMAND_KINDS, f"letter delivered {day_text(delivered)}", cover)
        elif written:
            reached = delivered or day
            if reached > as_of:
                reason = f"{label} not counted as of {day_text(as_of)}: delivered only on {day_text(reached)}"
            else:
                what = f"{kind} {when}" + (f" (delivered {day_text(delivered)})" if delivered and
                                           delivered != day else "")
                demand = _Mark(index, day, reached, _DEMAND_KINDS, what, cover)
        elif not provable:
            reason = (f"{kind} {when} not counted as a demand: no recording or evidence, and a {kind} counts "
                      f"only where it can be proven (advice: record calls, or confirm the demand in writing)")
        elif failed:
            reason = (f"{label} not counted as a demand: {outcome.replace('_', ' ') if outcome else ''}, "
                      f"so it did not reach the debtor")
        else:
            demand = _Mark(index, day, day, _DEMAND_KINDS, label, cover)
    elif not promised and not failed and (written or outcome is not None):
        if provable:
            reason = (f"{label} not counted as a demand: not marked `demand: true` (only a recorded demand counts; "
                      f"the earlier, safer date)")
        else:
            reason = f"{label} not counted: no recording or evidence, and not marked as a demand"

    if promised:
        terms = ""
        if promise is not None:
            shown = money_shown(promise.amount, promise.currency or currency)
            terms = f": pay {shown} by {day_text(promise.date)}"
        if provable and demand is not None and demand.day == day:
            # made in the same contact as the demand (not a letter delivered later): one step
            demand = _Mark(index, day, day, demand.kinds | _PROMISE_KINDS,
                           f"{demand.what}, with a promise to pay{terms}", cover)
        else:
            if demand is not None:
                marks.append(demand)
            elif reason is not None:
                marks.append(_Mark(index, day, day, _NO_KINDS, label, cover, None, None, reason))
            if provable:
                demand, reason = _Mark(index, day, day, _PROMISE_KINDS, f"promise in {label}{terms}", cover), None
            else:
                demand = None
                reason = (f"promise in {label}{terms} not counted: made in a {kind} with no recording or "
                          f"evidence, so it cannot be proven (advice: have the debtor confirm it in writing)")
    if demand is not None:
        marks.append(demand)
    elif reason is not None:
        marks.append(_Mark(index, day, day, _NO_KINDS, label, cover, None, None, reason))
    if outcome in _TALKED:
        marks.append(_Mark(index, day, day, _TALK_KINDS, "", cover))


def _event_marks(debtor: Debtor, settings: Settings, days: Sequence[date], as_of: date) -> list[_Mark]:
    """Every non-money event up to as_of, as what it means for limitation (`days`: each event's day)."""
    marks: list[_Mark] = []
    currency = debtor.currency or settings.currency
    for index, event in enumerate(debtor.events):
        day = days[index]
        if day > as_of or isinstance(event, (Payment, Credit)):
            continue
        invoices = event.invoices
        cover = frozenset(invoices) if invoices is not None else None
        if isinstance(event, ContactEvent):
            _contact_marks(marks, index, event, day, cover, as_of, currency)
        elif isinstance(event, Acknowledgment):
            when = day_text(day)
            if event.signed:
                marks.append(_Mark(index, day, day, _ACKNOWLEDGMENT_KINDS, f"signed acknowledgment {when}", cover))
            else:
                marks.append(_Mark(index, day, day, _NO_KINDS, f"acknowledgment {when}", cover,
                                   skipped=f"acknowledgment {when} not counted: not signed (advice: have it "
                                   f"signed and sealed, 签字盖章)"))
        elif isinstance(event, Plan):
            when = day_text(day)
            last = event.installments[-1].due
            if event.signed:
                marks.append(_Mark(index, day, day, _PLAN_KINDS,
                                   f"signed instalment plan {when} (last instalment due {day_text(last)})", cover,
                                   last_installment=last))
            else:
                marks.append(_Mark(index, day, day, _NO_KINDS, f"plan {when}", cover,
                                   skipped=f"instalment plan {when} not counted: not signed by the debtor "
                                   f"(advice: have it signed)"))
        elif isinstance(event, Legal):
            where = ", ".join(x for x in (event.court, event.case_no) if x)
            where = f" ({where})" if where else ""
            name = _LEGAL_NAMES.get(event.kind or "", "legal action")
            marks.append(_Mark(index, day, day, _LEGAL_KINDS[event.action],
                               f"{name} {event.action} {day_text(day)}{where}", cover, legal_kind=event.kind))
        elif isinstance(event, Status) and event.claim_filed is not None:
            if event.claim_filed <= as_of:
                marks.append(_Mark(index, day, event.claim_filed, _FILED_KINDS,
                                   f"claim filed in the bankruptcy {day_text(event.claim_filed)}", cover,
                                   legal_kind="bankruptcy_claim"))
        elif isinstance(event, Dispute):
            marks.append(_Mark(index, day, day, _DISPUTE_KINDS, f"dispute {day_text(day)}", cover))
    return marks


class _OpenAt:
    """Whether one invoice was open when an event happened, as the replay saw it then.

    Its allocations in replay order are keyed (day, 0 if carried else 1, event index); an event
    `index` on `moment` sees those keyed before (moment, 1, index). The open amount after each
    prefix of the sorted allocations is worked out once, then each question is one bisect.
    """

    __slots__ = ("always", "issued", "keys", "opens")

    def __init__(self, state: InvoiceState, history: list[tuple[tuple[date, int, int], Decimal]]) -> None:
        history.sort(key=itemgetter(0))
        self.issued = state.issued
        self.keys = [key for key, _ in history]
        taken = Decimal(0)
        opens = [state.amount - taken > 0]
        for _, amount in history:
            taken += amount
            opens.append(state.amount - taken > 0)
        self.opens = opens
        self.always = all(opens)

    def __call__(self, moment: date, key: tuple[date, int, int]) -> bool:
        if self.issued > moment:
            return False
        return self.always or self.opens[bisect_left(self.keys, key)]


def _never_paid_off(state: InvoiceState, history: list[tuple[tuple[date, int, int], Decimal]]) -> bool:
    """Whether the invoice stayed open from its issue day on, whatever the order of its allocations:
    so when every allocation took money off it and it is still open after all of them."""
    taken = Decimal(0)
    for _, amount in history:
        if amount <= 0:
            return False
        taken += amount
    return state.amount - taken > 0


def _histories(state: DebtorState) -> dict[str, list[tuple[tuple[date, int, int], Decimal]]]:
    """Per invoice, its allocations keyed in replay order: to tell what was open at an event."""
    by_invoice: dict[str, list[tuple[tuple[date, int, int], Decimal]]] = {}
    for allocation in state.allocations:
        key = (allocation.day, 0 if allocation.carried else 1, allocation.event_index)
        by_invoice.setdefault(allocation.invoice, []).append((key, allocation.amount))
    return by_invoice


# One item a track may take, with when it takes it; worked out once per debtor: (moment, need,
# avoid, open key, item). A track of an invoice issued on `issued` takes the item when
# `issued <= moment`, the invoice is in `need` (if set), not in `avoid` (if set), and, for an event
# that names no invoice (`open key` set), the invoice was open at that event. A plain tuple: there
# are ~200k of them for 10k debtors.
_Entry = tuple[date, Collection[str] | None, Collection[str] | None, tuple[date, int, int] | None, Fact | Skipped]


_ANY_DAY = date.max  # the moment of an entry taken whatever the invoice's issue day


def _entries(marks: list[_Mark], state: DebtorState, days: Sequence[date],
             open_invoices: list[InvoiceState]) -> tuple[list[_Entry], list[_Mark]]:
    """Every item any track of the debtor may take, in item order, and the talks (in event order).

    Every invoice numbers the events the same way (`sequence`: the marks, then the payments), so
    an item is the same object for every invoice it concerns. Sorted once here by (day, event
    index, sequence), the entries a track takes are in the order a sort of its own items by that
    key would give: ties are only between one payment's items, which keep the order they were
    made in (the sort is stable).
    """
    keyed: list[tuple[tuple[date, int, int], _Entry]] = []
    talks: list[_Mark] = []
    for sequence, mark in enumerate(marks, start=1):
        index, moment, day, kinds, what, cover, last_installment, legal_kind, skipped = mark
        if kinds == _TALK_KINDS:
            talks.append(mark)
            continue
        key = (day, index, sequence)
        hit: Fact | Skipped
        if skipped is not None:
            hit = Skipped(day, skipped, sequence)
        else:
            hit = Fact(day, kinds, what, last_installment, legal_kind, sequence)
        if cover is None:
            keyed.append((key, (moment, None, None, (moment, 1, index), hit)))
            continue
        keyed.append((key, (_ANY_DAY, cover, None, None, hit)))
        if skipped is None and not kinds <= _DISPUTE_KINDS:
            names = ", ".join(sorted(cover))
            only = Skipped(day, f"{what} concerns {names} only: no effect on this invoice", sequence)
            keyed.append((key, (moment, None, cover, None, only)))
    grouped: dict[int, list[Allocation]] = {}
    for allocation in state.allocations:
        if allocation.kind == "payment":
            grouped.setdefault(allocation.event_index, []).append(allocation)
    currencies = {s.id: s.currency for s in open_invoices}
    for sequence, (index, applied) in enumerate(grouped.items(), start=len(marks) + 1):
        pay_day = days[index]
        paid_on = day_text(pay_day)
        invoices: set[str] = set()
        carried_only = True
        for allocation in applied:
            invoice_id = allocation.invoice
            carried = allocation.carried
            invoices.add(invoice_id)
            carried_only = carried_only and carried
            currency = currencies.get(invoice_id)
            if currency is None:
                continue  # paid off since: no track
            day = allocation.day
            shown = money_display(allocation.amount, currency)
            when = day_text(day)
            item: Fact | Skipped
            if carried:
                item = Skipped(day, f"credit left from the payment of {paid_on} applied {shown} to this "
                                    f"invoice on its issue day {when}: not a payment of this invoice by the "
                                    f"debtor, no effect", sequence)
            else:
                item = Fact(day, _PAYMENT_KINDS, f"payment {when}, {shown} applied to this invoice", None,
                            None, sequence)
            keyed.append(((day, index, sequence), (_ANY_DAY, (invoice_id,), None, None, item)))
        if not carried_only:
            # an invoice it was not applied to is told so, unless all of it was credit carried forward
            # (after this payment's own items: no track takes both, so their order does not matter)
            elsewhere = Skipped(pay_day, f"payment {paid_on} was applied to {', '.join(sorted(invoices))}, not to "
                                         f"this invoice: no effect on it", sequence)
            keyed.append(((pay_day, index, sequence), (pay_day, None, invoices, None, elsewhere)))
    keyed.sort(key=itemgetter(0))
    return [entry for _, entry in keyed], talks


def build_tracks(debtor_id: str, debtor: Debtor, settings: Settings, state: DebtorState,
                 as_of: date) -> list[Track]:
    """One track per open invoice, with its facts and the events that did not count."""
    open_invoices = state.open_invoices()
    if not open_invoices:
        return []
    zone = settings.zone
    days = [event_day(event.at, zone) for event in debtor.events]
    marks = _event_marks(debtor, settings, days, as_of)
    entries, talk_marks = _entries(marks, state, days, open_invoices)
    talks = [(talk.cover, talk.moment, (talk.moment, 1, talk.event_index), talk.day) for talk in talk_marks]
    plain_talks = all(cover is None for cover, _, _, _ in talks)
    histories = _histories(state)
    originals = {i.id: i for i in debtor.invoices}
    tracks = []
    for invoice_state in open_invoices:
        invoice_id = invoice_state.id
        issued = invoice_state.issued
        invoice = originals[invoice_id]
        history = histories.get(invoice_id, [])
        if _never_paid_off(invoice_state, history):
            # open from its issue day on: `issued <= moment` says all the open-at test would
            if plain_talks:
                talked = [day for _, moment, _, day in talks if issued <= moment]
            else:
                talked = [day for cover, moment, _, day in talks
                          if ((invoice_id in cover) if cover is not None else issued <= moment)]
            items = [item for moment, need, avoid, _, item in entries
                     if issued <= moment and (need is None or invoice_id in need)
                     and (avoid is None or invoice_id not in avoid)]
        else:
            open_at = _OpenAt(invoice_state, history)
            talked = [day for cover, moment, key, day in talks
                      if ((invoice_id in cover) if cover is not None else open_at(moment, key))]
            items = [item for moment, need, avoid, open_key, item in entries
                     if issued <= moment and (need is None or invoice_id in need)
                     and (avoid is None or invoice_id not in avoid)
                     and (open_key is None or open_at(moment, open_key))]
        tracks.append(Track(debtor_id, invoice_state, due_date(debtor, invoice), invoice.performed, items, talked))
    return tracks


# ---------------------------------------------------------------------------------------------
# rule sets


class UnknownJurisdiction(ValueError):
    """A jurisdiction code with no rule set."""


LegalEffect = Literal["interrupt", "suspend", "stop"]


@dataclass(frozen=True)
class Start:
    """Where a period starts and its last day before any event or roll."""

    accrual: date  # events before this day do not touch the period
    end: date
    line: str


class RuleSet:
    """A limitation rule set: one jurisdiction's period, start, restarts, revival and roll.

    Subclasses set the class attributes and override `start` (and `anew`, `after_proceeding`,
    `notes`) where their law differs. Texts are the basis lines a lawyer reads.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    rule: ClassVar[str]  # the `rule` field: "CN Civil Code Art. 188, 195, 203"
    years: ClassVar[int]
    # fact kind -> why it restarts the period here (with its citation)
    restarts: ClassVar[Mapping[str, str]] = {}
    # fact kind -> why it does not, where the user might expect it to
    not_counted: ClassVar[Mapping[str, str]] = {}
    # fact kind -> why, after expiry, it waives the defence; empty: a barred debt never revives
    revives: ClassVar[Mapping[str, str]] = {}
    revive_cite: ClassVar[str] = ""
    revive_advice: ClassVar[str] = ""  # "a payment, a signed acknowledgment or a signed plan"
    no_revival: ClassVar[str] = "does not revive the barred claim"
    legal: ClassVar[LegalEffect] = "interrupt"
    legal_cite: ClassVar[str] = ""
    judgment_note: ClassVar[str] = ("the proceeding is taken as running until it is recorded as `concluded`; "
                                    "a judgment has its own enforcement period, not computed here")
    long_stop_years: ClassVar[int | None] = None
    long_stop_cite: ClassVar[str] = ""
    long_stop_rolls: ClassVar[bool] = False
    instalments_cite: ClassVar[str | None] = None  # the period of an instalment debt runs from the last one
    guarantees: ClassVar[bool] = False  # PRC guarantee periods apply
    claims_rule: ClassVar[str] = "claims deadline set in the insolvency proceeding"

    @property
    def calendar(self) -> Calendar:
        return NO_ROLL

    def start(self, track: Track) -> Start:
        due = track.due
        end = self.anew(due)
        return Start(due, end, f"{track.due_line()}: {self.years} years from it, ending {day_text(end)}")

    def anew(self, day: date) -> date:
        """The last day (before the roll) of a full period that runs anew from an event on `day`:
        the day itself is not counted, so it is the corresponding day `years` later."""
        return add_years(day, self.years)

    def after_proceeding(self, end: date, filed: date, concluded: date) -> tuple[date, str]:
        """The last day once a proceeding that interrupted or suspended the period has ended."""
        new_end = self.anew(concluded)
        return new_end, (f"the period runs anew from the end of the proceeding ({self.legal_cite}), ending "
                         f"{day_text(new_end)}")

    def notes(self, track: Track) -> list[str]:
        """Extra advice lines at the end of the basis."""
        return []


RULE_SETS: dict[str, RuleSet] = {}
_NOT_RULE_MODULES = frozenset({"engine", "calendars", "guarantees", "other"})
_discovered = False


def register(rules: RuleSet) -> RuleSet:
    """Called by each rule-set module with its instance: `RULES = register(Germany())`."""
    RULE_SETS[rules.code] = rules
    return rules


def _discover() -> None:
    """Import every module of this package: each rule-set module registers itself. Adding a
    jurisdiction is one new file, nothing else changes."""
    global _discovered
    if _discovered:
        return
    import dunning.deadlines as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _NOT_RULE_MODULES:
            importlib.import_module(f"dunning.deadlines.{module.name}")
    _discovered = True


def known_jurisdictions() -> list[str]:
    _discover()
    return sorted(RULE_SETS)


def rule_set(code: str) -> RuleSet:
    """The rule set of a jurisdiction code; `UnknownJurisdiction` names the known ones."""
    _discover()
    try:
        return RULE_SETS[code]
    except KeyError:
        raise UnknownJurisdiction(f"unknown jurisdiction '{code}': no limitation rules for it "
                                  f"(known: {', '.join(sorted(RULE_SETS))})") from None


def jurisdiction_of(debtor: Debtor, settings: Settings) -> str:
    """The debtor's own `jurisdiction`, else the ledger's."""
    return debtor.jurisdiction or settings.jurisdiction


# ---------------------------------------------------------------------------------------------
# the walk


@dataclass
class _Walk:
    rules: RuleSet
    track: Track
    end: date
    lines: list[str]
    cites: list[str] = field(default_factory=list)
    state: Literal["running", "pending", "stopped"] = "running"
    waived: bool = False
    expired_noted: bool = False
    floor: date | None = None  # instalment plans: the period runs from the last instalment
    floor_told: date | None = None
    filed: Fact | None = None
    stopped_at: date | None = None
    legal_seen: bool = False
    calendar: Calendar = NO_ROLL  # the rule set's, read once per walk
    cap: date | None = None  # the long-stop's last day (rolled where the rule set rolls it)

    def cite(self, text: str) -> None:
        if text and text not in self.cites:
            self.cites.append(text)


_KIND_ORDER = (*RESTART_ORDER, FILED, JUDGMENT, CONCLUDED, DISPUTE)
_KNOWN_KINDS = frozenset(_KIND_ORDER)


def _kinds(fact: Fact, wanted: Container[str]) -> list[str]:
    """The fact's kinds that are among `wanted` (a rule set's mapping), in `_KIND_ORDER`."""
    kinds = fact.kinds
    if len(kinds) == 1:  # the usual case: no order to keep
        for kind in kinds:
            return [kind] if kind in _KNOWN_KINDS and kind in wanted else []
    return [k for k in _KIND_ORDER if k in kinds and k in wanted]


def _restart(walk: _Walk, fact: Fact, hits: Sequence[str], reasons: Mapping[str, str]) -> None:
    rules = walk.rules
    if PLAN in hits and rules.instalments_cite and fact.last_installment is not None:
        if walk.floor is not None and walk.floor != fact.last_installment:
            walk.lines.append(f"the plan of {fact.day} replaces the earlier plan: its last instalment "
                              f"({fact.last_installment}) now sets the start (the safer reading)")
        walk.floor = fact.last_installment
    start = fact.day
    why = reasons[hits[0]]
    if walk.floor is not None and walk.floor > start:
        start = walk.floor
        if walk.floor_told == walk.floor:
            why += f"; the period still runs from the plan's last instalment ({rules.instalments_cite})"
        else:
            why += (f"; the plan's instalments run until {walk.floor}, and the period of an instalment debt "
                    f"runs from the last instalment's due date ({rules.instalments_cite})")
            walk.floor_told = walk.floor
        walk.cite(rules.instalments_cite or "")
    new_end = rules.anew(start)
    line = f"{fact.what}: {why}: runs anew from {day_text(start)}, ending {day_text(new_end)}"
    if new_end < walk.end:
        line += f" (earlier than the {day_text(walk.end)} it replaces; the earlier date is kept, the safer reading)"
    walk.lines.append(line)
    walk.end = new_end


def _handle(walk: _Walk, fact: Fact, accrual: date) -> None:
    rules = walk.rules
    lines = walk.lines
    kinds = fact.kinds
    if fact.day < accrual:
        if not kinds <= _DISPUTE_KINDS:
            lines.append(f"{fact.what}: before the period began on {day_text(accrual)}: no effect on it")
        return
    if walk.state == "stopped":
        lines.append(f"{fact.what}: no effect: the action was already brought in time")
        return
    if walk.state == "pending":
        assert walk.filed is not None
        if CONCLUDED in fact.kinds:
            new_end, text = rules.after_proceeding(walk.end, walk.filed.day, fact.day)
            lines.append(f"{fact.what}: {text}")
            walk.end = new_end
            walk.state = "running"
            walk.filed = None
        elif JUDGMENT in fact.kinds:
            lines.append(f"{fact.what}: {rules.judgment_note}")
        elif not kinds <= _DISPUTE_KINDS:
            lines.append(f"{fact.what}: while the proceeding runs: no further effect")
        return
    last = walk.calendar.roll(walk.end).day
    if walk.cap is not None and not walk.legal_seen and walk.cap < last:
        # past the long-stop nothing brings the claim back within time: a suit filed after it is too
        # late, and a restart after it counts only as a waiver (the earlier, safer reading)
        last = walk.cap
    if fact.day > last:
        if not walk.expired_noted:
            lines.append(f"the period expired at the end of {day_text(last)}" + (" (the waived period too)"
                                                                                  if walk.waived else ""))
            walk.expired_noted = True
        revive = _kinds(fact, rules.revives)
        if revive:
            walk.waived = True
            walk.expired_noted = False
            walk.end = rules.anew(fact.day)
            walk.cite(rules.revive_cite)
            lines.append(f"{fact.what}, after expiry: {rules.revives[revive[0]]}: the tool shows it as "
                         f"waived and does not reopen the old period; counted anew from {fact.day}, a claim "
                         f"should be brought by {walk.end} (before the roll) at the latest")
        elif FILED in fact.kinds:
            lines.append(f"{fact.what}, after expiry: filed too late, the debtor may plead limitation")
        elif not kinds.isdisjoint(RESTART_ORDER):
            lines.append(f"{fact.what}, after expiry: {rules.no_revival}")
        return
    if FILED in fact.kinds:
        walk.legal_seen = True
        if rules.legal == "stop":
            walk.state = "stopped"
            walk.stopped_at = last
            lines.append(f"{fact.what}, within the period ending {last}: the action was brought in time "
                         f"({rules.legal_cite})")
        else:
            walk.state = "pending"
            walk.filed = fact
            verb = "interrupted" if rules.legal == "interrupt" else "suspended"
            lines.append(f"{fact.what}: the period is {verb} while the proceeding runs ({rules.legal_cite})")
        return
    if CONCLUDED in fact.kinds or JUDGMENT in fact.kinds:
        lines.append(f"{fact.what}: not counted: no filing of this action is recorded before it "
                     f"(advice: record the `legal` event with `action: filed`)")
        return
    if DISPUTE in fact.kinds and len(fact.kinds) == 1:
        lines.append(f"{fact.what}: a dispute neither interrupts nor suspends the period")
        return
    hits = _kinds(fact, rules.restarts)
    if walk.waived:
        revive = [k for k in hits if k in rules.revives]
        if revive:
            # Before the waived period ran out this is an ordinary restart of it.
            _restart(walk, fact, revive, rules.restarts if revive[0] in rules.restarts else rules.revives)
        elif hits:
            lines.append(f"{fact.what}: not counted after the waiver (only what would waive the defence "
                         f"again counts: the safer reading)")
        return
    if hits:
        _restart(walk, fact, hits, rules.restarts)
        return
    missing = _kinds(fact, rules.not_counted)
    if missing:
        lines.append(f"{fact.what}: not counted: {rules.not_counted[missing[0]]}")


def limitation_deadline(track: Track, rules: RuleSet, as_of: date) -> Deadline:
    """The limitation deadline of one open invoice under one rule set."""
    start = rules.start(track)
    calendar = rules.calendar
    lines = [start.line]
    walk = _Walk(rules, track, start.end, lines, calendar=calendar)
    if rules.long_stop_years:
        cap = add_years(track.due, rules.long_stop_years)
        walk.cap = calendar.roll(cap).day if rules.long_stop_rolls else cap
    accrual = start.accrual
    for item in track.items:
        if isinstance(item, Skipped):
            lines.append(item.text)
        else:
            _handle(walk, item, accrual)
    lines.extend(rules.notes(track))
    provisional = False
    rule = rules.rule
    final: date | None
    if walk.state == "pending":
        assert walk.filed is not None
        final = None
        status = "open"
        walk.lines.append(f"no last day while the proceeding filed {walk.filed.day} runs; it is counted again "
                          f"once it ends (advice: record the `legal` event with `action: concluded`)")
    elif walk.state == "stopped":
        final = walk.stopped_at
        status = "met"
    else:
        rolled = calendar.roll(walk.end)
        lines.extend(rolled.notes)
        final = rolled.day
        provisional = rolled.provisional
        if rules.long_stop_years and not walk.legal_seen:
            cap = add_years(track.due, rules.long_stop_years)
            if rules.long_stop_rolls:
                cap_rolled = calendar.roll(cap)
                cap, cap_provisional = cap_rolled.day, cap_rolled.provisional
            else:
                cap_provisional = False
            if cap < final:
                walk.lines.append(f"capped by the {rules.long_stop_years}-year long-stop from the due date "
                                  f"{track.due} ({rules.long_stop_cite}): {cap}")
                final, provisional = cap, cap_provisional
                walk.cite(rules.long_stop_cite)
        if final < as_of:
            status = "expired"
            if rules.revives:
                advice = (f"{rules.revive_advice} would waive the defence ({rules.revive_cite}); the tool "
                          f"then shows the invoice as waived")
            else:
                advice = rules.no_revival
            lines.append(f"expired: the last day {day_text(final)} has passed and the debtor may refuse to pay "
                         f"(advice: {advice})")
        elif walk.waived:
            status = "waived"
        else:
            status = "open"
    if walk.cites:
        rule = f"{rule}; {'; '.join(walk.cites)}"
    return Deadline(track.debtor_id, "limitation", track.id, final, days_left(final, as_of), status,
                    provisional, rule, tuple(walk.lines), amount=track.state.open,
                    currency=track.state.currency)


# ---------------------------------------------------------------------------------------------
# small helpers the rule sets share


def end_of_year(day: date) -> date:
    return date(day.year, 12, 31)
