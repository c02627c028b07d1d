"""Aging: how much is owed and how late, per debtor, invoice or group, and one debtor's overview (pure).

Days overdue are as_of minus the effective due date (see `dunning.balances`). `current` holds what
is not yet overdue (days <= 0); buckets come from `dunning.yaml` (`{A: 30, B: 60, C: null}` holds
1-30, 31-60 and 61 and more). A debtor has one row per currency; its bucket is that of its oldest
overdue open invoice. Disputed invoices are still owed, so they stay in the open amounts and the
buckets; the `disputed` figure says how much of the open amount is disputed. A debtor whose only
balance is unapplied credit is listed (open 0.00) so the credit is never lost from sight; debtors
with no balance at all are left out unless `include_all`.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal
from typing import Protocol

from dunning.balances import ZERO
from dunning.balances import DebtorState
from dunning.balances import InvoiceState
from dunning.balances import PlanState
from dunning.balances import PromiseState
from dunning.balances import debtor_state
from dunning.balances import plan_states
from dunning.balances import promise_states
from dunning.model import Contact
from dunning.model import Debtor
from dunning.model import Event
from dunning.model import Guarantee
from dunning.model import Settings
from dunning.model import event_day
from dunning.model import event_instant

if TYPE_CHECKING:
    from dunning.settled import Snapshots

CURRENT = "current"
_ROW_ORDER = attrgetter("id", "currency")
GROUPINGS = ("debtor", "invoice", "collector", "industry", "region")
Grouping = Literal["debtor", "invoice", "collector", "industry", "region"]


@dataclass(frozen=True)
class Buckets:
    """The aging buckets: `current`, then the settings' buckets with their upper bounds in days."""

    names: tuple[str, ...]  # "current" first
    bounds: tuple[tuple[int | None, str], ...]  # (upper bound, name) of each overdue bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> Buckets:
        return cls((CURRENT, *settings.buckets), tuple((b, n) for n, b in settings.buckets.items()))

    def of(self, days_overdue: int) -> str:
        """The bucket of an invoice that is `days_overdue` days past due."""
        if days_overdue <= 0:
            return CURRENT
        for bound, name in self.bounds:
            if bound is None or days_overdue <= bound:
                return name
        return self.bounds[-1][1]  # the settings guarantee an open-ended last bucket

    def zeros(self) -> dict[str, Decimal]:
        return dict.fromkeys(self.names, ZERO)

    def worst(self, names: Iterable[str]) -> str:
        """The latest of several buckets (a group's bucket is its oldest debtor's)."""
        rank = {n: i for i, n in enumerate(self.names)}
        return max(names, key=rank.__getitem__, default=CURRENT)


_buckets_cache: list[tuple[Settings, Buckets]] = []


def buckets_of(settings: Settings) -> Buckets:
    if _buckets_cache and _buckets_cache[0][0] is settings:
        return _buckets_cache[0][1]
    buckets = Buckets.from_settings(settings)
    _buckets_cache[:] = [(settings, buckets)]
    return buckets


# ---------------------------------------------------------------------------------------------
# rows


class OpenAmount(Protocol):
    """What a debtor's aging rows read of an invoice: `InvoiceState`, or `dunning.settled.OpenItem`."""

    @property
    def currency(self) -> str: ...
    @property
    def due(self) -> date: ...
    @property
    def open(self) -> Decimal: ...
    @property
    def disputed(self) -> bool: ...


class Balances(Protocol):
    """What a debtor's aging rows read of its balances: `DebtorState`, or `dunning.settled.Settled`."""

    @property
    def currency(self) -> str: ...
    @property
    def invoices(self) -> Sequence[OpenAmount]: ...
    @property
    def unapplied(self) -> Mapping[str, Decimal]: ...


@dataclass(slots=True)
class DebtorRow:
    """One debtor in one currency."""

    id: str
    name: str
    collector: str | None
    industry: str | None
    region: str | None
    currency: str
    bucket: str
    days_overdue: int | None  # of the oldest open invoice; None when nothing is open
    open: Decimal
    by_bucket: dict[str, Decimal]
    unapplied: Decimal
    disputed: Decimal  # the part of `open` that is disputed
    invoices: int  # open invoices

    def as_json(self) -> dict[str, Any]:
        """The contract shape of `dunning age --format json` (cli.md); fields may be added only."""
        return {"id": self.id, "name": self.name, "collector": self.collector, "currency": self.currency,
                "bucket": self.bucket, "days_overdue": self.days_overdue, "open": self.open,
                "by_bucket": self.by_bucket, "unapplied": self.unapplied, "disputed": self.disputed}


