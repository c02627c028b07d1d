"""`dunning report`: recovery, DSO countback, buckets, roll rates, promises kept and days to pay,
checked against figures computed by hand on a small ledger (three debtors, January to March 2026)."""

import csv
import io
import json
import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning.analytics import History
from dunning.analytics import Period
from dunning.analytics import countback_dso
from dunning.analytics import default_period
from dunning.analytics import months_to
from dunning.analytics import report
from dunning.balances import debtor_state
from dunning.cli.app import app
from dunning.ledger import load_ledger
from dunning.ledger import parse_debtor
from dunning.model import Debtor
from dunning.model import Settings

D = date.fromisoformat
runner = CliRunner()

SETTINGS = """\
format: 1
creditor: {name: 辽宁测试贸易有限公司}
collectors: {zhang.san: 张三, li.si: 李四}
"""

# The period is 2026-01-01 to 2026-03-31. Observation points: p0 2025-12-31 (opening), p1 2026-01-31,
# p2 2026-02-28, p3 2026-03-31. Buckets: current (not due), A 1-30, B 31-60, C 61+ days overdue.
#
# alpha, CNY:
#   A1 1000 due 2025-12-05: 400 paid 2025-12-20 (before the period), 300 on 01-18, 300 on 02-25.
#       p0 open 600, 26 days -> A;  p1 open 300, 57 days -> B;  p2 settled.
#   A2 2000 due 2026-02-09: 1200 on 02-25 (the rest of that payment after A1's 300).
#       p1 2000, -9 days -> current;  p2 800, 19 days -> A;  p3 800, 50 days -> B.
#   A3 600 due 2026-04-04, issued 03-05: 100 paid early on 03-28 (names A3).  p3 500, -4 -> current.
#   Promises: 01-20 for 300 (300 paid 01-18: kept); 03-15 for 800 (nothing paid by then: broken).
ALPHA = """\
name: 沈阳阿尔法机械有限公司
industry: 机械制造
region: 辽宁/沈阳
collector: zhang.san
invoices:
  - {id: A1, issued: 2025-11-05, due: 2025-12-05, amount: 1000.00}
  - {id: A2, issued: 2026-01-10, due: 2026-02-09, amount: 2000.00}
  - {id: A3, issued: 2026-03-05, due: 2026-04-04, amount: 600.00}
events:
  - {at: 2025-12-20, type: payment, amount: 400.00, invoice: A1}
  - {at: 2026-01-05, type: call, by: zhang.san, outcome: promise, promise: {date: 2026-01-20, amount: 300.00}}
  - {at: 2026-01-18, type: payment, amount: 300.00}
  - {at: 2026-02-25, type: payment, amount: 1500.00}
  - {at: 2026-03-01, type: call, by: zhang.san, outcome: promise, promise: {date: 2026-03-15, amount: 800.00}}
  - {at: 2026-03-28, type: payment, amount: 100.00, invoice: A3}
"""

# beta, CNY:
#   B1 5000 due 2026-01-02: 1000 paid 03-10.
#       p0 5000, -2 -> current;  p1 5000, 29 -> A;  p2 5000, 57 -> B;  p3 4000, 88 -> C.
#   Promise 02-10 for 2000: nothing paid by then: broken.
BETA = """\
name: 大连贝塔物流有限公司
industry: 物流
region: 辽宁/大连
collector: li.si
invoices:
  - {id: B1, issued: 2025-12-03, due: 2026-01-02, amount: 5000.00}
events:
  - {at: 2026-02-01, type: call, by: li.si, outcome: promise, promise: {date: 2026-02-10, amount: 2000.00}}
  - {at: 2026-03-10, type: payment, amount: 1000.00, invoice: B1}
"""

# gamma, EUR: G1 800 due 2026-02-14, paid 03-20 (34 days late).
#   p1 800, -14 -> current;  p2 800, 14 -> A;  p3 settled.
GAMMA = """\
name: Gamma Maschinen GmbH
industry: 机械制造
region: 德国/莱比锡
collector: li.si
currency: EUR
invoices:
  - {id: G1, issued: 2026-01-15, due: 2026-02-14, amount: 800.00}
events:
  - {at: 2026-03-20, type: payment, amount: 800.00, invoice: G1}
"""

PERIOD = Period(D("2026-01-01"), D("2026-03-31"))
AS_OF = D("2026-03-31")


def settings() -> Settings:
    return Settings.model_validate({"format": 1, "creditor": {"name": "测试"},
                                    "collectors": {"zhang.san": "张三", "li.si": "李四"}})


