"""Portfolio analytics over a period: recovery, DSO, aging, roll rates, promises kept, days to pay (pure).

Every figure is per currency (amounts of different currencies are never added) and per segment
(industry, region or collector), with a total per currency. The period runs from `start` to `end`
inclusive; by default the last 12 full months up to the as-of date (`default_period`).

Observation points: the day before the period starts (the opening balance), every month end inside
the period, and `end` itself. For the default period these are 13 month ends and 12 steps.

* **due**: what was collectible in the period: for every invoice whose due date is on or before
  `end`, its amount less what was paid or credited on it before `start`, and less credit already on
  the account that was carried to it (prepayments: not collected in the period). This is "open at
  the period start + invoices falling due in the period" without counting an invoice twice.
* **collected**: payments received in the period and applied to those invoices (credit notes are
  not collections). **recovery rate** = collected / due (at most 100 %).
  **received** (JSON): every payment received in the period, including early payments on invoices
  not yet due and money left unapplied.
* **DSO** (countback): the open receivables at `end`, counted back through the invoiced sales
  (amounts issued) of each calendar month: the month of `end` (its days up to `end`) first, then
  each month before it in full while the balance exceeds that month's sales, then the fraction
  balance left / sales of the last month reached, times its days.
* **by bucket**: open amounts at `end` by days overdue (`current`, then the ledger's buckets).
* **roll rates**: for each step from one observation point to the next and each bucket X but the
  last, roll X→Y (Y the next bucket) = the open amount at the later point of the invoices that were
  in X at the earlier point and are in Y now, divided by the balance of X at the earlier point.
  The period's roll rate is the plain mean over the steps in which X held a balance (None if none).
* **promise-kept ratio**: kept / (kept + broken) of the promises whose promised date falls in the
  period, judged as of `end` (a promise still pending on `end` counts in neither).
* **days to pay**: the payment-weighted mean of (payment day - the invoice's due date) over the
  payments received in the period, each part of a payment weighted by the amount it settled;
  negative when invoices are paid before they fall due.

Cost: balances at every observation point come from one `debtor_state` replay per debtor (at `end`
or later) and its dated allocations: an invoice's open amount on day d is its amount less the
allocations made on or before d, exactly what `debtor_state(..., d)` would give (the replay takes
events in day order, so the allocations up to d do not depend on later events). A bankruptcy only
moves due dates from its own day on. So a debtor costs one replay plus its invoices times the points
at which they are open, not one replay per month end.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import Any
from typing import Literal

from dunning.aging import CURRENT
from dunning.aging import buckets_of
from dunning.balances import ZERO
from dunning.balances import Allocation
from dunning.balances import DebtorState
from dunning.balances import InvoiceState
from dunning.balances import debtor_state
from dunning.balances import promise_states
from dunning.balances import promise_status
from dunning.model import ContactEvent
from dunning.model import Debtor
from dunning.model import Settings

Segment = Literal["industry", "region", "collector"]
SEGMENTS: tuple[str, ...] = ("industry", "region", "collector")
_SEGMENT_FIELD = {"industry": 0, "region": 1, "collector": 2}
ONE_DAY = timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# the period


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _month_back(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both inclusive."""

    start: date
    end: date

    @property
    def points(self) -> tuple[date, ...]:
        """The day before `start`, each month end strictly inside the period, and `end`."""
        points = [self.start - ONE_DAY]
        day = month_end(self.start)
        while day < self.end:
            points.append(day)
            day = month_end(day + ONE_DAY)
        points.append(self.end)
        return tuple(points)


def months_to(end: date, months: int = 12) -> Period:
    """The period of `months` calendar months ending on `end` (its own month counting as one):
    12 months to 2026-10-31 start on 2025-11-01, to 2026-11-15 on 2025-12-01."""
    year, month = end.year, end.month
    for _ in range(months - 1):
        year, month = _month_back(year, month)
    return Period(date(year, month, 1), end)


def default_period(as_of: date) -> Period:
    """The last 12 full months up to `as_of`: as of 2026-11-28, 2025-11-01 to 2026-10-31 (as of a month's
    last day, that month is full and included)."""
    end = as_of if as_of == month_end(as_of) else as_of.replace(day=1) - ONE_DAY
    return months_to(end)


