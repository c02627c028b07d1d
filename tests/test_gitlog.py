"""Git: one commit per write and nothing else, the history of a debtor, the append-only proof, the hook."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning.cli.app import app
from dunning.gitlog import commit_paths
from dunning.gitlog import setup_repository
from dunning.gitlog import verify_history
from dunning.writer import WriteError
from dunning.writer import append_event

DUNNING = str(Path(sys.executable).parent / "dunning")

SETTINGS = """\
format: 1
creditor: {name: 辽宁示例贸易有限公司}
timezone: Asia/Shanghai
collectors: {zhang.san: 张三, li.si: 李四}
"""

ACME = """\
name: 沈阳重工机械有限公司
collector: zhang.san
credit_limit: 300000
contacts:
  - name: 王建国
    mobile: "13900000000"
invoices:
  - id: INV-1
    issued: 2025-03-01
    due: 2025-03-31
    amount: 120000.00
events:
  - at: 2025-04-10T09:35:00+08:00
    type: call
    with: 王建国
    outcome: promise
    promise: {date: 2025-04-30, amount: 50000}
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def make_repo(tmp_path: Path, folder: str = "") -> Path:
    top = tmp_path / "repo"
    root = top / folder if folder else top
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors" / "acme.yaml").write_text(ACME, encoding="utf-8")
    git(top, "init", "-q", "-b", "main")
    git(top, "config", "user.name", "张三")
    git(top, "config", "user.email", "zhang.san@example.cn")
    git(top, "add", ".")
    git(top, "commit", "-q", "-m", "start the ledger")
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--ledger", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _no_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUNNING_COLLECTOR", raising=False)


