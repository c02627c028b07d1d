"""`dunning show ID`: one debtor on one screen, from its file alone."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning.cli.app import app

runner = CliRunner()

SETTINGS = """\
format: 1
creditor:
  name: 辽宁测试贸易有限公司
  name_en: Liaoning Test Trading Co., Ltd.
  department: 财务部
collectors: {zhang.san: 张三}
"""

# As of 2026-01-31: INV-1 due 2025-12-31 is 31 days overdue (B), 120000 - 50000 paid = 70000 open;
# INV-2 due 2026-02-15 is current (-15 days), disputed. A promise of 70000 by 2026-02-10 is pending;
# the earlier promise of 50000 by 2025-12-25 was kept on 2025-12-20.
DEBTOR = """\
name: 沈阳重工机械有限公司
industry: 机械制造
region: 辽宁/沈阳
collector: zhang.san
terms_days: 30
credit_limit: 100000
contacts:
  - name: 刘敏
    role: 出纳
    mobile: "15840236617"
  - name: 王建国
    role: 财务总监
    decision_maker: true
    phone: 024-25801234
    wechat: wjg_1975
    email: wang@example.cn
guarantees:
  - {guarantor: 沈阳示例投资有限公司, kind: joint, invoices: [INV-1]}
invoices:
  - {id: INV-1, contract: HT-2025-007, issued: 2025-12-01, due: 2025-12-31, amount: 120000.00}
  - {id: INV-2, contract: HT-2025-009, issued: 2026-01-16, amount: 30000.00}
events:
  - at: 2025-12-10T09:35:00+08:00
    type: call
    by: zhang.san
    with: 王建国
    outcome: promise
    promise: {date: 2025-12-25, amount: 50000.00}
  - {at: 2025-12-20, type: payment, amount: 50000.00, invoice: INV-1, ref: 工行回单 001}
  - {at: 2026-01-20, type: dispute, invoices: [INV-2], reason: 规格不符}
  - at: 2026-01-25T10:00:00+08:00
    type: call
    by: zhang.san
    with: 王建国
    outcome: promise
    summary: 对方承诺2月10日前付清INV-1。
    promise: {date: 2026-02-10, amount: 70000.00}
