"""`dunning calendar`: the .ics parses back to the same events, with alarms, the ledger's time zone and
stable UIDs."""

import textwrap
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from icalendar import Calendar
from typer.testing import CliRunner

from dunning.calendar_ics import reminders
from dunning.calendar_ics import to_ics
from dunning.cli.app import app
from dunning.ledger import load_ledger

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parent.parent / "ledger"
STAMP = datetime(2026, 3, 10, 1, 2, 3, tzinfo=UTC)

SETTINGS = """\
format: 1
creditor: {name: 辽宁测试贸易有限公司}
collectors: {zhang.san: 张三, li.si: 李四}
"""

DEBTORS = {
    # limitation ends Friday 2026-03-20
    "limit": """\
name: 时效测试有限公司
collector: zhang.san
invoices:
  - {id: L1, issued: 2023-02-20, due: 2023-03-20, amount: 30000}
events: []
""",
    # a promise due 2026-03-12, a kept one (left out), and a follow-up call on 2026-03-13
    "promise": """\
name: 承诺测试有限公司
collector: li.si
invoices:
  - {id: P1, issued: 2026-01-10, due: 2026-02-10, amount: 80000}
events:
  - {at: "2026-02-20T10:00:00+08:00", type: call, with: 钱总, outcome: promise,
     promise: {date: 2026-02-25, amount: 1000}}
  - {at: 2026-02-24, type: payment, amount: 1000}
  - {at: "2026-03-03T10:00:00+08:00", type: call, with: 钱总, outcome: promise,
     promise: {date: 2026-03-12, amount: 30000}, next_date: 2026-03-13, next_action: 致电钱总确认到账}
""",
    # a plan: the first instalment paid, the second due 2026-04-10; a letter to send on 2026-03-11
    "plan": """\
name: 分期测试有限公司
collector: zhang.san
invoices:
  - {id: N1, issued: 2026-01-10, due: 2026-02-10, amount: 50000}
events:
  - {at: 2026-02-20, type: plan, signed: true, installments: [{due: 2026-03-01, amount: 25000},
     {due: 2026-04-10, amount: 25000}]}
  - {at: 2026-02-28, type: payment, amount: 25000}
  - {at: "2026-03-02T10:00:00+08:00", type: call, outcome: reached, next_date: 2026-03-11,
     next_action: 寄送催款函}
""",
}


