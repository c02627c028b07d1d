"""`dunning risk`: each signal with its evidence and advice, the score order, and the provision stress test,
on small ledgers whose figures are worked out by hand in the comments."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from test_analytics import AS_OF as ANALYTICS_AS_OF
from test_analytics import PERIOD as ANALYTICS_PERIOD
from test_analytics import debtors as analytics_debtors
from test_analytics import settings
from test_analytics import write_ledger as write_analytics_ledger
from typer.testing import CliRunner

from dunning.cli.app import app
from dunning.ledger import load_ledger
from dunning.ledger import parse_debtor
from dunning.model import Debtor
from dunning.risk import DebtorRisk
from dunning.risk import assess
from dunning.risk import loss_rates
from dunning.risk import risk_report
from dunning.risk import slope

D = date.fromisoformat
runner = CliRunner()
AS_OF = D("2026-06-30")  # 30 days before: 2026-05-31

# Paid later and later: 2, 10, 25, 41 days late (slope 13.2 days per invoice); S5 12000 open and not yet
# due, over the 10000 limit (120 %). 30 days ago S4 was 30 days overdue (A); now only S5, current.
SLOWING = """\
name: 沈阳渐慢机电有限公司
terms_days: 30
credit_limit: 10000
invoices:
  - {id: S1, issued: 2026-01-01, due: 2026-01-31, amount: 1000.00}
  - {id: S2, issued: 2026-02-01, due: 2026-03-03, amount: 1000.00}
  - {id: S3, issued: 2026-03-01, due: 2026-03-31, amount: 1000.00}
  - {id: S4, issued: 2026-04-01, due: 2026-05-01, amount: 1000.00}
  - {id: S5, issued: 2026-06-01, due: 2026-07-01, amount: 12000.00}
events:
  - {at: 2026-02-02, type: payment, amount: 1000.00, invoice: S1}
  - {at: 2026-03-13, type: payment, amount: 1000.00, invoice: S2}
  - {at: 2026-04-25, type: payment, amount: 1000.00, invoice: S3}
  - {at: 2026-06-11, type: payment, amount: 1000.00, invoice: S4}
"""

# Promises dated 01-20 (161 days ago: within 180, not 90), 04-20 (71 days) and 06-15 (15 days) broken;
# 05-25 kept (1000 paid 05-24, to K0). Broken: 2 in 90 days, 3 in 180 -> 10 x 2 + 5 = 25 points.
# K0 due 2025-12-31 is 181 days overdue (C) now and was 151 days (C) 30 days ago: no worse bucket.
BROKEN = """\
name: 大连失信贸易有限公司
invoices:
  - {id: K0, issued: 2025-12-01, due: 2025-12-31, amount: 3000.00}
  - {id: K1, issued: 2026-03-01, due: 2026-03-31, amount: 5000.00}
events:
  - {at: 2026-01-10, type: call, outcome: promise, promise: {date: 2026-01-20, amount: 3000.00}}
  - {at: 2026-04-10, type: call, outcome: promise, promise: {date: 2026-04-20, amount: 2000.00}}
  - {at: 2026-05-20, type: call, outcome: promise, promise: {date: 2026-05-25, amount: 1000.00}}
  - {at: 2026-05-24, type: payment, amount: 1000.00}
  - {at: 2026-06-01, type: call, outcome: promise, promise: {date: 2026-06-15, amount: 2000.00}}
"""

# Bankrupt on 06-10: Z1 (due 07-31) falls due that day, so it is 20 days overdue (A) now; 30 days ago
# it was current: worse by one bucket from current, 10 - 5 = 5 points; bankrupt 40. Score 45.
BANKRUPT = """\
name: 抚顺破产设备有限公司
guarantees:
  - {guarantor: 沈阳担保有限公司, kind: joint}
invoices:
  - {id: Z1, issued: 2026-05-01, due: 2026-07-31, amount: 4000.00}
events:
  - {at: 2026-06-10, type: status, status: bankrupt, claims_deadline: 2026-09-10, administrator: 辽宁正和律师事务所,
     summary: 法院受理破产清算申请}
