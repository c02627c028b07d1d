"""Open balances as of a date: allocation, credit, time zones, bankruptcy, disputes, promises, plans.

Each ledger is written inline; the expected figures are worked out by hand in the comments.
"""

import textwrap
from datetime import date
from decimal import Decimal

from dunning.balances import Allocation
from dunning.balances import DebtorState
from dunning.balances import debtor_state
from dunning.balances import plan_states
from dunning.balances import promise_states
from dunning.ledger import parse_debtor
from dunning.model import Debtor
from dunning.model import Settings

D = date.fromisoformat


def settings(**extra: object) -> Settings:
    return Settings.model_validate({"format": 1, "creditor": {"name": "辽宁测试贸易有限公司"}, **extra})


def debtor(text: str) -> Debtor:
    return parse_debtor(textwrap.dedent(text), "debtors/acme.yaml")


def state(text: str, as_of: str, **extra: object) -> DebtorState:
    return debtor_state(debtor(text), settings(**extra), D(as_of))


def opens(result: DebtorState) -> dict[str, str]:
    return {i.id: str(i.open) for i in result.invoices}


THREE = """\
name: 测试客户
terms_days: 30
invoices:
  - {id: A, issued: 2025-01-01, due: 2025-01-31, amount: 1000.00}
  - {id: B, issued: 2025-02-01, due: 2025-02-28, amount: 2000.00}
  - {id: C, issued: 2025-03-01, amount: 3000.00}
events:
"""


def with_events(events: str, base: str = THREE) -> str:
    return base + textwrap.indent(textwrap.dedent(events), "  ")


# ---------------------------------------------------------------------------------------------
# allocation


def test_unnamed_payment_goes_oldest_due_first() -> None:
    # 2500 = A 1000 (due 01-31) + B 1500 (due 02-28); C (due 03-31 = issued + 30) untouched.
    result = state(with_events("""\
        - {at: 2025-04-01, type: payment, amount: 2500.00}
        """), "2025-04-30")
    assert opens(result) == {"A": "0.00", "B": "500.00", "C": "3000.00"}
    assert result.invoice("C") is not None and result.invoice("C").due == D("2025-03-31")  # type: ignore[union-attr]
    assert result.allocations == [
        Allocation(0, D("2025-04-01"), "A", Decimal("1000.00"), "payment"),
        Allocation(0, D("2025-04-01"), "B", Decimal("1500.00"), "payment"),
    ]
    assert result.open_by_currency() == {"CNY": Decimal("3500.00")}


def test_named_invoice_first_then_oldest() -> None:
    # 3500 naming C: C takes 3000, the 500 left goes to the oldest (A).
    result = state(with_events("""\
        - {at: 2025-04-01, type: payment, amount: 3500.00, invoice: C}
        """), "2025-04-30")
    assert opens(result) == {"A": "500.00", "B": "2000.00", "C": "0.00"}


def test_payment_naming_an_already_paid_invoice_goes_oldest_first() -> None:
    # A is paid in full first; a second payment naming A finds it closed: all of it goes to B.
    result = state(with_events("""\
        - {at: 2025-04-01, type: payment, amount: 1000.00, invoice: A}
        - {at: 2025-04-02, type: payment, amount: 800.00, invoice: A}
        """), "2025-04-30")
    assert opens(result) == {"A": "0.00", "B": "1200.00", "C": "3000.00"}


def test_ties_by_invoice_id() -> None:
    text = """\
        name: 测试客户
        invoices:
          - {id: Y, issued: 2025-01-01, due: 2025-01-31, amount: 100.00}
          - {id: X, issued: 2025-01-01, due: 2025-01-31, amount: 100.00}
        events:
          - {at: 2025-02-01, type: payment, amount: 150.00}
        """
    assert opens(state(text, "2025-02-01")) == {"X": "0.00", "Y": "50.00"}


def test_overpayment_is_unapplied_credit_and_never_lost() -> None:
    # 6000 + 500 against 6000 owed: 500 is credit, shown per currency.
    result = state(with_events("""\
        - {at: 2025-04-01, type: payment, amount: 6500.00}
        """), "2025-04-30")
    assert opens(result) == {"A": "0.00", "B": "0.00", "C": "0.00"}
    assert result.unapplied == {"CNY": Decimal("500.00")}
    assert result.open_by_currency() == {}


