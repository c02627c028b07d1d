"""`dunning age`: buckets, rows per debtor and currency, totals, filters and the output contracts."""

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning.aging import aging
from dunning.aging import buckets_of
from dunning.aging import debtor_rows
from dunning.cli.app import app
from dunning.ledger import parse_debtor
from dunning.model import Settings

D = date.fromisoformat
runner = CliRunner()

SETTINGS = """\
format: 1
creditor: {name: 辽宁测试贸易有限公司}
collectors: {zhang.san: 张三, li.si: 李四}
"""

# As of 2026-01-31 (the as-of used below):
# shenyang-heavy: INV-1 due 2025-12-17 -> 45 days overdue (B), open 120000 - 50000 = 70000.
SHENYANG = """\
name: 沈阳重工机械有限公司
industry: 机械制造
region: 辽宁/沈阳
collector: zhang.san
invoices:
  - {id: INV-1, contract: HT-7, issued: 2025-11-17, due: 2025-12-17, amount: 120000.00}
events:
  - {at: 2025-12-20, type: payment, amount: 50000.00, ref: 工行回单}
"""

# dalian-port: CNY 1000 due 2026-01-31 (0 days: current) and 2000 due 2025-11-01 (91 days: C);
# EUR 300 due 2026-01-01 (30 days: A). DL-2 is disputed: still owed, flagged.
DALIAN = """\
name: 大连港务有限公司
industry: 物流
region: 辽宁/大连
collector: li.si
invoices:
  - {id: DL-1, issued: 2026-01-01, due: 2026-01-31, amount: 1000.00}
  - {id: DL-2, issued: 2025-10-01, due: 2025-11-01, amount: 2000.00}
  - {id: EU-1, issued: 2025-12-01, due: 2026-01-01, amount: 300.00, currency: EUR}
events:
  - {at: 2026-01-05, type: dispute, invoices: [DL-2], reason: 数量不符}
"""

# paid-up: everything paid; nothing open, no credit.
PAID = """\
name: 已结清有限公司
collector: zhang.san
invoices:
  - {id: PU-1, issued: 2025-10-01, due: 2025-10-31, amount: 500.00}
events:
  - {at: 2025-11-01, type: payment, amount: 500.00}
"""

# credit-only: overpaid by 80.
CREDIT = """\
name: 多付款有限公司
collector: li.si
invoices:
  - {id: CR-1, issued: 2025-10-01, due: 2025-10-31, amount: 500.00}
events:
  - {at: 2025-11-01, type: payment, amount: 580.00}
"""


def write_ledger(root: Path, debtors: dict[str, str]) -> Path:
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    for debtor_id, text in debtors.items():
        (root / "debtors" / f"{debtor_id}.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write_ledger(tmp_path / "ledger", {"shenyang-heavy": SHENYANG, "dalian-port": DALIAN,
                                              "paid-up": PAID, "credit-only": CREDIT})


def age(ledger: Path, *args: str) -> str:
    result = runner.invoke(app, ["age", "--ledger", str(ledger), "--as-of", "2026-01-31", *args])
    assert result.exit_code == 0, result.output
    return result.output


def settings() -> Settings:
    return Settings.model_validate({"format": 1, "creditor": {"name": "测试"}})


# ---------------------------------------------------------------------------------------------
# buckets


@pytest.mark.parametrize(("days", "bucket"), [(-5, "current"), (0, "current"), (1, "A"), (30, "A"),
                                              (31, "B"), (60, "B"), (61, "C"), (5000, "C")])
def test_bucket_boundaries(days: int, bucket: str) -> None:
    assert buckets_of(settings()).of(days) == bucket


@pytest.mark.parametrize(("due", "bucket", "days"), [("2026-01-31", "current", 0), ("2026-01-30", "A", 1),
                                                     ("2026-01-01", "A", 30), ("2025-12-31", "B", 31),
                                                     ("2025-12-02", "B", 60), ("2025-12-01", "C", 61)])
def test_bucket_boundaries_through_a_debtor(due: str, bucket: str, days: int) -> None:
    text = f"name: 测试\ninvoices:\n  - {{id: X, issued: 2025-01-01, due: {due}, amount: 10.00}}\n"
    (row,) = debtor_rows("x", parse_debtor(text, "debtors/x.yaml"), settings(), D("2026-01-31"))
    assert (row.bucket, row.days_overdue) == (bucket, days)
    assert row.by_bucket[bucket] == Decimal("10.00")


def test_custom_buckets() -> None:
    custom = Settings.model_validate({"format": 1, "creditor": {"name": "测试"},
                                      "buckets": {"1-90": 90, "91-365": 365, "older": None}})
    buckets = buckets_of(custom)
    assert buckets.names == ("current", "1-90", "91-365", "older")
    assert [buckets.of(d) for d in (0, 90, 91, 365, 366)] == ["current", "1-90", "91-365", "91-365", "older"]


