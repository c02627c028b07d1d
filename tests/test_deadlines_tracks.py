"""The tracks the limitation engine walks: which events concern an invoice, and in which order.

The engine works these out once per debtor and shares them between the debtor's invoices; these
tests pin what each invoice must see, in order, whatever the bookkeeping behind it.
"""

import textwrap
from datetime import date
from decimal import Decimal

from dunning.balances import InvoiceState
from dunning.deadlines import Deadline
from dunning.deadlines import debtor_deadlines
from dunning.deadlines.engine import _never_paid_off
from dunning.deadlines.engine import _OpenAt
from dunning.deadlines.engine import money_shown
from dunning.ledger import parse_debtor
from dunning.model import Invoice
from dunning.model import Settings

D = date.fromisoformat

SETTINGS = Settings.model_validate({"format": 1, "creditor": {"name": "辽宁测试贸易有限公司"}})

# A due 2023-02-10, B due 2023-04-01. The letter is sent on 1 May but reaches the debtor on 20 May,
# so it comes after the payment (10 May, applied to A, the oldest due), the acknowledgment naming
# A only (15 May) and a recorded call (16 May) that names no invoice.
TWO_INVOICES = """\
name: 测试客户
invoices:
  - {id: A, issued: 2023-01-10, due: 2023-02-10, amount: 1000.00}
  - {id: B, issued: 2023-03-01, due: 2023-04-01, amount: 500.00}
events:
  - {at: 2023-05-01, type: letter, by: zhang, demand: true, delivered: 2023-05-20}
  - {at: 2023-05-10, type: payment, amount: 300.00}
  - {at: 2023-05-15, type: acknowledgment, signed: true, invoices: [A]}
  - {at: "2023-05-16T10:00:00+08:00", type: call, by: zhang, outcome: reached, recorded: true, demand: true}
"""

DEMAND = "a demand that reached the debtor interrupts the period (Art. 195(1); SPC 2020 Art. 8)"


def limitations(text: str, as_of: str) -> dict[str, Deadline]:
    debtor = parse_debtor(textwrap.dedent(text), "debtors/acme.yaml")
    found = debtor_deadlines("acme", debtor, SETTINGS, D(as_of))
    return {d.invoice or "": d for d in found if d.kind == "limitation"}


def test_each_invoice_sees_its_events_in_day_order() -> None:
    found = limitations(TWO_INVOICES, "2026-11-28")
    # A: each step restarts 3 years from its day: 05-10 -> 2026-05-10, ..., the letter 05-20 -> 2026-05-20.
    assert found["A"].basis[1:5] == (
        "payment 2023-05-10, ¥300.00 applied to this invoice: a part payment applied to this invoice is the "
        "debtor's agreement to perform, which interrupts the period (Art. 195(2); SPC 2020 Art. 14): runs anew "
        "from 2023-05-10, ending 2026-05-10",
        "signed acknowledgment 2023-05-15: a signed acknowledgment is the debtor's agreement to perform, which "
        "interrupts the period (Art. 195(2)): runs anew from 2023-05-15, ending 2026-05-15",
        f"recorded call 2023-05-16: {DEMAND}: runs anew from 2023-05-16, ending 2026-05-16",
        f"letter delivered 2023-05-20: {DEMAND}: runs anew from 2023-05-20, ending 2026-05-20",
    )
    # B: the payment and the acknowledgment went to A; the call and the letter count for B too.
    assert found["B"].basis[1:5] == (
        "payment 2023-05-10 was applied to A, not to this invoice: no effect on it",
        "signed acknowledgment 2023-05-15 concerns A only: no effect on this invoice",
        f"recorded call 2023-05-16: {DEMAND}: runs anew from 2023-05-16, ending 2026-05-16",
        f"letter delivered 2023-05-20: {DEMAND}: runs anew from 2023-05-20, ending 2026-05-20",
    )
    # 2026-05-20 is a Wednesday: no roll; passed by 2026-11-28.
    assert (found["A"].date, found["B"].date) == (D("2026-05-20"), D("2026-05-20"))
    assert found["A"].status == found["B"].status == "expired"


def test_an_event_before_an_invoice_was_issued_does_not_concern_it() -> None:
    # The letter (sent 2023-02-01, before B was issued on 2023-03-01) names no invoice: it is A's
    # alone; B is untouched and ends 3 years after its due date, 2026-04-01 (a Wednesday).
    text = TWO_INVOICES.replace("2023-05-01, type: letter", "2023-02-01, type: letter")
    found = limitations(text, "2026-11-28")
    assert not any("letter" in line for line in found["B"].basis)
    assert any(line.startswith("letter delivered 2023-05-20") for line in found["A"].basis)


def invoice_state(amount: str, issued: str) -> InvoiceState:
    invoice = Invoice.model_validate({"id": "A", "issued": issued, "amount": amount})
    return InvoiceState.of(invoice, D(issued), "CNY")