# ---------------------------------------------------------------------------------------------
# balances on earlier days from one replay


class History:
    """A debtor's invoices on any day up to `state.as_of`, from that one replay's dated allocations."""

    __slots__ = ("allocations", "bankrupt_on", "state", "terms_days")

    def __init__(self, debtor: Debtor, state: DebtorState) -> None:
        self.state = state
        self.bankrupt_on = state.bankrupt_on
        self.terms_days = timedelta(days=debtor.terms_days or 0)
        allocations: dict[str, list[Allocation]] = {}
        for allocation in state.allocations:
            allocations.setdefault(allocation.invoice, []).append(allocation)
        for found in allocations.values():
            if len(found) > 1:
                found.sort(key=_allocation_day)
        self.allocations = allocations

    def original_due(self, invoice: InvoiceState) -> date:
        due = invoice.invoice.due
        return due if due is not None else invoice.issued + self.terms_days

    def due_on(self, invoice: InvoiceState, day: date) -> date:
        """The effective due date as it stood on `day`: a bankruptcy brings due dates forward only from
        its own day on (`dunning.balances`)."""
        if self.bankrupt_on is None or day >= self.bankrupt_on:
            return invoice.due
        return self.original_due(invoice)

    def open_on(self, invoice: InvoiceState, day: date) -> Decimal:
        """What `debtor_state(debtor, settings, day)` shows open on this invoice (0 before it is issued)."""
        if invoice.issued > day:
            return ZERO
        left = invoice.amount
        for allocation in self.allocations.get(invoice.id, ()):
            if allocation.day > day:
                break
            left -= allocation.amount
        return left


def _allocation_day(allocation: Allocation) -> date:
    return allocation.day


def bucket_index(days_overdue: int, bounds: tuple[tuple[int | None, str], ...]) -> int:
    """0 for current, then 1, 2, ... for the ledger's buckets in order (`Buckets.of` as an index)."""
    if days_overdue <= 0:
        return 0
    for number, (bound, _name) in enumerate(bounds, start=1):
        if bound is None or days_overdue <= bound:
            return number
    return len(bounds)


# ---------------------------------------------------------------------------------------------
# additive figures of a cell (one industry, region, collector and currency)


class Figures:
    """Sums that add up across debtors; the rates are derived from them at the end (`Summary`)."""

    __slots__ = ("broken", "changes", "collected", "debtors", "due", "kept", "paid_amount", "paid_days",
                 "received", "rolled", "sales")

    def __init__(self, points: int, buckets: int) -> None:
        self.due = ZERO
        self.collected = ZERO
        self.received = ZERO
        # Open amounts per point and bucket, kept as changes: an invoice that stays in one bucket with
        # the same amount over many points is one entry where it starts and one where it stops.
        self.changes = [[ZERO] * buckets for _ in range(points + 1)]  # [point][bucket]
        self.rolled = [[ZERO] * (buckets - 1) for _ in range(points - 1)]  # [step][from bucket]
        self.sales: dict[tuple[int, int], Decimal] = {}  # (year, month) -> amount issued
        self.kept = 0
        self.broken = 0
        self.paid_days = ZERO  # sum of amount x days from due date to payment
        self.paid_amount = ZERO
        self.debtors = 0  # with something open at the period end

    def balances(self) -> list[list[Decimal]]:
        """Open amount at each point, per bucket."""
        running = [ZERO] * len(self.changes[0])
        found = []
        for change in self.changes[:-1]:
            running = [a + b for a, b in zip(running, change, strict=True)]
            found.append(running)
        return found

    def add(self, other: Figures) -> None:
        self.due += other.due
        self.collected += other.collected
        self.received += other.received
        for mine, theirs in zip(self.changes, other.changes, strict=True):
            for k, amount in enumerate(theirs):
                mine[k] += amount
        for mine, theirs in zip(self.rolled, other.rolled, strict=True):
            for k, amount in enumerate(theirs):
                mine[k] += amount
        for month, amount in other.sales.items():
            self.sales[month] = self.sales.get(month, ZERO) + amount
        self.kept += other.kept
        self.broken += other.broken
        self.paid_days += other.paid_days
        self.paid_amount += other.paid_amount
        self.debtors += other.debtors


