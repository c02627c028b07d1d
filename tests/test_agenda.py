"""`dunning agenda`: the order and the reasons of the day's list, what is never suggested, the cap, the
collector filter, the call slots, the JSON contract; and the contact rules of `dunning check`."""

import json
import textwrap
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from dunning.agenda import agenda
from dunning.agenda import follow_up_action
from dunning.cli.app import app
from dunning.ledger import load_ledger

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parent.parent / "ledger"
DAY = "2026-03-10"  # a Tuesday

SETTINGS = """\
format: 1
creditor: {name: 辽宁测试贸易有限公司}
collectors: {zhang.san: 张三, li.si: 李四}
"""

HEAD = """\
name: {name}
collector: {collector}
contacts:
  - {{name: 钱总, role: 总经理, decision_maker: true, mobile: "13900000001"}}
  - {{name: 赵六, role: 出纳, mobile: "13900000002"}}
"""

# Every debtor below has one cause of its own, chosen so that the expected order can be read off:
# class 0 deadlines by days left, 1 broken/missed (oldest first), 2 due today (larger open first),
# 3 follow-ups (oldest first), 4 no contact (C before B, longest silence first).
DEBTORS = {
    # limitation: due 2023-03-20, three years end on Friday 2026-03-20: 10 days left.
    "limit": """\
invoices:
  - {id: L1, issued: 2023-02-20, due: 2023-03-20, amount: 30000}
events: []
""",
    # joint guarantee, 6 months from 2025-09-15: ends 2026-03-15, 5 days left, no demand yet.
    "guar": """\
guarantees:
  - {guarantor: 测试担保有限公司, kind: joint, address: 沈阳市测试路1号, contact: 孙某 024-1}
invoices:
  - {id: G1, issued: 2025-08-15, due: 2025-09-15, amount: 40000}
events: []
""",
    # bankrupt, claims deadline 2026-04-30 (51 days) not filed; a follow-up call due today is not made.
    "bankrupt": """\
invoices:
  - {id: K1, issued: 2025-11-15, due: 2025-12-15, amount: 20000}
events:
  - {at: 2026-03-02, type: status, status: bankrupt, claims_deadline: 2026-04-30, administrator: 测试律师事务所}
  - {at: "2026-03-03T10:00:00+08:00", type: call, with: 钱总, outcome: reached, next_date: 2026-03-10,
     next_action: 致电钱总}
""",
    # promise of 5,000 by 2026-03-05 broken, nobody reached since.
    "broken": """\
invoices:
  - {id: B1, issued: 2026-01-01, due: 2026-02-01, amount: 9000}
events:
  - {at: "2026-03-01T10:00:00+08:00", type: call, with: 赵六, outcome: promise,
     promise: {date: 2026-03-05, amount: 5000}}
""",
    # a signed plan whose first instalment (2026-03-01) was missed.
    "missed": """\
invoices:
  - {id: M1, issued: 2025-12-15, due: 2026-01-15, amount: 2000}
events:
  - {at: 2026-02-10, type: plan, signed: true, installments: [{due: 2026-03-01, amount: 1000},
     {due: 2026-04-01, amount: 1000}]}
""",
    # a promise due today (open 80,000) and an instalment due today (open 50,000).
    "due": """\
invoices:
  - {id: D1, issued: 2026-01-10, due: 2026-02-10, amount: 80000}
events:
  - {at: "2026-03-03T10:00:00+08:00", type: call, with: 钱总, outcome: promise,
     promise: {date: 2026-03-10, amount: 30000}}
""",
    "inst": """\
invoices:
  - {id: N1, issued: 2026-01-10, due: 2026-02-10, amount: 50000}
events:
  - {at: 2026-02-20, type: plan, signed: true, installments: [{due: 2026-03-10, amount: 25000},
     {due: 2026-04-10, amount: 25000}]}
""",
    # in dispute: the follow-up of 2026-03-08 must not become a dunning call.
    "dispute": """\
invoices:
  - {id: P1, issued: 2025-12-10, due: 2026-01-10, amount: 7000}
events:
  - {at: 2026-02-15, type: dispute, reason: 质量异议}
  - {at: "2026-02-16T10:00:00+08:00", type: call, with: 钱总, outcome: dispute, next_date: 2026-03-08,
     next_action: 电话沟通质量问题}
""",
    # a follow-up set for yesterday, naming the person to call.
    "follow": """\
invoices:
  - {id: F1, issued: 2026-01-20, due: 2026-02-20, amount: 6000}
events:
  - {at: "2026-03-05T10:00:00+08:00", type: call, with: 钱总, outcome: reached, next_date: 2026-03-09,
     next_action: 致电赵六确认付款日期}
""",
    # C, three unanswered calls today: at the daily cap, no fourth.
    "capped": """\
invoices:
  - {id: X1, issued: 2025-10-01, due: 2025-11-01, amount: 5000}
events:
  - {at: "2026-03-10T08:30:00+08:00", type: call, outcome: no_answer}
  - {at: "2026-03-10T09:00:00+08:00", type: call, outcome: no_answer}
  - {at: "2026-03-10T09:30:00+08:00", type: sms, outcome: no_answer}
""",
    # C, last reached 13 days ago (threshold 7).
    "quietc": """\
invoices:
  - {id: Q1, issued: 2025-11-01, due: 2025-12-01, amount: 4000}
events:
  - {at: "2026-02-25T10:00:00+08:00", type: call, outcome: reached}
""",
    # B, last reached 18 days ago (threshold 14).
    "quietb": """\
invoices:
  - {id: Q2, issued: 2025-12-20, due: 2026-01-20, amount: 3000}
events:
  - {at: "2026-02-20T10:00:00+08:00", type: call, outcome: reached}
""",
    # A, 13 days overdue and never contacted: within the 30 days of A.
    "fine": """\
invoices:
  - {id: A1, issued: 2026-01-25, due: 2026-02-25, amount: 1000}
events: []
""",
    # on hold, C, never contacted: never suggested.
    "hold": """\
invoices:
  - {id: H1, issued: 2025-09-01, due: 2025-10-01, amount: 8000}
events:
  - {at: 2026-02-01, type: status, status: hold}
""",
    # paid up: nothing to do.
    "paid": """\
invoices:
  - {id: Z1, issued: 2025-09-01, due: 2025-10-01, amount: 1000}
events:
  - {at: 2025-10-05, type: payment, amount: 1000}
""",
}
LI_SI = {"broken", "quietb"}
ORDER = ["guar", "limit", "bankrupt", "missed", "broken", "due", "inst", "dispute", "follow", "capped", "quietc",
         "quietb"]


