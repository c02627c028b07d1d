"""An independent review of `dunning deadlines`: new dated cases derived by hand from the articles.

Each case writes a small ledger, runs `dunning deadlines -f json --all` and checks the JSON entry
(date, status, provisional, rule, and the basis words a lawyer would look for). The derivation is
in the comment above each test; the rules are those of design/limitation.md and docs/limitation.md.

Calendars used by hand (State Council notices):
  2023: National Day + Mid-Autumn 29 Sep - 6 Oct off; Sat 7 and Sun 8 Oct make-up working days.
  2024: Labour Day 1-5 May off; Sat 11 May make-up. 10 Mar 2024 an ordinary Sunday.
  2025: Spring Festival 28 Jan - 4 Feb off, Sun 26 Jan and Sat 8 Feb make-up; Qingming 4-6 Apr;
        Labour Day 1-5 May (Sun 27 Apr make-up); National Day 1-8 Oct (Sun 28 Sep, Sat 11 Oct make-up).
  2026: Labour Day 1-5 May; Sat 9 May make-up. 2027 onwards: not announced (provisional; weekends
        and 1 Jan, 1-2 May, 1-3 Oct only), as is the last week of December 2026.
  Germany (BGB 193, nationwide holidays only): 1 Jan; Easter 2028 is 16 April, so Whit Monday is
  5 June 2028 and Corpus Christi (a state holiday only) 15 June 2028; 25 and 26 December.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from dunning.cli.app import app

runner = CliRunner()

SETTINGS = """\
format: 1
creditor: {name: 辽宁测试贸易有限公司}
"""


def run_deadlines(tmp_path: Path, debtor: str, as_of: str) -> list[dict[str, Any]]:
    """Write one debtor `acme` into a fresh ledger and return every deadline entry as JSON."""
    root = tmp_path / f"ledger-{as_of}"
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors" / "acme.yaml").write_text(textwrap.dedent(debtor), encoding="utf-8")
    result = runner.invoke(app, ["deadlines", "--ledger", str(root), "--as-of", as_of, "-f", "json", "--all"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    document = json.loads(result.stdout)
    assert document["as_of"] == as_of
    entries: list[dict[str, Any]] = document["deadlines"]
    return entries


def pick(entries: list[dict[str, Any]], kind: str = "limitation", invoice: str | None = "A",
         guarantor: str | None = None) -> dict[str, Any]:
    found = [e for e in entries if e["kind"] == kind and e["invoice"] == invoice and e["guarantor"] == guarantor]
    assert len(found) == 1, entries
    return found[0]


def basis_has(entry: dict[str, Any], *words: str) -> bool:
    """Some basis line contains every one of `words`."""
    return any(all(w in line for w in words) for line in entry["basis"])


def cn(invoices: str, events: str = "", extra: str = "") -> str:
    """A CN debtor; `invoices` and `events` are YAML list items (two-space indented by the caller)."""
    body = textwrap.dedent(events)
    listed = textwrap.indent(textwrap.dedent(invoices), "  ")
    return ("name: 测试客户\n" + textwrap.dedent(extra) + "invoices:\n" + listed
            + "events:\n" + (textwrap.indent(body, "  ") if body.strip() else "  []\n"))


def foreign(jurisdiction: str, invoices: str, events: str = "") -> str:
    return cn(invoices, events, f"jurisdiction: {jurisdiction}\ncurrency: EUR\n")


CN_RULE = "CN Civil Code Art. 188, 195, 203"


# =============================================================================================
# PRC: interruption (Art. 195; SPC 2020 Art. 8), who it reaches and which invoices it concerns


def test_cn_payment_naming_a_smaller_invoice_overflows_to_the_oldest_other(tmp_path: Path) -> None:
    # A (1000, due 2022-03-10), B (1000, due 2022-01-10, the oldest), C (1000, due 2022-05-10).
    # 1200 paid 2023-08-15 naming A: 1000 closes A (no entry: limitation is per open invoice), the
    # 200 left goes to the oldest open invoice, B (ledger-format "Payment allocation").
    # B: a part payment applied to it is agreement to perform (Art. 195(2)): 2023-08-15 + 3 years
    #    = 2026-08-15, a Saturday -> Monday 2026-08-17 (Art. 203).
    # C: the payment was not applied to it: due 2022-05-10 -> 2025-05-10, a Saturday (no make-up
    #    day in May 2025 after the 5th) -> Monday 2025-05-12; expired as of 2026-01-01.
    debtor = cn("""\
    - {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}
    - {id: B, issued: 2021-12-10, due: 2022-01-10, amount: 1000}
    - {id: C, issued: 2022-04-10, due: 2022-05-10, amount: 1000}
    """, """\
    - {at: 2023-08-15, type: payment, amount: 1200, invoice: A}
    """)
    entries = run_deadlines(tmp_path, debtor, "2026-01-01")
    assert not [e for e in entries if e["kind"] == "limitation" and e["invoice"] == "A"]
    b = pick(entries, invoice="B")
    c = pick(entries, invoice="C")
    assert (b["date"], b["status"], b["amount"]) == ("2026-08-17", "open", "800.00")
    assert basis_has(b, "payment 2023-08-15", "applied to this invoice")
    assert (c["date"], c["status"], c["rule"]) == ("2025-05-12", "expired", CN_RULE)
    assert basis_has(c, "payment 2023-08-15", "not to this invoice")


def test_cn_credit_carried_from_an_overpayment_is_not_a_part_payment(tmp_path: Path) -> None:
    # A 1000 due 2023-01-10; 1500 paid 2023-01-20: 1000 closes A, 500 is unapplied credit. B (800,
    # issued 2023-02-01, due 2023-03-01) takes the 500 on its issue day; the debtor did not pay B
    # then, so nothing interrupts B (limitation.md: "credit carried from an earlier overpayment
    # does not count"). B: 2023-03-01 + 3 years = 2026-03-01, a Sunday -> Monday 2026-03-02;
    # 300 still open.
    debtor = cn("""\
    - {id: A, issued: 2022-12-01, due: 2023-01-10, amount: 1000}
    - {id: B, issued: 2023-02-01, due: 2023-03-01, amount: 800}
    """, """\
    - {at: 2023-01-20, type: payment, amount: 1500}
    """)
    b = pick(run_deadlines(tmp_path, debtor, "2026-01-01"), invoice="B")
    assert (b["date"], b["status"], b["amount"], b["days_left"]) == ("2026-03-02", "open", "300.00", 60)
    assert basis_has(b, "credit left from the payment of 2023-01-20")


def test_cn_recorded_demand_call_the_debtor_refused_still_reached_it(tmp_path: Path) -> None:
    # due 2022-03-10. A recorded demand call on 2023-06-12 in which the debtor refused to pay: the
    # demand reached the debtor (SPC 2020 Art. 8; a refusal is an answer, not a failure to reach):
    # runs anew -> 2026-06-12, a Friday. A recorded demand call on 2023-06-20 that only left a
    # message did not reach the debtor: not counted.
    debtor = cn("""\
    - {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}
    """, """\
    - {at: "2023-06-12T10:00:00+08:00", type: call, outcome: refused, demand: true, recorded: true}
    - {at: "2023-06-20T10:00:00+08:00", type: call, outcome: left_message, demand: true, recorded: true}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2026-06-12", "open")
    assert basis_has(a, "recorded call 2023-06-12", "runs anew")
    assert basis_has(a, "2023-06-20", "not counted", "left message")