"""

# Paid 5 and 10 days late; L3 (due 2026-03-03) is now 119 days overdue, more than 10 + 30: later than usual.
LATE = """\
name: 锦州迟付有限公司
terms_days: 30
invoices:
  - {id: L1, issued: 2025-10-01, due: 2025-10-31, amount: 1000.00}
  - {id: L2, issued: 2025-11-01, due: 2025-11-30, amount: 1000.00}
  - {id: L3, issued: 2026-02-01, due: 2026-03-03, amount: 1000.00}
events:
  - {at: 2025-11-05, type: payment, amount: 1000.00, invoice: L1}
  - {at: 2025-12-10, type: payment, amount: 1000.00, invoice: L2}
"""

# Plan of 3 x 1000: the first paid 03-30, the 04-30 and 05-31 instalments missed (20 points); P2
# disputed (10 points). Score 30; open 2000 + 500.
PLAN = """\
name: 哈尔滨分期食品有限公司
invoices:
  - {id: P1, issued: 2026-01-01, due: 2026-01-31, amount: 3000.00}
  - {id: P2, issued: 2026-05-01, due: 2026-05-31, amount: 500.00}
events:
  - at: 2026-03-01
    type: plan
    signed: true
    installments: [{due: 2026-03-31, amount: 1000.00}, {due: 2026-04-30, amount: 1000.00},
                   {due: 2026-05-31, amount: 1000.00}]
  - {at: 2026-03-30, type: payment, amount: 1000.00}
  - {at: 2026-06-05, type: dispute, invoices: [P2], reason: 质量问题}
"""

# Nothing wrong: F1 paid before due, F2 not yet due.
FINE = """\
name: 烟台守信食品有限公司
invoices:
  - {id: F1, issued: 2026-05-01, due: 2026-05-31, amount: 1000.00}
  - {id: F2, issued: 2026-06-15, due: 2026-07-15, amount: 500.00}
events:
  - {at: 2026-05-30, type: payment, amount: 1000.00}
"""

# Written off: the loss is taken, not listed.
WRITTEN = """\
name: 本溪核销有限公司
invoices:
  - {id: W1, issued: 2025-01-01, due: 2025-01-31, amount: 800.00}
events:
  - {at: 2026-01-15, type: status, status: written_off}
