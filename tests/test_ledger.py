"""Every rule of the ledger format and every message of the loader has an input that produces it.

hledger's habit: each message is asserted exactly as `dunning check` prints it, with the file, line and
column a user's editor jumps to, and the exit code (1: the ledger has errors; 2: no ledger at all).
Rules of dunning/model.py and dunning/ledger.py (and the file-level ones of dunning/cache.py) are here;
the cross-file checks of dunning/checks.py are in test_check.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning.cli.app import app
from dunning.ledger import load_ledger
from dunning.model import Debtor
from dunning.model import credit_code_check_char
from dunning.model import parse_money

runner = CliRunner()

Files = dict[str, str | bytes]
WriteLedger = Callable[..., Path]

# Lines 1-2 of most debtor files below; the case's own lines start at line 3.
H = "name: 甲公司\nterms_days: 30\n"
KNOWN_TYPES = ("call, visit, wechat, sms, email, letter, payment, credit, plan, acknowledgment, dispute, resolve, "
               "legal, guarantor_demand, status, note")


@pytest.fixture(autouse=True)
def _no_ledger_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUNNING_LEDGER", raising=False)


def dunning(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def check(root: Path, *args: str) -> tuple[int, list[str]]:
    code, out, err = dunning("check", "--ledger", str(root), *args)
    assert err == "", err
    return code, out.splitlines()


def debtor(text: str | bytes) -> Files:
    return {"x": text}


# ---------------------------------------------------------------------------------------------
# the debtor file: (case, files, every line `dunning check` prints)

DEBTOR_RULES: list[tuple[str, Files, list[str]]] = [
    # amounts (model.parse_money, _positive, _non_negative)
    ("amount-not-a-number", debtor(H + "credit_limit: 五万\n"),
     ["debtors/x.yaml:3:1: credit_limit: not an amount: '五万'"]),
    ("amount-bool", debtor(H + "credit_limit: true\n"),
     ["debtors/x.yaml:3:1: credit_limit: not an amount: 'True'"]),
    ("amount-list", debtor(H + "credit_limit: [50000]\n"),
     ["debtors/x.yaml:3:1: credit_limit: not an amount: [50000]"]),
    ("amount-too-large", debtor(H + "credit_limit: 1000000000000000\n"),
     ["debtors/x.yaml:3:1: credit_limit: amount too large: '1000000000000000'"]),
    ("amount-negative", debtor(H + "credit_limit: -1\n"),
     ["debtors/x.yaml:3:1: credit_limit: must not be negative, got -1.00"]),
    ("amount-three-decimals", debtor(H + "invoices:\n  - id: INV-1\n    issued: 2025-01-01\n    amount: 100.005\n"),
     ["debtors/x.yaml:6:5: invoices[0].amount: amount has more than 2 decimals: '100.005'"]),
    ("amount-zero", debtor(H + "invoices:\n  - id: INV-1\n    issued: 2025-01-01\n    amount: 0\n"),
     ["debtors/x.yaml:6:5: invoices[0].amount: must be greater than 0, got 0.00"]),
    ("payment-negative", debtor(H + "events:\n  - at: 2025-03-01\n    type: payment\n    amount: -5\n"),
     ["debtors/x.yaml:6:5: events[0].amount: must be greater than 0, got -5.00"]),
    ("promise-three-decimals", debtor(H + "events:\n  - at: 2025-03-01\n    type: call\n"
                                      "    promise: {date: 2025-03-31, amount: 0.125}\n"),
     ["debtors/x.yaml:6:33: events[0].promise.amount: amount has more than 2 decimals: '0.125'"]),
    # dates (parse_date, parse_moment)
    ("date-impossible", debtor(H + "invoices:\n  - id: INV-1\n    issued: 2025-02-30\n    amount: 100\n"),
     ["debtors/x.yaml:5:5: invoices[0].issued: not a date: '2025-02-30'"]),
    ("date-slashes", debtor(H + "invoices:\n  - id: INV-1\n    issued: 2025/01/01\n    amount: 100\n"),
     ["debtors/x.yaml:5:5: invoices[0].issued: not a date: '2025/01/01'"]),
    ("date-with-time", debtor(H + "invoices:\n  - id: INV-1\n    issued: 2025-01-01T10:00:00\n    amount: 100\n"),
     ["debtors/x.yaml:5:5: invoices[0].issued: not a date (a date has no time): '2025-01-01T10:00:00'"]),
    ("at-words", debtor(H + "events:\n  - at: 昨天\n    type: note\n"),
     ["debtors/x.yaml:4:5: events[0].at: not a date or date-time: '昨天'"]),
    ("at-impossible", debtor(H + "events:\n  - at: 2025-02-30T10:00:00\n    type: note\n"),
     ["debtors/x.yaml:4:5: events[0].at: not a date or date-time: '2025-02-30T10:00:00'"]),
    ("due-before-issued", debtor(H + "invoices:\n  - id: INV-1\n    issued: 2025-02-01\n    due: 2025-01-31\n"
                                 "    amount: 100\n"),
     ["debtors/x.yaml:4:5: invoices[0]: due 2025-01-31 is before issued 2025-02-01"]),
    ("no-due-no-terms", debtor("name: 甲公司\ninvoices:\n  - {id: INV-1, issued: 2025-01-01, amount: 100}\n"),
     ["debtors/x.yaml:1:1: invoices[0] (INV-1) has no due date and the debtor no terms_days"]),
    # codes
    ("currency-code", debtor(H + "invoices:\n  - id: INV-1\n    issued: 2025-01-01\n    amount: 100\n"
                             "    currency: rmb\n"),
     ["debtors/x.yaml:7:5: invoices[0].currency: not an ISO 4217 currency code: 'rmb'"]),
    ("credit-code-length", debtor(H + "credit_code: 91210106MA030LCC1\n"),
     ["debtors/x.yaml:3:1: credit_code: a unified social credit code has 18 characters, got 17: "
      "'91210106MA030LCC1'"]),
    ("credit-code-character", debtor(H + "credit_code: 91210106MA030LCCI0\n"),
     ["debtors/x.yaml:3:1: credit_code: character 'I' is not allowed in a unified social credit code: "
      "'91210106MA030LCCI0'"]),
    # keys
    ("unknown-key-typo", debtor(H + "invoices:\n  - id: INV-1\n    issued: 2025-01-01\n    ammount: 100\n"),
     ["debtors/x.yaml:4:5: invoices[0].amount: required but missing",
      "debtors/x.yaml:6:5: invoices[0].ammount: unknown key 'ammount' (did you mean 'amount'?)"]),
    ("unknown-key", debtor(H + "备注: 老客户\n"),
     ["debtors/x.yaml:3:1: 备注: unknown key '备注'"]),
    ("missing-name", debtor("terms_days: 30\n"),
     ["debtors/x.yaml:1:1: name: required but missing"]),
    ("missing-invoice-id", debtor(H + "invoices:\n  - issued: 2025-01-01\n    amount: 100\n"),
     ["debtors/x.yaml:4:5: invoices[0].id: required but missing"]),
    ("evidence-key-typo", debtor(H + "events:\n  - at: 2025-03-01\n    type: note\n"
                                 "    evidence: [{path: evidence/x/a.pdf, sha: 00ff}]\n"),
     ["debtors/x.yaml:6:41: events[0].evidence[0].sha: unknown key 'sha' (did you mean 'sha256'?)"]),
    ("events-not-last", debtor(H + "events: []\ninvoices: []\n"),
     ["debtors/x.yaml:3:1: events: must be the last key (found 'invoices' after it), so new events can be "
      "appended at the end of the file"]),
    # wrong types
    ("terms-days-negative", debtor("name: 甲公司\nterms_days: -1\n"),
     ["debtors/x.yaml:2:1: terms_days: input should be greater than or equal to 0, got -1"]),
    ("terms-days-too-long", debtor("name: 甲公司\nterms_days: 3651\n"),
     ["debtors/x.yaml:2:1: terms_days: input should be less than or equal to 3650, got 3651"]),
    ("terms-days-words", debtor("name: 甲公司\nterms_days: 三十\n"),
     ["debtors/x.yaml:2:1: terms_days: input should be a valid integer, unable to parse string as an integer, "
      "got '三十'"]),
    ("terms-days-fraction", debtor("name: 甲公司\nterms_days: 30.5\n"),
     ["debtors/x.yaml:2:1: terms_days: input should be a valid integer, got a number with a fractional part, "
      "got 30.5"]),
    # `12:30` is text, not the sexagesimal 750 of YAML 1.1
    ("terms-days-sexagesimal", debtor("name: 甲公司\nterms_days: 12:30\n"),
     ["debtors/x.yaml:2:1: terms_days: input should be a valid integer, unable to parse string as an integer, "
      "got '12:30'"]),
    ("string-is-list", debtor(H + "industry: [机械]\n"),
     ["debtors/x.yaml:3:1: industry: input should be a valid string, got 'list'"]),
    ("list-is-string", debtor(H + "contacts: 王建国\n"),
     ["debtors/x.yaml:3:1: contacts: input should be a valid list, got '王建国'"]),
    ("mapping-is-string", debtor(H + "contacts: [王建国]\n"),
     ["debtors/x.yaml:3:12: contacts[0]: input should be a valid dictionary or instance of contact, got '王建国'"]),
    ("bool-is-word", debtor(H + "contacts:\n  - name: 王建国\n    decision_maker: maybe\n"),
     ["debtors/x.yaml:5:5: contacts[0].decision_maker: input should be a valid boolean, unable to interpret "
      "input, got 'maybe'"]),
    # choices and bounds
    ("guarantee-kind-and-period", debtor(H + "guarantees:\n  - guarantor: 沈阳担保有限公司\n    kind: personal\n"
                                         "    period_months: 0\n"),
     ["debtors/x.yaml:5:5: guarantees[0].kind: input should be 'joint' or 'general', got 'personal'",
      "debtors/x.yaml:6:5: guarantees[0].period_months: input should be greater than or equal to 1, got 0"]),
    ("guarantee-period-too-long", debtor(H + "guarantees:\n  - {guarantor: 沈阳担保有限公司, kind: joint, "
                                         "period_months: 37}\n"),
     ["debtors/x.yaml:4:40: guarantees[0].period_months: input should be less than or equal to 36, got 37"]),
    ("event-type-typo", debtor(H + "events:\n  - at: 2025-03-01\n    type: payement\n    amount: 100\n"),
     [f"debtors/x.yaml:5:5: events[0].type: unknown event type 'payement' (did you mean 'payment'? known: "
      f"{KNOWN_TYPES})"]),
    ("event-type-unknown", debtor(H + "events:\n  - at: 2025-03-01\n    type: 吃饭\n"),
     [f"debtors/x.yaml:5:5: events[0].type: unknown event type '吃饭' (known: {KNOWN_TYPES})"]),
    ("event-without-type", debtor(H + "events:\n  - at: 2025-03-01\n    summary: 电话\n"),
     ["debtors/x.yaml:4:5: events[0].type: an event needs a `type`"]),
    ("contact-outcome", debtor(H + "events:\n  - at: 2025-03-01\n    type: call\n    outcome: happy\n"),
     ["debtors/x.yaml:6:5: events[0].outcome: input should be 'reached', 'no_answer', 'refused', 'promise', "
      "'dispute', 'wrong_contact' or 'left_message', got 'happy'"]),
    ("legal-action", debtor(H + "events:\n  - at: 2025-03-01\n    type: legal\n    action: sued\n"),
     ["debtors/x.yaml:6:5: events[0].action: input should be 'filed', 'judgment' or 'concluded', got 'sued'"]),
    ("status", debtor(H + "events:\n  - at: 2025-03-01\n    type: status\n    status: dead\n"),
     ["debtors/x.yaml:6:13: events[0].status: input should be 'active', 'hold', 'bankrupt', 'deregistered', "
      "'closed' or 'written_off', got 'dead'"]),
    ("plan-empty", debtor(H + "events:\n  - at: 2025-03-01\n    type: plan\n    installments: []\n"),
     ["debtors/x.yaml:6:5: events[0].installments: list should have at least 1 item after validation, not 0, "
      "got 'list'"]),
    ("plan-out-of-order", debtor(H + "events:\n  - at: 2025-03-01\n    type: plan\n    installments:\n"
                                 "      - {due: 2025-05-01, amount: 100}\n      - {due: 2025-04-01, amount: 100}\n"),
     ["debtors/x.yaml:6:5: events[0].installments: installments out of date order: 2025-04-01 after 2025-05-01"]),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in DEBTOR_RULES], ids=[c[0] for c in DEBTOR_RULES])
def test_each_rule_of_a_debtor_file_has_its_message_at_its_place(
        write_ledger: WriteLedger, files: Files, expected: list[str]) -> None:
    code, lines = check(write_ledger(files))
    assert lines == expected
    assert code == 1


# ---------------------------------------------------------------------------------------------
# dunning.yaml (Settings)

S = "format: 1\ncreditor: {name: 测试}\n"  # lines 1-2; the case's own line is line 3

SETTINGS_RULES: list[tuple[str, str, list[str]]] = [
    ("format", "format: 2\ncreditor: {name: 测试}\n", ["dunning.yaml:1:1: format: input should be 1, got 2"]),
    ("creditor-missing", "format: 1\n", ["dunning.yaml:1:1: creditor: required but missing"]),
    ("creditor-name-missing", "format: 1\ncreditor: {name_en: Test}\n",
     ["dunning.yaml:2:11: creditor.name: required but missing"]),
    ("unknown-key", S + "colectors: {zhang.san: 张三}\n",
     ["dunning.yaml:3:1: colectors: unknown key 'colectors' (did you mean 'collectors'?)"]),
    ("timezone", S + "timezone: Asia/Shenyang\n",
     ["dunning.yaml:3:1: timezone: unknown time zone: 'Asia/Shenyang'"]),
    ("currency", S + "currency: rmb\n", ["dunning.yaml:3:1: currency: not an ISO 4217 currency code: 'rmb'"]),
    ("language", S + "language: fr\n", ["dunning.yaml:3:1: language: input should be 'zh' or 'en', got 'fr'"]),
    ("buckets-none", S + "buckets: {}\n", ["dunning.yaml:3:1: buckets: at least one bucket is needed"]),
    ("buckets-current", S + "buckets: {current: 30, C: null}\n",
     ["dunning.yaml:3:1: buckets: 'current' is reserved for what is not yet overdue"]),
    ("buckets-closed", S + "buckets: {A: 30, B: 60}\n",
     ["dunning.yaml:3:1: buckets: the last bucket must be open-ended (null)"]),
    ("buckets-order", S + "buckets: {A: 60, B: 30, C: null}\n",
     ["dunning.yaml:3:1: buckets: bucket B: upper bounds must increase, got 30"]),
    ("call-window", S + "call_window: 9-11\n",
     ["dunning.yaml:3:1: call_window: not a time range HH:MM-HH:MM: '9-11'"]),
    ("contact-hours-reversed", S + 'contact_hours: "21:00-08:00"\n',
     ["dunning.yaml:3:1: contact_hours: not a time range HH:MM-HH:MM: '21:00-08:00'"]),
    ("warn-days", S + "warn_days: -1\n",
     ["dunning.yaml:3:1: warn_days: input should be greater than or equal to 0, got -1"]),
    ("agenda-daily-cap", S + "agenda:\n  max_contacts_per_day: 0\n  call_minutes: 241\n",
     ["dunning.yaml:4:3: agenda.max_contacts_per_day: input should be greater than or equal to 1, got 0",
      "dunning.yaml:5:3: agenda.call_minutes: input should be less than or equal to 240, got 241"]),
    ("agenda-weekly-cap", S + "agenda: {max_contacts_per_week: 0}\n",
     ["dunning.yaml:3:10: agenda.max_contacts_per_week: input should be greater than or equal to 1, got 0"]),
    ("collectors-list", S + "collectors: [张三]\n",
     ["dunning.yaml:3:1: collectors: input should be a valid dictionary, got 'list'"]),
    ("empty", "", ["dunning.yaml:1:1: empty file: dunning.yaml needs `format: 1` and `creditor:`"]),
    ("list", "- format: 1\n", ["dunning.yaml:1:1: dunning.yaml must be a mapping of keys, found a list"]),
]


@pytest.mark.parametrize(("settings", "expected"), [c[1:] for c in SETTINGS_RULES],
                         ids=[c[0] for c in SETTINGS_RULES])
def test_each_rule_of_the_settings_has_its_message_at_its_place(
        write_ledger: WriteLedger, settings: str, expected: list[str]) -> None:
    code, lines = check(write_ledger(settings=settings))
    assert lines == expected
    assert code == 1


# ---------------------------------------------------------------------------------------------
# broken files: bytes, YAML syntax, duplicates, aliases (dunning.ledger.parse_yaml)

GBK = "甲公司".encode("gbk")

FILE_RULES: list[tuple[str, Files, list[str]]] = [
    ("non-utf8", debtor(b"terms_days: 30\nname: " + GBK + b"\n"),
     [f"debtors/x.yaml:2:7: not UTF-8: byte 0x{GBK[0]:02x} cannot be read; save the file as UTF-8 (GBK and "
      "GB2312 are not accepted)"]),
    ("nul", debtor(H + "region: 辽宁\x00沈阳\n"), ["debtors/x.yaml:3:1: contains a NUL character: not a text file"]),
    ("empty", debtor(""), ["debtors/x.yaml:1:1: empty file: a debtor file needs at least `name:`"]),
    ("only-comments", debtor("# 甲公司\n\n"), ["debtors/x.yaml:1:1: empty file: a debtor file needs at least `name:`"]),
    ("a-list", debtor("- name: 甲公司\n"),
     ["debtors/x.yaml:1:1: a debtor file must be a mapping of keys, found a list"]),
    ("a-string", debtor("甲公司\n"), ["debtors/x.yaml:1:1: a debtor file must be a mapping of keys, found a str"]),
    ("indentation", debtor("name: 甲公司\n  terms_days: 30\n"),
     ["debtors/x.yaml:2:13: YAML: mapping values are not allowed here"]),
    ("unclosed-quote", debtor("name: '甲公司\nterms_days: 30\n"),
     ["debtors/x.yaml:3:1: YAML: while scanning a quoted scalar: found unexpected end of stream"]),
    ("tab", debtor("name: 甲公司\n\tterms_days: 30\n"),
     ["debtors/x.yaml:2:1: YAML: while scanning for the next token: found character '\\t' that cannot start "
      "any token"]),
    ("undefined-alias", debtor(H + "region: *nowhere\n"),
     ["debtors/x.yaml:3:9: YAML: found undefined alias 'nowhere'"]),
    ("duplicate-key", debtor("name: 甲公司\nterms_days: 30\nname: 乙公司\n"),
     ["debtors/x.yaml:3:1: YAML: duplicate key 'name' (first at line 1)"]),
    ("duplicate-nested-key", debtor(H + "invoices:\n  - id: INV-1\n    issued: 2025-01-01\n    amount: 100\n"
                                    "    amount: 200\n"),
     ["debtors/x.yaml:7:5: YAML: duplicate key 'amount' (first at line 6)"]),
    # a complex key (found by the fuzzer: it was a TypeError traceback)
    ("mapping-as-key", debtor("? x: \nname: 甲公司\n"),
     ["debtors/x.yaml:1:3: YAML: a key must be text, not a mapping or a list"]),
    ("list-as-key", debtor(H + "? [a, b]\n: 1\n"),
     ["debtors/x.yaml:3:3: YAML: a key must be text, not a mapping or a list"]),
    ("mapping-as-key-with-alias", debtor(H + "? {x: &a 1}\n: *a\n"),
     ["debtors/x.yaml:3:3: YAML: a key must be text, not a mapping or a list"]),
    ("nested-too-deep", debtor(H + "region: " + "[" * 1000 + "]" * 1000 + "\n"),
     ["debtors/x.yaml:3:49: YAML: nested deeper than 40 levels"]),
    # PyYAML reads it, yaml-rs does not: yaml-rs's reason is reported (it gives no position)
    ("refused-by-yaml-rs", debtor(H + "region: !!timestamp 2025-01-01\n"),
     ["debtors/x.yaml:1:1: YAML: Invalid tag: '!!timestamp'"]),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in FILE_RULES], ids=[c[0] for c in FILE_RULES])
def test_each_broken_file_has_its_message_at_its_place(
        write_ledger: WriteLedger, files: Files, expected: list[str]) -> None:
    code, lines = check(write_ledger(files))
    assert lines == expected
    assert code == 1


@pytest.mark.parametrize("literal", [".inf", "-.INF"])
def test_an_infinite_amount_is_named_as_written_not_nan(write_ledger: WriteLedger, literal: str) -> None:
    code, lines = check(write_ledger(debtor(H + f"credit_limit: {literal}\n")))
    assert len(lines) == 1
    # the value as written or as Decimal names it, never 'NaN'
    shown = r"'[-+]?\.?(inf|Inf|INF|Infinity)'"
    assert re.fullmatch(r"debtors/x\.yaml:3:1: credit_limit: not an amount: " + shown, lines[0])
    assert code == 1


def test_a_not_a_number_amount(write_ledger: WriteLedger) -> None:
    code, lines = check(write_ledger(debtor(H + "credit_limit: .nan\n")))
    assert re.fullmatch(r"debtors/x\.yaml:3:1: credit_limit: not an amount: '(\.nan|nan|NaN)'", lines[0])
    assert (code, len(lines)) == (1, 1)


def test_a_file_over_5_mb_is_refused_before_parsing(write_ledger: WriteLedger) -> None:
    code, lines = check(write_ledger(debtor(H + "# " + "甲" * (2 * 1024 * 1024) + "\n")))
    assert lines == ["debtors/x.yaml:1:1: file is 6 MB; a ledger file may hold at most 5 MB"]
    assert code == 1


def test_non_utf8_column_counts_characters_like_every_other_message(write_ledger: WriteLedger) -> None:
    # `region: 辽宁/` is 11 characters (15 bytes): the first GBK byte is the 12th character, as PyYAML
    # would count it for any other error on that line.
    code, lines = check(write_ledger(debtor(H.encode() + "region: 辽宁/".encode() + "沈阳".encode("gbk") + b"\n")))
    assert lines == [f"debtors/x.yaml:3:12: not UTF-8: byte 0x{'沈'.encode('gbk')[0]:02x} cannot be read; save "
                     "the file as UTF-8 (GBK and GB2312 are not accepted)"]
    assert code == 1


def billion_laughs(aliases_per_level: int, levels: int = 9) -> str:
    lines = ["lol0: &l0 [哈, 哈, 哈, 哈, 哈, 哈, 哈, 哈, 哈, 哈]"]
    lines += [f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * aliases_per_level) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_the_alias_over_the_limit(write_ledger: WriteLedger) -> None:
    # 9 levels of 25 aliases: 225 aliases; the 201st is the first of level 9, on line 3 + 9 = 12.
    text = H + billion_laughs(25)
    started = time.perf_counter()
    code, lines = check(write_ledger(debtor(text)))
    assert time.perf_counter() - started < 5
    column = text.splitlines()[11].index("*") + 1
    assert lines == [f"debtors/x.yaml:12:{column}: YAML: more than 200 aliases: refused (alias bomb?)"]
    assert code == 1


def test_aliases_under_the_limit_are_never_expanded(write_ledger: WriteLedger) -> None:
    # 10**9 leaves if expanded; used as the value of validated fields it must fail fast, not blow up.
    text = H + billion_laughs(10).replace("lol9:", "contacts:") + "region: *l9\n"
    started = time.perf_counter()
    code, lines = check(write_ledger(debtor(text)))
    assert time.perf_counter() - started < 5
    assert code == 1
    assert len(lines) < 100
    # reported at the key `region` of `region: *l9` (line 13)
    assert lines[-1] == "debtors/x.yaml:13:1: region: input should be a valid string, got 'list'"
    assert all(line.startswith("debtors/x.yaml:") for line in lines)


# ---------------------------------------------------------------------------------------------
# files that are not debtor files (dunning.cache.load_debtors)


def test_a_file_name_that_is_not_an_id_is_an_error(write_ledger: WriteLedger) -> None:
    code, lines = check(write_ledger({"Shenyang_Heavy": H}))
    assert lines == ["debtors/Shenyang_Heavy.yaml:1:1: file name 'Shenyang_Heavy.yaml' is not a debtor id: use "
                     "lower-case letters, digits and '-' (e.g. shenyang-heavy.yaml)"]
    assert code == 1


def test_a_folder_or_a_symbolic_link_is_not_a_debtor_file(write_ledger: WriteLedger, tmp_path: Path) -> None:
    root = write_ledger({"real": H})
    (root / "debtors" / "folder.yaml").mkdir()
    outside = tmp_path / "outside.yaml"
    outside.write_text(H, encoding="utf-8")
    (root / "debtors" / "link.yaml").symlink_to(outside)
    code, lines = check(root)
    message = "not a plain file (a symbolic link or a folder): debtor files must be plain files inside the ledger"
    assert lines == [f"debtors/folder.yaml:1:1: {message}", f"debtors/link.yaml:1:1: {message}"]
    assert code == 1


# ---------------------------------------------------------------------------------------------
# finding the ledger (dunning.ledger.find_ledger) and reading one debtor (load_debtor, via `show`)


def test_a_folder_without_dunning_yaml_is_not_a_ledger(tmp_path: Path) -> None:
    code, out, err = dunning("check", "--ledger", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"{tmp_path}:1:1: not a ledger: no dunning.yaml in {tmp_path}\n"


def test_no_ledger_here_or_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = dunning("check")
    assert (code, out) == (2, "")
    assert err == (f"{tmp_path.resolve()}:1:1: no ledger found: no dunning.yaml here or in any parent folder (use "
                   "--ledger DIR, set DUNNING_LEDGER, or create one with `dunning init`)\n")


def test_the_ledger_is_found_upward_and_from_the_environment(
        write_ledger: WriteLedger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_ledger({"x": H + "credit_limit: -1\n"})
    monkeypatch.chdir(root / "debtors")
    assert dunning("check")[:2] == (1, "debtors/x.yaml:3:1: credit_limit: must not be negative, got -1.00\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUNNING_LEDGER", str(root))
    assert dunning("check")[0] == 1


@pytest.mark.parametrize("debtor_id", ["../x", "Shenyang", "a b", "x_y"])
def test_show_refuses_an_id_that_is_not_a_slug(write_ledger: WriteLedger, debtor_id: str) -> None:
    code, _, err = dunning("show", debtor_id, "--ledger", str(write_ledger({"x": H})))
    assert code == 2
    assert err == (f"dunning: error: not a debtor id: '{debtor_id}' (use lower-case letters, digits and '-', "
                   "starting with a letter or digit)\n")


def test_show_names_an_unknown_debtor(write_ledger: WriteLedger) -> None:
    code, _, err = dunning("show", "nope", "--ledger", str(write_ledger({"x": H})))
    assert code == 2
    assert err == "dunning: error: unknown debtor 'nope' (no debtors/nope.yaml)\n"


def test_show_refuses_a_symbolic_link(write_ledger: WriteLedger) -> None:
    root = write_ledger({"x": H})
    (root / "debtors" / "y.yaml").symlink_to(root / "debtors" / "x.yaml")
    code, _, err = dunning("show", "y", "--ledger", str(root))
    assert code == 1
    assert "debtors/y.yaml:1:1: is a symbolic link; debtor files must be plain files inside the ledger" in err


# ---------------------------------------------------------------------------------------------
# no YAML surprises: what a person reads is what the ledger holds


def loaded(write_ledger: WriteLedger, text: str) -> Debtor:
    root = write_ledger({"x": text})
    code, lines = check(root)
    assert (code, lines) == (0, [])
    return load_ledger(root, cache=False).debtors["x"]


def test_yes_no_and_times_stay_text(write_ledger: WriteLedger) -> None:
    debtor_ = loaded(write_ledger, H + "region: NO\nevents:\n"
                     "  - {at: 2025-03-01, type: call, with: yes, summary: no, tracking: 12:30}\n"
                     "  - {at: 2025-03-02, type: note, summary: 1:30:00}\n")
    call, note = debtor_.events
    assert debtor_.region == "NO"
    assert (call.with_, call.summary, call.tracking) == ("yes", "no", "12:30")
    assert note.summary == "1:30:00"


def test_leading_zero_is_decimal_not_octal(write_ledger: WriteLedger) -> None:
    assert loaded(write_ledger, "name: 甲公司\nterms_days: 010\n").terms_days == 10


@pytest.mark.parametrize(("literal", "exact"), [
    ("0.10", "0.10"), ("0.1", "0.10"), ("100", "100.00"), ("9999999999999.99", "9999999999999.99"),
    ("123456789012345.67", "123456789012345.67"), ("100000000000000.01", "100000000000000.01"),
    ("'1,250,000.50'", "1250000.50"), ("1_000", "1000.00"), ("12345678901234.5", "12345678901234.50"),
    ("99999999999999.99", "99999999999999.99"), ("999999999999999.99", "999999999999999.99"),
])
def test_amounts_are_exact_decimals(write_ledger: WriteLedger, literal: str, exact: str) -> None:
    debtor_ = loaded(write_ledger, H + f"credit_limit: {literal}\ninvoices:\n"
                     f"  - {{id: INV-1, issued: 2025-01-01, amount: {literal}}}\n")
    for amount in (debtor_.credit_limit, debtor_.invoices[0].amount):
        assert type(amount) is Decimal
        assert str(amount) == exact


@pytest.mark.parametrize("quote", ["'", '"'])
def test_a_quoted_date_where_text_is_expected_stays_text(write_ledger: WriteLedger, quote: str) -> None:
    day = f"{quote}2025-04-30{quote}"
    debtor_ = loaded(write_ledger, H + f"region: {day}\nevents:\n  - at: {day}\n    type: payment\n"
                     f"    amount: 100\n    ref: {day}\n    summary: {day}\n")
    payment = debtor_.events[0]
    assert (debtor_.region, payment.ref, payment.summary) == ("2025-04-30",) * 3
    assert payment.at == date(2025, 4, 30)


def test_numbers_where_text_is_expected_keep_their_digits_or_are_refused(write_ledger: WriteLedger) -> None:
    # An invoice number 00123 or a contract 2025.10 must not silently become '123' or '2025.1' (a payment
    # naming invoice "00123" would then miss it): keep the text as written, or say where to quote it.
    root = write_ledger({"x": H + "invoices:\n  - {id: 00123, contract: 2025.10, issued: 2025-01-01, amount: 1}\n"})
    code, lines = check(root)
    if code == 0:
        invoice = load_ledger(root, cache=False).debtors["x"].invoices[0]
        assert (invoice.id, invoice.contract) == ("00123", "2025.10")
    else:
        assert code == 1
        assert [line.split(": ")[0] for line in lines] == ["debtors/x.yaml:4:10", "debtors/x.yaml:4:27"]


def test_a_byte_order_mark_and_crlf_line_ends_are_read(write_ledger: WriteLedger) -> None:
    assert loaded(write_ledger, "\ufeffname: 甲公司\r\nterms_days: 30\r\n").name == "甲公司"


def test_a_float_too_large_for_its_cents_is_refused_by_parse_money() -> None:
    # the loader reads such a literal again as a Decimal (test_amounts_are_exact_decimals); a float that
    # reaches parse_money anyway is refused rather than rounded
    assert parse_money(9999999999999.99) == Decimal("9999999999999.99")
    with pytest.raises(ValueError, match=r"^amount too long to read as a float: '99999999999999.98'$"):
        parse_money(99999999999999.99)


def test_credit_code_check_character_agrees_with_gb_32100() -> None:
    # GB 32100-2015: weights are 3**i mod 31 over the 31-character alphabet without I, O, S, V, Z.
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for first17 in ("91210106MA030LCC1", "91210102MA0E3PWQ0", "12100000400000398", "9111000010000000Y"):
        total = sum(alphabet.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
        assert credit_code_check_char(first17) == alphabet[-total % 31]
    assert credit_code_check_char("91210106MA030LCC1") == "0"


def test_a_wrong_check_character_is_a_warning_that_strict_makes_an_error(write_ledger: WriteLedger) -> None:
    # GB 32100-2015 verified; a typo in the check character must not stop collecting the debt (the
    # format's own example code fails it), so it is a warning, and `--strict` fails on it.
    root = write_ledger(debtor(H + "credit_code: 91210106MA030LCC11\n"))
    assert check(root) == (0, ["debtors/x.yaml:3:1: warning: credit_code: check character of '91210106MA030LCC11' "
                               "should be '0' (GB 32100-2015): a typo?"])
    assert check(root, "--strict")[0] == 1


def test_a_wrong_check_character_of_the_creditor_is_a_warning(write_ledger: WriteLedger) -> None:
    settings = "format: 1\ncreditor:\n  name: 测试\n  credit_code: 91210102MA0E3PWQ0L\n"
    assert check(write_ledger(settings=settings)) == (0, [
        "dunning.yaml:4:3: warning: creditor.credit_code: check character of '91210102MA0E3PWQ0L' should be 'K' "
        "(GB 32100-2015): a typo?"])