# ---------------------------------------------------------------------------------------------
# rows (core)


def test_debtor_row_bucket_is_its_oldest_overdue_invoice() -> None:
    (cny, eur) = debtor_rows("dalian-port", parse_debtor(DALIAN, "debtors/d.yaml"), settings(), D("2026-01-31"))
    # CNY: DL-1 current (1000), DL-2 91 days (C, 2000, disputed).
    assert (cny.currency, cny.bucket, cny.days_overdue, cny.open) == ("CNY", "C", 91, Decimal("3000.00"))
    assert cny.by_bucket == {"current": Decimal("1000.00"), "A": Decimal("0.00"), "B": Decimal("0.00"),
                             "C": Decimal("2000.00")}
    assert cny.disputed == Decimal("2000.00")
    assert (eur.currency, eur.bucket, eur.days_overdue, eur.open) == ("EUR", "A", 30, Decimal("300.00"))


def test_as_of_before_issue_and_before_a_payment() -> None:
    debtor = parse_debtor(SHENYANG, "debtors/s.yaml")
    assert debtor_rows("s", debtor, settings(), D("2025-11-16")) == []  # not issued yet
    (row,) = debtor_rows("s", debtor, settings(), D("2025-12-19"))  # 2 days overdue, before the payment
    assert (row.bucket, row.days_overdue, row.open) == ("A", 2, Decimal("120000.00"))
    (row,) = debtor_rows("s", debtor, settings(), D("2025-12-17"))  # due today: current
    assert (row.bucket, row.days_overdue) == ("current", 0)


def test_nothing_open_left_out_unless_all_and_credit_shown() -> None:
    debtors = {k: parse_debtor(t, f"debtors/{k}.yaml") for k, t in (("credit-only", CREDIT), ("paid-up", PAID))}
    report = aging(debtors, settings(), D("2026-01-31"))
    assert [(r.id, r.open, r.unapplied) for r in report.rows] == [  # type: ignore[union-attr]
        ("credit-only", Decimal("0.00"), Decimal("80.00"))]
    report = aging(debtors, settings(), D("2026-01-31"), include_all=True)
    assert [r.id for r in report.rows] == ["credit-only", "paid-up"]  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# the command


def test_json_shape_is_the_contract(ledger: Path) -> None:
    document = json.loads(age(ledger, "--format", "json"))
    assert list(document) == ["as_of", "buckets", "debtors", "totals"]
    assert document["as_of"] == "2026-01-31"
    assert document["buckets"] == ["current", "A", "B", "C"]
    shenyang = next(d for d in document["debtors"] if d["id"] == "shenyang-heavy")
    assert shenyang == {
        "id": "shenyang-heavy", "name": "沈阳重工机械有限公司", "collector": "zhang.san", "currency": "CNY",
        "bucket": "B", "days_overdue": 45, "open": "70000.00",
        "by_bucket": {"current": "0.00", "A": "0.00", "B": "70000.00", "C": "0.00"},
        "unapplied": "0.00", "disputed": "0.00"}
    # One row per debtor and currency, sorted by id; paid-up (nothing open) left out.
    assert [(d["id"], d["currency"]) for d in document["debtors"]] == [
        ("credit-only", "CNY"), ("dalian-port", "CNY"), ("dalian-port", "EUR"), ("shenyang-heavy", "CNY")]
    assert document["totals"] == {
        "CNY": {"current": "1000.00", "A": "0.00", "B": "70000.00", "C": "2000.00", "open": "73000.00",
                "unapplied": "80.00", "disputed": "2000.00"},
        "EUR": {"current": "0.00", "A": "300.00", "B": "0.00", "C": "0.00", "open": "300.00",
                "unapplied": "0.00", "disputed": "0.00"}}


def test_all_includes_debtors_with_nothing_open(ledger: Path) -> None:
    document = json.loads(age(ledger, "--format", "json", "--all"))
    paid = next(d for d in document["debtors"] if d["id"] == "paid-up")
    assert (paid["open"], paid["bucket"], paid["days_overdue"]) == ("0.00", "current", None)


def test_csv_amounts_have_two_decimals(ledger: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(age(ledger, "-f", "csv"))))
    assert list(rows[0]) == ["id", "name", "collector", "currency", "bucket", "days_overdue", "current",
                             "A", "B", "C", "open", "unapplied", "disputed"]
    shenyang = next(r for r in rows if r["id"] == "shenyang-heavy")
    assert (shenyang["open"], shenyang["B"], shenyang["current"]) == ("70000.00", "70000.00", "0.00")
    assert shenyang["collector"] == "zhang.san"


def test_output_file_infers_csv(ledger: Path, tmp_path: Path) -> None:
    target = tmp_path / "aging.csv"
    assert age(ledger, "-o", str(target)) == ""
    assert target.read_text(encoding="utf-8").startswith("id,name,collector,currency,bucket")