def test_cn_recorded_call_not_marked_as_a_demand_does_not_interrupt(tmp_path: Path) -> None:
    # A call counts only with `demand: true` and a recording (docs table). A recorded call on
    # 2023-06-12 where the debtor was reached but no payment was demanded: no interruption.
    # due 2022-03-10 -> 2025-03-10, a Monday: expired as of 2026-01-01.
    debtor = cn("""\
    - {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}
    """, """\
    - {at: "2023-06-12T10:00:00+08:00", type: call, outcome: reached, recorded: true}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2025-03-10", "expired")
    assert basis_has(a, "call 2023-06-12", "not counted", "demand")


def test_cn_email_marked_not_a_demand_does_not_interrupt(tmp_path: Path) -> None:
    # An email is a demand by default, but this one says `demand: false` (a statement sent for
    # reconciliation): not a demand, no interruption. due 2022-03-10 -> 2025-03-10.
    debtor = cn("""\
    - {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}
    """, """\
    - {at: 2023-05-08, type: email, demand: false, summary: 对账单}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2025-03-10", "expired")
    assert basis_has(a, "email 2023-05-08", "not counted")


def test_cn_letter_delivered_on_the_rolled_last_day_interrupts(tmp_path: Path) -> None:
    # due 2022-03-15 -> 2025-03-15, a Saturday -> the last day is Monday 2025-03-17 (Art. 203). A
    # letter sent Friday 2025-03-14 and delivered Monday 2025-03-17 reached the debtor on the last
    # day, within the period: runs anew -> 2028-03-17, a Friday; 2028 not announced: provisional.
    debtor = cn("""\
    - {id: A, issued: 2022-02-15, due: 2022-03-15, amount: 1000}
    """, """\
    - {at: 2025-03-14, type: letter, via: courier, delivered: 2025-03-17}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"], a["provisional"]) == ("2028-03-17", "open", True)
    assert basis_has(a, "letter delivered 2025-03-17", "runs anew")


def test_cn_letter_sent_in_time_but_delivered_after_the_last_day(tmp_path: Path) -> None:
    # Same invoice: last day Monday 2025-03-17. A letter sent 2025-03-12 but delivered 2025-03-18
    # reached the debtor after expiry; the sending day does not count (SPC 2020 Art. 8: it must
    # reach the debtor), and a demand after expiry revives nothing (Art. 192): expired 2025-03-17.
    debtor = cn("""\
    - {id: A, issued: 2022-02-15, due: 2022-03-15, amount: 1000}
    """, """\
    - {at: 2025-03-12, type: letter, via: registered_mail, delivered: 2025-03-18}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2025-03-17", "expired")
    assert basis_has(a, "letter delivered 2025-03-18", "after expiry")



def test_cn_letter_delivered_after_the_as_of_date_does_not_count_yet(tmp_path: Path) -> None:
    # due 2022-03-15 -> 2025-03-15 (Saturday) -> Monday 2025-03-17. A letter sent 2025-03-10 and
    # delivered 2025-03-13: as of 2025-03-12 it has not reached the debtor, so the ledger as it
    # stood then shows the old last day, 5 days left; as of 2025-03-14 it counts -> 2028-03-13,
    # a Monday, provisional.
    debtor = cn("- {id: A, issued: 2022-02-15, due: 2022-03-15, amount: 1000}\n",
                "- {at: 2025-03-10, type: letter, via: ems, delivered: 2025-03-13}\n")
    before = pick(run_deadlines(tmp_path, debtor, "2025-03-12"))
    after = pick(run_deadlines(tmp_path, debtor, "2025-03-14"))
    assert (before["date"], before["days_left"], before["status"]) == ("2025-03-17", 5, "open")
    assert basis_has(before, "not counted as of 2025-03-12")
    assert (after["date"], after["status"], after["provisional"]) == ("2028-03-13", "open", True)

# =============================================================================================
# PRC: the Art. 203 roll on the official calendar


def test_cn_roll_ends_on_a_make_up_saturday(tmp_path: Path) -> None:
    # due 2020-10-06 -> 2023-10-06, a Friday inside the 2023 National Day holiday (29 Sep - 6 Oct);
    # Saturday 2023-10-07 is a make-up working day: the last day becomes that Saturday.
    # As of 2024-01-01: 86 days ago.
    debtor = cn("- {id: A, issued: 2020-09-06, due: 2020-10-06, amount: 1000}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2024-01-01"))
    assert (a["date"], a["status"], a["days_left"], a["provisional"]) == ("2023-10-07", "expired", -86, False)


def test_cn_make_up_sunday_of_spring_festival_2025_does_not_roll(tmp_path: Path) -> None:
    # due 2022-01-26 -> 2025-01-26, a Sunday but an official make-up working day: no roll.
    debtor = cn("- {id: A, issued: 2021-12-26, due: 2022-01-26, amount: 1000}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2024-06-01"))
    assert (a["date"], a["status"], a["provisional"]) == ("2025-01-26", "open", False)
    assert basis_has(a, "make-up working day")


def test_cn_spring_festival_2025_roll(tmp_path: Path) -> None:
    # due 2022-01-29 -> 2025-01-29, the second day of Spring Festival (28 Jan - 4 Feb off) ->
    # Wednesday 2025-02-05.
    debtor = cn("- {id: A, issued: 2021-12-29, due: 2022-01-29, amount: 1000}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2024-06-01"))
    assert (a["date"], a["provisional"]) == ("2025-02-05", False)


def test_cn_qingming_2025_roll(tmp_path: Path) -> None:
    # due 2022-04-05 -> 2025-04-05, a Saturday in Qingming (4-6 April 2025) -> Monday 2025-04-07.
    debtor = cn("- {id: A, issued: 2022-03-05, due: 2022-04-05, amount: 1000}\n")
    assert pick(run_deadlines(tmp_path, debtor, "2024-06-01"))["date"] == "2025-04-07"


def test_cn_last_week_of_december_2026_is_provisional(tmp_path: Path) -> None:
    # due 2023-12-31 -> 2026-12-31, a Thursday: no roll on what is known, but the 2027 notice may
    # still move New Year days into late December: provisional (limitation.md, provisional years).
    debtor = cn("- {id: A, issued: 2023-12-01, due: 2023-12-31, amount: 1000}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-11-28"))
    assert (a["date"], a["status"], a["provisional"], a["days_left"]) == ("2026-12-31", "open", True, 33)