def debtors() -> dict[str, Debtor]:
    return {name: parse_debtor(text, f"debtors/{name}.yaml")
            for name, text in (("alpha", ALPHA), ("beta", BETA), ("gamma", GAMMA))}


def write_ledger(root: Path) -> Path:
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    for name, text in (("alpha", ALPHA), ("beta", BETA), ("gamma", GAMMA)):
        (root / "debtors" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write_ledger(tmp_path / "ledger")


def q(value: Decimal | None, places: str = "0.0001") -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places))


# ---------------------------------------------------------------------------------------------
# the period


def test_default_period_is_the_last_twelve_full_months() -> None:
    assert default_period(D("2026-11-28")) == Period(D("2025-11-01"), D("2026-10-31"))
    assert default_period(D("2026-10-31")) == Period(D("2025-11-01"), D("2026-10-31"))
    assert default_period(D("2026-03-01")) == Period(D("2025-03-01"), D("2026-02-28"))
    assert months_to(D("2026-11-15")) == Period(D("2025-12-01"), D("2026-11-15"))


def test_points_are_the_opening_day_the_month_ends_and_the_end() -> None:
    assert PERIOD.points == (D("2025-12-31"), D("2026-01-31"), D("2026-02-28"), D("2026-03-31"))
    assert Period(D("2026-01-15"), D("2026-02-10")).points == (D("2026-01-14"), D("2026-01-31"), D("2026-02-10"))


# ---------------------------------------------------------------------------------------------
# the figures


def cny_total() -> object:
    result = report(debtors(), settings(), AS_OF, period=PERIOD)
    (cny, eur) = result.blocks
    assert (cny.currency, eur.currency) == ("CNY", "EUR")
    return cny.total


def test_recovery_rate() -> None:
    total = report(debtors(), settings(), AS_OF, period=PERIOD).blocks[0].total
    # Due by 03-31, as it stood on 01-01: A1 1000 - 400 paid before = 600; A2 2000; B1 5000 -> 7600.
    # (A3 falls due 04-04: not in.) Collected in the period on those: A1 300 + 300, A2 1200, B1 1000
    # = 2800. Received also counts the early 100 on A3: 2900.
    assert total.due == Decimal("7600.00")
    assert total.collected == Decimal("2800.00")
    assert total.received == Decimal("2900.00")
    assert q(total.recovery_rate) == Decimal("0.3684")  # 2800 / 7600


def test_dso_countback() -> None:
    total = report(debtors(), settings(), AS_OF, period=PERIOD).blocks[0].total
    # Open 03-31: A2 800 + A3 500 + B1 4000 = 5300. Sales: 2026-03 600, 02 none, 01 2000, 2025-12 5000.
    # March 600 < 5300 -> 31 days, 4700 left; February 0 -> 28 days; January 2000 -> 31 days, 2700
    # left; December 2700 / 5000 x 31 = 16.74 days. DSO = 31 + 28 + 31 + 16.74 = 106.74.
    assert total.open == Decimal("5300.00")
    assert q(total.dso, "0.01") == Decimal("106.74")


def test_countback_stops_inside_the_month_of_the_end() -> None:
    # 150 open on 2026-03-15 with 300 invoiced 03-01..03-15: half of 15 days.
    assert countback_dso(Decimal(150), {(2026, 3): Decimal(300)}, D("2026-03-15")) == Decimal("7.5")
    assert countback_dso(Decimal(0), {}, D("2026-03-15")) == Decimal(0)


def test_amounts_per_bucket_at_the_period_end() -> None:
    total = report(debtors(), settings(), AS_OF, period=PERIOD).blocks[0].total
    assert total.by_bucket == {"current": Decimal("500.00"), "A": Decimal("0.00"), "B": Decimal("800.00"),
                               "C": Decimal("4000.00")}
    assert total.overdue == Decimal("4800.00")
    # Month by month (CNY): p0 current 5000 (B1), A 600 (A1); p1 current 2000, A 5000, B 300;
    # p2 A 800, B 5000; p3 as above.
    assert [(m.day, m.open, m.overdue) for m in total.months] == [
        (D("2025-12-31"), Decimal("5600.00"), Decimal("600.00")),
        (D("2026-01-31"), Decimal("7300.00"), Decimal("5300.00")),
        (D("2026-02-28"), Decimal("5800.00"), Decimal("5800.00")),
        (D("2026-03-31"), Decimal("5300.00"), Decimal("4800.00"))]


