"""DE, EW, FR, US-NY, US-CA and US-UCC limitation: each date derived by hand in the comment above it."""

import textwrap
from datetime import date

import pytest

from dunning.deadlines import Deadline
from dunning.deadlines import debtor_deadlines
from dunning.deadlines import known_jurisdictions
from dunning.deadlines import rule_set
from dunning.ledger import parse_debtor
from dunning.model import Settings

D = date.fromisoformat


def limitation(jurisdiction: str, invoice: str, events: str, as_of: str) -> Deadline:
    text = f"name: Example Ltd\njurisdiction: {jurisdiction}\ncurrency: EUR\ninvoices:\n  - {invoice}\nevents:\n"
    text += textwrap.indent(textwrap.dedent(events), "  ") if events.strip() else "  []\n"
    debtor = parse_debtor(text, "debtors/example.yaml")
    settings = Settings.model_validate({"format": 1, "creditor": {"name": "辽宁测试贸易有限公司"}})
    found = [x for x in debtor_deadlines("example", debtor, settings, D(as_of)) if x.kind == "limitation"]
    assert len(found) == 1, found
    return found[0]


def test_registry_knows_every_rule_set() -> None:
    assert known_jurisdictions() == ["CN", "DE", "EW", "FR", "US-CA", "US-NY", "US-UCC"]
    assert rule_set("DE").years == 3


# ---------------------------------------------------------------------------------------------
# Germany: BGB 195, 199, 212, 204, 193


def test_de_year_end_on_a_friday() -> None:
    # due 2024-05-10: the claim arose in 2024; 3 years from the end of 2024 -> 2027-12-31, a Friday.
    result = limitation("DE", "{id: A, issued: 2024-04-10, due: 2024-05-10, amount: 1000}", "", "2026-01-01")
    assert (result.date, result.status) == (D("2027-12-31"), "open")
    assert result.basis[0] == ("due 2024-05-10: the claim arose in 2024; the 3 years (BGB 195) begin at the end "
                               "of that year (BGB 199(1)) and end on 2027-12-31")


def test_de_year_end_on_a_sunday_rolls_past_new_year() -> None:
    # due 2025-03-15 -> 2028-12-31, a Sunday; 1 Jan 2029 is New Year's Day (a public holiday, while
    # 31 December is not) -> Tuesday 2029-01-02 (BGB 193).
    result = limitation("DE", "{id: A, issued: 2025-02-15, due: 2025-03-15, amount: 1000}", "", "2026-01-01")
    assert result.date == D("2029-01-02")


def test_de_part_payment_restarts_a_full_three_years_from_the_next_day() -> None:
    # due 2023-05-10 -> 2026-12-31. A part payment on 2025-03-04 acknowledges the claim (BGB 212):
    # a new period from 2025-03-05 -> 2028-03-04, a Saturday -> Monday 2028-03-06 (BGB 193).
    events = "- {at: 2025-03-04, type: payment, amount: 100}\n"
    result = limitation("DE", "{id: A, issued: 2023-04-10, due: 2023-05-10, amount: 1000}", events, "2026-01-01")
    assert result.date == D("2028-03-06")


def test_de_restart_onto_good_friday() -> None:
    # due 2023-05-10; signed acknowledgment 2025-04-14 -> 2028-04-14, Good Friday; then the weekend
    # and Easter Monday -> Tuesday 2028-04-18.
    events = "- {at: 2025-04-14, type: acknowledgment, signed: true}\n"
    result = limitation("DE", "{id: A, issued: 2023-04-10, due: 2023-05-10, amount: 1000}", events, "2026-01-01")
    assert result.date == D("2028-04-18")


def test_de_acknowledgment_in_the_year_of_due_takes_the_earlier_date() -> None:
    # due 2026-10-10 -> 2029-12-31; a part payment on 2026-11-05 -> 2029-11-05 (a Monday). Whether a
    # restart before the period began replaces it is debated: the earlier date is kept, and said.
    events = "- {at: 2026-11-05, type: payment, amount: 100}\n"
    result = limitation("DE", "{id: A, issued: 2026-09-10, due: 2026-10-10, amount: 1000}", events, "2026-11-28")
    assert result.date == D("2029-11-05")
    assert any("earlier than the 2029-12-31 it replaces" in line for line in result.basis)