CellKey = tuple[str | None, str | None, str | None, str]  # industry, region, collector, currency


def add_debtor(cells: dict[CellKey, Figures], debtor: Debtor, settings: Settings, period: Period,
               state: DebtorState, points: tuple[date, ...] | None = None,
               history: History | None = None) -> None:
    """Add one debtor's figures for `period` to `cells`, from its state as of `period.end` or later."""
    if state.as_of < period.end:
        raise ValueError(f"the state is as of {state.as_of}, before the period end {period.end}")
    if points is None:
        points = period.points
    start, end = period.start, period.end
    buckets = buckets_of(settings)
    bounds = buckets.bounds
    width = len(buckets.names)
    last = width - 1
    uppers = [0, *(bound or 0 for bound, _ in bounds)]  # days overdue at which each bucket ends
    tail = uppers[-2]  # the last bucket starts after this many days
    entries = [timedelta(days=upper + 1) for upper in uppers]  # from the due date to the next bucket
    size = len(points)
    segment = (debtor.industry, debtor.region, debtor.collector)
    if history is None:
        history = History(debtor, state)
    bankrupt_on = history.bankrupt_on
    open_currencies: set[str] = set()

    def cell(currency: str) -> Figures:
        key = (*segment, currency)
        found = cells.get(key)
        if found is None:
            found = cells[key] = Figures(size, width)
        return found

    for invoice in state.invoices:
        issued = invoice.issued
        if issued > end:
            continue
        figures = cell(invoice.currency)
        month = (issued.year, issued.month)
        figures.sales[month] = figures.sales.get(month, ZERO) + invoice.amount
        allocations = history.allocations.get(invoice.id, ())
        if not invoice.open and allocations and allocations[-1].day < start:
            continue  # settled before the period: only its sales count
        final_due = invoice.due
        original_due = final_due if bankrupt_on is None else history.original_due(invoice)

        # Collectible in the period, collected, and days to pay.
        due_at_end = final_due if bankrupt_on is None or end >= bankrupt_on else original_due
        in_base = due_at_end <= end
        base = invoice.amount
        for allocation in allocations:
            day = allocation.day
            if day < start:
                base -= allocation.amount
            elif day <= end:
                if allocation.carried:
                    base -= allocation.amount
                elif allocation.kind == "payment":
                    amount = allocation.amount
                    if in_base:
                        figures.collected += amount
                    due = final_due if bankrupt_on is None or day >= bankrupt_on else original_due
                    figures.paid_days += amount * (day - due).days
                    figures.paid_amount += amount
        if in_base:
            figures.due += base

        # Open amount and bucket at each observation point, walked segment by segment: between two
        # points where nothing changes (no allocation, no bucket boundary, no bankruptcy) the invoice
        # keeps its amount and bucket, and those points cost nothing.
        index = bisect_left(points, issued)
        left = invoice.amount
        cursor = 0
        count = len(allocations)
        previous = -1  # bucket in the previous segment
        changes = figures.changes
        while index < size:
            point = points[index]
            while cursor < count and allocations[cursor].day <= point:
                left -= allocations[cursor].amount
                cursor += 1
            if not left:
                break
            if bankrupt_on is None or point >= bankrupt_on:
                due = final_due
                change: date | None = None
            else:
                due = original_due
                change = bankrupt_on
            days = (point - due).days
            if days <= 0:
                bucket = 0
            elif days > tail:  # most long-open invoices sit in the last bucket
                bucket = last
            else:
                bucket = bucket_index(days, bounds)
            if bucket < last:  # the day it enters the next bucket
                entry = due + entries[bucket]
                if change is None or entry < change:
                    change = entry
            if cursor < count:
                paid_on = allocations[cursor].day
                if change is None or paid_on < change:
                    change = paid_on
            stop = size if change is None else bisect_left(points, change, index + 1)
            changes[index][bucket] += left
            changes[stop][bucket] -= left
            if previous >= 0 and bucket == previous + 1:
                figures.rolled[index - 1][previous] += left
            previous = bucket
            index = stop
        if left and index >= size:  # still open at the period end
            open_currencies.add(invoice.currency)

    for currency in open_currencies:
        cell(currency).debtors += 1
    for payment in state.payments:
        if start <= payment.day <= end:
            cell(payment.currency).received += payment.amount
    if not any(isinstance(event, ContactEvent) and event.promise is not None
               and start <= event.promise.date <= end for event in debtor.events):
        return
    for promise in promise_states(debtor, settings, state.as_of, state):
        # `paid` counts up to the promised date, so judging it as of `end` needs no other replay.
        if start <= promise.due <= end:
            status = promise_status(promise.amount, promise.due, promise.paid, end)
            if status == "kept":
                cell(promise.currency).kept += 1
            elif status == "broken":
                cell(promise.currency).broken += 1


