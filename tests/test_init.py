"""`dunning init` (a new ledger in two commands) and `dunning new` (a debtor file that passes check)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning.cli.app import app
from dunning.ledger import load_ledger
from dunning.ledger import parse_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def _git_outside_any_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """tmp_path counts as outside any repository; commits get an author whatever the machine's git config."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for variable, value in (("GIT_AUTHOR_NAME", "张三"), ("GIT_AUTHOR_EMAIL", "zhang.san@example.cn"),
                            ("GIT_COMMITTER_NAME", "张三"), ("GIT_COMMITTER_EMAIL", "zhang.san@example.cn")):
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("DUNNING_LEDGER", raising=False)
    monkeypatch.delenv("DUNNING_COLLECTOR", raising=False)


def dunning(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout


def init(folder: Path, *extra: str) -> tuple[int, str, str]:
    return dunning("init", str(folder), "--creditor", "辽宁测试贸易有限公司", "--collector", "zhang.san=张三",
                   "--collector", "li.si=李四", *extra)


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".git" not in p.parts)


# ---------------------------------------------------------------------------------------------
# init


def test_init_makes_a_ledger_that_passes_check(tmp_path: Path) -> None:
    root = tmp_path / "ar"
    code, _, err = init(root, "--phone", "024-23188600", "--bank", "工行沈阳和平支行", "--account", "3301 0112")
    assert code == 0, err
    settings = parse_settings((root / "dunning.yaml").read_bytes())
    assert settings.creditor.name == "辽宁测试贸易有限公司"
    assert settings.creditor.phone == "024-23188600"
    assert settings.creditor.bank is not None and settings.creditor.bank.account == "3301 0112"
    assert settings.collectors == {"zhang.san": "张三", "li.si": "李四"}
    assert (settings.currency, settings.timezone, settings.contact_hours) == ("CNY", "Asia/Shanghai", "08:00-21:00")
    assert (root / "debtors").is_dir()
    assert ".dunning/" in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert dunning("check", "--ledger", str(root))[:2] == (0, "")


def test_init_makes_a_git_repository_when_there_is_none(tmp_path: Path) -> None:
    root = tmp_path / "ar"
    assert init(root)[0] == 0
    assert (root / ".git").is_dir()
    assert git(root, "rev-parse", "--show-toplevel").strip() == str(root.resolve())
    # the cache folder a check makes is never something git would commit
    assert dunning("check", "--ledger", str(root))[0] == 0
    assert (root / ".dunning").is_dir()
    assert ".dunning" not in git(root, "status", "--porcelain", "--untracked-files=all")


def test_init_inside_a_repository_makes_none(tmp_path: Path) -> None:
    top = tmp_path / "finance"
    top.mkdir()
    git(top, "init", "-q")
    root = top / "ar"
    code, _, err = init(root)
    assert code == 0, err
    assert not (root / ".git").exists()
    assert git(root, "rev-parse", "--show-toplevel").strip() == str(top.resolve())


def test_init_keeps_an_existing_gitignore_and_adds_the_rule_once(tmp_path: Path) -> None:
    root = tmp_path / "ar"
    root.mkdir()
    (root / ".gitignore").write_text("*.bak", encoding="utf-8")  # no newline at the end
    assert init(root)[0] == 0
    assert (root / ".gitignore").read_text(encoding="utf-8") == "*.bak\n.dunning/\n"
    other = tmp_path / "other"
    other.mkdir()
    (other / ".gitignore").write_text(".dunning/\n", encoding="utf-8")
    assert init(other)[0] == 0
    assert (other / ".gitignore").read_text(encoding="utf-8") == ".dunning/\n"


def test_init_refuses_to_overwrite_a_ledger(tmp_path: Path) -> None:
    root = tmp_path / "ar"
    assert init(root)[0] == 0
    (root / "dunning.yaml").write_text("format: 1\ncreditor: {name: 我的公司}\n", encoding="utf-8")
    before = files_under(root)
    code, _, err = dunning("init", str(root), "--creditor", "别的公司")
    assert code == 2
    assert "exists already" in err and str(root / "dunning.yaml") in err
    assert (root / "dunning.yaml").read_text(encoding="utf-8") == "format: 1\ncreditor: {name: 我的公司}\n"
    assert files_under(root) == before


@pytest.mark.parametrize(("extra", "message"), [
    (("--creditor", " "), "--creditor is required"),
    (("--creditor", "测试", "--timezone", "Asia/Shenyang"), "unknown time zone: 'Asia/Shenyang'"),
    (("--creditor", "测试", "--currency", "rmb"), "not an ISO 4217 currency code: 'rmb'"),
    (("--creditor", "测试", "--collector", "zhang.san"), "--collector: expected KEY=NAME, got 'zhang.san'"),
    (("--creditor", "测试", "--bank", "工行"), "--bank and --account go together"),
])
def test_init_with_bad_input_writes_nothing(tmp_path: Path, extra: tuple[str, ...], message: str) -> None:
    root = tmp_path / "ar"
    code, _, err = dunning("init", str(root), *extra)
    assert code == 2
    assert message in err
    assert not root.exists() or files_under(root) == []
    assert not (root / ".git").exists()