def write(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors").mkdir()
    for debtor_id, body in DEBTORS.items():
        (root / "debtors" / f"{debtor_id}.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["calendar", "--ledger", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def events_of(text: str) -> dict[str, dict]:
    calendar = Calendar.from_ical(text)
    found = {}
    for event in calendar.walk("VEVENT"):
        alarms = [(str(a["ACTION"]), a.decoded("TRIGGER"), str(a["DESCRIPTION"])) for a in event.walk("VALARM")]
        found[str(event["UID"])] = {"start": event.decoded("DTSTART"), "end": event.decoded("DTEND"),
                                    "summary": str(event["SUMMARY"]), "description": str(event["DESCRIPTION"]),
                                    "kind": event["CATEGORIES"].cats[0], "alarms": alarms}
    return found


def test_events_alarms_and_time_zone(tmp_path: Path) -> None:
    code, out, _ = run(write(tmp_path), "--from", "2026-03-10", "--days", "60")
    assert code == 0
    calendar = Calendar.from_ical(out)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//dunning//dunning ")
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    events = sorted(events_of(out).values(), key=lambda e: (str(e["start"]), e["kind"]))
    assert [(e["kind"], e["start"]) for e in events] == [
        ("follow_up", date(2026, 3, 11)),  # a letter: a task for the day
        ("promise", date(2026, 3, 12)),
        ("follow_up", datetime(2026, 3, 13, 9, 0, tzinfo=events[2]["start"].tzinfo)),  # a call at 09:00
        ("limitation", date(2026, 3, 20)),
        ("installment", date(2026, 4, 10)),
    ]
    letter, promise, call, limitation, installment = events
    assert type(limitation["start"]) is date and limitation["end"] == date(2026, 3, 21)
    assert limitation["summary"] == "诉讼时效届满 · 时效测试有限公司 · L1 · ¥30,000.00"
    assert "待办: 届满前须送达催款函或取得对方书面确认" in limitation["description"]
    assert "依据: CN Civil Code Art. 188, 195, 203" in limitation["description"]
    # 14, 7 and 1 day(s) before, at 09:00 (the start of the call window)
    assert [a[1] for a in limitation["alarms"]] == [timedelta(days=-13, hours=-15), timedelta(days=-6, hours=-15),
                                                    timedelta(hours=-15)]
    assert all(a[0] == "DISPLAY" for a in limitation["alarms"])
    assert limitation["alarms"][2][2] == "诉讼时效届满 · 时效测试有限公司 · L1 · ¥30,000.00：还剩 1 天"
    assert promise["summary"] == "承诺付款 · 承诺测试有限公司 · ¥30,000.00"
    assert [a[1] for a in promise["alarms"]] == [timedelta(hours=-15), timedelta(hours=9)]
    assert installment["summary"] == "分期还款第 2 期 · 分期测试有限公司 · ¥25,000.00"
    assert str(call["start"].tzinfo) == "Asia/Shanghai"
    assert call["end"] - call["start"] == timedelta(minutes=10)
    assert call["summary"] == "跟进 · 承诺测试有限公司: 致电钱总确认到账"
    assert [a[1] for a in call["alarms"]] == [timedelta(minutes=-15)]
    assert [a[1] for a in letter["alarms"]] == [timedelta(hours=11)]  # after the call window


def test_ics_parses_back_to_the_reminders(tmp_path: Path) -> None:
    book = load_ledger(write(tmp_path))
    found = reminders(book.debtors, book.settings, date(2026, 3, 10), 60, lang="en")
    parsed = events_of(to_ics(found, book.settings, STAMP, lang="en").decode("utf-8"))
    assert len(parsed) == len(found) == 5
    for reminder in found:
        event = parsed[reminder.uid]
        assert event["summary"] == reminder.summary
        assert event["description"] == reminder.description
        assert event["kind"] == reminder.kind
        start = event["start"]
        if reminder.at is None:
            assert start == reminder.day
        else:
            assert (start.date(), start.time(), str(start.tzinfo)) == (reminder.day, reminder.at, "Asia/Shanghai")
        assert [(a[1], a[2]) for a in event["alarms"]] == list(zip(reminder.alarms, reminder.alarm_texts,
                                                                   strict=True))
    assert "Limitation ends · 时效测试有限公司 · L1 · ¥30,000.00" in {r.summary for r in found}


def test_uids_are_stable_and_unique(tmp_path: Path) -> None:
    root = write(tmp_path)
    _, first, _ = run(root, "--from", "2026-03-10", "--days", "60")
    _, later, _ = run(root, "--from", "2026-03-12", "--days", "60")
    before, after = events_of(first), events_of(later)
    assert len(before) == 5
    # the follow-up letter of 03-11 has passed; every other event keeps its UID
    assert set(after) == set(before) - {u for u, e in before.items() if e["start"] == date(2026, 3, 11)}
    # a new contact moves nothing but supersedes the follow-up; the limitation keeps its UID
    (root / "debtors" / "limit.yaml").write_text(textwrap.dedent(DEBTORS["limit"]).replace(
        "events: []", "events:\n  - {at: 2026-03-11, type: note}"), encoding="utf-8")
    _, again, _ = run(root, "--from", "2026-03-10", "--days", "60")
    assert set(events_of(again)) == set(before)
    assert all(uid.endswith(".dunning") and uid.isascii() for uid in before)


def test_collector_filter_output_file_and_bad_input(tmp_path: Path) -> None:
    root = write(tmp_path)
    target = tmp_path / "reminders.ics"
    code, out, err = run(root, "--from", "2026-03-10", "--days", "60", "--collector", "李四", "-o", str(target))
    assert (code, out) == (0, "")
    assert f"{target}: 2 event(s) from 2026-03-10 to 2026-05-08" in err
    kinds = sorted(e["kind"] for e in events_of(target.read_text(encoding="utf-8")).values())
    assert kinds == ["follow_up", "promise"]
    code, _, err = run(root, "--days", "0")
    assert code == 2
    assert "--days: must be at least 1" in err
    code, _, err = run(root, "--from", "2026-02-30")
    assert code == 2
    code, _, err = run(root, "--collector", "nobody")
    assert code == 2


def test_sample_ledger() -> None:
    result = runner.invoke(app, ["calendar", "--ledger", str(SAMPLE), "--from", "2026-11-28", "--days", "60",
                                 "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    events = events_of(result.stdout)
    shown = {(e["kind"], e["start"] if isinstance(e["start"], date) and not isinstance(e["start"], datetime)
              else e["start"].date(), e["summary"].split(" · ")[1]) for e in events.values()}
    assert ("limitation", date(2026, 12, 14), "吉林华丰纸业有限公司") in shown
    assert ("guarantee", date(2026, 12, 10), "鞍山鑫达建材有限公司") in shown
    assert ("claims", date(2027, 1, 20), "抚顺恒泰石化设备有限公司") in shown
    assert ("installment", date(2026, 12, 15), "长春一达汽车配件有限公司") in shown
    call = "沈阳重工机械有限公司: 致电王建国确认INV-2026-044余款78,500元的付款日期"
    assert ("follow_up", date(2026, 12, 1), call) in shown


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["calendar", "--help"])
    assert result.exit_code == 0
    assert "Example: dunning calendar" in result.stdout


def test_a_follow_up_call_abroad_starts_in_the_debtors_own_window() -> None:
    # leipzig-mueller (timezone Europe/Berlin) has a follow-up on 2026-12-02: 09:00 in Leipzig is
    # 16:00 in Shanghai (winter: UTC+1 against UTC+8), not 09:00 Shanghai (02:00 in Leipzig)
    result = runner.invoke(app, ["calendar", "--ledger", str(SAMPLE), "--from", "2026-11-28", "--days", "30",
                                 "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    calls = [e for e in events_of(result.stdout).values()
             if e["kind"] == "follow_up" and "Müller" in e["summary"]]
    assert len(calls) == 1
    start = calls[0]["start"]
    assert isinstance(start, datetime)
    assert start.astimezone(UTC) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