# ---------------------------------------------------------------------------------------------
# derived figures


@dataclass(frozen=True)
class RollRate:
    source: str
    target: str
    rate: Decimal | None  # mean over the steps in which `source` held a balance
    steps: int  # how many steps that mean is over


@dataclass(frozen=True)
class MonthPoint:
    day: date
    by_bucket: dict[str, Decimal]
    open: Decimal
    overdue: Decimal


def ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole else None


def countback_dso(balance: Decimal, sales: Mapping[tuple[int, int], Decimal], end: date) -> Decimal:
    """Days sales outstanding by the countback method (see the module docstring)."""
    if balance <= 0:
        return Decimal(0)
    earliest = min(sales, default=(end.year, end.month))
    year, month = end.year, end.month
    month_days = end.day
    days = Decimal(0)
    while True:
        sold = sales.get((year, month), ZERO)
        if sold >= balance:
            return days + balance / sold * month_days
        days += month_days
        balance -= sold
        if (year, month) <= earliest:
            return days  # cannot happen with consistent figures: the balance is part of the sales
        year, month = _month_back(year, month)
        month_days = calendar.monthrange(year, month)[1]


@dataclass(frozen=True)
class Summary:
    """One segment (or the total) in one currency over the period."""

    segment: str | None  # None: the total row
    currency: str
    debtors: int
    due: Decimal
    collected: Decimal
    received: Decimal
    recovery_rate: Decimal | None
    dso: Decimal
    by_bucket: dict[str, Decimal]
    open: Decimal
    roll_rates: list[RollRate]
    promises_kept: int
    promises_broken: int
    promise_kept_ratio: Decimal | None
    days_to_pay: Decimal | None
    months: list[MonthPoint]

    @property
    def overdue(self) -> Decimal:
        return self.open - self.by_bucket[CURRENT]

    def roll(self, source: str) -> Decimal | None:
        for roll in self.roll_rates:
            if roll.source == source:
                return roll.rate
        return None


def summarize(figures: Figures, segment: str | None, currency: str, names: tuple[str, ...],
              points: tuple[date, ...], end: date) -> Summary:
    balances = figures.balances()
    months = []
    for day, amounts in zip(points, balances, strict=True):
        by_bucket = dict(zip(names, amounts, strict=True))
        total = sum(amounts, ZERO)
        months.append(MonthPoint(day, by_bucket, total, total - amounts[0]))
    rolls = []
    for k in range(len(names) - 1):
        rates = [rolled[k] / balances[step][k] for step, rolled in enumerate(figures.rolled)
                 if balances[step][k]]
        mean = sum(rates, Decimal(0)) / len(rates) if rates else None
        rolls.append(RollRate(names[k], names[k + 1], mean, len(rates)))
    last = months[-1]
    return Summary(
        segment=segment, currency=currency, debtors=figures.debtors, due=figures.due,
        collected=figures.collected, received=figures.received,
        recovery_rate=ratio(figures.collected, figures.due),
        dso=countback_dso(last.open, figures.sales, end), by_bucket=last.by_bucket, open=last.open,
        roll_rates=rolls, promises_kept=figures.kept, promises_broken=figures.broken,
        promise_kept_ratio=ratio(Decimal(figures.kept), Decimal(figures.kept + figures.broken)),
        days_to_pay=ratio(figures.paid_days, figures.paid_amount), months=months)


