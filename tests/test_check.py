"""`dunning check`: silent on a good ledger; otherwise every error of every file, where it is, exit 1.

The checks across a file and across the ledger (dunning/checks.py) each have an input that produces
their message, asserted with file:line:col; `--format json` has the cli.md shape; contacts outside
contact_hours are warnings, not errors; a broken copy of the sample ledger lists every error it holds.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning.cli.app import app

runner = CliRunner()

Files = dict[str, str | bytes]
WriteLedger = Callable[..., Path]

H = "name: 甲公司\nterms_days: 30\n"
INVOICES = "invoices:\n  - {id: INV-1, issued: 2025-01-01, amount: 1000}\n"  # lines 3-4 after H


@pytest.fixture(autouse=True)
def _no_ledger_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUNNING_LEDGER", raising=False)


def check(root: Path, *args: str) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["check", "--ledger", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stderr == "", result.stderr
    return result.exit_code, result.stdout.splitlines()


# ---------------------------------------------------------------------------------------------
# the sample ledger


def test_the_sample_ledger_passes_silently(sample_copy: Path) -> None:
    assert check(sample_copy) == (0, [])


def test_the_sample_ledger_in_json_has_no_errors(sample_copy: Path) -> None:
    result = runner.invoke(app, ["check", "--ledger", str(sample_copy), "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["errors"] == []
    assert document.get("warnings", []) == []


# ---------------------------------------------------------------------------------------------
# checks across a file and across the ledger: (case, files, every line printed)

CROSS_RULES: list[tuple[str, Files, list[str]]] = [
    ("invoice-id-in-two-debtors",
     {"a": H + INVOICES, "b": "name: 乙公司\nterms_days: 30\ninvoices:\n  - id: INV-1\n    issued: 2025-02-01\n"
      "    amount: 500\n"},
     ["debtors/b.yaml:4:5: invoices[0].id: invoice id 'INV-1' is already used in debtors/a.yaml"]),
    ("invoice-id-twice-in-a-file",
     {"a": H + INVOICES + "  - {id: INV-1, issued: 2025-02-01, amount: 500}\n"},
     ["debtors/a.yaml:5:6: invoices[1].id: invoice id 'INV-1' is already used in this file"]),
    ("unknown-collector", {"a": H + "collector: zhao.liu\n"},
     ["debtors/a.yaml:3:1: collector: unknown collector 'zhao.liu' (dunning.yaml collectors: zhang.san, li.si)"]),
    ("unknown-collector-of-an-event",
     {"a": H + "events:\n  - at: 2025-03-01\n    type: note\n    by: zhao.liu\n"},
     ["debtors/a.yaml:6:5: events[0].by: unknown collector 'zhao.liu' (dunning.yaml collectors: zhang.san, li.si)"]),
    ("payment-names-an-unknown-invoice",
     {"a": H + INVOICES + "events:\n  - at: 2025-03-01\n    type: payment\n    amount: 100\n    invoice: INV-9\n"},
     ["debtors/a.yaml:9:5: events[0].invoice: unknown invoice 'INV-9' (this debtor has: INV-1)"]),
    ("credit-names-an-unknown-invoice",
     {"a": H + "events:\n  - {at: 2025-03-01, type: credit, amount: 100, invoice: INV-9}\n"},
     ["debtors/a.yaml:4:49: events[0].invoice: unknown invoice 'INV-9' (this debtor has: no invoices)"]),
    ("event-concerns-an-unknown-invoice",
     {"a": H + INVOICES + "events:\n  - {at: 2025-03-01, type: dispute, invoices: [INV-1, INV-2]}\n"},
     ["debtors/a.yaml:6:55: events[0].invoices[1]: unknown invoice 'INV-2' (this debtor has: INV-1)"]),
    ("guarantee-of-an-unknown-invoice",
     {"a": H + INVOICES + "guarantees:\n  - {guarantor: 沈阳担保有限公司, kind: joint, invoices: [INV-2]}\n"},
     ["debtors/a.yaml:6:51: guarantees[0].invoices[0]: unknown invoice 'INV-2' (this debtor has: INV-1)"]),
    ("payment-currency-not-the-invoice-currency",
     {"a": H + INVOICES + "events:\n  - {at: 2025-03-01, type: payment, amount: 100, invoice: INV-1, currency: EUR}\n"},
     ["debtors/a.yaml:6:66: events[0].currency: payment in EUR names invoice INV-1 in CNY"]),
    ("events-out-of-time-order",
     {"a": H + "events:\n  - at: 2025-03-02\n    type: note\n  - at: 2025-03-01\n    type: note\n"},
     ["debtors/a.yaml:6:5: events[1].at: 2025-03-01 is earlier than the event before it: events are kept in time "
      "order (append new events at the end)"]),
    # 23:30 UTC on 2 May is 07:30 on 3 May in Shanghai: a bare 2025-05-03 (midnight in Shanghai) is before it
    ("events-out-of-order-across-zones",
     # 16:30 UTC on 05-03 is 00:30 on 05-04 in Shanghai: a bare 05-03 after it is a day earlier
     {"a": H + "events:\n  - {at: '2025-05-03T16:30:00+00:00', type: note}\n  - {at: 2025-05-03, type: note}\n"},
     ["debtors/a.yaml:5:6: events[1].at: 2025-05-03 is earlier than the event before it: events are kept in time "
      "order (append new events at the end)"]),
    ("a-time-earlier-than-an-earlier-time-the-same-day",
     {"a": H + "events:\n  - {at: '2025-05-03T10:00:00+08:00', type: note}\n  - {at: 2025-05-03, type: note}\n"
                "  - {at: '2025-05-03T09:00:00+08:00', type: note}\n"},
     ["debtors/a.yaml:6:6: events[2].at: 2025-05-03T09:00:00+08:00 is earlier than the event before it: events "
      "are kept in time order (append new events at the end)"]),
    ("letter-delivered-before-sent",
     {"a": H + "events:\n  - at: 2025-03-10\n    type: letter\n    via: registered_mail\n    delivered: 2025-03-08\n"},
     ["debtors/a.yaml:7:5: events[0].delivered: delivered 2025-03-08 before it was sent on 2025-03-10"]),
    ("promise-before-the-contact",
     {"a": H + "events:\n  - at: 2025-03-10T10:00:00+08:00\n    type: call\n"
      "    promise: {date: 2025-03-01, amount: 100}\n"},
     ["debtors/a.yaml:6:15: events[0].promise.date: promise date 2025-03-01 is before the contact on 2025-03-10"]),
    ("follow-up-before-the-contact",
     {"a": H + "events:\n  - at: 2025-03-10T10:00:00+08:00\n    type: call\n    next_date: 2025-03-09\n"},
     ["debtors/a.yaml:6:5: events[0].next_date: follow-up 2025-03-09 is before the contact on 2025-03-10"]),
    ("guarantor-demand-of-no-guarantor",
     {"a": H + "events:\n  - {at: 2025-03-10, type: guarantor_demand, guarantor: 沈阳担保有限公司}\n"},
     ["debtors/a.yaml:4:46: events[0].guarantor: '沈阳担保有限公司' is not a guarantor of this debtor "
      "(no guarantees)"]),
    ("guarantor-demand-delivered-before-sent",
     {"a": H + "guarantees:\n  - {guarantor: 沈阳担保有限公司, kind: joint}\nevents:\n"
      "  - {at: 2025-03-10, type: guarantor_demand, guarantor: 沈阳担保有限公司, delivered: 2025-03-09}\n"},
     ["debtors/a.yaml:6:67: events[0].delivered: delivered 2025-03-09 before it was sent on 2025-03-10"]),
    ("evidence-outside-its-folder",
     {"a": H + "events:\n  - at: 2025-03-10\n    type: note\n    evidence: [evidence/b/回单.pdf]\n"},
     ["debtors/a.yaml:6:16: events[0].evidence[0]: evidence must lie under evidence/a/, got 'evidence/b/回单.pdf'"]),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CROSS_RULES], ids=[c[0] for c in CROSS_RULES])
def test_each_cross_check_has_its_message_at_its_place(
        write_ledger: WriteLedger, files: Files, expected: list[str]) -> None:
    code, lines = check(write_ledger(files))
    assert lines == expected
    assert code == 1


def test_a_collector_when_the_ledger_names_none(write_ledger: WriteLedger) -> None:
    # ledger-format.md: a dunning.yaml without `collectors` names nobody wrong (the debtor example's
    # `collector: zhang.san` must pass with a minimal dunning.yaml); events' `by` likewise
    root = write_ledger({"a": H + "collector: zhang.san\nevents:\n  - {at: 2025-03-10, type: note, by: li.si}\n"},
                        settings="format: 1\ncreditor: {name: 测试}\n")
    assert check(root) == (0, [])


def test_a_bare_date_is_the_whole_day(write_ledger: WriteLedger) -> None:
    # a payment dated today after this morning's call is in order, and so is a time after the date
    root = write_ledger({"a": H + "events:\n  - {at: '2025-05-02T23:30:00+00:00', type: note}\n"
                              "  - {at: 2025-05-03, type: note}\n  - {at: '2025-05-03T09:00:00+08:00', type: note}\n"})
    assert check(root) == (0, [])


def test_missing_evidence_is_a_warning(write_ledger: WriteLedger) -> None:
    root = write_ledger({"a": H + "events:\n  - at: 2025-03-10\n    type: note\n    evidence: [evidence/a/回单.pdf]\n"})
    assert check(root) == (0, ["debtors/a.yaml:6:16: warning: events[0].evidence[0]: evidence file "
                               "'evidence/a/回单.pdf' does not exist (add it, or the event may not be provable)"])
    assert check(root, "--strict")[0] == 1


def test_changed_evidence_is_caught_by_its_hash(write_ledger: WriteLedger) -> None:
    recorded = hashlib.sha256(b"receipt").hexdigest()
    root = write_ledger({"a": H + "events:\n  - at: 2025-03-10\n    type: payment\n    amount: 100\n"
                         f"    evidence: [{{path: evidence/a/r.pdf, sha256: {recorded}}}]\n"})
    (root / "evidence" / "a").mkdir(parents=True)
    (root / "evidence" / "a" / "r.pdf").write_bytes(b"receipt")
    assert check(root) == (0, [])
    (root / "evidence" / "a" / "r.pdf").write_bytes(b"receipt, altered")
    actual = hashlib.sha256(b"receipt, altered").hexdigest()
    assert check(root) == (1, [f"debtors/a.yaml:7:16: events[0].evidence[0]: evidence 'evidence/a/r.pdf' has sha256 "
                               f"{actual[:12]}..., the record says {recorded[:12]}...: the file was changed"])


# ---------------------------------------------------------------------------------------------
# contact hours: warnings, not errors

LATE_CALL = H + "events:\n  - at: 2025-03-10T22:15:00+08:00\n    type: call\n    by: zhang.san\n"
WARNING = "debtors/a.yaml:4:5: warning: events[0].at: contact at 22:15 is outside contact_hours 08:00-21:00"


def test_a_contact_outside_contact_hours_is_a_warning_and_exit_0(write_ledger: WriteLedger) -> None:
    assert check(write_ledger({"a": LATE_CALL})) == (0, [WARNING])


def test_strict_makes_the_warning_an_error(write_ledger: WriteLedger) -> None:
    assert check(write_ledger({"a": LATE_CALL}), "--strict") == (1, [WARNING])


def test_contact_hours_are_read_in_the_ledger_time_zone(write_ledger: WriteLedger) -> None:
    # 13:30 UTC is 21:30 in Shanghai (outside 08:00-21:00); 00:30 UTC is 08:30 (inside)
    root = write_ledger({"a": H + "events:\n  - {at: '2025-03-10T00:30:00Z', type: sms}\n"
                         "  - {at: '2025-03-10T13:30:00Z', type: wechat}\n"})
    assert check(root) == (0, ["debtors/a.yaml:5:6: warning: events[1].at: contact at 21:30 is outside "
                               "contact_hours 08:00-21:00"])


def test_letters_and_dated_contacts_are_not_flagged(write_ledger: WriteLedger) -> None:
    # a letter is posted, not a disturbance; a bare date has no hour
    root = write_ledger({"a": H + "events:\n  - {at: 2025-03-10, type: call}\n"
                         "  - {at: 2025-03-10T23:00:00+08:00, type: letter}\n"})
    assert check(root) == (0, [])


def test_own_contact_hours_in_the_settings(write_ledger: WriteLedger) -> None:
    settings = "format: 1\ncreditor: {name: 测试}\ncollectors: {zhang.san: 张三}\ncontact_hours: 09:00-23:00\n"
    assert check(write_ledger({"a": LATE_CALL}, settings=settings)) == (0, [])


# contacts per day and per week (agenda.max_contacts_per_day, default 3; max_contacts_per_week)

MANY_CONTACTS = H + """\
events:
  - {at: 2025-03-10T09:00:00+08:00, type: call}
  - {at: 2025-03-10T10:00:00+08:00, type: letter}
  - {at: 2025-03-10T11:00:00+08:00, type: sms}
  - {at: 2025-03-10T15:00:00+08:00, type: wechat}
  - {at: 2025-03-10T16:00:00+08:00, type: call}
  - {at: 2025-03-10T17:00:00+08:00, type: email}
  - {at: 2025-03-14T10:00:00+08:00, type: visit}