def test_de_reminder_does_not_count() -> None:
    # A delivered reminder letter neither restarts nor suspends: due 2024-05-10 -> 2027-12-31.
    events = "- {at: 2025-01-20, type: letter, delivered: 2025-01-22}\n"
    result = limitation("DE", "{id: A, issued: 2024-04-10, due: 2024-05-10, amount: 1000}", events, "2026-01-01")
    assert result.date == D("2027-12-31")
    assert any("Mahnung" in line for line in result.basis)


def test_de_suit_suspends_until_six_months_after_it_ends() -> None:
    # due 2022-06-30 -> 2025-12-31. Suit filed 2025-10-01, concluded 2026-02-15: the suspension ends
    # 6 months later, 2026-08-15 (BGB 204(2)); the 318 days from 2025-10-01 to 2026-08-15 are not
    # counted (BGB 209): 2025-12-31 + 318 days = 2026-11-14, a Saturday -> Monday 2026-11-16.
    events = """\
    - {at: 2025-10-01, type: legal, action: filed, kind: suit}
    - {at: 2026-02-15, type: legal, action: concluded}
    """
    result = limitation("DE", "{id: A, issued: 2022-05-30, due: 2022-06-30, amount: 1000}", events, "2026-03-01")
    assert result.date == D("2026-11-16")


def test_de_nothing_revives_a_barred_claim() -> None:
    # due 2021-03-01 -> 2024-12-31 (Tuesday): expired. A payment on 2025-02-01 does not revive it.
    events = "- {at: 2025-02-01, type: payment, amount: 100}\n"
    result = limitation("DE", "{id: A, issued: 2021-02-01, due: 2021-03-01, amount: 1000}", events, "2026-01-01")
    assert (result.date, result.status) == (D("2024-12-31"), "expired")


# ---------------------------------------------------------------------------------------------
# England and Wales: Limitation Act 1980 ss.5, 29, 30


def test_ew_six_years_from_accrual_no_roll() -> None:
    # due 2020-02-29 -> 6 years, the day of accrual excluded: 2026 has no 29 Feb -> 2026-02-28, a
    # Saturday: no roll.
    result = limitation("EW", "{id: A, issued: 2020-01-29, due: 2020-02-29, amount: 1000}", "", "2026-01-01")
    assert (result.date, result.status) == (D("2026-02-28"), "open")


def test_ew_accrual_on_performance() -> None:
    # performed 2020-02-15, due 2020-03-31: accrual is taken on performance -> 2026-02-15, a Sunday: no roll.
    invoice = "{id: A, issued: 2020-02-15, due: 2020-03-31, performed: 2020-02-15, amount: 1000}"
    assert limitation("EW", invoice, "", "2026-01-01").date == D("2026-02-15")


def test_ew_part_payment_and_signed_acknowledgment_restart() -> None:
    # due 2020-03-31 -> 2026-03-31; part payment 2021-06-01 -> 2027-06-01; signed acknowledgment
    # 2022-09-30 -> 2028-09-30. A demand letter in between counts for nothing.
    events = """\
    - {at: 2021-06-01, type: payment, amount: 100}
    - {at: 2022-01-10, type: letter, delivered: 2022-01-12}
    - {at: 2022-09-30, type: acknowledgment, signed: true}
    """
    result = limitation("EW", "{id: A, issued: 2020-03-01, due: 2020-03-31, amount: 1000}", events, "2026-01-01")
    assert result.date == D("2028-09-30")


def test_ew_barred_debt_never_revives() -> None:
    # due 2018-01-15 -> 2024-01-15: expired. A signed acknowledgment in 2025 does not revive it (s.29(7)).
    events = "- {at: 2025-03-01, type: acknowledgment, signed: true}\n"
    result = limitation("EW", "{id: A, issued: 2017-12-15, due: 2018-01-15, amount: 1000}", events, "2026-01-01")
    assert (result.date, result.status) == (D("2024-01-15"), "expired")
    assert any("s.29(7)" in line for line in result.basis)


def test_ew_claim_issued_in_time_is_met() -> None:
    # due 2020-03-31 -> 2026-03-31; a claim issued 2025-11-03 brings the action in time.
    events = "- {at: 2025-11-03, type: legal, action: filed, kind: suit}\n"
    result = limitation("EW", "{id: A, issued: 2020-03-01, due: 2020-03-31, amount: 1000}", events, "2026-11-28")
    assert (result.date, result.status) == (D("2026-03-31"), "met")


# ---------------------------------------------------------------------------------------------
# France: Code de commerce L110-4, Code civil 2224-2251


