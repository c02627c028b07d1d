"""Counting periods in years and months, and moving a last day that falls on a rest day.

The date arithmetic every rule set shares (a corresponding day in a later year or month, with the
month's last day where the month lacks it) and the working-day calendars that the rolls need:

* `ChinaCalendar`: PRC Civil Code Art. 203. Rest days are weekends that are not officially
  announced make-up working days (调休上班) and the statutory holidays of the State Council's
  annual notice, read from the `holidays` package. A year whose notice the package does not hold
  is rolled over weekends and the fixed-date holidays only, and the result is marked provisional.
* `GermanyCalendar`: BGB 193, the nationwide public holidays (state holidays are left out: fewer
  rolls, the earlier and safer date).
* `NO_ROLL`: rule sets whose last day stays where it falls.
"""

from __future__ import annotations

import calendar
from abc import ABC
from abc import abstractmethod
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from functools import cache
from typing import Any
from typing import Protocol

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday_name(day: date) -> str:
    return WEEKDAYS[day.weekday()]


@cache
def day_text(day: date) -> str:
    """`str(day)`, what an f-string shows: memoised, since formatting a date costs several times a
    lookup and the basis lines name the same few thousand days over and over."""
    return str(day)


# Memoised: a ledger's periods start from a few thousand distinct days, each counted many times.
@cache
def add_years(day: date, years: int) -> date:
    """The corresponding day `years` later; where that month lacks it (29 February), its last day."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))


@cache
def add_months(day: date, months: int) -> date:
    """The corresponding day `months` later; where that month lacks it, the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


@dataclass(frozen=True)
class Rolled:
    """A period's last day after the roll, and how it was reached."""

    day: date
    original: date
    provisional: bool
    notes: tuple[str, ...]

    @property
    def moved(self) -> bool:
        return self.day != self.original


class Calendar(Protocol):
    """Where a last day that falls on a rest day goes."""

    name: str

    def roll(self, day: date) -> Rolled: ...


@dataclass(frozen=True)
class _Verdict:
    rest: bool
    why: str  # "Saturday", "National Day", "Saturday, a make-up working day"
    provisional: bool


class _WorkingDayCalendar(ABC):
    """Roll a last day forward over rest days to the first working day after them."""

    name = "working days"
    citation = ""

    def __init__(self) -> None:
        self._rolled: dict[date, Rolled] = {}  # a report rolls the same few days many times

    @abstractmethod
    def verdict(self, day: date) -> _Verdict:
        """Whether `day` is a rest day, and why."""

    def roll(self, day: date) -> Rolled:
        """The last day after the roll; memoised."""
        try:
            return self._rolled[day]
        except KeyError:
            found = self._rolled[day] = self._roll(day)
            return found

    def _roll(self, day: date) -> Rolled:
        first = self.verdict(day)
        provisional = first.provisional
        current = day
        if first.rest:
            skipped = [f"{day} ({first.why})"]
            while True:
                current += timedelta(days=1)
                verdict = self.verdict(current)
                provisional = provisional or verdict.provisional
                if not verdict.rest:
                    break
                skipped.append(f"{current} ({verdict.why})")
            shown = skipped if len(skipped) <= 3 else [skipped[0], "...", skipped[-1]]
            note = (f"{day} is a rest day: the last day becomes the next working day, "
                    f"{weekday_name(current)} {current} ({self.citation}; rest days: {', '.join(shown)})")
        elif first.why == "working day":
            note = f"{day} is a {weekday_name(day)}, a working day: no roll ({self.citation})"
        else:
            note = f"{day} is a {first.why}: no roll ({self.citation})"
        notes = (note, *self._provisional_notes(day, current, provisional))
        return Rolled(current, day, provisional, notes)

    def _provisional_notes(self, original: date, rolled: date, provisional: bool) -> tuple[str, ...]:
        return ()


# ---------------------------------------------------------------------------------------------
# PRC


def _china_announced_years() -> frozenset[int]:
    """The years whose State Council holiday notice the installed `holidays` package holds.

    The package computes the lunar festivals and weekend "observed" days for any year, so the
    presence of dates proves nothing; what marks an announced year is its table of substituted
    days and make-up working days, transcribed from the notice (every notice since 2001 has one).
    """
    from holidays.countries.china import ChinaStaticHolidays

    table: dict[int, Any] = getattr(ChinaStaticHolidays, "special_public_holidays", {})
    return frozenset(year for year, entries in table.items() if entries)


