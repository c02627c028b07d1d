"""Guarantee periods (CN Arts. 692-694), bankruptcy claims, promises and instalments, derived by hand."""

import textwrap
from datetime import date

from dunning.deadlines import Deadline
from dunning.deadlines import debtor_deadlines
from dunning.ledger import parse_debtor
from dunning.model import Settings

D = date.fromisoformat


def deadlines(text: str, as_of: str, kind: str | None = None) -> list[Deadline]:
    debtor = parse_debtor(textwrap.dedent(text), "debtors/acme.yaml")
    settings = Settings.model_validate({"format": 1, "creditor": {"name": "辽宁测试贸易有限公司"}})
    found = debtor_deadlines("acme", debtor, settings, D(as_of))
    return [x for x in found if kind is None or x.kind == kind]


def guaranteed(kind: str = "joint", events: str = "", months: int = 6, due: str = "2026-06-10") -> str:
    text = f"""\
name: 鞍山测试建材有限公司
guarantees:
  - guarantor: 鞍山测试投资有限公司
    kind: {kind}
    period_months: {months}
    invoices: [A]
invoices:
  - {{id: A, issued: 2025-01-01, due: {due}, amount: 268000}}
  - {{id: B, issued: 2025-01-01, due: {due}, amount: 1000}}
events:
"""
    return text + (textwrap.indent(textwrap.dedent(events), "  ") if events else "  []\n")


# ---------------------------------------------------------------------------------------------
# guarantees


def test_joint_guarantee_open_within_its_period() -> None:
    # due 2026-06-10 + 6 months (Art. 692(2)) -> 2026-12-10. As of 2026-11-28: 12 days left.
    # Only invoice A is covered: no guarantee entry for B.
    found = deadlines(guaranteed(), "2026-11-28", "guarantee")
    assert [(x.invoice, x.date, x.days_left, x.status, x.guarantor) for x in found] == [
        ("A", D("2026-12-10"), 12, "open", "鞍山测试投资有限公司")]
    assert found[0].rule == "CN Civil Code Art. 692, 693"


def test_joint_guarantee_met_by_delivered_demand_and_its_own_limitation() -> None:
    # A demand delivered 2026-11-20, within the period ending 2026-12-10: met (Art. 693(2)). The
    # guarantee debt's limitation runs from the demand (Art. 694(2)): 2026-11-20 + 3 years =
    # 2029-11-20, a Tuesday, provisional (2029 not announced).
    events = """\
    - {at: 2026-11-18, type: guarantor_demand, guarantor: 鞍山测试投资有限公司, via: courier, delivered: 2026-11-20}
    """
    found = deadlines(guaranteed(events=events), "2026-11-28")
    guarantee = [x for x in found if x.kind == "guarantee"]
    own = [x for x in found if x.kind == "limitation" and x.guarantor is not None]
    assert [(x.date, x.status) for x in guarantee] == [(D("2026-12-10"), "met")]
    assert [(x.invoice, x.date, x.status, x.provisional) for x in own] == [("A", D("2029-11-20"), "open", True)]


def test_joint_guarantee_demand_without_proof_of_delivery_releases_the_guarantor() -> None:
    # A registered letter to the guarantor with no `delivered` date and no evidence does not count;
    # as of 2026-12-11 the period (ending 2026-12-10) has passed: released.
    events = """\
    - {at: 2026-11-18, type: guarantor_demand, guarantor: 鞍山测试投资有限公司, via: registered_mail}
    """
    (found,) = deadlines(guaranteed(events=events), "2026-12-11", "guarantee")
    assert (found.status, found.days_left) == ("released", -1)
    assert any("not counted: no `delivered` date and no evidence" in line for line in found.basis)


def test_joint_guarantee_demand_by_email_counts_on_its_day() -> None:
    # An email demand (electronic, its own proof) on 2026-12-10, the last day: in time.
    events = """\
    - {at: 2026-12-10T16:00:00+08:00, type: guarantor_demand, guarantor: 鞍山测试投资有限公司, via: email}
    """
    (found,) = deadlines(guaranteed(events=events), "2026-12-20", "guarantee")
    assert found.status == "met"


def test_joint_guarantee_demand_too_late() -> None:
    # Delivered 2026-12-11, a day after the period ended: released.
    events = """\
    - {at: 2026-12-09, type: guarantor_demand, guarantor: 鞍山测试投资有限公司, delivered: 2026-12-11}
    """
    (found,) = deadlines(guaranteed(events=events), "2026-12-20", "guarantee")
    assert found.status == "released"
    assert any("too late" in line for line in found.basis)


def test_general_guarantee_needs_a_suit_against_the_debtor() -> None:
    # General guarantee: a suit against the debtor filed 2026-12-01 (within the period to
    # 2026-12-10) keeps the guarantor (Art. 694(1)); a payment order alone does not.
    suit = "- {at: 2026-12-01, type: legal, action: filed, kind: suit}\n"
    order = "- {at: 2026-12-01, type: legal, action: filed, kind: payment_order}\n"
    (met,) = deadlines(guaranteed("general", suit), "2026-12-20", "guarantee")
    (released,) = deadlines(guaranteed("general", order), "2026-12-20", "guarantee")
    assert (met.status, released.status) == ("met", "released")


