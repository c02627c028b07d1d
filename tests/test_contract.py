"""Contract conformance: one test per clause of ../shared/design/cli.md and ledger-format.md (and the
headline rules of limitation.md), through the CLI, on ledgers written inline, as an outside checker would.

Each test cites its clause as `file > heading: words of the clause`. Expected values are worked out by
hand from the clause, never read back from the implementation. A deviation that is reported to the
owner of the module (not fixed here) is an `xfail(strict=True)` test naming it, so that it turns red
the day it is fixed and the mark must go.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from dunning.cli.app import app

SETTINGS = """\
format: 1
creditor: {name: 辽宁示例贸易有限公司}
collectors: {zhang.san: 张三, li.si: 李四}
"""

MINIMAL_SETTINGS = """\
format: 1
creditor: {name: 辽宁示例贸易有限公司}
"""


@pytest.fixture(autouse=True)
def _clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ledger from the environment; git outside any repository and with an author."""
    monkeypatch.delenv("DUNNING_LEDGER", raising=False)
    monkeypatch.delenv("DUNNING_COLLECTOR", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for variable, value in (("GIT_AUTHOR_NAME", "张三"), ("GIT_AUTHOR_EMAIL", "zhang.san@example.cn"),
                            ("GIT_COMMITTER_NAME", "张三"), ("GIT_COMMITTER_EMAIL", "zhang.san@example.cn")):
        monkeypatch.setenv(variable, value)


def make(folder: Path, debtors: dict[str, str], settings: str = SETTINGS) -> Path:
    """A ledger in `folder`: dunning.yaml and debtors/<id>.yaml, written as given."""
    (folder / "debtors").mkdir(parents=True)
    (folder / "dunning.yaml").write_text(settings, encoding="utf-8")
    for debtor_id, text in debtors.items():
        (folder / "debtors" / f"{debtor_id}.yaml").write_text(text, encoding="utf-8")
    return folder


class Ran:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


def run(root: Path | None, *args: str) -> Ran:
    """`dunning ARGS --ledger ROOT`; a traceback (any exception but an exit) fails the test."""
    ledger = ["--ledger", str(root)] if root is not None else []
    result = CliRunner().invoke(app, [*args, *ledger])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return Ran(result.exit_code, result.stdout, result.stderr)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "core.quotePath=false", *args], check=True,
                          capture_output=True, text=True).stdout


def age(root: Path, as_of: str, *extra: str) -> dict[str, Any]:
    document: dict[str, Any] = run(root, "age", "--as-of", as_of, "-f", "json", *extra).json()
    return document