@dataclass
class Portfolio:
    """The figures of a ledger over a period, kept per industry, region, collector and currency so that
    any segmentation is a cheap regrouping."""

    period: Period
    names: tuple[str, ...]  # "current" and the ledger's buckets
    points: tuple[date, ...]
    cells: dict[CellKey, Figures]

    @property
    def currencies(self) -> list[str]:
        return sorted({key[3] for key in self.cells})

    def _sum(self, cells: Iterable[Figures]) -> Figures:
        total = Figures(len(self.points), len(self.names))
        for figures in cells:
            total.add(figures)
        return total

    def total(self, currency: str) -> Summary:
        cells = [f for key, f in self.cells.items() if key[3] == currency]
        return summarize(self._sum(cells), None, currency, self.names, self.points, self.period.end)

    def segments(self, by: Segment, currency: str) -> list[Summary]:
        """One summary per value of `by` (None: debtors without it, shown as "(none)"), in name order."""
        field = _SEGMENT_FIELD[by]
        grouped: dict[str, list[Figures]] = {}
        for key, figures in self.cells.items():
            if key[3] == currency:
                grouped.setdefault(key[field] or "", []).append(figures)
        return [summarize(self._sum(cells), name or None, currency, self.names, self.points, self.period.end)
                for name, cells in sorted(grouped.items())]


def portfolio(debtors: Mapping[str, Debtor], settings: Settings, period: Period) -> Portfolio:
    """The ledger's figures over `period` (one replay per debtor, as of the period end)."""
    points = period.points
    cells: dict[CellKey, Figures] = {}
    for debtor in debtors.values():
        state = debtor_state(debtor, settings, period.end)
        add_debtor(cells, debtor, settings, period, state, points)
    return Portfolio(period, buckets_of(settings).names, points, cells)


# ---------------------------------------------------------------------------------------------
# the report


@dataclass
class CurrencyBlock:
    currency: str
    segments: list[Summary]  # empty without a segmentation
    total: Summary


@dataclass
class Report:
    as_of: date
    period: Period
    by: Segment | None
    names: tuple[str, ...]
    blocks: list[CurrencyBlock]
    portfolio: Portfolio

    def as_json(self) -> dict[str, Any]:
        """`{"as_of", "from", "to", "by", "buckets", "currencies": [{"currency", "segments", "total",
        "months"}]}`; rates are fractions (0.6667 is 66.67 %), DSO and days to pay are days."""
        return {
            "as_of": self.as_of, "from": self.period.start, "to": self.period.end, "by": self.by,
            "buckets": list(self.names),
            "currencies": [
                {"currency": block.currency,
                 "segments": [summary_json(s, self.by) for s in block.segments],
                 "total": summary_json(block.total, None),
                 "months": [{"date": m.day, "by_bucket": m.by_bucket, "open": m.open, "overdue": m.overdue}
                            for m in block.total.months]}
                for block in self.blocks],
        }


def as_float(value: Decimal | None, places: int) -> float | None:
    return None if value is None else round(float(value), places)


def summary_json(summary: Summary, by: str | None) -> dict[str, Any]:
    document: dict[str, Any] = {by: summary.segment} if by is not None else {}
    document.update({
        "currency": summary.currency, "debtors": summary.debtors, "due": summary.due,
        "collected": summary.collected, "received": summary.received,
        "recovery_rate": as_float(summary.recovery_rate, 4), "dso": as_float(summary.dso, 1),
        "by_bucket": summary.by_bucket, "open": summary.open, "overdue": summary.overdue,
        "roll_rates": [{"from": r.source, "to": r.target, "rate": as_float(r.rate, 4), "months": r.steps}
                       for r in summary.roll_rates],
        "promises_kept": summary.promises_kept, "promises_broken": summary.promises_broken,
        "promise_kept_ratio": as_float(summary.promise_kept_ratio, 4),
        "days_to_pay": as_float(summary.days_to_pay, 1),
    })
    return document


def report(debtors: Mapping[str, Debtor], settings: Settings, as_of: date, *, period: Period | None = None,
           by: Segment | None = None) -> Report:
    """The portfolio report over `period` (default: the last 12 full months up to `as_of`)."""
    if period is None:
        period = default_period(as_of)
    book = portfolio(debtors, settings, period)
    blocks = [CurrencyBlock(currency, book.segments(by, currency) if by is not None else [],
                            book.total(currency))
              for currency in book.currencies]
    return Report(as_of, period, by, book.names, blocks, book)
