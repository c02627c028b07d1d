"""Money as of a date: open balance per invoice, unapplied credit, disputes, promises and plans (pure).

How money is applied (ledger-format.md, "Payment allocation"), replayed from the dated events alone:

* Events are taken in time order, each on its day in the ledger's time zone
  (`2025-05-02T23:30:00+00:00` is 2025-05-03 in Asia/Shanghai). An invoice exists from its `issued`
  day: a payment can only go to invoices issued on or before the payment's day.
* A payment goes first to the invoice it names (when that invoice is issued, open and in the
  payment's currency), then to the open invoices of its currency, oldest effective due date first,
  ties by invoice id. Its currency is its `currency`, else the named invoice's, else the debtor's
  `currency`, else the ledger's `currency`.
* A credit goes to its invoice; what exceeds that invoice's open amount is treated like an
  overpayment.
* Money beyond every open invoice of its currency is **unapplied credit**: kept per currency and
  shown, never lost. It stays on the debtor's account and is applied to the next invoices of that
  currency as they are issued (on their issue day, named invoice first, then oldest due first),
  the way an accountant nets a customer's credit balance (a prepayment, 预收账款) against new
  invoices, and as set-off of mutual money debts works (PRC Civil Code Art. 568). So a debtor is
  never dunned for an invoice its own credit already covers; while no invoice is open the credit
  is shown as what the creditor owes back. Such an application is recorded with `carried=True`:
  the debtor did not pay *that* invoice on that day, which matters to limitation (a part payment
  interrupts the period only for the invoices it was applied to when made).
* Effective due date: the invoice's `due`, else `issued + terms_days`; a `status: bankrupt` event
  makes every invoice issued by then due on that day where that is earlier (Enterprise Bankruptcy
  Law Art. 46: unmatured claims are deemed due on acceptance of the bankruptcy petition).
* Disputed invoices stay open and owed; they are only flagged. A `dispute` event names its
  invoices, or all invoices open at that moment when it names none; a later `resolve` naming them,
  or naming none, ends the dispute.

Promises (from contact events with `promise:`) and instalment plans (`plan` events) are measured
against the payments made after them; see `promise_states` and `plan_states`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Literal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dunning.model import ContactEvent
from dunning.model import Debtor
from dunning.model import Invoice
from dunning.model import Plan
from dunning.model import Settings

ZERO = Decimal("0.00")

AllocationKind = Literal["payment", "credit"]
PromiseStatus = Literal["pending", "kept", "broken"]
InstallmentStatus = Literal["paid", "late", "missed", "pending"]
PlanStatus = Literal["completed", "on_track", "behind"]

# Only these event types move money, due dates or dispute flags; the others are skipped unread.
MONEY_EVENTS = frozenset({"payment", "credit", "dispute", "resolve", "status"})


class InvoiceState:
    """One invoice as of a date: its effective due date, what was paid and credited, what is open."""

    __slots__ = ("amount", "credited", "currency", "disputed", "due", "id", "invoice", "issued", "live",
                 "open", "paid")

    def __init__(self, invoice: Invoice, invoice_id: str, issued: date, due: date, currency: str,
                 amount: Decimal) -> None:
        # The values come in already read: attribute reads on pydantic models cost 3x a plain
        # object's, and this runs for every invoice of the ledger.
        self.invoice = invoice
        self.id = invoice_id
        self.issued = issued
        self.due = due
        self.currency = currency
        self.amount = amount
        self.paid = ZERO
        self.credited = ZERO
        self.open = amount
        self.disputed = False
        self.live = False  # issued as of the event being replayed

    @classmethod
    def of(cls, invoice: Invoice, due: date, currency: str) -> InvoiceState:
        return cls(invoice, invoice.id, invoice.issued, due, currency, invoice.amount)

    @property
    def contract(self) -> str | None:
        return self.invoice.contract

    def days_overdue(self, as_of: date) -> int:
        """as_of minus the effective due date: 0 on the due date, negative before it."""
        return (as_of - self.due).days

    def __repr__(self) -> str:
        return (f"InvoiceState({self.id!r}, due={self.due}, {self.currency} amount={self.amount} "
                f"paid={self.paid} credited={self.credited} open={self.open}"
                f"{' disputed' if self.disputed else ''})")


class Allocation(NamedTuple):
    """Which event's money went to which invoice, on which day.

    `carried` is set when the money had been waiting as unapplied credit and was applied on `day`,
    the day the invoice was issued, rather than when the debtor paid (see the module docstring).
    """

    event_index: int
    day: date
    invoice: str
    amount: Decimal
    kind: AllocationKind
    carried: bool = False


class PaymentRecord(NamedTuple):
    """A payment as the replay saw it: its day, its event index, its resolved currency."""

    event_index: int
    day: date
    currency: str
    amount: Decimal


@dataclass(slots=True)
class DebtorState:
    """A debtor's money as of `as_of`."""

    as_of: date
    currency: str  # the debtor's own currency: its `currency`, else the ledger's
    invoices: list[InvoiceState]  # issued on or before as_of, in effective due order (ties by id)
    unapplied: dict[str, Decimal]  # per currency, only currencies with credit
    allocations: list[Allocation]  # empty when computed with trail=False (see debtor_state)
    payments: list[PaymentRecord]  # the same
    status: str = "active"  # the latest status event's status
    bankrupt_on: date | None = None  # day of the first `status: bankrupt` event
    disputed_since: dict[str, date] = field(default_factory=dict)

    @property
    def bankrupt(self) -> bool:
        return self.bankrupt_on is not None

    def open_by_currency(self) -> dict[str, Decimal]:
        """Open amount per currency (currencies with nothing open are left out)."""
        totals: dict[str, Decimal] = {}
        for state in self.invoices:
            if state.open:
                totals[state.currency] = totals.get(state.currency, ZERO) + state.open
        return totals

    def open_invoices(self) -> list[InvoiceState]:
        return [s for s in self.invoices if s.open > 0]

    def invoice(self, invoice_id: str) -> InvoiceState | None:
        for state in self.invoices:
            if state.id == invoice_id:
                return state
        return None