def rows(root: Path, as_of: str, *extra: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The debtor rows of `age`, by (debtor, currency)."""
    return {(r["id"], r["currency"]): r for r in age(root, as_of, *extra)["debtors"]}


def invoice_rows(root: Path, as_of: str) -> dict[str, dict[str, Any]]:
    return {r["invoice"]: r for r in age(root, as_of, "--by", "invoice")["invoices"]}


def deadlines(root: Path, as_of: str, *extra: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = run(root, "deadlines", "--as-of", as_of, "-f", "json", *extra).json()["deadlines"]
    return found


def limitation(root: Path, as_of: str, invoice: str) -> dict[str, Any]:
    [entry] = [d for d in deadlines(root, as_of, "--all") if d["kind"] == "limitation" and d["invoice"] == invoice
               and d["guarantor"] is None]
    return entry


def zeros(**amounts: str) -> dict[str, str]:
    return {"current": "0.00", "A": "0.00", "B": "0.00", "C": "0.00", **amounts}


def one_invoice(due: str = "2025-03-31", issued: str = "2025-03-01", amount: str = "100.00", events: str = "",
                invoice: str = "INV-1") -> str:
    head = f"name: 甲公司\ninvoices:\n  - {{id: {invoice}, issued: {issued}, due: {due}, amount: {amount}}}\n"
    return head + (f"events:\n{events}" if events else "events: []\n")


# =============================================================================================
# cli.md > (preamble): finding the ledger, --as-of, --format, -o, amounts and dates


def test_ledger_is_found_by_option_then_environment_then_upward(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # cli.md > preamble: "reads the ledger found by `--ledger PATH`, else `$DUNNING_LEDGER`, else the
    # nearest folder upward from the working directory that holds `dunning.yaml`".
    here = make(tmp_path / "here", {"here-co": one_invoice()})
    env = make(tmp_path / "env", {"env-co": one_invoice()})
    option = make(tmp_path / "option", {"option-co": one_invoice()})
    monkeypatch.chdir(here / "debtors")
    assert [r["id"] for r in age(None, "2025-06-01")["debtors"]] == ["here-co"]  # type: ignore[arg-type]
    monkeypatch.setenv("DUNNING_LEDGER", str(env))
    assert [r["id"] for r in age(None, "2025-06-01")["debtors"]] == ["env-co"]  # type: ignore[arg-type]
    assert [r["id"] for r in age(option, "2025-06-01")["debtors"]] == ["option-co"]


def test_no_ledger_found_is_bad_usage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # cli.md > Exit codes and errors: "2 bad usage or bad input".
    monkeypatch.chdir(tmp_path)
    ran = run(None, "age")
    assert ran.code == 2 and "dunning.yaml" in ran.err


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_as_of_defaults_to_today_in_the_ledger_time_zone(tmp_path: Path, zone: str) -> None:
    # cli.md > preamble: "`--as-of DATE` (default: today in the ledger's timezone)". The two zones are
    # 25 hours apart, so they never share a date: the default must come from the ledger's zone.
    root = make(tmp_path / "ar", {}, MINIMAL_SETTINGS + f"timezone: {zone}\n")
    before = datetime.now(ZoneInfo(zone)).date().isoformat()
    shown = run(root, "age", "-f", "json").json()["as_of"]
    after = datetime.now(ZoneInfo(zone)).date().isoformat()
    assert shown in (before, after)


def test_format_default_table_short_option_and_every_format(tmp_path: Path) -> None:
    # cli.md > preamble: "`--format table|csv|json|md` (`-f`; default `table`)".
    root = make(tmp_path / "ar", {"acme": one_invoice()})
    table = run(root, "age", "--as-of", "2025-06-01")
    assert table.code == 0 and table.out.splitlines()[0].split()[:2] == ["debtor", "name"]
    assert json.loads(run(root, "age", "--as-of", "2025-06-01", "--format", "json").out)["as_of"] == "2025-06-01"
    assert run(root, "age", "--as-of", "2025-06-01", "-f", "csv").out.splitlines()[0].startswith("id,name,")
    assert run(root, "age", "--as-of", "2025-06-01", "-f", "md").out.startswith("| debtor | name |")
    bad = run(root, "age", "--as-of", "2025-06-01", "-f", "xml")
    assert bad.code == 2 and "xml" in bad.err


@pytest.mark.parametrize("command", [["age", "--as-of", "2025-06-01"], ["deadlines", "--as-of", "2025-06-01", "--all"],
                                     ["agenda", "--date", "2025-06-01"], ["show", "acme", "--as-of", "2025-06-01"],
                                     ["report", "--as-of", "2025-06-01"], ["risk", "--as-of", "2025-06-01"]])
def test_output_file_infers_its_format_from_the_extension(tmp_path: Path, command: list[str]) -> None:
    # cli.md > preamble: "`-o FILE` infers it from the extension"; an explicit --format wins.
    root = make(tmp_path / "ar", {"acme": one_invoice()})
    for name in ("out.json", "out.csv", "out.md"):
        target = tmp_path / name
        assert run(root, *command, "-o", str(target)).code == 0
        text = target.read_text(encoding="utf-8")
        if name.endswith(".json"):
            assert isinstance(json.loads(text), dict)
        elif name.endswith(".md"):
            assert "|---" in text or text.startswith("#") or "| " in text
        else:
            assert "," in text.splitlines()[0] and not text.startswith("{")
    forced = tmp_path / "forced.csv"
    assert run(root, *command, "-o", str(forced), "-f", "json").code == 0
    assert isinstance(json.loads(forced.read_text(encoding="utf-8")), dict)


def test_amounts_in_json_and_csv_are_strings_with_two_decimals_and_dates_iso(tmp_path: Path) -> None:
    # cli.md > preamble: "Amounts in JSON and CSV are strings with two decimals ("70000.00"); dates are ISO."
    root = make(tmp_path / "ar", {"acme": one_invoice(amount="70000", events=(
        "  - {at: 2025-04-02, type: payment, amount: 0.5}\n"))})
    [row] = age(root, "2025-06-01")["debtors"]
    assert (row["open"], row["by_bucket"]["C"], row["unapplied"]) == ("69999.50", "69999.50", "0.00")
    invoice = invoice_rows(root, "2025-06-01")["INV-1"]
    assert (invoice["due"], invoice["amount"], invoice["open"]) == ("2025-03-31", "70000.00", "69999.50")
    header, line = run(root, "age", "--as-of", "2025-06-01", "-f", "csv").out.splitlines()
    values = dict(zip(header.split(","), line.split(","), strict=True))
    assert (values["open"], values["C"], values["current"]) == ("69999.50", "69999.50", "0.00")
    header, line = run(root, "age", "--as-of", "2025-06-01", "--by", "invoice", "-f", "csv").out.splitlines()
    values = dict(zip(header.split(","), line.split(","), strict=True))
    assert (values["due"], values["amount"], values["open"]) == ("2025-03-31", "70000.00", "69999.50")
    [entry] = deadlines(root, "2025-06-01", "--all")
    # the part payment of 2025-04-02 runs the period anew: 2028-04-02 is a Sunday, so Monday 2028-04-03
    assert (entry["date"], entry["amount"]) == ("2028-04-03", "69999.50")


# =============================================================================================
# cli.md > Exit codes and errors


def test_exit_0_on_success_and_1_when_the_ledger_has_errors(tmp_path: Path) -> None:
    # cli.md > Exit codes and errors: "0 success; 1 the ledger has errors (check)".
    good = make(tmp_path / "good", {"acme": one_invoice()})
    assert (run(good, "check").code, run(good, "check").out) == (0, "")
    bad = make(tmp_path / "bad", {"acme": one_invoice(amount="100.001")})
    assert run(bad, "check").code == 1
    assert run(bad, "age", "--as-of", "2025-06-01").code == 1


@pytest.mark.parametrize(("args", "words"), [
    (["show", "nobody", "--as-of", "2025-06-01"], "unknown debtor 'nobody'"),
    (["age", "--as-of", "2025-13-01"], "--as-of: not a date: '2025-13-01'"),
    (["deadlines", "--as-of", "31.03.2025"], "--as-of: not a date"),
    (["agenda", "--date", "2025-02-30"], "--date: not a date"),
    (["pay", "acme", "1.234", "--date", "2025-06-01", "--no-commit"], "more than 2 decimals: '1.234'"),
    (["pay", "nobody", "10", "--date", "2025-06-01", "--no-commit"], "unknown debtor 'nobody'"),
    (["plan", "acme", "--installment", "2025-07-01:10.001", "--date", "2025-06-01", "--no-commit"],
     "more than 2 decimals"),
    (["log", "acme", "--type", "telegram", "--no-commit"], "telegram"),
    (["event", "acme", "party", "--no-commit"], "party"),
])
def test_bad_usage_or_input_exits_2_with_a_message_and_writes_nothing(tmp_path: Path, args: list[str],
                                                                     words: str) -> None:
    # cli.md > Exit codes and errors: "2 bad usage or bad input (unknown debtor, malformed date, amount
    # with three decimals...)"; "No traceback ever reaches a user for bad input" (run() fails on one).
    root = make(tmp_path / "ar", {"acme": one_invoice()})
    before = (root / "debtors" / "acme.yaml").read_bytes()
    ran = run(root, *args)
    assert ran.code == 2, ran.err
    assert words in ran.err
    assert "Traceback" not in ran.err + ran.out
    assert (root / "debtors" / "acme.yaml").read_bytes() == before


def test_an_error_names_file_line_and_the_field_path(tmp_path: Path) -> None:
    # cli.md > Exit codes and errors: "An error names where it is: `debtors/acme.yaml:17:5:
    # invoices[2].due: not a date: '2025-13-01'`". The file below puts that due date on line 17.
    text = ("name: 甲公司\ncollector: zhang.san\ninvoices:\n"
            + "".join(f"  - id: INV-{n}\n    contract: HT-{n}\n    issued: 2025-01-01\n    due: {due}\n"
                      f"    amount: 100.00\n" for n, due in ((1, "2025-02-01"), (2, "2025-02-01"), (3, "2025-13-01")))
            + "events: []\n")
    assert text.splitlines()[16] == "    due: 2025-13-01"
    root = make(tmp_path / "ar", {"acme": text})
    ran = run(root, "check")
    assert ran.code == 1
    assert re.fullmatch(r"debtors/acme\.yaml:17:\d+: invoices\[2\]\.due: not a date: '2025-13-01'\n", ran.out), ran.out


def test_an_error_column_is_that_of_the_example(tmp_path: Path) -> None:
    # cli.md > Exit codes and errors: `debtors/acme.yaml:17:5: invoices[2].due: ...`: with the usual
    # two-space list indent, column 5 is where `due:` starts (its value starts at column 10).
    text = ("name: 甲公司\ncollector: zhang.san\ninvoices:\n"
            + "".join(f"  - id: INV-{n}\n    contract: HT-{n}\n    issued: 2025-01-01\n    due: {due}\n"
                      f"    amount: 100.00\n" for n, due in ((1, "2025-02-01"), (2, "2025-02-01"), (3, "2025-13-01")))
            + "events: []\n")
    root = make(tmp_path / "ar", {"acme": text})
    assert run(root, "check").out == "debtors/acme.yaml:17:5: invoices[2].due: not a date: '2025-13-01'\n"


def test_check_reports_every_error_and_json_gives_file_line_column_message(tmp_path: Path) -> None:
    # cli.md > Exit codes and errors: "`check` reports every error in the ledger, not the first, and
    # `--format json` gives `{"errors": [{"file", "line", "column", "message"}]}`".
    root = make(tmp_path / "ar", {
        "acme": "name: 甲公司\ninvoices:\n  - {id: INV-1, issued: 2025-01-01, due: 2025-02-30, amount: 1}\n",
        "beta": "name: 乙公司\ninvoices:\n  - {id: INV-2, issued: 2025-01-01, due: 2025-02-01, ammount: 1}\n",
    })
    ran = run(root, "check")
    assert ran.code == 1
    assert [line.split(":")[0] for line in ran.out.splitlines()] == ["debtors/acme.yaml", "debtors/beta.yaml",
                                                                     "debtors/beta.yaml"]
    document = json.loads(run(root, "check", "--format", "json").out)
    errors = document["errors"]
    assert len(errors) == 3
    for error in errors:
        assert {"file", "line", "column", "message"} <= set(error)
        assert isinstance(error["line"], int) and isinstance(error["column"], int)
    assert errors[0]["file"] == "debtors/acme.yaml" and errors[0]["line"] == 3
    assert errors[0]["message"] == "invoices[0].due: not a date: '2025-02-30'"
    assert {e["message"] for e in errors[1:]} == {"invoices[0].amount: required but missing",
                                                 "invoices[0].ammount: unknown key 'ammount' (did you mean 'amount'?)"}


def test_check_json_of_a_valid_ledger_has_no_errors(tmp_path: Path) -> None:
    # cli.md > Exit codes and errors (check's JSON shape) on a ledger without errors.
    root = make(tmp_path / "ar", {"acme": one_invoice()})
    ran = run(root, "check", "-f", "json")
    assert ran.code == 0 and json.loads(ran.out)["errors"] == []


def test_a_write_refuses_a_debtor_that_does_not_pass_check_and_writes_nothing(tmp_path: Path) -> None:
    # cli.md > Exit codes and errors: "refuses to write into a ledger that does not pass `check` for that
    # debtor"; "either writes all of it or nothing".
    root = make(tmp_path / "ar", {"acme": one_invoice(events="  - {at: 2025-04-01, type: payment, amount: 1}\n"
                                                             "  - {at: 2025-03-01, type: payment, amount: 1}\n")})
    before = (root / "debtors" / "acme.yaml").read_bytes()
    for args in (["pay", "acme", "10", "--date", "2025-06-01"], ["log", "acme", "-t", "call", "--at", "2025-06-01"],
                 ["plan", "acme", "-i", "2025-07-01:10", "--date", "2025-06-01"],
                 ["event", "acme", "note", "--at", "2025-06-01", "-m", "x"]):
        ran = run(root, *args, "--no-commit")
        assert ran.code == 1, (args, ran.err)
        assert "events[1].at" in ran.err
        assert (root / "debtors" / "acme.yaml").read_bytes() == before
    # "for that debtor": another debtor's broken file does not stop a write to a sound one
    (root / "debtors" / "beta.yaml").write_text(one_invoice(invoice="INV-2"), encoding="utf-8")
    assert run(root, "pay", "beta", "10", "--date", "2025-06-01", "--no-commit").code == 0


def test_a_write_validates_what_it_writes_first(tmp_path: Path) -> None:
    # cli.md > Exit codes and errors: "validates what it writes first": a payment naming an invoice the
    # debtor does not have is bad input, and nothing is written.
    root = make(tmp_path / "ar", {"acme": one_invoice()})
    before = (root / "debtors" / "acme.yaml").read_bytes()
    ran = run(root, "pay", "acme", "10", "--invoice", "INV-404", "--date", "2025-06-01", "--no-commit")
    assert ran.code == 2 and "INV-404" in ran.err
    assert (root / "debtors" / "acme.yaml").read_bytes() == before


# =============================================================================================
# cli.md > Commands


CONTRACT_COMMANDS = ["init", "new", "import", "check", "age", "show", "log", "pay", "plan", "event", "deadlines",
                     "letter", "agenda", "history", "report", "risk", "export"]


@pytest.mark.parametrize("command", CONTRACT_COMMANDS)
def test_every_command_of_the_table_exists(command: str) -> None:
    # cli.md > Commands: the table of commands.
    assert run(None, command, "--help").code == 0


def test_init_makes_a_ledger_with_git_hooks_and_merge_settings(tmp_path: Path) -> None:
    # cli.md > Commands: "`dunning init [DIR]` | a new ledger: `dunning.yaml`, `debtors/`, git repository if
    # none, the git hooks and merge settings".
    root = tmp_path / "ar"
    ran = run(None, "init", str(root), "--creditor", "辽宁示例贸易有限公司", "--collector", "zhang.san=张三")
    assert ran.code == 0, ran.err
    assert (root / "dunning.yaml").is_file() and (root / "debtors").is_dir()
    assert git(root, "rev-parse", "--show-toplevel").strip() == str(root.resolve())
    assert (root / ".git" / "hooks" / "pre-commit").is_file()
    assert "merge-driver" in git(root, "config", "merge.dunning.driver")
    assert "merge=dunning" in (root / ".gitattributes").read_text(encoding="utf-8")
    assert run(root, "check").code == 0


def test_every_write_makes_one_commit_saying_what_happened(tmp_path: Path) -> None:
    # cli.md > Commands: "Every command that writes makes one git commit (unless `--no-commit`) whose message
    # says what happened, e.g. `log(shenyang-heavy): call with 王建国, promise 2025-04-30 ¥50,000.00`".
    root = tmp_path / "ar"
    assert run(None, "init", str(root), "--creditor", "辽宁示例贸易有限公司", "--collector", "zhang.san=张三").code == 0
    ran = run(root, "new", "shenyang-heavy", "--name", "沈阳重工机械有限公司", "--collector", "zhang.san",
              "--terms-days", "30")
    assert ran.code == 0, ran.err
    assert git(root, "log", "-1", "--format=%s").strip() == "new(shenyang-heavy): 沈阳重工机械有限公司"

    def commits() -> int:
        return int(git(root, "rev-list", "--count", "HEAD"))

    start = commits()
    ran = run(root, "log", "shenyang-heavy", "--type", "call", "--with", "王建国", "--outcome", "promise",
              "--promise-date", "2025-04-30", "--promise-amount", "50000", "--at", "2025-04-10T09:35:00+08:00")
    assert ran.code == 0, ran.err
    assert commits() == start + 1
    assert git(root, "log", "-1", "--format=%s").strip() == \
        "log(shenyang-heavy): call with 王建国, promise 2025-04-30 ¥50,000.00"
    for number, args in enumerate([["pay", "shenyang-heavy", "20000", "--date", "2025-05-02"],
                                   ["plan", "shenyang-heavy", "-i", "2025-06-30:1000", "--date", "2025-05-03"],
                                   ["event", "shenyang-heavy", "note", "--at", "2025-05-04", "-m", "备注"]], start=2):
        ran = run(root, *args)
        assert ran.code == 0, ran.err
        assert commits() == start + number
        assert git(root, "log", "-1", "--format=%s").startswith(f"{args[0]}(shenyang-heavy): ")
        assert git(root, "status", "--porcelain", "debtors/shenyang-heavy.yaml") == ""
    ran = run(root, "pay", "shenyang-heavy", "10", "--date", "2025-05-05", "--no-commit")
    assert ran.code == 0 and commits() == start + 4
    assert git(root, "status", "--porcelain", "debtors/shenyang-heavy.yaml").strip() == "M debtors/shenyang-heavy.yaml"
    assert run(root, "check").code == 0


def test_init_commits_what_it_writes(tmp_path: Path) -> None:
    # cli.md > Commands: "Every command that writes makes one git commit (unless `--no-commit`)".
    root = tmp_path / "ar"
    assert run(None, "init", str(root), "--creditor", "辽宁示例贸易有限公司").code == 0
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(root, "status", "--porcelain") == ""


def test_new_writes_a_debtor_file(tmp_path: Path) -> None:
    # cli.md > Commands: "`dunning new ID --name ...` | a new debtor file".
    root = make(tmp_path / "ar", {})
    ran = run(root, "new", "dalian-port", "--name", "大连港", "--no-commit")
    assert ran.code == 0, ran.err
    assert (root / "debtors" / "dalian-port.yaml").is_file()
    assert run(root, "check").code == 0
    assert run(root, "new", "dalian-port", "--name", "大连港", "--no-commit").code == 2


def test_import_is_idempotent_by_invoice_id_and_has_a_dry_run(tmp_path: Path) -> None:
    # cli.md > Commands: "`dunning import FILE` | invoices (and optionally payments) from a CSV or XLSX export
    # ..., with a column mapping; idempotent by invoice id; `--dry-run`".
    root = make(tmp_path / "ar", {})
    export = tmp_path / "export.csv"
    export.write_text("客户名称,客户编码,发票号,开票日期,到期日,金额\n乙公司,yi,INV-9,2025-06-01,2025-07-01,\"1,234.50\"\n",
                      encoding="utf-8")
    assert run(root, "import", str(export), "--dry-run", "--no-commit").code == 0
    assert not (root / "debtors" / "yi.yaml").exists()
    assert run(root, "import", str(export), "--no-commit").code == 0
    written = (root / "debtors" / "yi.yaml").read_bytes()
    again = run(root, "import", str(export), "--no-commit", "-f", "json")
    assert again.code == 0 and json.loads(again.out)["created"] == []
    assert (root / "debtors" / "yi.yaml").read_bytes() == written
    assert invoice_rows(root, "2025-07-31")["INV-9"]["open"] == "1234.50"
    mapped = tmp_path / "mapped.csv"
    mapped.write_text("往来户,客户编码,发票号,开票日期,到期日,金额\n丙公司,bing,INV-10,2025-06-01,2025-07-01,10\n",
                      encoding="utf-8")
    assert run(root, "import", str(mapped), "--map", "往来户=debtor", "--no-commit").code == 0
    assert (root / "debtors" / "bing.yaml").is_file()


def test_check_history_proves_no_event_was_changed(tmp_path: Path) -> None:
    # cli.md > Commands: "`dunning check [--history]` | ... `--history` also proves from git history that no
    # event was ever changed or removed".
    root = tmp_path / "ar"
    assert run(None, "init", str(root), "--creditor", "辽宁示例贸易有限公司").code == 0
    (root / "debtors" / "acme.yaml").write_text(one_invoice(), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    assert run(root, "event", "acme", "dispute", "--reason", "质量问题", "--at", "2025-04-01").code == 0
    assert run(root, "check", "--history").code == 0
    path = root / "debtors" / "acme.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("质量问题", "价格"), encoding="utf-8")
    git(root, "commit", "-q", "--no-verify", "-am", "rewrite")
    assert run(root, "check").code == 0
    ran = run(root, "check", "--history")
    assert ran.code == 1 and "changed" in ran.out
    assert run(root, "history", "acme").code == 0


def test_show_has_contacts_open_invoices_promises_plan_deadlines_and_events(tmp_path: Path) -> None:
    # cli.md > Commands: "`dunning show ID` | one debtor on one screen: contacts, open invoices, promises,
    # plan, deadlines, recent events".
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
contacts: [{name: 王建国, mobile: "13900000000"}]
invoices:
  - {id: INV-1, issued: 2025-03-01, due: 2025-03-31, amount: 100}
events:
  - {at: 2025-04-10T09:35:00+08:00, type: call, with: 王建国, outcome: promise, promise: {date: 2025-04-30, amount: 50}}
  - {at: 2025-04-11, type: plan, signed: true, installments: [{due: 2025-05-31, amount: 100}]}
"""})
    document = run(root, "show", "acme", "--as-of", "2025-05-01", "-f", "json").json()
    assert document["contacts"][0]["name"] == "王建国"
    assert [i["invoice"] for i in document["open_invoices"]] == ["INV-1"]
    assert document["promises"][0]["status"] == "broken"
    assert document["plan"] is not None
    assert any(d["kind"] == "limitation" for d in document["deadlines"])
    assert len(document["events"]) == 2


