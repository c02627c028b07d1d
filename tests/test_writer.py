"""Recording events: the text appended, refusals that leave the file byte-identical, locks, crashes."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dunning.cli.app import app
from dunning.ledger import parse_debtor
from dunning.writer import WriteError
from dunning.writer import append_event
from dunning.writer import event_text
from dunning.writer import safe_file_name
from dunning.writer import yaml_string

SETTINGS = """\
format: 1
creditor: {name: 辽宁示例贸易有限公司}
timezone: Asia/Shanghai
collectors: {zhang.san: 张三, li.si: 李四}
"""

ACME = """\
# 沈阳重工: facts first, events last
name: 沈阳重工机械有限公司
collector: zhang.san
terms_days: 30
contacts:
  - name: 王建国
    mobile: "13900000000"
invoices:
  - id: INV-1
    issued: 2025-03-01
    due: 2025-03-31
    amount: 120000.00
  - id: INV-2
    issued: 2025-04-01
    amount: 30000.00
events:
  - at: 2025-04-10T09:35:00+08:00
    type: call
    by: zhang.san
    with: 王建国
    outcome: reached   # 第一次联系
"""


def make_ledger(tmp_path: Path, debtor: str = ACME, name: str = "acme") -> Path:
    root = tmp_path / "ar"
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors" / f"{name}.yaml").write_text(debtor, encoding="utf-8")
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--ledger", str(root)], env={"DUNNING_COLLECTOR": ""})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DUNNING_COLLECTOR", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # tmp_path is not in a git repository
    return make_ledger(tmp_path)


def test_log_appends_one_block_and_keeps_the_text_above(root: Path) -> None:
    path = root / "debtors" / "acme.yaml"
    code, out, err = run(root, "log", "acme", "--type", "call", "--with", "王建国", "--at", "2025-04-20T10:00",
                         "--summary", "承诺4月30日前先付5万", "--promise-date", "2025-04-30",
                         "--promise-amount", "50000", "--by", "zhang.san", "--invoice", "INV-1")
    assert code == 0, err
    assert out == "log(acme): call with 王建国, promise 2025-04-30 ¥50,000.00\n"
    assert "not in a git repository" in err
    assert path.read_text(encoding="utf-8") == ACME + (
        "  - at: 2025-04-20T10:00:00+08:00\n"
        "    type: call\n"
        "    by: zhang.san\n"
        "    with: 王建国\n"
        "    outcome: promise\n"
        "    summary: 承诺4月30日前先付5万\n"
        "    promise: {date: 2025-04-30, amount: 50000.00}\n"
        "    invoices: [INV-1]\n")


def test_pay_plan_and_event_write_their_fields(root: Path) -> None:
    assert run(root, "pay", "acme", "20000", "--invoice", "INV-1", "--date", "2025-05-02",
               "--ref", "工行回单 20250502-001")[0] == 0
    assert run(root, "plan", "acme", "-i", "2025-05-31:30000", "-i", "2025-06-30:40000.50", "--signed",
               "--date", "2025-05-03")[0] == 0
    assert run(root, "event", "acme", "dispute", "--reason", "质量问题: 油缸漏油", "--invoice", "INV-2",
               "--at", "2025-05-04")[0] == 0
    assert run(root, "event", "acme", "status", "--status", "bankrupt", "--claims-deadline", "2025-09-01",
               "--at", "2025-05-05")[0] == 0
    text = (root / "debtors" / "acme.yaml").read_text(encoding="utf-8")
    assert text.endswith(
        "  - at: 2025-05-02\n    type: payment\n    amount: 20000.00\n    invoice: INV-1\n"
        "    ref: 工行回单 20250502-001\n"
        "  - at: 2025-05-03\n    type: plan\n    installments:\n"
        "      - {due: 2025-05-31, amount: 30000.00}\n      - {due: 2025-06-30, amount: 40000.50}\n"
        "    signed: true\n"
        "  - at: 2025-05-04\n    type: dispute\n    reason: '质量问题: 油缸漏油'\n    invoices: [INV-2]\n"
        "  - at: 2025-05-05\n    type: status\n    status: bankrupt\n    claims_deadline: 2025-09-01\n")
    debtor = parse_debtor(text, "debtors/acme.yaml")
    assert [e.type for e in debtor.events] == ["call", "payment", "plan", "dispute", "status"]
    assert debtor.events[2].installments[1].amount == Decimal("40000.50")  # type: ignore[union-attr]


@pytest.mark.parametrize(("args", "message"), [
    (["log", "nobody", "--type", "call"], "unknown debtor 'nobody' (no debtors/nobody.yaml)"),
    (["log", "acme", "--type", "call", "--at", "2025-13-01"], "--at: not a date: '2025-13-01'"),
    (["pay", "acme", "100.005"], "AMOUNT: amount has more than 2 decimals: '100.005'"),
    (["log", "acme", "--type", "call", "--at", "2025-04-20", "--promise-date", "2025-04-19",
      "--promise-amount", "1"], "promise date 2025-04-19 is before the contact on 2025-04-20"),
    (["pay", "acme", "100", "--invoice", "INV-9"], "unknown invoice 'INV-9' (this debtor has: INV-1, INV-2)"),
    (["pay", "acme", "100", "--date", "2025-04-01"], "is earlier than the last recorded event"),
    (["log", "acme", "--type", "fax"], "--type: 'fax' is not one of call, visit, wechat, sms, email, letter"),
    (["log", "acme", "--type", "call", "--by", "wang.wu"], "unknown collector 'wang.wu'"),
    (["event", "acme", "dispute", "--court", "沈阳中院"], "--court does not belong to a dispute event"),
    (["event", "acme", "credit", "--amount", "5"], "--invoice is required for a credit event"),
    (["event", "acme", "payment"], "use `dunning pay`"),
    (["event", "acme", "guarantor_demand", "--guarantor", "某投资公司"], "is not a guarantor of this debtor"),
    (["log", "acme", "--type", "letter", "--at", "2025-05-01", "--delivered", "2025-04-30"],
     "delivered 2025-04-30 is before it was sent on 2025-05-01"),
])
def test_bad_input_exits_2_and_leaves_the_file_byte_identical(root: Path, args: list[str], message: str) -> None:
    path = root / "debtors" / "acme.yaml"
    before = path.read_bytes()
    code, out, err = run(root, *args)
    assert code == 2, (out, err)
    assert message in err
    assert "Traceback" not in err
    assert path.read_bytes() == before


def test_a_file_failing_check_is_not_written_to(tmp_path: Path) -> None:
    root = make_ledger(tmp_path, ACME.replace("amount: 30000.00", "amount: 30000.001"))
    path = root / "debtors" / "acme.yaml"
    before = path.read_bytes()
    code, _, err = run(root, "log", "acme", "--type", "call")
    assert code == 1
    assert "does not pass `dunning check`; nothing written" in err
    assert "debtors/acme.yaml:15:5: invoices[1].amount: amount has more than 2 decimals" in err
    assert path.read_bytes() == before


@pytest.mark.parametrize(("debtor", "expected_tail"), [
    ("name: 甲\nevents: []\n", "events:\n  - at: 2025-06-01\n    type: note\n"),
    ("name: 甲\nevents: []  # none yet\n", "events:  # none yet\n  - at: 2025-06-01\n    type: note\n"),
    ("name: 甲\n", "name: 甲\nevents:\n  - at: 2025-06-01\n    type: note\n"),
    ("name: 甲\nevents:\n- at: 2025-01-01\n  type: note", "  type: note\n- at: 2025-06-01\n  type: note\n"),
    ("name: 甲\ncontacts:\n- name: 王\nevents: []\n", "events:\n- at: 2025-06-01\n  type: note\n"),
    ("name: 甲\r\nevents:\r\n  - at: 2025-01-01\r\n    type: note\r\n",
     "note\r\n  - at: 2025-06-01\r\n    type: note\r\n"),
])
def test_first_events_no_trailing_newline_and_indentation_styles(tmp_path: Path, debtor: str,
                                                                 expected_tail: str) -> None:
    root = make_ledger(tmp_path, debtor)
    append_event(root, "acme", {"at": "2025-06-01", "type": "note"}, commit=False)
    text = (root / "debtors" / "acme.yaml").read_bytes().decode()
    assert text.endswith(expected_tail)
    assert len(parse_debtor(text, "x").events) == len(parse_debtor(debtor, "x").events) + 1


def test_events_not_last_is_refused(tmp_path: Path) -> None:
    root = make_ledger(tmp_path, "name: 甲\nevents: []\nregion: 辽宁\n")
    with pytest.raises(Exception, match="events: must be the last key"):
        append_event(root, "acme", {"at": "2025-06-01", "type": "note"}, commit=False)


@pytest.mark.parametrize("value", [
    "13900000000", "yes", "no", "true", "null", "~", "0o17", "1_000", "12:30", "3.14",
    "a: b", "#hash", "- dash", "[x]", "{y}", "'quoted'", '"dq"', "tab\there", "trailing ", " leading",
    "王建国", "对方称: 资金紧张，# 下周再联系", "line1\nline2", "line1\n  indented\n\nlast", "ends\n", "@at",
    "%pct", "!bang", "&anchor", "*alias", "|pipe", ">gt", "`tick`", "中文, 逗号", "é", "\u2028sep", "",
])
def test_strings_read_back_exactly(tmp_path: Path, value: str) -> None:
    root = make_ledger(tmp_path)
    append_event(root, "acme", {"at": "2025-06-01", "type": "note", "summary": value}, commit=False)
    debtor = parse_debtor((root / "debtors" / "acme.yaml").read_bytes(), "x")
    assert debtor.events[-1].summary == value


@pytest.mark.parametrize("value", ["2025-04-30", "2025-04-30T10:00:00+08:00"])
def test_text_the_loader_would_read_as_a_date_is_written_exactly_or_refused(tmp_path: Path, value: str) -> None:
    root = make_ledger(tmp_path)
    path = root / "debtors" / "acme.yaml"
    before = path.read_bytes()
    try:
        append_event(root, "acme", {"at": "2025-06-01", "type": "note", "summary": value}, commit=False)
    except WriteError as refused:
        assert refused.code == 2
        assert path.read_bytes() == before
    else:
        assert parse_debtor(path.read_bytes(), "x").events[-1].summary == value


def test_yaml_string_keeps_chinese_plain_and_quotes_what_yaml_would_misread() -> None:
    assert yaml_string("王建国") == "王建国"
    assert yaml_string("13900000000") == "'13900000000'"
    assert yaml_string("2025-04-30") == "'2025-04-30'"
    assert yaml_string("0o17") == "'0o17'"
    assert yaml_string("a\nb") == '"a\\nb"'
    assert yaml_string("INV-1", flow=True) == "INV-1"
    assert yaml_string("a, b", flow=True) == "'a, b'"


def test_event_text_multiline_summary_is_a_literal_block() -> None:
    text = event_text({"at": date(2025, 6, 1), "type": "note", "summary": "第一行\n第二行"}, column=2)
    assert text == "  - at: 2025-06-01\n    type: note\n    summary: |-\n      第一行\n      第二行\n"
    assert yaml.safe_load(text) == [{"at": date(2025, 6, 1), "type": "note", "summary": "第一行\n第二行"}]


def test_at_defaults_to_now_with_the_ledger_offset(root: Path) -> None:
    result = append_event(root, "acme", {"type": "note"}, commit=False)
    at = result.event["at"]
    assert at.utcoffset().total_seconds() == 8 * 3600
    assert at.microsecond == 0
    assert result.text.startswith(f"  - at: {at.isoformat()}\n")


def test_collector_default_from_the_environment(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNNING_COLLECTOR", "li.si")
    result = CliRunner().invoke(app, ["log", "acme", "--type", "visit", "--ledger", str(root)])
    assert result.exit_code == 0, result.stderr
    assert "    by: li.si\n" in (root / "debtors" / "acme.yaml").read_text(encoding="utf-8")


def test_evidence_is_copied_under_a_content_name_and_recorded_with_its_hash(root: Path, tmp_path: Path) -> None:
    scan = tmp_path / "工行 回单 (1).pdf"
    scan.write_bytes(b"%PDF-1.4 receipt")
    sha = hashlib.sha256(b"%PDF-1.4 receipt").hexdigest()
    code, _, err = run(root, "pay", "acme", "5000", "--date", "2025-05-02", "--evidence", str(scan))
    assert code == 0, err
    copied = root / "evidence" / "acme" / f"{sha[:12]}-工行-回单-1-.pdf"
    assert copied.read_bytes() == b"%PDF-1.4 receipt"
    text = (root / "debtors" / "acme.yaml").read_text(encoding="utf-8")
    assert text.endswith(f"    evidence:\n      - {{path: evidence/acme/{copied.name}, sha256: {sha}}}\n")
    assert run(root, "check")[0] == 0


def test_evidence_names_cannot_escape_the_ledger() -> None:
    assert safe_file_name("../../etc/passwd") == "etc-passwd"
    assert safe_file_name("..") == "file"
    assert safe_file_name(".hidden") == "hidden"
    assert safe_file_name("收据 2025/05.pdf") == "收据-2025-05.pdf"


def test_missing_evidence_file_is_bad_input(root: Path) -> None:
    before = (root / "debtors" / "acme.yaml").read_bytes()
    code, _, err = run(root, "log", "acme", "--type", "visit", "--evidence", "/nonexistent/scan.pdf")
    assert code == 2
    assert "--evidence: no such file: /nonexistent/scan.pdf" in err
    assert (root / "debtors" / "acme.yaml").read_bytes() == before
    assert not (root / "evidence").exists()


def test_a_file_changed_by_another_program_during_the_write_is_not_overwritten(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dunning.writer as writer

    path = root / "debtors" / "acme.yaml"
    real = writer._compose

    def editor_saves_meanwhile(*args: object, **kwargs: object) -> object:
        composed = real(*args, **kwargs)  # type: ignore[arg-type]
        path.write_text(ACME + "# edited in vim\n", encoding="utf-8")
        return composed

    monkeypatch.setattr(writer, "_compose", editor_saves_meanwhile)
    with pytest.raises(WriteError, match="changed while the event was being written") as refused:
        append_event(root, "acme", {"type": "note"}, commit=False)
    assert refused.value.code == 1
    assert path.read_text(encoding="utf-8") == ACME + "# edited in vim\n"


# ---------------------------------------------------------------------------------------------
# several writers, and a writer killed mid-write


def _writer(root: str, worker: int, count: int) -> None:
    for n in range(count):
        append_event(Path(root), "acme", {"type": "note", "summary": f"worker {worker} entry {n}"}, commit=False)


def test_concurrent_writers_keep_every_entry(root: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(str(root), w, 25)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    debtor = parse_debtor((root / "debtors" / "acme.yaml").read_bytes(), "x")
    summaries = [e.summary for e in debtor.events[1:]]
    assert sorted(summaries) == sorted(f"worker {w} entry {n}" for w in range(4) for n in range(25))
    for w in range(4):  # each worker's entries are in its own order
        mine = [s for s in summaries if s and s.startswith(f"worker {w} ")]
        assert mine == [f"worker {w} entry {n}" for n in range(25)]


KILLED_WRITER = """
import sys, time
from pathlib import Path
import dunning.writer as writer