@dataclass
class InvoiceRow:
    """One open invoice (`--by invoice`)."""

    debtor: str
    name: str
    collector: str | None
    invoice: str
    contract: str | None
    currency: str
    issued: date
    due: date
    days_overdue: int
    bucket: str
    amount: Decimal
    open: Decimal
    disputed: bool

    def as_json(self) -> dict[str, Any]:
        return {"debtor": self.debtor, "invoice": self.invoice, "currency": self.currency, "due": self.due,
                "days_overdue": self.days_overdue, "bucket": self.bucket, "amount": self.amount,
                "open": self.open, "contract": self.contract, "disputed": self.disputed,
                "name": self.name, "collector": self.collector, "issued": self.issued}


@dataclass
class GroupRow:
    """The debtors of one collector, industry or region, in one currency."""

    by: str  # collector, industry or region
    group: str | None
    currency: str
    debtors: int
    bucket: str
    days_overdue: int | None
    open: Decimal
    by_bucket: dict[str, Decimal]
    unapplied: Decimal
    disputed: Decimal

    def as_json(self) -> dict[str, Any]:
        return {self.by: self.group, "currency": self.currency, "debtors": self.debtors, "bucket": self.bucket,
                "days_overdue": self.days_overdue, "open": self.open, "by_bucket": self.by_bucket,
                "unapplied": self.unapplied, "disputed": self.disputed}


@dataclass
class AgingReport:
    as_of: date
    buckets: Buckets
    by: Grouping
    rows: list[DebtorRow] | list[InvoiceRow] | list[GroupRow]
    totals: dict[str, dict[str, Decimal]]  # per currency: each bucket, open (and unapplied, disputed)

    def as_json(self) -> dict[str, Any]:
        """`{"as_of", "buckets", "debtors" | "invoices" | "groups", "totals"}` (cli.md)."""
        document: dict[str, Any] = {"as_of": self.as_of, "buckets": list(self.buckets.names)}
        rows = [r.as_json() for r in self.rows]
        if self.by == "debtor":
            document["debtors"] = rows
        elif self.by == "invoice":
            document["invoices"] = rows
        else:
            document["by"] = self.by
            document["groups"] = rows
        document["totals"] = self.totals
        return document


def _new_row(debtor_id: str, debtor: Debtor, currency: str, names: tuple[str, ...]) -> DebtorRow:
    return DebtorRow(debtor_id, debtor.name, debtor.collector, debtor.industry, debtor.region, currency,
                     CURRENT, None, ZERO, dict.fromkeys(names, ZERO), ZERO, ZERO, 0)


def debtor_rows(debtor_id: str, debtor: Debtor, settings: Settings, as_of: date, *,
                include_all: bool = False, state: Balances | None = None) -> list[DebtorRow]:
    """The debtor's aging rows, one per currency with an open amount or unapplied credit (from `state`
    when given: the debtor's balances as of `as_of`)."""
    buckets = buckets_of(settings)
    if state is None:
        state = debtor_state(debtor, settings, as_of, trail=False)
    names = buckets.names
    bounds = buckets.bounds
    rows: dict[str, DebtorRow] = {}
    for invoice in state.invoices:
        amount = invoice.open
        if not amount:
            continue
        days = (as_of - invoice.due).days
        row = rows.get(invoice.currency)
        if row is None:
            row = rows[invoice.currency] = _new_row(debtor_id, debtor, invoice.currency, names)
        bucket = CURRENT
        if days > 0:  # Buckets.of, inlined: this loop runs for every open invoice of the ledger
            for bound, bucket in bounds:  # noqa: B007 - the last bucket is open-ended
                if bound is None or days <= bound:
                    break
        row.by_bucket[bucket] += amount
        row.open += amount
        row.invoices += 1
        if row.days_overdue is None or days > row.days_overdue:
            row.days_overdue = days
            row.bucket = bucket
        if invoice.disputed:
            row.disputed += amount
    unapplied = state.unapplied
    if not rows and not unapplied:
        if not include_all:
            return []
        rows[state.currency] = _new_row(debtor_id, debtor, state.currency, names)
    for currency, credit in unapplied.items():
        row = rows.get(currency)
        if row is None:
            row = rows[currency] = _new_row(debtor_id, debtor, currency, names)
        row.unapplied = credit
    if len(rows) == 1:
        return list(rows.values())
    return [rows[currency] for currency in sorted(rows)]