@dataclass(frozen=True, slots=True)
class ReplayTerms:
    """All that the replay (`debtor_state`) reads of the settings. `dunning.settled.fingerprint` is made
    of these fields: a setting the replay comes to read must be added here, never read directly."""

    zone: ZoneInfo
    currency: str


_terms_cache: list[tuple[Settings, ReplayTerms]] = []


def replay_terms(settings: Settings) -> ReplayTerms:
    """The settings as the replay reads them."""
    # One entry keyed by identity: a report calls debtor_state 100k times with the same settings,
    # and building a ZoneInfo or reading pydantic properties each time would dominate the cost.
    if _terms_cache and _terms_cache[0][0] is settings:
        return _terms_cache[0][1]
    terms = ReplayTerms(settings.zone, settings.currency)
    _terms_cache[:] = [(settings, terms)]
    return terms


def _day(at: date | datetime, zone: ZoneInfo) -> date:
    """The event's day in the ledger's zone (`dunning.model.event_day`, inlined for the hot loop)."""
    if type(at) is date:
        return at
    assert isinstance(at, datetime)
    if at.tzinfo is None:
        return at.date()
    return at.astimezone(zone).date()


_BY_DUE = attrgetter("due", "id")
# NamedTuple construction goes through a Python-level __new__; tuple.__new__ builds the same object in C.
_new_tuple = tuple.__new__
_BY_ISSUE = attrgetter("issued")


def debtor_currency(debtor: Debtor, settings: Settings) -> str:
    """The currency of whatever in this debtor's file has none: its own `currency`, else the ledger's."""
    return debtor.currency or settings.currency


@dataclass(slots=True)
class _Unapplied:
    """Money of one event waiting for an invoice: what is left of it, and the invoice it named."""

    event_index: int
    kind: AllocationKind
    invoice: str | None
    amount: Decimal


def _allocate(states: list[InvoiceState], allocations: list[Allocation] | None, currency: str, amount: Decimal,
              day: date, index: int, kind: AllocationKind, named: InvoiceState | None,
              carried: bool = False) -> Decimal:
    """The named invoice first, then the open invoices of the currency oldest due first (`states` is
    in that order); returns what is left over."""
    payment = kind == "payment"
    for state in states if named is None else (named, *states):
        if state.open and state.live and state.currency == currency:
            open_amount = state.open
            take = amount if amount < open_amount else open_amount
            state.open = open_amount - take
            if payment:
                state.paid += take
            else:
                state.credited += take
            if allocations is not None:
                allocations.append(_new_tuple(Allocation, (index, day, state.id, take, kind, carried)))
            amount -= take
            if not amount:
                break
    return amount


