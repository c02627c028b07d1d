"""`dunning letter`: files written, exit codes, --record through the writer, PDFs read back, check's lint."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dunning.pdf
from dunning.cli.app import app
from dunning.ledger import load_debtor

SETTINGS = """\
format: 1
creditor:
  name: 辽宁测试贸易有限公司
  name_en: Liaoning Test Trading Co., Ltd.
  address: 沈阳市和平区示例路1号
  phone: 024-88880000
  email: ar@test.example.cn
  bank: {name: 中国工商银行沈阳和平支行, account: "6222 0000 0000 0000"}
collectors: {zhang.san: 张三}
"""

# As of 2026-03-15: INV-1 (¥120,000.00, due 2026-01-31) is 43 days overdue (B): a demand.
DEBTOR = """\
name: 沈阳重工机械有限公司
collector: zhang.san
contacts:
  - {name: 王建国, role: 财务总监, decision_maker: true, email: wang@example.cn}
guarantees:
  - {guarantor: 沈阳示例投资有限公司, kind: joint}
invoices:
  - {id: INV-1, contract: HT-2025-007, issued: 2026-01-01, due: 2026-01-31, amount: 120000.00}
events:
  - {at: 2026-02-03T10:00:00+08:00, type: call, by: zhang.san, with: 王建国, outcome: reached}
"""

PAID = """\
name: 青岛瑞海电子有限公司
invoices:
  - {id: INV-9, issued: 2026-01-01, due: 2026-01-31, amount: 5000.00}
events:
  - {at: 2026-02-01, type: payment, amount: 5000.00, ref: 回单 9}