def test_letter_report_risk_and_export_run(tmp_path: Path) -> None:
    # cli.md > Commands: letter, report, risk and export exist and work on a small ledger.
    root = make(tmp_path / "ar", {"acme": "name: 甲公司\ncontacts: [{name: 王建国, address: 沈阳市}]\n"
                                          + one_invoice()[len("name: 甲公司\n"):]})
    letter = run(root, "letter", "acme", "-t", "demand", "--as-of", "2025-06-01", "-f", "md", "-o", "-")
    assert letter.code == 0 and "INV-1" in letter.out
    assert run(root, "report", "--as-of", "2025-06-01", "-f", "json").code == 0
    assert run(root, "risk", "--as-of", "2025-06-01", "-f", "json").code == 0
    bundle = tmp_path / "bundle"
    exported = run(root, "export", "acme", "--as-of", "2025-06-01", "-o", str(bundle), "--no-history")
    assert exported.code == 0, exported.err
    assert any(bundle.rglob("*.md"))


# =============================================================================================
# cli.md > `dunning age --format json`


EXAMPLE_DEBTOR = """\
name: 沈阳重工机械有限公司
collector: zhang.san
invoices:
  - {id: INV-2025-090, issued: 2025-11-17, due: 2025-12-17, amount: 70000.00}
"""


def test_age_json_is_the_example_of_cli_md(tmp_path: Path) -> None:
    # cli.md > `dunning age --format json`: the example document, field by field (fields may be added).
    root = make(tmp_path / "ar", {"shenyang-heavy": EXAMPLE_DEBTOR})
    document = age(root, "2026-01-31")
    assert document["as_of"] == "2026-01-31"
    assert document["buckets"] == ["current", "A", "B", "C"]
    [row] = document["debtors"]
    expected = {"id": "shenyang-heavy", "name": "沈阳重工机械有限公司", "collector": "zhang.san", "currency": "CNY",
                "bucket": "B", "days_overdue": 45, "open": "70000.00", "by_bucket": zeros(B="70000.00"),
                "unapplied": "0.00"}
    assert {k: row[k] for k in expected} == expected
    assert list(row["by_bucket"]) == ["current", "A", "B", "C"]
    total = document["totals"]["CNY"]
    assert {k: total[k] for k in ("current", "A", "B", "C", "open")} == {**zeros(B="70000.00"), "open": "70000.00"}
    assert list(document["totals"]) == ["CNY"]


@pytest.mark.parametrize(("due", "days", "bucket"), [
    ("2025-07-02", -1, "current"), ("2025-07-01", 0, "current"), ("2025-06-30", 1, "A"), ("2025-06-01", 30, "A"),
    ("2025-05-31", 31, "B"), ("2025-05-02", 60, "B"), ("2025-05-01", 61, "C"), ("2020-01-01", 2008, "C")])
def test_days_overdue_and_bucket_bounds(tmp_path: Path, due: str, days: int, bucket: str) -> None:
    # cli.md > age: "`days_overdue` is as-of minus due date. `current` holds what is not yet overdue
    # (days_overdue <= 0); a bucket `{A: 30, B: 60, C: null}` holds 1-30, 31-60 and 61 and more".
    root = make(tmp_path / "ar", {"acme": one_invoice(due=due, issued="2020-01-01")})
    [row] = age(root, "2025-07-01")["debtors"]
    assert (row["days_overdue"], row["bucket"], row["by_bucket"][bucket]) == (days, bucket, "100.00")
    invoice = invoice_rows(root, "2025-07-01")["INV-1"]
    assert (invoice["days_overdue"], invoice["bucket"]) == (days, bucket)


def test_buckets_come_from_the_settings_in_their_order(tmp_path: Path) -> None:
    # ledger-format.md > dunning.yaml: "buckets: ... upper bound in days overdue, null = open-ended; order
    # matters"; cli.md > age: `buckets`, `by_bucket` and `totals` carry those names.
    settings = SETTINGS + "buckets: {late: 10, later: 45, lost: null}\n"
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
invoices:
  - {id: I-1, issued: 2025-01-01, due: 2025-06-25, amount: 1}
  - {id: I-2, issued: 2025-01-01, due: 2025-06-20, amount: 2}
  - {id: I-3, issued: 2025-01-01, due: 2025-05-17, amount: 4}
  - {id: I-4, issued: 2025-01-01, due: 2025-05-16, amount: 8}
  - {id: I-5, issued: 2025-01-01, due: 2025-07-02, amount: 16}
"""}, settings)
    document = age(root, "2025-07-01")
    assert document["buckets"] == ["current", "late", "later", "lost"]
    [row] = document["debtors"]
    assert row["by_bucket"] == {"current": "16.00", "late": "1.00", "later": "6.00", "lost": "8.00"}
    assert list(row["by_bucket"]) == document["buckets"]
    assert (row["bucket"], row["days_overdue"]) == ("lost", 46)
    assert document["totals"]["CNY"] == {"current": "16.00", "late": "1.00", "later": "6.00", "lost": "8.00",
                                         "open": "31.00", **{k: v for k, v in document["totals"]["CNY"].items()
                                                              if k in ("unapplied", "disputed")}}


def test_a_debtor_bucket_is_that_of_its_oldest_overdue_open_invoice(tmp_path: Path) -> None:
    # cli.md > age: "A debtor's `bucket` is that of its oldest overdue open invoice (`current` where none is
    # overdue)". The oldest invoice (C) is paid, so the debtor is in A.
    root = make(tmp_path / "ar", {
        "acme": """\
name: 甲公司
invoices:
  - {id: I-OLD, issued: 2025-01-01, due: 2025-03-01, amount: 100}
  - {id: I-MID, issued: 2025-01-01, due: 2025-06-21, amount: 200}
  - {id: I-NEW, issued: 2025-01-01, due: 2025-07-20, amount: 300}
events:
  - {at: 2025-06-01, type: payment, amount: 100, invoice: I-OLD}