def test_table_has_grouped_amounts_names_and_totals_per_currency(ledger: Path) -> None:
    text = age(ledger)
    lines = text.splitlines()
    assert lines[0].split()[:6] == ["debtor", "name", "collector", "cur", "bucket", "days"]
    shenyang = next(line for line in lines if line.startswith("shenyang-heavy"))
    assert "沈阳重工机械有限公司" in shenyang and "张三" in shenyang and "70,000.00" in shenyang
    totals = [line for line in lines if line.startswith("total")]
    assert [t.split()[1] for t in totals] == ["CNY", "EUR"]
    assert "73,000.00" in totals[0] and "300.00" in totals[1]


def test_by_invoice(ledger: Path) -> None:
    document = json.loads(age(ledger, "--by", "invoice", "-f", "json"))
    assert list(document) == ["as_of", "buckets", "invoices", "totals"]
    rows = {r["invoice"]: r for r in document["invoices"]}
    assert set(rows) == {"INV-1", "DL-1", "DL-2", "EU-1"}
    assert {k: rows["DL-2"][k] for k in ("debtor", "invoice", "currency", "due", "days_overdue", "bucket",
                                         "amount", "open", "disputed")} == {
        "debtor": "dalian-port", "invoice": "DL-2", "currency": "CNY", "due": "2025-11-01",
        "days_overdue": 91, "bucket": "C", "amount": "2000.00", "open": "2000.00", "disputed": True}
    assert rows["INV-1"]["contract"] == "HT-7" and rows["INV-1"]["open"] == "70000.00"


def test_by_collector_and_filters(ledger: Path) -> None:
    document = json.loads(age(ledger, "--by", "collector", "-f", "json"))
    groups = {(g["collector"], g["currency"]): g for g in document["groups"]}
    assert set(groups) == {("li.si", "CNY"), ("li.si", "EUR"), ("zhang.san", "CNY")}
    assert (groups[("li.si", "CNY")]["open"], groups[("li.si", "CNY")]["debtors"]) == ("3000.00", 2)
    # --collector takes the key or the display name.
    assert json.loads(age(ledger, "--collector", "张三", "-f", "json"))["debtors"][0]["id"] == "shenyang-heavy"
    only_c = json.loads(age(ledger, "--bucket", "C", "-f", "json"))["debtors"]
    assert [(d["id"], d["currency"]) for d in only_c] == [("dalian-port", "CNY")]


def test_by_region_groups_without_a_value(ledger: Path) -> None:
    document = json.loads(age(ledger, "--by", "region", "-f", "json"))
    assert [(g["region"], g["currency"]) for g in document["groups"]] == [
        (None, "CNY"), ("辽宁/大连", "CNY"), ("辽宁/大连", "EUR"), ("辽宁/沈阳", "CNY")]


@pytest.mark.parametrize(("args", "message"), [
    (["--bucket", "D"], "--bucket: unknown bucket 'D': use one of current, A, B, C"),
    (["--by", "city"], "--by: unknown grouping 'city'"),
    (["--collector", "wang.wu"], "--collector: unknown collector 'wang.wu'"),
    (["--as-of", "2026-13-01"], "--as-of: not a date: '2026-13-01'"),
    (["--format", "xml"], "unknown format 'xml'"),
])
def test_bad_options_exit_2(ledger: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["age", "--ledger", str(ledger), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_as_of_reproduces_the_past(ledger: Path) -> None:
    # On 2025-12-19 shenyang-heavy had not paid yet and dalian-port's CNY invoices: DL-2 only
    # (DL-1 issued 2026-01-01); EU-1 was current.
    document = json.loads(runner.invoke(app, ["age", "--ledger", str(ledger), "--as-of", "2025-12-19",
                                              "-f", "json"]).output)
    rows = {(d["id"], d["currency"]): d for d in document["debtors"]}
    assert rows[("shenyang-heavy", "CNY")]["open"] == "120000.00"
    assert rows[("dalian-port", "CNY")]["open"] == "2000.00"
    assert rows[("dalian-port", "CNY")]["days_overdue"] == 48
    assert rows[("dalian-port", "EUR")]["bucket"] == "current"
    # The credit-only debtor's overpayment of 2025-11-01 is credit then too.
    assert rows[("credit-only", "CNY")]["unapplied"] == "80.00"


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["age", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output


def test_sample_ledger_reads_well() -> None:
    sample = Path(__file__).resolve().parents[1] / "ledger"
    if not (sample / "dunning.yaml").is_file():
        pytest.skip("no sample ledger")
    result = runner.invoke(app, ["age", "--ledger", str(sample), "--as-of", "2026-11-28"])
    assert result.exit_code == 0, result.output
    assert "沈阳重工机械有限公司" in result.output and "total" in result.output