def test_fr_five_years_no_roll() -> None:
    # due 2021-05-16 -> 2026-05-16, a Saturday: no roll (2229).
    result = limitation("FR", "{id: A, issued: 2021-04-16, due: 2021-05-16, amount: 1000}", "", "2026-01-01")
    assert result.date == D("2026-05-16")


def test_fr_acknowledgment_restarts_payment_does_not() -> None:
    # due 2021-05-16; a part payment 2022-01-10 is not counted (the safer reading); a signed
    # acknowledgment 2023-03-01 starts a new 5 years (2240, 2231) -> 2028-03-01.
    events = """\
    - {at: 2022-01-10, type: payment, amount: 100}
    - {at: 2023-03-01, type: acknowledgment, signed: true}
    """
    result = limitation("FR", "{id: A, issued: 2021-04-16, due: 2021-05-16, amount: 1000}", events, "2026-01-01")
    assert result.date == D("2028-03-01")
    assert any(line.startswith("payment 2022-01-10") and "not counted" in line for line in result.basis)


def test_fr_signed_acknowledgment_after_expiry_is_a_waiver() -> None:
    # due 2019-02-01 -> 2024-02-01: expired. A signed acknowledgment 2025-04-02 renounces the acquired
    # prescription (2250, 2251): waived, counted anew -> 2030-04-02.
    events = "- {at: 2025-04-02, type: acknowledgment, signed: true}\n"
    result = limitation("FR", "{id: A, issued: 2019-01-01, due: 2019-02-01, amount: 1000}", events, "2026-01-01")
    assert (result.date, result.status) == (D("2030-04-02"), "waived")


def test_fr_twenty_year_long_stop() -> None:
    # due 2006-01-10; signed acknowledgments 2010-01-05, 2014-01-05, 2018-01-05, 2022-01-05 each
    # within 5 years -> 2027-01-05; 2232 caps it at 20 years from the due date: 2026-01-10.
    events = "".join(f"- {{at: {day}, type: acknowledgment, signed: true}}\n"
                     for day in ("2010-01-05", "2014-01-05", "2018-01-05", "2022-01-05"))
    result = limitation("FR", "{id: A, issued: 2006-01-01, due: 2006-01-10, amount: 1000}", events, "2025-06-01")
    assert result.date == D("2026-01-10")


# ---------------------------------------------------------------------------------------------
# United States


def test_ny_six_years_signed_acknowledgment_restarts() -> None:
    # due 2020-06-30 -> 2026-06-30; a part payment 2021-02-01 does not count; a signed written
    # acknowledgment 2023-01-15 (GOL 17-101) -> 2029-01-15.
    events = """\
    - {at: 2021-02-01, type: payment, amount: 100}
    - {at: 2023-01-15, type: acknowledgment, signed: true}
    """
    result = limitation("US-NY", "{id: A, issued: 2020-05-30, due: 2020-06-30, amount: 1000}", events,
                        "2026-01-01")
    assert result.date == D("2029-01-15")


def test_ca_four_years_payment_alone_does_not_revive() -> None:
    # due 2020-06-30 -> 2024-06-30, a Sunday: no roll; expired. A payment on 2025-01-10 does not
    # revive it (CCP 360).
    events = "- {at: 2025-01-10, type: payment, amount: 100}\n"
    result = limitation("US-CA", "{id: A, issued: 2020-05-30, due: 2020-06-30, amount: 1000}", events,
                        "2026-01-01")
    assert (result.date, result.status) == (D("2024-06-30"), "expired")


def test_ca_signed_acknowledgment_revives() -> None:
    # due 2020-06-30 -> 2024-06-30: expired; a signed acknowledgment 2025-01-10 revives it (CCP 360):
    # waived, 4 years anew -> 2029-01-10.
    events = "- {at: 2025-01-10, type: acknowledgment, signed: true}\n"
    result = limitation("US-CA", "{id: A, issued: 2020-05-30, due: 2020-06-30, amount: 1000}", events,
                        "2026-01-01")
    assert (result.date, result.status) == (D("2029-01-10"), "waived")


@pytest.mark.parametrize("events", ["", "- {at: 2022-01-10, type: acknowledgment, signed: true}\n"])
def test_ucc_four_years_nothing_restarts(events: str) -> None:
    # due 2020-06-30 -> 2024-06-30; tolling follows the state's law (2-725(4)): not applied.
    result = limitation("US-UCC", "{id: A, issued: 2020-05-30, due: 2020-06-30, amount: 1000}", events,
                        "2026-01-01")
    assert (result.date, result.status) == (D("2024-06-30"), "expired")