"""


def test_more_contacts_in_a_day_than_the_cap_is_one_warning(write_ledger: WriteLedger) -> None:
    # the letter does not count: the 4th contact that counts is events[4], warned once for the day
    assert check(write_ledger({"a": MANY_CONTACTS})) == (0, [
        "debtors/a.yaml:8:6: warning: events[4].at: 4 contacts with this debtor on 2025-03-10 (call, sms, wechat, "
        "call, email): more than agenda.max_contacts_per_day 3"])


def test_more_contacts_in_seven_days_than_the_weekly_cap(write_ledger: WriteLedger) -> None:
    settings = ("format: 1\ncreditor: {name: 测试}\n"
                "agenda: {max_contacts_per_day: 10, max_contacts_per_week: 5}\n")
    assert check(write_ledger({"a": MANY_CONTACTS}, settings=settings)) == (0, [
        "debtors/a.yaml:10:6: warning: events[6].at: 6 contacts with this debtor in the 7 days to 2025-03-14: more "
        "than agenda.max_contacts_per_week 5"])


# ---------------------------------------------------------------------------------------------
# --format json (cli.md: {"errors": [{"file", "line", "column", "message"}]})


def test_json_lists_each_error_as_the_text_does(write_ledger: WriteLedger) -> None:
    root = write_ledger({"a": LATE_CALL.replace("by: zhang.san", "by: zhao.liu"),
                         "b": H + "credit_limit: -5\n"})
    code, lines = check(root)
    assert code == 1
    result = runner.invoke(app, ["check", "--ledger", str(root), "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [(e["file"], e["line"], e["column"], e["message"]) for e in document["errors"]] == [
        ("debtors/a.yaml", 6, 5, "events[0].by: unknown collector 'zhao.liu' (dunning.yaml collectors: zhang.san, "
                                 "li.si)"),
        ("debtors/b.yaml", 3, 1, "credit_limit: must not be negative, got -5.00"),
    ]
    for error in document["errors"]:
        assert {"file", "line", "column", "message"} <= set(error)
        assert isinstance(error["line"], int) and isinstance(error["column"], int)
    # the warning is not an error; in text it is marked, in JSON kept apart
    assert [(w["file"], w["line"], w["column"], w["message"]) for w in document["warnings"]] == [
        ("debtors/a.yaml", 4, 5, "events[0].at: contact at 22:15 is outside contact_hours 08:00-21:00")]
    assert lines == [WARNING, f"debtors/a.yaml:6:5: {document['errors'][0]['message']}",
                     "debtors/b.yaml:3:1: credit_limit: must not be negative, got -5.00"]


def test_json_of_a_ledger_that_cannot_be_read_still_is_json(write_ledger: WriteLedger) -> None:
    result = runner.invoke(app, ["check", "--ledger", str(write_ledger({"a": b"name: \xff\n"})), "-f", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"] == [{
        "file": "debtors/a.yaml", "line": 1, "column": 7, "severity": "error",
        "message": "not UTF-8: byte 0xff cannot be read; save the file as UTF-8 (GBK and GB2312 are not accepted)"}]


# ---------------------------------------------------------------------------------------------
# every error of every file, sorted


def test_every_error_of_every_file_is_listed_sorted_by_file(write_ledger: WriteLedger) -> None:
    root = write_ledger({
        "c-third": H + "credit_limit: 1.005\n",
        "a-first": "name: 甲公司\nterms_days: 30\nname: 乙公司\n",
        "b-second": H + "invoices:\n  - {id: INV-1, issued: 2025-02-30, amount: 0}\n  - {id: INV-1, amount: 5}\n",
    }, settings="format: 1\ncreditor: {name: 测试}\nlanguage: fr\n")
    assert check(root) == (1, [
        "debtors/a-first.yaml:3:1: YAML: duplicate key 'name' (first at line 1)",
        "debtors/b-second.yaml:4:17: invoices[0].issued: not a date: '2025-02-30'",
        "debtors/b-second.yaml:4:37: invoices[0].amount: must be greater than 0, got 0.00",
        "debtors/b-second.yaml:5:5: invoices[1].issued: required but missing",
        "debtors/c-third.yaml:3:1: credit_limit: amount has more than 2 decimals: '1.005'",
        "dunning.yaml:3:1: language: input should be 'zh' or 'en', got 'fr'",
    ])


def test_a_broken_dunning_yaml_does_not_make_every_collector_unknown(write_ledger: WriteLedger) -> None:
    # One mistake in the settings is one error; the debtors' collectors are still those it names.
    settings = "format: 1\ncreditor: {name: 测试}\ncollectors: {zhang.san: 张三}\nwarn_days: -1\n"
    root = write_ledger({"a": H + "collector: zhang.san\n", "b": H + "collector: zhang.san\n"}, settings=settings)
    assert check(root) == (1, ["dunning.yaml:4:1: warn_days: input should be greater than or equal to 0, got -1"])


# ---------------------------------------------------------------------------------------------
# a broken copy of the sample ledger: every error, where it is


class Sample:
    """Edits of the sample copy, each returning where the edited text now is (line, column)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, debtor_id: str) -> Path:
        return self.root / "debtors" / f"{debtor_id}.yaml"

    def replace(self, debtor_id: str, old: str, new: str, *, count: int = 1) -> str:
        text = self.path(debtor_id).read_text(encoding="utf-8")
        assert text.count(old) == count, f"{debtor_id}: {old!r} found {text.count(old)} times"
        text = text.replace(old, new)
        self.path(debtor_id).write_text(text, encoding="utf-8")
        return text

    @staticmethod
    def where(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
        at = text.index(needle) + offset
        return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1

    @staticmethod
    def event_index(text: str, line: int) -> int:
        """The index in `events` of the event holding this line."""
        lines = text.splitlines()
        start = lines.index("events:")
        return sum(1 for row in lines[start + 1: line] if row.startswith("  - ")) - 1


def test_a_broken_copy_of_the_sample_lists_every_error(sample_copy: Path) -> None:
    sample = Sample(sample_copy)
    expected = []

    # two schema errors in one file: both listed
    text = sample.replace("shenyang-heavy", "    amount: 120000.00\n", "    amount: 120000.005\n")
    text = sample.replace("shenyang-heavy", "    issued: 2026-08-14\n", "    issued: 2026-02-30\n")
    line, column = sample.where(text, "amount: 120000.005")
    expected.append(f"debtors/shenyang-heavy.yaml:{line}:{column}: invoices[0].amount: amount has more than 2 "
                    "decimals: '120000.005'")
    line, column = sample.where(text, "issued: 2026-02-30")
    expected.append(f"debtors/shenyang-heavy.yaml:{line}:{column}: invoices[1].issued: not a date: '2026-02-30'")

    # a typo: the key is unknown and the amount missing
    text = sample.replace("harbin-beifang", "    amount: 150000.00\n", "    ammount: 150000.00\n")
    line, column = sample.where(text, "  - id: INV-2025-088", 4)
    expected.append(f"debtors/harbin-beifang.yaml:{line}:{column}: invoices[0].amount: required but missing")
    line, column = sample.where(text, "ammount")
    expected.append(f"debtors/harbin-beifang.yaml:{line}:{column}: invoices[0].ammount: unknown key 'ammount' "
                    "(did you mean 'amount'?)")

    # a letter delivered two days before it was posted
    text = sample.replace("anshan-xinda", "    delivered: 2026-08-20\n", "    delivered: 2026-08-16\n")
    line, column = sample.where(text, "delivered: 2026-08-16")
    expected.append(f"debtors/anshan-xinda.yaml:{line}:{column}: events[{sample.event_index(text, line)}].delivered: "
                    "delivered 2026-08-16 before it was sent on 2026-08-18")

    # a collector dunning.yaml does not know
    text = sample.replace("benxi-taihe", "collector: li.si\n", "collector: zhao.liu\n")
    line, column = sample.where(text, "collector: zhao.liu")
    expected.append(f"debtors/benxi-taihe.yaml:{line}:{column}: collector: unknown collector 'zhao.liu' "
                    "(dunning.yaml collectors: zhang.san, li.si, wang.fang)")

    # an invoice id another debtor already uses (its payments follow the new id)
    text = sample.replace("qingdao-ruihai", "INV-2026-022", "INV-2026-033", count=2)
    line, column = sample.where(text, "  - id: INV-2026-033", 4)
    expected.append(f"debtors/qingdao-ruihai.yaml:{line}:{column}: invoices[0].id: invoice id 'INV-2026-033' is "
                    "already used in debtors/jinzhou-xinhui.yaml")

    # an event appended out of time order
    path = sample.path("tangshan-hongye")
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and "\nevents:\n" in text
    text += "  - at: 2023-01-05\n    type: note\n    summary: 补记\n"
    path.write_text(text, encoding="utf-8")
    line = len(text.splitlines()) - 2
    expected.append(f"debtors/tangshan-hongye.yaml:{line}:5: events[{sample.event_index(text, line)}].at: 2023-01-05 "
                    "is earlier than the event before it: events are kept in time order (append new events at the "
                    "end)")

    # saved as GBK by an old editor
    path = sample.path("yantai-lanhai")
    text = path.read_text(encoding="utf-8")
    name = re.search(r"^name: (.+)$", text, re.MULTILINE)
    assert name is not None
    path.write_bytes(text[: name.start(1)].encode() + name[1].encode("gbk") + text[name.end(1):].encode())
    line, column = sample.where(text, name[0], len("name: "))
    expected.append(f"debtors/yantai-lanhai.yaml:{line}:{column}: not UTF-8: byte 0x{name[1].encode('gbk')[0]:02x} "
                    "cannot be read; save the file as UTF-8 (GBK and GB2312 are not accepted)")

    code, lines = check(sample_copy)
    assert lines == sorted(expected)
    assert code == 1
    # and a second time, now that a cache exists: the same list
    assert check(sample_copy) == (1, sorted(expected))


def test_dates_out_of_range_are_located_errors_not_tracebacks(write_ledger: WriteLedger) -> None:
    # Year 1 and 9999 used to pass and then overflow: a due date past 9999, an offset before year 1.
    root = write_ledger({
        "far": H + "invoices:\n  - {id: INV-1, issued: 9999-12-20, amount: 100.00}\n",
        "early": H + "events:\n  - {at: 0001-01-01T00:30:00+09:00, type: call, by: zhang.san}\n",
        "quoted": H + "events:\n  - {at: '1899-12-31', type: note}\n",
    })
    assert check(root) == (1, [
        "debtors/early.yaml:4:6: events[0].at: 0001-01-01T00:30:00+09:00 is out of range (1900-01-01 to 2999-12-31)",
        "debtors/far.yaml:4:17: invoices[0].issued: 9999-12-20 is out of range (1900-01-01 to 2999-12-31)",
        "debtors/quoted.yaml:4:6: events[0].at: 1899-12-31 is out of range (1900-01-01 to 2999-12-31)",
    ])
    result = runner.invoke(app, ["age", "--ledger", str(root)])
    assert result.exit_code == 1 and "out of range" in result.output and "Traceback" not in result.output
