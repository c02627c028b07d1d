"""`dunning import`: accounting exports into the ledger, idempotent, conflicts reported, bad rows refused."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning.cli.app import app
from dunning.importer import DebtorRef
from dunning.importer import append_events
from dunning.importer import insert_invoices
from dunning.importer import new_debtor_id
from dunning.importer import parse_amount
from dunning.importer import parse_day

SETTINGS = """\
format: 1
creditor: {name: 辽宁示例贸易有限公司, phone: 024-88880000}
timezone: Asia/Shanghai
collectors: {zhang.san: 张三, li.si: 李四}
"""

HEAVY = """\
# 沈阳重工: facts first, events last
name: 沈阳重工机械有限公司
credit_code: 91210100MA0Y8A2B31
collector: zhang.san
terms_days: 30
invoices:
  - id: INV-1
    issued: 2025-03-01
    due: 2025-03-31
    amount: 120000.00   # 第一批
guarantees:
  - guarantor: 沈阳示例投资有限公司
    kind: joint

# the record
events:
  - at: 2025-04-10T09:35:00+08:00
    type: call
    by: zhang.san
    with: 王建国
    outcome: reached
"""

# A 用友-style export: a title row above the header, Chinese column names, a total row at the end.
INVOICES_CSV = """\
应收账款明细表（2025年）
客户编码,客户名称,发票号,合同号,开票日期,到期日,价税合计,币种,业务员
,沈阳重工机械有限公司,INV-2,HT-9,2025/4/1,2025-05-01,"¥30,000.00",人民币,张三
DL-01,大连海运有限公司,INV-3,,2025年5月1日,,"1,234.50",CNY,li.si
DL-01,大连海运有限公司,INV-4,,20250601,2025.07.01,８８８.００,,
合计,,,,,,"32,122.50",,
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "ar"
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors" / "shenyang-heavy.yaml").write_text(HEAVY, encoding="utf-8")
    (root / ".gitignore").write_text(".dunning/\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "config", "user.name", "张三")
    git(root, "config", "user.email", "zhang.san@example.cn")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--ledger", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "debtors").iterdir())}


def commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------------------------------------
# round trip


def test_import_inserts_invoices_creates_debtors_and_age_shows_them(root: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "invoices.csv", INVOICES_CSV, "utf-8-sig")
    code, out, err = run(root, "import", str(source))
    assert code == 0, err
    # the existing file: the new invoice goes after INV-1 (its comment kept), nothing else is rewritten
    assert (root / "debtors" / "shenyang-heavy.yaml").read_text(encoding="utf-8") == HEAVY.replace(
        "    amount: 120000.00   # 第一批\n",
        "    amount: 120000.00   # 第一批\n"
        "  - id: INV-2\n"
        "    contract: HT-9\n"
        "    issued: 2025-04-01\n"
        "    due: 2025-05-01\n"
        "    amount: 30000.00\n")
    # a new debtor: its id from the 客户编码 column, the collector key from the display name
    assert (root / "debtors" / "dl-01.yaml").read_text(encoding="utf-8") == (
        "name: 大连海运有限公司\n"
        "collector: li.si\n"
        "terms_days: 30\n"
        "invoices:\n"
        "  - id: INV-3\n"
        "    issued: 2025-05-01\n"
        "    amount: 1234.50\n"
        "  - id: INV-4\n"
        "    issued: 2025-06-01\n"
        "    due: 2025-07-01\n"
        "    amount: 888.00\n"
        "events: []\n")
    assert "1 created debtor, 3 created invoice; changed 2 file(s); commit" in out
    assert git(root, "log", "-1", "--format=%s").strip() == (
        "import(invoices.csv): 3 invoice(s), 0 payment(s), 1 new debtor(s)")
    assert git(root, "status", "--porcelain").strip() == ""
    code, out, err = run(root, "age", "--as-of", "2025-07-31", "-f", "json")
    assert code == 0, err
    rows = {row["id"]: row for row in json.loads(out)["debtors"]}
    assert rows["shenyang-heavy"]["open"] == "150000.00"
    # INV-3 due by terms 2025-05-31 (61 days: C), INV-4 due 2025-07-01 (30 days: A)
    assert rows["dl-01"]["open"] == "2122.50"
    assert rows["dl-01"]["by_bucket"] == {"current": "0.00", "A": "888.00", "B": "0.00", "C": "1234.50"}


def test_reimport_changes_nothing_and_makes_no_commit(root: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "invoices.csv", INVOICES_CSV)
    assert run(root, "import", str(source))[0] == 0
    before, count = snapshot(root), commits(root)
    code, out, err = run(root, "import", str(source), "-f", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["created"] == [] and document["conflicts"] == []
    assert [s["what"] for s in document["skipped"]] == ["INV-2", "INV-3", "INV-4"]
    assert document["commit"] is None
    assert snapshot(root) == before
    assert commits(root) == count


def test_changed_amount_or_date_is_a_conflict_and_the_ledger_is_kept(root: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "again.csv", "客户名称,发票号,开票日期,到期日,金额\n"
                   "沈阳重工机械有限公司,INV-1,2025-03-01,2025-04-15,110000\n")
    before, count = snapshot(root), commits(root)
    code, out, _err = run(root, "import", str(source))
    assert code == 1
    assert ("amount: ledger 120000.00, file 110000.00; due: ledger 2025-03-31, file 2025-04-15 "
            "(the ledger is kept") in out
    assert snapshot(root) == before
    assert commits(root) == count


def test_an_invoice_of_another_debtor_is_a_conflict(root: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "x.csv", "客户名称,发票号,开票日期,金额\n大连海运有限公司,INV-1,2025-03-01,120000\n")
    code, out, _ = run(root, "import", str(source), "--dry-run")
    assert code == 1
    assert "recorded for debtors/shenyang-heavy.yaml (沈阳重工机械有限公司), the file says 大连海运有限公司" in out


# ---------------------------------------------------------------------------------------------
# bad input


def test_bad_rows_name_row_and_column_exit_2_and_nothing_is_written(root: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "invoices.csv", (
        "客户名称,发票号,开票日期,金额\n"
        "沈阳重工机械有限公司,INV-7,2025-03-01,100\n"
        "沈阳重工机械有限公司,INV-8,2025-03-01,\"12,34.5.6\"\n"
        "新客户有限公司,INV-9,2025-13-01,1.234\n"
        "新客户有限公司,,2025-03-01,-5\n"))
    before, count = snapshot(root), commits(root)
    code, out, err = run(root, "import", str(source))
    assert code == 2
    assert err.splitlines() == [
        "dunning: error: invoices.csv:3: column 金额: not an amount: '12,34.5.6'",
        "dunning: error: invoices.csv:4: column 开票日期: not a date: '2025-13-01' "
        "(write 2025-03-01, 2025/3/1 or 2025年3月1日)",
        "dunning: error: invoices.csv:4: column 金额: amount has more than 2 decimals: '1.234'",
        "dunning: error: invoices.csv:5: column 发票号: empty: the invoice id is required",
        "dunning: error: invoices.csv:5: column 金额: must be greater than 0, got -5.00 (a credit note or refund "
        "is recorded with `dunning event ID credit`)",
    ]
    assert out == ""
    assert snapshot(root) == before
    assert commits(root) == count


def test_unknown_collector_and_bad_credit_code_are_refused(root: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "c.csv", "客户名称,统一社会信用代码,业务员,发票号,开票日期,金额\n"
                   "新客户有限公司,91210100MA0Y8A2B3X,赵六,INV-9,2025-03-01,100\n")
    code, _, err = run(root, "import", str(source))
    assert code == 2
    assert "c.csv:2: column 统一社会信用代码: check character of '91210100MA0Y8A2B3X' should be '1'" in err
    assert ("c.csv:2: column 业务员: unknown collector '赵六' (dunning.yaml collectors: zhang.san (张三), "
            "li.si (李四))") in err
    assert sorted(p.name for p in (root / "debtors").iterdir()) == ["shenyang-heavy.yaml"]


def test_a_file_without_known_columns_asks_for_map(root: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "odd.csv", "往来户,票号,日子,钱\nA公司,X1,2025-01-01,5\n")
    code, _, err = run(root, "import", str(source))
    assert code == 2
    assert "no header row found" in err and "--map COLUMN=FIELD" in err
    code, out, err = run(root, "import", str(source), "--map", "往来户=debtor", "--map", "票号=invoice",
                         "--map", "日子=issued", "--map", "钱=amount", "--dry-run")
    assert code == 0, err
    assert "dry run: 1 created debtor, 1 created invoice; would change 1 file(s)" in out
    assert sorted(p.name for p in (root / "debtors").iterdir()) == ["shenyang-heavy.yaml"]
    code, _, err = run(root, "import", str(source), "--map", "钱=money")
    assert code == 2 and "unknown field 'money'" in err


def test_gbk_csv_is_detected(root: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "gbk.csv", "客户名称,发票号,开票日期,金额\n沈阳重工机械有限公司,INV-5,2025-04-01,500\n",
                   "gbk")
    code, _out, err = run(root, "import", str(source))
    assert code == 0, err
    assert "  - id: INV-5\n" in (root / "debtors" / "shenyang-heavy.yaml").read_text(encoding="utf-8")
    code, _, err = run(root, "import", str(source), "--encoding", "utf-8")
    assert code == 2 and "gbk.csv:1: not utf-8" in err


# ---------------------------------------------------------------------------------------------
# payments


def test_payments_file_appends_events_idempotently_and_refuses_backdating(root: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "receipts.csv", (
        "客户名称,收款日期,收款金额,对应发票,收款单号\n"
        "沈阳重工机械有限公司,2025-05-02,\"50,000.00\",INV-1,工行回单 20250502-001\n"
        "沈阳重工机械有限公司,2025-04-01,100.00,,SK-0401\n"))
    code, out, err = run(root, "import", str(source))
    assert code == 1, err  # the backdated payment is a conflict; the other is imported
    assert "dated before the debtor's last event (2025-04-10T09:35:00+08:00 call)" in out
    assert (root / "debtors" / "shenyang-heavy.yaml").read_text(encoding="utf-8") == HEAVY + (
        "  - at: 2025-05-02\n"
        "    type: payment\n"
        "    amount: 50000.00\n"
        "    invoice: INV-1\n"
        "    ref: 工行回单 20250502-001\n")
    count = commits(root)
    code, out, _ = run(root, "import", str(source), "-f", "json")
    assert [s["detail"] for s in json.loads(out)["skipped"]] == ["already in the ledger"]
    assert commits(root) == count


def test_mixed_file_with_a_row_type_column(root: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "mixed.csv", (
        "类型,单据号,客户名称,单据日期,金额,对应发票\n"
        "发票,INV-20,大连海运有限公司,2025-06-01,1000,\n"
        "收款,SK-9,大连海运有限公司,2025-06-20,400,INV-20\n"))
    code, _out, err = run(root, "import", str(source))
    assert code == 0, err
    (created,) = [p for p in (root / "debtors").iterdir() if p.name.startswith("d-")]
    assert created.read_text(encoding="utf-8").endswith(
        "  - id: INV-20\n    issued: 2025-06-01\n    amount: 1000.00\n"
        "events:\n  - at: 2025-06-20\n    type: payment\n    amount: 400.00\n    invoice: INV-20\n    ref: SK-9\n")


# ---------------------------------------------------------------------------------------------
# xlsx


def test_xlsx_with_date_cells_serial_dates_and_numbers(root: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本表由金蝶导出"])
    sheet = book.create_sheet("应收")
    sheet.append(["Customer", "Invoice No", "Invoice Date", "Due Date", "Amount", "Currency"])
    sheet.append(["Leipzig Müller GmbH", "RE-2025-1", datetime(2025, 3, 1), 45777, 1200.5, "EUR"])
    sheet.append(["Leipzig Müller GmbH", 20250402, date(2025, 4, 2), None, 300, "EUR"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    code, _, err = run(root, "import", str(path))
    assert code == 2 and "no header row found" in err
    code, _out, err = run(root, "import", str(path), "--sheet", "应收")
    assert code == 0, err
    assert (root / "debtors" / "leipzig-muller-gmbh.yaml").read_text(encoding="utf-8") == (
        "name: Leipzig Müller GmbH\n"
        "currency: EUR\n"
        "terms_days: 30\n"
        "invoices:\n"
        "  - id: RE-2025-1\n"
        "    issued: 2025-03-01\n"
        "    due: 2025-04-30\n"
        "    amount: 1200.50\n"
        "  - id: '20250402'\n"
        "    issued: 2025-04-02\n"
        "    amount: 300.00\n"
        "events: []\n")
    code, _, err = run(root, "import", str(path), "--sheet", "Sheet9")
    assert code == 2 and "--sheet: no sheet 'Sheet9' in export.xlsx (sheets: 说明, 应收)" in err


# ---------------------------------------------------------------------------------------------
# the pieces


@pytest.mark.parametrize(("text", "amount"), [
    ("1,234.50", "1234.50"), ("¥1,234.50", "1234.50"), ("￥１，２３４．５", "1234.50"), ("RMB 100", "100.00"),
    ("1 234.50", "1234.50"), ("(500.00)", "-500.00"), ("12", "12.00"), (1234.5, "1234.50"), (3, "3.00"),
    (0.1 + 0.2, "0.30"),
])
def test_amounts(text: object, amount: str) -> None:
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["12,34.5.6", "1.234", "1,23", "1 234,50", "abc", ""])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(ValueError, match=r"not an amount|more than 2 decimals"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["2025-03-01", "2025/3/1", "2025.03.01", "2025年3月1日", "20250301",
                                  "2025-03-01 00:00:00", "２０２５-０３-０１"])
def test_dates(text: str) -> None:
    assert parse_day(text) == date(2025, 3, 1)


def test_excel_serial_dates_only_from_spreadsheets() -> None:
    assert parse_day(45717, serial=True) == date(2025, 3, 1)
    with pytest.raises(ValueError, match="not a date"):
        parse_day("45717")
    with pytest.raises(ValueError, match="not a date"):
        parse_day("03/01/2025")


def test_invoices_go_into_an_empty_list_or_a_new_key_before_events() -> None:
    item = {"id": "X-1", "issued": date(2025, 1, 2), "amount": Decimal("5.00")}
    empty = "name: A公司\ninvoices: []  # none yet\nevents: []\n"
    assert insert_invoices(empty, [item]) == (
        "name: A公司\ninvoices:  # none yet\n  - id: X-1\n    issued: 2025-01-02\n    amount: 5.00\nevents: []\n")
    missing = "name: A公司\ncontacts:\n- name: 王\n\n# events\nevents:\n- at: 2025-01-01\n  type: note\n"
    assert insert_invoices(missing, [item]) == (
        "name: A公司\ncontacts:\n- name: 王\ninvoices:\n- id: X-1\n  issued: 2025-01-02\n  amount: 5.00\n"
        "\n# events\nevents:\n- at: 2025-01-01\n  type: note\n")
    assert append_events("name: A\nevents: []\n", [{"at": date(2025, 1, 3), "type": "note"}]) == (
        "name: A\nevents:\n  - at: 2025-01-03\n    type: note\n")


def test_new_debtor_ids() -> None:
    taken = {"c-001"}.__contains__
    assert new_debtor_id(DebtorRef("大连海运有限公司", "C-001"), taken) == "c-001-2"
    assert new_debtor_id(DebtorRef("Acme Trading Ltd.", None), taken) == "acme-trading-ltd"
    chinese = new_debtor_id(DebtorRef("大连海运有限公司", None), taken)
    assert chinese.startswith("d-") and len(chinese) == 10
    assert new_debtor_id(DebtorRef("大连海运有限公司 ", None), taken) == chinese  # stable across imports