""",
        "beta": "name: 乙公司\ninvoices:\n  - {id: B-1, issued: 2025-06-01, due: 2025-07-11, amount: 50}\n"})
    found = rows(root, "2025-07-01")
    assert (found["acme", "CNY"]["bucket"], found["acme", "CNY"]["days_overdue"]) == ("A", 10)
    assert found["acme", "CNY"]["by_bucket"] == zeros(current="300.00", A="200.00")
    assert (found["beta", "CNY"]["bucket"], found["beta", "CNY"]["days_overdue"]) == ("current", -10)


def test_a_debtor_with_several_currencies_has_one_row_per_currency(tmp_path: Path) -> None:
    # cli.md > age: "A debtor with several currencies has one row per currency"; totals are per currency.
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
invoices:
  - {id: I-1, issued: 2025-01-01, due: 2025-06-01, amount: 100}
  - {id: I-2, issued: 2025-01-01, due: 2025-06-20, amount: 250.50, currency: EUR}
  - {id: I-3, issued: 2025-01-01, due: 2025-03-01, amount: 7, currency: EUR}
"""})
    document = age(root, "2025-07-01")
    found = {(r["id"], r["currency"]): r for r in document["debtors"]}
    assert set(found) == {("acme", "CNY"), ("acme", "EUR")}
    assert (found["acme", "CNY"]["open"], found["acme", "CNY"]["bucket"]) == ("100.00", "A")
    assert (found["acme", "EUR"]["open"], found["acme", "EUR"]["bucket"]) == ("257.50", "C")
    assert found["acme", "EUR"]["by_bucket"] == zeros(A="250.50", C="7.00")
    assert document["totals"]["EUR"]["open"] == "257.50" and document["totals"]["CNY"]["open"] == "100.00"


def test_debtors_with_nothing_open_are_left_out_unless_all(tmp_path: Path) -> None:
    # cli.md > age: "Debtors with nothing open are left out unless `--all`".
    root = make(tmp_path / "ar", {
        "paid": one_invoice(invoice="INV-2", events="  - {at: 2025-04-01, type: payment, amount: 100}\n"),
        "owing": one_invoice(),
        "empty": "name: 空公司\n"})
    assert [r["id"] for r in age(root, "2025-06-01")["debtors"]] == ["owing"]
    everyone = {r["id"]: r for r in age(root, "2025-06-01", "--all")["debtors"]}
    assert set(everyone) == {"paid", "owing", "empty"}
    assert (everyone["paid"]["open"], everyone["paid"]["bucket"]) == ("0.00", "current")
    assert everyone["paid"]["by_bucket"] == zeros()


def test_by_invoice_gives_one_row_per_open_invoice(tmp_path: Path) -> None:
    # cli.md > age: "`--by invoice` gives one row per open invoice: `debtor, invoice, currency, due,
    # days_overdue, bucket, amount, open`".
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
invoices:
  - {id: I-1, issued: 2025-01-01, due: 2025-06-01, amount: 100}
  - {id: I-2, issued: 2025-01-01, due: 2025-06-20, amount: 200, currency: USD}
  - {id: I-3, issued: 2025-01-01, due: 2025-06-21, amount: 300}
events:
  - {at: 2025-06-02, type: payment, amount: 40, invoice: I-1}
  - {at: 2025-06-03, type: payment, amount: 300, invoice: I-3}
"""})
    found = invoice_rows(root, "2025-07-01")
    assert set(found) == {"I-1", "I-2"}
    assert {k: found["I-1"][k] for k in ("debtor", "invoice", "currency", "due", "days_overdue", "bucket", "amount",
                                         "open")} == {
        "debtor": "acme", "invoice": "I-1", "currency": "CNY", "due": "2025-06-01", "days_overdue": 30,
        "bucket": "A", "amount": "100.00", "open": "60.00"}
    assert (found["I-2"]["currency"], found["I-2"]["open"], found["I-2"]["days_overdue"]) == ("USD", "200.00", 11)


# =============================================================================================
# cli.md > `dunning deadlines --format json`


def test_deadlines_json_is_the_example_of_cli_md(tmp_path: Path) -> None:
    # cli.md > `dunning deadlines --format json`: INV-2025-012 due 2025-03-31, a letter delivered
    # 2025-05-12: "date": "2028-05-12", "days_left": 832 as of 2026-01-31, the rule and the basis.
    root = make(tmp_path / "ar", {"shenyang-heavy": """\
name: 沈阳重工机械有限公司
invoices:
  - {id: INV-2025-012, issued: 2025-03-01, due: 2025-03-31, amount: 70000.00}
events:
  - {at: 2025-05-08, type: letter, delivered: 2025-05-12}
"""})
    document = run(root, "deadlines", "--as-of", "2026-01-31", "-f", "json", "--all").json()
    assert (document["as_of"], document["within_days"]) == ("2026-01-31", 90)
    [entry] = document["deadlines"]
    assert {k: entry[k] for k in ("debtor", "kind", "invoice", "date", "days_left", "status", "rule")} == {
        "debtor": "shenyang-heavy", "kind": "limitation", "invoice": "INV-2025-012", "date": "2028-05-12",
        "days_left": 832, "status": "open", "rule": "CN Civil Code Art. 188, 195, 203"}
    # The example shows `provisional: false`; limitation.md > PRC > Holiday roll says a date in a year
    # whose official calendar is not announced is provisional, and 2028's is not: we follow limitation.md.
    assert entry["provisional"] is True
    assert isinstance(entry["basis"], list)
    assert entry["basis"][0].startswith("due 2025-03-31") and "2025-04-01" in entry["basis"][0]
    assert any(line.startswith("letter delivered 2025-05-12") and "runs anew" in line for line in entry["basis"])


ALL_KINDS = """\
name: 甲公司
guarantees:
  - {guarantor: 甲担保, kind: joint, invoices: [K-1]}
  - {guarantor: 乙担保, kind: joint, invoices: [K-2]}
invoices:
  - {id: K-1, issued: 2025-01-01, due: 2025-01-31, amount: 100}
  - {id: K-2, issued: 2025-01-01, due: 2025-02-28, amount: 100}
  - {id: K-3, issued: 2020-01-01, due: 2020-03-31, amount: 100}
  - {id: K-4, issued: 2020-01-01, due: 2020-04-30, amount: 100}
events:
  - {at: 2025-03-01T10:00:00+08:00, type: call, outcome: promise, promise: {date: 2025-03-15, amount: 10}}
  - {at: 2025-03-10, type: payment, amount: 10, invoice: K-1}
  - {at: 2025-03-20T10:00:00+08:00, type: call, outcome: promise, promise: {date: 2025-03-31, amount: 10}}
  - {at: 2025-04-01, type: plan, signed: true, invoices: [K-1], installments: [{due: 2025-04-30, amount: 10}]}
  - {at: 2025-05-01, type: guarantor_demand, guarantor: 乙担保, delivered: 2025-05-06}
  - {at: 2025-06-01, type: payment, amount: 5, invoice: K-4}
  - {at: 2025-09-01, type: status, status: bankrupt, claims_deadline: 2025-12-01}
"""


def test_deadline_kinds_and_statuses_are_the_contract_words(tmp_path: Path) -> None:
    # cli.md > deadlines: "`kind` is one of `limitation`, `guarantee`, `claims`, `promise`, `installment`.
    # `status` is `open`, `expired`, `waived`, `met` (a guarantee demanded in time, a claim filed, a promise
    # kept) or `released` (a guarantor released)."
    root = make(tmp_path / "ar", {"acme": ALL_KINDS})
    found = deadlines(root, "2025-10-01", "--all")
    keyed = {(d["kind"], d["invoice"], d["guarantor"], d["date"]): d["status"] for d in found}
    assert keyed[("promise", None, None, "2025-03-15")] == "met"
    assert keyed[("promise", None, None, "2025-03-31")] == "expired"
    assert keyed[("installment", "K-1", None, "2025-04-30")] == "expired"
    assert keyed[("guarantee", "K-1", "甲担保", "2025-07-31")] == "released"
    assert keyed[("guarantee", "K-2", "乙担保", "2025-08-28")] == "met"
    assert keyed[("claims", None, None, "2025-12-01")] == "open"
    # K-3 expired on 2023-03-31 (a Friday); K-4 expired on 2023-04-30 (a Sunday, rolled past the 1-3 May
    # holiday to Thursday 2023-05-04) and was paid on 2025-06-01: waived, a new 3 years from the payment.
    assert keyed[("limitation", "K-3", None, "2023-03-31")] == "expired"
    assert keyed[("limitation", "K-4", None, "2028-06-01")] == "waived"
    assert {d["kind"] for d in found} == {"limitation", "guarantee", "claims", "promise", "installment"}
    assert {d["status"] for d in found} <= {"open", "expired", "waived", "met", "released"}
    for entry in found:
        assert {"debtor", "kind", "invoice", "date", "days_left", "status", "provisional", "rule",
                "basis"} <= set(entry)
        assert entry["rule"] and entry["basis"]


def test_default_list_is_within_days_plus_expired_on_open_invoices_and_all_lists_everything(tmp_path: Path) -> None:
    # cli.md > deadlines: "The default list holds what falls within `--within` days (default `warn_days`) plus
    # every expired one on an invoice still open; `--all` lists every deadline. Limitation entries are per
    # open invoice."
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
invoices:
  - {id: SOON, issued: 2022-01-01, due: 2022-06-30, amount: 100}
  - {id: LATER, issued: 2022-01-01, due: 2022-09-30, amount: 100}
  - {id: GONE, issued: 2021-01-01, due: 2021-06-30, amount: 100}
  - {id: PAID, issued: 2022-01-01, due: 2022-06-01, amount: 100}
events:
  - {at: 2022-07-01, type: payment, amount: 100, invoice: PAID}
"""})
    # As of 2025-05-01: SOON ends 2025-06-30 (60 days), LATER 2025-09-30 (152 days), GONE ended 2024-07-01
    # (2024-06-30 a Sunday); PAID is paid, so it has no limitation entry.
    default = {d["invoice"]: d for d in deadlines(root, "2025-05-01")}
    assert set(default) == {"SOON", "GONE"}
    assert (default["SOON"]["date"], default["SOON"]["days_left"]) == ("2025-06-30", 60)
    assert (default["GONE"]["date"], default["GONE"]["status"]) == ("2024-07-01", "expired")
    assert {d["invoice"] for d in deadlines(root, "2025-05-01", "--all")} == {"SOON", "LATER", "GONE"}
    assert {d["invoice"] for d in deadlines(root, "2025-05-01", "--within", "152")} == {"SOON", "LATER", "GONE"}
    assert {d["invoice"] for d in deadlines(root, "2025-05-01", "--within", "59")} == {"GONE"}
    settings = SETTINGS + "warn_days: 200\n"
    (root / "dunning.yaml").write_text(settings, encoding="utf-8")
    document = run(root, "deadlines", "--as-of", "2025-05-01", "-f", "json").json()
    assert document["within_days"] == 200
    assert {d["invoice"] for d in document["deadlines"]} == {"SOON", "LATER", "GONE"}