def test_credit_goes_to_its_invoice_and_its_excess_is_an_overpayment() -> None:
    # credit 300 on B; then B is paid 1700 (=2000-300), then a credit of 100 on paid B: to A, the oldest.
    result = state(with_events("""\
        - {at: 2025-04-01, type: credit, amount: 300.00, invoice: B, reason: 质量折让}
        - {at: 2025-04-02, type: payment, amount: 1700.00, invoice: B}
        - {at: 2025-04-03, type: credit, amount: 100.00, invoice: B}
        """), "2025-04-30")
    assert opens(result) == {"A": "900.00", "B": "0.00", "C": "3000.00"}
    b = result.invoice("B")
    assert b is not None and (b.paid, b.credited) == (Decimal("1700.00"), Decimal("300.00"))
    assert [a.kind for a in result.allocations] == ["credit", "payment", "credit"]


def test_several_currencies_are_kept_apart() -> None:
    # The EUR payment skips the older CNY invoice; the CNY overpayment is CNY credit only.
    text = """\
        name: Müller GmbH
        invoices:
          - {id: CN1, issued: 2025-01-01, due: 2025-01-31, amount: 1000.00}
          - {id: EU1, issued: 2025-02-01, due: 2025-02-28, amount: 500.00, currency: EUR}
          - {id: EU2, issued: 2025-02-01, due: 2025-03-31, amount: 700.00, currency: EUR}
        events:
          - {at: 2025-04-01, type: payment, amount: 600.00, currency: EUR}
          - {at: 2025-04-02, type: payment, amount: 1200.00}
          - {at: 2025-04-03, type: payment, amount: 100.00, invoice: EU2}
        """
    result = state(text, "2025-04-30")
    # EUR: 600 -> EU1 500 + EU2 100; then 100 named EU2 (its currency: EUR) -> EU2 500 left.
    assert opens(result) == {"CN1": "0.00", "EU1": "0.00", "EU2": "500.00"}
    assert result.unapplied == {"CNY": Decimal("200.00")}
    assert result.open_by_currency() == {"EUR": Decimal("500.00")}


def test_debtor_currency_is_the_default() -> None:
    text = """\
        name: Müller GmbH
        currency: EUR
        invoices:
          - {id: E, issued: 2025-01-01, due: 2025-01-31, amount: 1000.00}
        events:
          - {at: 2025-02-01, type: payment, amount: 400.00}
        """
    result = state(text, "2025-02-01")
    assert result.currency == "EUR"
    assert result.open_by_currency() == {"EUR": Decimal("600.00")}


def test_event_day_is_taken_in_the_ledger_time_zone() -> None:
    # 2025-05-02T23:30Z is 2025-05-03 07:30 in Shanghai: as of 2025-05-02 the payment has not happened.
    text = """\
        name: 测试客户
        invoices:
          - {id: A, issued: 2025-04-01, due: 2025-05-01, amount: 1000.00}
        events:
          - {at: "2025-05-02T23:30:00+00:00", type: payment, amount: 1000.00}
        """
    assert opens(state(text, "2025-05-02")) == {"A": "1000.00"}
    result = state(text, "2025-05-03")
    assert opens(result) == {"A": "0.00"}
    assert result.allocations[0].day == D("2025-05-03")
    # In UTC the same instant is still 2 May.
    assert opens(state(text, "2025-05-02", timezone="UTC")) == {"A": "0.00"}


# ---------------------------------------------------------------------------------------------
# as of a past date


def test_as_of_before_issue_the_invoice_does_not_exist() -> None:
    result = state(with_events("[]\n"), "2025-01-31")
    assert [i.id for i in result.invoices] == ["A"]
    assert state(with_events("[]\n"), "2024-12-31").invoices == []


def test_as_of_before_a_payment_ignores_it() -> None:
    text = with_events("""\
        - {at: 2025-04-01, type: payment, amount: 1000.00}
        """)
    assert opens(state(text, "2025-03-31"))["A"] == "1000.00"
    assert opens(state(text, "2025-04-01"))["A"] == "0.00"


def test_payment_before_an_invoice_is_issued_waits_as_credit_then_pays_it() -> None:
    # 1500 on 01-15: A (issued 01-01) takes 1000, 500 waits (B does not exist until 02-01).
    # On 02-01 B is issued and takes the 500 waiting credit; C (03-01) gets nothing.
    text = with_events("""\
        - {at: 2025-01-15, type: payment, amount: 1500.00}
        """)
    before = state(text, "2025-01-31")
    assert opens(before) == {"A": "0.00"}
    assert before.unapplied == {"CNY": Decimal("500.00")}
    after = state(text, "2025-02-01")
    assert opens(after) == {"A": "0.00", "B": "1500.00"}
    assert after.unapplied == {}
    carried = after.allocations[-1]
    assert carried == Allocation(0, D("2025-02-01"), "B", Decimal("500.00"), "payment", carried=True)