def write(root: Path, settings: str = SETTINGS, debtors: dict[str, str] = DEBTORS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dunning.yaml").write_text(settings, encoding="utf-8")
    (root / "debtors").mkdir()
    for debtor_id, body in debtors.items():
        head = HEAD.format(name=f"{debtor_id}测试有限公司", collector="li.si" if debtor_id in LI_SI else "zhang.san")
        (root / "debtors" / f"{debtor_id}.yaml").write_text(head + textwrap.dedent(body), encoding="utf-8")
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["agenda", "--ledger", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def items(root: Path, *args: str) -> list[dict]:
    code, out, err = run(root, "--date", DAY, "-f", "json", *args)
    assert code == 0, err
    return json.loads(out)["items"]


def test_order_actions_and_kinds(tmp_path: Path) -> None:
    found = items(write(tmp_path))
    assert [i["debtor"] for i in found] == ORDER
    assert [i["rank"] for i in found] == list(range(1, len(ORDER) + 1))
    shown = {i["debtor"]: (i["kind"], i["action"], i["blocked"]) for i in found}
    assert shown == {
        "guar": ("guarantee", "demand_guarantor", None),
        "limit": ("limitation", "letter", None),
        "bankrupt": ("claims", "file_claim", "bankrupt"),
        "missed": ("installment_missed", "call", None),
        "broken": ("promise_broken", "call", None),
        "due": ("promise_due", "call", None),
        "inst": ("installment_due", "call", None),
        "dispute": ("follow_up", "review", "dispute"),
        "follow": ("follow_up", "call", None),
        "capped": ("no_contact", "review", "cap"),
        "quietc": ("no_contact", "call", None),
        "quietb": ("no_contact", "call", None),
    }


def test_reasons(tmp_path: Path) -> None:
    reason = {i["debtor"]: i["reason"] for i in items(write(tmp_path))}
    assert reason["guar"].startswith("保证期间 2026-03-15 届满（还剩 5 天），尚未向保证人测试担保有限公司主张："
                                     "届满前须送达书面索款通知（G1 ¥40,000.00）")
    assert reason["limit"].startswith("诉讼时效 2026-03-20 届满（还剩 10 天）：L1 未付 ¥30,000.00，"
                                      "届满前须送达催款函或取得书面确认；")
    assert reason["bankrupt"].startswith("已破产，不再向债务人催收：向管理人申报债权；"
                                         "破产债权申报期限 2026-04-30（还剩 51 天），尚未申报："
                                         "向管理人测试律师事务所申报债权 ¥20,000.00；约定今日跟进：致电钱总")
    assert reason["missed"] == ("还款计划第 1 期 ¥1,000.00 应于 2026-03-01 支付，未付 ¥1,000.00；"
                                "B 类（逾期 54 天，未付 ¥2,000.00），逾期 54 天以来未联系上")
    assert reason["broken"] == "承诺 2026-03-05 付款 ¥5,000.00 未兑现"
    assert reason["due"] == "承诺今日（2026-03-10）付款 ¥30,000.00，尚差 ¥30,000.00：核实是否到账"
    assert reason["inst"] == "还款计划第 1 期 ¥25,000.00 今日（2026-03-10）到期"
    assert reason["dispute"] == ("存在争议（P1）：先解决争议，暂不催款；"
                                 "约定 2026-03-08 跟进（已过 2 天）：电话沟通质量问题；"
                                 "B 类（逾期 59 天，未付 ¥7,000.00），已 22 天未联系上（上次 2026-02-16）")
    assert reason["follow"] == "约定 2026-03-09 跟进（已过 1 天）：致电赵六确认付款日期"
    assert reason["capped"] == ("今日已联系 3 次（上限 3）：今日不再联系；"
                                "C 类（逾期 129 天，未付 ¥5,000.00），逾期 129 天以来未联系上")
    assert reason["quietc"] == "C 类（逾期 99 天，未付 ¥4,000.00），已 13 天未联系上（上次 2026-02-25）"
    assert reason["quietb"] == "B 类（逾期 49 天，未付 ¥3,000.00），已 18 天未联系上（上次 2026-02-20）"


def test_english_reasons(tmp_path: Path) -> None:
    reason = {i["debtor"]: i["reason"] for i in items(write(tmp_path), "--lang", "en")}
    assert reason["broken"] == "promise to pay ¥5,000.00 by 2026-03-05 broken"
    assert reason["follow"] == "follow-up set for 2026-03-09 (1 day ago): 致电赵六确认付款日期"
    assert reason["quietb"] == "bucket B (49 days overdue, ¥3,000.00 open), not reached for 18 days (last 2026-02-20)"


def test_never_suggested(tmp_path: Path) -> None:
    found = items(write(tmp_path))
    listed = {i["debtor"] for i in found}
    assert "hold" not in listed  # on hold: no call, and no deadline to protect
    assert "fine" not in listed  # A, 13 days overdue: within its 30 days
    assert "paid" not in listed
    calls = {i["debtor"] for i in found if i["action"] == "call"}
    assert not calls & {"bankrupt", "dispute", "capped", "hold"}
    for item in found:  # not in any cause either
        if item["debtor"] in ("bankrupt", "dispute", "capped"):
            assert all(c["action"] != "call" for c in item["causes"]), item


def test_hold_keeps_a_deadline_but_no_call(tmp_path: Path) -> None:
    debtors = {"hold": """\
invoices:
  - {id: H1, issued: 2023-02-20, due: 2023-03-20, amount: 8000}
events:
  - {at: 2026-02-01, type: status, status: hold}
"""}
    found = items(write(tmp_path, debtors=debtors))
    assert [(i["debtor"], i["kind"], i["action"], i["blocked"]) for i in found] == [
        ("hold", "limitation", "letter", "hold")]
    assert found[0]["reason"].startswith("暂停催收（hold）：发函前与主管确认；诉讼时效 2026-03-20 届满")
    assert [c["kind"] for c in found[0]["causes"]] == ["limitation"]  # no no_contact call


def test_contacts_chosen(tmp_path: Path) -> None:
    contact = {i["debtor"]: i["contact"] for i in items(write(tmp_path))}
    assert contact["guar"]["name"] == "测试担保有限公司"
    assert contact["guar"]["address"] == "沈阳市测试路1号"
    assert contact["broken"]["name"] == "赵六"  # the promise was made by 赵六
    assert contact["follow"]["name"] == "赵六"  # named in next_action
    assert contact["quietc"] == {"name": "钱总", "role": "总经理", "mobile": "13900000001", "phone": None,
                                 "wechat": None, "email": None, "address": None, "note": None}


def test_call_slots_per_collector_and_letters_after(tmp_path: Path) -> None:
    at = {i["debtor"]: i["at"] for i in items(write(tmp_path))}
    assert [at[d] for d in ("missed", "due", "inst", "follow", "quietc")] == ["09:00", "09:10", "09:20", "09:30",
                                                                            "09:40"]
    assert [at[d] for d in ("broken", "quietb")] == ["09:00", "09:10"]  # li.si's own window
    assert at["guar"] == at["limit"] == at["bankrupt"] == "11:00"  # after the calls
    assert at["dispute"] is None and at["capped"] is None


def test_call_window_full(tmp_path: Path) -> None:
    settings = SETTINGS + 'call_window: "09:00-09:30"\nagenda: {call_minutes: 10}\n'
    found = items(write(tmp_path, settings=settings))
    calls = [(i["debtor"], i["at"]) for i in found if i["action"] == "call" and i["collector"] == "zhang.san"]
    assert calls == [("missed", "09:00"), ("due", "09:10"), ("inst", "09:20"), ("follow", None), ("quietc", None)]
    assert {i["debtor"]: i["at"] for i in found}["limit"] == "09:30"


def test_collector_filter(tmp_path: Path) -> None:
    root = write(tmp_path)
    assert [i["debtor"] for i in items(root, "--collector", "li.si")] == ["broken", "quietb"]
    code, out, _ = run(root, "--date", DAY, "-f", "json", "--collector", "李四")
    assert code == 0
    document = json.loads(out)
    assert document["collector"] == "li.si"
    assert [(i["debtor"], i["at"]) for i in document["items"]] == [("broken", "09:00"), ("quietb", "09:10")]
    code, _, err = run(root, "--date", DAY, "--collector", "王五")
    assert code == 2
    assert "unknown collector '王五'" in err


def test_json_contract(tmp_path: Path) -> None:
    code, out, _ = run(write(tmp_path), "--date", DAY, "-f", "json")
    assert code == 0
    document = json.loads(out)
    assert list(document)[:2] == ["date", "collector"]
    assert document["date"] == DAY
    assert document["collector"] is None
    first = document["items"][0]
    assert list(first)[:7] == ["rank", "debtor", "action", "at", "kind", "reason", "contact"]
    assert first["open"] == {"CNY": "40000.00"}
    assert first["causes"][0] == {"kind": "guarantee", "action": "demand_guarantor", "date": "2026-03-15",
                                  "reason": first["reason"].split("；")[0]}
    assert first["template"] == "guarantor"


def test_weekly_cap(tmp_path: Path) -> None:
    settings = SETTINGS + "agenda: {max_contacts_per_week: 2}\n"
    debtors = {"weekly": """\
invoices:
  - {id: W1, issued: 2025-10-01, due: 2025-11-01, amount: 5000}
events:
  - {at: "2026-03-01T10:00:00+08:00", type: letter}
  - {at: "2026-03-04T10:00:00+08:00", type: call, outcome: no_answer}
  - {at: "2026-03-06T10:00:00+08:00", type: call, outcome: no_answer}
"""}
    found = items(write(tmp_path, settings=settings, debtors=debtors))
    assert [(i["action"], i["blocked"]) for i in found] == [("review", "cap")]
    assert found[0]["reason"].startswith("近 7 天已联系 2 次（上限 2）：今日不再联系；")


def test_formats(tmp_path: Path) -> None:
    root = write(tmp_path)
    code, out, _ = run(root, "--date", DAY)
    assert code == 0
    assert out.startswith("Agenda on 2026-03-10: 12 item(s), 7 call(s) (call window 09:00-11:00)\n")
    assert "赵六 13900000002" in out
    code, out, _ = run(root, "--date", DAY, "-f", "csv")
    lines = out.splitlines()
    assert lines[0].startswith("rank,at,collector,debtor,name,action,kind,reason,contact,mobile")
    assert lines[1].startswith("1,11:00,zhang.san,guar,guar测试有限公司,demand_guarantor,guarantee,")
    target = tmp_path / "agenda.md"
    code, _, _ = run(root, "--date", DAY, "-o", str(target))
    assert code == 0
    assert target.read_text(encoding="utf-8").startswith("## Agenda on 2026-03-10")
    code, out, _ = run(root, "--date", "2026-03-10", "--collector", "李四")
    assert out.startswith("Agenda for 李四 on 2026-03-10")


def test_nothing_to_do_and_bad_input(tmp_path: Path) -> None:
    root = write(tmp_path, debtors={"paid": DEBTORS["paid"]})
    code, out, _ = run(root, "--date", DAY)
    assert (code, out) == (0, "nothing on the agenda on 2026-03-10\n")
    code, _, err = run(root, "--date", "2026-13-01")
    assert code == 2
    assert "--date: not a date: '2026-13-01'" in err
    code, _, err = run(root, "--date", DAY, "--lang", "fr")
    assert code == 2


def test_unknown_jurisdiction_is_a_ledger_error(tmp_path: Path) -> None:
    root = write(tmp_path, debtors={"far": "jurisdiction: XX\n" + DEBTORS["fine"]})
    code, _, err = run(root, "--date", DAY)
    assert code == 1
    assert err.startswith("dunning: error: debtors/far.yaml:6:1: jurisdiction: unknown jurisdiction 'XX'")


def test_pure_function_matches_the_command(tmp_path: Path) -> None:
    book = load_ledger(write(tmp_path))
    result = agenda(book.debtors, book.settings, date(2026, 3, 10), "li.si")
    assert [i.debtor for i in result.items] == ["broken", "quietb"]
    assert result.as_json()["items"][0]["kind"] == "promise_broken"


def test_follow_up_action_words() -> None:
    assert follow_up_action("寄送催款函（EMS）并留存签收回执") == "letter"
    assert follow_up_action("再次致电赵志刚核实付款安排；仍无回款则寄送催款函") == "call"
    assert follow_up_action("电话确认第三期88,000元的付款日期，必要时与高总面谈") == "call"
    assert follow_up_action("整理申报材料，向管理人申报债权240,800元") == "file_claim"
    assert follow_up_action("上门拜访") == "visit"
    assert follow_up_action("确认是否已付款") == "call"


def test_sample_ledger_top_items() -> None:
    result = runner.invoke(app, ["agenda", "--ledger", str(SAMPLE), "--date", "2026-11-28", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)["items"]
    top = [(i["debtor"], i["kind"], i["action"]) for i in found[:3]]
    assert top == [("anshan-xinda", "guarantee", "demand_guarantor"), ("jilin-huafeng", "limitation", "letter"),
                   ("fushun-hengtai", "claims", "file_claim")]
    assert "保证期间 2026-12-10 届满（还剩 12 天）" in found[0]["reason"]
    assert found[0]["contact"]["name"] == "鞍山鑫达投资控股有限公司"
    assert found[1]["reason"].startswith("诉讼时效 2026-12-14 届满（还剩 16 天）：INV-2023-058 未付 ¥138,750.00")
    assert "破产债权申报期限 2027-01-20（还剩 53 天）" in found[2]["reason"]
    assert found[2]["contact"]["name"] == "刘晓东"  # the administrator's contact
    by_debtor = {i["debtor"]: i for i in found}
    assert "jinzhou-xinhui" not in by_debtor  # on hold
    assert "daqing-huayu" not in by_debtor  # a suit is running: through counsel
    assert all(i["action"] != "call" for i in found if i["debtor"] in ("tangshan-hongye", "fushun-hengtai",
                                                                       "benxi-taihe"))


def test_sample_ledger_follow_ups_on_a_later_day() -> None:
    result = runner.invoke(app, ["agenda", "--ledger", str(SAMPLE), "--date", "2026-12-01", "-f", "json",
                                 "--collector", "张三"])
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)["items"]
    assert [(i["debtor"], i["kind"], i["action"], i["at"]) for i in found] == [
        ("anshan-xinda", "guarantee", "demand_guarantor", "11:00"),
        ("shenyang-heavy", "follow_up", "call", "09:00")]
    assert found[1]["reason"] == "约定今日跟进：致电王建国确认INV-2026-044余款78,500元的付款日期"
    assert found[1]["contact"]["mobile"] == "13904051826"


# ---------------------------------------------------------------------------------------------
# dunning check: the contact rules


CHECK_DEBTOR = """\
invoices:
  - {id: I1, issued: 2026-01-01, due: 2026-02-01, amount: 100}
events:
  - {at: "2026-03-02T07:30:00+08:00", type: call, outcome: no_answer}
  - {at: "2026-03-02T09:00:00+08:00", type: sms}
  - {at: "2026-03-02T10:00:00+08:00", type: letter}
  - {at: "2026-03-02T11:00:00+08:00", type: call}
  - {at: "2026-03-02T12:00:00+08:00", type: call}
  - {at: "2026-03-05T09:00:00+08:00", type: call}
  - {at: "2026-03-09T09:00:00+08:00", type: call}
"""


def check(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["check", "--ledger", str(root), *args])
    return result.exit_code, result.stdout


def test_check_contact_rules(tmp_path: Path) -> None:
    root = write(tmp_path, debtors={"a": CHECK_DEBTOR})
    code, out = check(root)
    assert code == 0  # warnings only
    assert out.splitlines() == [
        "debtors/a.yaml:9:6: warning: events[0].at: contact at 07:30 is outside contact_hours 08:00-21:00",
        "debtors/a.yaml:13:6: warning: events[4].at: 4 contacts with this debtor on 2026-03-02 (call, sms, call, "
        "call): more than agenda.max_contacts_per_day 3",
    ]
    code, _ = check(root, "--strict")
    assert code == 1


def test_check_contact_rules_configured(tmp_path: Path) -> None:
    settings = SETTINGS + 'contact_hours: "07:00-21:00"\nagenda: {max_contacts_per_day: 2, max_contacts_per_week: 4}\n'
    root = write(tmp_path, settings=settings, debtors={"a": CHECK_DEBTOR})
    code, out = check(root, "-f", "json")
    assert code == 0
    warnings = [(w["line"], w["message"]) for w in json.loads(out)["warnings"]]
    assert warnings == [
        (12, "events[3].at: 3 contacts with this debtor on 2026-03-02 (call, sms, call, call): more than "
             "agenda.max_contacts_per_day 2"),
        (14, "events[5].at: 5 contacts with this debtor in the 7 days to 2026-03-05: more than "
             "agenda.max_contacts_per_week 4"),
    ]


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["agenda", "--help"])
    assert result.exit_code == 0
    assert "Example: dunning agenda" in result.stdout
