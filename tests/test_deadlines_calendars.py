"""Date arithmetic and the working-day calendars behind the last-day rolls (CN Art. 203, BGB 193)."""

from datetime import date

import pytest

from dunning.deadlines.calendars import NO_ROLL
from dunning.deadlines.calendars import ChinaCalendar
from dunning.deadlines.calendars import add_months
from dunning.deadlines.calendars import add_years
from dunning.deadlines.calendars import china
from dunning.deadlines.calendars import germany


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(("start", "years", "expected"), [
    # The corresponding day in the final year (Art. 202): 2021-12-01 + 3 years = 2024-12-01.
    ("2021-12-01", 3, "2024-12-01"),
    # 2027 has no 29 February: the month's last day, 2027-02-28 (Art. 202).
    ("2024-02-29", 3, "2027-02-28"),
    # 28 February stays 28 February, even when the final year is a leap year.
    ("2021-02-28", 3, "2024-02-28"),
    # 2024 + 4 = 2028 is a leap year: 29 February exists.
    ("2024-02-29", 4, "2028-02-29"),
])
def test_add_years(start: str, years: int, expected: str) -> None:
    assert add_years(d(start), years) == d(expected)


@pytest.mark.parametrize(("start", "months", "expected"), [
    ("2026-06-10", 6, "2026-12-10"),
    # 31 August + 6 months: February 2027 has no 31st, so its last day (Arts. 201-202).
    ("2026-08-31", 6, "2027-02-28"),
    # Across a year end: November + 3 = February of the next year.
    ("2025-11-30", 3, "2026-02-28"),
])
def test_add_months(start: str, months: int, expected: str) -> None:
    assert add_months(d(start), months) == d(expected)


@pytest.mark.parametrize(("last_day", "expected"), [
    # Tuesday, a working day: no roll.
    ("2025-09-30", "2025-09-30"),
    # Saturday 2026-12-12, Sunday 13: the next working day is Monday 2026-12-14.
    ("2026-12-12", "2026-12-14"),
    # National Day 2025: 1-8 October off (Oct 6 Mid-Autumn, 7-8 substituted): Thursday 2025-10-09.
    ("2025-10-01", "2025-10-09"),
    # Spring Festival 2026: 15-23 February off; Tuesday 2026-02-24 is the first working day.
    ("2026-02-17", "2026-02-24"),
    # Saturday 2024-05-11 is an official make-up working day (Labour Day 2024): no roll.
    ("2024-05-11", "2024-05-11"),
    # Saturday 2025-10-11 is a make-up working day (National Day 2025): no roll.
    ("2025-10-11", "2025-10-11"),
    # Friday 2026-01-02 is a substituted rest day, Saturday 3 a rest day, and Sunday 2026-01-04 a
    # make-up working day: the last day becomes that Sunday.
    ("2026-01-02", "2026-01-04"),
    # Sunday 2025-06-01 falls in the Dragon Boat holiday (31 May - 2 June 2025): Tuesday 2025-06-03.
    ("2025-06-01", "2025-06-03"),
    # Sunday 2026-05-03 falls in the Labour Day holiday (1-5 May 2026): Wednesday 2026-05-06.
    ("2026-05-03", "2026-05-06"),
])
def test_china_roll_announced_years(last_day: str, expected: str) -> None:
    rolled = china().roll(d(last_day))
    assert rolled.day == d(expected)
    assert rolled.provisional is False


def test_china_roll_says_why() -> None:
    rolled = china().roll(d("2024-05-11"))
    assert rolled.notes == ("2024-05-11 is a Saturday but an official make-up working day (调休上班): no roll "
                            "(Art. 203)",)
    rolled = china().roll(d("2026-12-12"))
    assert "Monday 2026-12-14" in rolled.notes[0]
    assert "2026-12-12 (Saturday), 2026-12-13 (Sunday)" in rolled.notes[0]


def test_china_unannounced_year_is_provisional() -> None:
    # The installed holidays package holds the State Council notices up to 2026 only.
    calendar = china()
    assert 2026 in calendar.announced
    assert 2027 not in calendar.announced
    # Saturday 2027-10-02 and Sunday 3 are National Day (fixed dates); the package also lists
    # 4 and 5 October 2027 as "observed" days, but without the notice that is a guess: the roll
    # stops at Monday 2027-10-04 and the date is provisional.
    rolled = calendar.roll(d("2027-10-02"))
    assert rolled.day == d("2027-10-04")
    assert rolled.provisional is True
    assert any("act by 2027-10-02" in note for note in rolled.notes)
    # A working day in an unannounced year is provisional too: the notice may still make it a rest day.
    rolled = calendar.roll(d("2027-03-10"))
    assert (rolled.day, rolled.provisional) == (d("2027-03-10"), True)


def test_china_lunar_holiday_in_unannounced_year_does_not_roll() -> None:
    # Chinese New Year 2027 falls on Saturday 6 February; Monday 2027-02-08 is the third day of the
    # festival, but without the 2027 notice only weekends and fixed-date holidays roll: no roll
    # (the earlier, safer date), provisional.
    rolled = china().roll(d("2027-02-08"))
    assert (rolled.day, rolled.provisional) == (d("2027-02-08"), True)


def test_china_late_december_waits_for_next_years_notice() -> None:
    # New Year make-up working days have fallen on 29-31 December; with 2027 not announced, a
    # last day in the last week of December 2026 is provisional.
    rolled = china().roll(d("2026-12-26"))
    assert (rolled.day, rolled.provisional) == (d("2026-12-28"), True)
    assert china().roll(d("2026-12-10")).provisional is False


def test_china_calendar_with_a_given_set_of_announced_years() -> None:
    # Pretend only 2025 is announced: 2026-02-17 (Spring Festival, a Tuesday) is then provisional
    # and, being no fixed-date holiday, does not roll.
    calendar = ChinaCalendar(announced=frozenset({2025}))
    rolled = calendar.roll(d("2026-02-17"))
    assert (rolled.day, rolled.provisional) == (d("2026-02-17"), True)


@pytest.mark.parametrize(("last_day", "expected"), [
    # 31 Dec 2028 is a Sunday and 1 Jan 2029 New Year's Day: Tuesday 2029-01-02 (BGB 193).
    ("2028-12-31", "2029-01-02"),
    # 31 Dec 2027 is a Friday: no roll (31 December itself is no public holiday).
    ("2027-12-31", "2027-12-31"),
    # Saturday 2028-03-04: Monday 2028-03-06.
    ("2028-03-04", "2028-03-06"),
    # Good Friday 14 April 2028, then the weekend and Easter Monday 17: Tuesday 2028-04-18.
    ("2028-04-14", "2028-04-18"),
])
def test_germany_roll(last_day: str, expected: str) -> None:
    rolled = germany().roll(d(last_day))
    assert rolled.day == d(expected)
    assert rolled.provisional is False


def test_no_roll() -> None:
    rolled = NO_ROLL.roll(d("2026-02-28"))
    assert (rolled.day, rolled.provisional, rolled.notes) == (d("2026-02-28"), False, ())