def test_payment_naming_a_future_invoice_is_credit_for_the_next_invoice() -> None:
    # 800 naming C on 01-20: C does not exist and A is paid, so it is credit. Credit is netted against
    # the next invoice issued, B on 02-01 (the debtor is never dunned for B while holding credit).
    text = with_events("""\
        - {at: 2025-01-10, type: payment, amount: 1000.00}
        - {at: 2025-01-20, type: payment, amount: 800.00, invoice: C}
        """)
    assert state(text, "2025-01-31").unapplied == {"CNY": Decimal("800.00")}
    result = state(text, "2025-03-01")
    assert opens(result) == {"A": "0.00", "B": "1200.00", "C": "3000.00"}


def test_waiting_credit_prefers_its_named_invoice_among_those_issued_the_same_day() -> None:
    # C and C2 are both issued on 03-01; C2 is due first, but the credit named C.
    text = with_events("""\
        - {at: 2025-01-10, type: payment, amount: 3000.00}
        - {at: 2025-01-20, type: payment, amount: 500.00, invoice: C}
        """, base=THREE.replace("events:", "  - {id: C2, issued: 2025-03-01, due: 2025-03-02, amount: 10.00}\nevents:"))
    result = state(text, "2025-03-01")
    assert opens(result) == {"A": "0.00", "B": "0.00", "C2": "10.00", "C": "2500.00"}


# ---------------------------------------------------------------------------------------------
# due dates, bankruptcy, disputes, status


def test_bankruptcy_makes_every_issued_invoice_due_that_day() -> None:
    # C is due 03-31; the bankruptcy on 03-10 makes it due 03-10 (Enterprise Bankruptcy Law Art. 46).
    # A and B were due earlier: unchanged. An invoice issued later (D) keeps its own due date.
    text = """\
        name: 测试客户
        terms_days: 30
        invoices:
          - {id: A, issued: 2025-01-01, due: 2025-01-31, amount: 1000.00}
          - {id: C, issued: 2025-03-01, amount: 3000.00}
          - {id: D, issued: 2025-03-20, amount: 10.00}
        events:
          - {at: 2025-03-10, type: status, status: bankrupt, claims_deadline: 2025-06-10}
        """
    before = state(text, "2025-03-09")
    assert not before.bankrupt and {i.id: i.due for i in before.invoices}["C"] == D("2025-03-31")
    result = state(text, "2025-04-30")
    assert result.bankrupt and result.bankrupt_on == D("2025-03-10") and result.status == "bankrupt"
    assert {i.id: i.due for i in result.invoices} == {"A": D("2025-01-31"), "C": D("2025-03-10"),
                                                      "D": D("2025-04-19")}
    assert result.invoice("C").days_overdue(D("2025-04-30")) == 51  # type: ignore[union-attr]


def test_dispute_without_invoices_covers_the_open_ones_until_resolved() -> None:
    # On 04-05 A is paid, B and C are open: both disputed. Resolving B leaves C disputed;
    # a resolve naming nothing ends every dispute.
    text = with_events("""\
        - {at: 2025-04-01, type: payment, amount: 1000.00}
        - {at: 2025-04-05, type: dispute, reason: 质量异议}
        - {at: 2025-04-20, type: resolve, invoices: [B]}
        - {at: 2025-05-20, type: resolve}
        """)
    disputed = {i.id for i in state(text, "2025-04-10").invoices if i.disputed}
    assert disputed == {"B", "C"}
    assert {i.id for i in state(text, "2025-04-20").invoices if i.disputed} == {"C"}
    assert not any(i.disputed for i in state(text, "2025-05-20").invoices)
    # Disputed money is still open (owed).
    assert state(text, "2025-04-10").open_by_currency() == {"CNY": Decimal("5000.00")}


def test_dispute_naming_invoices() -> None:
    text = with_events("""\
        - {at: 2025-04-05, type: dispute, invoices: [C]}
        """)
    assert {i.id for i in state(text, "2025-04-10").invoices if i.disputed} == {"C"}


def test_status_is_the_latest() -> None:
    text = with_events("""\
        - {at: 2025-04-05, type: status, status: hold}
        - {at: 2025-06-05, type: status, status: active}
        """)
    assert state(text, "2025-05-01").status == "hold"
    assert state(text, "2025-07-01").status == "active"
    assert state(text, "2025-04-04").status == "active"


# ---------------------------------------------------------------------------------------------
# promises


PROMISE = with_events("""\
    - at: 2025-04-10T09:35:00+08:00
      type: call
      by: zhang.san
      with: 王建国
      outcome: promise
      promise: {date: 2025-04-30, amount: 800.00}
    """)


def promise_of(text: str, as_of: str) -> tuple[str, str]:
    (promise,) = promise_states(debtor(text), settings(), D(as_of))
    return promise.status, str(promise.paid)


def test_promise_pending_until_its_day_ends() -> None:
    assert promise_of(PROMISE, "2025-04-30") == ("pending", "0.00")