"""

TEXTS = {"slowing": SLOWING, "broken": BROKEN, "bankrupt": BANKRUPT, "late": LATE, "plan": PLAN,
         "fine": FINE, "written": WRITTEN}


def debtors() -> dict[str, Debtor]:
    return {name: parse_debtor(text, f"debtors/{name}.yaml") for name, text in TEXTS.items()}


def assessed(name: str, lang: str = "zh") -> DebtorRisk:
    found = assess(name, debtors()[name], settings(), AS_OF, lang=lang)  # type: ignore[arg-type]
    assert found is not None
    return found


def signals(risk: DebtorRisk) -> dict[str, int]:
    return {s.code: s.points for s in risk.signals}


def advice(risk: DebtorRisk) -> list[str]:
    return [a.code for a in risk.advice]


def test_slope_of_days_late() -> None:
    # x = 0..3, mean 1.5; y mean 19.5; sum (x - 1.5)(y - 19.5) = 66; sum (x - 1.5)^2 = 5 -> 13.2.
    assert slope([2, 10, 25, 41]) == pytest.approx(13.2)
    assert slope([7]) == 0.0


def test_paying_later_and_over_the_credit_limit() -> None:
    risk = assessed("slowing")
    assert signals(risk) == {"paying_later": 15, "over_limit": 15}
    assert (risk.score, risk.level, risk.bucket) == (30, "medium", "current")
    evidence = [s.evidence for s in risk.signals]
    assert "最近4张已付发票的逾期天数：2, 10, 25, 41（每张约+13天）" in evidence
    assert "未结¥12,000.00，超出信用额度¥10,000.00（120%）" in evidence
    assert advice(risk) == ["stop_deliveries", "shorten_terms", "security"]
    assert "暂停发货" in risk.advice[0].text
    assert "现为30天" in risk.advice[1].text


def test_broken_promises_in_90_and_180_days() -> None:
    risk = assessed("broken")
    assert signals(risk) == {"broken_promises": 25}
    assert risk.signals[0].evidence == "90天内失信2次、180天内3次（最近：承诺2026-06-15前付¥2,000.00，实付¥0.00）"
    assert (risk.bucket, risk.days_overdue) == ("C", 181)
    # In the last bucket, promises broken: the signed acknowledgment restarts limitation.
    assert advice(risk) == ["acknowledgment"]
    assert "债务确认书" in risk.advice[0].text


def test_bankruptcy_claim_and_the_guarantor() -> None:
    risk = assessed("bankrupt")
    assert signals(risk) == {"worse_bucket": 5, "status": 40}
    assert (risk.score, risk.level, risk.bucket, risk.days_overdue) == (45, "high", "A", 20)
    assert risk.signals[0].evidence == "账龄由未到期升至A（2026-05-31→2026-06-30）"
    assert risk.signals[1].evidence == "破产（2026-06-10）：法院受理破产清算申请"
    assert advice(risk) == ["file_claim", "demand_guarantor"]
    assert risk.advice[0].text == "向辽宁正和律师事务所申报债权（申报期限2026-09-10）"
    assert "沈阳担保有限公司" in risk.advice[1].text


def test_later_than_ever_paid() -> None:
    risk = assessed("late", "en")
    assert signals(risk) == {"later_than_usual": 10}
    assert risk.signals[0].evidence == "L3 is 119 days overdue; paid invoices were at most 10 days late"
    assert risk.level == "low"
    assert advice(risk) == ["acknowledgment", "shorten_terms", "security"]


def test_missed_instalments_and_dispute() -> None:
    risk = assessed("plan")
    assert signals(risk) == {"missed_installments": 20, "dispute": 10}
    evidence = [s.evidence for s in risk.signals]
    assert "分期计划2期未付（第2期¥1,000.00，2026-04-30到期）" in evidence
    assert "有争议：P2 ¥500.00" in evidence
    assert advice(risk) == ["acknowledgment", "settle_dispute"]


def test_good_payers_and_written_off_debtors_are_not_listed() -> None:
    book = debtors()
    assert assess("fine", book["fine"], settings(), AS_OF) is None
    assert assess("written", book["written"], settings(), AS_OF) is None


def test_the_list_is_in_score_order() -> None:
    result = risk_report(debtors(), settings(), AS_OF)
    # bankrupt 45; slowing 30 (12000 open) before plan 30 (2500 open); broken 25; late 10.
    assert [(r.id, r.score) for r in result.debtors] == [("bankrupt", 45), ("slowing", 30), ("plan", 30),
                                                         ("broken", 25), ("late", 10)]


# ---------------------------------------------------------------------------------------------
# provision


def test_loss_rates_multiply_the_roll_rates_to_the_last_bucket() -> None:
    rolls = [Decimal("0.5"), Decimal("0.4")]
    assert loss_rates(rolls, Decimal(1)) == [Decimal("0.20"), Decimal("0.4"), Decimal(1)]
    # No history for a bucket: it is taken to roll entirely (conservative).
    assert loss_rates([None, Decimal("0.5")], Decimal(1)) == [Decimal("0.5"), Decimal("0.5"), Decimal(1)]


def test_provision_from_the_ledgers_own_roll_rates() -> None:
    # The analytics ledger, 2026-01-01 to 2026-03-31: rolls current->A 0.7, A->B 0.8333, B->C 0.4
    # (test_analytics.test_roll_rates). Loss rates with c_loss 1: C 1; B 0.4; A 0.8333 x 0.4 = 0.3333;
    # current 0.7 x 0.3333 = 0.2333. Balances on 03-31: current 500, A 0, B 800, C 4000.
    # Provision: 500 x 0.2333 = 116.67; 0; 800 x 0.4 = 320.00; 4000.00. Total 4436.67.
    result = risk_report(analytics_debtors(), settings(), ANALYTICS_AS_OF, period=ANALYTICS_PERIOD)
    (cny,) = result.provision  # EUR: nothing open on 03-31
    assert [(line.bucket, line.balance, line.provision) for line in cny.lines] == [
        ("current", Decimal("500.00"), Decimal("116.67")), ("A", Decimal("0.00"), Decimal("0.00")),
        ("B", Decimal("800.00"), Decimal("320.00")), ("C", Decimal("4000.00"), Decimal("4000.00"))]
    assert cny.provision == Decimal("4436.67")
    # With c_loss 0.5 every loss rate halves: 58.33, 0, 160.00, 2000.00.
    half = risk_report(analytics_debtors(), settings(), ANALYTICS_AS_OF, period=ANALYTICS_PERIOD,
                       c_loss=Decimal("0.5"))
    assert [line.provision for line in half.provision[0].lines] == [
        Decimal("58.33"), Decimal("0.00"), Decimal("160.00"), Decimal("2000.00")]


# ---------------------------------------------------------------------------------------------
# the command


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    root = tmp_path / "ledger"
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text("format: 1\ncreditor: {name: 辽宁测试贸易有限公司}\n", encoding="utf-8")
    for name, text in TEXTS.items():
        (root / "debtors" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


def test_json_contract(ledger: Path) -> None:
    result = runner.invoke(app, ["risk", "--ledger", str(ledger), "--as-of", "2026-06-30", "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    first = document["debtors"][0]
    assert (first["id"], first["score"], first["level"], first["open"]) == ("bankrupt", 45, "high",
                                                                            {"CNY": "4000.00"})
    assert [s["code"] for s in first["signals"]] == ["worse_bucket", "status"]
    assert first["advice"][0]["code"] == "file_claim"
    provision = document["provision"]
    assert (provision["from"], provision["to"], provision["c_loss"]) == ("2025-07-01", "2026-06-30", 1.0)
    assert [b["bucket"] for b in provision["currencies"][0]["buckets"]] == ["current", "A", "B", "C"]


def test_table_shows_evidence_advice_and_provision(tmp_path: Path) -> None:
    root = write_analytics_ledger(tmp_path / "analytics")
    result = runner.invoke(app, ["risk", "--ledger", str(root), "--as-of", "2026-03-31", "--c-loss", "0.5",
                                 "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Credit risk as of 2026-03-31" in result.output
    assert "Provision (stress test): roll rates 2025-04-01 to 2026-03-31, loss rate of the last bucket 50%" \
        in result.output
    # beta: 1 promise broken within 90 days (02-10), bucket C now, B 30 days ago.
    assert "1 promise(s) broken in 90 days" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--c-loss", "1.5"], "--c-loss: must be between 0 and 1, got 1.5"),
    (["--c-loss", "lots"], "--c-loss: not a number: 'lots'"),
    (["--lang", "de"], "--lang: use zh or en, not 'de'"),
    (["--as-of", "2026-06-31"], "--as-of: not a date"),
])
def test_bad_options_exit_2(ledger: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["risk", "--ledger", str(ledger), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_sample_ledger() -> None:
    sample = Path(__file__).resolve().parent.parent / "ledger"
    book = load_ledger(sample, cache=False)
    result = risk_report(book.debtors, book.settings, D("2026-11-28"))
    found = {r.id: r for r in result.debtors}
    assert found["fushun-hengtai"].level == "high"
    assert advice(found["fushun-hengtai"])[0] == "file_claim"
    assert "over_limit" in signals(found["shijiazhuang-jizhong"])
    assert "missed_installments" in signals(found["harbin-beifang"])
    assert "dispute" in signals(found["tangshan-hongye"])
    assert "qingdao-ruihai" not in found  # nothing open
    assert [b.currency for b in result.provision] == ["CNY", "EUR"]