def invoice_rows(debtor_id: str, debtor: Debtor, settings: Settings, as_of: date,
                 state: DebtorState | None = None) -> list[InvoiceRow]:
    """One row per open invoice, in due order."""
    buckets = buckets_of(settings)
    if state is None:
        state = debtor_state(debtor, settings, as_of, trail=False)
    rows = []
    for invoice in state.invoices:
        if invoice.open:
            days = (as_of - invoice.due).days
            rows.append(InvoiceRow(debtor_id, debtor.name, debtor.collector, invoice.id, invoice.contract,
                                   invoice.currency, invoice.issued, invoice.due, days, buckets.of(days),
                                   invoice.amount, invoice.open, invoice.disputed))
    return rows


def _group_key(row: DebtorRow, by: str) -> str | None:
    if by == "collector":
        return row.collector
    if by == "industry":
        return row.industry
    return row.region


def _groups(rows: list[DebtorRow], by: str, buckets: Buckets) -> list[GroupRow]:
    grouped: dict[tuple[str, str], list[DebtorRow]] = {}
    for row in rows:
        grouped.setdefault((_group_key(row, by) or "", row.currency), []).append(row)
    result = []
    for (group, currency), members in sorted(grouped.items()):
        by_bucket = buckets.zeros()
        for member in members:
            for name, amount in member.by_bucket.items():
                by_bucket[name] += amount
        overdue = [m.days_overdue for m in members if m.days_overdue is not None]
        result.append(GroupRow(by, group or None, currency, len({m.id for m in members}),
                               buckets.worst(m.bucket for m in members), max(overdue, default=None),
                               sum((m.open for m in members), ZERO), by_bucket,
                               sum((m.unapplied for m in members), ZERO),
                               sum((m.disputed for m in members), ZERO)))
    return result


def _totals(rows: Iterable[DebtorRow | GroupRow | InvoiceRow], buckets: Buckets,
            *, with_credit: bool) -> dict[str, dict[str, Decimal]]:
    totals: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        total = totals.get(row.currency)
        if total is None:
            total = totals[row.currency] = {**buckets.zeros(), "open": ZERO}
            if with_credit:
                total["unapplied"] = ZERO
                total["disputed"] = ZERO
        if isinstance(row, InvoiceRow):
            total[row.bucket] += row.open
        else:
            for name, amount in row.by_bucket.items():
                total[name] += amount
            total["unapplied"] += row.unapplied
            total["disputed"] += row.disputed
        total["open"] += row.open
    return dict(sorted(totals.items()))


def aging(debtors: Mapping[str, Debtor], settings: Settings, as_of: date, *, by: Grouping = "debtor",
          collector: str | None = None, bucket: str | None = None,
          include_all: bool = False, settled: Snapshots | None = None) -> AgingReport:
    """The aging report of the ledger as of `as_of`.

    `collector` keeps the debtors of one collector (a key of `collectors`); `bucket` keeps the rows
    in that bucket (a debtor's bucket, or an invoice's with `by="invoice"`); `include_all` adds the
    debtors with no balance. `settled` (a loaded ledger's `settled`) serves the balances of the
    debtors whose last event is on or before `as_of` from the cache instead of replaying their
    events: the same rows, ~3x faster (dunning.settled).
    """
    buckets = buckets_of(settings)
    if by == "invoice":
        invoices: list[InvoiceRow] = []
        for debtor_id, debtor in debtors.items():
            if collector is not None and debtor.collector != collector:
                continue
            invoices.extend(invoice_rows(debtor_id, debtor, settings, as_of))
        if bucket is not None:
            invoices = [r for r in invoices if r.bucket == bucket]
        return AgingReport(as_of, buckets, by, invoices, _totals(invoices, buckets, with_credit=False))
    rows: list[DebtorRow] = []
    for debtor_id, debtor in debtors.items():
        if collector is not None and debtor.collector != collector:
            continue
        state = settled.state(debtor_id, debtor, settings, as_of) if settled is not None else None
        rows.extend(debtor_rows(debtor_id, debtor, settings, as_of, include_all=include_all, state=state))
    if bucket is not None:
        rows = [r for r in rows if r.bucket == bucket]
    rows.sort(key=_ROW_ORDER)
    if by == "debtor":
        return AgingReport(as_of, buckets, by, rows, _totals(rows, buckets, with_credit=True))
    groups = _groups(rows, by, buckets)
    return AgingReport(as_of, buckets, by, groups, _totals(groups, buckets, with_credit=True))