def test_promise_broken_the_day_after() -> None:
    assert promise_of(PROMISE, "2025-05-01") == ("broken", "0.00")


def test_promise_kept_by_payments_made_after_it_up_to_its_date() -> None:
    # 500 on 04-20 + 300 on 04-30 = 800 by the end of 04-30: kept, on 04-30.
    text = PROMISE + textwrap.indent(textwrap.dedent("""\
        - {at: 2025-04-20, type: payment, amount: 500.00}
        - {at: "2025-04-30T22:00:00+08:00", type: payment, amount: 300.00}
        """), "  ")
    (promise,) = promise_states(debtor(text), settings(), D("2025-06-01"))
    assert (promise.status, promise.kept_on, promise.paid) == ("kept", D("2025-04-30"), Decimal("800.00"))
    # As of 04-25 only 500 is in: still pending.
    assert promise_of(text, "2025-04-25") == ("pending", "500.00")


def test_promise_broken_when_short_or_late() -> None:
    # 500 in time, 300 on 05-01: late; and a payment before the promise never counts toward it.
    text = with_events("""\
        - {at: 2025-04-09, type: payment, amount: 900.00}
        - at: 2025-04-10T09:35:00+08:00
          type: call
          outcome: promise
          promise: {date: 2025-04-30, amount: 800.00}
        - {at: 2025-04-20, type: payment, amount: 500.00}
        - {at: 2025-05-01, type: payment, amount: 300.00}
        """)
    assert promise_of(text, "2025-05-31") == ("broken", "500.00")


# ---------------------------------------------------------------------------------------------
# instalment plans


PLAN = with_events("""\
    - {at: 2025-04-01, type: payment, amount: 100.00}
    - at: 2025-04-05
      type: plan
      signed: true
      installments:
        - {due: 2025-05-10, amount: 2000.00}
        - {due: 2025-06-10, amount: 2000.00}
        - {due: 2025-07-10, amount: 1900.00}
    - {at: 2025-05-08, type: payment, amount: 2000.00}
    - {at: 2025-06-15, type: payment, amount: 1500.00}
    - {at: 2025-06-20, type: payment, amount: 500.00}
    """)


def test_plan_adherence_paid_late_missed_pending() -> None:
    # After the plan: 2000 on 05-08 covers #1 in time (paid); 1500 + 500 reach #2's running total
    # of 4000 on 06-20, after its 06-10 due date (late); #3 (running total 5900) is not reached.
    # The 100 paid before the plan does not count.
    (plan,) = plan_states(debtor(PLAN), settings(), D("2025-07-01"))
    assert [(i.status, i.paid_on) for i in plan.installments] == [
        ("paid", D("2025-05-08")), ("late", D("2025-06-20")), ("pending", None)]
    assert plan.status == "on_track" and plan.paid == Decimal("4000.00")
    assert plan.next_installment is not None and plan.next_installment.number == 3

    (plan,) = plan_states(debtor(PLAN), settings(), D("2025-07-11"))
    assert plan.installments[2].status == "missed" and plan.status == "behind"

    # As of 06-12: #2 has 0 of 2000 and its day has passed.
    (plan,) = plan_states(debtor(PLAN), settings(), D("2025-06-12"))
    assert [i.status for i in plan.installments] == ["paid", "missed", "pending"]
    assert plan.installments[1].paid == Decimal("0.00")


def test_plan_partly_paid_instalment() -> None:
    (plan,) = plan_states(debtor(PLAN), settings(), D("2025-06-16"))
    assert (plan.installments[1].status, plan.installments[1].paid) == ("missed", Decimal("1500.00"))


def test_plan_not_yet_agreed_as_of_an_earlier_date() -> None:
    assert plan_states(debtor(PLAN), settings(), D("2025-04-04")) == []


def test_balances_without_the_trail_are_the_same_balances() -> None:
    """`age` asks for balances only (trail=False): the same invoices, credit, disputes and status."""
    from pathlib import Path

    from dunning.ledger import load_ledger

    book = load_ledger(Path(__file__).resolve().parent.parent / "ledger", cache=False)
    for as_of in (date(2023, 6, 30), date(2024, 12, 31), date(2025, 8, 1), date(2026, 11, 28)):
        for debtor in book.debtors.values():
            full = debtor_state(debtor, book.settings, as_of)
            bare = debtor_state(debtor, book.settings, as_of, trail=False)
            assert repr(bare.invoices) == repr(full.invoices)
            assert (bare.unapplied, bare.status, bare.bankrupt_on, bare.disputed_since, bare.currency) == (
                full.unapplied, full.status, full.bankrupt_on, full.disputed_since, full.currency)
            assert bare.allocations == [] and bare.payments == []
    assert any(debtor_state(d, book.settings, date(2026, 11, 28)).allocations for d in book.debtors.values())