# The statutory holidays that fall on a fixed Gregorian date (全国年节及纪念日放假办法 Art. 2):
# New Year's Day, Labour Day (May 2 since the 2024 revision, in force 2025) and National Day.
def _fixed_cn_holiday(day: date) -> str | None:
    month_day = (day.month, day.day)
    if month_day == (1, 1):
        return "New Year's Day"
    if month_day == (5, 1) or (month_day == (5, 2) and day.year >= 2025):
        return "Labour Day"
    if month_day in ((10, 1), (10, 2), (10, 3)):
        return "National Day"
    return None


class ChinaCalendar(_WorkingDayCalendar):
    """PRC Civil Code Art. 203 with the official calendar, including make-up working days."""

    name = "CN"
    citation = "Art. 203"

    def __init__(self, announced: frozenset[int] | None = None) -> None:
        # `holidays` loads every country's calendar (~0.1 s): only when a period is rolled
        from holidays.countries.china import China

        super().__init__()
        self.announced = _china_announced_years() if announced is None else announced
        self._official = China(language="en_US")  # type: ignore[no-untyped-call]

    def is_announced(self, day: date) -> bool:
        """Whether the official calendar of `day` is known.

        The last week of December is decided by the next year's notice too: New Year make-up
        working days have fallen on 29-31 December (2001, 2005, 2006, 2007, 2011).
        """
        if day.year not in self.announced:
            return False
        return not (day.month == 12 and day.day >= 24 and day.year + 1 not in self.announced)

    def verdict(self, day: date) -> _Verdict:
        weekend = day.weekday() >= 5
        if not self.is_announced(day):
            fixed = _fixed_cn_holiday(day)
            if fixed:
                return _Verdict(True, f"{fixed}, provisional", True)
            return _Verdict(weekend, weekday_name(day) if weekend else "working day", True)
        # The next year's notice may turn a late-December weekend day into a working day.
        self._official.get(date(day.year + 1, 1, 1))
        if self._official.is_working_day(day):
            if weekend:
                return _Verdict(False, f"{weekday_name(day)} but an official make-up working day (调休上班)",
                                False)
            return _Verdict(False, "working day", False)
        name = self._official.get(day)
        if name:
            return _Verdict(True, str(name).split(";")[0], False)
        return _Verdict(True, weekday_name(day), False)

    def _provisional_notes(self, original: date, rolled: date, provisional: bool) -> tuple[str, ...]:
        if not provisional:
            return ()
        years = sorted({original.year, rolled.year} - self.announced) or [original.year + 1]
        shown = ", ".join(str(y) for y in years)
        safe = "" if original == rolled else f"; to be safe act by {original}, the unrolled last day"
        return (f"provisional: the official {shown} holiday calendar (make-up working days) is not "
                f"announced yet (not in the installed holidays package): weekends and the fixed-date "
                f"holidays (1 Jan, 1-2 May, 1-3 Oct) only{safe}",)


# ---------------------------------------------------------------------------------------------
# Germany


class GermanyCalendar(_WorkingDayCalendar):
    """BGB 193: a last day on a Saturday, Sunday or public holiday moves to the next working day."""

    name = "DE"
    citation = "BGB 193"

    def __init__(self) -> None:
        from holidays.countries.germany import Germany

        super().__init__()
        self._holidays = Germany(language="en_US")

    def verdict(self, day: date) -> _Verdict:
        name = self._holidays.get(day)
        if name:
            return _Verdict(True, f"{name} (nationwide public holiday)", False)
        if day.weekday() >= 5:
            return _Verdict(True, weekday_name(day), False)
        return _Verdict(False, "working day", False)


# ---------------------------------------------------------------------------------------------
# no roll


class NoRoll:
    """The last day stays where it falls, weekend or holiday."""

    name = "none"

    def roll(self, day: date) -> Rolled:
        return Rolled(day, day, False, ())


NO_ROLL = NoRoll()


@cache
def china() -> ChinaCalendar:
    return ChinaCalendar()


@cache
def germany() -> GermanyCalendar:
    return GermanyCalendar()