"""


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    root = tmp_path / "ledger"
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors" / "shenyang-heavy.yaml").write_text(DEBTOR, encoding="utf-8")
    return root


def show(ledger: Path, *args: str, debtor: str = "shenyang-heavy") -> str:
    result = runner.invoke(app, ["show", debtor, "--ledger", str(ledger), "--as-of", "2026-01-31", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_screen_has_what_a_call_needs(ledger: Path) -> None:
    text = show(ledger)
    assert text.startswith("沈阳重工机械有限公司 (shenyang-heavy)\nas of 2026-01-31\n")
    assert "collector 张三 (zhang.san) · status active · credit limit ¥100,000.00, ¥100,000.00 open" in text
    assert "EXCEEDED" not in text  # 100,000 open is not above the limit
    # Decision maker first, with every channel.
    assert text.index("王建国") < text.index("刘敏")
    assert "phone 024-25801234 · wechat wjg_1975 · email wang@example.cn" in text
    assert "沈阳示例投资有限公司: joint (连带责任保证), 6 months, covers INV-1" in text
    invoice_1 = next(line for line in text.splitlines() if line.startswith("INV-1"))
    assert invoice_1.split() == ["INV-1", "HT-2025-007", "CNY", "2025-12-31", "31", "B", "120,000.00",
                                 "70,000.00"]
    invoice_2 = next(line for line in text.splitlines() if line.startswith("INV-2"))
    assert invoice_2.split()[3:6] == ["2026-02-15", "-15", "current"] and invoice_2.endswith("yes")
    assert "promise 2026-01-25: ¥70,000.00 by 2026-02-10 (zhang.san with 王建国): pending" in text
    assert "Next deadlines" in text


def test_opening_line_about_the_oldest_overdue_undisputed_invoice(ledger: Path) -> None:
    assert ("您好，我是辽宁测试贸易有限公司财务部的张三，关于贵司一笔应于2025年12月31日支付的货款"
            "70,000.00元想与您确认一下。") in show(ledger)
    english = show(ledger, "--lang", "en")
    assert ("Hello, this is 张三 from the finance department of Liaoning Test Trading Co., Ltd. I'm calling "
            "about a payment of ¥70,000.00 that was due on 31 December 2025, and would like to confirm it "
            "with you.") in english


def test_events_newest_first_and_limited(ledger: Path) -> None:
    text = show(ledger, "--events", "2")
    assert "Last 2 of 4 events, newest first" in text
    section = text[text.index("Last 2 of 4 events"):]
    assert section.index("2026-01-25 10:00") < section.index("2026-01-20")
    assert "2025-12-20" not in section


def test_fewer_events_than_the_limit_are_all_listed(ledger: Path) -> None:
    # 4 events and a limit of 5: all four (a negative slice start, 4 - 5, showed the last one only)
    text = show(ledger, "--events", "5")
    section = text[text.index("Events, newest first"):]
    assert "Last " not in text
    days = [line[2:12] for line in section.splitlines()[1:] if line.startswith("  20")]
    assert len(days) == 4 and days[:3] == ["2026-01-25", "2026-01-20", "2025-12-20"]
    assert days == sorted(days, reverse=True)


def test_credit_limit_exceeded(ledger: Path) -> None:
    # One more invoice of 1 CNY pushes the open amount over 100,000.
    path = ledger / "debtors" / "shenyang-heavy.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "events:", "  - {id: INV-3, issued: 2026-01-20, due: 2026-02-20, amount: 1.00}\nevents:"), encoding="utf-8")
    assert "¥100,001.00 open — EXCEEDED" in show(ledger)


def test_as_of_the_past(ledger: Path) -> None:
    result = runner.invoke(app, ["show", "shenyang-heavy", "--ledger", str(ledger), "--as-of", "2025-12-15",
                                 "-f", "json"])
    document = json.loads(result.output)
    # Before the payment and before INV-2 was issued; the first promise still pending.
    assert [(i["invoice"], i["open"]) for i in document["open_invoices"]] == [("INV-1", "120000.00")]
    assert [(p["date"], p["status"]) for p in document["promises"]] == [("2025-12-25", "pending")]
    assert [e["type"] for e in document["events"]] == ["call"]


def test_json(ledger: Path) -> None:
    document = json.loads(show(ledger, "-f", "json"))
    assert document["id"] == "shenyang-heavy" and document["collector_name"] == "张三"
    assert (document["credit_limit"], document["credit_used"], document["credit_exceeded"]) == (
        "100000.00", "100000.00", False)
    assert [c["name"] for c in document["contacts"]] == ["王建国", "刘敏"]
    assert document["open_invoices"][0] == {
        "invoice": "INV-1", "contract": "HT-2025-007", "currency": "CNY", "issued": "2025-12-01",
        "due": "2025-12-31", "days_overdue": 31, "bucket": "B", "amount": "120000.00", "paid": "50000.00",
        "credited": "0.00", "open": "70000.00", "disputed": False}
    assert document["aging"][0]["bucket"] == "B"
    # The latest promise, pending; the kept one before it is not repeated.
    assert [(p["date"], p["status"]) for p in document["promises"]] == [("2026-02-10", "pending")]
    assert document["unapplied"] == {}
    assert document["opening"]["lang"] == "zh" and "70,000.00元" in document["opening"]["text"]
    assert document["events"][0]["type"] == "call" and document["events"][0]["with"] == "王建国"
    assert all(d["debtor"] == "shenyang-heavy" for d in document["deadlines"])


def test_csv_is_the_open_invoices(ledger: Path) -> None:
    lines = show(ledger, "-f", "csv").splitlines()
    assert lines[0] == "invoice,contract,currency,due,days_overdue,bucket,amount,open,disputed"
    assert lines[1] == "INV-1,HT-2025-007,CNY,2025-12-31,31,B,120000.00,70000.00,"


def test_reads_only_its_own_file(ledger: Path) -> None:
    # A broken file of another debtor does not stop `show`.
    (ledger / "debtors" / "broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    assert "沈阳重工机械有限公司" in show(ledger)


def test_unknown_debtor_exits_2(ledger: Path) -> None:
    result = runner.invoke(app, ["show", "acme", "--ledger", str(ledger)])
    assert result.exit_code == 2
    assert "unknown debtor 'acme' (no debtors/acme.yaml)" in result.output


def test_bad_id_exits_2(ledger: Path) -> None:
    result = runner.invoke(app, ["show", "../dunning", "--ledger", str(ledger)])
    assert result.exit_code == 2
    assert "not a debtor id: '../dunning'" in result.output


def test_bad_file_exits_1_with_its_location(ledger: Path) -> None:
    (ledger / "debtors" / "broken.yaml").write_text("name: 坏文件\ninvoices: 3\n", encoding="utf-8")
    result = runner.invoke(app, ["show", "broken", "--ledger", str(ledger)])
    assert result.exit_code == 1
    assert "debtors/broken.yaml:2:" in result.output


def test_bad_lang_exits_2(ledger: Path) -> None:
    result = runner.invoke(app, ["show", "shenyang-heavy", "--ledger", str(ledger), "--lang", "fr"])
    assert result.exit_code == 2 and "--lang" in result.output


def test_nothing_open_has_no_opening_line(ledger: Path) -> None:
    (ledger / "debtors" / "paid.yaml").write_text(
        "name: 已结清\ninvoices:\n  - {id: P, issued: 2025-01-01, due: 2025-01-31, amount: 10.00}\n"
        "events:\n  - {at: 2025-02-01, type: payment, amount: 15.00}\n", encoding="utf-8")
    text = show(ledger, debtor="paid")
    assert "Opening line" not in text and "nothing open" in text
    assert "unapplied credit: ¥5.00" in text


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["show", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
