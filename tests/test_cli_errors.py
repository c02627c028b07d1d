"""Bad input on the command line: a clear message and exit 2 (1 for a ledger error), never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import dunning.writer
from dunning.cli.app import app
from dunning.ledger import load_debtor

SETTINGS = """\
format: 1
creditor: {name: 辽宁测试贸易有限公司, email: ar@test.example.cn}
collectors: {zhang.san: 张三}
"""

# As of 2026-03-15: INV-1 (¥120,000.00, due 2026-01-31) is 43 days overdue.
DEBTOR = """\
name: 沈阳重工机械有限公司
collector: zhang.san
contacts:
  - {name: 王建国, decision_maker: true, email: wang@example.cn}
invoices:
  - {id: INV-1, issued: 2026-01-01, due: 2026-01-31, amount: 120000.00}
events:
  - {at: 2026-02-03T10:00:00+08:00, type: call, by: zhang.san, with: 王建国, outcome: reached}
"""

KNOWN = "(known: CN, DE, EW, FR, US-CA, US-NY, US-UCC)"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def make_ledger(folder: Path, settings: str = SETTINGS, debtor: str = DEBTOR) -> Path:
    (folder / "debtors").mkdir(parents=True)
    (folder / "dunning.yaml").write_text(settings, encoding="utf-8")
    (folder / "debtors" / "shenyang-heavy.yaml").write_text(debtor, encoding="utf-8")
    return folder


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_ledger(tmp_path / "ar")


def run(root: Path | None, *args: str) -> tuple[int, str, str]:
    ledger = ["--ledger", str(root)] if root is not None else []
    result = CliRunner().invoke(app, [*args, *ledger], env={"DUNNING_COLLECTOR": "", "DUNNING_LEDGER": ""})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------------------------------------
# a jurisdiction without limitation rules


def test_show_names_the_debtor_file_line_and_the_known_codes(tmp_path: Path) -> None:
    root = make_ledger(tmp_path / "ar", debtor=DEBTOR.replace("collector: zhang.san\n",
                                                              "collector: zhang.san\njurisdiction: XX\n"))
    code, out, err = run(root, "show", "shenyang-heavy", "--as-of", "2026-03-15")
    assert (code, out) == (1, "")
    assert err == ("dunning: error: debtors/shenyang-heavy.yaml:3:1: jurisdiction: unknown jurisdiction 'XX': "
                   f"no limitation rules for it {KNOWN}\n")


def test_the_ledgers_jurisdiction_is_named_in_dunning_yaml(tmp_path: Path) -> None:
    root = make_ledger(tmp_path / "ar", settings=SETTINGS + "jurisdiction:  ZZ   # where we sue\n")
    expected = ("dunning: error: dunning.yaml:4:1: jurisdiction: unknown jurisdiction 'ZZ': "
                f"no limitation rules for it {KNOWN}\n")
    for args in (["show", "shenyang-heavy"], ["deadlines"], ["deadlines", "--debtor", "shenyang-heavy"],
                 ["letter", "shenyang-heavy", "-f", "md", "-o", str(tmp_path / "l.md")],
                 ["export", "shenyang-heavy", "-o", str(tmp_path / "bundle")], ["export", "--all"]):
        code, _, err = run(root, *args, "--as-of", "2026-03-15")
        assert (code, err) == (1, expected), args
    assert not (tmp_path / "l.md").exists() and not (tmp_path / "bundle").exists()  # nothing written


def test_new_and_init_refuse_an_unknown_jurisdiction(root: Path, tmp_path: Path) -> None:
    code, _, err = run(root, "new", "dalian-port", "--name", "大连港", "--jurisdiction", "XX", "--no-commit")
    assert (code, err) == (2, f"dunning: error: --jurisdiction: unknown jurisdiction 'XX': no limitation rules "
                              f"for it {KNOWN}\n")
    assert not (root / "debtors" / "dalian-port.yaml").exists()
    code, _, err = run(None, "init", str(tmp_path / "new"), "--creditor", "测试", "--jurisdiction", "DE-BY")
    assert code == 2 and "--jurisdiction: unknown jurisdiction 'DE-BY'" in err
    assert not (tmp_path / "new" / "dunning.yaml").exists()


# ---------------------------------------------------------------------------------------------
# init and new with git


def test_init_prints_what_it_set_up_in_git(tmp_path: Path) -> None:
    target = tmp_path / "ar"
    code, out, err = run(None, "init", str(target), "--creditor", "测试")
    assert code == 0, err
    assert out.splitlines() == [
        f"{target}/.gitattributes: debtor files merge with the dunning driver (commit this file once, so that "
        "every clone uses it)",
        f"pre-commit hook installed: {target}/.git/hooks/pre-commit",
        f"committed [{git(target, 'rev-parse', 'HEAD').strip()[:10]}]",
        f"created ledger {target}",
    ]
    assert "merge-driver %O %A %B %P" in git(target, "config", "--get", "merge.dunning.driver")


def test_new_says_when_the_ledger_is_not_in_git(root: Path) -> None:
    code, out, err = run(root, "new", "dalian-port", "--name", "大连港")
    assert (code, out) == (0, "created debtors/dalian-port.yaml\n")
    assert err == "dunning: note: the ledger is not in a git repository: written but not committed\n"


def test_new_commits_and_names_the_commit(root: Path) -> None:
    git(root, "init", "-q")
    git(root, "config", "user.email", "t@example.cn")
    git(root, "config", "user.name", "Test")
    code, out, err = run(root, "new", "dalian-port", "--name", "大连港")
    assert (code, err) == (0, "")
    sha = git(root, "rev-parse", "HEAD").strip()
    assert out == f"created debtors/dalian-port.yaml [{sha[:10]}]\n"
    assert git(root, "log", "-1", "--format=%s") == "new(dalian-port): 大连港\n"


# ---------------------------------------------------------------------------------------------
# letter --record: the writer stamps the time


def test_a_letter_of_today_is_stamped_by_the_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without --as-of the letter is today's: its event goes to the writer without `at`, so that "now" is
    # read under the ledger lock. (Dated 2020, the invoice is overdue and the call is past on any day
    # this test runs.)
    root = make_ledger(tmp_path / "ar", debtor=DEBTOR.replace("2026-", "2020-"))
    seen: list[dict[str, Any]] = []
    real = dunning.writer.append_event

    def spy(root: Path, debtor_id: str, event: dict[str, Any], **options: Any) -> Any:
        seen.append(dict(event))
        return real(root, debtor_id, event, **options)

    monkeypatch.setattr(dunning.writer, "append_event", spy)
    code, _, err = run(root, "letter", "shenyang-heavy", "-t", "reminder", "-f", "md", "--record")
    assert code == 0, err
    assert len(seen) == 1 and "at" not in seen[0]
    written = load_debtor(root, "shenyang-heavy").events[-1]
    assert written.type == "letter" and written.at.tzinfo is not None  # type: ignore[union-attr]


def test_a_letter_dated_as_of_keeps_that_day(root: Path) -> None:
    code, _, err = run(root, "letter", "shenyang-heavy", "-t", "reminder", "-f", "md", "--record",
                       "--as-of", "2026-03-15")
    assert code == 0, err
    assert str(load_debtor(root, "shenyang-heavy").events[-1].at) == "2026-03-15"


# ---------------------------------------------------------------------------------------------
# garbage options


@pytest.mark.parametrize(("args", "message"), [
    (["age", "-o", "aging.xlsx"], "-o aging.xlsx: cannot tell the format from '.xlsx': use .csv, .json, .md or "
                                  ".txt, or give --format"),
    (["show", "shenyang-heavy", "-o", "x.pdf"], "-o x.pdf: cannot tell the format from '.pdf'"),
    (["age", "-f", "xml"], "--format: unknown format 'xml': use one of table, csv, json, md"),
    (["letter", "shenyang-heavy", "-o", "letter.docx"],
     "-o letter.docx: cannot tell the format from '.docx': use .md, .html, .pdf or .eml, or give --format"),
    (["report", "--as-of", "0001-01-01"], "--as-of: 0001-01-01 is out of range (1900-01-01 to 2999-12-31)"),
    (["risk", "--as-of", "0001-01-01"], "--as-of: 0001-01-01 is out of range"),
    (["letter", "shenyang-heavy", "--as-of", "9999-12-31"], "--as-of: 9999-12-31 is out of range"),
    (["log", "shenyang-heavy", "-t", "call", "--at", "0001-01-01T09:00"], "--at: 0001-01-01T09:00 is out of range"),
    (["pay", "shenyang-heavy", "1e5"], "AMOUNT: not an amount: '1e5' (digits, e.g. 20000 or 1,234.50)"),
    (["pay", "shenyang-heavy", "nan"], "AMOUNT: not an amount: 'nan'"),
    (["plan", "shenyang-heavy", "-i", "2026-04-30:Infinity"], "--installment: not an amount: 'Infinity'"),
    (["new", "dalian-port", "--name", "大连港", "--credit-limit", "5e5"], "--credit-limit: not an amount: '5e5'"),
    (["deadlines", "--debtor", "nobody"], "unknown debtor 'nobody' (no debtors/nobody.yaml)"),
    (["export", "nobody"], "unknown debtor 'nobody' (no debtors/nobody.yaml)"),
    (["show", "Bad_Id"], "not a debtor id: 'Bad_Id'"),
    (["new", "Bad_Id", "--name", "x"], "not a debtor id: 'Bad_Id'"),
    (["hooks", "pre-commit"], "is not in a git repository: there is nothing staged to check"),
    (["letter", "shenyang-heavy", "-f", "md", "--record", "--by", "nobody", "--as-of", "2026-03-15"],
     "--by: unknown collector 'nobody' (dunning.yaml collectors: zhang.san)"),
])
def test_bad_input_is_exit_2_with_a_message(root: Path, args: list[str], message: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def files() -> dict[Path, bytes]:  # the ledger's files; the cache in .dunning/ may be refreshed
        return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".dunning" not in p.parts}

    monkeypatch.chdir(root)
    before = files()
    code, out, err = run(root, *args)
    assert code == 2, (out, err)
    assert err.startswith("dunning: error: ") and message in err, err
    assert len(err.splitlines()) == 1
    assert files() == before  # nothing written


def test_merge_driver_without_its_files(tmp_path: Path) -> None:
    code, _, err = run(None, "merge-driver", str(tmp_path / "base"), str(tmp_path / "ours"), str(tmp_path / "b"))
    assert (code, err) == (2, f"dunning: error: {tmp_path / 'base'}: no such file (git passes the three versions "
                              "of the file: %O %A %B)\n")


def test_an_unwritable_output_is_named(root: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    code, _, err = run(root, "age", "--as-of", "2026-03-15", "-o", str(blocked / "aging.csv"))
    assert code == 2
    assert err.startswith(f"dunning: error: {blocked / 'aging.csv'}: cannot write: ")


def test_a_broken_debtor_file_is_a_ledger_error(root: Path) -> None:
    (root / "debtors" / "shenyang-heavy.yaml").write_text(DEBTOR + "  - [\n", encoding="utf-8")
    for args in (["show", "shenyang-heavy"], ["deadlines", "--debtor", "shenyang-heavy"],
                 ["export", "shenyang-heavy"]):
        code, _, err = run(root, *args)
        assert code == 1, args
        first, second = err.splitlines()[:2]
        assert first == "dunning: error: debtors/shenyang-heavy.yaml does not pass `dunning check`:"
        assert second.startswith("debtors/shenyang-heavy.yaml:")