def test_default_list_leaves_out_what_is_already_met(tmp_path: Path) -> None:
    # cli.md > deadlines: "what falls within `--within` days": we read it as what is still to be done in them
    # (open or waived); a promise already kept on a date within the window is listed by `--all` only
    # (ambiguity reported).
    root = make(tmp_path / "ar", {"acme": one_invoice(events=(
        "  - {at: 2025-05-01T10:00:00+08:00, type: call, outcome: promise, promise: {date: 2025-05-20, amount: 10}}\n"
        "  - {at: 2025-05-05, type: payment, amount: 10}\n"))})
    assert [d["kind"] for d in deadlines(root, "2025-05-10", "--kind", "promise")] == []
    [kept] = deadlines(root, "2025-05-10", "--kind", "promise", "--all")
    assert (kept["date"], kept["days_left"], kept["status"]) == ("2025-05-20", 10, "met")


def test_strict_exits_1_when_a_deadline_is_already_missed(tmp_path: Path) -> None:
    # cli.md > Exit codes and errors: "1 ... a deadline is already missed (`deadlines --strict`)".
    root = make(tmp_path / "ar", {"acme": one_invoice(due="2021-06-30", issued="2021-06-01")})
    assert run(root, "deadlines", "--as-of", "2024-06-28", "--strict").code == 0
    missed = run(root, "deadlines", "--as-of", "2024-07-02", "--strict")
    assert missed.code == 1 and "INV-1" in missed.err


# =============================================================================================
# cli.md > `dunning agenda --format json`


AGENDA = {
    "lim": """\
collector: zhang.san
contacts: [{name: 甲, mobile: "13900000001"}]
invoices:
  - {id: LIM-1, issued: 2022-11-01, due: 2022-12-20, amount: 100}
events:
  - {at: 2025-11-25T10:00:00+08:00, type: call, with: 甲, outcome: reached}
""",
    "pb": """\
collector: zhang.san
contacts: [{name: 乙, mobile: "13900000002"}]
invoices:
  - {id: PB-1, issued: 2025-10-01, due: 2025-10-31, amount: 50000}
events:
  - {at: 2025-11-10T10:00:00+08:00, type: call, with: 乙, outcome: promise, promise: {date: 2025-11-25, amount: 50000}}
""",
    "fu": """\
collector: li.si
contacts: [{name: 丙, mobile: "13900000003"}]
invoices:
  - {id: FU-1, issued: 2025-10-01, due: 2025-11-15, amount: 100}
events:
  - {at: 2025-11-20T10:00:00+08:00, type: call, with: 丙, outcome: reached, next_date: 2025-12-01}
""",
    "nc": """\
collector: li.si
contacts: [{name: 丁, mobile: "13900000004"}]
invoices:
  - {id: NC-1, issued: 2025-06-01, due: 2025-07-01, amount: 100}
""",
}


def test_agenda_json_shape_priority_order_and_one_item_per_debtor(tmp_path: Path) -> None:
    # cli.md > `dunning agenda --format json`: `date`, `collector`, `items[rank, debtor, action, at, kind,
    # reason, contact{name, mobile}]`; "Items are in priority order; a debtor appears once". The limitation
    # of LIM-1 ends 2025-12-22 (within warn_days), PB's promise of 2025-11-25 is broken, FU has a follow-up
    # today, NC was never reached.
    root = make(tmp_path / "ar", {k: f"name: {k} 公司\n{v}" for k, v in AGENDA.items()})
    document = run(root, "agenda", "--date", "2025-12-01", "-f", "json").json()
    assert (document["date"], document["collector"]) == ("2025-12-01", None)
    items = document["items"]
    assert [(i["rank"], i["debtor"], i["kind"], i["action"]) for i in items] == [
        (1, "lim", "limitation", "letter"), (2, "pb", "promise_broken", "call"), (3, "fu", "follow_up", "call"),
        (4, "nc", "no_contact", "call")]
    for item in items:
        assert {"rank", "debtor", "action", "at", "kind", "reason", "contact"} <= set(item)
        assert item["action"] in ("call", "letter", "visit", "file_claim", "demand_guarantor", "legal", "review")
        assert re.fullmatch(r"\d\d:\d\d", item["at"])
    assert items[1]["contact"]["name"] == "乙" and items[1]["contact"]["mobile"] == "13900000002"
    assert items[1]["reason"].startswith("承诺 2025-11-25 付款 ¥50,000.00 未兑现")
    assert items[1]["at"] == "09:00"  # the first slot of the default call window 09:00-11:00
    mine = run(root, "agenda", "--as-of", "2025-12-01", "--collector", "li.si", "-f", "json").json()
    assert (mine["collector"], [i["debtor"] for i in mine["items"]]) == ("li.si", ["fu", "nc"])
    assert [i["rank"] for i in mine["items"]] == [1, 2]


# =============================================================================================
# ledger-format.md > dunning.yaml and debtors/<id>.yaml: every documented key and event is accepted


DOCUMENTED_SETTINGS = """\
format: 1
creditor:                         # printed on every letter
  name: 辽宁示例贸易有限公司
  name_en: Liaoning Example Trading Co., Ltd.     # optional
  department: 财务部
  address: 沈阳市和平区示例路1号
  phone: 024-88880000
  email: ar@example.cn
  bank: {name: 中国工商银行沈阳和平支行, account: "6222 0000 0000 0000"}
currency: CNY                     # default for invoices without one
jurisdiction: CN                  # default rule set for limitation periods: CN, DE, EW, FR, US-NY, US-CA, ...
language: zh                      # default letter language: zh or en
timezone: Asia/Shanghai           # "today" and times without an offset are read in this zone
buckets: {A: 30, B: 60, C: null}  # aging: upper bound in days overdue, null = open-ended; order matters
call_window: "09:00-11:00"        # best hours to call (agenda)
contact_hours: "08:00-21:00"      # contacts outside these hours are flagged by `dunning check`
warn_days: 90                     # how far ahead deadlines are flagged
collectors: {zhang.san: 张三, li.si: 李四}
"""

# The debtor example of ledger-format.md, verbatim but for the credit code: the example's
# 91210100MA0Y8A2B3C fails the GB 32100-2015 check the same document requires (its check character
# is 1), so the valid code with the same first 17 characters is used.
DOCUMENTED_DEBTOR = """\
name: 沈阳重工机械有限公司
credit_code: 91210100MA0Y8A2B31   # optional; 18-character unified social credit code, checksum verified
industry: 机械制造
region: 辽宁/沈阳
collector: zhang.san              # a key of `collectors`
jurisdiction: CN                  # optional override
terms_days: 30                    # used where an invoice has no due date: due = issued + terms_days
credit_limit: 500000
contacts:
  - name: 王建国
    role: 财务总监
    decision_maker: true
    phone: 024-23456789
    mobile: "13900000000"
    wechat: wjg1980
    email: wang@example.cn
    address: 沈阳市铁西区示例街8号
guarantees:
  - guarantor: 沈阳示例投资有限公司
    kind: joint                   # joint (连带责任保证) or general (一般保证)
    period_months: 6              # omitted: 6, the Civil Code Art. 692 default
    invoices: [INV-2025-012]      # omitted: all invoices
invoices:
  - id: INV-2025-012              # unique within the ledger
    contract: HT-2025-007
    issued: 2025-03-01
    due: 2025-03-31
    amount: 120000.00
    currency: CNY                 # optional
    performed: 2025-02-28         # optional: delivery/performance date (accrual in EW and FR)
events:
  - at: 2025-04-10T09:35:00+08:00
    type: call
    by: zhang.san
    with: 王建国
    outcome: promise
    summary: 对方称资金紧张，承诺4月30日前先付5万。
    promise: {date: 2025-04-30, amount: 50000}
  - at: 2025-05-02
    type: payment
    amount: 50000
    ref: 工行回单 20250502-001
"""

# Every event type of the table, every field it lists, every outcome, `via`, legal action and status.
EVERY_EVENT = """\
  - {at: 2025-05-10T10:00:00+08:00, type: visit, by: zhang.san, with: 王建国, outcome: reached, summary: 上门,
     recorded: true, evidence: [evidence/shenyang-heavy/receipt.txt], invoices: [INV-2025-012]}
  - {at: 2025-05-11T10:00:00+08:00, type: wechat, with: 王建国, outcome: no_answer}
  - {at: 2025-05-12T10:00:00+08:00, type: sms, with: 王建国, outcome: left_message, demand: true, delivered: 2025-05-12}
  - {at: 2025-05-13T10:00:00+08:00, type: email, with: 王建国, outcome: refused, delivered: 2025-05-13, via: email}
  - {at: 2025-05-14, type: letter, by: zhang.san, outcome: wrong_contact, demand: true, delivered: 2025-05-16,
     via: registered_mail, tracking: EMS1234567890, template: demand}
  - {at: 2025-05-17T10:00:00+08:00, type: call, with: 王建国, outcome: dispute, recorded: false}
  - {at: 2025-05-18, type: letter, via: courier}
  - {at: 2025-05-19, type: letter, via: hand}
  - {at: 2025-05-20, type: payment, amount: 1000.50, currency: CNY, invoice: INV-2025-012, ref: R-2}
  - {at: 2025-05-21, type: credit, amount: 500, invoice: INV-2025-012, reason: 折让}
  - {at: 2025-05-22, type: plan, signed: true, installments: [{due: 2025-06-30, amount: 30000},
     {due: 2025-07-31, amount: 38499.50}]}
  - {at: 2025-05-23, type: acknowledgment, amount: 68499.50, signed: true}
  - {at: 2025-05-24, type: dispute, reason: 质量问题, invoices: [INV-2025-012]}
  - {at: 2025-05-25, type: resolve, reason: 已解决}
  - {at: 2025-05-26, type: legal, action: filed, court: 沈阳市铁西区人民法院, case_no: (2025)辽0106民初1234号}
  - {at: 2025-06-26, type: legal, action: judgment}
  - {at: 2025-07-26, type: legal, action: concluded}
  - {at: 2025-07-27, type: guarantor_demand, guarantor: 沈阳示例投资有限公司, delivered: 2025-07-29}
  - {at: 2025-08-01, type: status, status: hold}
  - {at: 2025-08-02, type: status, status: active}
  - {at: 2025-08-03, type: note, by: zhang.san, summary: 备注}
  - {at: 2025-08-04, type: status, status: bankrupt, claims_deadline: 2025-11-30, administrator: 某律师事务所}
  - {at: 2025-08-05, type: status, status: deregistered}
  - {at: 2025-08-06, type: status, status: closed}
  - {at: 2025-08-07, type: status, status: written_off}
"""


@pytest.fixture
def documented(tmp_path: Path) -> Path:
    root = make(tmp_path / "ar", {"shenyang-heavy": DOCUMENTED_DEBTOR + EVERY_EVENT}, DOCUMENTED_SETTINGS)
    (root / "evidence" / "shenyang-heavy").mkdir(parents=True)
    (root / "evidence" / "shenyang-heavy" / "receipt.txt").write_text("回单\n", encoding="utf-8")
    return root


