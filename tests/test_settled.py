"""Settled balances (dunning/settled.py): what the cache keeps of each debtor's replay, and when `age` may serve it.

The claim under test: for any as-of date on or after a debtor's horizon, the settled balances are
exactly what `debtor_state` replays (so the aging rows are the same), and they are served only
then, only for the debtor object and settings they were made for, and never stale after an edit of
the file or of the settings. Random debtors (hypothesis) cover what the sample ledger does not:
money before its invoice, credit carried to later invoices, disputes, bankruptcy, several
currencies and event times near midnight in other time zones.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dunning import cache
from dunning import records
from dunning import settled
from dunning.aging import aging
from dunning.aging import debtor_rows
from dunning.balances import DebtorState
from dunning.balances import debtor_state
from dunning.ledger import load_ledger
from dunning.ledger import parse_debtor
from dunning.model import Debtor
from dunning.model import Settings

SAMPLE = Path(__file__).resolve().parent.parent / "ledger"
D = date.fromisoformat
BASE = date(2024, 1, 1)


def ledger_settings(**extra: object) -> Settings:
    return Settings.model_validate({"format": 1, "creditor": {"name": "辽宁测试贸易有限公司"}, **extra})


SETTINGS = [ledger_settings(), ledger_settings(timezone="Europe/Berlin", currency="EUR"),
            ledger_settings(timezone="Pacific/Kiritimati", buckets={"A": 15, "B": 45, "C": 90, "D": None})]


def reduced(state: DebtorState) -> tuple[Any, ...]:
    """What aging reads of a replay, in the shape of `settled.Settled` (open invoices only)."""
    return (state.currency, [(s.id, s.currency, s.due, s.open, s.disputed) for s in state.invoices if s.open],
            dict(state.unapplied))


def of(kept: settled.Settled) -> tuple[Any, ...]:
    return (kept.currency, [(i.id, i.currency, i.due, i.open, i.disputed) for i in kept.invoices],
            kept.unapplied)


def exact(value: Any) -> Any:
    """Decimals with their exponent (1.5 and 1.50 print differently), recursively."""
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    if isinstance(value, list | tuple):
        return [exact(v) for v in value]
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    return value


def rows(debtor_id: str, debtor: Debtor, settings: Settings, as_of: date, state: Any = None) -> Any:
    return exact([(r.currency, r.bucket, r.days_overdue, r.open, r.by_bucket, r.unapplied, r.disputed, r.invoices)
                  for r in debtor_rows(debtor_id, debtor, settings, as_of, include_all=True, state=state)])


# ---------------------------------------------------------------------------------------------
# random debtors

AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
OFFSETS = [timezone(timedelta(hours=h)) for h in (8, 0, -10, 14)]


@st.composite
def moments(draw: st.DrawFn) -> date | datetime:
    day = BASE + timedelta(days=draw(st.integers(0, 500)))
    if draw(st.booleans()):
        return day
    hour = draw(st.sampled_from([0, 1, 9, 15, 22, 23]))
    return datetime(day.year, day.month, day.day, hour, 30, tzinfo=draw(st.sampled_from(OFFSETS)))


def instant(at: date | datetime) -> datetime:
    return at if isinstance(at, datetime) else datetime(at.year, at.month, at.day, 12, tzinfo=UTC)


@st.composite
def debtor_files(draw: st.DrawFn) -> bytes:
    currencies = st.sampled_from([None, "CNY", "EUR"])
    terms = draw(st.none() | st.integers(0, 60))  # without terms, every invoice names its due date
    invoices = []
    for k in range(draw(st.integers(0, 5))):
        issued = BASE + timedelta(days=draw(st.integers(0, 450)))
        invoice: dict[str, Any] = {"id": f"INV-{k}", "issued": issued, "amount": str(draw(AMOUNTS))}
        if terms is None or draw(st.booleans()):
            invoice["due"] = issued + timedelta(days=draw(st.integers(0, 90)))
        currency = draw(currencies)
        if currency:
            invoice["currency"] = currency
        invoices.append(invoice)
    ids = [i["id"] for i in invoices]
    named = st.sampled_from([*ids, "INV-9"])  # INV-9: an invoice the file does not have
    events = []
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["payment", "payment", "payment", "credit", "dispute", "resolve", "status",
                                     "call"]))
        event: dict[str, Any] = {"at": draw(moments()), "type": kind}
        if kind == "payment":
            event["amount"] = str(draw(AMOUNTS))
            if draw(st.booleans()):
                event["invoice"] = draw(named)
            currency = draw(currencies)
            if currency:
                event["currency"] = currency
        elif kind == "credit":
            if not ids:
                continue
            event["amount"] = str(draw(AMOUNTS))
            event["invoice"] = draw(st.sampled_from(ids))
        elif kind in ("dispute", "resolve"):
            if ids and draw(st.booleans()):
                event["invoices"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
        elif kind == "status":
            event["status"] = draw(st.sampled_from(["bankrupt", "hold", "active"]))
        else:
            event["by"] = "zhang.san"
        events.append(event)
    events.sort(key=lambda e: instant(e["at"]))
    text: dict[str, Any] = {"name": "随机客户"}
    if terms is not None:
        text["terms_days"] = terms
    currency = draw(currencies)
    if currency:
        text["currency"] = currency
    text |= {"invoices": invoices, "events": events}  # events last, as the format wants
    return yaml.safe_dump(text, allow_unicode=True, sort_keys=False).encode()


RANDOM = hypothesis_settings(deadline=None, derandomize=True, database=None, max_examples=300,
                             suppress_health_check=[HealthCheck.too_slow])


@RANDOM
@given(debtor_files(), st.sampled_from(range(len(SETTINGS))), st.integers(0, 900))
def test_settled_balances_are_the_replay_on_and_after_the_horizon(data: bytes, which: int, later: int) -> None:
    settings = SETTINGS[which]
    model = parse_debtor(data, "debtors/random.yaml")
    record = records.unpack(records.pack(model))
    kept = settled.settle(model, settings)
    assert kept == settled.settle(record, settings)  # workers settle models, a warm load has records
    assert kept.horizon == settled.horizon(record, settings)
    packed = msgspec.msgpack.decode(msgspec.msgpack.encode(kept), type=settled.Settled)
    assert exact(of(packed)) == exact(of(kept))  # the exponent of every amount survives the cache
    for as_of in (kept.horizon, kept.horizon + timedelta(days=1), kept.horizon + timedelta(days=later)):
        if kept.horizon == date.min:
            as_of = BASE + timedelta(days=later)
        replay = debtor_state(record, settings, as_of, trail=False)
        assert exact(of(kept)) == exact(reduced(replay))
        assert rows("random", record, settings, as_of, packed) == rows("random", record, settings, as_of)
        snapshots = settled.Snapshots(settings, {"random": (record, *cache_entry(record, settings))})
        served = snapshots.state("random", record, settings, as_of)
        assert served is not None and of(served) == of(kept)
    if kept.horizon > date.min:
        before = kept.horizon - timedelta(days=1)
        snapshots = settled.Snapshots(settings, {"random": (record, *cache_entry(record, settings))})
        assert snapshots.state("random", record, settings, before) is None  # replayed, never served


def cache_entry(debtor: Debtor, settings: Settings) -> tuple[int, msgspec.Raw]:
    horizon, data = settled.encode(debtor, settings)
    return horizon, msgspec.Raw(data)


def test_the_horizon_is_the_last_issue_or_money_event_day_in_the_ledger_zone() -> None:
    debtor = parse_debtor(b"""\