def test_roll_rates() -> None:
    total = report(debtors(), settings(), AS_OF, period=PERIOD).blocks[0].total
    # current->A: p0->p1 B1 5000 of 5000 = 1.0; p1->p2 A2 800 of 2000 = 0.4; p2 had no current. Mean 0.7.
    # A->B: p0->p1 A1 300 of 600 = 0.5; p1->p2 B1 5000 of 5000 = 1.0; p2->p3 A2 800 of 800 = 1.0.
    #       Mean 2.5 / 3 = 0.8333.
    # B->C: p0 had no B; p1->p2 A1 0 of 300 (paid) = 0; p2->p3 B1 4000 of 5000 = 0.8. Mean 0.4.
    assert [(r.source, r.target, q(r.rate), r.steps) for r in total.roll_rates] == [
        ("current", "A", Decimal("0.7000"), 2), ("A", "B", Decimal("0.8333"), 3), ("B", "C", Decimal("0.4000"), 2)]


def test_promise_kept_ratio() -> None:
    total = report(debtors(), settings(), AS_OF, period=PERIOD).blocks[0].total
    # alpha 01-20 kept, alpha 03-15 broken, beta 02-10 broken: 1 / 3.
    assert (total.promises_kept, total.promises_broken) == (1, 2)
    assert q(total.promise_kept_ratio) == Decimal("0.3333")


def test_promise_pending_on_the_period_end_counts_in_neither() -> None:
    # Judged as of 03-14, alpha's 03-15 promise is still pending; beta's 02-10 is broken.
    short = Period(D("2026-01-01"), D("2026-03-15"))
    total = report(debtors(), settings(), AS_OF, period=short).blocks[0].total
    assert (total.promises_kept, total.promises_broken) == (1, 1)


def test_average_days_to_pay() -> None:
    total = report(debtors(), settings(), AS_OF, period=PERIOD).blocks[0].total
    # A1: 300 on 01-18 (44 days after 12-05) and 300 on 02-25 (82); A2: 1200 on 02-25 (16 after 02-09);
    # B1: 1000 on 03-10 (67 after 01-02); A3: 100 on 03-28 (-7: early).
    # (300x44 + 300x82 + 1200x16 + 1000x67 - 100x7) / 2900 = 123300 / 2900 = 42.52
    assert q(total.days_to_pay, "0.01") == Decimal("42.52")


def test_currencies_are_never_added() -> None:
    result = report(debtors(), settings(), AS_OF, period=PERIOD)
    eur = result.blocks[1].total
    # G1: due 800, collected 800 (100 %), paid 34 days late; nothing open at the end.
    assert (eur.due, eur.collected, eur.open) == (Decimal("800.00"), Decimal("800.00"), Decimal("0.00"))
    assert eur.recovery_rate == 1
    assert eur.days_to_pay == 34
    assert eur.dso == 0
    # current->A: p1->p2 800 of 800; A->B: p2->p3 0 of 800.
    assert [q(r.rate) for r in eur.roll_rates] == [Decimal("1.0000"), Decimal("0.0000"), None]


def test_segments_add_up_to_the_total() -> None:
    result = report(debtors(), settings(), AS_OF, period=PERIOD, by="region")
    cny = result.blocks[0]
    assert [s.segment for s in cny.segments] == ["辽宁/大连", "辽宁/沈阳"]
    dalian, shenyang = cny.segments
    # beta: due 5000, collected 1000 -> 20 %; alpha: due 600 + 2000 = 2600, collected 1800 -> 69.23 %.
    assert (dalian.due, dalian.collected, q(dalian.recovery_rate)) == (Decimal("5000.00"), Decimal("1000.00"),
                                                                       Decimal("0.2000"))
    assert (shenyang.due, shenyang.collected, q(shenyang.recovery_rate)) == (Decimal("2600.00"),
                                                                             Decimal("1800.00"), Decimal("0.6923"))
    assert dalian.due + shenyang.due == cny.total.due
    assert (dalian.debtors, shenyang.debtors, cny.total.debtors) == (1, 1, 2)


def test_history_matches_a_replay_at_every_day() -> None:
    """Balances at earlier days from one replay equal debtor_state at those days, bankruptcy included."""
    bankrupt = parse_debtor("""\
name: 破产测试有限公司
invoices:
  - {id: Z1, issued: 2026-01-01, due: 2026-01-31, amount: 900.00}
  - {id: Z2, issued: 2026-01-20, due: 2026-04-30, amount: 700.00}
events:
  - {at: 2026-02-10, type: payment, amount: 500.00}
  - {at: 2026-02-20, type: status, status: bankrupt, claims_deadline: 2026-05-20}
  - {at: 2026-03-05, type: payment, amount: 100.00}
""", "debtors/z.yaml")
    cases = [*debtors().values(), bankrupt]
    for debtor in cases:
        state = debtor_state(debtor, settings(), AS_OF)
        history = History(debtor, state)
        day = D("2025-11-01")
        while day <= AS_OF:
            then = debtor_state(debtor, settings(), day)
            expected = {i.id: (i.open, i.due) for i in then.invoices}
            got = {i.id: (history.open_on(i, day), history.due_on(i, day)) for i in state.invoices if i.issued <= day}
            assert got == expected, (debtor.name, day)
            day = date.fromordinal(day.toordinal() + 1)