marker = Path(sys.argv[2])
real_replace = Path.replace

def stalled_replace(self, target):
    if str(target).endswith("acme.yaml"):
        marker.write_text("temporary written, about to rename")
        time.sleep(60)
    return real_replace(self, target)

Path.replace = stalled_replace
writer.append_event(Path(sys.argv[1]), "acme", {"type": "note", "summary": "never lands"}, commit=False)
"""


def test_a_writer_killed_between_temporary_and_rename_leaves_a_valid_file(root: Path, tmp_path: Path) -> None:
    path = root / "debtors" / "acme.yaml"
    before = path.read_bytes()
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(root), str(marker)])
    for _ in range(600):
        if marker.exists() or child.poll() is not None:
            break
        time.sleep(0.05)
    assert marker.exists(), "the writer never reached the rename"
    leftovers = list(path.parent.glob(".acme.yaml.*.tmp"))
    assert leftovers  # the new text is complete in the temporary file, not yet in place
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert path.read_bytes() == before
    parse_debtor(before, "x")
    # the lock died with the writer; the next write goes through and sweeps the temporary file
    result = append_event(root, "acme", {"type": "note", "summary": "after the crash"}, commit=False)
    assert result.event["summary"] == "after the crash"
    assert not list(path.parent.glob(".acme.yaml.*.tmp"))
    assert len(parse_debtor(path.read_bytes(), "x").events) == 2