def _apply_pool(pool: dict[str, list[_Unapplied]], states: list[InvoiceState],
                allocations: list[Allocation] | None, day: date) -> None:
    """Newly issued invoices take up the credit waiting in their currency, oldest credit first."""
    by_id = {s.id: s for s in states}
    for currency, entries in list(pool.items()):
        for entry in entries:
            if entry.amount:
                named = by_id.get(entry.invoice) if entry.invoice is not None else None
                entry.amount = _allocate(states, allocations, currency, entry.amount, day, entry.event_index,
                                         entry.kind, named, carried=True)
        left = [e for e in entries if e.amount]
        if left:
            pool[currency] = left
        else:
            del pool[currency]


def _issue(queue: list[InvoiceState], k: int, day: date, pool: dict[str, list[_Unapplied]],
           states: list[InvoiceState], allocations: list[Allocation] | None) -> int:
    """Issue the invoices of `queue` (in issue order) from `k` up to `day`, one issue day at a time so
    that waiting credit goes to them on their own issue day; returns the next index to issue."""
    waiting = len(queue)
    while k < waiting and queue[k].issued <= day:
        issue_day = queue[k].issued
        while k < waiting and queue[k].issued == issue_day:
            queue[k].live = True
            k += 1
        if pool:
            _apply_pool(pool, states, allocations, issue_day)
    return k


def _invoice_currency(debtor: Debtor, states: list[InvoiceState], invoice_id: str | None,
                      currency: str) -> tuple[InvoiceState | None, str | None]:
    """The named invoice's state (when issued as of as_of) and its currency (from the file otherwise)."""
    if invoice_id is None:
        return None, None
    for state in states:
        if state.id == invoice_id:
            return state, state.currency
    for invoice in debtor.invoices:
        if invoice.id == invoice_id:
            return None, invoice.currency or currency
    return None, None


def debtor_state(debtor: Debtor, settings: Settings, as_of: date, *, trail: bool = True) -> DebtorState:
    """The debtor's invoices, credit, disputes and status as of `as_of`, from the dated events alone.

    `trail=False` leaves `allocations` and `payments` empty: the balances alone (what `age` needs)
    come ~20% faster without the record of which money went where."""
    # This runs once per debtor in `dunning age` over 100k debtors: locals and inlined steps on
    # purpose, rare cases (early credit, bankruptcy, disputes) in helpers.
    terms = replay_terms(settings)
    zone = terms.zone
    currency = debtor.currency or terms.currency
    terms_days = None
    states = []
    for invoice in debtor.invoices:
        issued = invoice.issued
        if issued <= as_of:
            due = invoice.due
            if due is None:
                if terms_days is None:
                    terms_days = timedelta(days=debtor.terms_days or 0)
                due = issued + terms_days
            states.append(InvoiceState(invoice, invoice.id, issued, due, invoice.currency or currency,
                                       invoice.amount))
    states.sort(key=_BY_DUE)
    queue = sorted(states, key=_BY_ISSUE)
    waiting = len(queue)  # invoices not yet issued at the point of the replay
    issued_upto = 0

    events = debtor.events
    relevant: list[tuple[date, int]] = []
    for index, event in enumerate(events):
        if event.type in MONEY_EVENTS:
            at = event.at
            day = at if type(at) is date else _day(at, zone)
            if day <= as_of:
                relevant.append((day, index))
    # Files keep events in time order (`check` enforces it); sorting makes a stray one harmless.
    relevant.sort()

    allocations: list[Allocation] | None = [] if trail else None
    payments: list[PaymentRecord] | None = [] if trail else None
    pool: dict[str, list[_Unapplied]] = {}
    status = "active"
    bankrupt_on: date | None = None
    disputed: dict[str, date] = {}
    for day, index in relevant:
        if issued_upto < waiting and queue[issued_upto].issued <= day:
            issued_upto = _issue(queue, issued_upto, day, pool, states, allocations)
        event = events[index]
        # by the tag (mypy narrows on it): isinstance on a record is a Python-level call (model.py)
        if event.type == "payment":
            named_id = event.invoice
            amount = event.amount
            if named_id is None:
                named = None
                pay_currency = event.currency or currency
            else:
                named, named_currency = _invoice_currency(debtor, states, named_id, currency)
                pay_currency = event.currency or named_currency or currency
            if payments is not None:
                payments.append(_new_tuple(PaymentRecord, (index, day, pay_currency, amount)))
            rest = _allocate(states, allocations, pay_currency, amount, day, index, "payment", named)
            if rest:
                pool.setdefault(pay_currency, []).append(_Unapplied(index, "payment", named_id, rest))
        elif event.type == "credit":
            named, named_currency = _invoice_currency(debtor, states, event.invoice, currency)
            credit_currency = named_currency or currency
            rest = _allocate(states, allocations, credit_currency, event.amount, day, index, "credit", named)
            if rest:
                pool.setdefault(credit_currency, []).append(_Unapplied(index, "credit", event.invoice, rest))
        elif event.type == "dispute":
            named_ids = event.invoices
            if named_ids is None:
                named_ids = [s.id for s in states if s.live and s.open]
            for invoice_id in named_ids:
                disputed.setdefault(invoice_id, day)
        elif event.type == "resolve":
            if event.invoices is None:
                disputed.clear()
            else:
                for invoice_id in event.invoices:
                    disputed.pop(invoice_id, None)
        elif event.type == "status":
            status = event.status
            if status == "bankrupt" and bankrupt_on is None:
                bankrupt_on = day
                for state in states:
                    if state.live and state.due > day:
                        state.due = day
                states.sort(key=_BY_DUE)
    if issued_upto < waiting:
        _issue(queue, issued_upto, as_of, pool, states, allocations)

    if disputed:
        for state in states:
            if state.id in disputed:
                state.disputed = True
    unapplied = {c: sum((e.amount for e in entries), ZERO) for c, entries in pool.items()} if pool else {}
    return DebtorState(as_of, currency, states, unapplied, allocations or [], payments or [], status, bankrupt_on,
                       disputed)