# ---------------------------------------------------------------------------------------------
# the command


def run(ledger: Path, *args: str) -> str:
    result = runner.invoke(app, ["report", "--ledger", str(ledger), "--as-of", "2026-03-31",
                                 "--from", "2026-01-01", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_json_contract(ledger: Path) -> None:
    document = json.loads(run(ledger, "--by", "collector", "-f", "json"))
    assert (document["from"], document["to"], document["by"]) == ("2026-01-01", "2026-03-31", "collector")
    cny = document["currencies"][0]
    assert cny["currency"] == "CNY"
    total = cny["total"]
    assert (total["due"], total["collected"], total["recovery_rate"]) == ("7600.00", "2800.00", 0.3684)
    assert (total["dso"], total["days_to_pay"], total["promise_kept_ratio"]) == (106.7, 42.5, 0.3333)
    assert total["by_bucket"] == {"current": "500.00", "A": "0.00", "B": "800.00", "C": "4000.00"}
    assert total["roll_rates"][1] == {"from": "A", "to": "B", "rate": 0.8333, "months": 3}
    assert [s["collector"] for s in cny["segments"]] == ["li.si", "zhang.san"]
    assert [m["date"] for m in cny["months"]] == ["2025-12-31", "2026-01-31", "2026-02-28", "2026-03-31"]
    assert document["currencies"][1]["currency"] == "EUR"


def test_csv_has_a_row_per_segment_and_a_total_per_currency(ledger: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run(ledger, "--by", "region", "-f", "csv"))))
    assert [(r["region"], r["currency"]) for r in rows] == [
        ("辽宁/大连", "CNY"), ("辽宁/沈阳", "CNY"), ("德国/莱比锡", "EUR"), ("total", "CNY"), ("total", "EUR")]
    total = rows[3]
    assert (total["due"], total["recovery_rate"], total["roll_current_A"], total["C"]) == (
        "7600.00", "0.3684", "0.7000", "4000.00")


def test_table_and_markdown(ledger: Path) -> None:
    table = run(ledger, "--by", "collector")
    assert "CNY: collection in the period" in table
    assert "张三" in table  # collectors by name for people
    assert "36.8%" in table
    assert "EUR: month by month" in table
    markdown = run(ledger, "-f", "md")
    assert "### CNY: aging at 2026-03-31" in markdown
    assert "| total |" in markdown


@pytest.mark.parametrize(("args", "message"), [
    (["--by", "country"], "--by: unknown segment 'country'"),
    (["--to", "2026-04-30"], "--to: 2026-04-30 is after the as-of date 2026-03-31"),
    (["--to", "2025-12-31"], "--from: 2026-01-01 is after --to 2025-12-31"),
    (["--to", "2026-02-30"], "--to: not a date"),
    (["--chart", "out.pdf"], "--chart: out.pdf: use a .png or .svg file"),
])
def test_bad_options_exit_2_naming_the_option(ledger: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["report", "--ledger", str(ledger), "--as-of", "2026-03-31",
                                 "--from", "2026-01-01", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_chart_draws_chinese_labels(ledger: Path, tmp_path: Path) -> None:
    from dunning.charts import find_cjk_font

    if find_cjk_font() is None:
        pytest.skip("no CJK font (make system installs fonts-noto-cjk)")
    picture = tmp_path / "portfolio.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a warning from matplotlib: make it fail
        output = run(ledger, "--by", "region", "--chart", str(picture))
    assert "CNY: collection in the period" in output
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sample_ledger_report_runs() -> None:
    sample = Path(__file__).resolve().parent.parent / "ledger"
    book = load_ledger(sample, cache=False)
    result = report(book.debtors, book.settings, D("2026-11-28"), by="industry")
    assert [b.currency for b in result.blocks] == ["CNY", "EUR"]
    for block in result.blocks:
        assert sum((s.due for s in block.segments), Decimal(0)) == block.total.due
        assert sum((s.open for s in block.segments), Decimal(0)) == block.total.open
