"""PRC limitation (Civil Code Arts. 188-203): each date derived by hand in the comment above it.

Counting (Arts. 188, 201, 202): the 3 years run from the day after the due date and end on the
corresponding day three years on, so due D -> D + 3 years (29 Feb -> 28 Feb); an interruption on
day X -> X + 3 years; then the Art. 203 roll off rest days (official calendar, make-up working days).
"""

import textwrap
from datetime import date

import pytest

from dunning.deadlines import Deadline
from dunning.deadlines import UnknownJurisdiction
from dunning.deadlines import debtor_deadlines
from dunning.ledger import parse_debtor
from dunning.model import Settings


def settings(**extra: object) -> Settings:
    return Settings.model_validate({"format": 1, "creditor": {"name": "辽宁测试贸易有限公司"}, **extra})


def deadlines(text: str, as_of: str, **extra: object) -> list[Deadline]:
    debtor = parse_debtor(textwrap.dedent(text), "debtors/acme.yaml")
    return debtor_deadlines("acme", debtor, settings(**extra), date.fromisoformat(as_of))


def limitation(text: str, as_of: str, invoice: str = "A") -> Deadline:
    found = [x for x in deadlines(text, as_of) if x.kind == "limitation" and x.invoice == invoice
             and x.guarantor is None]
    assert len(found) == 1, found
    return found[0]


def debtor(due: str, events: str = "", amount: str = "1000.00") -> str:
    """One invoice A, issued on its due date, then the events given."""
    text = f"""\
name: 测试客户
invoices:
  - id: A
    issued: {due}
    due: {due}
    amount: {amount}
events:
"""
    return text + textwrap.indent(textwrap.dedent(events), "  ") if events else text + "  []\n"


D = date.fromisoformat


# ---------------------------------------------------------------------------------------------
# the plain period and the roll


def test_plain_expiry_passed() -> None:
    # due 2022-09-30 -> counts from 2022-10-01 (Art. 201) -> ends 2025-09-30 (Art. 202), a Tuesday:
    # no roll. As of 2026-11-28 it passed 424 days ago.
    result = limitation(debtor("2022-09-30"), "2026-11-28")
    assert (result.date, result.status, result.days_left, result.provisional) == (D("2025-09-30"), "expired",
                                                                                  -424, False)
    assert result.rule == "CN Civil Code Art. 188, 195, 203"
    assert result.basis[0] == ("due 2022-09-30: the 3 years (Art. 188) count from 2022-10-01 (Art. 201) and end "
                               "on the corresponding day, 2025-09-30 (Art. 202)")


def test_plain_open_with_days_left() -> None:
    # due 2023-11-20 -> 2026-11-20, a Friday. As of 2026-11-01: 19 days left.
    result = limitation(debtor("2023-11-20"), "2026-11-01")
    assert (result.date, result.status, result.days_left) == (D("2026-11-20"), "open", 19)


def test_last_day_itself_is_still_open() -> None:
    # due 2022-09-30 -> 2025-09-30; on that very day the period has not yet run out.
    result = limitation(debtor("2022-09-30"), "2025-09-30")
    assert (result.status, result.days_left) == ("open", 0)


def test_weekend_roll() -> None:
    # due 2023-03-15 -> 2026-03-15, a Sunday -> Monday 2026-03-16 (Art. 203).
    result = limitation(debtor("2023-03-15"), "2026-01-01")
    assert result.date == D("2026-03-16")
    assert "Monday 2026-03-16" in result.basis[-1]


def test_national_day_roll() -> None:
    # due 2022-10-01 -> 2025-10-01, National Day; 1-8 October 2025 are rest days -> Thursday 2025-10-09.
    assert limitation(debtor("2022-10-01"), "2025-01-01").date == D("2025-10-09")