def test_guarantee_period_month_end_and_no_roll() -> None:
    # 3 months from 2025-11-30: February 2026 has no 30th -> its last day, 2026-02-28 (Arts. 201-202).
    (short,) = deadlines(guaranteed(months=3, due="2025-11-30"), "2026-01-01", "guarantee")
    assert short.date == D("2026-02-28")
    # 6 months from 2026-06-13 -> 2026-12-13, a Sunday: the guarantee period is never extended,
    # so it is not rolled (the earlier, safer reading).
    (sunday,) = deadlines(guaranteed(due="2026-06-13"), "2026-11-28", "guarantee")
    assert sunday.date == D("2026-12-13")


# ---------------------------------------------------------------------------------------------
# bankruptcy claims


BANKRUPT = """\
name: 抚顺测试化工有限公司
invoices:
  - {id: A, issued: 2026-02-01, due: 2026-03-31, amount: 270800}
  - {id: B, issued: 2026-11-01, due: 2026-12-29, amount: 10000}
events:
  - {at: 2026-11-03, type: status, status: bankrupt, claims_deadline: 2027-01-20, administrator: 辽宁正和律师事务所}
"""


def test_claims_deadline_open() -> None:
    # Claims must be filed by 2027-01-20; as of 2026-11-28 that is 53 days away.
    (claims,) = deadlines(BANKRUPT, "2026-11-28", "claims")
    assert (claims.date, claims.days_left, claims.status, claims.invoice) == (D("2027-01-20"), 53, "open", None)
    assert claims.amount is not None and str(claims.amount) == "280800.00"


def test_bankruptcy_makes_every_invoice_due() -> None:
    # B was due 2026-12-29 but is due on the bankruptcy day, 2026-11-03 (Enterprise Bankruptcy Law
    # Art. 46): its limitation runs 2026-11-03 + 3 years = 2029-11-03, a Saturday -> Monday 2029-11-05.
    found = [x for x in deadlines(BANKRUPT, "2026-11-28", "limitation") if x.invoice == "B"]
    assert found[0].date == D("2029-11-05")
    assert "treated as due 2026-11-03" in found[0].basis[0]


def test_claims_deadline_met_by_claim_filed() -> None:
    text = BANKRUPT + "  - {at: 2026-12-15, type: status, status: bankrupt, claim_filed: 2026-12-15}\n"
    (claims,) = deadlines(text, "2027-02-01", "claims")
    assert claims.status == "met"


def test_claims_deadline_met_by_a_legal_filing_after_the_bankruptcy() -> None:
    text = BANKRUPT + "  - {at: 2027-01-10, type: legal, action: filed}\n"
    (claims,) = deadlines(text, "2027-02-01", "claims")
    assert claims.status == "met"


def test_claims_deadline_expired() -> None:
    (claims,) = deadlines(BANKRUPT, "2027-01-21", "claims")
    assert (claims.status, claims.days_left) == ("expired", -1)


# ---------------------------------------------------------------------------------------------
# promises and instalments


PROMISES = """\
name: 大连测试船舶有限公司
invoices:
  - {id: A, issued: 2026-06-01, due: 2026-06-30, amount: 100000}
events:
  - {at: 2026-08-01, type: call, outcome: promise, promise: {date: 2026-08-15, amount: 20000}}
  - {at: 2026-08-14, type: payment, amount: 20000}
  - {at: 2026-09-01, type: call, outcome: promise, promise: {date: 2026-09-15, amount: 30000}}
  - {at: 2026-11-20, type: wechat, outcome: promise, invoices: [A], promise: {date: 2026-12-05, amount: 10000}}
"""


def test_promises_kept_broken_pending() -> None:
    # 20,000 by 2026-08-15, paid 2026-08-14: kept -> met. 30,000 by 2026-09-15, nothing paid:
    # broken -> expired. 10,000 by 2026-12-05: pending -> open, 7 days left as of 2026-11-28.
    found = deadlines(PROMISES, "2026-11-28", "promise")
    assert [(x.date, x.status, x.days_left, x.invoice) for x in found] == [
        (D("2026-08-15"), "met", -105, None),
        (D("2026-09-15"), "expired", -74, None),
        (D("2026-12-05"), "open", 7, "A"),
    ]


PLAN = """\
name: 哈尔滨测试机械有限公司
invoices:
  - {id: A, issued: 2026-05-01, due: 2026-05-31, amount: 248000}
events:
  - at: 2026-07-08
    type: plan
    signed: true
    installments: [{due: 2026-08-10, amount: 80000}, {due: 2026-09-10, amount: 80000},
                   {due: 2026-10-10, amount: 88000}]
  - {at: 2026-08-10, type: payment, amount: 80000}
  - {at: 2026-09-12, type: payment, amount: 80000}
"""


def test_instalments_paid_late_missed() -> None:
    # 1st paid on its day -> met; 2nd paid 2026-09-12, two days late -> met (late); 3rd, due
    # 2026-10-10, unpaid as of 2026-11-28 -> expired. As of 2026-10-01 the 3rd is still open.
    found = deadlines(PLAN, "2026-11-28", "installment")
    assert [(x.date, x.status) for x in found] == [
        (D("2026-08-10"), "met"), (D("2026-09-10"), "met"), (D("2026-10-10"), "expired")]
    assert found[1].basis[-1] == "paid late, on 2026-09-12"
    assert deadlines(PLAN, "2026-10-01", "installment")[2].status == "open"