# ---------------------------------------------------------------------------------------------
# promises


@dataclass(frozen=True, slots=True)
class PromiseState:
    """A promise to pay `amount` by the end of `due`, measured against the payments made after it."""

    event_index: int
    made: date  # the day of the contact in which it was made
    due: date  # the promised date: paid by the end of it
    amount: Decimal
    currency: str
    paid: Decimal  # paid after the promise, up to the end of its date (or as_of, if earlier)
    status: PromiseStatus
    kept_on: date | None  # the day the payments reached the promised amount
    by: str | None
    with_: str | None


def promise_status(amount: Decimal, due: date, paid: Decimal, as_of: date) -> PromiseStatus:
    """kept when `paid` (counted up to the end of `due`) reaches `amount`; broken once `due` has
    passed without it; pending until then."""
    if paid >= amount:
        return "kept"
    return "broken" if as_of > due else "pending"


def _single_currency(debtor: Debtor, fallback: str) -> str:
    currencies = {i.currency or fallback for i in debtor.invoices}
    return currencies.pop() if len(currencies) == 1 else fallback


def _event_currency(debtor: Debtor, explicit: str | None, invoices: Sequence[str] | None,
                    fallback: str) -> str:
    """A promise's or plan's currency: its own, else its first named invoice's, else the debtor's
    only invoice currency, else the debtor's currency."""
    if explicit:
        return explicit
    if invoices:
        for invoice in debtor.invoices:
            if invoice.id == invoices[0]:
                return invoice.currency or fallback
    return _single_currency(debtor, fallback)


def _payments_after(state: DebtorState, index: int, day: date, currency: str) -> list[PaymentRecord]:
    return [p for p in state.payments if p.event_index > index and p.day >= day and p.currency == currency]


def promise_states(debtor: Debtor, settings: Settings, as_of: date,
                   state: DebtorState | None = None) -> list[PromiseState]:
    """Every promise made on or before as_of, oldest first, with its status as of as_of.

    Each promise is measured on its own: the payments made after it (later events, in its
    currency) up to the end of its promised date count toward it.
    """
    if state is None:
        state = debtor_state(debtor, settings, as_of)
    zone = replay_terms(settings).zone
    found = []
    for index, event in enumerate(debtor.events):
        if not isinstance(event, ContactEvent) or event.promise is None:
            continue
        made = _day(event.at, zone)
        if made > as_of:
            continue
        promise = event.promise
        currency = _event_currency(debtor, promise.currency, event.invoices, state.currency)
        paid = ZERO
        kept_on = None
        for payment in _payments_after(state, index, made, currency):
            if payment.day > promise.date:
                break
            paid += payment.amount
            if kept_on is None and paid >= promise.amount:
                kept_on = payment.day
        found.append(PromiseState(index, made, promise.date, promise.amount, currency, paid,
                                  promise_status(promise.amount, promise.date, paid, as_of), kept_on,
                                  event.by, event.with_))
    return found