def test_the_documented_files_with_every_event_type_and_field_pass_check(documented: Path) -> None:
    # ledger-format.md > dunning.yaml, debtors/<id>.yaml, Event types: everything documented is accepted;
    # style.md: "`check` prints nothing and exits 0 when all is well".
    ran = run(documented, "check")
    assert (ran.code, ran.out, ran.err) == (0, "", "")
    for command in (["age", "--as-of", "2025-09-01"], ["deadlines", "--as-of", "2025-09-01", "--all"],
                    ["agenda", "--date", "2025-09-01"], ["show", "shenyang-heavy", "--as-of", "2025-09-01"]):
        assert run(documented, *command, "-f", "json").code == 0, command


def test_the_documented_credit_code_fails_its_checksum(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "credit_code: 18-character unified social credit code, checksum
    # verified". The example's own code does not pass: we verify it, as a warning, so that the documented
    # file is still a ledger every command reads (a typo in a check character must not stop collection).
    root = make(tmp_path / "ar", {"acme": DOCUMENTED_DEBTOR.replace("91210100MA0Y8A2B31", "91210100MA0Y8A2B3C")},
                DOCUMENTED_SETTINGS)
    ran = run(root, "check")
    assert ran.code == 0 and ran.out.startswith("debtors/acme.yaml:2:1: warning: credit_code:")
    assert "should be '1' (GB 32100-2015)" in ran.out
    assert run(root, "check", "--strict").code == 1
    assert run(root, "age", "--as-of", "2025-09-01", "-f", "json").code == 0


def test_the_documented_debtor_ages_to_the_cent(documented: Path) -> None:
    # ledger-format.md > Payment allocation, on the documented debtor alone (before its later events):
    # 120,000.00 less the 50,000 paid on 2025-05-02 leaves 70,000.00, due 2025-03-31.
    (documented / "debtors" / "shenyang-heavy.yaml").write_text(DOCUMENTED_DEBTOR, encoding="utf-8")
    [row] = age(documented, "2025-05-15")["debtors"]
    assert (row["open"], row["bucket"], row["days_overdue"], row["by_bucket"]["B"]) == ("70000.00", "B", 45, "70000.00")


def test_dunning_yaml_defaults(tmp_path: Path) -> None:
    # ledger-format.md > dunning.yaml: "Every key but `format` and `creditor.name` has the default shown":
    # currency CNY, jurisdiction CN, timezone Asia/Shanghai, buckets {A: 30, B: 60, C: null},
    # call_window 09:00-11:00, warn_days 90.
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
contacts: [{name: 甲, mobile: "13900000001"}]
invoices:
  - {id: INV-1, issued: 2022-01-01, due: 2022-08-31, amount: 100}
events:
  - {at: 2025-05-02T16:30:00+00:00, type: payment, amount: 10}
"""}, MINIMAL_SETTINGS)
    document = age(root, "2025-05-03")
    assert document["buckets"] == ["current", "A", "B", "C"]
    [row] = document["debtors"]
    assert (row["currency"], row["open"]) == ("CNY", "90.00")
    assert age(root, "2025-05-02")["debtors"][0]["open"] == "100.00"  # 16:30 UTC is 00:30 on 05-03 in Shanghai
    found = run(root, "deadlines", "--as-of", "2025-06-10", "-f", "json", "--all").json()
    assert found["within_days"] == 90
    [entry] = found["deadlines"]
    assert (entry["rule"], entry["date"], entry["days_left"]) == ("CN Civil Code Art. 188, 195, 203", "2028-05-03",
                                                                  1058)
    agenda = run(root, "agenda", "--date", "2025-06-10", "-f", "json").json()
    assert agenda["call_window"] == "09:00-11:00"
    assert agenda["items"][0]["at"] == "09:00"


def test_a_debtor_collector_must_be_a_key_of_collectors(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "collector: zhang.san  # a key of `collectors`". (The statement
    # "every key ... has the default shown" would make the example's two collectors the default; we read the
    # example as an example: without `collectors` there are none. Reported as an ambiguity.)
    root = make(tmp_path / "ar", {"acme": "name: 甲公司\ncollector: wang.wu\n"})
    ran = run(root, "check")
    assert ran.code == 1 and "debtors/acme.yaml:2:" in ran.out and "unknown collector 'wang.wu'" in ran.out


@pytest.mark.parametrize(("name", "ok"), [("acme", True), ("a-1", True), ("9co", True), ("Acme", False),
                                          ("acme_co", False), ("-acme", False)])
def test_debtor_file_stem_is_the_id_slug(tmp_path: Path, name: str, ok: bool) -> None:
    # ledger-format.md > Layout: "debtors/<id>.yaml  # one file per debtor; <id> is the file stem:
    # [a-z0-9][a-z0-9-]*".
    root = make(tmp_path / "ar", {name: one_invoice()})
    ran = run(root, "check")
    assert ran.code == (0 if ok else 1), ran.out
    if not ok:
        assert f"debtors/{name}.yaml" in ran.out


def test_evidence_paths_are_files_under_evidence_id(tmp_path: Path) -> None:
    # ledger-format.md > Event types: "`evidence` (paths under `evidence/<id>/`)". We read the paths from the
    # ledger folder (`evidence/acme/scan.pdf`); a path outside `evidence/<id>/` is an error, a file that is
    # not there a warning (the record stands; what proves it is missing).
    events = "  - {at: 2025-04-01T10:00:00+08:00, type: call, evidence: [%s]}\n"
    root = make(tmp_path / "ar", {"acme": one_invoice(events=events % "evidence/acme/scan.pdf")})
    (root / "evidence" / "acme").mkdir(parents=True)
    (root / "evidence" / "acme" / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    assert run(root, "check").code == 0
    other = make(tmp_path / "other", {"acme": one_invoice(events=events % "evidence/beta/scan.pdf")})
    ran = run(other, "check")
    assert ran.code == 1 and ran.out.startswith("debtors/acme.yaml:5:") and "evidence" in ran.out
    missing = make(tmp_path / "missing", {"acme": one_invoice(events=events % "evidence/acme/none.pdf")})
    ran = run(missing, "check")
    assert ran.code == 0 and ran.out.startswith("debtors/acme.yaml:5:") and "warning" in ran.out


def test_an_invoice_without_due_needs_terms_days(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "terms_days: ... used where an invoice has no due date". Without
    # either, no due date can be worked out: an error at the invoice (the format gives terms_days no default).
    root = make(tmp_path / "ar", {"acme": "name: 甲公司\ninvoices:\n  - {id: INV-1, issued: 2025-01-01, amount: 1}\n"})
    ran = run(root, "check")
    assert ran.code == 1 and "INV-1" in ran.out and "terms_days" in ran.out


def test_invoice_ids_are_unique_within_the_ledger(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "id: INV-2025-012  # unique within the ledger".
    root = make(tmp_path / "ar", {"acme": one_invoice(), "beta": one_invoice()})
    ran = run(root, "check")
    assert ran.code == 1 and "INV-1" in ran.out


def test_events_is_the_last_key(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "`events` is always the last key".
    root = make(tmp_path / "ar", {"acme": "name: 甲公司\nevents: []\ninvoices: []\n"})
    ran = run(root, "check")
    assert ran.code == 1 and "events" in ran.out


def test_events_are_in_non_decreasing_at_order(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "Events are in non-decreasing `at` order."
    same = make(tmp_path / "same", {"acme": one_invoice(events=(
        "  - {at: 2025-04-10T09:35:00+08:00, type: call}\n  - {at: 2025-04-10T09:35:00+08:00, type: note}\n"
        "  - {at: 2025-04-11, type: note}\n  - {at: 2025-04-11, type: note}\n"))})
    assert run(same, "check").code == 0
    back = make(tmp_path / "back", {"acme": one_invoice(events=(
        "  - {at: 2025-04-10T09:35:00+08:00, type: call}\n  - {at: 2025-04-09, type: note}\n"))})
    ran = run(back, "check")
    assert ran.code == 1 and ran.out.startswith("debtors/acme.yaml:6:") and "events[1].at" in ran.out


def test_a_date_only_event_on_the_day_of_a_timed_one_is_in_order(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "`at` is an ISO date or date-time"; "Events are in non-decreasing
    # `at` order": a payment recorded by its date on the day of a morning call does not go back in time.
    root = make(tmp_path / "ar", {"acme": one_invoice(events=(
        "  - {at: 2025-04-10T09:35:00+08:00, type: call}\n  - {at: 2025-04-10, type: payment, amount: 10}\n"))})
    assert run(root, "check").code == 0


def test_amounts_are_exact_decimals_with_at_most_two_places(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "Amounts are exact decimals (never floats) with at most two
    # decimal places": three payments of 0.10 settle 0.30 exactly; a third decimal is an error.
    root = make(tmp_path / "ar", {"acme": one_invoice(amount="0.30", events=(
        "  - {at: 2025-04-01, type: payment, amount: 0.10}\n  - {at: 2025-04-02, type: payment, amount: 0.1}\n"
        "  - {at: 2025-04-03, type: payment, amount: \"0.10\"}\n"))})
    assert age(root, "2025-06-01", "--all")["debtors"][0]["open"] == "0.00"
    bad = make(tmp_path / "bad", {"acme": one_invoice(events="  - {at: 2025-04-01, type: payment, amount: 0.105}\n")})
    ran = run(bad, "check")
    assert ran.code == 1 and "debtors/acme.yaml:5:" in ran.out and "events[0].amount" in ran.out


def test_dates_are_iso_dates(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "Dates are ISO dates".
    for folder, due in (("a", "2025-02-29"), ("b", "2025/03/31"), ("c", "31.03.2025"), ("d", "2025-03-31T00:00:00")):
        root = make(tmp_path / folder, {"acme": one_invoice(due=due)})
        ran = run(root, "check")
        assert ran.code == 1 and "invoices[0].due" in ran.out, (due, ran.out)


def test_at_without_an_offset_is_read_in_the_ledger_time_zone(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "`at` is an ISO date or date-time; without an offset it is read in
    # the ledger's timezone"; ledger-format.md > Payment allocation: "Dates of events with an offset are taken in
    # the ledger's timezone (`2025-05-02T23:30:00+00:00` happened on 2025-05-03 in Asia/Shanghai)".
    events = ("  - {at: 2025-05-02T23:30:00, type: payment, amount: 1}\n"
              "  - {at: 2025-05-02T23:30:00+00:00, type: payment, amount: 10}\n")
    shanghai = make(tmp_path / "sh", {"acme": one_invoice(events=events)})
    assert [age(shanghai, day)["debtors"][0]["open"] for day in ("2025-05-01", "2025-05-02", "2025-05-03")] == \
        ["100.00", "99.00", "89.00"]
    new_york = make(tmp_path / "ny", {"acme": one_invoice(events=events)}, SETTINGS + "timezone: America/New_York\n")
    assert [age(new_york, day)["debtors"][0]["open"] for day in ("2025-05-01", "2025-05-02", "2025-05-03")] == \
        ["100.00", "89.00", "89.00"]


def test_an_invoice_exists_from_its_issued_date(tmp_path: Path) -> None:
    # ledger-format.md > Event types: "An invoice exists from its `issued` date: as of an earlier date it is
    # not part of the ledger."
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
invoices:
  - {id: I-1, issued: 2025-03-01, due: 2025-03-31, amount: 100}
  - {id: I-2, issued: 2025-05-01, due: 2025-05-01, amount: 200}
"""})
    assert age(root, "2025-02-28")["debtors"] == []
    assert set(invoice_rows(root, "2025-04-30")) == {"I-1"}
    assert set(invoice_rows(root, "2025-05-01")) == {"I-1", "I-2"}