"""


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "ar"
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors" / "shenyang-heavy.yaml").write_text(DEBTOR, encoding="utf-8")
    (root / "debtors" / "qingdao-ruihai.yaml").write_text(PAID, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "config", "user.email", "t@example.cn")
    git(root, "config", "user.name", "Test")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["letter", *args, "--ledger", str(root)], env={"DUNNING_COLLECTOR": ""})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_writes_the_letter_into_the_ledger(root: Path) -> None:
    code, out, err = run(root, "shenyang-heavy", "--as-of", "2026-03-15", "-f", "md")
    assert code == 0, err
    assert out == "letters/shenyang-heavy/2026-03-15-demand.md\n"
    assert err == "dunning: demand (bucket B), reference shenyang-heavy-20260315-demand\n"
    text = (root / out.strip()).read_text(encoding="utf-8")
    assert "合计未付：¥120,000.00（大写：人民币壹拾贰万元整）" in text
    assert load_debtor(root, "shenyang-heavy").events[-1].type == "call"  # nothing recorded without --record


def test_output_to_stdout_and_format_from_extension(root: Path, tmp_path: Path) -> None:
    code, out, _ = run(root, "shenyang-heavy", "--as-of", "2026-03-15", "-o", "-", "-f", "md", "--lang", "en")
    assert code == 0
    assert out.startswith("**Liaoning Test Trading Co., Ltd.**")
    target = tmp_path / "draft.html"
    code, out, _ = run(root, "shenyang-heavy", "--as-of", "2026-03-15", "-o", str(target))
    assert code == 0
    assert out == f"{target}\n"
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(("args", "message"), [
    (["qingdao-ruihai", "--as-of", "2026-03-15"], "nothing to chase as of 2026-03-15: no open undisputed invoice"),
    (["nobody", "--as-of", "2026-03-15"], "unknown debtor 'nobody'"),
    (["shenyang-heavy", "-t", "../../etc/passwd"], "--template: not a template name: '../../etc/passwd'"),
    (["shenyang-heavy", "-t", "missing"], "no template 'zh/missing.md.j2'"),
    (["shenyang-heavy", "--pay-by", "2026-02-30"], "--pay-by: not a date: '2026-02-30'"),
    (["shenyang-heavy", "-f", "docx"], "--format: 'docx' is not one of md, html, pdf, eml"),
    (["shenyang-heavy", "-f", "pdf", "-o", "-"], "a pdf letter cannot go to the terminal"),
    (["shenyang-heavy", "--send"], "--send: no `smtp:` server in dunning.yaml"),
    (["shenyang-heavy", "--interest-rate", "abc"], "--interest-rate: not a percentage: 'abc'"),
    (["shenyang-heavy", "-t", "plan"], "no instalment plan on file"),
])
def test_bad_input_exits_2_with_a_message(root: Path, args: list[str], message: str) -> None:
    code, _out, err = run(root, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_statement_even_when_nothing_is_open(root: Path) -> None:
    code, out, err = run(root, "qingdao-ruihai", "-t", "statement", "--as-of", "2026-03-15", "-f", "md")
    assert code == 0, err
    text = (root / out.strip()).read_text(encoding="utf-8")
    assert "| 2026-02-01 | ¥5,000.00 | 回单 9 |" in text
    assert "未付合计：¥0.00（大写：人民币零元整）" in text


def test_record_appends_a_letter_event_and_commits_it_with_the_letter(root: Path) -> None:
    code, out, err = run(root, "shenyang-heavy", "--as-of", "2026-03-15", "-f", "md", "--record")
    assert code == 0, err
    assert out.splitlines()[0] == "letters/shenyang-heavy/2026-03-15-demand.md"
    event = load_debtor(root, "shenyang-heavy").events[-1]
    assert event.type == "letter"
    assert (event.template, event.reference, event.via, event.demand) == (
        "demand", "shenyang-heavy-20260315-demand", "registered_mail", True)
    assert event.invoices == ["INV-1"]
    assert event.with_ == "王建国"
    committed = git(root, "show", "--name-only", "--format=%s", "HEAD").split()
    assert committed[0] == "letter(shenyang-heavy):"
    assert "debtors/shenyang-heavy.yaml" in committed
    assert "letters/shenyang-heavy/2026-03-15-demand.md" in committed
    assert git(root, "status", "--porcelain") == ""


def test_record_statement_is_not_a_demand_and_guarantor_letter_is_a_guarantor_demand(root: Path) -> None:
    assert run(root, "shenyang-heavy", "-t", "statement", "--as-of", "2026-03-15", "-f", "md", "--record",
               "--via", "courier")[0] == 0
    event = load_debtor(root, "shenyang-heavy").events[-1]
    assert (event.type, event.template, event.demand, event.via) == ("letter", "statement", False, "courier")
    code, _, err = run(root, "shenyang-heavy", "-t", "guarantor", "--as-of", "2026-03-15", "-f", "md", "--record")
    assert code == 0, err
    event = load_debtor(root, "shenyang-heavy").events[-1]
    assert (event.type, event.guarantor, event.via) == ("guarantor_demand", "沈阳示例投资有限公司", "registered_mail")


def test_record_refused_for_a_date_before_the_last_event_writes_nothing(root: Path) -> None:
    before = git(root, "status", "--porcelain", "--untracked-files=all")
    code, out, err = run(root, "shenyang-heavy", "--as-of", "2026-02-01", "-f", "md", "--record")
    assert code == 2
    assert out == ""
    assert ("dunning: error: nothing written, the letter is not recorded: the event at 2026-02-01 is earlier than "
            "the last recorded event (2026-02-03T10:00:00+08:00, call)") in err
    assert not (root / "letters").exists()
    assert git(root, "status", "--porcelain", "--untracked-files=all") == before


def test_a_refused_record_puts_back_the_letter_drafted_earlier_the_same_day(root: Path) -> None:
    assert run(root, "shenyang-heavy", "--as-of", "2026-02-01", "-f", "md", "-t", "reminder")[0] == 0
    drafted = root / "letters" / "shenyang-heavy" / "2026-02-01-reminder.md"
    drafted.write_text("edited by hand\n", encoding="utf-8")
    code, _, _ = run(root, "shenyang-heavy", "--as-of", "2026-02-01", "-f", "md", "-t", "reminder", "--record")
    assert code == 2
    assert drafted.read_text(encoding="utf-8") == "edited by hand\n"
    assert sorted(p.name for p in drafted.parent.iterdir()) == ["2026-02-01-reminder.md"]


def test_ledger_with_errors_is_refused(root: Path) -> None:
    (root / "debtors" / "shenyang-heavy.yaml").write_text(DEBTOR.replace("amount: 120000.00", "amount: 1.234"),
                                                         encoding="utf-8")
    code, _, err = run(root, "shenyang-heavy", "--as-of", "2026-03-15", "-f", "md")
    assert code == 1
    assert "debtors/shenyang-heavy.yaml:8:77: invoices[0].amount: amount has more than 2 decimals" in err


def test_check_lints_the_ledger_templates(root: Path) -> None:
    (root / "templates" / "zh").mkdir(parents=True)
    (root / "templates" / "zh" / "demand.md.j2").write_text("我司将上门催收。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--ledger", str(root)])
    assert result.exit_code == 1
    assert result.stdout.startswith("templates/zh/demand.md.j2:1:4: threatening or abusive wording '上门'")


# ---------------------------------------------------------------------------------------------
# PDF

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="pdftotext (poppler-utils) is installed by `make system`")


def pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", *pages, str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@needs_poppler
def test_pdf_holds_the_chinese_text_with_letterhead_and_page_numbers_on_every_page(root: Path) -> None:
    many = "".join(f"  - {{id: INV-{n}, contract: HT-{n}, issued: 2026-01-01, due: 2026-01-31, amount: 1000.00}}\n"
                   for n in range(2, 60))
    (root / "debtors" / "shenyang-heavy.yaml").write_text(DEBTOR.replace("events:", many + "events:"),
                                                         encoding="utf-8")
    code, out, err = run(root, "shenyang-heavy", "--as-of", "2026-03-15")
    assert code == 0, err
    path = root / out.strip()
    assert path.name == "2026-03-15-demand.pdf"
    text = pdf_text(path)
    assert "沈阳重工机械有限公司" in text
    assert "人民币壹拾柒万捌仟元整" in text  # 120,000 + 58 x 1,000
    pages = text.count("\f")
    assert pages >= 2
    for page in range(1, pages + 1):
        one = pdf_text(path, page)
        assert one.startswith("辽宁测试贸易有限公司\nLiaoning Test Trading Co., Ltd.\n")  # the letterhead
        assert f"第 {page} 页，共 {pages} 页" in one


def test_pdf_without_a_chinese_font_says_what_to_install(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dunning.pdf, "chinese_fonts", lambda: ())
    code, _, err = run(root, "shenyang-heavy", "--as-of", "2026-03-15")
    assert code == 2
    assert "cannot write a PDF: no Chinese font found (`fc-list :lang=zh` lists none)" in err
    assert "fonts-noto-cjk" in err
    assert not (root / "letters").exists()