def test_open_at_follows_the_allocations_in_replay_order() -> None:
    # 100.00 issued 1 March; 60 paid on 5 March (event 3), 40 on 9 March (event 7): closed from then.
    # A negative allocation (-30 on 12 March, event 9) cannot come from a ledger (amounts are
    # positive) but must still reopen it: 100 - 60 - 40 + 30 = 30 open.
    history = [((D("2025-03-09"), 1, 7), Decimal("40")), ((D("2025-03-05"), 1, 3), Decimal("60")),
               ((D("2025-03-12"), 1, 9), Decimal("-30"))]
    open_at = _OpenAt(invoice_state("100.00", "2025-03-01"), history)
    assert open_at.always is False

    def at(day: str, index: int) -> bool:
        return open_at(D(day), (D(day), 1, index))

    assert at("2025-02-28", 0) is False  # not issued yet
    assert at("2025-03-01", 0) is True
    assert at("2025-03-05", 3) is True  # the payment itself: its own money is not yet counted
    assert at("2025-03-09", 6) is True  # 40 open: an earlier event of the same day
    assert at("2025-03-09", 8) is False  # after the second payment: nothing open
    assert at("2025-03-12", 9) is False
    assert at("2025-03-12", 10) is True  # reopened


def test_open_at_without_allocations() -> None:
    open_at = _OpenAt(invoice_state("100.00", "2025-03-01"), [])
    assert open_at.always is True
    assert open_at(D("2025-03-01"), (D("2025-03-01"), 1, 0)) is True
    assert open_at(D("2025-02-28"), (D("2025-02-28"), 1, 0)) is False


def test_never_paid_off_is_the_shortcut_for_open_at() -> None:
    state = invoice_state("100.00", "2025-03-01")
    key = (D("2025-03-05"), 1, 3)
    assert _never_paid_off(state, []) is True
    assert _never_paid_off(state, [(key, Decimal("60")), (key, Decimal("39.99"))]) is True  # 0.01 open
    assert _never_paid_off(state, [(key, Decimal("60")), (key, Decimal("40"))]) is False  # paid off
    # a negative allocation may hide a moment when it was paid off: not the shortcut
    assert _never_paid_off(state, [(key, Decimal("100")), (key, Decimal("-30"))]) is False


def test_a_promise_made_with_a_demand() -> None:
    # A recorded call that demands and takes a promise is one step (Art. 195(2), the promise first);
    # an unrecorded one counts for neither (two lines, demand first); an email delivered two days
    # later is two steps: the promise on its day, the demand on delivery. The failed call of
    # 2023-06-05 (no answer, no demand) says nothing. Last restart 2023-05-06 -> 2026-05-06, a
    # Wednesday, passed by 2026-11-28.
    text = """\
name: 测试客户
invoices:
  - {id: A, issued: 2023-01-10, due: 2023-02-10, amount: 1000.00}
events:
  - {at: "2023-03-01T10:00:00+08:00", type: call, by: zhang, outcome: promise, recorded: true, demand: true,
     promise: {date: 2023-03-31, amount: 100.00}}
  - {at: "2023-04-03T10:00:00+08:00", type: call, by: zhang, outcome: promise, demand: true,
     promise: {date: 2023-04-30, amount: 200.00}}
  - {at: "2023-05-04T10:00:00+08:00", type: email, by: zhang, outcome: promise, demand: true, delivered: 2023-05-06,
     promise: {date: 2023-05-31, amount: 300.00}}
  - {at: "2023-06-05T10:00:00+08:00", type: call, by: zhang, outcome: no_answer}
"""
    promise = ("a provable promise to pay is the debtor's agreement to perform, which interrupts the period "
               "(Art. 195(2))")
    found = limitations(text, "2026-11-28")["A"]
    assert found.basis[1:6] == (
        f"recorded call 2023-03-01, with a promise to pay: pay ¥100.00 by 2023-03-31: {promise}: runs anew from "
        f"2023-03-01, ending 2026-03-01",
        "call 2023-04-03 not counted as a demand: no recording or evidence, and a call counts only where it can "
        "be proven (advice: record calls, or confirm the demand in writing)",
        "promise in call 2023-04-03: pay ¥200.00 by 2023-04-30 not counted: made in a call with no recording or "
        "evidence, so it cannot be proven (advice: have the debtor confirm it in writing)",
        f"promise in email 2023-05-04: pay ¥300.00 by 2023-05-31: {promise}: runs anew from 2023-05-04, ending "
        f"2026-05-04",
        f"email 2023-05-04 (delivered 2023-05-06): {DEMAND}: runs anew from 2023-05-06, ending 2026-05-06",
    )
    assert found.basis[6].startswith("2026-05-06 is a Wednesday")
    assert (found.date, found.status) == (D("2026-05-06"), "expired")


def test_money_shown_is_money_display_for_each_amount_as_written() -> None:
    # Memoised by the amount's text: equal amounts written differently, even 0 and -0, each get
    # what money_display gives them.
    cases = [("40000", "CNY", "¥40,000.00"), ("40000.00", "CNY", "¥40,000.00"), ("0", "CNY", "¥0.00"),
             ("-0", "CNY", "¥-0.00"), ("1E+3", "CHF", "1,000.00 CHF"), ("-12.5", "CNY", "-¥12.50")]
    for _ in range(2):  # the second time from the memo
        assert [money_shown(Decimal(amount), currency) for amount, currency, _ in cases] == [
            shown for _, _, shown in cases]
