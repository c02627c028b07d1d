"""A debtor abroad (`timezone:` in its file): the agenda puts its calls in its own call window, shown in
the ledger's time with the local time beside it; `dunning check` judges its contacts by its own clock;
`show` and `new` know the field; an unknown zone is an error at its line."""

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning.cli.app import app

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parent.parent / "ledger"

SETTINGS = """\
format: 1
creditor: {name: 辽宁测试贸易有限公司}
collectors: {zhang.san: 张三}
"""

# C, never contacted (due 2025-10-01): a no_contact call on any day of 2026.
SILENT = """\
invoices:
  - {id: INV-1, issued: 2025-09-01, due: 2025-10-01, amount: 1000}
events: []
"""


def debtor(name: str, body: str, timezone: str | None = None) -> str:
    zone = f"timezone: {timezone}\n" if timezone else ""
    return (f"name: {name}\ncollector: zhang.san\n{zone}contacts:\n"
            f"  - {{name: Weber, decision_maker: true, mobile: \"+49 151 0000000\"}}\n" + textwrap.dedent(body))


def write(root: Path, debtors: dict[str, str], settings: str = SETTINGS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dunning.yaml").write_text(settings, encoding="utf-8")
    (root / "debtors").mkdir()
    for debtor_id, text in debtors.items():
        text = text.replace("{id: INV-", f"{{id: {debtor_id.upper()}-")  # invoice ids are unique in a ledger
        (root / "debtors" / f"{debtor_id}.yaml").write_text(text, encoding="utf-8")
    return root


def agenda_items(root: Path, day: str) -> list[dict]:
    result = runner.invoke(app, ["agenda", "--ledger", str(root), "--date", day, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["items"]


def check(root: Path, *args: str) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["check", "--ledger", str(root), *args])
    return result.exit_code, (result.stdout + result.stderr).splitlines()


# ---------------------------------------------------------------------------------------------
# agenda


def berlin_and_shanghai(root: Path) -> Path:
    # berlin: a follow-up due 2026-03-10 (class 3) ranks before shanghai's silence (class 4).
    follow = """\
invoices:
  - {id: B-1, issued: 2026-01-01, due: 2026-02-01, amount: 5000}
events:
  - {at: "2026-03-02T16:00:00+08:00", type: call, with: Weber, outcome: reached, next_date: 2026-03-10}
"""
    return write(root, {"berlin": debtor("Müller GmbH", follow, "Europe/Berlin"),
                        "shanghai": debtor("上海测试有限公司", SILENT)})


def test_berlin_call_in_the_leipzig_morning_shown_in_ledger_time(tmp_path: Path) -> None:
    root = berlin_and_shanghai(tmp_path)
    found = agenda_items(root, "2026-03-10")
    # The ranks stay the priority order; only the times follow each debtor's window.
    assert [(i["rank"], i["debtor"], i["kind"], i["at"], i["local_at"], i["timezone"]) for i in found] == [
        (1, "berlin", "follow_up", "16:00", "09:00", "Europe/Berlin"),
        (2, "shanghai", "no_contact", "09:00", "09:00", "Asia/Shanghai"),
    ]
    assert found[0]["local_date"] == "2026-03-10"
    result = runner.invoke(app, ["agenda", "--ledger", str(root), "--date", "2026-03-10"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[4].startswith("1  16:00 (09:00 Europe/Berlin)  张三       berlin  ")
    assert lines[5].startswith("2  09:00                        张三       shanghai")
    result = runner.invoke(app, ["agenda", "--ledger", str(root), "--date", "2026-03-10", "-f", "csv"])
    header, first = result.stdout.splitlines()[:2]
    assert header.endswith(",days_overdue,local_at,timezone")
    assert first.startswith("1,16:00,zhang.san,berlin,") and first.endswith(",09:00,Europe/Berlin")


@pytest.mark.parametrize(("day", "at"), [
    ("2026-01-15", "16:00"),  # winter: CET, UTC+1, 7 hours behind Shanghai
    ("2026-03-28", "16:00"),  # the Saturday before summer time
    ("2026-03-29", "15:00"),  # summer time from 02:00 that Sunday: CEST, UTC+2, 6 hours behind
    ("2026-07-14", "15:00"),
    ("2026-10-24", "15:00"),
    ("2026-10-25", "16:00"),  # back to CET that Sunday
])
def test_berlin_slot_across_summer_time(tmp_path: Path, day: str, at: str) -> None:
    root = write(tmp_path, {"berlin": debtor("Müller GmbH", SILENT, "Europe/Berlin")})
    (item,) = agenda_items(root, day)
    assert (item["at"], item["local_at"], item["local_date"]) == (at, "09:00", day)


def test_one_collector_never_gets_two_calls_at_once(tmp_path: Path) -> None:
    # One-hour slots. Shanghai's window 09:00-11:00; Tokyo's 09:00-11:00 JST is 08:00-10:00 in Shanghai.
    # Longest silence first: sh1, tk1, tk2, sh2.
    def silent(due: str) -> str:
        return f"invoices:\n  - {{id: I-{due}, issued: 2025-08-01, due: {due}, amount: 1000}}\nevents: []\n"

    settings = SETTINGS + "agenda: {call_minutes: 60}\n"
    root = write(tmp_path, {"sh1": debtor("sh1", silent("2025-09-01")),
                            "tk1": debtor("tk1", silent("2025-09-02"), "Asia/Tokyo"),
                            "tk2": debtor("tk2", silent("2025-09-03"), "Asia/Tokyo"),
                            "sh2": debtor("sh2", silent("2025-09-04"))}, settings)
    found = agenda_items(root, "2026-03-10")
    assert [(i["debtor"], i["at"], i["local_at"]) for i in found] == [
        ("sh1", "09:00", "09:00"),
        ("tk1", "08:00", "09:00"),  # Tokyo's first hour is free
        ("tk2", None, None),  # Tokyo's second hour is sh1's 09:00: no time left in Tokyo's window
        ("sh2", "10:00", "10:00"),
    ]


def test_debtor_far_ahead_gets_its_next_morning(tmp_path: Path) -> None:
    # Berlin ledger, Auckland debtor, 12 hours ahead in March: Auckland's 2026-03-10 window was over at
    # 2026-03-09 23:00 in Berlin, before the ledger's day began; its window of the 11th starts at 21:00
    # on the 10th in Berlin.
    settings = SETTINGS + "timezone: Europe/Berlin\n"
    root = write(tmp_path, {"auckland": debtor("Kiwi Ltd", SILENT, "Pacific/Auckland")}, settings)
    (item,) = agenda_items(root, "2026-03-10")
    assert (item["at"], item["local_at"], item["local_date"]) == ("21:00", "09:00", "2026-03-11")
    result = runner.invoke(app, ["agenda", "--ledger", str(root), "--date", "2026-03-10"])
    assert "21:00 (09:00 Pacific/Auckland, 2026-03-11)" in result.stdout


def test_debtor_far_behind_is_called_in_the_ledgers_night(tmp_path: Path) -> None:
    # Shanghai ledger, Los Angeles debtor, 15 hours behind (PDT from 2026-03-08): the window that starts
    # on the ledger's 2026-03-10 is Los Angeles' 2026-03-09, 00:00-02:00 in Shanghai.
    root = write(tmp_path, {"la": debtor("LA Inc", SILENT, "America/Los_Angeles")})
    (item,) = agenda_items(root, "2026-03-10")
    assert (item["at"], item["local_at"], item["local_date"]) == ("00:00", "09:00", "2026-03-09")


def test_letters_stay_after_the_ledgers_window(tmp_path: Path) -> None:
    # Limitation (CN, 3 years from 2023-03-21) ends 2026-03-20: a letter, after the ledger's window.
    body = """\
invoices:
  - {id: L1, issued: 2023-02-20, due: 2023-03-20, amount: 30000}
events: []
"""
    root = write(tmp_path, {"berlin": debtor("Müller GmbH", body, "Europe/Berlin")})
    (item,) = agenda_items(root, "2026-03-10")
    assert (item["action"], item["at"], item["local_at"]) == ("letter", "11:00", None)


def test_daily_cap_counts_the_debtors_own_day(tmp_path: Path) -> None:
    # Three calls in the Shanghai small hours of 2026-03-10: 2026-03-09 evening in Berlin.
    body = """\
invoices:
  - {id: INV-1, issued: 2025-09-01, due: 2025-10-01, amount: 1000}
events:
  - {at: "2026-03-10T01:00:00+08:00", type: call, outcome: no_answer}
  - {at: "2026-03-10T02:00:00+08:00", type: call, outcome: no_answer}
  - {at: "2026-03-10T03:00:00+08:00", type: call, outcome: no_answer}
"""
    root = write(tmp_path, {"berlin": debtor("Müller GmbH", body, "Europe/Berlin"),
                            "shanghai": debtor("上海测试有限公司", body)})
    found = {i["debtor"]: (i["action"], i["blocked"], i["at"]) for i in agenda_items(root, "2026-03-10")}
    assert found == {"berlin": ("call", None, "16:00"),  # nobody called Berlin on its 2026-03-10
                     "shanghai": ("review", "cap", None)}


def test_sample_leipzig_follow_up_in_the_leipzig_morning() -> None:
    result = runner.invoke(app, ["agenda", "--ledger", str(SAMPLE), "--date", "2026-12-02", "--collector", "li.si",
                                 "-f", "json"])
    assert result.exit_code == 0, result.stderr
    leipzig = next(i for i in json.loads(result.stdout)["items"] if i["debtor"] == "leipzig-mueller")
    assert (leipzig["kind"], leipzig["at"], leipzig["local_at"], leipzig["timezone"]) == (
        "follow_up", "16:00", "09:00", "Europe/Berlin")
    assert check(SAMPLE) == (0, [])


# ---------------------------------------------------------------------------------------------
# check


def contacts_at(*times: str) -> str:
    events = "".join(f"  - {{at: \"{t}\", type: call, outcome: no_answer}}\n" for t in times)
    return f"invoices:\n  - {{id: INV-1, issued: 2025-09-01, due: 2025-10-01, amount: 1000}}\nevents:\n{events}"


def test_contact_hours_in_the_debtors_time(tmp_path: Path) -> None:
    times = ("2026-03-10T02:30:00+08:00",  # Berlin 2026-03-09 19:30: fine there, night in Shanghai
             "2026-03-10T14:00:00+08:00",  # Berlin 07:00 (CET): too early there
             "2026-03-10T14:00:00",  # no offset: read in the ledger's zone, the same 07:00 in Berlin
             "2026-07-14T14:00:00+08:00")  # Berlin 08:00 (CEST): fine in summer
    root = write(tmp_path, {"berlin": debtor("Müller GmbH", contacts_at(*times), "Europe/Berlin"),
                            "shanghai": debtor("上海测试有限公司", contacts_at(*times))})
    code, lines = check(root)
    assert code == 0  # warnings only
    assert lines == [
        "debtors/berlin.yaml:10:6: warning: events[1].at: contact at 07:00 Europe/Berlin time is outside "
        "contact_hours 08:00-21:00",
        "debtors/berlin.yaml:11:6: warning: events[2].at: contact at 07:00 Europe/Berlin time is outside "
        "contact_hours 08:00-21:00",
        "debtors/shanghai.yaml:8:6: warning: events[0].at: contact at 02:30 is outside contact_hours 08:00-21:00",
    ]
    assert check(root, "--strict")[0] == 1


def test_daily_cap_warning_on_the_debtors_day(tmp_path: Path) -> None:
    # Two contacts on each of two Shanghai days; all four on 2026-03-10 in Berlin (09:00 to 20:00).
    times = ("2026-03-10T16:00:00+08:00", "2026-03-10T17:00:00+08:00", "2026-03-11T02:00:00+08:00",
             "2026-03-11T03:00:00+08:00")
    root = write(tmp_path, {"berlin": debtor("Müller GmbH", contacts_at(*times), "Europe/Berlin"),
                            "shanghai": debtor("上海测试有限公司", contacts_at(*times))})
    code, lines = check(root)
    assert code == 0
    assert lines == [
        "debtors/berlin.yaml:12:6: warning: events[3].at: 4 contacts with this debtor on 2026-03-10 Europe/Berlin "
        "time (call, call, call, call): more than agenda.max_contacts_per_day 3",
        "debtors/shanghai.yaml:10:6: warning: events[2].at: contact at 02:00 is outside contact_hours 08:00-21:00",
        "debtors/shanghai.yaml:11:6: warning: events[3].at: contact at 03:00 is outside contact_hours 08:00-21:00",
    ]


def test_a_debtor_in_the_ledgers_own_zone_reads_as_before(tmp_path: Path) -> None:
    root = write(tmp_path, {"same": debtor("上海测试有限公司", contacts_at("2026-03-10T07:30:00+08:00"),
                                           "Asia/Shanghai")})
    assert check(root) == (0, ["debtors/same.yaml:9:6: warning: events[0].at: contact at 07:30 is outside "
                               "contact_hours 08:00-21:00"])
    (item,) = agenda_items(root, "2026-03-10")
    assert (item["at"], item["local_at"], item["timezone"]) == ("09:00", "09:00", "Asia/Shanghai")


def test_unknown_timezone_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = write(tmp_path, {"berlin": debtor("Müller GmbH", SILENT, "Europe/Leipzig")})
    assert check(root) == (1, ["debtors/berlin.yaml:3:1: timezone: unknown time zone: 'Europe/Leipzig'"])
    result = runner.invoke(app, ["check", "--ledger", str(root), "-f", "json"])
    assert json.loads(result.stdout)["errors"] == [
        {"file": "debtors/berlin.yaml", "line": 3, "column": 1,
         "message": "timezone: unknown time zone: 'Europe/Leipzig'", "severity": "error"}]
    result = runner.invoke(app, ["agenda", "--ledger", str(root), "--date", "2026-03-10"])
    assert result.exit_code == 1
    assert "debtors/berlin.yaml:3:1: timezone: unknown time zone: 'Europe/Leipzig'" in result.stderr


# ---------------------------------------------------------------------------------------------
# show and new


def test_show_names_the_local_time_beside_the_contacts(tmp_path: Path) -> None:
    root = berlin_and_shanghai(tmp_path)
    for day, window in (("2026-03-10", "16:00-18:00"), ("2026-07-14", "15:00-17:00")):
        result = runner.invoke(app, ["show", "berlin", "--ledger", str(root), "--as-of", day])
        assert result.exit_code == 0, result.stderr
        assert f"\nContacts (Europe/Berlin: call window 09:00-11:00 there, {window} Asia/Shanghai)\n" \
            in result.stdout
    result = runner.invoke(app, ["show", "shanghai", "--ledger", str(root), "--as-of", "2026-03-10"])
    assert "\nContacts\n" in result.stdout
    result = runner.invoke(app, ["show", "berlin", "--ledger", str(root), "--as-of", "2026-03-10", "-f", "json"])
    assert json.loads(result.stdout)["timezone"] == "Europe/Berlin"


def test_new_with_timezone(tmp_path: Path) -> None:
    root = write(tmp_path, {})
    result = runner.invoke(app, ["new", "leipzig", "--name", "Müller GmbH", "--timezone", "Mars/Base",
                                 "--ledger", str(root), "--no-commit"])
    assert result.exit_code == 2
    assert result.stderr == "dunning: error: --timezone: unknown time zone: 'Mars/Base'\n"
    assert not (root / "debtors" / "leipzig.yaml").exists()
    result = runner.invoke(app, ["new", "leipzig", "--name", "Müller GmbH", "--jurisdiction", "DE",
                                 "--timezone", "Europe/Berlin", "--ledger", str(root), "--no-commit"])
    assert result.exit_code == 0, result.stderr
    assert (root / "debtors" / "leipzig.yaml").read_text(encoding="utf-8") == (
        "name: Müller GmbH\njurisdiction: DE\ntimezone: Europe/Berlin\nterms_days: 30\ninvoices: []\nevents: []\n")
    assert check(root) == (0, [])