def test_due_date_from_terms_days(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "terms_days: 30  # used where an invoice has no due date:
    # due = issued + terms_days".
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
terms_days: 45
invoices:
  - {id: I-1, issued: 2025-01-20, amount: 100}
  - {id: I-2, issued: 2025-01-20, due: 2025-02-01, amount: 100}
"""})
    found = invoice_rows(root, "2025-04-01")
    assert (found["I-1"]["due"], found["I-1"]["days_overdue"]) == ("2025-03-06", 26)
    assert found["I-2"]["due"] == "2025-02-01"


def test_format_and_creditor_name_are_required(tmp_path: Path) -> None:
    # ledger-format.md > dunning.yaml: "Every key but `format` and `creditor.name` has the default shown";
    # ledger-format.md > (title): "version 1" (`format: 2` needs a migration, so it is not read as 1).
    for folder, settings, where in (("a", "creditor: {name: 甲}\n", "format"),
                                    ("b", "format: 1\ncreditor: {phone: 024-1}\n", "creditor.name"),
                                    ("c", "format: 2\ncreditor: {name: 甲}\n", "format")):
        ran = run(make(tmp_path / folder, {}, settings), "check")
        assert ran.code == 1 and ran.out.startswith("dunning.yaml:") and where in ran.out, ran.out


def test_contacts_outside_contact_hours_are_flagged_by_check(tmp_path: Path) -> None:
    # ledger-format.md > dunning.yaml: "contact_hours: "08:00-21:00"  # contacts outside these hours are
    # flagged by `dunning check`" (a flag: the ledger is still valid, so exit 0).
    root = make(tmp_path / "ar", {"acme": one_invoice(events=(
        "  - {at: 2025-04-10T22:15:00+08:00, type: call}\n  - {at: 2025-04-11T20:59:00+08:00, type: call}\n"))})
    ran = run(root, "check")
    assert ran.code == 0
    assert len(ran.out.splitlines()) == 1 and ran.out.startswith("debtors/acme.yaml:5:")
    assert run(root, "check", "-f", "json").json()["errors"] == []


def test_a_new_event_is_appended_and_nothing_above_it_is_rewritten(tmp_path: Path) -> None:
    # ledger-format.md > debtors/<id>.yaml: "`events` is always the last key, so a new event is written by
    # appending text to the end of the file: nothing above it is rewritten."
    text = ("# 客户档案：注释要保留\nname:   甲公司   # 名称\ninvoices:\n"
            "  - {id: INV-1, issued: 2025-03-01, due: 2025-03-31, amount: 100.0}   # 金额\n"
            "events:\n  - at: 2025-04-01\n    type: note\n    summary: '引号'\n")
    root = make(tmp_path / "ar", {"acme": text})
    assert run(root, "pay", "acme", "10", "--date", "2025-04-02", "--no-commit").code == 0
    assert run(root, "log", "acme", "-t", "call", "--at", "2025-04-03T10:00", "--no-commit").code == 0
    after = (root / "debtors" / "acme.yaml").read_text(encoding="utf-8")
    assert after.startswith(text) and after.count("type: payment") == 1 and after.count("type: call") == 1
    assert run(root, "check").code == 0


def test_git_operations_are_limited_to_the_ledger_folder(tmp_path: Path) -> None:
    # ledger-format.md > Layout: "The ledger may be the root of a git repository or any folder inside one. Git
    # operations are limited to the ledger folder."
    top = tmp_path / "repo"
    root = make(top / "finance" / "ar", {"acme": one_invoice()})
    (top / "notes.txt").write_text("不相干\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(top)], check=True)
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "start")
    (top / "notes.txt").write_text("改了\n", encoding="utf-8")
    git(top, "add", "notes.txt")
    ran = run(root, "pay", "acme", "10", "--date", "2025-04-02")
    assert ran.code == 0, ran.err
    assert git(top, "show", "--name-only", "--format=", "HEAD").split() == ["finance/ar/debtors/acme.yaml"]
    assert git(top, "status", "--porcelain", "notes.txt").strip() == "M  notes.txt"


def test_letters_go_to_letters_id_and_templates_override_the_built_in_ones(tmp_path: Path) -> None:
    # ledger-format.md > Layout: "templates/  # optional: letter templates that override the built-in ones by
    # name"; "letters/<id>/  # letters drafted by `dunning letter`"; dunning.yaml: "language: zh  # default
    # letter language".
    root = make(tmp_path / "ar", {"acme": one_invoice()})
    ran = run(root, "letter", "acme", "-t", "demand", "--as-of", "2025-06-01", "-f", "md", "--no-commit")
    assert ran.code == 0, ran.err
    [drafted] = (root / "letters" / "acme").iterdir()
    assert drafted.suffix == ".md" and "催款函" in drafted.read_text(encoding="utf-8")
    (root / "templates" / "zh").mkdir(parents=True)
    (root / "templates" / "zh" / "demand.md.j2").write_text(
        "自定义催款函 {{ reference }}：{% for i in invoices %}{{ i.id }}{% endfor %}\n", encoding="utf-8")
    assert run(root, "check").code == 0
    ran = run(root, "letter", "acme", "-t", "demand", "--as-of", "2025-06-01", "-f", "md", "-o", "-")
    assert ran.code == 0, ran.err
    assert ran.out.startswith("自定义催款函 acme-20250601-demand：INV-1")


def test_a_claim_filed_after_bankruptcy_meets_the_claims_deadline(tmp_path: Path) -> None:
    # cli.md > deadlines: "`met` (... a claim filed ...)"; limitation.md > Bankruptcy.
    root = make(tmp_path / "ar", {"acme": one_invoice(events=(
        "  - {at: 2025-09-01, type: status, status: bankrupt, claims_deadline: 2025-12-01}\n"
        "  - {at: 2025-10-01, type: legal, action: filed, summary: 申报债权}\n"))})
    [claim] = deadlines(root, "2025-10-05", "--all", "--kind", "claims")
    assert (claim["date"], claim["status"]) == ("2025-12-01", "met")


# =============================================================================================
# ledger-format.md > Payment allocation


ALLOCATION = """\
name: 甲公司
terms_days: 30
invoices:
  - {id: I-B, issued: 2025-01-01, amount: 1000}
  - {id: I-A, issued: 2025-01-01, due: 2025-01-31, amount: 1000}
  - {id: I-C, issued: 2025-02-01, due: 2025-02-15, amount: 500}
  - {id: I-Z, issued: 2024-12-01, due: 2025-03-15, amount: 50}
  - {id: I-U, issued: 2025-01-10, due: 2025-03-01, amount: 700, currency: USD}
events:
  - {at: 2025-02-20, type: payment, amount: 1200}
  - {at: 2025-02-21, type: payment, amount: 300, invoice: I-C}
  - {at: 2025-02-22, type: credit, amount: 100, invoice: I-C}
  - {at: 2025-02-23, type: payment, amount: 800, invoice: I-U}
"""


def test_a_payment_goes_to_its_invoice_then_oldest_due_first_ties_by_id(tmp_path: Path) -> None:
    # ledger-format.md > Payment allocation: "A payment goes first to the invoice it names, then to the open
    # invoices of its currency, oldest due first (ties by id). ... A credit goes to its invoice."
    # I-A and I-B (due 2025-01-31 from terms_days) tie: the 1,200.00 pays I-A, then 200.00 of I-B. The 300.00
    # naming I-C pays I-C although I-B is older; the credit of 100.00 goes to I-C too. I-Z (issued earlier,
    # due later) is untouched.
    root = make(tmp_path / "ar", {"acme": ALLOCATION})
    found = invoice_rows(root, "2025-03-31")
    assert {k: v["open"] for k, v in found.items()} == {"I-B": "800.00", "I-C": "100.00", "I-Z": "50.00"}
    assert (found["I-B"]["days_overdue"], found["I-C"]["days_overdue"], found["I-Z"]["days_overdue"]) == (59, 44, 16)


def test_a_payment_currency_is_its_own_else_its_invoice_else_the_ledger(tmp_path: Path) -> None:
    # ledger-format.md > Payment allocation: "A payment's currency is its `currency`, else the named invoice's,
    # else the ledger's" ... "Money beyond all open invoices is an unapplied credit balance, shown, never lost."
    # The 800 naming I-U is in USD: 700 pays I-U, 100 stays as USD credit; CNY is not touched by it.
    root = make(tmp_path / "ar", {"acme": ALLOCATION + "  - {at: 2025-02-24, type: payment, amount: 5, currency: USD}\n"
                                                      "  - {at: 2025-02-25, type: payment, amount: 6}\n"})
    found = rows(root, "2025-03-31")
    assert (found["acme", "USD"]["open"], found["acme", "USD"]["unapplied"]) == ("0.00", "105.00")
    assert (found["acme", "CNY"]["open"], found["acme", "CNY"]["unapplied"]) == ("944.00", "0.00")
    assert invoice_rows(root, "2025-03-31")["I-B"]["open"] == "794.00"  # the ledger's CNY, oldest due first


def test_overpayment_is_kept_as_unapplied_credit(tmp_path: Path) -> None:
    # ledger-format.md > Payment allocation: "Money beyond all open invoices is an unapplied credit balance,
    # shown, never lost."
    root = make(tmp_path / "ar", {"acme": one_invoice(amount="100.00", events=(
        "  - {at: 2025-04-01, type: payment, amount: 60}\n  - {at: 2025-04-02, type: payment, amount: 123.45}\n"))})
    [row] = age(root, "2025-06-01")["debtors"]
    assert (row["open"], row["unapplied"], row["by_bucket"]) == ("0.00", "83.45", zeros())
    assert age(root, "2025-06-01")["totals"]["CNY"]["open"] == "0.00"


def test_as_of_a_past_date_replays_the_dated_events_alone(tmp_path: Path) -> None:
    # ledger-format.md > Derived, never stored: "`--as-of` a past date shows the ledger as it stood then, from
    # the dated events alone."
    root = make(tmp_path / "ar", {"acme": one_invoice(events=(
        "  - {at: 2025-04-01, type: payment, amount: 30}\n  - {at: 2025-05-01, type: payment, amount: 30}\n"))})
    assert [age(root, day)["debtors"][0]["open"] for day in ("2025-03-31", "2025-04-01", "2025-04-30",
                                                             "2025-05-01")] == ["100.00", "70.00", "70.00", "40.00"]


def test_an_event_without_invoices_concerns_all_open_invoices(tmp_path: Path) -> None:
    # ledger-format.md > Event types: "`invoices` (the invoice ids it concerns; omitted: all open invoices)":
    # a dispute naming none disputes every invoice open at that moment, not one issued later.
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
invoices:
  - {id: I-1, issued: 2025-01-01, due: 2025-02-01, amount: 100}
  - {id: I-2, issued: 2025-01-01, due: 2025-02-01, amount: 200}
  - {id: I-3, issued: 2025-01-01, due: 2025-02-01, amount: 400}
  - {id: I-4, issued: 2025-04-01, due: 2025-05-01, amount: 800}
events:
  - {at: 2025-02-10, type: payment, amount: 100, invoice: I-1}
  - {at: 2025-03-01, type: dispute, reason: 质量问题}
"""})
    [row] = age(root, "2025-06-01")["debtors"]
    assert (row["open"], row["disputed"]) == ("1400.00", "600.00")