def test_cn_new_year_2027_rolls_over_the_weekend_provisionally(tmp_path: Path) -> None:
    # due 2024-01-01 -> 2027-01-01, New Year's Day (fixed) and a Friday; Saturday 2 and Sunday 3 ->
    # Monday 2027-01-04, provisional; the basis gives the unrolled day to act by.
    debtor = cn("- {id: A, issued: 2023-12-01, due: 2024-01-01, amount: 1000}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-11-28"))
    assert (a["date"], a["provisional"]) == ("2027-01-04", True)
    assert basis_has(a, "act by 2027-01-01")


def test_cn_labour_day_2027_rolls_over_the_fixed_dates_only(tmp_path: Path) -> None:
    # due 2022-03-10; a part payment on 2024-05-01 (paid on a holiday) -> 2027-05-01, a Saturday
    # and Labour Day; Sunday 2 May is Labour Day too (fixed since 2025); Monday 3 May is no fixed
    # holiday (whatever the 2027 notice will say) -> 2027-05-03, provisional.
    debtor = cn("- {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}\n",
                "- {at: 2024-05-01, type: payment, amount: 100}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-11-28"))
    assert (a["date"], a["status"], a["provisional"]) == ("2027-05-03", "open", True)


# =============================================================================================
# PRC: instalments (Art. 189), waiver after expiry (Art. 192), legal action, long-stop


def test_cn_later_plan_with_an_earlier_last_instalment_replaces_the_first(tmp_path: Path) -> None:
    # due 2022-03-10. Signed plan 2023-01-10 with instalments to 2023-12-10; a later signed plan of
    # 2023-03-01 replaces it with instalments to 2023-06-30. docs rule 4: the later plan's last
    # instalment counts (the safer reading): 2023-06-30 + 3 years = 2026-06-30, a Tuesday.
    debtor = cn("- {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}\n", """\
    - at: 2023-01-10
      type: plan
      signed: true
      installments: [{due: 2023-06-10, amount: 500}, {due: 2023-12-10, amount: 500}]
    - at: 2023-03-01
      type: plan
      signed: true
      installments: [{due: 2023-04-30, amount: 500}, {due: 2023-06-30, amount: 500}]
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2026-06-30", "open")
    assert "Art. 189" in a["rule"]
    assert basis_has(a, "replaces the earlier plan")


def test_cn_plan_naming_one_invoice_leaves_the_other(tmp_path: Path) -> None:
    # A due 2022-03-10, B due 2022-04-10. A signed plan of 2023-01-10 for A only, last instalment
    # 2023-09-30: A runs from 2023-09-30 (Art. 189) -> 2026-09-30, a Wednesday (National Day 2026
    # starts 1 October). B: 2022-04-10 -> 2025-04-10, a Thursday: expired as of 2026-01-01.
    debtor = cn("""\
    - {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}
    - {id: B, issued: 2022-03-10, due: 2022-04-10, amount: 1000}
    """, """\
    - at: 2023-01-10
      type: plan
      signed: true
      invoices: [A]
      installments: [{due: 2023-06-30, amount: 500}, {due: 2023-09-30, amount: 500}]
    """)
    entries = run_deadlines(tmp_path, debtor, "2026-01-01")
    a = pick(entries, invoice="A")
    b = pick(entries, invoice="B")
    assert (a["date"], a["status"]) == ("2026-09-30", "open")
    assert (b["date"], b["status"]) == ("2025-04-10", "expired")
    assert basis_has(b, "concerns A only")


def test_cn_signed_plan_after_expiry_waives_from_the_plan_day(tmp_path: Path) -> None:
    # due 2021-03-10 -> 2024-03-10, a Sunday -> Monday 2024-03-11: expired. A signed plan on
    # 2024-06-03 waives the defence (Art. 192(2); SPC 2020 Art. 19): status waived, and the date is
    # 3 years from the waiver (docs rule 5, the safer date by which to sue): 2027-06-03, a
    # Thursday, provisional.
    debtor = cn("- {id: A, issued: 2021-02-10, due: 2021-03-10, amount: 1000}\n", """\
    - at: 2024-06-03
      type: plan
      signed: true
      installments: [{due: 2024-09-30, amount: 500}, {due: 2024-12-31, amount: 500}]
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"], a["provisional"]) == ("2027-06-03", "waived", True)
    assert "Art. 192" in a["rule"]
    assert basis_has(a, "expired at the end of 2024-03-11")


def test_cn_written_promise_or_unsigned_acknowledgment_after_expiry_revive_nothing(tmp_path: Path) -> None:
    # due 2022-01-10 -> 2025-01-10, a Friday: expired. After it, a WeChat promise (2025-03-03) and
    # an unsigned acknowledgment (2025-03-10): only a payment, a signed acknowledgment or a signed
    # plan waives (limitation.md; docs rule 5: "a demand or a promise after expiry revives nothing").
    debtor = cn("- {id: A, issued: 2021-12-10, due: 2022-01-10, amount: 1000}\n", """\
    - {at: 2025-03-03, type: wechat, outcome: promise, promise: {date: 2025-03-31, amount: 500}}
    - {at: 2025-03-10, type: acknowledgment, amount: 1000}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2025-01-10", "expired")
    assert basis_has(a, "2025-03-03", "after expiry")
    assert basis_has(a, "acknowledgment 2025-03-10", "not signed")


def test_cn_acknowledgment_without_invoices_waives_one_and_interrupts_the_other(tmp_path: Path) -> None:
    # A due 2020-01-10 -> 2023-01-10 (a Tuesday): expired. B due 2022-06-10, running. A signed
    # acknowledgment on 2023-05-04 names no invoices: it covers both open invoices.
    # A: after expiry -> waived (Art. 192(2)); B: interrupted (Art. 195(2)). Both count 3 years
    # from 2023-05-04 -> 2026-05-04, a Monday in the Labour Day holiday (1-5 May 2026) ->
    # Wednesday 2026-05-06.
    debtor = cn("""\
    - {id: A, issued: 2019-12-10, due: 2020-01-10, amount: 1000}
    - {id: B, issued: 2022-05-10, due: 2022-06-10, amount: 1000}
    """, """\
    - {at: 2023-05-04, type: acknowledgment, amount: 2000, signed: true}
    """)
    entries = run_deadlines(tmp_path, debtor, "2026-01-01")
    a = pick(entries, invoice="A")
    b = pick(entries, invoice="B")
    assert (a["date"], a["status"]) == ("2026-05-06", "waived")
    assert (b["date"], b["status"]) == ("2026-05-06", "open")
    assert "Art. 192" in a["rule"] and "Art. 192" not in b["rule"]


def test_cn_suit_filed_after_expiry_is_too_late(tmp_path: Path) -> None:
    # due 2022-01-10 -> 2025-01-10 (Friday). A suit filed 2025-02-10 comes after expiry: the
    # debtor may plead limitation (Art. 192(1)); still expired on 2025-01-10.
    debtor = cn("- {id: A, issued: 2021-12-10, due: 2022-01-10, amount: 1000}\n",
                "- {at: 2025-02-10, type: legal, action: filed, kind: suit, court: 沈阳市和平区人民法院}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2025-01-10", "expired")
    assert basis_has(a, "filed too late")


def test_cn_payment_order_interrupts_then_runs_anew_from_its_end(tmp_path: Path) -> None:
    # due 2022-03-10. A payment order (支付令) applied for on 2024-11-01 interrupts like a suit
    # (SPC 2020 Art. 11(1)): while it runs, no last day. It ended 2025-02-14: 3 years anew ->
    # 2028-02-14, a Monday, provisional (2028 not announced).
    filed = "- {at: 2024-11-01, type: legal, action: filed, kind: payment_order}\n"
    debtor = cn("- {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}\n", filed)
    running = pick(run_deadlines(tmp_path, debtor, "2025-01-15"))
    assert (running["date"], running["days_left"], running["status"]) == (None, None, "open")
    debtor = cn("- {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}\n",
                filed + "- {at: 2025-02-14, type: legal, action: concluded}\n")
    ended = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (ended["date"], ended["status"], ended["provisional"]) == ("2028-02-14", "open", True)


def test_cn_payment_while_the_suit_runs_does_not_move_the_new_start(tmp_path: Path) -> None:
    # due 2022-03-10. Suit filed 2023-09-04; a part payment 2024-01-15 while it runs changes
    # nothing (the period is already interrupted); concluded 2024-04-30 -> 3 years anew ->
    # 2027-04-30, a Friday (not a fixed holiday), provisional.
    debtor = cn("- {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}\n", """\
    - {at: 2023-09-04, type: legal, action: filed, kind: suit}
    - {at: 2024-01-15, type: payment, amount: 100}
    - {at: 2024-04-30, type: legal, action: concluded}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"], a["provisional"]) == ("2027-04-30", "open", True)


def test_cn_long_stop_caps_a_waived_period(tmp_path: Path) -> None:
    # due 2005-01-10 -> 2008-01-10 (a Thursday): expired. A payment on 2024-06-03 waives the
    # defence: 3 years anew -> 2027-06-03. The 20-year long-stop from the due date (Art. 188(2))
    # is 2025-01-10, a Friday; it caps the date (no legal action was filed). As of 2024-07-01 the
    # entry is waived with the capped date.
    debtor = cn("- {id: A, issued: 2004-12-10, due: 2005-01-10, amount: 1000}\n",
                "- {at: 2024-06-03, type: payment, amount: 100}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2024-07-01"))
    assert (a["date"], a["status"]) == ("2025-01-10", "waived")
    assert basis_has(a, "20-year long-stop")


def test_cn_suit_in_time_lifts_the_long_stop(tmp_path: Path) -> None:
    # due 2004-06-01. Signed acknowledgments 2006-06-01, 2009-01-01, 2011-06-01, 2014-01-01,
    # 2016-06-01, 2019-01-01, 2021-06-01, 2023-12-01 keep the 3-year period alive (-> 2026-12-01);
    # the 20-year long-stop (Art. 188(2)) is 2024-06-01, a Saturday -> Monday 2024-06-03. A suit
    # filed 2024-03-01, before the long-stop, brings the right to court in time (Art. 195(3));
    # concluded 2025-03-03 -> 3 years anew -> 2028-03-03, a Friday, provisional; no cap once a
    # legal action was filed (docs rule 6).
    acks = "".join(f"- {{at: {day}, type: acknowledgment, signed: true}}\n" for day in (
        "2006-06-01", "2009-01-01", "2011-06-01", "2014-01-01", "2016-06-01", "2019-01-01", "2021-06-01",
        "2023-12-01"))
    debtor = cn("- {id: A, issued: 2004-05-01, due: 2004-06-01, amount: 1000}\n", acks
                + "- {at: 2024-03-01, type: legal, action: filed, kind: suit}\n"
                + "- {at: 2025-03-03, type: legal, action: concluded}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"], a["provisional"]) == ("2028-03-03", "open", True)