def test_make_up_working_saturday_does_not_roll() -> None:
    # due 2021-05-11 -> 2024-05-11, a Saturday but an official make-up working day for Labour Day
    # 2024: a working day, the last day stays 2024-05-11.
    result = limitation(debtor("2021-05-11"), "2024-01-01")
    assert result.date == D("2024-05-11")
    assert "make-up working day" in result.basis[-1]


def test_roll_onto_make_up_sunday() -> None:
    # due 2023-01-02 -> 2026-01-02, a Friday off (New Year 1-3 January 2026); Saturday 3 is a rest
    # day; Sunday 2026-01-04 is a make-up working day -> the last day is Sunday 2026-01-04.
    assert limitation(debtor("2023-01-02"), "2025-12-01").date == D("2026-01-04")


def test_feb_29_due_ends_feb_28_then_rolls_provisionally() -> None:
    # due 2024-02-29 -> 2027 has no 29 Feb: 2027-02-28 (Art. 202), a Sunday -> Monday 2027-03-01;
    # 2027's calendar is not announced: provisional.
    result = limitation(debtor("2024-02-29"), "2026-11-28")
    assert (result.date, result.provisional) == (D("2027-03-01"), True)
    assert "2027-02-28" in result.basis[0]
    assert "its last day, Art. 202" in result.basis[0]


def test_feb_28_due_ends_on_a_make_up_saturday() -> None:
    # due 2023-02-28 -> 2026-02-28, a Saturday but a make-up working day (Spring Festival 2026): no roll.
    result = limitation(debtor("2023-02-28"), "2026-01-01")
    assert (result.date, result.provisional) == (D("2026-02-28"), False)


def test_provisional_year_rolls_over_fixed_holidays_only() -> None:
    # due 2024-10-02 -> 2027-10-02, Saturday and National Day; Sunday 3 is National Day too ->
    # Monday 2027-10-04, provisional (2027 not announced).
    result = limitation(debtor("2024-10-02"), "2026-11-28")
    assert (result.date, result.provisional, result.days_left) == (D("2027-10-04"), True, 310)
    assert any(line.startswith("provisional: the official 2027 holiday calendar") for line in result.basis)


# ---------------------------------------------------------------------------------------------
# interruption (Art. 195) and the events that do not count


def test_letter_counts_on_its_delivery_date() -> None:
    # due 2022-03-10 -> 2025-03-10. A letter sent 2023-04-18 and delivered 2023-04-20 interrupts on
    # the delivery day: runs anew -> 2026-04-20, a Monday.
    events = """\
    - at: 2023-04-18
      type: letter
      via: registered_mail
      delivered: 2023-04-20
    """
    result = limitation(debtor("2022-03-10", events), "2026-01-01")
    assert result.date == D("2026-04-20")
    assert any(line.startswith("letter delivered 2023-04-20: a demand that reached the debtor interrupts")
               for line in result.basis)


def test_undelivered_letter_does_not_count() -> None:
    # due 2022-03-10 -> 2025-03-10, a Monday. The letter has no `delivered`: no interruption.
    events = """\
    - at: 2023-04-18
      type: letter
      via: registered_mail
    """
    result = limitation(debtor("2022-03-10", events), "2026-01-01")
    assert (result.date, result.status) == (D("2025-03-10"), "expired")
    assert any("letter sent 2023-04-18 not counted: no `delivered` date" in line for line in result.basis)


def test_email_counts_on_its_at_date_without_delivered() -> None:
    # due 2022-03-10; an email (a demand by default) on 2023-05-08 with no `delivered`: it counts on
    # its own day -> 2026-05-08, a Friday (Labour Day 2026 ends on the 5th).
    events = """\
    - at: 2023-05-08T10:00:00+08:00
      type: email
    """
    assert limitation(debtor("2022-03-10", events), "2026-01-01").date == D("2026-05-08")


def test_email_counts_on_delivered_when_given() -> None:
    # An email of 2023-05-08 delivered 2023-05-10 -> 2026-05-10, a Sunday -> Monday 2026-05-11.
    events = """\
    - at: 2023-05-08
      type: email
      delivered: 2023-05-10
    """
    assert limitation(debtor("2022-03-10", events), "2026-01-01").date == D("2026-05-11")