name: x
terms_days: 30
invoices:
  - {id: A, issued: 2025-01-01, amount: 100.00}
events:
  - {at: 2025-02-01T23:30:00+00:00, type: payment, amount: 10.00}
  - {at: 2025-03-05T10:00:00+08:00, type: call, by: zhang.san}
""", "debtors/x.yaml")
    # the payment is 2025-02-02 in Shanghai; a call moves no money
    assert settled.horizon(debtor, ledger_settings()) == D("2025-02-02")
    assert settled.horizon(debtor, ledger_settings(timezone="Europe/Berlin")) == D("2025-02-02")
    assert settled.horizon(debtor, ledger_settings(timezone="America/New_York")) == D("2025-02-01")
    assert settled.horizon(parse_debtor(b"name: y\n", "debtors/y.yaml"), ledger_settings()) == date.min


def test_a_snapshot_is_served_only_for_its_own_debtor_object_and_settings() -> None:
    settings = ledger_settings()
    debtor = records.unpack(records.pack(parse_debtor(b"""\
name: x
terms_days: 30
invoices:
  - {id: A, issued: 2025-01-01, amount: 100.00}
""", "debtors/x.yaml")))
    snapshots = settled.Snapshots(settings, {"x": (debtor, *cache_entry(debtor, settings))})
    later = D("2026-01-01")
    assert snapshots.state("x", debtor, settings, later) is not None
    same_content = records.unpack(records.pack(debtor))
    assert snapshots.state("x", same_content, settings, later) is None  # another object: replayed
    assert snapshots.state("x", debtor, ledger_settings(), later) is None  # other settings object
    assert snapshots.state("y", debtor, settings, later) is None
    assert settled.Snapshots().state("x", debtor, settings, later) is None
    damaged = settled.Snapshots(settings, {"x": (debtor, cache_entry(debtor, settings)[0], msgspec.Raw(b"\xc1"))})
    assert damaged.state("x", debtor, settings, later) is None
    unsettled = settled.Snapshots(settings, {"x": (debtor, settled.NONE, msgspec.Raw(b""))})
    assert unsettled.state("x", debtor, settings, later) is None


# ---------------------------------------------------------------------------------------------
# the sample ledger and the cache


def report(book: Any, as_of: date, **options: Any) -> Any:
    return exact([r.as_json() for r in aging(book.debtors, book.settings, as_of, **options).rows])


DATES = [D("2023-06-30"), D("2024-12-31"), D("2025-08-01"), D("2026-11-28"), D("2030-01-01")]


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    root = tmp_path / "ledger"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".dunning"))
    return root


def served_and_replayed(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Count the replays aging runs (a debtor served from its settled balances is not replayed)."""
    import dunning.aging

    calls = []

    def counting(*args: Any, **kwargs: Any) -> DebtorState:
        calls.append(1)
        return debtor_state(*args, **kwargs)

    monkeypatch.setattr(dunning.aging, "debtor_state", counting)
    return lambda: len(calls)