def test_cn_judgment_alone_leaves_no_last_day(tmp_path: Path) -> None:
    # due 2022-03-10; suit filed 2024-03-01, judgment 2024-09-10, nothing recorded as concluded:
    # the proceeding is taken as running (docs rule 3): no date; the basis warns that enforcement
    # has its own 2-year period (Civil Procedure Law), not computed.
    debtor = cn("- {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}\n", """\
    - {at: 2024-03-01, type: legal, action: filed, kind: suit}
    - {at: 2024-09-10, type: legal, action: judgment}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["days_left"], a["status"]) == (None, None, "open")
    assert basis_has(a, "judgment 2024-09-10", "2 years")


def test_cn_letter_to_a_wrong_contact_does_not_reach_the_debtor(tmp_path: Path) -> None:
    # due 2022-03-10 -> 2025-03-10. A letter delivered 2023-04-20, but to a wrong contact
    # (`outcome: wrong_contact`): it did not reach the debtor (SPC 2020 Art. 8): no interruption.
    debtor = cn("- {id: A, issued: 2022-02-10, due: 2022-03-10, amount: 1000}\n",
                "- {at: 2023-04-18, type: letter, outcome: wrong_contact, delivered: 2023-04-20}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2025-03-10", "expired")
    assert basis_has(a, "wrong contact")


def test_cn_terms_days_give_the_due_date_for_limitation_and_guarantee(tmp_path: Path) -> None:
    # No `due`: due = issued 2025-12-31 + terms_days 30 = 2026-01-30.
    # Limitation: 2029-01-30, a Tuesday, provisional (2029 not announced).
    # Joint guarantee, default 6 months (Art. 692(2)): 2026-07-30; open as of 2026-06-01.
    extra = "terms_days: 30\nguarantees:\n  - guarantor: 沈阳测试投资有限公司\n    kind: joint\n"
    debtor = cn("- {id: A, issued: 2025-12-31, amount: 1000}\n", "", extra)
    entries = run_deadlines(tmp_path, debtor, "2026-06-01")
    a = pick(entries)
    g = pick(entries, kind="guarantee", guarantor="沈阳测试投资有限公司")
    assert (a["date"], a["provisional"]) == ("2029-01-30", True)
    assert a["basis"][0].startswith("due 2026-01-30:")
    assert (g["date"], g["status"], g["days_left"]) == ("2026-07-30", "open", 59)

# =============================================================================================
# PRC: bankruptcy (Enterprise Bankruptcy Law Arts. 45, 46, 48, 56)


def test_cn_bankruptcy_does_not_move_an_already_due_invoice(tmp_path: Path) -> None:
    # A was due 2024-01-10, long before the bankruptcy of 2026-11-03: Art. 46 accelerates only
    # unmatured claims, so A keeps its due date: 2027-01-10, a Sunday -> Monday 2027-01-11,
    # provisional. (Moving it to the bankruptcy day would give 2029-11-05: later, and wrong.)
    debtor = cn("- {id: A, issued: 2023-12-10, due: 2024-01-10, amount: 1000}\n",
                "- {at: 2026-11-03, type: status, status: bankrupt, claims_deadline: 2027-01-20}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-11-28"))
    assert (a["date"], a["status"], a["provisional"]) == ("2027-01-11", "open", True)
    assert a["basis"][0].startswith("due 2024-01-10:")


def test_cn_claim_filed_late_is_met_as_a_supplementary_claim(tmp_path: Path) -> None:
    # Bankruptcy 2026-03-02 with a claims deadline of 2026-05-20; the claim was filed 2026-06-15,
    # late: still filed, as a supplementary claim (Art. 56): met, and the basis says so. The claim
    # filed interrupts the limitation while the proceeding runs (SPC 2020 Art. 11): no last day.
    debtor = cn("- {id: A, issued: 2025-10-01, due: 2025-11-30, amount: 1000}\n", """\
    - {at: 2026-03-02, type: status, status: bankrupt, claims_deadline: 2026-05-20}
    - {at: 2026-06-15, type: status, status: bankrupt, claim_filed: 2026-06-15}
    """)
    entries = run_deadlines(tmp_path, debtor, "2026-07-01")
    claims = pick(entries, kind="claims", invoice=None)
    assert (claims["date"], claims["status"]) == ("2026-05-20", "met")
    assert basis_has(claims, "supplementary", "Art. 56")
    a = pick(entries)
    assert (a["date"], a["status"]) == (None, "open")



def test_cn_suit_before_the_bankruptcy_is_not_the_claim_filed(tmp_path: Path) -> None:
    # A suit filed 2026-01-10, before the bankruptcy of 2026-03-02 (claims deadline 2026-05-20), is
    # not a claim filed with the administrator (Arts. 45, 48): as of 2026-06-01 the claims
    # deadline has passed with nothing filed: expired, and the basis advises a supplementary claim.
    debtor = cn("- {id: A, issued: 2025-10-01, due: 2025-11-30, amount: 1000}\n", """\
    - {at: 2026-01-10, type: legal, action: filed, kind: suit}
    - {at: 2026-03-02, type: status, status: bankrupt, claims_deadline: 2026-05-20}
    """)
    claims = pick(run_deadlines(tmp_path, debtor, "2026-06-01"), kind="claims", invoice=None)
    assert (claims["date"], claims["status"], claims["days_left"]) == ("2026-05-20", "expired", -12)
    assert basis_has(claims, "supplementary")

# =============================================================================================
# PRC guarantees (Arts. 692-694)

GUARANTOR = "沈阳测试投资有限公司"


def guaranteed(kind: str, due: str, events: str = "", months: str = "") -> str:
    period = f"\n    period_months: {months}" if months else ""
    extra = f"guarantees:\n  - guarantor: {GUARANTOR}\n    kind: {kind}{period}\n"
    return cn(f"- {{id: A, issued: 2023-01-01, due: {due}, amount: 50000}}\n", events, extra)


def test_guarantee_period_ends_on_feb_29_in_a_leap_year(tmp_path: Path) -> None:
    # due 2023-08-31 + 6 months (Art. 692(2), the default) -> February 2024 has a 29th: but not a
    # 31st, so the month's last day, 2024-02-29 (Arts. 201-202). Nothing demanded: as of
    # 2024-03-01 the joint guarantor is released (Art. 693(2)).
    debtor = guaranteed("joint", "2023-08-31")
    g = pick(run_deadlines(tmp_path, debtor, "2024-03-01"), kind="guarantee", guarantor=GUARANTOR)
    assert (g["date"], g["status"], g["days_left"]) == ("2024-02-29", "released", -1)


def test_guarantee_from_feb_29_keeps_the_29th_and_a_fax_demand_counts_on_its_day(tmp_path: Path) -> None:
    # due 2024-02-29 + 6 months -> 2024-08-29 (the corresponding day exists). A demand sent by fax
    # on 2024-08-29, the last day, with no `delivered`: a fax is its own proof and counts on its
    # day: met (Art. 693(2)). The guarantee debt's limitation runs from it (Art. 694(2)):
    # 2027-08-29, a Sunday -> Monday 2027-08-30, provisional.
    debtor = guaranteed("joint", "2024-02-29",
                        f"- {{at: 2024-08-29, type: guarantor_demand, guarantor: {GUARANTOR}, via: fax}}\n")
    entries = run_deadlines(tmp_path, debtor, "2024-09-10")
    g = pick(entries, kind="guarantee", guarantor=GUARANTOR)
    own = pick(entries, guarantor=GUARANTOR)
    assert (g["date"], g["status"]) == ("2024-08-29", "met")
    assert (own["date"], own["provisional"]) == ("2027-08-30", True)
    assert "694" in own["rule"]


def test_guarantee_demand_before_due_or_to_another_guarantor_does_not_count(tmp_path: Path) -> None:
    # due 2025-03-31 + 6 months -> 2025-09-30. A demand delivered 2025-03-20, before the due date
    # (the guarantee period had not begun), and one delivered 2025-06-02 to another guarantor:
    # neither counts. As of 2025-10-01: released.
    debtor = guaranteed("joint", "2025-03-31", f"""\
    - {{at: 2025-03-18, type: guarantor_demand, guarantor: {GUARANTOR}, delivered: 2025-03-20}}
    - {{at: 2025-05-30, type: guarantor_demand, guarantor: 大连另一担保有限公司, delivered: 2025-06-02}}
    """)
    g = pick(run_deadlines(tmp_path, debtor, "2025-10-01"), kind="guarantee", guarantor=GUARANTOR)
    assert (g["date"], g["status"]) == ("2025-09-30", "released")
    assert basis_has(g, "2025-03-20", "not counted")


def test_general_guarantee_kept_by_arbitration_in_time_released_by_a_late_suit(tmp_path: Path) -> None:
    # General guarantee, 12 months from due 2024-05-15 -> 2025-05-15. Arbitration against the
    # debtor filed 2025-05-15, the last day: met (Art. 693(1), 694(1)). A suit filed 2025-05-16
    # instead would be one day late: released.
    in_time = guaranteed("general", "2024-05-15",
                         "- {at: 2025-05-15, type: legal, action: filed, kind: arbitration}\n", months="12")
    late = guaranteed("general", "2024-05-15",
                      "- {at: 2025-05-16, type: legal, action: filed, kind: suit}\n", months="12")
    met = pick(run_deadlines(tmp_path, in_time, "2025-06-01"), kind="guarantee", guarantor=GUARANTOR)
    released = pick(run_deadlines(tmp_path / "late", late, "2025-06-01"), kind="guarantee", guarantor=GUARANTOR)
    assert (met["date"], met["status"]) == ("2025-05-15", "met")
    assert (released["date"], released["status"]) == ("2025-05-15", "released")


def test_guarantee_debt_limitation_interrupted_by_a_later_demand(tmp_path: Path) -> None:
    # due 2023-06-30 + 6 months -> 2023-12-30 (a Saturday; never moved). Email demand 2023-12-29:
    # met. The guarantee debt's limitation runs from it (Art. 694(2)): 2026-12-29, a Tuesday in the
    # last week of December (provisional). A second demand delivered 2024-03-01 reached the
    # guarantor and interrupts it (Art. 195(1)): 2027-03-01, a Monday, provisional.
    debtor = guaranteed("joint", "2023-06-30", f"""\
    - {{at: "2023-12-29T15:00:00+08:00", type: guarantor_demand, guarantor: {GUARANTOR}, via: email}}
    - {{at: 2024-02-27, type: guarantor_demand, guarantor: {GUARANTOR}, via: courier, delivered: 2024-03-01}}
    """)
    entries = run_deadlines(tmp_path, debtor, "2026-01-01")
    g = pick(entries, kind="guarantee", guarantor=GUARANTOR)
    own = pick(entries, guarantor=GUARANTOR)
    assert (g["date"], g["status"]) == ("2023-12-30", "met")
    assert (own["date"], own["status"], own["provisional"]) == ("2027-03-01", "open", True)



def test_guarantee_demand_email_counts_on_its_day_in_the_ledger_time_zone(tmp_path: Path) -> None:
    # due 2026-06-10 + 6 months -> 2026-12-10. An email demand at 2026-12-10T18:00:00+00:00 is
    # 2026-12-11 02:00 in Asia/Shanghai (ledger-format: dates of events with an offset are taken
    # in the ledger's time zone): one day late -> released as of 2026-12-20.
    debtor = guaranteed("joint", "2026-06-10", f"""\
    - {{at: "2026-12-10T18:00:00+00:00", type: guarantor_demand, guarantor: {GUARANTOR}, via: email}}
    """)
    g = pick(run_deadlines(tmp_path, debtor, "2026-12-20"), kind="guarantee", guarantor=GUARANTOR)
    assert (g["date"], g["status"]) == ("2026-12-10", "released")
    assert basis_has(g, "2026-12-11", "too late")

# =============================================================================================
# Germany: BGB 195, 199, 203, 204, 209, 212, 193


def test_de_year_end_2022_saturday_rolls_to_monday_2_january(tmp_path: Path) -> None:
    # due 2019-07-01: claim arose in 2019; 3 years from the end of 2019 -> 2022-12-31, a Saturday;
    # Sunday 1 Jan 2023 is New Year's Day -> Monday 2023-01-02 (BGB 193).
    debtor = foreign("DE", "- {id: A, issued: 2019-06-01, due: 2019-07-01, amount: 1000}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2024-01-01"))
    assert (a["date"], a["status"], a["rule"]) == ("2023-01-02", "expired", "BGB 195, 199, 212, 193")


def test_de_acknowledgment_on_feb_29(tmp_path: Path) -> None:
    # due 2023-05-10 -> 2026-12-31. A signed acknowledgment on 2024-02-29: a new period from
    # 2024-03-01 (BGB 212(1) Nr. 1, 187(1)); 2027 has no 29 February: the month's last day,
    # 2027-02-28 (188(2), (3)), a Sunday -> Monday 2027-03-01 (193).
    debtor = foreign("DE", "- {id: A, issued: 2023-04-10, due: 2023-05-10, amount: 1000}\n",
                     "- {at: 2024-02-29, type: acknowledgment, signed: true}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2027-03-01", "open")


def test_de_restart_ending_on_christmas(tmp_path: Path) -> None:
    # due 2023-05-10. A signed plan on 2025-12-25 acknowledges the claim: new period ends
    # 2028-12-25, Christmas Day (Monday); 26 December is a nationwide holiday too -> Wednesday
    # 2028-12-27 (BGB 193).
    debtor = foreign("DE", "- {id: A, issued: 2023-04-10, due: 2023-05-10, amount: 1000}\n", """\
    - at: 2025-12-25
      type: plan
      signed: true
      installments: [{due: 2026-02-01, amount: 500}, {due: 2026-03-01, amount: 500}]
    """)
    assert pick(run_deadlines(tmp_path, debtor, "2026-01-01"))["date"] == "2028-12-27"


def test_de_whit_monday_rolls_corpus_christi_does_not(tmp_path: Path) -> None:
    # A: signed acknowledgment 2025-06-03 -> new period ends 2028-06-03, a Saturday; Sunday 4 is
    #    Whit Sunday, Monday 5 June 2028 Whit Monday (nationwide) -> Tuesday 2028-06-06.
    # B: signed acknowledgment 2025-06-15 (naming B) -> 2028-06-15, Corpus Christi, a holiday in
    #    some states only: not used (the earlier date): Thursday 2028-06-15 stays.
    debtor = foreign("DE", """\
    - {id: A, issued: 2023-04-10, due: 2023-05-10, amount: 1000}
    - {id: B, issued: 2023-04-10, due: 2023-05-10, amount: 1000}
    """, """\
    - {at: 2025-06-03, type: acknowledgment, signed: true, invoices: [A]}
    - {at: 2025-06-15, type: acknowledgment, signed: true, invoices: [B]}
    """)
    entries = run_deadlines(tmp_path, debtor, "2026-01-01")
    assert pick(entries, invoice="A")["date"] == "2028-06-06"
    assert pick(entries, invoice="B")["date"] == "2028-06-15"


def test_de_payment_order_suspension_adds_its_days(tmp_path: Path) -> None:
    # due 2021-05-05 -> 2024-12-31. A payment order (Mahnbescheid, BGB 204(1) Nr. 3) applied for
    # 2024-11-04; the proceeding ended 2025-01-20; the suspension ends 6 months later, 2025-07-20
    # (204(2)). The 258 days from 2024-11-04 to 2025-07-20 are not counted (209, docs: "the days
    # from the filing to that end are added"): 2024-12-31 + 258 days = 2025-09-15, a Monday.
    debtor = foreign("DE", "- {id: A, issued: 2021-04-05, due: 2021-05-05, amount: 1000}\n", """\
    - {at: 2024-11-04, type: legal, action: filed, kind: payment_order}
    - {at: 2025-01-20, type: legal, action: concluded}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2025-03-01"))
    assert (a["date"], a["status"]) == ("2025-09-15", "open")


def test_de_negotiations_are_listed_not_counted(tmp_path: Path) -> None:
    # due 2024-05-10 -> 2027-12-31 (a Friday). A call on 2025-02-03 in which the debtor disputed the
    # invoice may be the start of negotiations (BGB 203); the ledger cannot prove when they began
    # and ended: not counted, but named in the basis.
    debtor = foreign("DE", "- {id: A, issued: 2024-04-10, due: 2024-05-10, amount: 1000}\n",
                     "- {at: \"2025-02-03T10:00:00+01:00\", type: call, outcome: dispute}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2027-12-31", "open")
    assert basis_has(a, "2025-02-03", "BGB 203")


def test_de_unrecorded_promise_does_not_restart_a_recorded_one_does(tmp_path: Path) -> None:
    # due 2022-06-15 -> 2025-12-31. A promise in an unrecorded call (2024-05-02) cannot be proven;
    # one in a recorded call (2024-07-03) acknowledges the claim (212(1) Nr. 1): new period from
    # 2024-07-04, ends 2027-07-03, a Saturday -> Monday 2027-07-05.
    debtor = foreign("DE", "- {id: A, issued: 2022-05-15, due: 2022-06-15, amount: 1000}\n", """\
    - {at: "2024-05-02T10:00:00+02:00", type: call, outcome: promise, promise: {date: 2024-05-31, amount: 100}}
    - {at: "2024-07-03T10:00:00+02:00", type: call, outcome: promise, recorded: true,
       promise: {date: 2024-07-31, amount: 100}}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2027-07-05", "open")
    assert basis_has(a, "promise", "2024-05-02", "not counted")


# =============================================================================================
# England and Wales: Limitation Act 1980 ss.5, 29, 30


def test_ew_performance_after_the_due_date_keeps_the_due_date(tmp_path: Path) -> None:
    # due 2020-03-31 (payment in advance), performed 2020-04-15. The debt for the price falls due
    # on the due date, so the cause of action accrues then (s.5); taking the later performance
    # would give a later, unsafe date. 2020-03-31 + 6 years -> 2026-03-31.
    debtor = foreign("EW", "- {id: A, issued: 2020-03-01, due: 2020-03-31, performed: 2020-04-15, amount: 1000}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"], a["rule"]) == ("2026-03-31", "open", "Limitation Act 1980 s.5, 29, 30")


def test_ew_oral_promise_and_unsigned_acknowledgment_do_not_count_a_signed_plan_does(tmp_path: Path) -> None:
    # due 2020-03-31 -> 2026-03-31. A promise in a recorded call (2022-05-05) is not in writing
    # (s.30(1)); an unsigned acknowledgment (2022-09-01) is not signed: neither counts. A signed plan
    # on 2023-02-01 is a signed written acknowledgment: the right accrues afresh (s.29(5)) ->
    # 2029-02-01. No roll.
    debtor = foreign("EW", "- {id: A, issued: 2020-03-01, due: 2020-03-31, amount: 1000}\n", """\
    - {at: "2022-05-05T10:00:00+01:00", type: call, outcome: promise, recorded: true,
       promise: {date: 2022-06-01, amount: 100}}
    - {at: 2022-09-01, type: acknowledgment, amount: 1000}
    - at: 2023-02-01
      type: plan
      signed: true
      installments: [{due: 2023-03-01, amount: 500}, {due: 2023-04-01, amount: 500}]
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2029-02-01", "open")
    assert basis_has(a, "2022-05-05", "s.30")


def test_ew_part_payment_on_feb_29(tmp_path: Path) -> None:
    # due 2020-01-31. A part payment on 2024-02-29: accrues afresh that day (s.29(5)(b)); 6 years on
    # there is no 29 February 2030: 2030-02-28 (the earlier reading). No roll.
    debtor = foreign("EW", "- {id: A, issued: 2020-01-01, due: 2020-01-31, amount: 1000}\n",
                     "- {at: 2024-02-29, type: payment, amount: 100}\n")
    assert pick(run_deadlines(tmp_path, debtor, "2026-01-01"))["date"] == "2030-02-28"


def test_ew_claim_issued_after_expiry_is_not_met(tmp_path: Path) -> None:
    # due 2019-06-30 -> 2025-06-30 (a Monday). A claim issued 2025-07-02 is two days late: expired.
    debtor = foreign("EW", "- {id: A, issued: 2019-06-01, due: 2019-06-30, amount: 1000}\n",
                     "- {at: 2025-07-02, type: legal, action: filed, kind: suit}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2025-06-30", "expired")
    assert basis_has(a, "filed too late")


# =============================================================================================
# France: Code de commerce L110-4; Code civil 2224-2251


def test_fr_suit_interrupts_until_it_ends_then_five_years(tmp_path: Path) -> None:
    # due 2020-09-15 -> 2025-09-15. A suit filed 2024-03-01 interrupts until the proceeding ends
    # (2241, 2242); it ended 2025-06-30: 5 years anew (2231) -> 2030-06-30 (a Sunday; no roll).
    debtor = foreign("FR", "- {id: A, issued: 2020-08-15, due: 2020-09-15, amount: 1000}\n", """\
    - {at: 2024-03-01, type: legal, action: filed, kind: suit}
    - {at: 2025-06-30, type: legal, action: concluded}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2030-06-30", "open")


def test_fr_long_stop_does_not_cap_after_a_suit_in_time(tmp_path: Path) -> None:
    # due 2004-01-10; signed acknowledgments 2008-01-05, 2012-01-05, 2016-01-05, 2020-01-05 ->
    # 2025-01-05; the 20-year ceiling (2232) would be 2024-01-10. A suit filed 2023-06-01 (within
    # both) and ended 2023-12-01: 5 years anew -> 2028-12-01; the ceiling does not apply after a
    # suit (2232 al. 2, 2241).
    acks = "".join(f"- {{at: {day}, type: acknowledgment, signed: true}}\n"
                   for day in ("2008-01-05", "2012-01-05", "2016-01-05", "2020-01-05"))
    debtor = foreign("FR", "- {id: A, issued: 2004-01-01, due: 2004-01-10, amount: 1000}\n", acks
                     + "- {at: 2023-06-01, type: legal, action: filed, kind: suit}\n"
                     + "- {at: 2023-12-01, type: legal, action: concluded}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2028-12-01", "open")


def test_fr_demand_does_not_interrupt_and_payment_after_expiry_revives_nothing(tmp_path: Path) -> None:
    # due 2020-06-15 -> 2025-06-15 (a Sunday; no roll, 2229). A delivered demand (mise en demeure)
    # of 2023-01-10 does not interrupt; a payment of 2025-09-01 after expiry cannot be reclaimed
    # (2249) but renounces nothing: expired.
    debtor = foreign("FR", "- {id: A, issued: 2020-05-15, due: 2020-06-15, amount: 1000}\n", """\
    - {at: 2023-01-05, type: letter, delivered: 2023-01-10}
    - {at: 2025-09-01, type: payment, amount: 100}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2025-06-15", "expired")
    assert basis_has(a, "mise en demeure")


# =============================================================================================
# United States


def test_us_ny_signed_plan_after_expiry_revives(tmp_path: Path) -> None:
    # due 2018-03-31 -> 2024-03-31 (CPLR 213(2); a Sunday, no roll): expired. A signed plan on
    # 2025-02-03 is a writing signed by the debtor (GOL 17-101): revived, waived, 6 years anew ->
    # 2031-02-03.
    debtor = foreign("US-NY", "- {id: A, issued: 2018-03-01, due: 2018-03-31, amount: 1000}\n", """\
    - at: 2025-02-03
      type: plan
      signed: true
      installments: [{due: 2025-03-01, amount: 500}, {due: 2025-04-01, amount: 500}]
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2031-02-03", "waived")
    assert "GOL 17-101" in a["rule"]


def test_us_ny_six_years_from_feb_29(tmp_path: Path) -> None:
    # due 2020-02-29 -> 6 years -> no 29 February 2026: 2026-02-28 (a Saturday; no roll).
    debtor = foreign("US-NY", "- {id: A, issued: 2020-01-29, due: 2020-02-29, amount: 1000}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"], a["rule"]) == ("2026-02-28", "open", "NY CPLR 213(2); GOL 17-101")


def test_us_ca_suit_on_the_last_day_is_met_a_day_later_expired(tmp_path: Path) -> None:
    # due 2021-06-30 -> 4 years (CCP 337(a)) -> 2025-06-30, a Monday. A complaint filed on
    # 2025-06-30 is in time: met. Filed 2025-07-01: too late, expired.
    invoice = "- {id: A, issued: 2021-06-01, due: 2021-06-30, amount: 1000}\n"
    in_time = foreign("US-CA", invoice, "- {at: 2025-06-30, type: legal, action: filed, kind: suit}\n")
    late = foreign("US-CA", invoice, "- {at: 2025-07-01, type: legal, action: filed, kind: suit}\n")
    met = pick(run_deadlines(tmp_path, in_time, "2026-01-01"))
    expired = pick(run_deadlines(tmp_path / "late", late, "2026-01-01"))
    assert (met["date"], met["status"]) == ("2025-06-30", "met")
    assert (expired["date"], expired["status"]) == ("2025-06-30", "expired")


def test_us_ucc_suit_in_time_is_met(tmp_path: Path) -> None:
    # due 2021-01-31 -> 4 years (UCC 2-725(1)) -> 2025-01-31. A suit filed 2024-12-02: met.
    debtor = foreign("US-UCC", "- {id: A, issued: 2021-01-01, due: 2021-01-31, amount: 1000}\n",
                     "- {at: 2024-12-02, type: legal, action: filed, kind: suit}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"], a["rule"]) == ("2025-01-31", "met", "UCC 2-725")


def test_de_suspension_wholly_before_the_period_began_changes_nothing(tmp_path: Path) -> None:
    # due 2025-01-15: the period begins at the end of 2025 (BGB 199(1)) and would end 2028-12-31
    # (a Sunday; 2029-01-01 a holiday -> Tuesday 2029-01-02, BGB 193). A suit filed 2025-02-03 and
    # concluded 2025-04-01: the suspension ends 6 months later, 2025-10-01 (204(2)), before the
    # period even began. BGB 209 leaves out of the period only the time during which limitation
    # was suspended *within the period*; none of it was: the last day stays 2029-01-02. (Adding the
    # 240 days from 2025-02-03 would give a date 8 months too late.)
    debtor = foreign("DE", "- {id: A, issued: 2024-12-15, due: 2025-01-15, amount: 1000}\n", """\
    - {at: 2025-02-03, type: legal, action: filed, kind: suit}
    - {at: 2025-04-01, type: legal, action: concluded}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2029-01-02", "open")
    assert any("before the period began" in line for line in a["basis"])


def test_de_suspension_straddling_the_start_counts_only_its_days_inside_the_period(tmp_path: Path) -> None:
    # due 2025-03-01 -> the period would begin at the end of 2025 and end 2028-12-31. A suit filed
    # 2025-06-02, concluded 2025-09-01: the suspension ends 2026-03-01 (BGB 204(2)). Inside the
    # period, limitation was suspended from 1 Jan 2026 until the suspension ended on 1 Mar 2026:
    # counted as the engine counts a suspension everywhere (from its first day, the day it ends not
    # added: the safer of the readings), 59 days; 2028-12-31 + 59 days = 2029-02-28, a Wednesday.
    # Counting from the filing instead (273 days) would give 2029-09-30: seven months too late.
    debtor = foreign("DE", "- {id: A, issued: 2025-02-01, due: 2025-03-01, amount: 1000}\n", """\
    - {at: 2025-06-02, type: legal, action: filed, kind: suit}
    - {at: 2025-09-01, type: legal, action: concluded}
    """)
    a = pick(run_deadlines(tmp_path, debtor, "2026-06-01"))
    assert (a["date"], a["status"]) == ("2029-02-28", "open")


def test_cn_suit_after_the_long_stop_does_not_lift_it(tmp_path: Path) -> None:
    # due 2004-06-01; signed acknowledgments every ~2.5 years keep the 3-year period (Art. 195) running
    # to 2026-12-01, but the 20-year long-stop (Art. 188(2)) ends 2024-06-01, a Saturday -> Monday
    # 2024-06-03 (Art. 203). A suit filed 2024-09-02 comes after it: too late, the long-stop is not
    # lifted ("unless a legal action was filed" can only mean filed before the cap); expired.
    acks = "".join(f"- {{at: {day}, type: acknowledgment, signed: true}}\n" for day in (
        "2006-06-01", "2009-01-01", "2011-06-01", "2014-01-01", "2016-06-01", "2019-01-01", "2021-06-01",
        "2023-12-01"))
    debtor = cn("- {id: A, issued: 2004-05-01, due: 2004-06-01, amount: 1000}\n", acks
                + "- {at: 2024-09-02, type: legal, action: filed, kind: suit}\n"
                + "- {at: 2025-03-03, type: legal, action: concluded}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2024-06-03", "expired")


def test_fr_suit_after_the_long_stop_is_too_late(tmp_path: Path) -> None:
    # Code civil 2232: the 20-year long-stop from the due date 2004-01-10 ends 2024-01-10 (no roll,
    # 2229); acknowledgments (2240) every 4 years kept the 5 years running, but the suit of 2024-06-03
    # comes after the long-stop: 2232 al. 2 spares only a suit brought in time; expired.
    acks = "".join(f"- {{at: {day}, type: acknowledgment, signed: true}}\n"
                   for day in ("2008-01-05", "2012-01-05", "2016-01-05", "2020-01-05"))
    debtor = foreign("FR", "- {id: A, issued: 2004-01-01, due: 2004-01-10, amount: 1000}\n", acks
                     + "- {at: 2024-06-03, type: legal, action: filed, kind: suit}\n"
                     + "- {at: 2024-12-02, type: legal, action: concluded}\n")
    a = pick(run_deadlines(tmp_path, debtor, "2026-01-01"))
    assert (a["date"], a["status"]) == ("2024-01-10", "expired")
