"""Teams: the merge driver (events as a union in time order, facts three-way) and clones that push and pull."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dunning.gitlog import merge_debtor_texts
from dunning.gitlog import merge_driver
from dunning.gitlog import setup_repository
from dunning.gitlog import verify_history
from dunning.ledger import load_ledger
from dunning.ledger import parse_debtor
from dunning.writer import append_event

DUNNING = str(Path(sys.executable).parent / "dunning")
# The same driver without the command line's start-up cost (every module of every command), for the
# long simulation; the conflict test below runs the real `dunning merge-driver`.
LIGHT_DRIVER = (f"{sys.executable} -c 'import sys; from pathlib import Path; from dunning.gitlog import merge_driver; "
                "sys.exit(merge_driver(*map(Path, sys.argv[2:5]), sys.argv[5]))'")
ZONE = ZoneInfo("Asia/Shanghai")

BASE = """\
# 鞍山信达 (kept by 张三)
name: 鞍山信达钢铁有限公司
credit_limit: 300000
terms_days: 30
contacts:
  - name: 赵刚
    mobile: "13800000000"
invoices:
  - id: INV-1
    issued: 2025-03-01
    amount: 100000.00
events:
  - at: 2025-04-01T10:00:00+08:00
    type: call
    summary: 第一次
"""

OURS_EVENT = """\
  # 张三: 上门拜访
  - at: 2025-04-03T10:00:00+08:00
    type: visit
    summary: ours
"""

THEIRS_EVENTS = """\
  - at: 2025-04-02
    type: payment
    amount: 5000
  - at: 2025-04-04T09:00:00+08:00
    type: note
    summary: theirs