# ---------------------------------------------------------------------------------------------
# instalment plans


@dataclass(frozen=True, slots=True)
class InstallmentState:
    number: int  # 1-based
    due: date
    amount: Decimal
    paid: Decimal  # the part of this instalment covered as of as_of
    status: InstallmentStatus
    paid_on: date | None  # the day the cumulative payments covered it


@dataclass(frozen=True, slots=True)
class PlanState:
    event_index: int
    day: date
    signed: bool
    currency: str
    total: Decimal
    paid: Decimal  # paid after the plan, as of as_of (may exceed the total)
    installments: list[InstallmentState]
    superseded: bool  # a later plan was agreed on or before as_of

    @property
    def status(self) -> PlanStatus:
        """completed: every instalment covered; behind: one is missed; otherwise on_track."""
        if all(i.status in ("paid", "late") for i in self.installments):
            return "completed"
        if any(i.status == "missed" for i in self.installments):
            return "behind"
        return "on_track"

    @property
    def next_installment(self) -> InstallmentState | None:
        for installment in self.installments:
            if installment.status in ("pending", "missed"):
                return installment
        return None


def installment_status(due: date, paid_on: date | None, as_of: date) -> InstallmentStatus:
    """paid on or before its due date, late after it, missed once its day has passed unpaid,
    pending until then."""
    if paid_on is not None:
        return "paid" if paid_on <= due else "late"
    return "missed" if as_of > due else "pending"


def _plan_state(debtor: Debtor, plan: Plan, index: int, day: date, state: DebtorState,
                superseded: bool) -> PlanState:
    currency = _event_currency(debtor, plan.currency, plan.invoices, state.currency)
    payments = _payments_after(state, index, day, currency)
    # The day the cumulative payments first reach each running total of the instalments.
    paid_total = ZERO
    running = ZERO
    cursor = 0
    rows = []
    for number, installment in enumerate(plan.installments, start=1):
        start = running
        running += installment.amount
        while paid_total < running and cursor < len(payments):
            paid_total += payments[cursor].amount
            cursor += 1
        paid_on = payments[cursor - 1].day if paid_total >= running else None
        covered = min(max(paid_total - start, ZERO), installment.amount)
        rows.append(InstallmentState(number, installment.due, installment.amount, covered,
                                     installment_status(installment.due, paid_on, state.as_of), paid_on))
    while cursor < len(payments):
        paid_total += payments[cursor].amount
        cursor += 1
    return PlanState(index, day, plan.signed, currency, running, paid_total, rows, superseded)


def plan_states(debtor: Debtor, settings: Settings, as_of: date,
                state: DebtorState | None = None) -> list[PlanState]:
    """Every plan agreed on or before as_of, oldest first, with each instalment's adherence.

    The payments made after a plan (later events, in its currency, up to as_of) are counted
    cumulatively against its instalments in order: an instalment is paid when the running total
    reaches it by its due date, late when it reaches it after, missed when its due date has passed
    without, and pending before. A later plan supersedes an earlier one but does not rewrite it.
    """
    if state is None:
        state = debtor_state(debtor, settings, as_of)
    zone = replay_terms(settings).zone
    plans = [(index, event, _day(event.at, zone)) for index, event in enumerate(debtor.events)
             if isinstance(event, Plan)]
    plans = [p for p in plans if p[2] <= as_of]
    return [_plan_state(debtor, plan, index, day, state, superseded=n < len(plans) - 1)
            for n, (index, plan, day) in enumerate(plans)]


def latest_plan(debtor: Debtor, settings: Settings, as_of: date,
                state: DebtorState | None = None) -> PlanState | None:
    plans = plan_states(debtor, settings, as_of, state)
    return plans[-1] if plans else None