# =============================================================================================
# limitation.md: the headline rules, as `dunning deadlines` shows them


@pytest.mark.parametrize(("due", "date", "why"), [
    ("2021-12-01", "2024-12-02", "2024-12-01 is a Sunday: the next working day (Art. 203)"),
    ("2020-02-29", "2023-02-28", "no 29 February in 2023: the month's last day (Art. 202)"),
    ("2022-10-01", "2025-10-09", "National Day holiday 1-8 October 2025 (Art. 203, official calendar)"),
    ("2022-09-28", "2025-09-28", "Sunday 28 September 2025 is an official make-up working day"),
])
def test_cn_period_end_and_holiday_roll(tmp_path: Path, due: str, date: str, why: str) -> None:
    # limitation.md > PRC: "3 years (Art. 188), per invoice, from the day after its due date"; "End date";
    # "Holiday roll (Art. 203)" with the official calendar and its make-up working days.
    root = make(tmp_path / "ar", {"acme": one_invoice(due=due, issued="2020-01-01")})
    entry = limitation(root, "2020-06-01" if due < "2021" else "2022-12-01", "INV-1")
    assert (entry["date"], entry["provisional"], entry["status"]) == (date, False, "open"), why


def test_cn_a_year_without_an_announced_calendar_is_provisional(tmp_path: Path) -> None:
    # limitation.md > PRC > Holiday roll: "For a year whose calendar has not been announced, roll over weekends
    # and fixed-date holidays only and mark the date `provisional`."
    root = make(tmp_path / "ar", {"acme": one_invoice(due="2027-06-30", issued="2027-06-01")})
    entry = limitation(root, "2027-07-01", "INV-1")
    assert (entry["date"], entry["provisional"]) == ("2030-07-01", True)  # 2030-06-30 is a Sunday


INTERRUPTIONS = {
    # debtor: (events, the last day as of 2025-04-01)
    "undelivered": ("  - {at: 2023-05-08, type: letter}\n"
                    "  - {at: 2023-06-08T10:00:00+08:00, type: call, demand: true}\n"
                    "  - {at: 2023-08-08, type: acknowledgment}\n"
                    "  - {at: 2023-09-08, type: plan, installments: [{due: 2023-12-31, amount: 1}]}\n", "2025-03-31"),
    "recorded-call": ("  - {at: 2023-06-08T10:00:00+08:00, type: call, demand: true, recorded: true}\n", "2026-06-08"),
    "evidence-visit": ("  - {at: 2023-06-08T10:00:00+08:00, type: visit, demand: true,"
                       " evidence: [evidence/evidence-visit/visit.txt]}\n", "2026-06-08"),
    "letter": ("  - {at: 2023-06-09, type: letter, delivered: 2023-06-12}\n", "2026-06-12"),
    "email": ("  - {at: 2023-06-09T10:00:00+08:00, type: email}\n", "2026-06-09"),
    "promise-in-writing": ("  - {at: 2023-06-09T10:00:00+08:00, type: wechat, outcome: promise,"
                           " promise: {date: 2023-07-01, amount: 5}}\n", "2026-06-09"),
    "payment": ("  - {at: 2023-06-09, type: payment, amount: 5}\n", "2026-06-09"),
    "acknowledgment": ("  - {at: 2023-06-09, type: acknowledgment, signed: true}\n", "2026-06-09"),
    "plan": ("  - {at: 2023-06-09, type: plan, signed: true, installments: [{due: 2023-07-31, amount: 5},"
             " {due: 2023-09-26, amount: 5}]}\n", "2026-09-28"),
    "legal": ("  - {at: 2023-06-14, type: legal, action: filed}\n"
              "  - {at: 2024-03-13, type: legal, action: concluded}\n", "2027-03-15"),
}


def test_cn_interruptions_count_only_what_is_provable(tmp_path: Path) -> None:
    # limitation.md > PRC > Interruption (Art. 195): a demand that reached the debtor (a letter on its
    # `delivered` date, an email on its `at` date, a call or visit only with `recorded: true` or `evidence`),
    # a payment, a signed acknowledgment, a signed plan (Instalments, Art. 189: from its last instalment's
    # due date), a promise in a written message, a legal action (anew when `concluded`); an undelivered
    # letter, an unrecorded call, an unsigned acknowledgment or plan do not count. Each invoice is due
    # 2022-03-31, so without an interruption it ends 2025-03-31 (a Monday); 2026-06-13/14, 2026-09-26/27
    # and 2027-03-13/14 are weekends.
    debtors = {name: one_invoice(due="2022-03-31", issued="2022-03-01", events=events).replace("INV-1", name.upper())
               for name, (events, _) in INTERRUPTIONS.items()}
    root = make(tmp_path / "ar", debtors)
    (root / "evidence" / "evidence-visit").mkdir(parents=True)
    (root / "evidence" / "evidence-visit" / "visit.txt").write_text("录音\n", encoding="utf-8")
    found = {d["invoice"].lower(): d["date"] for d in deadlines(root, "2025-04-01", "--all", "--kind", "limitation")}
    assert found == {name: date for name, (_, date) in INTERRUPTIONS.items()}


def test_cn_a_payment_interrupts_only_the_invoices_it_was_applied_to(tmp_path: Path) -> None:
    # limitation.md > PRC > Interruption: "a payment (for the invoices it is applied to)".
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
invoices:
  - {id: P-1, issued: 2022-03-01, due: 2022-03-31, amount: 100}
  - {id: P-2, issued: 2022-03-01, due: 2022-04-30, amount: 100}
events:
  - {at: 2023-06-13, type: payment, amount: 50}
"""})
    assert limitation(root, "2025-04-01", "P-1")["date"] == "2026-06-15"  # 2026-06-13 is a Saturday
    assert limitation(root, "2025-04-01", "P-2")["date"] == "2025-04-30"


def test_cn_running_proceeding_has_no_last_day(tmp_path: Path) -> None:
    # limitation.md > PRC > Interruption: "a `legal` action filed: the period is interrupted while the
    # proceeding runs and restarts when it is `concluded`".
    root = make(tmp_path / "ar", {"acme": one_invoice(due="2022-03-31", issued="2022-03-01", events=(
        "  - {at: 2023-06-14, type: legal, action: filed}\n"))})
    entry = limitation(root, "2025-04-01", "INV-1")
    assert (entry["date"], entry["days_left"], entry["status"]) == (None, None, "open")


def test_guarantee_period_defaults_and_release(tmp_path: Path) -> None:
    # ledger-format.md > guarantees: "period_months: 6  # omitted: 6"; "invoices: ...  # omitted: all
    # invoices"; limitation.md > Guarantee period: a `general` guarantee needs a `legal` action within it.
    root = make(tmp_path / "ar", {"acme": """\
name: 甲公司
guarantees:
  - {guarantor: 甲担保, kind: joint}
  - {guarantor: 乙担保, kind: general, period_months: 3, invoices: [G-2]}
invoices:
  - {id: G-1, issued: 2025-01-01, due: 2025-01-31, amount: 100}
  - {id: G-2, issued: 2025-01-01, due: 2025-03-31, amount: 100}
events:
  - {at: 2025-06-20, type: legal, action: filed, invoices: [G-2]}
"""})
    found = {(d["guarantor"], d["invoice"]): (d["date"], d["status"])
             for d in deadlines(root, "2025-08-01", "--all", "--kind", "guarantee")}
    assert found == {("甲担保", "G-1"): ("2025-07-31", "released"), ("甲担保", "G-2"): ("2025-09-30", "open"),
                     ("乙担保", "G-2"): ("2025-06-30", "met")}


def test_bankruptcy_claims_deadline_and_all_invoices_due(tmp_path: Path) -> None:
    # limitation.md > Bankruptcy: "a `status: bankrupt` event with `claims_deadline` makes that date a deadline
    # for filing the claim; all invoices become due."
    root = make(tmp_path / "ar", {"acme": one_invoice(due="2025-12-31", issued="2025-01-01", events=(
        "  - {at: 2025-03-01, type: status, status: bankrupt, claims_deadline: 2025-06-30}\n"))})
    [claim] = deadlines(root, "2025-04-01", "--kind", "claims")
    assert (claim["date"], claim["days_left"], claim["status"]) == ("2025-06-30", 90, "open")
    invoice = invoice_rows(root, "2025-04-01")["INV-1"]
    assert (invoice["due"], invoice["days_overdue"], invoice["bucket"]) == ("2025-03-01", 31, "B")


@pytest.mark.parametrize(("code", "date"), [
    ("DE", "2029-01-02"),  # end of 2025 + 3 years = 2028-12-31, a Sunday, 2029-01-01 a holiday (BGB 193)
    ("EW", "2031-02-28"),  # 6 years from accrual on `performed` 2025-02-28, the day of accrual excluded
    ("FR", "2030-03-31"),  # 5 years from the due date
    ("US-NY", "2031-03-31"),  # 6 years from the due date
    ("US-CA", "2029-03-31"),  # 4 years from the due date
    ("US-UCC", "2029-03-31"),  # 4 years from breach
])
def test_other_jurisdictions(tmp_path: Path, code: str, date: str) -> None:
    # limitation.md > Other jurisdictions: the table; the debtor's `jurisdiction` overrides the ledger's
    # (ledger-format.md > debtors/<id>.yaml: "jurisdiction: CN  # optional override").
    root = make(tmp_path / "ar", {"acme": f"name: Acme\njurisdiction: {code}\ninvoices:\n"
                                          "  - {id: INV-1, issued: 2025-02-01, due: 2025-03-31, amount: 100,"
                                          " performed: 2025-02-28}\n"})
    entry = limitation(root, "2025-06-01", "INV-1")
    assert entry["date"] == date