def test_sms_and_wechat_count_only_when_marked_as_demand() -> None:
    # due 2022-03-10. An SMS of 2023-06-01 without `demand: true` is not a demand; a WeChat message
    # of 2023-06-05 marked as a demand is -> 2026-06-05, a Friday.
    events = """\
    - at: 2023-06-01
      type: sms
      summary: 提醒付款日期
    - at: 2023-06-05
      type: wechat
      demand: true
    """
    result = limitation(debtor("2022-03-10", events), "2026-01-01")
    assert result.date == D("2026-06-05")
    assert any("sms 2023-06-01 not counted as a demand" in line for line in result.basis)


def test_unrecorded_call_does_not_count_recorded_call_does() -> None:
    # due 2022-03-10. A demand call on 2023-02-01 with no recording: not provable, not counted.
    # A recorded demand call on 2023-02-08 counts -> 2026-02-08, a Sunday -> Monday 2026-02-09.
    events = """\
    - at: 2023-02-01T09:00:00+08:00
      type: call
      outcome: reached
      demand: true
    - at: 2023-02-08T09:00:00+08:00
      type: call
      outcome: reached
      demand: true
      recorded: true
    """
    result = limitation(debtor("2022-03-10", events), "2026-01-01")
    assert result.date == D("2026-02-09")
    assert any(line.startswith("call 2023-02-01 not counted as a demand: no recording or evidence")
               for line in result.basis)


def test_visit_counts_with_evidence() -> None:
    # due 2022-03-10; a demand visit on 2023-03-20 with a signed receipt as evidence -> 2026-03-20, a Friday.
    events = """\
    - at: 2023-03-20
      type: visit
      outcome: reached
      demand: true
      evidence: [evidence/acme/receipt.pdf]
    """
    assert limitation(debtor("2022-03-10", events), "2026-01-01").date == D("2026-03-20")


def test_call_not_answered_does_not_count() -> None:
    # A recorded demand call nobody answered did not reach the debtor: due 2022-03-10 -> 2025-03-10.
    events = """\
    - at: 2023-02-08
      type: call
      outcome: no_answer
      demand: true
      recorded: true
    """
    assert limitation(debtor("2022-03-10", events), "2026-01-01").date == D("2025-03-10")


def test_promise_in_recorded_call_counts_unrecorded_does_not() -> None:
    # due 2022-03-10. A promise in an unrecorded call (2023-03-02) cannot be proven; one in a WeChat
    # message (2023-07-07, written, so provable) is agreement to perform -> 2026-07-07, a Tuesday.
    events = """\
    - at: 2023-03-02
      type: call
      outcome: promise
      promise: {date: 2023-03-31, amount: 300}
    - at: 2023-07-07
      type: wechat
      outcome: promise
      promise: {date: 2023-07-31, amount: 300}
    """
    result = limitation(debtor("2022-03-10", events), "2026-01-01")
    assert result.date == D("2026-07-07")
    assert any("promise in call 2023-03-02: pay ¥300.00 by 2023-03-31 not counted" in line
               for line in result.basis)


def test_part_payment_interrupts_only_the_invoice_it_was_applied_to() -> None:
    # A due 2022-03-10, B due 2022-04-10. A payment of 100 naming B on 2023-08-15 goes to B only:
    # B runs anew -> 2026-08-15 (a Saturday) -> Monday 2026-08-17; A stays 2025-03-10.
    text = """\
    name: 测试客户
    invoices:
      - {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}
      - {id: B, issued: 2022-03-10, due: 2022-04-10, amount: 1000}
    events:
      - at: 2023-08-15
        type: payment
        amount: 100
        invoice: B
    """
    a = limitation(text, "2026-01-01", "A")
    b = limitation(text, "2026-01-01", "B")
    assert (a.date, b.date) == (D("2025-03-10"), D("2026-08-17"))
    assert "payment 2023-08-15 was applied to B, not to this invoice: no effect on it" in a.basis