# ---------------------------------------------------------------------------------------------
# new


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    root = tmp_path / "ar"
    assert init(root)[0] == 0
    return root


def test_new_writes_a_debtor_that_passes_check(ledger: Path) -> None:
    code, out, err = dunning("new", "shenyang-heavy", "--name", "沈阳重工机械有限公司", "--collector", "zhang.san",
                             "--credit-code", "91210106MA030LCC10", "--terms-days", "45", "--credit-limit", "500000",
                             "--contact", "王建国", "--role", "财务总监", "--mobile", "13904051826",
                             "--ledger", str(ledger))
    assert code == 0, err
    assert "debtors/shenyang-heavy.yaml" in out
    text = (ledger / "debtors" / "shenyang-heavy.yaml").read_text(encoding="utf-8")
    assert text.endswith("events: []\n")
    assert dunning("check", "--ledger", str(ledger))[:2] == (0, "")
    debtor = load_ledger(ledger, cache=False).debtors["shenyang-heavy"]
    assert (debtor.name, debtor.collector, debtor.terms_days, str(debtor.credit_limit)) == (
        "沈阳重工机械有限公司", "zhang.san", 45, "500000.00")
    assert debtor.credit_code == "91210106MA030LCC10"
    assert [(c.name, c.role, c.mobile, c.decision_maker) for c in debtor.contacts] == [
        ("王建国", "财务总监", "13904051826", True)]
    # one commit, holding that file only
    assert git(ledger, "log", "-1", "--format=%s").strip() == "new(shenyang-heavy): 沈阳重工机械有限公司"
    assert git(ledger, "show", "--name-only", "--format=", "HEAD").split() == ["debtors/shenyang-heavy.yaml"]


def test_new_with_no_commit_leaves_git_alone(ledger: Path) -> None:
    code, _, err = dunning("new", "dalian-haiyun", "--name", "大连海韵物流有限公司", "--no-commit",
                           "--ledger", str(ledger))
    assert code == 0, err
    assert (ledger / "debtors" / "dalian-haiyun.yaml").is_file()
    # HEAD is still init's own commit, and the new file is left untracked
    assert git(ledger, "log", "--format=%s").splitlines() == ["init: ledger of 辽宁测试贸易有限公司"]
    assert "debtors/dalian-haiyun.yaml" in git(ledger, "status", "--porcelain", "--untracked-files=all")


def test_new_refuses_an_existing_id(ledger: Path) -> None:
    assert dunning("new", "acme", "--name", "甲公司", "--no-commit", "--ledger", str(ledger))[0] == 0
    before = (ledger / "debtors" / "acme.yaml").read_bytes()
    code, _, err = dunning("new", "acme", "--name", "乙公司", "--no-commit", "--ledger", str(ledger))
    assert code == 2
    assert err == "dunning: error: debtor 'acme' exists already (debtors/acme.yaml)\n"
    assert (ledger / "debtors" / "acme.yaml").read_bytes() == before


@pytest.mark.parametrize("debtor_id", ["../x", "../../etc/x", "A B", "Acme", "x_y", "x.y", "沈阳重工", "x/y"])
def test_new_refuses_an_id_that_is_not_a_slug(ledger: Path, tmp_path: Path, debtor_id: str) -> None:
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    code, _, err = dunning("new", debtor_id, "--name", "甲公司", "--no-commit", "--ledger", str(ledger))
    assert code == 2
    assert f"not a debtor id: '{debtor_id}'" in err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize(("extra", "message"), [
    ((), "--name is required"),
    (("--name", "甲公司", "--collector", "zhao.liu"),
     "--collector: unknown collector 'zhao.liu' (dunning.yaml collectors: zhang.san, li.si)"),
    (("--name", "甲公司", "--credit-limit", "1.005"), "--credit-limit: amount has more than 2 decimals: '1.005'"),
    (("--name", "甲公司", "--credit-code", "91210106MA030LCC11"),
     "check character of '91210106MA030LCC11' should be '0' (GB 32100-2015)"),
    (("--name", "甲公司", "--currency", "eur"), "not an ISO 4217 currency code: 'eur'"),
])
def test_new_with_bad_input_writes_nothing(ledger: Path, extra: tuple[str, ...], message: str) -> None:
    code, _, err = dunning("new", "acme", *extra, "--no-commit", "--ledger", str(ledger))
    assert code == 2
    assert message in err
    assert not (ledger / "debtors" / "acme.yaml").exists()