# ---------------------------------------------------------------------------------------------
# one debtor on one screen (`dunning show`)


@dataclass
class OpenInvoice:
    state: InvoiceState
    days_overdue: int
    bucket: str


@dataclass
class RecentEvent:
    index: int
    day: date
    event: Event


@dataclass
class DebtorOverview:
    """What a collector needs before calling one debtor, as of `as_of`."""

    id: str
    debtor: Debtor
    as_of: date
    state: DebtorState
    collector_name: str | None
    contacts: list[Contact]  # decision makers first
    guarantees: list[Guarantee]
    open_invoices: list[OpenInvoice]  # in due order
    rows: list[DebtorRow]  # the aging rows, one per currency
    recent: list[RecentEvent]  # newest last
    promises: list[PromiseState]  # pending ones, and the latest one whatever its status
    plan: PlanState | None  # the latest plan
    credit_used: Decimal  # open in the debtor's own currency
    events_total: int = 0
    all_promises: list[PromiseState] = field(default_factory=list)

    @property
    def credit_exceeded(self) -> bool:
        limit = self.debtor.credit_limit
        return limit is not None and self.credit_used > limit

    def call_about(self) -> OpenInvoice | None:
        """The invoice to open a call with: the oldest overdue undisputed one, else the oldest open."""
        overdue = [i for i in self.open_invoices if i.days_overdue > 0 and not i.state.disputed]
        if overdue:
            return max(overdue, key=lambda i: i.days_overdue)
        return self.open_invoices[0] if self.open_invoices else None


def ordered_contacts(contacts: Iterable[Contact]) -> list[Contact]:
    """Decision makers first, otherwise as written in the file."""
    return sorted(contacts, key=lambda c: not c.decision_maker)


def debtor_overview(debtor_id: str, debtor: Debtor, settings: Settings, as_of: date, *,
                    events: int = 10) -> DebtorOverview:
    """Everything `dunning show` prints, from the debtor's file alone, as of `as_of`."""
    buckets = buckets_of(settings)
    zone = settings.zone
    state = debtor_state(debtor, settings, as_of)
    open_invoices = []
    for invoice in state.invoices:
        if invoice.open:
            days = invoice.days_overdue(as_of)
            open_invoices.append(OpenInvoice(invoice, days, buckets.of(days)))
    dated = [(event_instant(e.at, zone), i, e) for i, e in enumerate(debtor.events)]
    dated = [d for d in dated if event_day(d[2].at, zone) <= as_of]
    dated.sort(key=lambda d: (d[0], d[1]))
    recent = [RecentEvent(i, event_day(e.at, zone), e) for _, i, e in dated[max(len(dated) - events, 0):]] \
        if events > 0 else []
    promises = promise_states(debtor, settings, as_of, state)
    shown = [p for p in promises if p.status == "pending"]
    if promises and promises[-1] not in shown:
        shown.append(promises[-1])
    shown.sort(key=lambda p: p.event_index)
    plans = plan_states(debtor, settings, as_of, state)
    collector_name = settings.collectors.get(debtor.collector, debtor.collector) \
        if debtor.collector is not None else None
    return DebtorOverview(
        id=debtor_id, debtor=debtor, as_of=as_of, state=state, collector_name=collector_name,
        contacts=ordered_contacts(debtor.contacts), guarantees=list(debtor.guarantees),
        open_invoices=open_invoices, rows=debtor_rows(debtor_id, debtor, settings, as_of, state=state),
        recent=recent, promises=shown, plan=plans[-1] if plans else None,
        credit_used=state.open_by_currency().get(state.currency, ZERO), events_total=len(dated),
        all_promises=promises)