def test_one_commit_per_write_holding_only_the_debtor_file(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (root / "notes.txt").write_text("my own work\n", encoding="utf-8")
    git(root, "add", "notes.txt")  # staged by the user: must stay staged, uncommitted
    with (root / "dunning.yaml").open("a", encoding="utf-8") as settings:
        settings.write("# an unstaged edit\n")
    code, out, err = run(root, "log", "acme", "-t", "call", "--with", "王建国", "--at", "2025-04-20T10:00",
                         "--promise-date", "2025-04-30", "--promise-amount", "50000")
    assert code == 0, err
    assert git(root, "log", "-1", "--format=%s%n%an").splitlines() == [
        "log(acme): call with 王建国, promise 2025-04-30 ¥50,000.00", "张三"]
    assert git(root, "show", "--name-only", "--format=", "HEAD").split() == ["debtors/acme.yaml"]
    assert git(root, "diff", "--cached", "--name-only").split() == ["notes.txt"]
    assert git(root, "diff", "--name-only").split() == ["dunning.yaml"]
    assert "    by: zhang.san\n" in (root / "debtors" / "acme.yaml").read_text(encoding="utf-8")  # git user = 张三
    assert out.startswith("log(acme): call with 王建国")


def test_ledger_in_a_subfolder_commits_evidence_with_the_event(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "finance/ar")
    scan = tmp_path / "回单.pdf"
    scan.write_bytes(b"receipt")
    code, _, err = run(root, "pay", "acme", "20000", "--invoice", "INV-1", "--date", "2025-05-02",
                       "--ref", "工行回单 20250502-001", "--evidence", str(scan))
    assert code == 0, err
    assert git(root, "log", "-1", "--format=%s") == "pay(acme): ¥20,000.00 to INV-1, ref 工行回单 20250502-001\n"
    files = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert files[0] == "finance/ar/debtors/acme.yaml"
    assert files[1].startswith("finance/ar/evidence/acme/") and files[1].endswith("-回单.pdf")
    assert git(root, "status", "--porcelain") == ""


def test_no_commit_then_a_commit_takes_both_and_says_so(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    assert run(root, "event", "acme", "note", "--summary", "first", "--at", "2025-05-01", "--no-commit")[0] == 0
    assert git(root, "log", "--format=%s").count("\n") == 1
    assert run(root, "event", "acme", "note", "--summary", "second", "--at", "2025-05-02")[0] == 0
    message = git(root, "log", "-1", "--format=%B")
    assert message.startswith("event(acme): note: second\n\nAlso commits earlier uncommitted changes")
    assert git(root, "status", "--porcelain") == ""


def test_an_uncommitted_edit_of_a_recorded_event_stops_a_committing_write(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    path = root / "debtors" / "acme.yaml"
    path.write_text(ACME.replace("amount: 50000}", "amount: 5000}"), encoding="utf-8")
    before = path.read_bytes()
    code, _, err = run(root, "event", "acme", "note", "--at", "2025-05-01")
    assert code == 1
    assert "uncommitted edits to recorded events (events[0]" in err
    assert path.read_bytes() == before


def test_not_in_git_writes_and_says_so_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "ar"
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors" / "acme.yaml").write_text(ACME, encoding="utf-8")
    code, _, err = run(root, "event", "acme", "note", "--at", "2025-05-01")
    assert code == 0
    assert err.count("not in a git repository") == 1
    assert commit_paths(root, [root / "debtors" / "acme.yaml"], "x") is None


def test_commit_paths_makes_no_commit_when_nothing_changed(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    assert commit_paths(root, [root / "debtors" / "acme.yaml"], "nothing") is None
    assert git(root, "log", "--format=%s").splitlines() == ["start the ledger"]


def test_history_shows_who_added_which_event_and_changed_which_fact(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    append_event(root, "acme", {"at": "2025-05-02", "type": "payment", "amount": "50000", "invoice": "INV-1"})
    path = root / "debtors" / "acme.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("credit_limit: 300000", "credit_limit: 500000")
                    .replace('"13900000000"', '"13911112222"'), encoding="utf-8")
    git(root, "-c", "user.name=李四", "-c", "user.email=li.si@example.cn", "commit", "-q", "-am", "raise the limit")
    code, out, err = run(root, "history", "acme", "--format", "json")
    assert code == 0, err
    commits = json.loads(out)["commits"]
    assert [(c["author"], c["message"]) for c in commits] == [
        ("张三", "start the ledger"), ("张三", "pay(acme): ¥50,000.00 to INV-1"), ("李四", "raise the limit")]
    assert commits[0]["created"] is True
    assert commits[1]["events_added"] == [{"at": "2025-05-02", "type": "payment", "amount": "50000.00",
                                           "invoice": "INV-1"}]
    assert commits[1]["facts"] == []
    assert commits[2]["facts"] == [{"field": "credit_limit", "from": "300000.00", "to": "500000.00"},
                                   {"field": "contacts[0].mobile", "from": "13900000000", "to": "13911112222"}]
    code, table, _ = run(root, "history", "acme")
    assert "credit_limit: 300000.00 -> 500000.00" in table
    assert "+ 2025-05-02 ¥50,000.00 to INV-1" in table


def test_check_history_names_the_commit_and_author_that_rewrote_an_old_event(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    path = root / "debtors" / "acme.yaml"
    path.write_text(ACME.replace("amount: 50000}", "amount: 5000}"), encoding="utf-8")
    git(root, "-c", "user.name=Mallory", "-c", "user.email=m@example.cn", "commit", "-q", "--no-verify",
        "-am", "tidy up")
    bad = git(root, "rev-parse", "HEAD").strip()
    append_event(root, "acme", {"at": "2025-05-02", "type": "note", "summary": "later, honest"})
    assert [str(e) for e in verify_history(root)] == [
        f"debtors/acme.yaml:13:1: events[0] (2025-04-10T09:35:00+08:00 call 王建国) was changed: promise "
        f"{{date: 2025-04-30, amount: 50000}} -> {{date: 2025-04-30, amount: 5000}} in commit {bad[:12]} by "
        "Mallory <m@example.cn> on " + git(root, "log", "-1", "--format=%aI", bad)[:10]]
    code, out, _ = run(root, "check", "--history")
    assert code == 1
    assert f"in commit {bad[:12]} by Mallory" in out


def test_check_history_catches_a_removed_event_and_a_deleted_file(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    append_event(root, "acme", {"at": "2025-05-02", "type": "note", "summary": "kept"})
    path = root / "debtors" / "acme.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.split("  - at: 2025-04-10")[0] + "  - at: 2025-05-02" + text.split("  - at: 2025-05-02")[1],
                    encoding="utf-8")
    git(root, "commit", "-q", "--no-verify", "-am", "drop the first call")
    git(root, "rm", "-q", "debtors/acme.yaml")
    git(root, "commit", "-q", "--no-verify", "-m", "forget acme")
    messages = [e.message for e in verify_history(root)]
    assert len(messages) == 2
    assert messages[0].startswith("events[0] (2025-04-10T09:35:00+08:00 call 王建国) was removed in commit ")
    assert messages[1].startswith("deleted in commit ")
    assert "its 1 recorded event(s) were removed" in messages[1]


def test_check_history_is_silent_on_an_append_only_history(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    for day in (1, 2, 3):
        append_event(root, "acme", {"at": f"2025-05-0{day}", "type": "note"})
    assert verify_history(root) == []
    assert run(root, "check", "--history")[:2] == (0, "")


def test_pre_commit_hook_refuses_an_edited_event_and_accepts_an_appended_one(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    notes = setup_repository(root, command=DUNNING)
    assert any("pre-commit hook installed" in n for n in notes)
    git(root, "add", ".gitattributes")
    git(root, "commit", "-q", "-m", "merge driver for debtor files")
    path = root / "debtors" / "acme.yaml"
    path.write_text(ACME.replace("with: 王建国", "with: 王总"), encoding="utf-8")
    refused = subprocess.run(["git", "commit", "-q", "-am", "rename"], cwd=root, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "events[0] (2025-04-10T09:35:00+08:00 call 王建国) was changed: with 王建国 -> 王总" in refused.stderr
    path.write_text(ACME + "  - at: 2025-05-01\n    type: note\n", encoding="utf-8")
    accepted = subprocess.run(["git", "commit", "-q", "-am", "a note"], cwd=root, capture_output=True, text=True)
    assert accepted.returncode == 0, accepted.stderr
    path.write_text(path.read_text(encoding="utf-8") + "  - at: 2025-05-02\n    type: nonsense\n", encoding="utf-8")
    invalid = subprocess.run(["git", "commit", "-q", "-am", "bad"], cwd=root, capture_output=True, text=True)
    assert invalid.returncode != 0
    assert "unknown event type 'nonsense'" in invalid.stderr


def test_setup_repository_is_idempotent_and_leaves_a_foreign_hook_alone(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    setup_repository(root, command=DUNNING)
    setup_repository(root, command=DUNNING)
    assert (root / ".gitattributes").read_text(encoding="utf-8") == "debtors/*.yaml merge=dunning\n"
    hook = (root / ".git" / "hooks" / "pre-commit").read_text(encoding="utf-8")
    assert hook.count("hooks pre-commit --ledger .") == 1
    assert git(root, "config", "merge.dunning.driver").strip() == f"{DUNNING} merge-driver %O %A %B %P"
    other = make_repo(tmp_path / "other")
    (other / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\nmake lint\n", encoding="utf-8")
    notes = setup_repository(other, command=DUNNING)
    assert "is not dunning's: add this line to it yourself" in notes[-1]
    assert (other / ".git" / "hooks" / "pre-commit").read_text(encoding="utf-8") == "#!/bin/sh\nmake lint\n"


def _committing_writer(root: str, worker: int, count: int) -> None:
    for n in range(count):
        append_event(Path(root), "acme", {"type": "note", "summary": f"w{worker}-{n}"})


def test_concurrent_committing_writers_make_one_commit_per_event(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_committing_writer, args=(str(root), w, 5)) for w in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    subjects = git(root, "log", "--format=%s").splitlines()
    assert len(subjects) == 16
    assert sorted(subjects[:-1]) == sorted(f"event(acme): note: w{w}-{n}" for w in range(3) for n in range(5))
    assert git(root, "status", "--porcelain") == ""
    assert verify_history(root) == []


def test_a_refused_write_makes_no_commit(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    with pytest.raises(WriteError):
        append_event(root, "acme", {"at": "2025-05-01", "type": "payment", "amount": "1.001"})
    assert git(root, "log", "--format=%s").splitlines() == ["start the ledger"]
