"""`dunning deadlines`: the JSON contract, the default list, --strict, errors and output formats."""

import json
import re
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from dunning.cli.app import app

runner = CliRunner()

SETTINGS = """\
format: 1
creditor: {name: 辽宁测试贸易有限公司}
warn_days: 30
"""

# Invoice OLD (due 2022-09-30) expired 2025-09-30 (a Tuesday). Invoice NEW (due 2023-11-20, its
# limitation 2026-11-20, a Friday) is 19 days away as of 2026-11-01. A letter delivered to the
# debtor of LATE concerns LATE only.
YINGKOU = """\
name: 营口测试钢材有限公司
invoices:
  - {id: OLD, issued: 2022-08-31, due: 2022-09-30, amount: 52600}
  - {id: NEW, issued: 2023-10-20, due: 2023-11-20, amount: 35800}
events:
  - {at: 2023-04-18, type: letter, invoices: [OLD]}
"""

# Far away: due 2026-06-30 -> 2029-06-30, a Saturday -> Monday 2029-07-02 (provisional).
FAR = """\
name: 远方测试有限公司
invoices:
  - {id: FAR, issued: 2026-06-01, due: 2026-06-30, amount: 1000}
events: []
"""


def ledger(tmp_path: Path, settings: str = SETTINGS, **debtors: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "dunning.yaml").write_text(settings, encoding="utf-8")
    folder = tmp_path / "debtors"
    folder.mkdir()
    for name, text in debtors.items():
        (folder / f"{name.replace('_', '-')}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["deadlines", "--ledger", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_contract(tmp_path: Path) -> None:
    root = ledger(tmp_path, yingkou=YINGKOU, far=FAR)
    code, out, _ = run(root, "--as-of", "2026-11-01", "-f", "json")
    assert code == 0
    document = json.loads(out)
    assert document["as_of"] == "2026-11-01"
    assert document["within_days"] == 30  # warn_days
    # Default list: NEW within 30 days, OLD expired on an open invoice; FAR is not listed.
    rows = document["deadlines"]
    assert [(r["invoice"], r["date"], r["days_left"], r["status"]) for r in rows] == [
        ("OLD", "2025-09-30", -397, "expired"), ("NEW", "2026-11-20", 19, "open")]
    first = rows[0]
    assert list(first) == ["debtor", "kind", "invoice", "date", "days_left", "status", "provisional", "rule",
                           "basis", "guarantor", "amount", "currency"]
    assert first["debtor"] == "yingkou"
    assert first["kind"] == "limitation"
    assert first["provisional"] is False
    assert first["rule"] == "CN Civil Code Art. 188, 195, 203"
    assert first["amount"] == "52600.00"
    assert first["basis"][0].startswith("due 2022-09-30: the 3 years (Art. 188) count from 2022-10-01")
    assert "letter sent 2023-04-18 not counted: no `delivered` date" in first["basis"][1]


def test_all_within_and_kind(tmp_path: Path) -> None:
    root = ledger(tmp_path, yingkou=YINGKOU, far=FAR)
    _, out, _ = run(root, "--as-of", "2026-11-01", "-f", "json", "--all")
    rows = json.loads(out)["deadlines"]
    assert [(r["invoice"], r["date"], r["provisional"]) for r in rows] == [
        ("OLD", "2025-09-30", False), ("NEW", "2026-11-20", False), ("FAR", "2029-07-02", True)]
    _, out, _ = run(root, "--as-of", "2026-11-01", "-f", "json", "--within", "10")
    assert [r["invoice"] for r in json.loads(out)["deadlines"]] == ["OLD"]
    _, out, _ = run(root, "--as-of", "2026-11-01", "-f", "json", "--kind", "promise")
    assert json.loads(out)["deadlines"] == []


def test_strict_fails_on_expired_limitation(tmp_path: Path) -> None:
    root = ledger(tmp_path, yingkou=YINGKOU, far=FAR)
    code, _, err = run(root, "--as-of", "2026-11-01", "--strict")
    assert code == 1
    assert "1 deadline(s) already missed: yingkou limitation OLD (expired 2025-09-30)" in err
    code, _, _ = run(root, "--as-of", "2026-11-01", "--strict", "--debtor", "far")
    assert code == 0


def test_table_why_and_no_colour_in_a_pipe(tmp_path: Path) -> None:
    root = ledger(tmp_path, yingkou=YINGKOU)
    code, out, _ = run(root, "--as-of", "2026-11-01", "--why")
    assert code == 0
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["date", "left", "status", "kind"]
    assert lines[2].startswith("2025-09-30  -397  expired  limitation  yingkou  OLD")
    assert "yingkou limitation OLD: 2025-09-30 expired  [CN Civil Code Art. 188, 195, 203]" in out
    assert "  - 2025-09-30 is a Tuesday, a working day: no roll (Art. 203)" in out


def test_csv_file_with_basis(tmp_path: Path) -> None:
    root = ledger(tmp_path, yingkou=YINGKOU)
    target = tmp_path / "out.csv"
    code, _, _ = run(root, "--as-of", "2026-11-01", "--why", "-o", str(target))
    assert code == 0
    header, first, *_ = target.read_text(encoding="utf-8").splitlines()
    assert header == "date,days_left,status,kind,debtor,invoice,currency,amount,provisional,guarantor,rule,basis"
    assert first.startswith("2025-09-30,-397,expired,limitation,yingkou,OLD,CNY,52600.00,,,")


def test_nothing_to_show(tmp_path: Path) -> None:
    root = ledger(tmp_path, far=FAR)
    code, out, _ = run(root, "--as-of", "2026-11-01")
    assert code == 0
    assert out == "no deadlines within 30 days as of 2026-11-01 and none missed (--all lists every one)\n"


def test_bad_input(tmp_path: Path) -> None:
    root = ledger(tmp_path, far=FAR)
    code, _, err = run(root, "--kind", "limits")
    assert (code, err.strip()) == (2, "dunning: error: --kind: unknown kind 'limits': use one of limitation, "
                                      "guarantee, claims, promise, installment")
    code, _, err = run(root, "--within", "-3")
    assert (code, err.strip()) == (2, "dunning: error: --within: must not be negative, got -3")
    code, _, err = run(root, "--debtor", "nobody")
    assert code == 2
    assert "unknown debtor 'nobody'" in err
    code, _, err = run(root, "--as-of", "2026-13-01")
    assert code == 2
    assert "--as-of" in err


def test_unknown_jurisdiction(tmp_path: Path) -> None:
    # a ledger error (exit 1) at the line that set it; `dunning check` names it too
    root = ledger(tmp_path, SETTINGS + "jurisdiction: XX\n", far=FAR)
    code, _, err = run(root, "--as-of", "2026-11-01")
    assert code == 1
    assert re.match(r"dunning: error: dunning\.yaml:\d+:\d+: jurisdiction: unknown jurisdiction 'XX'", err)
    checked = runner.invoke(app, ["check", "--ledger", str(root)])
    assert checked.exit_code == 1
    assert re.search(r"^dunning\.yaml:\d+:1: jurisdiction: unknown jurisdiction 'XX'", checked.stdout, re.M)
    root2 = ledger(tmp_path / "two", far=FAR.replace("events: []", "jurisdiction: ZZ\nevents: []"))
    code, _, err = run(root2, "--as-of", "2026-11-01")
    assert code == 1
    assert re.match(r"dunning: error: debtors/far\.yaml:\d+:1: jurisdiction: unknown jurisdiction 'ZZ'", err)
    checked = runner.invoke(app, ["check", "--ledger", str(root2)])
    assert checked.exit_code == 1
    assert re.search(r"^debtors/far\.yaml:\d+:1: jurisdiction: unknown jurisdiction 'ZZ'", checked.stdout, re.M)


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["deadlines", "--help"])
    assert result.exit_code == 0
    assert "Example: dunning deadlines" in result.stdout


def test_colour_only_when_asked() -> None:
    # A terminal gets the expired row in red; files and pipes never get escape codes.
    from datetime import date

    from dunning.cli.deadlines import render_deadlines
    from dunning.deadlines import Deadline

    row = Deadline("acme", "limitation", "A", date(2025, 9, 30), -10, "expired", False, "CN Civil Code Art. 188",
                   ("due 2022-09-30",))
    plain = render_deadlines([row], "table", date(2025, 10, 10), 30, why=False)
    painted = render_deadlines([row], "table", date(2025, 10, 10), 30, why=False, colour=True)
    assert "\x1b[" not in plain
    assert "\x1b[31m2025-09-30" in painted