"""


def test_events_become_the_union_in_time_order_keeping_their_text() -> None:
    result = merge_debtor_texts(BASE, BASE + OURS_EVENT, BASE + THEIRS_EVENTS, zone=ZONE)
    assert result.conflicts == []
    assert result.text == BASE + (
        "  - at: 2025-04-02\n    type: payment\n    amount: 5000\n"
        "  # 张三: 上门拜访\n  - at: 2025-04-03T10:00:00+08:00\n    type: visit\n    summary: ours\n"
        "  - at: 2025-04-04T09:00:00+08:00\n    type: note\n    summary: theirs\n")


def test_events_of_the_same_second_keep_each_side_s_order() -> None:
    def note(text: str) -> str:
        return f"  - at: 2025-05-01T10:00:00+08:00\n    type: note\n    summary: {text}\n"

    ours = BASE + note("z") + "  - at: 2025-05-01T10:00:05+08:00\n    type: note\n"
    theirs = BASE + note("w") + note("z")  # they merged z after their own w, in the same second
    result = merge_debtor_texts(BASE, ours, theirs, zone=ZONE)
    assert [e.summary for e in parse_debtor(result.text, "x").events] == ["第一次", "w", "z", None]


def test_an_event_both_sides_recorded_appears_once() -> None:
    same = "  - at: 2025-04-02\n    type: payment\n    amount: 5000.00   # 回单已核\n"
    result = merge_debtor_texts(BASE, BASE + same, BASE + "  - at: 2025-04-02\n    type: payment\n    amount: 5000\n",
                                zone=ZONE)
    assert result.text == BASE + same
    assert len(parse_debtor(result.text, "x").events) == 2


def test_facts_changed_on_different_keys_merge_and_events_too() -> None:
    ours = BASE.replace("credit_limit: 300000", "credit_limit: 500000") + OURS_EVENT
    theirs = (BASE.replace("terms_days: 30", "terms_days: 45")
              .replace('mobile: "13800000000"', 'mobile: "13800000000"\n    role: 财务总监')
              .replace("    amount: 100000.00\n", "    amount: 100000.00\n  - id: INV-2\n    issued: 2025-04-01\n"
                       "    amount: 2000.00\n") + THEIRS_EVENTS)
    result = merge_debtor_texts(BASE, ours, theirs, zone=ZONE)
    assert result.conflicts == []
    debtor = parse_debtor(result.text, "x")
    assert (str(debtor.credit_limit), debtor.terms_days, debtor.contacts[0].role) == ("500000.00", 45, "财务总监")
    assert [i.id for i in debtor.invoices] == ["INV-1", "INV-2"]
    assert [e.type for e in debtor.events] == ["call", "payment", "visit", "note"]
    assert result.text.startswith("# 鞍山信达 (kept by 张三)\n")


def test_both_sides_changing_one_fact_is_a_conflict_with_markers_and_events_merged() -> None:
    ours = BASE.replace("credit_limit: 300000", "credit_limit: 500000") + OURS_EVENT
    theirs = BASE.replace("credit_limit: 300000", "credit_limit: 400000") + THEIRS_EVENTS
    result = merge_debtor_texts(BASE, ours, theirs, zone=ZONE)
    assert result.conflicts == ["credit_limit: ours 500000, theirs 400000"]
    assert "<<<<<<< ours\ncredit_limit: 500000\n=======\ncredit_limit: 400000\n>>>>>>> theirs\n" in result.text
    assert result.text.endswith("    summary: theirs\n")
    assert result.text.count("  - at: ") == 4


def test_the_other_side_s_indentation_is_adopted() -> None:
    flush = BASE.replace("  - at: 2025-04-01T10:00:00+08:00\n    type: call\n    summary: 第一次\n",
                         "- at: 2025-04-01T10:00:00+08:00\n  type: call\n  summary: 第一次\n")
    result = merge_debtor_texts(BASE, flush, BASE + OURS_EVENT, zone=ZONE)
    assert result.text.endswith("- at: 2025-04-01T10:00:00+08:00\n  type: call\n  summary: 第一次\n"
                                "# 张三: 上门拜访\n- at: 2025-04-03T10:00:00+08:00\n  type: visit\n  summary: ours\n")


def test_driver_writes_the_result_into_ours_and_exits_0(tmp_path: Path) -> None:
    base, ours, theirs = tmp_path / "O", tmp_path / "A", tmp_path / "B"
    base.write_text(BASE, encoding="utf-8")
    ours.write_text(BASE + OURS_EVENT, encoding="utf-8")
    theirs.write_text(BASE + THEIRS_EVENTS, encoding="utf-8")
    assert merge_driver(base, ours, theirs, "debtors/anshan.yaml") == 0
    assert len(parse_debtor(ours.read_bytes(), "x").events) == 4


def test_driver_falls_back_to_a_line_merge_for_a_file_it_cannot_split(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    base, ours, theirs = tmp_path / "O", tmp_path / "A", tmp_path / "B"
    base.write_text("events: [1]\n", encoding="utf-8")
    ours.write_text("events: [1, 2]\n", encoding="utf-8")
    theirs.write_text("events: [1, 3]\n", encoding="utf-8")
    assert merge_driver(base, ours, theirs, "debtors/odd.yaml") == 1
    assert "falling back to a line merge" in capsys.readouterr().err
    assert "<<<<<<< ours" in ours.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# three clones of one remote


SETTINGS = ("format: 1\ncreditor: {name: 辽宁示例贸易有限公司}\n"
            "collectors: {zhang.san: 张三, li.si: 李四, wang.fang: 王芳}\n")


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, check=check, capture_output=True, text=True)


def clone(remote: Path, place: Path, user: str, command: str = DUNNING) -> Path:
    git(remote.parent, "clone", "-q", str(remote), str(place))
    git(place, "config", "user.name", user)
    git(place, "config", "user.email", f"{user}@example.cn")
    git(place, "config", "pull.rebase", "false")
    setup_repository(place, command=DUNNING)
    git(place, "config", "merge.dunning.driver", f"{command} merge-driver %O %A %B %P")
    return place


def sync(place: Path) -> None:
    """`git pull` then `git push`, as a person would after recording."""
    pulled = git(place, "pull", "-q", "--no-edit", check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    git(place, "push", "-q")


def make_remote(tmp_path: Path, command: str = DUNNING) -> tuple[Path, Path]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    first = tmp_path / "zhang"
    git(tmp_path, "clone", "-q", str(remote), str(first))
    (first / "debtors").mkdir()
    (first / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (first / "debtors" / "anshan.yaml").write_text(BASE, encoding="utf-8")
    (first / "debtors" / "benxi.yaml").write_text("name: 本溪泰和\nevents: []\n", encoding="utf-8")
    git(first, "config", "user.name", "zhang.san")
    git(first, "config", "user.email", "zhang.san@example.cn")
    git(first, "config", "pull.rebase", "false")
    setup_repository(first, command=DUNNING)
    git(first, "config", "merge.dunning.driver", f"{command} merge-driver %O %A %B %P")
    git(first, "add", ".")
    git(first, "commit", "-q", "-m", "start the ledger")
    git(first, "push", "-q", "-u", "origin", "main")
    return remote, first


def test_three_clones_pushing_and_pulling_lose_nothing(tmp_path: Path) -> None:
    remote, zhang = make_remote(tmp_path, LIGHT_DRIVER)
    li = clone(remote, tmp_path / "li", "li.si", LIGHT_DRIVER)
    wang = clone(remote, tmp_path / "wang", "wang.fang", LIGHT_DRIVER)
    clones = {"zhang": zhang, "li": li, "wang": wang}
    expected: dict[str, list[str]] = {"anshan": [], "benxi": []}
    for round_ in range(2):
        for name, place in clones.items():  # everyone records before anyone pulls: every pull merges
            for n in range(2):
                summary = f"{name} round {round_} #{n}"
                debtor = "anshan" if n == 0 or name == "li" else "benxi"
                append_event(place, debtor, {"type": "note", "summary": summary})
                expected[debtor].append(summary)
        for place in clones.values():
            sync(place)
    li_file = li / "debtors" / "anshan.yaml"
    li_file.write_text(li_file.read_text(encoding="utf-8").replace("credit_limit: 300000", "credit_limit: 450000"),
                       encoding="utf-8")
    git(li, "commit", "-q", "-am", "raise the limit after the credit review")
    append_event(wang, "anshan", {"type": "note", "summary": "wang after the review"})
    expected["anshan"].append("wang after the review")
    sync(li)
    sync(wang)
    for place in clones.values():
        git(place, "pull", "-q", "--no-edit")
    texts = {name: (place / "debtors" / "anshan.yaml").read_text(encoding="utf-8") for name, place in clones.items()}
    assert len(set(texts.values())) == 1
    for place in clones.values():
        ledger = load_ledger(place, cache=False)
        for debtor_id, summaries in expected.items():
            written = [e.summary for e in ledger.debtors[debtor_id].events if e.type == "note"]
            assert sorted(written) == sorted(summaries), debtor_id
        assert str(ledger.debtors["anshan"].credit_limit) == "450000.00"
        assert ledger.debtors["anshan"].events[0].summary == "第一次"
        assert verify_history(place) == []
    merges = git(zhang, "log", "--merges", "--format=%s").stdout.splitlines()
    assert merges  # the test did exercise merges


def test_two_clones_changing_the_same_fact_get_a_conflict_and_keep_both_events(tmp_path: Path) -> None:
    remote, zhang = make_remote(tmp_path)
    li = clone(remote, tmp_path / "li", "li.si")
    for place, limit, summary in ((zhang, "500000", "zhang"), (li, "400000", "li")):
        path = place / "debtors" / "anshan.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("credit_limit: 300000", f"credit_limit: {limit}"),
                        encoding="utf-8")
        git(place, "commit", "-q", "-am", f"limit {limit}")
        append_event(place, "anshan", {"type": "note", "summary": summary})
    sync(zhang)
    pulled = git(li, "pull", "--no-edit", check=False)
    assert pulled.returncode != 0
    assert "both sides changed credit_limit: ours 400000, theirs 500000" in pulled.stderr
    text = (li / "debtors" / "anshan.yaml").read_text(encoding="utf-8")
    assert "<<<<<<< ours\ncredit_limit: 400000\n=======\ncredit_limit: 500000\n>>>>>>> theirs\n" in text
    assert "summary: zhang\n" in text and "summary: li\n" in text


def test_check_history_catches_a_merge_that_dropped_the_other_side_s_event(tmp_path: Path) -> None:
    remote, zhang = make_remote(tmp_path)
    li = clone(remote, tmp_path / "li", "li.si")
    append_event(li, "anshan", {"at": "2025-05-01T10:00", "type": "note", "summary": "li's call notes"})
    sync(li)
    append_event(zhang, "anshan", {"at": "2025-05-01T11:00", "type": "note", "summary": "zhang's note"})
    git(zhang, "pull", "-q", "--no-edit", "-s", "ours")  # keeps zhang's files whole: li's event is gone
    merge = git(zhang, "rev-parse", "HEAD").stdout.strip()
    problems = [e.message for e in verify_history(zhang)]
    assert len(problems) == 1
    assert problems[0].startswith("events[1] (")
    assert f"was removed in merge commit {merge[:12]} (dropped from parent " in problems[0]
    assert "by zhang.san <zhang.san@example.cn>" in problems[0]


def test_pull_with_rebase_goes_through_the_driver_and_keeps_history_append_only(tmp_path: Path) -> None:
    remote, zhang = make_remote(tmp_path, LIGHT_DRIVER)
    li = clone(remote, tmp_path / "li", "li.si", LIGHT_DRIVER)
    append_event(zhang, "anshan", {"at": "2025-05-01T10:00", "type": "note", "summary": "zhang first"})
    append_event(li, "anshan", {"at": "2025-05-01T09:00", "type": "note", "summary": "li, earlier in the day"})
    append_event(zhang, "anshan", {"at": "2025-05-01T11:00", "type": "note", "summary": "zhang later"})
    sync(zhang)
    rebased = git(li, "pull", "-q", "--rebase", check=False)
    assert rebased.returncode == 0, rebased.stderr
    git(li, "push", "-q")
    events = parse_debtor((li / "debtors" / "anshan.yaml").read_bytes(), "x").events
    assert [e.summary for e in events] == ["第一次", "li, earlier in the day", "zhang first", "zhang later"]
    assert git(li, "log", "--merges", "--format=%H").stdout == ""
    assert verify_history(li) == []
