"""`dunning export`: the bundle for legal review, and a redacted bundle that leaks no contact data."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dunning.cli.app import app
from dunning.ledger import load_ledger

SAMPLE = Path(__file__).resolve().parent.parent / "ledger"

SETTINGS = """\
format: 1
creditor: {name: 辽宁示例贸易有限公司, phone: 024-88880000, email: ar@example.cn}
timezone: Asia/Shanghai
collectors: {zhang.san: 张三}
"""

HEAVY = """\
name: 沈阳重工机械有限公司
collector: zhang.san
terms_days: 30
contacts:
  - name: 王建国
    mobile: "13904051826"
    wechat: wjg_1975
    email: wangjianguo@syheavy.example.com
invoices:
  - id: INV-1
    issued: 2025-03-01
    due: 2025-03-31
    amount: 120000.00
events:
  - at: 2025-04-10T09:35:00+08:00
    type: call
    by: zhang.san
    with: 王建国
    outcome: promise
    summary: 对方承诺4月30日前先付5万，另留手机13904051826。
    promise: {date: 2025-04-30, amount: 50000}
  - at: 2025-04-28
    type: payment
    amount: 50000.00
    invoice: INV-1
  - at: 2025-05-12
    type: letter
    by: zhang.san
    via: ems
    tracking: EMS1186537704521
    delivered: 2025-05-14
    evidence:
      - path: evidence/heavy/ems-receipt.txt
        sha256: {sha}
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True).stdout


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "ar"
    (root / "debtors").mkdir(parents=True)
    (root / "evidence" / "heavy").mkdir(parents=True)
    receipt = "EMS 妥投: 2025-05-14 王建国签收\n".encode()
    (root / "evidence" / "heavy" / "ems-receipt.txt").write_bytes(receipt)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors" / "heavy.yaml").write_text(HEAVY.replace("{sha}", hashlib.sha256(receipt).hexdigest()),
                                                 encoding="utf-8")
    (root / "letters" / "heavy").mkdir(parents=True)
    (root / "letters" / "heavy" / "2025-05-12-demand.md").write_text(
        "# 催款函\n\n王建国先生（13904051826）：请回电 024-88880000。\n", encoding="utf-8")
    (root / "letters" / "heavy" / "2025-05-12-demand.pdf").write_bytes(b"%PDF-1.7 13904051826")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=张三", "-c", "user.email=zhang.san@example.cn", "commit", "-q", "-m", "start")
    return root