def test_aging_from_settled_balances_equals_the_replay_on_the_sample(
        sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_ledger(sample)
    book = load_ledger(sample)  # warm: the settled balances come from the cache
    assert book.settled is not None and len(book.settled) == len(book.debtors)
    replays = served_and_replayed(monkeypatch)
    for as_of in DATES:
        for options in ({}, {"include_all": True}, {"by": "collector"}, {"by": "region"}, {"bucket": "C"}):
            assert report(book, as_of, settled=book.settled, **options) == report(book, as_of, **options)
    before = replays()
    report(book, D("2030-01-01"), settled=book.settled)
    assert replays() == before  # every debtor was served: nothing happens after 2030 in the sample
    report(book, D("2023-06-30"), settled=book.settled)
    assert replays() > before  # before their horizons they are replayed


def test_cold_warm_and_worker_loads_settle_alike(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = load_ledger(sample)
    warm = load_ledger(sample)
    shutil.rmtree(sample / ".dunning")
    monkeypatch.setattr(cache, "PARALLEL_FROM", 1)  # every file parsed and settled in worker processes
    workers = load_ledger(sample)
    for book in (cold, warm, workers):
        assert book.settled is not None
        for debtor_id, debtor in book.debtors.items():
            kept = book.settled.state(debtor_id, debtor, book.settings, D("2030-01-01"))
            assert kept is not None and kept == settled.settle(debtor, book.settings), debtor_id


def cache_document(root: Path) -> dict[str, Any]:
    body = cache.unseal((root / ".dunning" / "debtors.cache").read_bytes())
    assert body is not None, "the cache's CRC does not match"
    document: dict[str, Any] = msgspec.msgpack.decode(body)
    return document


def test_changed_settings_settle_every_debtor_again(sample: Path) -> None:
    load_ledger(sample)
    settings_file = sample / "dunning.yaml"
    text = settings_file.read_text(encoding="utf-8")
    assert "timezone: Asia/Shanghai\n" in text and "currency: CNY\n" in text
    settings_file.write_text(text.replace("timezone: Asia/Shanghai\n", "timezone: Pacific/Kiritimati\n")
                             .replace("currency: CNY\n", "currency: EUR\n"), encoding="utf-8")
    book = load_ledger(sample)
    assert (book.settings.timezone, book.settings.currency) == ("Pacific/Kiritimati", "EUR")
    assert book.settled is not None and len(book.settled) == len(book.debtors)
    for as_of in DATES:
        assert report(book, as_of, settled=book.settled) == report(book, as_of)
    for debtor_id, debtor in book.debtors.items():
        kept = book.settled.state(debtor_id, debtor, book.settings, D("2030-01-01"))
        assert kept is not None and kept == settled.settle(debtor, book.settings)
    assert cache_document(sample)["settings"] == settled.fingerprint(book.settings)


def test_an_edited_debtor_file_is_settled_again(sample: Path) -> None:
    load_ledger(sample)
    book = load_ledger(sample)
    debtor_id = next(d for d, debtor in book.debtors.items() if debtor.invoices)
    path = sample / "debtors" / f"{debtor_id}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.rstrip("\n").rsplit("\n", 1)[-1].startswith("    ")  # the file ends with its events
    path.write_text(text.rstrip("\n") + "\n  - {at: 2030-06-01, type: payment, amount: 1.00}\n", encoding="utf-8")
    edited = load_ledger(sample)
    assert edited.settled is not None
    debtor = edited.debtors[debtor_id]
    assert edited.settled.state(debtor_id, debtor, edited.settings, D("2030-05-31")) is None  # before it: replay
    kept = edited.settled.state(debtor_id, debtor, edited.settings, D("2030-06-01"))
    assert kept is not None and kept.horizon == D("2030-06-01")
    assert of(kept) == reduced(debtor_state(debtor, edited.settings, D("2030-06-01"), trail=False))
    assert report(edited, D("2030-07-01"), settled=edited.settled) == report(edited, D("2030-07-01"))


def test_a_debtor_changed_in_memory_is_replayed(sample: Path) -> None:
    book = load_ledger(sample)
    assert book.settled is not None
    debtor_id = next(d for d, debtor in book.debtors.items() if debtor.invoices)
    paid = book.debtors[debtor_id].invoices[0]
    changed = book.debtors[debtor_id].model_copy(update={"events": [
        *book.debtors[debtor_id].events,
        parse_debtor(f"name: x\nevents:\n  - {{at: 2026-01-05, type: payment, amount: '{paid.amount}', "
                     f"invoice: {paid.id}}}\n".encode(), "debtors/x.yaml").events[0]]})
    book.debtors[debtor_id] = changed
    as_of = D("2030-01-01")
    assert report(book, as_of, settled=book.settled) == report(book, as_of)


def test_no_settled_balances_without_cache_or_valid_settings(sample: Path) -> None:
    uncached = load_ledger(sample, cache=False).settled
    assert uncached is not None and len(uncached) == 0
    load_ledger(sample)
    settings_file = sample / "dunning.yaml"
    good = settings_file.read_bytes()
    settings_file.write_bytes(good + b"\nbuckets: 7\n")
    broken = load_ledger(sample, collect=True)
    assert not broken.settings_ok and broken.settled is not None and len(broken.settled) == 0
    settings_file.write_bytes(good)
    book = load_ledger(sample)  # the balances kept for these settings are still good
    assert book.settled is not None and len(book.settled) == len(book.debtors)
    for as_of in DATES:
        assert report(book, as_of, settled=book.settled) == report(book, as_of)


def test_the_fingerprint_is_what_the_replay_reads_of_the_settings() -> None:
    base = settled.fingerprint(ledger_settings())
    assert settled.fingerprint(ledger_settings(collectors={"li.si": "李四"}, warn_days=30,
                                               buckets={"A": 10, "B": None})) == base
    assert settled.fingerprint(ledger_settings(currency="EUR")) != base
    assert settled.fingerprint(ledger_settings(timezone="Asia/Tokyo")) != base  # same offset, other zone


def test_broken_settings_and_an_edited_file_keep_the_cache_whole(sample: Path) -> None:
    first = load_ledger(sample)
    settings_file = sample / "dunning.yaml"
    good = settings_file.read_bytes()
    settings_file.write_bytes(good + b"\nbuckets: 7\n")
    edited = sample / "debtors" / f"{next(iter(first.debtors))}.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    load_ledger(sample, collect=True)
    document = cache_document(sample)  # an unsettled entry once left the whole cache unreadable
    assert len(document["entries"]) == len(first.debtors)
    assert document["entries"][edited.stem][6] == settled.NONE
    assert document["settings"] == settled.fingerprint(first.settings)
    settings_file.write_bytes(good)
    book = load_ledger(sample)
    assert book.settled is not None and len(book.settled) == len(book.debtors)
    kept = book.settled.state(edited.stem, book.debtors[edited.stem], book.settings, D("2030-01-01"))
    assert kept == settled.settle(book.debtors[edited.stem], book.settings)
    assert cache_document(sample)["entries"][edited.stem][6] != settled.NONE


def test_a_debtor_that_cannot_be_settled_is_replayed_and_the_cache_not_rewritten_each_time(
        sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = settled.settle
    victim = sorted(p.stem for p in (sample / "debtors").glob("*.yaml"))[0]
    victim_name = load_ledger(sample, cache=False).debtors[victim].name

    def failing(debtor: Debtor, settings: Settings) -> settled.Settled:
        if debtor.name == victim_name:
            raise OverflowError("date value out of range")
        return original(debtor, settings)

    monkeypatch.setattr(settled, "settle", failing)
    monkeypatch.setattr(cache, "RACY_NS", 0)  # the files were just copied: no racy window to wait out
    time.sleep(0.05)  # file times advance by the kernel's tick
    book = load_ledger(sample)
    assert book.settled is not None
    assert book.settled.state(victim, book.debtors[victim], book.settings, D("2030-01-01")) is None
    assert report(book, D("2030-01-01"), settled=book.settled) == report(book, D("2030-01-01"))
    written = cache_document(sample)["written"]
    load_ledger(sample)
    assert cache_document(sample)["written"] == written


def zone_file(key: str) -> bytes:
    """The TZif data of a zone, from where zoneinfo reads it."""
    import zoneinfo
    from importlib import resources

    for folder in zoneinfo.TZPATH:
        candidate = Path(folder) / key
        if candidate.is_file():
            return candidate.read_bytes()
    return resources.files("tzdata.zoneinfo").joinpath(*key.split("/")).read_bytes()


AGE_BOTH_WAYS = """\
import json, sys
from datetime import date
from pathlib import Path
from dunning.aging import aging
from dunning.ledger import load_ledger
book = load_ledger(Path(sys.argv[1]))
day = date(2026, 4, 1)
served = aging(book.debtors, book.settings, day, settled=book.settled).as_json()
replayed = aging(book.debtors, book.settings, day).as_json()
print(json.dumps([served, replayed], default=str))
"""


def test_new_time_zone_rules_settle_every_debtor_again(tmp_path: Path) -> None:
    """The same zone name with other rules (a tz database update) must not serve yesterday's days."""
    import subprocess
    import sys

    root = tmp_path / "ledger"
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text("format: 1\ncreditor: {name: 测试公司}\ntimezone: Asia/Shanghai\n",
                                       encoding="utf-8")
    # 20:00 UTC is the next day in Shanghai (+08:00), the same day in UTC: bankruptcy makes the
    # invoice due that day only when the event falls on or after its issue day
    (root / "debtors" / "acme.yaml").write_text("""\
name: 甲公司
invoices:
  - {id: A, issued: 2026-03-02, due: 2026-06-30, amount: 100.00}
events:
  - {at: 2026-03-01T20:00:00+00:00, type: status, status: bankrupt}
""", encoding="utf-8")
    fake = tmp_path / "tz"
    (fake / "Asia").mkdir(parents=True)
    (fake / "Asia" / "Shanghai").write_bytes(zone_file("UTC"))

    def both(**env: str) -> list[Any]:
        import os

        done = subprocess.run([sys.executable, "-c", AGE_BOTH_WAYS, str(root)], capture_output=True, text=True,
                              env={**os.environ, **env}, check=True)
        result: list[Any] = __import__("json").loads(done.stdout)
        return result

    served, replayed = both()
    assert served == replayed and served["debtors"][0]["bucket"] == "A"  # due 2026-03-02, 30 days overdue
    served, replayed = both(PYTHONTZPATH=str(fake))  # the warm cache holds Shanghai's real rules
    assert served == replayed and served["debtors"][0]["bucket"] == "current"