def test_payment_without_invoice_goes_oldest_first() -> None:
    # A due 2022-03-10 (1000), B due 2022-04-10. 1200 paid 2023-08-15 without `invoice`: 1000 clears
    # A (no entry any more), 200 goes to B -> B runs anew 2026-08-15 -> Monday 2026-08-17.
    text = """\
    name: 测试客户
    invoices:
      - {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}
      - {id: B, issued: 2022-03-10, due: 2022-04-10, amount: 1000}
    events:
      - {at: 2023-08-15, type: payment, amount: 1200}
    """
    found = [x for x in deadlines(text, "2026-01-01") if x.kind == "limitation"]
    assert [(x.invoice, x.date) for x in found] == [("B", D("2026-08-17"))]


def test_signed_acknowledgment_counts_unsigned_does_not() -> None:
    # due 2022-03-10. Unsigned acknowledgment 2023-01-05: no effect. Signed one 2023-09-14 ->
    # 2026-09-14, a Monday.
    events = """\
    - {at: 2023-01-05, type: acknowledgment, amount: 1000}
    - {at: 2023-09-14, type: acknowledgment, amount: 1000, signed: true}
    """
    result = limitation(debtor("2022-03-10", events), "2026-01-01")
    assert result.date == D("2026-09-14")
    assert any(line.startswith("acknowledgment 2023-01-05 not counted: not signed") for line in result.basis)


def test_acknowledgment_naming_another_invoice() -> None:
    # A due 2022-03-10 -> 2025-03-10; a signed acknowledgment naming only B does not touch A.
    text = """\
    name: 测试客户
    invoices:
      - {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}
      - {id: B, issued: 2022-03-10, due: 2022-04-10, amount: 1000}
    events:
      - {at: 2023-09-14, type: acknowledgment, signed: true, invoices: [B]}
    """
    a = limitation(text, "2026-01-01", "A")
    assert a.date == D("2025-03-10")
    assert "signed acknowledgment 2023-09-14 concerns B only: no effect on this invoice" in a.basis


def test_event_without_invoices_covers_only_invoices_open_at_that_moment() -> None:
    # A letter delivered 2023-04-20 names no invoices: it covers A (issued 2022) but not B, issued
    # only on 2023-05-01. A -> 2026-04-20; B due 2023-06-01 -> 2026-06-01, a Monday.
    text = """\
    name: 测试客户
    invoices:
      - {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}
      - {id: B, issued: 2023-05-01, due: 2023-06-01, amount: 1000}
    events:
      - {at: 2023-04-18, type: letter, delivered: 2023-04-20}
    """
    assert limitation(text, "2026-01-01", "A").date == D("2026-04-20")
    assert limitation(text, "2026-01-01", "B").date == D("2026-06-01")


def test_event_day_in_ledger_timezone() -> None:
    # A payment at 2023-05-02T23:30:00+00:00 happened on 2023-05-03 in Asia/Shanghai: runs anew
    # -> 2026-05-03, a Sunday inside the Labour Day holiday (1-5 May 2026) -> Wednesday 2026-05-06.
    events = """\
    - {at: "2023-05-02T23:30:00+00:00", type: payment, amount: 100}
    """
    result = limitation(debtor("2022-03-10", events), "2026-01-01")
    assert result.date == D("2026-05-06")
    assert any(line.startswith("payment 2023-05-03") for line in result.basis)


def test_interruption_on_feb_29() -> None:
    # due 2023-12-20; a letter delivered 2024-02-29 -> 2027 has no 29 Feb: 2027-02-28, a Sunday ->
    # Monday 2027-03-01, provisional.
    events = """\
    - {at: 2024-02-26, type: letter, delivered: 2024-02-29}
    """
    result = limitation(debtor("2023-12-20", events), "2026-11-28")
    assert (result.date, result.provisional) == (D("2027-03-01"), True)