def test_bundle_holds_the_case_file_sources_and_a_verifiable_manifest(small: Path, tmp_path: Path) -> None:
    target = tmp_path / "out"
    code, out, err = run("export", "heavy", "-o", str(target), "--as-of", "2025-06-30", "--ledger", str(small))
    assert code == 0, err
    assert out == f"exported 1 debtor(s) to {target}\n"
    folder = target / "heavy"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "MANIFEST.sha256", "bundle.md", "debtor.yaml", "evidence/ems-receipt.txt",
        "letters/2025-05-12-demand.md", "letters/2025-05-12-demand.pdf"]
    assert (folder / "debtor.yaml").read_bytes() == (small / "debtors" / "heavy.yaml").read_bytes()
    for line in (folder / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    bundle = (folder / "bundle.md").read_text(encoding="utf-8")
    chronology = bundle[bundle.index("## 4."):bundle.index("## 5.")]
    assert chronology.index("**1. 2025-04-10 09:35** · 电话 call · 经办 by 张三 (zhang.san)") < chronology.index(
        "**2. 2025-04-28** · 付款 payment") < chronology.index("**3. 2025-05-12** · 函件 letter")
    assert "- 承诺 promise: 2025-04-30 ¥50,000.00 — kept 2025-04-28" in chronology
    assert "- 运单号 tracking: EMS1186537704521" in chronology
    assert "- 送达 delivered: 2025-05-14" in chronology
    assert "(matches the recorded sha256)" in chronology
    invoice_row = "| INV-1 | | 2025-03-01 | 2025-03-31 | ¥120,000.00 | ¥50,000.00 | ¥0.00 | ¥70,000.00 | 91 |"
    assert invoice_row in bundle.replace("|  |", "| |")
    assert "limitation" in bundle[bundle.index("## 3."):bundle.index("## 4.")]
    assert "| 张三 <zhang.san@example.cn> |" in bundle  # the audit trail
    assert (target / "index.md").read_text(encoding="utf-8").count("| heavy | 沈阳重工机械有限公司 | ¥70,000.00 |") == 1


def test_redacted_bundle_masks_text_and_withholds_what_cannot_be_masked(small: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.zip"
    code, out, err = run("export", "heavy", "-o", str(target), "--redact", "--ledger", str(small))
    assert code == 0, err
    assert "2 file(s) withheld" in out
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        files = {name: archive.read(name) for name in names}
    assert names == ["heavy/MANIFEST.sha256", "heavy/bundle.md", "heavy/debtor.yaml",
                     "heavy/letters/2025-05-12-demand.md", "index.md"]
    letter = files["heavy/letters/2025-05-12-demand.md"].decode()
    assert letter == "# 催款函\n\n王建国先生（139****1826）：请回电 024-88880000。\n"  # the creditor's own number stays
    copy = yaml.safe_load(files["heavy/debtor.yaml"])
    assert copy["contacts"][0] == {"name": "王建国", "mobile": "139****1826", "wechat": "〔已隐去〕",
                                   "email": "〔已隐去〕@syheavy.example.com"}
    bundle = files["heavy/bundle.md"].decode()
    assert "evidence/heavy/ems-receipt.txt" in bundle and "withheld under --redact (manifest only)" in bundle
    assert "letters/2025-05-12-demand.pdf" in bundle
    assert "| 张三 <〔已隐去〕@example.cn> |" in bundle
    assert "EMS1186537704521" in bundle and "¥70,000.00" in bundle


def test_target_that_exists_is_refused(small: Path, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("x")
    code, _, err = run("export", "heavy", "-o", str(tmp_path / "taken"), "--ledger", str(small))
    assert code == 2 and "exists already" in err
    code, _, err = run("export", "--ledger", str(small))
    assert code == 2 and "give a debtor ID or --all" in err
    code, _, err = run("export", "nobody", "-o", str(tmp_path / "n"), "--ledger", str(small))
    assert code == 2 and "unknown debtor 'nobody'" in err


def _contact_values(root: Path) -> set[str]:
    values: set[str] = set()
    for debtor in load_ledger(root, cache=False).debtors.values():
        for contact in debtor.contacts:
            for value in (contact.mobile, contact.phone, contact.email, contact.wechat):
                if value:
                    values.add(value)
                    digits = re.sub(r"\D", "", value)
                    if len(digits) >= 7 and "@" not in value:
                        values.add(digits)
    return values


def test_redacted_bundle_of_the_sample_ledger_leaks_no_contact_data(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "ledger"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".dunning"))
    # A letter in text and PDF, committed by a collector whose email is personal; then a contact's
    # WeChat id changes, so the old id lives on only in the git history.
    (root / "letters" / "shenyang-heavy").mkdir(parents=True)
    (root / "letters" / "shenyang-heavy" / "2026-11-25-demand.md").write_text(
        "致王建国（手机13904051826，邮箱wangjianguo@syheavy.example.com，微信 wjg_1975）", encoding="utf-8")
    (root / "letters" / "shenyang-heavy" / "2026-11-25-demand.pdf").write_bytes(b"%PDF 13904051826 wjg_1975")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=张三", "-c", "user.email=zhangsan.private@163.com", "commit", "-q", "-m", "sample")
    path = root / "debtors" / "shenyang-heavy.yaml"
    old_address = "沈阳市铁西区北二中路27号 办公楼3层"
    text = path.read_text(encoding="utf-8").replace("wechat: wjg_1975", "wechat: wjg_new_2026")
    path.write_text(text.replace(f"address: {old_address}", "address: 沈阳市皇姑区示例路9号"), encoding="utf-8")
    git(root, "-c", "user.name=张三", "-c", "user.email=zhangsan.private@163.com", "commit", "-q", "-am",
        "new WeChat id and address of 王建国")
    secrets = _contact_values(root) | {"wjg_1975", "zhangsan.private@163.com", old_address, "沈阳市皇姑区示例路9号"}
    assert {"13904051826", "wangjianguo@syheavy.example.com", "wjg_new_2026", "024-25801234"} <= secrets

    target = tmp_path / "bundle.zip"
    code, _out, err = run("export", "--all", "--redact", "-o", str(target), "--ledger", str(root))
    assert code == 0, err
    with zipfile.ZipFile(target) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert len([m for m in members if m.endswith("/bundle.md")]) == len(list((root / "debtors").glob("*.yaml")))
    leaks = [(name, secret) for name, data in members.items() for secret in secrets
             if secret.encode("utf-8") in data]
    assert leaks == []
    # what a lawyer needs is still there
    heavy = members["shenyang-heavy/bundle.md"].decode()
    assert "王建国" in heavy and "INV-2026-044" in heavy and "¥78,500.00" in heavy and "91210106MA030LCC10" in heavy
    assert "new WeChat id and address of 王建国" in heavy
    for name, data in members.items():
        if name.endswith("debtor.yaml"):
            assert isinstance(yaml.safe_load(data), dict), name  # the masked copy is still YAML