def test_event_before_the_due_date_does_not_interrupt() -> None:
    # A letter delivered 2023-02-01, before the due date 2023-03-15: the period had not begun.
    # due 2023-03-15 -> 2026-03-15, a Sunday -> Monday 2026-03-16.
    text = """\
    name: 测试客户
    invoices:
      - {id: A, issued: 2023-01-15, due: 2023-03-15, amount: 1000}
    events:
      - {at: 2023-01-30, type: letter, delivered: 2023-02-01}
    """
    result = limitation(text, "2026-01-01")
    assert result.date == D("2026-03-16")
    assert any("before the period began on 2023-03-15" in line for line in result.basis)


def test_dispute_does_not_stop_the_period() -> None:
    events = """\
    - {at: 2022-05-01, type: dispute, reason: 质量问题}
    """
    result = limitation(debtor("2022-03-10", events), "2026-01-01")
    assert result.date == D("2025-03-10")
    assert "dispute 2022-05-01: a dispute neither interrupts nor suspends the period" in result.basis


# ---------------------------------------------------------------------------------------------
# instalments (Art. 189), legal action, waiver (Art. 192), long-stop (Art. 188(2))


def test_signed_plan_runs_from_last_instalment() -> None:
    # due 2022-03-10. Signed plan 2023-01-10 with instalments to 2023-07-10: the plan interrupts,
    # and the period runs from the last instalment (Art. 189) -> 2026-07-10, a Friday.
    events = """\
    - at: 2023-01-10
      type: plan
      signed: true
      installments: [{due: 2023-04-10, amount: 500}, {due: 2023-07-10, amount: 500}]
    """
    result = limitation(debtor("2022-03-10", events), "2026-01-01")
    assert result.date == D("2026-07-10")
    assert "Art. 189" in result.rule


def test_payment_under_plan_keeps_the_last_instalment_start() -> None:
    # Same plan; a payment of 500 on 2023-04-10 interrupts, but the period of the instalment debt
    # still runs from 2023-07-10 -> 2026-07-10.
    events = """\
    - at: 2023-01-10
      type: plan
      signed: true
      installments: [{due: 2023-04-10, amount: 500}, {due: 2023-07-10, amount: 500}]
    - {at: 2023-04-10, type: payment, amount: 500}
    """
    assert limitation(debtor("2022-03-10", events), "2026-01-01").date == D("2026-07-10")


def test_unsigned_plan_does_not_count() -> None:
    events = """\
    - at: 2023-01-10
      type: plan
      installments: [{due: 2023-04-10, amount: 500}, {due: 2023-07-10, amount: 500}]
    """
    result = limitation(debtor("2022-03-10", events), "2026-01-01")
    assert result.date == D("2025-03-10")
    assert any(line.startswith("instalment plan 2023-01-10 not counted: not signed") for line in result.basis)


def test_legal_action_interrupts_while_running_then_anew_from_conclusion() -> None:
    # due 2022-03-10. Suit filed 2023-03-01: no last day while it runs. Concluded 2023-11-02: runs
    # anew -> 2026-11-02, a Monday.
    filed = """\
    - {at: 2023-03-01, type: legal, action: filed, kind: suit, court: 沈阳市和平区人民法院}
    """
    running = limitation(debtor("2022-03-10", filed), "2023-06-01")
    assert (running.date, running.days_left, running.status) == (None, None, "open")
    concluded = filed + "- {at: 2023-11-02, type: legal, action: concluded}\n"
    assert limitation(debtor("2022-03-10", concluded), "2026-01-01").date == D("2026-11-02")


def test_bankruptcy_claim_filed_interrupts() -> None:
    # A claim filed in the debtor's bankruptcy has the effect of a suit (SPC 2020 Art. 11): no last
    # day while the proceeding runs.
    events = """\
    - {at: 2023-05-04, type: status, status: bankrupt, claims_deadline: 2023-07-01, claim_filed: 2023-06-01}
    """
    result = limitation(debtor("2022-03-10", events), "2024-01-01")
    assert (result.date, result.status) == (None, "open")


def test_payment_after_expiry_waives_and_is_never_silently_reopened() -> None:
    # due 2022-01-10 -> 2025-01-10 (Friday): expired. A payment on 2025-06-03 waives the defence
    # (Art. 192(2)): status waived; counted anew from 2025-06-03 -> 2028-06-03, a Saturday ->
    # Monday 2028-06-05, provisional (2028 not announced).
    events = """\
    - {at: 2025-06-03, type: payment, amount: 100}
    """
    result = limitation(debtor("2022-01-10", events), "2026-11-28")
    assert (result.date, result.status, result.provisional) == (D("2028-06-05"), "waived", True)
    assert "the period expired at the end of 2025-01-10" in result.basis
    assert "Art. 192" in result.rule


def test_waived_period_can_expire_again() -> None:
    # due 2018-01-10 -> 2021-01-10, a Sunday -> Monday 2021-01-11: expired. A payment on 2021-06-01
    # waives the defence; counted anew -> 2024-06-01, a Saturday -> Monday 2024-06-03. As of
    # 2024-07-01 nothing followed: expired again (the waiver stays in the basis).
    events = """\
    - {at: 2021-06-01, type: payment, amount: 100}
    """
    result = limitation(debtor("2018-01-10", events), "2024-07-01")
    assert (result.date, result.status) == (D("2024-06-03"), "expired")
    assert any(line.startswith("payment 2021-06-01, ¥100.00 applied to this invoice, after expiry")
               for line in result.basis)


def test_demand_after_expiry_does_not_revive() -> None:
    # due 2022-01-10 -> 2025-01-10; a letter delivered 2025-03-01 comes too late.
    events = """\
    - {at: 2025-02-25, type: letter, delivered: 2025-03-01}
    """
    result = limitation(debtor("2022-01-10", events), "2026-11-28")
    assert (result.date, result.status) == (D("2025-01-10"), "expired")
    assert any(line.startswith("letter delivered 2025-03-01, after expiry") for line in result.basis)


def test_twenty_year_long_stop() -> None:
    # due 2005-06-01; signed acknowledgments every 2.5 years keep the 3-year period alive up to
    # 2024-12-01 -> 2027-12-01. The long-stop is 20 years from the due date: 2025-06-01, a Sunday in
    # the Dragon Boat holiday (31 May - 2 June 2025) -> Tuesday 2025-06-03, which caps the period.
    acks = "".join(f"- {{at: {day}, type: acknowledgment, signed: true}}\n" for day in (
        "2007-06-01", "2010-01-01", "2012-06-01", "2015-01-01", "2017-06-01", "2020-01-01", "2022-06-01",
        "2024-12-01"))
    result = limitation(debtor("2005-06-01", acks), "2025-01-01")
    assert (result.date, result.status) == (D("2025-06-03"), "open")
    assert any("20-year long-stop" in line for line in result.basis)


# ---------------------------------------------------------------------------------------------
# jurisdiction


def test_debtor_jurisdiction_overrides_the_ledger() -> None:
    # A debtor with `jurisdiction: DE` in a CN ledger: due 2024-05-10 -> end of 2024 + 3 years =
    # 2027-12-31, a Friday (BGB 195, 199).
    text = debtor("2024-05-10").replace("name: 测试客户\n", "name: 测试客户\njurisdiction: DE\n")
    result = limitation(text, "2026-01-01")
    assert (result.date, result.rule) == (D("2027-12-31"), "BGB 195, 199, 212, 193")


def test_unknown_jurisdiction_is_a_clear_error() -> None:
    with pytest.raises(UnknownJurisdiction, match=r"unknown jurisdiction 'XX'.*known: CN, DE, EW, FR, US-CA"):
        deadlines(debtor("2024-05-10"), "2026-01-01", jurisdiction="XX")
